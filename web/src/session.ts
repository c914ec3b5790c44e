// Who is signed in: the token (localStorage) and `me` with their roles.
import { reactive } from 'vue'
import type { MeQuery } from '@/generated/graphql'

export type Me = NonNullable<MeQuery['me']>
export type RoleName = Me['roles'][number]['role']
export type Unit = NonNullable<Me['roles'][number]['unit']>

const TOKEN_KEY = 'gridpoints.token'

export const session = reactive<{ token: string | null; me: Me | null }>({
  token: localStorage.getItem(TOKEN_KEY),
  me: null,
})

const listeners: (() => void)[] = []
export function onSignedOut(listener: () => void): void {
  listeners.push(listener)
}

export function signedIn(token: string): void {
  session.token = token
  localStorage.setItem(TOKEN_KEY, token)
}

export function signedOut(): void {
  session.token = null
  session.me = null
  localStorage.removeItem(TOKEN_KEY)
  listeners.forEach((listener) => listener())
}

export function hasRole(...roles: RoleName[]): boolean {
  return !!session.me?.roles.some((r) => roles.includes(r.role))
}

/** The first unit the person holds one of these roles over. */
export function unitOf(...roles: RoleName[]): Unit | null {
  return session.me?.roles.find((r) => roles.includes(r.role) && r.unit)?.unit ?? null
}

/** The person's community: home community, else the community of a staff role's unit. */
export function communityId(): string | null {
  const me = session.me
  if (!me) return null
  if (me.community) return me.community.id
  for (const r of me.roles) {
    if (r.unit?.community) return r.unit.community.id
  }
  return null
}

export function isStaff(): boolean {
  return hasRole(
    'GRID_WORKER',
    'GRID_LEADER',
    'COMMUNITY_ADMIN',
    'MEETING_MEMBER',
    'STREET_ADMIN',
    'DEPARTMENT_STAFF',
    'SYSTEM_ADMIN',
  )
}
