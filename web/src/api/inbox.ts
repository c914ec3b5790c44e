// The server inbox (消息中心): pages of entries, the unread count (the bell's badge) and
// marking read. New entries come from the `myNotification` subscription (src/api/live.ts).
import { reactive } from 'vue'
import { ApiError, gql } from '@/api/client'
import {
  NotificationsDocument,
  NotificationsMarkReadDocument,
  NotificationsUnreadDocument,
  type NotificationFieldsFragment,
} from '@/generated/graphql'
import { onSignedOut, session } from '@/session'

export type Entry = NotificationFieldsFragment

const PAGE = 20

export const inbox = reactive<{
  entries: Entry[]
  unread: number
  loading: boolean
  loaded: boolean
  hasMore: boolean
  error: string
}>({ entries: [], unread: 0, loading: false, loaded: false, hasMore: false, error: '' })

let cursor: string | null = null
let generation = 0 // a sign-out drops the answers still on their way

function message(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e)
}

/** The unread count from the server: at sign-in, at app start, on every (re)connect. */
export async function refreshUnread(): Promise<void> {
  if (!session.token) return
  const mine = generation
  try {
    const count = (await gql(NotificationsUnreadDocument)).notificationsUnread
    if (mine === generation) inbox.unread = count
  } catch {
    // the badge keeps what it had; the next connect asks again
  }
}

/** The first page (reset) or the next one ("load more"). */
export async function loadInbox(reset = false): Promise<void> {
  if (reset) cursor = null
  const mine = generation
  inbox.loading = true
  inbox.error = ''
  try {
    const data = await gql(NotificationsDocument, { first: PAGE, after: cursor })
    if (mine !== generation) return
    const page = data.notifications
    if (reset) {
      // an entry that arrived live while the page was on its way stays on top
      const ids = new Set(page.nodes.map((n) => n.id))
      const top = page.nodes[0]?.createdAt ?? ''
      const newer = inbox.entries.filter((e) => !ids.has(e.id) && e.createdAt > top)
      inbox.entries = [...newer, ...page.nodes]
    } else {
      const ids = new Set(inbox.entries.map((e) => e.id))
      inbox.entries.push(...page.nodes.filter((n) => !ids.has(n.id)))
    }
    cursor = page.pageInfo.endCursor ?? null
    inbox.hasMore = page.pageInfo.hasNextPage
    inbox.unread = data.notificationsUnread
  } catch (e) {
    if (mine === generation) inbox.error = message(e)
  } finally {
    if (mine === generation) {
      inbox.loading = false
      inbox.loaded = true
    }
  }
}

/** A new entry from the subscription: on top of the list, and counted if unread. */
export function entryArrived(entry: Entry): void {
  if (inbox.entries.some((e) => e.id === entry.id)) return
  inbox.entries.unshift(entry)
  if (!entry.readAt) inbox.unread += 1
}

async function markRead(ids: string[] | null): Promise<string> {
  const mine = generation
  try {
    const payload = (await gql(NotificationsMarkReadDocument, { input: ids ? { ids } : {} })).notificationsMarkRead
    if (payload.errors.length) return payload.errors.map((e) => e.message).join(' ')
    if (mine === generation && payload.unread != null) inbox.unread = payload.unread
    return ''
  } catch (e) {
    return message(e)
  }
}

/** Mark one entry read (opening it); an error is returned, the entry stays unread then. */
export async function markEntryRead(entry: Entry): Promise<string> {
  if (entry.readAt) return ''
  const error = await markRead([entry.id])
  if (!error) entry.readAt = new Date().toISOString()
  return error
}

/** 全部已读. */
export async function markAllRead(): Promise<string> {
  const error = await markRead(null)
  if (!error) {
    const now = new Date().toISOString()
    inbox.entries.forEach((e) => (e.readAt ??= now))
  }
  return error
}

onSignedOut(() => {
  generation += 1
  cursor = null
  Object.assign(inbox, { entries: [], unread: 0, loading: false, loaded: false, hasMore: false, error: '' })
})
