// The marketplace's trading as the console reads it (crates/core/src/trade.rs and
// crates/api/src/routes/market_trade.rs): developers' plans, tenants' subscriptions,
// orders and invoices, the finance desk's ledger. Money is integer fen (1/100 yuan).
import { api, type Page } from './api'
import { locale, t } from './i18n'
import type { LocalText, Listing } from './market'

export type PlanKind = 'free' | 'monthly' | 'yearly' | 'per_call'
export const PLAN_KINDS: PlanKind[] = ['free', 'monthly', 'yearly', 'per_call']

export interface Plan {
  id: string
  app_id: string
  name: LocalText
  kind: PlanKind
  price: number
  included_calls: number
  price_per_1000_calls: number
  trial_days: number
  active: boolean
  created_at: string
}

export type SubscriptionStatus = 'pending' | 'trial' | 'active' | 'expired' | 'cancelled'

export interface Subscription {
  tenant_id: string
  app_id: string
  plan_id: string
  status: SubscriptionStatus
  period_end: string | null
  trial_used: boolean
  /** Installations the expiry paused (started again on renewal). */
  paused: string[]
  created_at: string
  updated_at: string
}

export type OrderStatus = 'pending' | 'paid' | 'cancelled' | 'refunded'
export const ORDER_STATUSES: OrderStatus[] = ['pending', 'paid', 'cancelled', 'refunded']

export interface Order {
  id: string
  tenant_id: string
  app_id: string
  plan_id: string
  developer_id: string
  kind: 'subscription' | 'usage' | string
  usage_month: string | null
  description: string
  quantity: number
  amount: number
  currency: string
  fee: number
  status: OrderStatus
  provider: string
  reference: string
  invoice_no: string | null
  created_at: string
  paid_at: string | null
  closed_at: string | null
  note: string | null
}

/** How to pay an order with the offline provider, in both languages. */
export interface PaymentInstructions {
  provider: string
  en: string
  'zh-CN': string
}

export interface Subscribed {
  subscription: Subscription
  order: Order | null
  payment: PaymentInstructions | null
}

export type OrderView = Order & { payment: PaymentInstructions | null }

export interface Invoice {
  invoice_no: string
  issued_at: string
  seller: string
  collected_by: string
  buyer: string
  lines: { description: string; quantity: number; amount: number }[]
  total: number
  currency: string
  payment_reference: string
  status: OrderStatus
}

export interface Posting {
  txn: string
  account: string
  amount: number
  order_id: string | null
  memo: string
  posted_at: string
}

export interface Balance {
  account: string
  amount: number
  postings: number
}

export interface Balances {
  accounts: Balance[]
  total: number
  balanced: boolean
}

export type DeveloperOrders = Page<Order> & { balance: number }

export interface BillingRun {
  month: string
  orders: Order[]
  within_included: number
}

type Tag = 'info' | 'success' | 'warning' | 'danger' | 'primary'
export const ORDER_TAG: Record<OrderStatus, Tag> = {
  pending: 'warning',
  paid: 'success',
  cancelled: 'info',
  refunded: 'danger',
}
export const SUBSCRIPTION_TAG: Record<SubscriptionStatus, Tag> = {
  pending: 'warning',
  trial: 'primary',
  active: 'success',
  expired: 'danger',
  cancelled: 'info',
}

/** Whether the app may run under this subscription. */
export const runs = (s: Subscription | null | undefined) => !!s && (s.status === 'trial' || s.status === 'active')

/** Fen as yuan: ¥12.34, -¥79.20, with thousands separated. */
export function money(fen: number | null | undefined): string {
  if (fen === null || fen === undefined || Number.isNaN(fen)) return ''
  const sign = fen < 0 ? '-' : ''
  const abs = Math.abs(Math.trunc(fen))
  const yuan = Math.floor(abs / 100).toLocaleString('en-US')
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`
}

/** Yuan typed by a person ("99", "99.5", "99.00") as fen; null when it is no amount. */
export function toFen(yuan: string): number | null {
  const v = yuan.trim().replace(/^¥/, '').replace(/,/g, '')
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(v)
  if (!m) return null
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}

/** Fen as yuan to edit ("99.00"). */
export const toYuan = (fen: number) => (fen / 100).toFixed(2)

/** A plan's price in words: "¥99.00 a month", "¥0.50 per 1000 calls", "Free". */
export function planPrice(p: Plan): string {
  switch (p.kind) {
    case 'free':
      return t('trade.kinds.free')
    case 'monthly':
      return t('trade.perMonth', { price: money(p.price) })
    case 'yearly':
      return t('trade.perYear', { price: money(p.price) })
    case 'per_call':
      return t('trade.per1000', { price: money(p.price_per_1000_calls) })
  }
  return money(p.price)
}

/** The payment instructions in the current language. */
export const instructionsText = (p: PaymentInstructions | null | undefined) =>
  p ? (locale.value === 'zh-CN' ? p['zh-CN'] || p.en : p.en || p['zh-CN']) : ''

/** Every page of a paged list (at most `max` rows), for lists the API cannot filter. */
export async function allPages<T>(path: string, query: Record<string, string | number> = {}, max = 5000): Promise<{ items: T[]; total: number }> {
  const out: T[] = []
  let total = 0
  for (let page = 1; out.length < max; page++) {
    const r = await api.get<Page<T>>(path, { ...query, page, page_size: 500 })
    total = r.total
    out.push(...r.items)
    if (r.items.length < 500) break
  }
  return { items: out, total }
}

/** The apps of the catalogue by id (for their names). */
export async function listingsById(): Promise<Map<string, Listing>> {
  const { items } = await allPages<Listing>('/market/catalogue', { kind: 'app', sort: 'name' })
  return new Map(items.map((l) => [l.id, l]))
}

/**
 * An API error of a form as its field and text: "price: must be between 0 and …" →
 * { price: "must be between 0 and …" }; a message without a field stays whole under ''.
 */
export function fieldError(message: string, fields: string[]): Record<string, string> {
  const m = /^([\w.-]+)\s*[:：]\s*(.+)$/s.exec(message)
  if (m && fields.includes(m[1]!)) return { [m[1]!]: m[2]! }
  return { '': message }
}
