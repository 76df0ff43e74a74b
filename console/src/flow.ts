// The flow editor's model: a rule document (docs/rules.md) as a graph of nodes and back.
// Sources feed a chain of filters, windows and model calls that ends in the condition;
// the condition fans out to the actions. The condition's expression is the chain's
// terms joined with ` && `, in chain order. Pure functions only (no Vue, no i18n), so
// tests/flow.test.mjs runs them under Node.

export type Kind = 'source' | 'filter' | 'window' | 'model' | 'condition' | 'action'
export type SourceField = 'products' | 'devices' | 'groups' | 'properties' | 'events'
export const SOURCE_FIELDS: SourceField[] = ['products', 'devices', 'groups', 'properties', 'events']
export const WINDOW_FNS = ['avg', 'min', 'max', 'sum', 'count', 'stddev', 'ewma', 'zscore', 'cusum_high', 'cusum_low', 'band_energy']
export const ACTION_TYPES = ['alarm', 'clear_alarm', 'command', 'webhook', 'republish', 'telemetry', 'rule', 'app']
export const OPS = ['>', '>=', '<', '<=', '==', '!=']

export type Obj = Record<string, unknown>
export interface ModelCall {
  id: string
  output: string
  args: string[]
  /** A comparison with `value`, or '' for a call that is itself true or false. */
  op: string
  value: string
}
export interface NodeData {
  kind: Kind
  /** source: which list, and its entries (empty: any). */
  field?: SourceField
  values?: string[]
  /** filter: one term of the condition. */
  expr?: string
  /** window: the window as in the document. */
  window?: Obj
  model?: ModelCall
  /** condition: expr, for_samples, for_seconds, no_data_seconds. */
  condition?: Obj
  /** action: the action as in the document. */
  action?: Obj
}
export interface FlowNode {
  id: string
  type: string
  position: { x: number; y: number }
  data: NodeData
}
export interface FlowEdge {
  id: string
  source: string
  target: string
}
export interface Meta {
  name: string
  description?: string
  enabled: boolean
  /** source.telemetry as the document had it (false: events only). */
  telemetry?: boolean
}
export interface Graph {
  meta: Meta
  nodes: FlowNode[]
  edges: FlowEdge[]
}
/** A problem the editor finds itself: on a node, or (no node) of the whole flow. */
export interface LocalProblem {
  node?: string
  key: string
}
/** Where each part of the document came from, for placing the server's answers. */
export interface Index {
  sources: Partial<Record<SourceField, string>>
  firstSource?: string
  windows: string[]
  windowNames: Record<string, string>
  terms: { node: string; start: number; end: number }[]
  condition?: string
  actions: string[]
}

const COL = 250
const ROW = 120

// ---- expressions: splitting at the top level ---------------------------------------

/** Splits `text` at each `sep` outside brackets and strings. */
export function splitTop(text: string, sep: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote = ''
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = ''
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (c === '(' || c === '[') depth++
    else if (c === ')' || c === ']') depth--
    else if (depth === 0 && text.startsWith(sep, i)) {
      out.push(text.slice(start, i))
      i += sep.length - 1
      start = i + 1
    }
  }
  out.push(text.slice(start))
  return out
}

/** The index of the bracket that closes the one at `open`, or -1. */
function closing(text: string, open: number): number {
  let depth = 0
  let quote = ''
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = ''
    } else if (c === '"' || c === "'") quote = c
    else if (c === '(' || c === '[') depth++
    else if ((c === ')' || c === ']') && --depth === 0) return i
  }
  return -1
}

/** The terms of a condition that is a plain `a && b && c`, or the whole expression. */
export function terms(expr: string): string[] {
  const parts = splitTop(expr, ' && ')
  if (parts.length < 2) return [expr]
  const bare = expr.replace(/"(\\.|[^"\\])*"|'(\\.|[^'\\])*'/g, '""')
  const mixed = splitTop(expr, '||').length > 1 || splitTop(expr, '?').length > 1 || /\b(or|and)\b/.test(bare)
  const clean = parts.every((p) => p.length > 0 && p.trim() === p)
  return mixed || !clean ? [expr] : parts
}

export function formatModel(m: ModelCall): string {
  const call = `model(${JSON.stringify(m.id)}, ${JSON.stringify(m.output)}${m.args.map((a) => `, ${a}`).join('')})`
  return m.op ? `${call} ${m.op} ${m.value}` : call
}

