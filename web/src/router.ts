import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { session } from './session'

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./views/Login.vue'), meta: { public: true, title: 'nav.signIn' } },
  { path: '/', component: () => import('./views/Home.vue'), meta: { title: 'nav.home', tab: 'home' } },
  { path: '/orders', component: () => import('./views/Orders.vue'), meta: { title: 'nav.orders', tab: 'orders' } },
  { path: '/orders/:id', component: () => import('./views/OrderDetail.vue'), meta: { title: 'orders.detail', tab: 'orders', back: true } },
  { path: '/claims', component: () => import('./views/MyClaims.vue'), meta: { title: 'nav.claims', tab: 'orders', back: true } },
  { path: '/exchange', component: () => import('./views/Exchange.vue'), meta: { title: 'nav.exchange', tab: 'exchange' } },
  { path: '/basket', component: () => import('./views/Basket.vue'), meta: { title: 'nav.basket', tab: 'exchange', back: true } },
  { path: '/redemptions', component: () => import('./views/MyRedemptions.vue'), meta: { title: 'nav.redemptions', tab: 'exchange', back: true } },
  { path: '/demands', component: () => import('./views/MyDemands.vue'), meta: { title: 'nav.demands', tab: 'demands' } },
  { path: '/demands/new', component: () => import('./views/DemandReport.vue'), meta: { title: 'demands.report', tab: 'demands', back: true } },
  { path: '/demands/:id', component: () => import('./views/DemandDetail.vue'), meta: { title: 'demands.detail', tab: 'demands', back: true } },
  { path: '/wishes', component: () => import('./views/Wishes.vue'), meta: { title: 'nav.wishes', tab: 'home', back: true } },
  { path: '/work/wishes', component: () => import('./views/Wishes.vue'), meta: { title: 'nav.wishes', tab: 'work', back: true } },
  { path: '/work/assessment', component: () => import('./views/staff/Assessment.vue'), meta: { title: 'work.assessment', tab: 'work', back: true } },
  { path: '/board', component: () => import('./views/Board.vue'), meta: { title: 'nav.board', tab: 'home', back: true } },
  { path: '/notifications', component: () => import('./views/Notifications.vue'), meta: { title: 'nav.notifications', back: true } },
  { path: '/profile', component: () => import('./views/Profile.vue'), meta: { title: 'nav.profile', tab: 'profile' } },
  { path: '/work', component: () => import('./views/staff/Work.vue'), meta: { title: 'nav.work', tab: 'work' } },
  { path: '/work/queue', component: () => import('./views/staff/DemandQueue.vue'), meta: { title: 'work.queue', tab: 'work', back: true } },
  { path: '/work/registrations', component: () => import('./views/staff/Registrations.vue'), meta: { title: 'work.registrations', tab: 'work', back: true } },
  { path: '/work/households', component: () => import('./views/staff/Households.vue'), meta: { title: 'work.households', tab: 'work', back: true } },
  { path: '/work/orders', component: () => import('./views/staff/StaffOrders.vue'), meta: { title: 'work.orders', tab: 'work', back: true } },
  { path: '/work/orders/new', component: () => import('./views/staff/OrderNew.vue'), meta: { title: 'work.orderNew', tab: 'work', back: true } },
  { path: '/work/orders/:id', component: () => import('./views/staff/OrderRoster.vue'), meta: { title: 'work.roster', tab: 'work', back: true } },
  { path: '/work/meetings', component: () => import('./views/staff/Meetings.vue'), meta: { title: 'work.meetings', tab: 'work', back: true } },
  { path: '/work/meetings/:id', component: () => import('./views/staff/MeetingDetail.vue'), meta: { title: 'work.meeting', tab: 'work', back: true } },
  { path: '/work/catalog', component: () => import('./views/staff/Catalog.vue'), meta: { title: 'work.catalog', tab: 'work', back: true } },
  { path: '/work/venues', component: () => import('./views/staff/Venues.vue'), meta: { title: 'work.venues', tab: 'work', back: true } },
  { path: '/work/exchange-settings', component: () => import('./views/staff/ExchangeWindows.vue'), meta: { title: 'work.windows', tab: 'work', back: true } },
  { path: '/work/pickups', component: () => import('./views/staff/Pickups.vue'), meta: { title: 'work.pickups', tab: 'work', back: true } },
  { path: '/work/dashboard', component: () => import('./views/staff/Dashboard.vue'), meta: { title: 'work.dashboard', tab: 'work', back: true } },
  { path: '/work/assigned', component: () => import('./views/staff/Assigned.vue'), meta: { title: 'work.assigned', tab: 'work', back: true } },
  { path: '/work/scorecards', component: () => import('./views/staff/Scorecards.vue'), meta: { title: 'work.scorecards', tab: 'work', back: true } },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHashHistory(), routes })

router.beforeEach((to) => {
  if (!to.meta.public && !session.token) return { path: '/login', query: { next: to.fullPath } }
  return true
})
