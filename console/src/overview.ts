// The overview's trends over a recent range, in steps (bucket starts `times`): values
// stored per step, alarms active per step by severity, and devices online at the end of
// each step. Pure functions of what the API answers.
import type { Alarm, Device } from './types'

/** Bucket starts from `from` to `to` (exclusive), `step` ms apart. */
export function bucketStarts(from: number, to: number, step: number): number[] {
  const out: number[] = []
  for (let t = from; t < to; t += step) out.push(t)
  return out
}

/**
 * Values stored per bucket: the `count` aggregate of every series (the platform's own
 * `$events` and `$errors` logs left out), summed across series.
 */
export function storedPerBucket(
  series: Array<{ property: string; windows: Array<{ ts: number; values: Array<number | null> }> }>,
  times: number[],
  step: number,
): number[] {
  const out = times.map(() => 0)
  const from = times[0] ?? 0
  for (const s of series) {
    if (s.property.startsWith('$')) continue
    for (const w of s.windows) {
      const i = Math.floor((w.ts - from) / step)
      if (i >= 0 && i < out.length) out[i] = (out[i] ?? 0) + (w.values[0] ?? 0)
    }
  }
  return out
}

/** Alarms of one severity active at some time during each bucket. */
export function activePerBucket(alarms: Alarm[], severity: string, times: number[], step: number, now: number): number[] {
  const spans = alarms
    .filter((a) => a.severity === severity)
    .map((a) => [new Date(a.start_ts).getTime(), a.end_ts ? new Date(a.end_ts).getTime() : now] as const)
  return times.map((t) => spans.filter(([start, end]) => start < t + step && end >= t).length)
}

/** One transition of a device's connection, from its event log. */
export interface Transition {
  ts: number
  online: boolean
}

/**
 * Devices online at the end of each bucket. A device whose state has not changed since
 * `from` (its last connect and disconnect are older) counts as it is now; the others
 * follow their transitions since `from`, oldest to newest.
 */
export function onlinePerBucket(
  devices: Device[],
  transitions: Record<string, Transition[]>,
  times: number[],
  step: number,
): number[] {
  return times.map((t) => {
    const at = t + step
    let n = 0
    for (const d of devices) {
      const changes = transitions[d.id]
      if (!changes || changes.length === 0) {
        if (d.status.online) n++
        continue
      }
      // The state at `at`: that of the last transition before it, else the opposite of
      // the first one (the state it changed from).
      let state = !changes[0]!.online
      for (const c of changes) {
        if (c.ts > at) break
        state = c.online
      }
      if (state) n++
    }
    return n
  })
}

/** Whether a device's connection changed since `from` (so its event log is needed). */
export function changedSince(d: Device, from: number): boolean {
  const times = [d.status.last_connected_at, d.status.last_disconnected_at]
  return times.some((x) => x !== null && new Date(x).getTime() >= from)
}