/** A term `model("id", "output", args…) op value`, when it reads back exactly. */
export function parseModel(term: string): ModelCall | null {
  if (!term.startsWith('model(')) return null
  const close = closing(term, 5)
  if (close < 0) return null
  const args = splitTop(term.slice(6, close), ',').map((a) => a.trim())
  const rest = term.slice(close + 1)
  const str = (s: string | undefined) => (s && /^"[^"\\]*"$/.test(s) ? s.slice(1, -1) : null)
  const id = str(args[0])
  const output = str(args[1])
  if (id === null || output === null) return null
  let op = ''
  let value = ''
  if (rest.trim()) {
    const m = /^ (>=|<=|==|!=|>|<) (\S.*)$/.exec(rest)
    if (!m) return null
    op = m[1]
    value = m[2]
  }
  const call: ModelCall = { id, output, args: args.slice(2), op, value }
  return formatModel(call) === term ? call : null
}

// ---- document → graph ---------------------------------------------------------------

/** A rule document laid out as a graph: sources, then the chain, then the actions. */
export function docToGraph(doc: Obj): Graph {
  const src = (doc.source ?? {}) as Obj
  const meta: Meta = { name: String(doc.name ?? ''), enabled: doc.enabled !== false }
  if (typeof doc.description === 'string') meta.description = doc.description
  if (typeof src.telemetry === 'boolean') meta.telemetry = src.telemetry
  const nodes: FlowNode[] = []
  const edges: FlowEdge[] = []
  let n = 0
  const add = (data: NodeData, x: number, y: number) => {
    const node: FlowNode = { id: `n${++n}`, type: 'flow', position: { x, y }, data }
    nodes.push(node)
    return node
  }
  const sources: FlowNode[] = []
  for (const f of SOURCE_FIELDS) {
    const v = src[f]
    if (Array.isArray(v) && v.length) sources.push(add({ kind: 'source', field: f, values: v.map(String) }, 0, sources.length * ROW))
  }
  if (!sources.length) sources.push(add({ kind: 'source', field: 'products', values: [] }, 0, 0))
  const chain: FlowNode[] = []
  const next = (data: NodeData) => {
    const node = add(data, COL * (chain.length + 1), 0)
    chain.push(node)
    return node
  }
  for (const w of (doc.windows ?? []) as Obj[]) next({ kind: 'window', window: { ...w } })
  const cond = { ...((doc.condition ?? {}) as Obj) }
  const expr = typeof cond.expr === 'string' ? cond.expr : ''
  delete cond.expr
  const parts = expr ? terms(expr) : []
  let last: string | undefined
  if (parts.length && !parseModel(parts[parts.length - 1])) last = parts.pop()
  for (const p of parts) {
    const m = parseModel(p)
    next(m ? { kind: 'model', model: m } : { kind: 'filter', expr: p })
  }
  next({ kind: 'condition', condition: last === undefined ? cond : { expr: last, ...cond } })
  const condNode = chain[chain.length - 1]
  const ax = condNode.position.x + COL
  ;((doc.actions ?? []) as Obj[]).forEach((a, i) => {
    const node = add({ kind: 'action', action: { ...a } }, ax, i * ROW)
    edges.push(edge(condNode.id, node.id))
  })
  for (const s of sources) edges.push(edge(s.id, chain[0].id))
  for (let i = 1; i < chain.length; i++) edges.push(edge(chain[i - 1].id, chain[i].id))
  // Centre the sources and the actions on the chain.
  const centre = (list: FlowNode[]) => list.forEach((x) => (x.position.y -= ((list.length - 1) * ROW) / 2))
  centre(sources)
  centre(nodes.filter((x) => x.data.kind === 'action'))
  return { meta, nodes, edges }
}

export function edge(source: string, target: string): FlowEdge {
  return { id: `e-${source}-${target}`, source, target }
}

// ---- graph → document ---------------------------------------------------------------

const byPlace = (a: FlowNode, b: FlowNode) => a.position.y - b.position.y || a.position.x - b.position.x || a.id.localeCompare(b.id)

/** Drops empty values (undefined, null, '') from a copy of `o`. */
function compact(o: Obj): Obj {
  const out: Obj = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') out[k] = v
  return out
}

/** The ordered chain that ends in the condition, walking back from it. */
function chainOf(g: Graph, cond: FlowNode, problems: LocalProblem[]): FlowNode[] {
  const byId = new Map(g.nodes.map((x) => [x.id, x]))
  const chain = [cond]
  const seen = new Set([cond.id])
  for (let cur = cond; ; ) {
    const ins = g.edges.map((e) => (e.target === cur.id ? byId.get(e.source) : undefined)).filter((x): x is FlowNode => !!x && x.data.kind !== 'source')
    if (ins.length > 1) problems.push({ node: cur.id, key: 'oneInput' })
    const prev = ins[0]
    if (!prev || seen.has(prev.id)) return chain
    seen.add(prev.id)
    chain.unshift(prev)
    cur = prev
  }
}

