// The model library as the console reads it: cards, their ports and names in both
// languages, shared by the library page, product bindings and jobs over history.
import { api, type Page } from './api'
import { locale } from './i18n'

export interface Text {
  en: string
  'zh-CN': string
}
export interface Port {
  name: string
  label: Text
  unit: string
  min: number | null
  max: number | null
  choices?: string[]
  default?: number
  shape?: 'series' | 'text'
}
export interface Card {
  id: string
  version: number
  name: Text
  summary: Text
  kind: string
  industries: string[]
  domains: string[]
  inputs: Port[]
  outputs: Port[]
  formula: Text
  references: { source: string; locator: string }[]
}
export interface Summary {
  id: string
  version: number
  name: string
  summary: string
  kind: string
  kind_name: string
  industries: string[]
  domains: string[]
  reference: string
}

/** A text in the console's language. */
export function pick(text: Text): string {
  return locale.value === 'zh-CN' ? text['zh-CN'] : text.en
}

export async function card(id: string): Promise<Card> {
  return (await api.get<{ card: Card }>(`/models/${encodeURIComponent(id)}`)).card
}

/** Every model (or only algorithms or mechanism models), for a chooser. */
export async function summaries(kind?: string): Promise<Summary[]> {
  const out: Summary[] = []
  for (let page = 1; ; page++) {
    const r = await api.get<Page<Summary>>('/models', { page, page_size: 200, kind })
    out.push(...r.items)
    if (out.length >= r.total || r.items.length === 0) return out
  }
}
