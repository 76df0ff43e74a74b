// What the marketplace counts (docs/marketplace.md, "Analytics and developer counts"): a
// developer's analytics of its apps, and the platform's developer counts with the
// store's reach, as the server sends them.
import { locale } from './i18n'

export interface MonthFigures {
  month: string
  calls: number
  errors: number
  sdk_calls: number
  /** Fen (1/100 yuan). */
  revenue: number
}

export interface AppAnalytics {
  app_id: string
  tenants: number
  installations: number
  active_installations: number
  ratings: number
  rating: number
  calls_total: number
  revenue_total: number
  months: MonthFigures[]
}

export interface DeveloperAnalytics {
  developer_id: string
  apps: AppAnalytics[]
  months: MonthFigures[]
  api_calls: { month: string; count: number }[]
}

export interface DeveloperMonth {
  month: string
  registered: number
  verified: number
  third_party: number
  third_party_share: number
  active: number
  sdk_developers: number
  sdk_calls: number
  api_calls: number
}

export interface MarketStatistics {
  developers: { months: DeveloperMonth[] }
  store: {
    apps: number
    subscribing_tenants: number
    installations: number
    active_installations: number
    running_subscriptions: number
  }
}

/** An amount in fen as yuan: ¥1,234.50. */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '−' : ''
  const n = new Intl.NumberFormat(locale.value, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  return `${sign}¥${n.format(Math.abs(fen) / 100)}`
}
