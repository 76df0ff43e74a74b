// Files in and out of the browser: reading a chosen file, saving a download.
import { ApiError, headers } from './api'

/** The text of the file chosen in an `<input type="file">` (undefined when none). */
export async function chosenText(ev: Event): Promise<string | undefined> {
  return (ev.target as HTMLInputElement).files?.[0]?.text()
}

/** Offers `blob` to the user as a download named `name`. */
export function saveBlob(blob: Blob, name: string) {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name
  a.click()
  // The click has handed the blob to the download; the address is no longer needed.
  setTimeout(() => URL.revokeObjectURL(a.href), 0)
}

/**
 * Downloads an API answer (`/api/v1…` path with its query) with the session's token and
 * saves it, named as the server's Content-Disposition says or else `fallback`. Errors
 * come back as ApiError with the server's message.
 */
export async function download(path: string, fallback: string): Promise<void> {
  const res = await fetch(`/api/v1${path}`, { headers: headers() })
  if (!res.ok) {
    const e = (await res.json().catch(() => ({}))) as { code?: string; message?: string }
    throw new ApiError(res.status, e.code ?? `http_${res.status}`, e.message ?? res.statusText)
  }
  const disposition = res.headers.get('content-disposition') ?? ''
  const named = /filename="?([^";]+)"?/.exec(disposition)?.[1]
  saveBlob(await res.blob(), named ?? fallback)
}

/** CSV text of rows of cells (RFC 4180: cells with commas, quotes or line breaks quoted). */
export function toCsv(rows: string[][]): string {
  const cell = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'
}
