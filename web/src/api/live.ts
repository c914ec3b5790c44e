// Live notifications: graphql-ws (graphql-transport-ws) at /graphql, token in connection_init.
// Inbox entries (`myNotification`) go to the message center (src/api/inbox.ts) and show as a
// toast; the other events (new orders, stock, redemptions, demands) are toasts only.
import { createClient, type Client } from 'graphql-ws'
import { reactive } from 'vue'
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core'
import { entryArrived, refreshUnread, type Entry } from '@/api/inbox'
import {
  OnDemandChangedDocument,
  OnMyNotificationDocument,
  OnMyRedemptionChangedDocument,
  OnOrderPublishedDocument,
  OnStockChangedDocument,
} from '@/generated/graphql'
import { session, signedOut } from '@/session'

export type Notice = { id: number; key: string; params: Record<string, string | number>; at: Date; to?: string }

export const live = reactive<{ connected: boolean }>({ connected: false })

const listeners: ((notice: Notice) => void)[] = []
/** A passing event (not kept in the inbox). */
export function onNotice(listener: (notice: Notice) => void): void {
  listeners.push(listener)
}
const entryListeners: ((entry: Entry) => void)[] = []
/** A new inbox entry, after the message center has it. */
export function onEntry(listener: (entry: Entry) => void): void {
  entryListeners.push(listener)
}

/**
 * The server sends its graphql-transport-ws messages as binary frames (orjson bytes), and
 * graphql-ws only parses text: decode binary frames to text before the client sees them.
 */
class TextWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols)
    this.binaryType = 'arraybuffer'
  }
  override get onmessage(): ((this: WebSocket, ev: MessageEvent) => unknown) | null {
    return super.onmessage
  }
  override set onmessage(handler: ((this: WebSocket, ev: MessageEvent) => unknown) | null) {
    const decoder = new TextDecoder()
    super.onmessage = handler
      ? function (this: WebSocket, event: MessageEvent) {
          const data = event.data instanceof ArrayBuffer ? decoder.decode(event.data) : event.data
          return handler.call(this, new MessageEvent('message', { data }))
        }
      : null
  }
}

let client: Client | null = null
let stops: (() => void)[] = []
let counter = 0

function push(key: string, params: Record<string, string | number>, to?: string): void {
  const notice = { id: ++counter, key, params, at: new Date(), to }
  listeners.forEach((listener) => listener(notice))
}

function subscribe<R, V>(query: DocumentTypeDecoration<R, V> & { toString(): string }, next: (data: R) => void | Promise<void>): void {
  if (!client) return
  stops.push(
    client.subscribe<R>(
      { query: query.toString() },
      {
        next: (result) => {
          if (result.data) void next(result.data as R)
        },
        error: () => undefined,
        complete: () => undefined,
      },
    ),
  )
}

let pending: ReturnType<typeof setTimeout> | null = null

/**
 * Subscribe once the page has settled: the server resolves each subscription's user on the
 * socket's own database session, and a socket closed during that lookup (a page left at once)
 * left the server's connection broken (see the issue 6 report). A second's delay costs nothing.
 */
export function startLive(): void {
  stopLive()
  if (!session.token) return
  void refreshUnread() // the bell's count survives a reload: it is the server's
  pending = setTimeout(connect, 1000)
}

function connect(): void {
  pending = null
  if (!session.token) return
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const token = session.token
  client = createClient({
    url: `${scheme}://${location.host}/graphql`,
    connectionParams: { Authorization: `Bearer ${token}` },
    webSocketImpl: TextWebSocket,
    retryAttempts: 5,
    lazy: false,
    on: {
      // (re)connected: entries written while the socket was down are counted again
      connected: (_socket, _payload, wasRetry) => {
        live.connected = true
        if (wasRetry) void refreshUnread()
      },
      // 4401: the server closed the socket because the session ended (signed out elsewhere,
      // password changed, expired): this page is signed out too. 4403 (roles changed) and
      // 1013 (server busy) are retried by graphql-ws.
      closed: (event) => {
        live.connected = false
        if ((event as CloseEvent | undefined)?.code === 4401 && session.token === token) signedOut()
      },
    },
  })
  subscribe(OnMyNotificationDocument, (d) => {
    entryArrived(d.myNotification)
    entryListeners.forEach((listener) => listener(d.myNotification))
  })
  subscribe(OnOrderPublishedDocument, (d) =>
    push('notice.orderPublished', { title: d.orderPublished.title }, `/orders/${d.orderPublished.id}`),
  )
  subscribe(OnDemandChangedDocument, (d) =>
    push('notice.demandChanged', { description: d.demandChanged.description.slice(0, 30), status: d.demandChanged.status }, `/demands/${encodeURIComponent(d.demandChanged.id)}`),
  )
  subscribe(OnStockChangedDocument, (d) =>
    push('notice.stockChanged', { name: d.stockChanged.name, stock: d.stockChanged.stock }),
  )
  subscribe(OnMyRedemptionChangedDocument, (d) =>
    push('notice.redemptionChanged', { code: d.myRedemptionChanged.pickupCode, state: d.myRedemptionChanged.state }, '/redemptions'),
  )
}

export function stopLive(): void {
  if (pending) clearTimeout(pending)
  pending = null
  stops.forEach((stop) => stop())
  stops = []
  if (client) void client.dispose()
  client = null
  live.connected = false
}
