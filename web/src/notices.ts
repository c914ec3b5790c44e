import type { Notice } from '@/api/live'
import type { Entry } from '@/api/inbox'
import type { NotificationKind } from '@/generated/graphql'

type T = (key: string, params?: Record<string, unknown>) => string

/** A live notice in the current language (enum values translated too). */
export function noticeText(t: T, notice: Notice): string {
  const params: Record<string, unknown> = { ...notice.params }
  if (notice.key === 'notice.demandChanged') params.status = t(`enum.DemandStatus.${notice.params.status}`)
  if (notice.key === 'notice.redemptionChanged') params.state = t(`enum.RedemptionState.${notice.params.state}`)
  return t(notice.key, params)
}

/** An inbox entry's text: the server writes it in the request's language (`Accept-Language`). */
export function entryText(entry: Entry): string {
  return entry.title
}

function subjectType(id: string): string {
  try {
    const b64 = id.replace(/-/g, '+').replace(/_/g, '/')
    return atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)).split(':')[0]
  } catch {
    return ''
  }
}

/** Where tapping an entry leads: what it is about (order, demand, meeting) or its list. */
export function entryRoute(entry: Entry): string | null {
  const id = entry.subjectId
  switch (id ? subjectType(id) : '') {
    case 'VolunteerOrder':
      return `/orders/${id}`
    case 'Demand':
      return `/demands/${encodeURIComponent(id!)}`
    case 'JointMeeting':
      return `/work/meetings/${id}`
    case 'Redemption':
      return '/redemptions'
    case 'Grant':
      return '/' // the ledger is on the home screen
  }
  if (entry.kind === 'grant_posted') return '/'
  if (entry.kind === 'redemption_changed' || entry.kind === 'reminder_pickup_tomorrow') return '/redemptions'
  if (entry.kind === 'demand_changed') return '/demands'
  return null
}

/**
 * The kinds the server also sends by SMS unless the person opts out (services/notices/kinds.py):
 * the others only ever arrive in the app, so they have no SMS switch.
 */
export const SMS_KINDS: NotificationKind[] = [
  'CLAIM_PROMOTED',
  'GRANT_POSTED',
  'REMINDER_ORDER_TOMORROW',
  'REMINDER_ORDER_SOON',
  'REMINDER_PICKUP_TOMORROW',
  'REMINDER_MEETING_SOON',
  'MEETING_CONVENED',
  'SLA_AT_RISK',
]
