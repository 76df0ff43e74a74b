// Dashboards as the API sends them (see crates/core/src/dashboard.rs), and the helpers
// their widgets share: how a value is shown, how a series is named, where a new widget
// goes.
import type { DataType } from '../components/ValueInput.vue'
import { unitOf } from '../values'

export type WidgetKind = 'chart' | 'gauge' | 'value' | 'table' | 'map'
export const WIDGET_KINDS: WidgetKind[] = ['chart', 'gauge', 'value', 'table', 'map']
export type ChartAgg = 'avg' | 'min' | 'max' | 'last'
export const GRID_COLUMNS = 24

export interface Widget {
  id: string
  kind: WidgetKind
  title?: string
  devices: string[]
  properties: string[]
  x: number
  y: number
  w: number
  h: number
  min?: number
  max?: number
  agg?: ChartAgg
}

export interface DashboardDoc {
  name: string
  description?: string
  range_s: number
  refresh_s: number
  widgets: Widget[]
}

export interface Dashboard {
  id: string
  version: number
  document: DashboardDoc
  share_token?: string
  created_at: string
  updated_at: string
}

export interface PropertyInfo {
  identifier: string
  name: string
  data_type?: DataType
}

export interface DeviceInfo {
  id: string
  name: string
  label?: string
  online: boolean
  latitude?: number
  longitude?: number
  properties: PropertyInfo[]
}

export interface LatestPoint {
  device: string
  property: string
  ts: number
  value: unknown
}

export interface ChartSeries {
  widget: string
  device: string
  property: string
  points: Array<[number, unknown]>
}

export interface DashboardData {
  from: number
  to: number
  interval_ms: number
  devices: DeviceInfo[]
  missing: string[]
  latest: LatestPoint[]
  series: ChartSeries[]
}

/** Fewest and most devices and properties per kind (as the server checks them). */
export const LIMITS: Record<WidgetKind, { devices: [number, number]; properties: [number, number] }> = {
  chart: { devices: [1, 10], properties: [1, 10] },
  gauge: { devices: [1, 1], properties: [1, 1] },
  value: { devices: [1, 1], properties: [1, 1] },
  table: { devices: [1, 100], properties: [1, 20] },
  map: { devices: [1, 500], properties: [0, 5] },
}

/** Default size of a new widget, by kind. */
export const DEFAULT_SIZE: Record<WidgetKind, { w: number; h: number }> = {
  chart: { w: 12, h: 7 },
  gauge: { w: 6, h: 6 },
  value: { w: 6, h: 4 },
  table: { w: 12, h: 6 },
  map: { w: 24, h: 8 },
}

/** Time ranges a viewer can pick, in seconds. */
export const RANGES = [900, 3600, 6 * 3600, 86_400, 7 * 86_400]

export function emptyDoc(name: string, description?: string): DashboardDoc {
  return { name, description: description || undefined, range_s: 3600, refresh_s: 5, widgets: [] }
}

/** A new widget's id: the kind and the next free number. */
export function newWidgetId(doc: DashboardDoc, kind: WidgetKind): string {
  const taken = new Set(doc.widgets.map((w) => w.id))
  for (let i = 1; ; i++) {
    const id = `${kind}-${i}`
    if (!taken.has(id)) return id
  }
}

/** The first row below every widget: where a new one goes. */
export function nextRow(doc: DashboardDoc): number {
  return doc.widgets.reduce((m, w) => Math.max(m, w.y + w.h), 0)
}

export function deviceText(d: { name: string; label?: string | null }): string {
  return d.label ? `${d.name} · ${d.label}` : d.name
}

/** Looks things up in one answer of the data call. */
export class DataIndex {
  private devices = new Map<string, DeviceInfo>()
  private latest = new Map<string, LatestPoint>()

  constructor(public data: DashboardData) {
    for (const d of data.devices) this.devices.set(d.id, d)
    for (const l of data.latest) this.latest.set(`${l.device}/${l.property}`, l)
  }

  device(id: string): DeviceInfo | undefined {
    return this.devices.get(id)
  }

  property(device: string, property: string): PropertyInfo | undefined {
    return this.devices.get(device)?.properties.find((p) => p.identifier === property)
  }

  value(device: string, property: string): LatestPoint | undefined {
    return this.latest.get(`${device}/${property}`)
  }

  missing(id: string): boolean {
    return this.data.missing.includes(id)
  }

  /** A series' name: the device (when the chart has several) and the property, with unit. */
  seriesName(w: Widget, device: string, property: string): string {
    const p = this.property(device, property)
    const unit = unitOf(p?.data_type)
    const prop = `${p?.name ?? property}${unit ? ` (${unit})` : ''}`
    if (w.devices.length < 2) return prop
    const d = this.device(device)
    return `${d?.label || d?.name || device} · ${prop}`
  }
}

/** A deep copy of plain data (reactive proxies included, which structuredClone refuses). */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}
