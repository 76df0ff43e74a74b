// How values of a thing model are shown: enum and bool labels, numbers in the chosen
// language with their unit, and which data types can be drawn on a chart.
import type { DataType } from './components/ValueInput.vue'
import { formatDateTime, formatNumber, t } from './i18n'

/** The numeric data types of a thing model (drawn on charts, written with a number input). */
export const NUMERIC_TYPES = ['int', 'float', 'double']

export function isNumeric(dt?: DataType): boolean {
  return !!dt && NUMERIC_TYPES.includes(dt.type)
}

/**
 * A value as the thing model describes it: enum and bool labels, dates, numbers in the
 * chosen language. `plain` shows numbers as they are (attributes: a year is 2019, not
 * 2,019).
 */
export function showValue(v: unknown, dt?: DataType, opts: { plain?: boolean } = {}): string {
  if (v === null || v === undefined) return '—'
  if (dt?.type === 'enum' && dt.values) return dt.values[String(v)] ?? String(v)
  if (typeof v === 'boolean') {
    return v ? (dt?.true_label ?? t('common.yes')) : (dt?.false_label ?? t('common.no'))
  }
  if (dt?.type === 'date' && typeof v === 'number') return formatDateTime(v)
  if (typeof v === 'number') return opts.plain ? String(v) : formatNumber(v, 3)
  return typeof v === 'string' ? v : JSON.stringify(v)
}

export function unitOf(dt?: DataType): string {
  return dt?.unit ?? ''
}

/** A value and its unit ("1,450 r/min"). */
export function withUnit(v: unknown, dt?: DataType): string {
  const unit = unitOf(dt)
  return v === null || v === undefined || !unit ? showValue(v, dt) : `${showValue(v, dt)} ${unit}`
}

/** Numbers for charts and gauges: booleans as 0/1, anything else not drawn. */
export function numeric(v: unknown): number | null {
  if (typeof v === 'number') return v
  if (typeof v === 'boolean') return v ? 1 : 0
  return null
}

/** A size in bytes in binary units ("1.5 MiB"). */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return ''
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${formatNumber(v, 1)} ${units[i]}`
}
