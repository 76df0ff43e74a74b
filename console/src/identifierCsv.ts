// Batch registration from CSV: a header `handle` plus one column per field name of the
// chosen template (other columns are extra values of that type, public, numbered after
// the template's indices), read as RFC 4180 (quoted cells, commas and line breaks in
// them, a BOM from Excel), each row checked in the browser as the server would.
import { checkField, type HandleValue, type IdTemplate } from './identifiers'

/** Rows of cells from CSV text (commas or, for spreadsheets set up that way, semicolons or tabs). */
export function parseCsv(text: string): string[][] {
  const src = text.replace(/^\uFEFF/, '')
  const firstLine = src.split(/\r?\n/, 1)[0] ?? ''
  const sep = [',', ';', '\t'].sort((a, b) => firstLine.split(b).length - firstLine.split(a).length)[0]!
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"' && cell === '') quoted = true
    else if (c === sep) {
      row.push(cell)
      cell = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else cell += c
  }
  if (cell !== '' || row.length) {
    row.push(cell)
    rows.push(row)
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ''))
}

/** A problem the browser found in a row: a message key and its parameters. */
export interface RowProblem {
  key: string
  params?: Record<string, string | number>
}

export interface CsvRow {
  /** The line in the file (the header is line 1). */
  line: number
  handle: string
  values: HandleValue[]
  problems: RowProblem[]
}

export interface CsvReading {
  /** A problem of the whole file (no `handle` column, no rows). */
  problem: RowProblem | null
  columns: string[]
  /** Columns the template does not name (sent as extra values). */
  extra: string[]
  rows: CsvRow[]
}

/** Reads CSV text for a template; `prefixes` are the tenant's (upper-cased). */
export function readBatch(text: string, template: IdTemplate, prefixes: string[]): CsvReading {
  const table = parseCsv(text)
  const header = (table[0] ?? []).map((h) => h.trim())
  const lower = header.map((h) => h.toLowerCase())
  const at = lower.indexOf('handle')
  if (at < 0) return { problem: { key: 'identifiers.batch.noHandleColumn' }, columns: header, extra: [], rows: [] }
  if (table.length < 2) return { problem: { key: 'identifiers.batch.noRows' }, columns: header, extra: [], rows: [] }
  const fieldAt = new Map(template.fields.map((f) => [f.name.toLowerCase(), f]))
  const extra = header.filter((h, i) => i !== at && h && !fieldAt.has(h.toLowerCase()))
  let next = Math.max(1999, ...template.fields.map((f) => f.index)) + 1
  const extraIndex = new Map(extra.map((h) => [h, next++]))
  const seen = new Set<string>()
  const rows = table.slice(1).map((cells, k) => {
    const handle = (cells[at] ?? '').trim()
    const problems: RowProblem[] = []
    const slash = handle.indexOf('/')
    if (!handle) problems.push({ key: 'identifiers.batch.noHandle' })
    else if (slash <= 0 || slash === handle.length - 1) problems.push({ key: 'identifiers.batch.badHandle' })
    else if (!prefixes.includes(handle.slice(0, slash).toUpperCase())) problems.push({ key: 'identifiers.batch.notYourPrefix', params: { prefix: handle.slice(0, slash) } })
    const canonical = slash > 0 ? `${handle.slice(0, slash).toUpperCase()}${handle.slice(slash)}` : handle
    if (handle && seen.has(canonical)) problems.push({ key: 'identifiers.batch.twice' })
    seen.add(canonical)
    const byName: Record<string, string> = {}
    header.forEach((h, i) => {
      if (i !== at) byName[h.toLowerCase()] = (cells[i] ?? '').trim()
    })
    const values: HandleValue[] = []
    for (const f of template.fields) {
      const v = byName[f.name.toLowerCase()] ?? ''
      const wrong = checkField(f, v)
      if (wrong) problems.push({ key: 'identifiers.batch.fieldProblem', params: { field: f.name, problem: wrong.key, max: wrong.params?.max ?? '' } })
      if (v) values.push({ index: f.index, type: f.name, data: v })
    }
    for (const h of extra) {
      const v = byName[h.toLowerCase()] ?? ''
      if (v) values.push({ index: extraIndex.get(h)!, type: h, data: v })
    }
    return { line: k + 2, handle, values, problems }
  })
  return { problem: null, columns: header, extra, rows }
}

/** A sample CSV for a template: the header and one row. */
export function sampleCsv(template: IdTemplate, prefix: string): string {
  const example = (type: string) =>
    ({ integer: '1', number: '1.5', date: '2026-11-30', datetime: '2026-11-30T08:00:00+08:00', url: 'https://example.com/doc', handle: `${prefix}/OTHER-1`, boolean: 'true' })[type] ?? 'text'
  const header = ['handle', ...template.fields.map((f) => f.name)]
  const row = [`${prefix}/SAMPLE-0001`, ...template.fields.map((f) => (f.required ? example(f.type) : ''))]
  return `${header.join(',')}\n${row.join(',')}\n`
}
