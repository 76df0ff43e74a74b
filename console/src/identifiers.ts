// Identifier resolution (标识解析) as the console shows it: the API's prefixes, templates
// and identifiers (values in the Handle.Net REST form), a handle in an API path (one
// segment, its `/` as %2F), a value's text and whether it is public, checking a template
// field's value in the browser as the server does (crates/core/src/identifier.rs), and
// the server's field errors ("values.made_on: …") at their field.
import { computed, ref, watch, type Ref } from 'vue'
import { locale } from './i18n'

export interface IdPrefix {
  prefix: string
  name: string
  identifiers: number
  created_at: string
}

export type FieldType = 'string' | 'integer' | 'number' | 'date' | 'datetime' | 'url' | 'handle' | 'boolean'
export const FIELD_TYPES: FieldType[] = ['string', 'integer', 'number', 'date', 'datetime', 'url', 'handle', 'boolean']

export interface LocalText {
  en: string
  'zh-CN': string
}

export interface TemplateField {
  name: string
  index: number
  label: LocalText
  type: FieldType
  required: boolean
  public: boolean
  max_len?: number | null
  unit?: string | null
}

export interface IdTemplate {
  id: string
  version: string
  shipped: boolean
  name: LocalText
  description: LocalText
  industry: string | null
  active_carrier: boolean
  fields: TemplateField[]
  created_at: string
}

export interface TemplateRef {
  id: string
  version: string
}

export interface HandleValue {
  index: number
  type: string
  data: string | { format: string; value: unknown }
  ttl?: number
  timestamp?: string
  /** Absent for public values; `"1100"` for administrators only. */
  permissions?: string
}

export interface Identifier {
  handle: string
  prefix: string
  template: TemplateRef | null
  values: HandleValue[]
  created_at: string
  updated_at: string
}

export type LinkKind = 'component' | 'batch' | 'shipment' | 'device'
export const LINK_KINDS: LinkKind[] = ['component', 'batch', 'shipment', 'device']

export interface TraceNode {
  handle: string
  own: boolean
  /** Its owner granted the reader its values that are not public. */
  granted: boolean
  template: TemplateRef | null
  values: HandleValue[]
}
/** Another tenant allowed to see the values that are not public under a scope. */
export interface IdGrant {
  /** A prefix, or one identifier. */
  scope: string
  reader_tenant_id: string
  /** The reader's tenant code. */
  reader: string
  created_at: string
}
export interface TraceEdge {
  parent: string
  child: string
  kind: LinkKind
}
export interface Trace {
  root: string
  nodes: TraceNode[]
  edges: TraceEdge[]
  truncated: boolean
}

export interface BatchItem {
  handle: string
  outcome: 'created' | 'exists' | 'invalid'
  error: string | null
}
export interface BatchResult {
  created: number
  existing: number
  invalid: number
  items: BatchItem[]
}

/** Most identifiers in one batch request (the server's limit). */
export const MAX_BATCH = 2000

/** A job registering the identifiers of an uploaded file in the background. */
export interface IdImport {
  id: string
  format: 'csv' | 'ndjson'
  template: { id: string; version: string } | null
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled'
  total_bytes: number
  bytes_read: number
  row: number
  rows_read: number
  created: number
  existing: number
  invalid: number
  /** The first 100 rows refused (a CSV file's header is row 1). */
  errors: { row: number; message: LocalText }[]
  failure: LocalText | null
  created_by: string
  created_at: string
  started_at: string | null
  finished_at: string | null
  rows_per_second: number
}
/** Most labels on one request for label sheets. */
export const MAX_LABELS = 240

/** The template chosen in a form (machinery-part, or the first, once the templates are there). */
export function templateChoice(templates: () => IdTemplate[]): { chosen: Ref<string>; template: Ref<IdTemplate | null> } {
  const chosen = ref('')
  watch(
    templates,
    (ts) => {
      if (!chosen.value && ts.length) chosen.value = templateKey(ts.find((x) => x.id === 'machinery-part') ?? ts[0]!)
    },
    { immediate: true },
  )
  const template = computed(() => templates().find((x) => templateKey(x) === chosen.value) ?? null)
  return { chosen, template }
}

/** An identifier's API path: `/identifiers/88.118.8%2FP-1`. */
export function idPath(handle: string, tail = ''): string {
  return `/identifiers/${encodeURIComponent(handle)}${tail}`
}

