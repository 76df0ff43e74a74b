// The console's languages: a reactive locale, a `t()` that looks strings up in the
// catalogue of that locale, and date and number formats that follow it. The choice is
// remembered in the browser; the first visit follows the browser's language.
import { computed, ref } from 'vue'
import en, { type Messages } from './en'
import zhCN from './zh-CN'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: Locale[] = ['zh-CN', 'en']
const CATALOGUES: Record<Locale, Messages> = { 'zh-CN': zhCN, en }
const STORAGE_KEY = 'ironloom.locale'

function initial(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY)
  if (saved === 'zh-CN' || saved === 'en') return saved
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

export const locale = ref<Locale>(initial())
document.documentElement.lang = locale.value

export function setLocale(l: Locale) {
  locale.value = l
  localStorage.setItem(STORAGE_KEY, l)
  document.documentElement.lang = l
}

function lookup(messages: Messages, key: string): string | undefined {
  let node: unknown = messages
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return typeof node === 'string' ? node : undefined
}

/** The string `key` ("nav.devices") in the current language, with `{name}` filled in. */
export function t(key: string, params?: Record<string, string | number>): string {
  const found = lookup(CATALOGUES[locale.value], key)
  if (found === undefined) {
    console.error(`missing translation: ${key}`)
    return key
  }
  if (!params) return found
  return found.replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  )
}

/**
 * The label of a value the server sends from a fixed set (`category.operating`). Empty
 * for no value (Element Plus renders column slots once with an empty row); the value
 * itself when the catalogue has no label for it yet.
 */
export function label(group: string, value: unknown): string {
  if (value === undefined || value === null || value === '') return ''
  const key = `${group}.${String(value)}`
  return lookup(CATALOGUES[locale.value], key) ?? String(value)
}

/** Whether `key` exists (for codes from the server that may have no label yet). */
export function has(key: string): boolean {
  return lookup(CATALOGUES[locale.value], key) !== undefined
}

const dateTimeFormats = computed(
  () =>
    new Intl.DateTimeFormat(locale.value, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    }),
)

/** A date and time in the current language (empty for none). */
export function formatDateTime(v: string | number | Date | null | undefined): string {
  if (v === null || v === undefined || v === '') return ''
  const d = v instanceof Date ? v : new Date(v)
  return Number.isNaN(d.getTime()) ? String(v) : dateTimeFormats.value.format(d)
}

/** A number in the current language, with at most `digits` decimals. */
export function formatNumber(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return ''
  return new Intl.NumberFormat(locale.value, { maximumFractionDigits: digits }).format(v)
}
