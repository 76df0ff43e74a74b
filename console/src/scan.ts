// Scanning identifiers in the browser: QR codes and Data Matrix read by zxing-wasm (its
// WebAssembly module served from this console's own assets, never a CDN), and what was
// read told apart as the server's `schemes::detect` does (crates/identifiers): one of our
// resolution URLs (`…/r/{prefix}/{suffix}`), a Handle (`prefix/suffix`, `hdl:`), a GS1
// Digital Link URI, a GS1 element string (`(01)…(10)…`, or raw after `]C1`/`]d2`/`]Q3`
// with GS separators), a GTIN or SSCC with its check digit. The GS1 reading here is for
// showing what a code is; the server keeps the full application identifier table.
import wasmUrl from 'zxing-wasm/reader/zxing_reader.wasm?url'

export interface Decoded {
  format: string
  text: string
  symbology: string
}

let prepared: Promise<typeof import('zxing-wasm/reader')> | undefined

/** The reader, loaded once on first use (the module is about 1 MB). */
function reader() {
  prepared ??= import('zxing-wasm/reader').then((z) => {
    z.prepareZXingModule({
      overrides: {
        locateFile: (path: string, prefix: string) => (path.endsWith('.wasm') ? wasmUrl : prefix + path),
      },
      fireImmediately: false,
    })
    return z
  })
  return prepared
}

/** The codes in an image (a file or a camera frame), QR codes and Data Matrix first. */
export async function decode(input: Blob | ImageData): Promise<Decoded[]> {
  const z = await reader()
  const options = { formats: ['QRCode', 'DataMatrix', 'MicroQRCode', 'EAN13', 'EAN8', 'UPCA', 'Code128', 'DataBar', 'DataBarExp'] as const, tryHarder: true, maxNumberOfSymbols: 4 }
  const found = input instanceof Blob ? await z.readBarcodes(input, { ...options, formats: [...options.formats] }) : await z.readBarcodes(input, { ...options, formats: [...options.formats] })
  return found.filter((r) => r.isValid).map((r) => ({ format: r.format, text: r.text, symbology: r.symbologyIdentifier }))
}

export interface Gs1Element {
  ai: string
  value: string
}

export type Scanned =
  | { kind: 'resolution'; handle: string; url: string }
  | { kind: 'handle'; handle: string }
  | { kind: 'digital-link'; url: string; elements: Gs1Element[] }
  | { kind: 'element-string'; elements: Gs1Element[] }
  | { kind: 'gtin'; key: string; valid: boolean }
  | { kind: 'sscc'; key: string; valid: boolean }
  | { kind: 'unknown'; text: string }

const GS = '\u001d'

/** The mod-10 check digit of a GS1 key (GTIN, SSCC, GLN) holds. */
export function checkDigitHolds(key: string): boolean {
  if (!/^\d{8,18}$/.test(key)) return false
  const digits = [...key].map(Number)
  const check = digits.pop()!
  const sum = digits.reverse().reduce((s, d, i) => s + d * (i % 2 === 0 ? 3 : 1), 0)
  return (10 - (sum % 10)) % 10 === check
}

// Application identifiers whose data has a fixed length (without the AI), and how long
// an AI is by its first two digits (GS1 General Specifications §3.2, §7.8.5).
const FIXED: Record<string, number> = { '00': 18, '01': 14, '02': 14, '03': 14, '04': 16, '11': 6, '12': 6, '13': 6, '14': 2, '15': 6, '16': 6, '17': 6, '18': 6, '19': 6, '20': 2, '31': 6, '32': 6, '33': 6, '34': 6, '35': 6, '36': 6, '41': 13 }
function aiLength(two: string): number {
  const n = Number(two)
  if (n <= 22 || n === 30 || n === 37 || n >= 90) return 2
  if ((n >= 23 && n <= 29) || (n >= 40 && n <= 49)) return 3
  return 4
}