/** The rule document a graph stands for, with the problems the editor sees itself. */
export function graphToDoc(g: Graph): { doc: Obj; problems: LocalProblem[]; index: Index } {
  const problems: LocalProblem[] = []
  const index: Index = { sources: {}, windows: [], windowNames: {}, terms: [], actions: [] }
  const conds = g.nodes.filter((x) => x.data.kind === 'condition')
  if (!conds.length) problems.push({ key: 'noCondition' })
  conds.slice(1).forEach((x) => problems.push({ node: x.id, key: 'oneCondition' }))
  const cond = conds[0]
  const chain = cond ? chainOf(g, cond, problems) : []
  const inChain = new Set(chain.map((x) => x.id))
  const sources = g.nodes.filter((x) => x.data.kind === 'source' && g.edges.some((e) => e.source === x.id && inChain.has(e.target))).sort(byPlace)
  if (cond && !sources.length) problems.push({ key: 'noSource' })
  const actions = cond ? g.nodes.filter((x) => x.data.kind === 'action' && g.edges.some((e) => e.source === cond.id && e.target === x.id)).sort(byPlace) : []
  const used = new Set([...inChain, ...sources.map((x) => x.id), ...actions.map((x) => x.id)])
  for (const x of g.nodes) if (!used.has(x.id)) problems.push({ node: x.id, key: 'notConnected' })

  const source: Obj = {}
  for (const f of SOURCE_FIELDS) {
    const values: string[] = []
    for (const s of sources.filter((x) => x.data.field === f)) {
      index.sources[f] ??= s.id
      for (const v of s.data.values ?? []) if (!values.includes(v)) values.push(v)
    }
    if (values.length) source[f] = values
  }
  index.firstSource = sources[0]?.id
  if (g.meta.telemetry !== undefined) source.telemetry = g.meta.telemetry

  const windows: Obj[] = []
  let expr = ''
  const term = (node: string, text: string) => {
    if (!text.trim()) return
    if (expr) expr += ' && '
    index.terms.push({ node, start: expr.length, end: expr.length + text.length })
    expr += text
  }
  for (const x of chain) {
    const d = x.data
    if (d.kind === 'window') {
      const w = compact(d.window ?? {})
      index.windows.push(x.id)
      index.windowNames[String(w.name ?? '')] = x.id
      windows.push(w)
    } else if (d.kind === 'filter') term(x.id, d.expr ?? '')
    else if (d.kind === 'model' && d.model) term(x.id, formatModel(d.model))
    else if (d.kind === 'condition') term(x.id, String(d.condition?.expr ?? ''))
  }
  const condition: Obj = {}
  if (expr) condition.expr = expr
  const c = cond?.data.condition ?? {}
  for (const k of ['for_samples', 'for_seconds', 'no_data_seconds']) if (typeof c[k] === 'number') condition[k] = c[k]
  index.condition = cond?.id
  index.actions = actions.map((x) => x.id)

  const doc: Obj = { name: g.meta.name }
  if (g.meta.description) doc.description = g.meta.description
  doc.enabled = g.meta.enabled
  doc.source = source
  if (windows.length) doc.windows = windows
  doc.condition = condition
  doc.actions = actions.map((x) => compact(x.data.action ?? {}))
  return { doc, problems, index }
}

// ---- editing ------------------------------------------------------------------------

/** Whether an edge from `from` to `to` keeps the flow a chain: sources feed the chain,
 * the chain ends in the condition, and actions come last. */
export function canConnect(g: Graph, from: string, to: string): boolean {
  const a = g.nodes.find((x) => x.id === from)
  const b = g.nodes.find((x) => x.id === to)
  if (!a || !b || a.id === b.id) return false
  if (g.edges.some((e) => e.source === from && e.target === to)) return false
  const ka = a.data.kind
  const kb = b.data.kind
  if (ka === 'action' || kb === 'source') return false
  if (ka === 'condition') return kb === 'action'
  if (kb === 'action') return false
  if (ka === 'source') return true
  // A link of the chain: one way out, one way in (besides sources).
  const nodeKind = (id: string) => g.nodes.find((x) => x.id === id)?.data.kind
  if (g.edges.some((e) => e.source === from)) return false
  if (g.edges.some((e) => e.target === to && nodeKind(e.source) !== 'source')) return false
  // No loops: `to` must not already lead to `from`.
  for (let cur: string | undefined = to; cur; cur = g.edges.find((e) => e.source === cur)?.target) if (cur === from) return false
  return true
}

/** A new node's data, as the palette drops it. */
export function newData(kind: Kind, sub?: string): NodeData {
  switch (kind) {
    case 'source':
      return { kind, field: (sub as SourceField) ?? 'products', values: [] }
    case 'filter':
      return { kind, expr: '' }
    case 'window': {
      const fn = sub ?? 'avg'
      const w: Obj = { name: '', fn, of: '', kind: 'sliding', seconds: 60 }
      if (fn === 'ewma') w.alpha = 0.2
      if (fn === 'cusum_high' || fn === 'cusum_low') Object.assign(w, { target: 0, k: 0 })
      if (fn === 'band_energy') Object.assign(w, { seconds: undefined, count: 256, band: [0, 1] })
      return { kind, window: compact(w) }
    }
    case 'model':
      return { kind, model: { id: '', output: '', args: [], op: '>', value: '0' } }
    case 'condition':
      return { kind, condition: { expr: '' } }
    case 'action':
      return { kind, action: newAction(sub ?? 'alarm') }
  }
}