/** The console's trace page of a handle. */
export function traceRoute(handle: string) {
  return { name: 'identifier-trace', params: { handle } }
}

/** The public resolution page of a handle (where QR codes point). */
export function resolveRoute(handle: string) {
  const i = handle.indexOf('/')
  return { name: 'resolve', params: { prefix: handle.slice(0, i), suffix: handle.slice(i + 1) } }
}

export function localText(v: LocalText | null | undefined): string {
  if (!v) return ''
  return (locale.value === 'zh-CN' ? v['zh-CN'] : v.en) || v.en || v['zh-CN'] || ''
}

/** A value's data as text (a string, or the value of `{format, value}`). */
export function valueText(v: HandleValue): string {
  const d = v.data
  if (typeof d === 'string') return d
  if (d && typeof d === 'object') {
    const x = d.value
    return typeof x === 'string' ? x : JSON.stringify(x)
  }
  return ''
}

/** Whether anyone resolving the identifier sees the value. */
export function isPublic(v: HandleValue): boolean {
  return !v.permissions || v.permissions.charAt(2) === '1'
}

export const templateKey = (t: TemplateRef) => `${t.id}@${t.version}`

/** The field's label in the current language, with its unit. */
export function fieldLabel(f: TemplateField): string {
  const l = localText(f.label) || f.name
  return f.unit ? `${l} (${f.unit})` : l
}

/** What the browser finds wrong with a field's text (a message key and its parameters), or null. */
export function checkField(f: TemplateField, text: string): { key: string; params?: Record<string, string | number> } | null {
  const v = text.trim()
  if (!v) return f.required ? { key: 'identifiers.check.required' } : null
  if (f.max_len && [...v].length > f.max_len) return { key: 'identifiers.check.tooLong', params: { max: f.max_len } }
  const ok = (() => {
    switch (f.type) {
      case 'string':
        return true
      case 'integer':
        return /^[+-]?\d+$/.test(v)
      case 'number':
        return v !== '' && Number.isFinite(Number(v)) && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)
      case 'date': {
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v)
        if (!m) return false
        const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!))
        return d.getUTCMonth() === +m[2]! - 1 && d.getUTCDate() === +m[3]!
      }
      case 'datetime':
        return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v))
      case 'url':
        return /^https?:\/\/\S+$/i.test(v)
      case 'handle':
        return /^[^/\s]+\/\S.*$/.test(v)
      case 'boolean':
        return v === 'true' || v === 'false'
    }
  })()
  return ok ? null : { key: `identifiers.check.type.${f.type}` }
}

/**
 * The values of a template's fields (by name) and extra free values, in the REST form.
 * Empty fields are left out.
 */
export function valuesOf(t: IdTemplate | null, fields: Record<string, string>, extra: { index: number; type: string; value: string; public: boolean }[]): HandleValue[] {
  const out: HandleValue[] = []
  for (const f of t?.fields ?? []) {
    const v = (fields[f.name] ?? '').trim()
    if (v) out.push({ index: f.index, type: f.name, data: v })
  }
  for (const x of extra) {
    if (!x.type.trim()) continue
    const v: HandleValue = { index: x.index, type: x.type.trim(), data: x.value }
    if (!x.public) v.permissions = '1100'
    out.push(v)
  }
  return out
}

/**
 * The server's error of an identifier form at its field: `values.made_on: must be …` →
 * `{ made_on: 'must be …' }`; `handle: …` → `{ handle }`; `values[3].type: …` →
 * `{ 'extra.3': … }` (the value's position among those sent); anything else under ''.
 */
export function identifierError(message: string, sent: HandleValue[] = [], extraStart = 0): Record<string, string> {
  const m = /^([\w.[\]-]+)\s*[:：]\s*(.+)$/s.exec(message)
  if (!m) return { '': message }
  const [, field, text] = m as unknown as [string, string, string]
  if (field.startsWith('values.')) return { [field.slice('values.'.length)]: text }
  const at = /^values\[(\d+)\]/.exec(field)
  if (at) {
    const i = Number(at[1])
    if (i >= extraStart && i < sent.length) return { [`extra.${i - extraStart}`]: text }
    const v = sent[i]
    if (v) return { [v.type]: text }
  }
  if (field === 'handle' || field === 'template' || field === 'values') return { [field]: text }
  return { '': message }
}

/** A file name from a handle. */
export const fileName = (handle: string) => handle.replace(/[^\w.-]+/g, '_')
