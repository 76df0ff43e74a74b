// A dry run's steps in words: the values the condition read, and each effect ("Raise
// alarm bearing_warm (Warning): bearing_temp = 57.2") instead of raw JSON.
import { formatNumber, label, t } from './i18n'

const text = (v: unknown): string =>
  v === null || v === undefined ? '—' : typeof v === 'number' ? formatNumber(v, 3) : typeof v === 'string' ? v : JSON.stringify(v)

/** "name = value" for each entry of an object. */
export function pairs(o: unknown): string[] {
  if (o === null || o === undefined || typeof o !== 'object') return []
  return Object.entries(o as Record<string, unknown>).map(([k, v]) => `${k} = ${text(v)}`)
}

/** One effect of a dry run, in words. */
export function describeEffect(e: Record<string, unknown>): string {
  const extra = (o: unknown) => {
    const p = pairs(o)
    return p.length ? `: ${p.join(', ')}` : ''
  }
  switch (e.action) {
    case 'alarm':
      return t('rules.effect.alarm', { type: text(e.alarm_type), severity: label('severity', e.severity) }) + extra(e.details)
    case 'clear_alarm':
      return t('rules.effect.clearAlarm', { type: text(e.alarm_type) })
    case 'command': {
      const target = e.device ? t('rules.effect.toDevice', { device: text(e.device) }) : ''
      return e.properties
        ? t('rules.effect.write', { target }) + extra(e.properties)
        : t('rules.effect.command', { method: text(e.method), target }) + extra(e.params)
    }
    case 'webhook':
      return t('rules.effect.webhook', { url: text(e.url) })
    case 'republish':
      return t('rules.effect.republish', { topic: text(e.topic) })
    case 'telemetry':
      return t('rules.effect.telemetry', { property: text(e.property), value: text(e.value) })
    case 'rule':
      return t('rules.effect.rule', { rule: text(e.rule) })
    default:
      return JSON.stringify(e)
  }
}