export function newAction(type: string): Obj {
  switch (type) {
    case 'alarm':
      return { type, alarm_type: '', severity: 'major' }
    case 'clear_alarm':
      return { type, alarm_type: '' }
    case 'command':
      return { type, method: '', params: {} }
    case 'webhook':
      return { type, url: 'https://', retries: 5 }
    case 'republish':
      return { type, topic: '' }
    case 'telemetry':
      return { type, property: '', expr: '' }
    case 'app':
      return { type, installation: '' }
    default:
      return { type: 'rule', rule: '' }
  }
}

export function nextId(nodes: FlowNode[]): string {
  let max = 0
  for (const x of nodes) max = Math.max(max, Number(/^n(\d+)$/.exec(x.id)?.[1] ?? 0))
  return `n${max + 1}`
}

// ---- the server's answers on the graph ----------------------------------------------

export interface Problem {
  path: string
  position?: number
  message: string
}

/** Places each problem on the node its path concerns; the others stay in a list. */
export function placeProblems(problems: Problem[], index: Index): { byNode: Record<string, Problem[]>; rest: Problem[] } {
  const byNode: Record<string, Problem[]> = {}
  const rest: Problem[] = []
  for (let p of problems) {
    let node: string | undefined
    let m: RegExpExecArray | null
    if ((m = /^source\.(\w+)/.exec(p.path))) node = index.sources[m[1] as SourceField] ?? index.firstSource
    else if (p.path.startsWith('source')) node = index.firstSource
    else if ((m = /^windows\[(\d+)\]/.exec(p.path))) node = index.windows[Number(m[1])]
    else if (p.path === 'condition.expr' && p.position !== undefined && index.terms.length) {
      const pos = p.position
      node = (index.terms.find((x) => pos <= x.end) ?? index.terms[index.terms.length - 1]).node
      const t = index.terms.find((x) => x.node === node)
      if (t) p = { ...p, position: Math.max(0, pos - t.start) }
    } else if (p.path.startsWith('condition')) node = index.condition
    else if ((m = /^actions\[(\d+)\]/.exec(p.path))) node = index.actions[Number(m[1])]
    if (node) (byNode[node] ??= []).push(p)
    else rest.push(p)
  }
  return { byNode, rest }
}

export interface Step {
  message: number
  variables: Record<string, unknown>
  windows: Record<string, number | null>
  condition: unknown
  holds: boolean
  consecutive?: number
  held_ms?: number | null
  fired: boolean
  firing: boolean
  effects: Obj[]
}

/** Which action each effect of a step came from (by type and what it names), as
 * action node id → effects. A clearing of an alarm belongs to the alarm's action. */
export function effectsByAction(step: Step, doc: Obj, index: Index): Record<string, Obj[]> {
  const actions = (doc.actions ?? []) as Obj[]
  const out: Record<string, Obj[]> = {}
  const taken = new Set<number>()
  const key: Record<string, string> = { alarm: 'alarm_type', clear_alarm: 'alarm_type', webhook: 'url', republish: 'topic', telemetry: 'property', rule: 'rule', app: 'installation' }
  for (const e of step.effects) {
    const fits = (a: Obj, type: string) => a.type === type && (!key[type] || a[key[type]] === e[key[type]])
    let i = actions.findIndex((a, j) => !taken.has(j) && fits(a, String(e.action)))
    if (i < 0 && e.action === 'clear_alarm') i = actions.findIndex((a) => fits(a, 'alarm'))
    if (i < 0) continue
    taken.add(i)
    const node = index.actions[i]
    if (node) (out[node] ??= []).push(e)
  }
  return out
}

/** Sample messages that suit the rule: its first device and product, a property it
 * watches (or a window's), a rising and falling value every 10 s. */
export function sampleMessages(doc: Obj): Obj[] {
  const src = (doc.source ?? {}) as Obj
  const first = (k: string) => (Array.isArray(src[k]) ? (src[k] as string[])[0] : undefined)
  const windows = (doc.windows ?? []) as Obj[]
  const property = first('properties') ?? (windows[0]?.of as string | undefined) ?? 'value'
  const device = first('devices') ?? 'device-1'
  const product = first('products')
  const ts = Date.UTC(2026, 0, 1, 8)
  return [80, 86, 90, 94, 97, 99, 88, 75].map((v, i) => compact({ device, product, ts: ts + i * 10_000, values: { [property]: v } }))
}
