// The REST API (`/api/v1`): the session's bearer token, the chosen language (the server
// answers errors in it), and errors as `ApiError` with the server's code and message.
import { locale, t } from './i18n'

const TOKEN_KEY = 'ironloom.token'

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    /** The whole body, for answers that carry more than an error (an import report). */
    public data?: unknown,
  ) {
    super(message)
  }
}

export interface Page<T> {
  items: T[]
  total: number
  page: number
  page_size: number
}

let onUnauthorized: () => void = () => {}

/** What to do when the session is no longer valid (the router sends the user to log in). */
export function whenUnauthorized(f: () => void) {
  onUnauthorized = f
}

export function token(): string | null {
  return localStorage.getItem(TOKEN_KEY)
}

export function setToken(v: string | null) {
  if (v) localStorage.setItem(TOKEN_KEY, v)
  else localStorage.removeItem(TOKEN_KEY)
}

type Query = Record<string, string | number | boolean | undefined | null>

function url(path: string, query?: Query): string {
  const u = new URL(`/api/v1${path}`, window.location.origin)
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v))
  }
  return u.pathname + u.search
}

export function headers(extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { 'Accept-Language': locale.value, ...extra }
  const tk = token()
  if (tk) h.Authorization = `Bearer ${tk}`
  return h
}

export async function request<T>(
  method: string,
  path: string,
  opts: { query?: Query; body?: unknown; raw?: BodyInit; contentType?: string } = {},
): Promise<T> {
  const extra: Record<string, string> = {}
  let body: BodyInit | undefined
  if (opts.raw !== undefined) {
    body = opts.raw
    if (opts.contentType) extra['Content-Type'] = opts.contentType
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    extra['Content-Type'] = 'application/json'
  }
  let res: Response
  try {
    res = await fetch(url(path, opts.query), { method, headers: headers(extra), body })
  } catch {
    throw new ApiError(0, 'network', t('common.networkError'))
  }
  // A wrong password (logging in, or confirming one's own to change it) is not an expired
  // session.
  if (res.status === 401 && path !== '/auth/login' && path !== '/auth/password') {
    setToken(null)
    onUnauthorized()
  }
  const text = await res.text()
  let data: unknown = undefined
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  if (!res.ok) {
    const e = (data ?? {}) as { code?: string; message?: string }
    throw new ApiError(res.status, e.code ?? `http_${res.status}`, e.message ?? res.statusText, data)
  }
  return data as T
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown, query?: Query) =>
    request<T>('POST', path, { body, query }),
  put: <T>(path: string, body?: unknown, query?: Query) =>
    request<T>('PUT', path, { body, query }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  del: <T>(path: string) => request<T>('DELETE', path),
}

/**
 * Reads a server-sent event stream (`/api/v1/…/stream`) with the session's token, calling
 * `onEvent(name, data)` for each event until `signal` aborts. Reconnects after a dropped
 * connection (with a pause), so a live view survives a server restart.
 */
export async function streamEvents(
  path: string,
  onEvent: (name: string, data: unknown) => void,
  signal: AbortSignal,
  onState?: (connected: boolean) => void,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await fetch(`/api/v1${path}`, { headers: headers(), signal })
      if (res.status === 401) {
        setToken(null)
        onUnauthorized()
        return
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`)
      onState?.(true)
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buf = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buf += value
        let end: number
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end)
          buf = buf.slice(end + 2)
          let name = 'message'
          let data = ''
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) name = line.slice(6).trim()
            else if (line.startsWith('data:')) data += line.slice(5).trim()
          }
          if (!data) continue
          try {
            onEvent(name, JSON.parse(data))
          } catch {
            onEvent(name, data)
          }
        }
      }
    } catch {
      if (signal.aborted) return
    }
    onState?.(false)
    await new Promise((r) => setTimeout(r, 2000))
  }
}
