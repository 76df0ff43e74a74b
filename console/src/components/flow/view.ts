// What the flow view shows on its nodes besides their fields: problems (the editor's own
// and the server's) and a dry run's values for the chosen message.
import { reactive, type InjectionKey } from 'vue'
import { formatNumber, label, t } from '../../i18n'
import { formatModel, type NodeData, type Obj } from '../../flow'

export interface FlowMarks {
  problems: Record<string, string[]>
  results: Record<string, string[]>
  fired: Record<string, boolean>
}
export const MARKS: InjectionKey<FlowMarks> = Symbol('flow-marks')

export const show = (v: unknown): string =>
  v === null || v === undefined ? '—' : typeof v === 'number' ? formatNumber(v, 3) : typeof v === 'string' ? v : JSON.stringify(v)

/** A node's title. */
export function title(d: NodeData): string {
  if (d.kind === 'source') return t(`flow.field.${d.field ?? 'products'}`)
  if (d.kind === 'window') return `${t('flow.kind.window')} · ${t(`flow.fn.${String(d.window?.fn ?? 'avg')}`)}`
  if (d.kind === 'action') return t(`flow.action.${String(d.action?.type ?? 'alarm')}`)
  return t(`flow.kind.${d.kind}`)
}

/** A node's fields in a line or two. */
export function summary(d: NodeData): string[] {
  switch (d.kind) {
    case 'source':
      return [d.values?.length ? d.values.join(', ') : t('flow.any')]
    case 'filter':
      return [d.expr || '…']
    case 'window': {
      const w = d.window ?? {}
      const len = w.seconds !== undefined ? `${w.seconds} s` : `${show(w.count)} ${t('flow.panel.samples')}`
      return [`${w.name || '…'} = ${w.fn}(${w.of || '…'})`, `${len} · ${t(`flow.panel.${w.kind === 'tumbling' ? 'tumbling' : 'sliding'}`)}`]
    }
    case 'model':
      return d.model?.id ? [formatModel(d.model)] : ['…']
    case 'condition': {
      const c = d.condition ?? {}
      const out = [String(c.expr || '…')]
      if (c.for_samples) out.push(`${t('rules.hold')} ${c.for_samples} ${t('flow.panel.samples')}`)
      if (c.for_seconds) out.push(`${t('rules.hold')} ${c.for_seconds} s`)
      if (c.no_data_seconds) out.push(`${t('rules.noData')}: ${c.no_data_seconds}`)
      return out
    }
    case 'action':
      return actionSummary(d.action ?? {})
  }
}

function actionSummary(a: Obj): string[] {
  switch (a.type) {
    case 'alarm':
      return [`${a.alarm_type || '…'} · ${label('severity', a.severity)}`, ...(a.clear_when ? [`${t('flow.clearWhen')}: ${a.clear_when}`] : [])]
    case 'clear_alarm':
      return [String(a.alarm_type || '…')]
    case 'command':
      return [a.properties ? JSON.stringify(a.properties) : `${a.method || '…'}(${a.params ? JSON.stringify(a.params) : ''})`, ...(a.device ? [`→ ${a.device}`] : [])]
    case 'webhook':
      return [String(a.url || '…')]
    case 'republish':
      return [`rules/${a.topic || '…'}`]
    case 'telemetry':
      return [`${a.property || '…'} = ${a.expr || '…'}`]
    case 'app':
      return [a.installation ? installationNames[String(a.installation)] ?? String(a.installation) : '…']
    default:
      return [String(a.rule || '…')]
  }
}

/** Installation id → name, for the app actions' summaries (filled by the panel). */
export const installationNames = reactive<Record<string, string>>({})

/** The type of the palette's drag data. */
export const DRAG_TYPE = 'application/x-ironloom-flow'
