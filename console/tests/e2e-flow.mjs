// The flow editor in the browser (called from e2e.mjs with its helpers): a rule built by
// dragging nodes from the palette and connecting them, checked with its problems on the
// nodes, dry-run with the fired alarm on the graph, saved and found in the rules list; a
// demo rule opened as a flow and saved unchanged; the palette in 简体中文.

export async function flowSteps({ newPage, logIn, step, expect, until, shot, still, apiGet }) {
  // A wide screen, so the whole chain fits on the canvas.
  const page = await newPage({ width: 1800, height: 1000 })
  await logIn(page)
  await page.waitForURL((u) => u.pathname === '/')

  const node = (id) => page.locator(`.flow-node[data-node=${id}]`)
  const canvas = page.getByTestId('flow-canvas')
  // Drags a palette item onto the canvas; the node's centre lands at (x, y) of the canvas.
  async function drop(item, x, y) {
    const before = await page.locator('.flow-node').count()
    await page.getByTestId(`palette-${item}`).dragTo(canvas, { targetPosition: { x, y } })
    await until(async () => (await page.locator('.flow-node').count()) === before + 1, `${item} dropped`)
  }
  // Drags from a node's output to another's input.
  async function connect(from, to) {
    const a = await node(from).locator('.vue-flow__handle-right').boundingBox()
    const b = await node(to).locator('.vue-flow__handle-left').boundingBox()
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2)
    await page.mouse.down()
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 })
    if (process.env.FLOW_DEBUG) await shot(page, `connect-${from}-${to}`)
    await page.mouse.up()
    if (process.env.FLOW_DEBUG) {
      await page.waitForTimeout(500)
      await shot(page, `connected-${from}-${to}`)
      console.log('EDGES', await page.evaluate(() => document.querySelector('.vue-flow__edges')?.outerHTML.slice(0, 600)))
    }
  }
  const edgeCount = () => page.locator('.vue-flow__edge').count()
  // Picks `value` in a filterable select of the side panel.
  async function choose(test, value) {
    await page.getByTestId(test).click()
    await page.keyboard.type(value)
    await page.getByRole('option', { name: value, exact: true }).click()
    await page.keyboard.press('Escape')
  }
  // An empty spot of the canvas (top right, away from the controls and the minimap).
  async function clickPane() {
    const box = await canvas.boundingBox()
    await page.mouse.click(box.x + box.width - 60, box.y + 40)
  }

  await step('flow editor: a rule built by dragging nodes and connecting them (source → window → condition → alarm)', async () => {
    await page.goto('/rules')
    await page.getByTestId('new-flow').click()
    await page.waitForURL(/\/rules\/flow\/new$/)
    await drop('source-products', 120, 120)
    await choose('flow-source-values', 'demo-boiler')
    await drop('source-properties', 120, 280)
    await choose('flow-source-values', 'water_temp')
    await drop('window-avg', 360, 200)
    await choose('flow-window-of', 'water_temp')
    expect((await page.getByTestId('flow-window-name').inputValue()) === 'avg_water_temp', 'the window is named after its property')
    await drop('condition', 600, 200)
    await page.getByTestId('flow-condition-expr').fill('avg_water_temp > 85')
    await drop('action-alarm', 840, 200)
    await page.getByTestId('flow-alarm-type').fill('water_hot')
    await page.getByTestId('flow-clear-when').fill('avg_water_temp < 80')
    // Unconnected, every node says so, and the flow lacks a source.
    await page.getByTestId('flow-problems').getByText('Connect a source to the chain.').waitFor()
    expect((await page.getByTestId('flow-node-problem').count()) === 4, 'each node but the condition is not connected')
    // A source cannot feed an action: no edge.
    await connect('n1', 'n5')
    expect((await edgeCount()) === 0, 'a source was connected to an action')
    for (const [a, b] of [['n1', 'n3'], ['n2', 'n3'], ['n3', 'n4'], ['n4', 'n5']]) {
      const n = await edgeCount()
      await connect(a, b)
      await until(async () => (await edgeCount()) === n + 1, `edge ${a} → ${b}`)
    }
    await page.getByTestId('flow-problems').waitFor({ state: 'detached' })
    expect((await page.getByTestId('flow-node-problem').count()) === 0, 'problems left on the nodes')
    await shot(page, 'flow-built')
  })

  await step('flow editor: keyboard delete and undo; the server’s problems on their nodes', async () => {
    await drop('filter', 600, 420)
    await node('n6').getByText('not connected', { exact: false }).waitFor()
    await node('n6').click()
    await page.keyboard.press('Delete')
    await node('n6').waitFor({ state: 'detached' })
    await page.waitForTimeout(400)
    await page.getByTestId('flow-undo').click()
    await node('n6').waitFor()
    await node('n6').click()
    await page.getByTestId('flow-delete-node').click()
    await node('n6').waitFor({ state: 'detached' })
    // A model call: the model picked from the library, its inputs from its card.
    await drop('model', 600, 420)
    await page.getByTestId('flow-model').click()
    await page.keyboard.type('hydraulic')
    await page.getByRole('option').filter({ hasText: 'pump.hydraulic_power' }).first().click()
    await page.getByTestId('flow-panel').getByText('Shaft power [kW]', { exact: true }).waitFor()
    await node('n6').getByText('model("pump.hydraulic_power", "P_h"', { exact: false }).waitFor()
    await page.getByTestId('flow-delete-node').click()
    await node('n6').waitFor({ state: 'detached' })
    // An app call: an installation of the tenant, picked by name; the server refuses one
    // whose app takes no calls from rules, and says so on the node.
    await drop('action-app', 840, 420)
    await connect('n4', 'n6')
    await choose('flow-app-installation', 'pumps (demo-pump)')
    await node('n6').getByText('pumps', { exact: true }).waitFor()
    await page.getByTestId('flow-check').click()
    await until(async () => ((await node('n6').getByTestId('flow-node-problem').allTextContents()).join(' ')).includes('takes no calls from rules'), 'the app call refused on its node')
    await page.getByTestId('flow-delete-node').click()
    await node('n6').waitFor({ state: 'detached' })
    // A mistake in the condition: the server's answer is shown on the condition's node.
    await node('n4').click()
    await page.getByTestId('flow-condition-expr').fill('avg_water_temp >> 85')
    await page.getByTestId('flow-check').click()
    await node('n4').getByTestId('flow-node-problem').waitFor()
    expect(/position \d+/.test(await node('n4').getByTestId('flow-node-problem').textContent()), 'no position')
    await shot(page, 'flow-problem')
    await page.getByTestId('flow-condition-expr').fill('avg_water_temp > 85')
    await page.getByTestId('flow-check').click()
    await node('n4').getByTestId('flow-node-problem').waitFor({ state: 'detached' })
  })

  await step('flow editor: a dry run shows the window, the condition and the fired alarm on the graph', async () => {
    await page.getByRole('tab', { name: 'Dry run' }).click()
    await page.getByTestId('flow-dry-run').click()
    const rows = page.getByTestId('flow-steps').locator('tbody tr')
    await until(async () => (await rows.count()) === 8, 'eight steps')
    // 80, 86, 90 …: the 60 s average passes 85 with the third message, which is picked.
    await page.locator('.flow-node.fired[data-node=n5]').waitFor()
    expect((await node('n5').getByTestId('flow-result').textContent()).includes('Raise alarm water_hot (Major)'), 'no alarm on the action')
    expect((await node('n3').getByTestId('flow-result').textContent()).includes('avg_water_temp = 85.333'), 'no window value')
    expect((await node('n4').getByTestId('flow-result').textContent()).includes('Message 3: holds'), 'no condition value')
    await still(page, 'flow-dry-run')
    // The first message: the condition does not hold, nothing fired.
    await rows.nth(0).click()
    await until(async () => (await node('n4').getByTestId('flow-result').textContent()).includes('Message 1: does not hold'), 'message 1 picked')
    expect((await page.locator('.flow-node.fired').count()) === 0, 'something fired on message 1')
  })

  let id
  await step('flow editor: saved as a rule the server keeps, and found in the rules list', async () => {
    await clickPane()
    await page.getByRole('tab', { name: 'Rule' }).click()
    await page.getByTestId('flow-rule-name').fill('boiler water flow')
    await page.getByTestId('flow-save').click()
    await page.waitForURL((u) => /\/rules\/[0-9a-f-]{36}\/flow$/.test(u.pathname))
    id = new URL(page.url()).pathname.split('/')[2]
    const saved = await apiGet(`/rules/${id}`)
    const doc = saved.document
    expect(
      JSON.stringify(doc.source) === '{"products":["demo-boiler"],"properties":["water_temp"],"telemetry":true}' &&
        JSON.stringify(doc.windows) === '[{"name":"avg_water_temp","fn":"avg","of":"water_temp","kind":"sliding","seconds":60}]' &&
        doc.condition.expr === 'avg_water_temp > 85' &&
        doc.actions.length === 1 &&
        doc.actions[0].alarm_type === 'water_hot' &&
        doc.actions[0].clear_when === 'avg_water_temp < 80',
      `saved: ${JSON.stringify(doc)}`,
    )
    await page.goto('/rules')
    await page.getByTestId('rule-table').getByText('boiler water flow').waitFor()
  })

  await step('flow editor: a demo rule opened as a flow, to the rule editor and back, saved unchanged', async () => {
    const name = '泵轴承过热 Pump bearing overheating'
    const row = page.getByTestId('rule-table').locator('tbody tr').filter({ hasText: name })
    await row.getByTestId('rule-edit-flow').click()
    await page.waitForURL((u) => /\/rules\/[0-9a-f-]{36}\/flow$/.test(u.pathname))
    const ruleId = new URL(page.url()).pathname.split('/')[2]
    const before = await apiGet(`/rules/${ruleId}`)
    await page.locator('.flow-node.kind-condition').getByText('bearing_temp > 70').waitFor()
    await page.locator('.flow-node.kind-source').getByText('demo-pump').waitFor()
    await page.locator('.flow-node.kind-action').getByText('bearing_overheat').waitFor()
    expect((await page.locator('.vue-flow__edge').count()) === 3, 'two sources, the condition and its alarm are connected')
    await still(page, 'flow-demo-rule')
    await page.getByTestId('flow-open-editor').click()
    await page.waitForURL((u) => u.pathname === `/rules/${ruleId}`)
    await page.getByTestId('rule-edit-flow').click()
    await page.waitForURL((u) => u.pathname === `/rules/${ruleId}/flow`)
    await page.locator('.flow-node.kind-condition').getByText('bearing_temp > 70').waitFor()
    await page.getByTestId('flow-save').click()
    await until(async () => (await apiGet(`/rules/${ruleId}`)).version === before.version + 1, 'saved')
    const after = await apiGet(`/rules/${ruleId}`)
    expect(JSON.stringify(after.document) === JSON.stringify(before.document), `changed: ${JSON.stringify(after.document)}`)
  })

  await step('flow editor: palette, panel and dry run in 简体中文', async () => {
    await page.evaluate(() => localStorage.setItem('ironloom.locale', 'zh-CN'))
    await page.goto(`/rules/${id}/flow`)
    const palette = page.getByTestId('flow-palette')
    for (const text of ['节点', '数据源', '产品', '属性', '设备事件', '平均值', '指数加权平均', '频带能量', '模型调用', '条件', '触发告警', '派生遥测', '调用规则', '调用应用']) {
      await palette.getByText(text, { exact: true }).first().waitFor()
    }
    await page.getByRole('tab', { name: '试运行' }).waitFor()
    await page.getByTestId('flow-undo').getByText('撤销').waitFor()
    await page.locator('.flow-node.kind-window').getByText('窗口 · 平均值').waitFor()
    await page.locator('.flow-node.kind-condition').click()
    await page.getByTestId('flow-panel').getByText('持续', { exact: true }).first().waitFor()
    await still(page, 'flow-zh')
    await page.evaluate(() => localStorage.setItem('ironloom.locale', 'en'))
  })
  await page.context().close()
}
