// The flow editor's pure functions (src/flow.ts) under Node: a rule document laid out as
// a graph and read back gives the same document. TypeScript is compiled with the
// project's own compiler. Run: node tests/flow.test.mjs
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ts from 'typescript'

const src = readFileSync(new URL('../src/flow.ts', import.meta.url), 'utf8')
const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
const file = join(mkdtempSync(join(tmpdir(), 'flow-')), 'flow.mjs')
writeFileSync(file, js)
const flow = await import(file)

const demo = JSON.parse(readFileSync(new URL('../../crates/ironloom/demo/rules.json', import.meta.url), 'utf8'))
const rules = Array.isArray(demo) ? demo : (demo.rules ?? [])
// As the server keeps them: `enabled` after the description.
const stored = (r) => {
  const { name, description, enabled = true, ...rest } = r
  return { name, ...(description ? { description } : {}), enabled, ...rest }
}
const docs = [
  ...rules.map(stored),
  {
    name: 'boiler overheat',
    description: 'from docs/rules.md',
    enabled: true,
    source: { products: ['boiler'], devices: ['b-1', 'b-2'], groups: ['hall'], properties: ['temp'], events: ['connected'], telemetry: true },
    windows: [
      { name: 'avg_1m', fn: 'avg', of: 'temp', kind: 'sliding', seconds: 60 },
      { name: 'z', fn: 'zscore', of: 'temp', kind: 'sliding', count: 600 },
      { name: 'hi', fn: 'cusum_high', of: 'flow', kind: 'tumbling', count: 200, target: 42, k: 0.5 },
      { name: 'g', fn: 'band_energy', of: 'vibration', kind: 'sliding', count: 1024, band: [180, 220] },
    ],
    condition: { expr: 'temp > 90 && avg_1m > 85 && model("pump.hydraulic_power", "eta", 1000, flow, head, max(shaft, 1)) < 0.75 && contains(tag, "a && b")', for_seconds: 30, no_data_seconds: 600 },
    actions: [
      { type: 'alarm', alarm_type: 'overheat', severity: 'major', clear_when: 'temp < 80', details: { temp: 'temp', avg: 'avg_1m' } },
      { type: 'command', properties: { setpoint: '=setpoint - 5' } },
      { type: 'webhook', url: 'https://ops.example.com/hooks/alarm', retries: 5, headers: { 'X-A': 'b' } },
      { type: 'republish', topic: 'hot' },
      { type: 'telemetry', property: 'margin', expr: '100 - temp' },
      { type: 'rule', rule: 'other' },
      { type: 'app', installation: '0194a7c2-0000-7000-8000-000000000001' },
      { type: 'clear_alarm', alarm_type: 'cold' },
    ],
  },
  { name: 'or', enabled: false, source: {}, condition: { expr: 'a > 1 || b > 2 && c' }, actions: [] },
  { name: 'model only', enabled: true, source: { events: ['overheat'], telemetry: false }, condition: { expr: 'model("a.b", "y", x) && model("c", "z") >= 2' }, actions: [] },
  { name: 'silence', enabled: true, source: { devices: ['d'] }, condition: { no_data_seconds: 60 }, actions: [{ type: 'alarm', alarm_type: 'silent', severity: 'warning' }] },
  { name: 'spacing', enabled: true, source: {}, condition: { expr: 'a>1&&b>2 and c' }, actions: [] },
]
assert.ok(rules.length >= 4, 'the demo rules are read')

for (const doc of docs) {
  const g = flow.docToGraph(doc)
  const back = flow.graphToDoc(JSON.parse(JSON.stringify(g)))
  assert.deepEqual(back.problems, [], `${doc.name}: ${JSON.stringify(back.problems)}`)
  assert.deepEqual(back.doc, doc, doc.name)
  assert.equal(JSON.stringify(back.doc), JSON.stringify(doc), `${doc.name}: same keys in the same order`)
}

// The big one: its terms became filter and model nodes, in order, the condition last.
const g = flow.docToGraph(docs[rules.length])
const kinds = g.nodes.map((n) => n.data.kind)
assert.deepEqual(kinds.filter((k) => k === 'source').length, 5)
assert.equal(g.nodes.find((n) => n.data.kind === 'model').data.model.args.join('|'), '1000|flow|head|max(shaft, 1)')
assert.equal(g.nodes.find((n) => n.data.kind === 'condition').data.condition.expr, 'contains(tag, "a && b")')
assert.equal(kinds.filter((k) => k === 'filter').length, 2)
// An expression with || stays whole.
assert.equal(flow.docToGraph(docs[rules.length + 1]).nodes.filter((n) => n.data.kind === 'filter').length, 0)

// Problems land on their nodes: a position inside the second term, a window, an action.
const { index } = flow.graphToDoc(g)
const placed = flow.placeProblems(
  [
    { path: 'condition.expr', position: 15, message: 'x' },
    { path: 'windows[1].count', message: 'y' },
    { path: 'actions[2].url', message: 'z' },
    { path: 'source.groups[0]', message: 'g' },
    { path: 'name', message: 'n' },
  ],
  index,
)
const filters = g.nodes.filter((n) => n.data.kind === 'filter')
assert.equal(placed.byNode[filters[1].id][0].position, 2)
assert.equal(placed.byNode[index.windows[1]][0].message, 'y')
assert.equal(placed.byNode[index.actions[2]][0].message, 'z')
assert.equal(placed.byNode[index.sources.groups][0].message, 'g')
assert.deepEqual(placed.rest.map((p) => p.path), ['name'])

// Building: edges keep the chain; an unconnected node is reported.
const b = { meta: { name: 'x', enabled: true }, nodes: [], edges: [] }
for (const [id, kind, sub] of [['n1', 'source', 'products'], ['n2', 'window'], ['n3', 'condition'], ['n4', 'action', 'alarm'], ['n5', 'filter']]) {
  b.nodes.push({ id, type: 'flow', position: { x: 0, y: 0 }, data: flow.newData(kind, sub) })
}
assert.equal(flow.canConnect(b, 'n4', 'n3'), false, 'actions come last')
assert.equal(flow.canConnect(b, 'n1', 'n4'), false, 'a source does not feed an action')
assert.equal(flow.canConnect(b, 'n2', 'n4'), false, 'only the condition feeds actions')
for (const [s, t] of [['n1', 'n2'], ['n2', 'n3'], ['n3', 'n4']]) {
  assert.ok(flow.canConnect(b, s, t), `${s} → ${t}`)
  b.edges.push(flow.edge(s, t))
}
assert.equal(flow.canConnect(b, 'n5', 'n3'), false, 'the condition has one input')
assert.equal(flow.canConnect(b, 'n3', 'n2'), false, 'no loops')
assert.deepEqual(flow.graphToDoc(b).problems, [{ node: 'n5', key: 'notConnected' }])
console.log(`flow: ${docs.length} documents read back the same; problems and edges as expected`)