/** The elements of a raw GS1 string (AIs without brackets, GS after variable-length data). */
function parseRaw(raw: string): Gs1Element[] | null {
  const out: Gs1Element[] = []
  let s = raw.replace(/^\]([A-Za-z]\d)/, '').replace(new RegExp(`^${GS}+`), '')
  while (s.length) {
    if (s.startsWith(GS)) {
      s = s.slice(1)
      continue
    }
    const ai = s.slice(0, aiLength(s.slice(0, 2)))
    if (!/^\d+$/.test(ai) || ai.length < 2) return null
    const fixed = FIXED[ai.slice(0, 2)]
    let value: string
    if (fixed !== undefined) {
      value = s.slice(ai.length, ai.length + fixed)
      if (value.length !== fixed) return null
      s = s.slice(ai.length + fixed)
    } else {
      const end = s.indexOf(GS, ai.length)
      value = end < 0 ? s.slice(ai.length) : s.slice(ai.length, end)
      s = end < 0 ? '' : s.slice(end + 1)
    }
    out.push({ ai, value })
  }
  return out.length ? out : null
}

/** The elements of a human-readable element string `(01)…(10)…`. */
function parseHri(s: string): Gs1Element[] | null {
  const out: Gs1Element[] = []
  const re = /\((\d{2,4})\)([^(]*)/y
  let end = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(s))) {
    out.push({ ai: m[1]!, value: m[2]! })
    end = re.lastIndex
  }
  return out.length && end === s.length ? out : null
}

// The primary keys a Digital Link's path may start with (GS1 Digital Link 1.2 §4).
const PRIMARY_KEYS = new Set(['01', '00', '253', '255', '401', '402', '414', '417', '8003', '8004', '8006', '8010', '8013', '8017', '8018'])

function digitalLink(u: URL): Gs1Element[] | null {
  const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent)
  const at = parts.findIndex((p, i) => PRIMARY_KEYS.has(p) && i + 1 < parts.length)
  if (at < 0) return null
  const out: Gs1Element[] = []
  for (let i = at; i + 1 < parts.length; i += 2) {
    if (!/^\d{2,4}$/.test(parts[i]!)) return null
    out.push({ ai: parts[i]!, value: parts[i + 1]! })
  }
  u.searchParams.forEach((v, k) => {
    if (/^\d{2,4}$/.test(k)) out.push({ ai: k, value: v })
  })
  return out
}

/** What a scanned text is (see the top of this file). */
export function classify(input: string): Scanned {
  const s = input.replace(/^[\s]+|[\s]+$/g, '')
  if (/^https?:\/\//i.test(s)) {
    let u: URL
    try {
      u = new URL(s)
    } catch {
      return { kind: 'unknown', text: s }
    }
    const dl = digitalLink(u)
    if (dl) return { kind: 'digital-link', url: s, elements: dl }
    // `/r/{prefix}/{suffix}` (ours) or `/api/handles/{prefix}/{suffix}` (the REST API).
    const path = u.pathname
    const m = /\/(?:r|api\/handles)\/([^/]+)\/(.+)$/.exec(path)
    if (m && /^\d/.test(m[1]!)) {
      const handle = `${decodeURIComponent(m[1]!)}/${m[2]!.split('/').map(decodeURIComponent).join('/')}`
      return { kind: 'resolution', handle, url: s }
    }
    return { kind: 'unknown', text: s }
  }
  if (/^hdl:/i.test(s)) return { kind: 'handle', handle: s.slice(4) }
  if (s.startsWith('(')) {
    const e = parseHri(s)
    return e ? { kind: 'element-string', elements: e } : { kind: 'unknown', text: s }
  }
  if (s.startsWith(']') || s.includes(GS)) {
    const e = parseRaw(s)
    return e ? { kind: 'element-string', elements: e } : { kind: 'unknown', text: s }
  }
  if (/^\d+$/.test(s)) {
    if ([8, 12, 13, 14].includes(s.length)) return { kind: 'gtin', key: s.padStart(14, '0'), valid: checkDigitHolds(s) }
    if (s.length === 18) return { kind: 'sscc', key: s, valid: checkDigitHolds(s) }
    const e = parseRaw(s)
    return e ? { kind: 'element-string', elements: e } : { kind: 'unknown', text: s }
  }
  const slash = s.indexOf('/')
  if (slash > 0 && slash < s.length - 1 && !/\s/.test(s.slice(0, slash))) return { kind: 'handle', handle: s }
  return { kind: 'unknown', text: s }
}
