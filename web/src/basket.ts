// The exchange basket: goods lines, at most one venue booking, session places.
import { reactive } from 'vue'

export type BasketGoods = { goodsId: string; name: string; price: number; quantity: number; pointKinds: string[] }
export type BasketVenue = { venueId: string; name: string; startsAt: string; endsAt: string; price: number }
export type BasketSession = { sessionId: string; name: string; startsAt: string; price: number; places: number }

export const basket = reactive<{ goods: BasketGoods[]; venue: BasketVenue | null; sessions: BasketSession[] }>({
  goods: [],
  venue: null,
  sessions: [],
})

export function basketCount(): number {
  return basket.goods.reduce((n, g) => n + g.quantity, 0) + (basket.venue ? 1 : 0) + basket.sessions.reduce((n, s) => n + s.places, 0)
}

export function basketTotal(): number {
  return (
    basket.goods.reduce((n, g) => n + g.price * g.quantity, 0) +
    (basket.venue?.price ?? 0) +
    basket.sessions.reduce((n, s) => n + s.price * s.places, 0)
  )
}

export function addGoods(line: Omit<BasketGoods, 'quantity'>): void {
  const existing = basket.goods.find((g) => g.goodsId === line.goodsId)
  if (existing) existing.quantity += 1
  else basket.goods.push({ ...line, quantity: 1 })
}

export function clearBasket(): void {
  basket.goods = []
  basket.venue = null
  basket.sessions = []
}
