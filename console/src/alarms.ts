// What the console shows of an alarm besides its fields: the severities in order with
// their colours, and a readable title (the name of the rule that raised it; the alarm
// type is a code).
import { reactive } from 'vue'
import { api, type Page } from './api'
import { can } from './session'
import type { Alarm } from './types'

export const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'indeterminate'] as const
export type Severity = (typeof SEVERITIES)[number]

/** Colours of the severities on charts and the site plan. */
export const SEVERITY_COLORS: Record<string, string> = {
  critical: '#b4232a',
  major: '#f56c6c',
  minor: '#e6a23c',
  warning: '#eebe77',
  indeterminate: '#909399',
}

/** Element Plus tag type of a severity. */
export const tagType = (s: string) => (s === 'critical' || s === 'major' ? 'danger' : s === 'minor' ? 'warning' : 'info')

// Rule names by id; read once, and again when an alarm names a rule not read yet.
const ruleNames = reactive<Record<string, string>>({})
const asked = new Set<string>()
let reading: Promise<void> | null = null

function readRuleNames(): Promise<void> {
  reading ??= api
    .get<Page<{ id: string; document: { name: string } }>>('/rules', { page_size: 500 })
    .then((r) => {
      for (const x of r.items) ruleNames[x.id] = x.document.name
    })
    .catch(() => undefined)
    .finally(() => (reading = null))
  return reading
}

/** Makes sure the titles of these alarms are known (reads the rules when one is new). */
export async function knowRules(alarms: Array<Pick<Alarm, 'rule_id'>>): Promise<void> {
  if (!can('rule:read')) return
  const unknown = alarms.map((a) => a.rule_id).filter((id): id is string => !!id && !(id in ruleNames) && !asked.has(id))
  if (unknown.length === 0) return
  for (const id of unknown) asked.add(id)
  await readRuleNames()
}

/** An alarm's title: its rule's name, else its type. */
export function alarmTitle(a: Pick<Alarm, 'alarm_type' | 'rule_id'>): string {
  return (a.rule_id && ruleNames[a.rule_id]) || a.alarm_type
}
