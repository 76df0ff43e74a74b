// The TypeScript client against a running server (crates/ironloom/tests/clients.rs starts one).
//
//   npm run build && IRONLOOM_URL=http://127.0.0.1:8080 IRONLOOM_ADMIN_PASSWORD=… node dist/test/live.test.js
//
// The platform administrator's password is needed: the test makes two tenants of its own
// (codes prefixed with $IRONLOOM_CLIENT_PREFIX, default `ts`), so it can share a server.
// Prints one line per step; exits non-zero at the first failure.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ApiError, DeviceHttp, IronloomClient, TransportError } from "../src/index.js";
import type { Alarm, Device, ListDevicesQuery, Page_Device, ProductInput, ServerSentEvent } from "../src/index.js";

const URL = process.env.IRONLOOM_URL ?? "http://127.0.0.1:8080";
const ADMIN_PASSWORD = process.env.IRONLOOM_ADMIN_PASSWORD ?? "";
const PREFIX = process.env.IRONLOOM_CLIENT_PREFIX ?? "ts";
const PASSWORD = "Client-test-pass-1";

function step(name: string): void {
  console.log(`typescript client: ${name}`);
}

async function expectError(status: number, code: string, call: () => Promise<unknown>): Promise<ApiError> {
  try {
    await call();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected an ApiError, got ${e}`);
    assert.deepEqual([e.status, e.code], [status, code], e.message);
    assert.ok(e.detail, e.message);
    return e;
  }
  assert.fail(`expected ${status} ${code}, the call succeeded`);
}

async function tenantOwner(admin: IronloomClient, code: string): Promise<IronloomClient> {
  const tenant = await admin.createTenant({ code, name: `Client test ${code}` });
  await admin.createUser({ username: "owner", password: PASSWORD, role: "tenant_admin", tenant_id: tenant.id });
  const client = new IronloomClient(URL, { timeoutMs: 20_000 });
  const session = await client.authenticate("owner", PASSWORD, code);
  assert.equal(session.user.tenant_id, tenant.id);
  return client;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function main(): Promise<void> {
  assert.ok(ADMIN_PASSWORD, "set IRONLOOM_ADMIN_PASSWORD");

  step("log in as the platform administrator");
  const admin = new IronloomClient(URL, { timeoutMs: 20_000 });
  const login = await admin.authenticate("admin", ADMIN_PASSWORD);
  assert.equal(login.token_type.toLowerCase(), "bearer");
  assert.equal((await admin.me()).user.role, "platform_admin");

  step("two tenants, each with an administrator who logs in");
  const a = await tenantOwner(admin, `${PREFIX}-a`);
  const b = await tenantOwner(admin, `${PREFIX}-b`);

  step("create a product and a device");
  const productInput: ProductInput = { name: "Client test pump", protocol: "http" };
  const product = await a.createProduct(productInput);
  const created = await a.createDevice({ name: "pump-1", product_id: product.id, tags: ["client-test"] });
  const device: Device = await a.getDevice(created.id);
  assert.equal(device.name, "pump-1");
  assert.equal(device.product_id, product.id);
  const token = created.credentials.access_token;

  step("send telemetry over the HTTP device API, read it back");
  const now = Date.now();
  const sent = await new DeviceHttp(URL, token).sendTelemetry(
    [0, 1, 2, 3].map((i) => ({ ts: now - 2000 + i * 500, values: { temp: 20 + i, rpm: 1000 + i } })),
  );
  assert.equal(sent.stored, 8);
  const latest = new Map((await a.deviceLatest(device.id)).map((p) => [p.property, p.value]));
  assert.equal(latest.get("temp"), 23);
  assert.equal(latest.get("rpm"), 1003);
  const from = String(now - 60_000);
  const history = await a.deviceHistory(device.id, { properties: "temp", from, limit: 10 });
  assert.deepEqual(history.points?.map((p) => p.value), [20, 21, 22, 23]);

  step("write through the management API; read history page by page with the cursor");
  const written = await a.writeDeviceTelemetry(device.id, { points: [{ property: "temp", value: 24, ts: now + 1 }] });
  assert.equal(written.accepted, 1);
  assert.deepEqual(written.rejected, []);
  const pages = await collect(a.cursorPages((cursor) => a.deviceHistory(device.id, { properties: "temp", from, limit: 2, cursor })));
  assert.equal(pages.length, 3);
  assert.deepEqual(pages.flatMap((p) => p.points ?? []).map((p) => p.value), [20, 21, 22, 23, 24]);

  step("live device events (server-sent events)");
  const events = a.deviceStream(device.id)[Symbol.asyncIterator]();
  const feeder = new DeviceHttp(URL, token);
  let seen: ServerSentEvent | undefined;
  const reading = (async () => {
    for (;;) {
      const next = await events.next();
      if (next.done || next.value.event === "telemetry") return next.value;
    }
  })().then((ev) => (seen = ev));
  while (!seen) {
    await feeder.sendTelemetry({ rpm: 1500 });
    await Promise.race([reading, new Promise((r) => setTimeout(r, 200))]);
  }
  await events.return?.();
  assert.deepEqual((seen.data as { values: unknown }).values, { rpm: 1500 });

  step("list with pagination");
  for (let i = 2; i <= 6; i++) await a.createDevice({ name: `pump-${i}`, product_id: product.id });
  const first = await a.listDevices({ page_size: 2, sort: "name" });
  assert.equal(first.total, 6);
  assert.equal(first.items.length, 2);
  const requested: (number | undefined)[] = [];
  const counted = (q: ListDevicesQuery): Promise<Page_Device> => {
    requested.push(q.page);
    return a.listDevices(q);
  };
  const names = (await collect(a.pages(counted, { sort: "name" }, 2))).map((d) => d.name);
  assert.deepEqual(names, [1, 2, 3, 4, 5, 6].map((i) => `pump-${i}`));
  assert.deepEqual(requested, [1, 2, 3]);
  assert.equal((await collect(a.pages(a.listDevices, { tag: "client-test" }))).length, 1);

  step("errors surface with their code");
  await expectError(404, "not_found", () => a.getDevice(randomUUID()));
  await expectError(409, "already_exists", () => a.createDevice({ name: "pump-1", product_id: product.id }));
  await expectError(400, "invalid_query", () => a.listDevices({ page_size: 0 }));
  await expectError(401, "invalid_credentials", () =>
    new IronloomClient(URL).authenticate("owner", "wrong-password", `${PREFIX}-a`),
  );
  const zh = new IronloomClient(URL, { token: a.token, language: "zh-CN" });
  const e = await expectError(404, "not_found", () => zh.getDevice(randomUUID()));
  assert.match(e.detail, /[\u4e00-\u9fff]/);

  step("a rule raises an alarm: on the alarm stream, in the list, acknowledged");
  await a.createRule({
    name: "overheat",
    source: { devices: ["pump-1"], properties: ["temp"] },
    condition: { expr: "temp > 100" },
    actions: [{ type: "alarm", alarm_type: "overheat", severity: "major" }],
  });
  const alarmEvents = a.alarmStream()[Symbol.asyncIterator]();
  let raised: ServerSentEvent | undefined;
  const watching = (async () => {
    for (;;) {
      const next = await alarmEvents.next();
      if (next.done || next.value.event === "raised") return next.value;
    }
  })().then((ev) => (raised = ev));
  while (!raised) {
    await feeder.sendTelemetry({ temp: 150 });
    await Promise.race([watching, new Promise((r) => setTimeout(r, 200))]);
  }
  await alarmEvents.return?.();
  const alarm = raised.data as Alarm;
  assert.equal(alarm.alarm_type, "overheat");
  assert.equal(alarm.device_id, device.id);
  const listed = await a.listAlarms({ active: true, device_id: device.id });
  assert.deepEqual(listed.items.map((x) => x.id), [alarm.id]);
  const acked = await a.ackAlarm(alarm.id, { comment: "seen by the client test" });
  assert.ok(acked.acknowledged);
  assert.equal(acked.severity, "major");

  step("tenant isolation");
  await expectError(404, "not_found", () => b.getDevice(device.id));
  await expectError(404, "not_found", () => b.getAlarm(alarm.id));
  assert.equal((await b.listAlarms()).total, 0);
  assert.equal((await b.listDevices()).total, 0);
  assert.deepEqual(await collect(b.pages(b.listDevices)), []);
  await expectError(404, "not_found", () => b.deviceLatest(device.id));

  step("an API key in X-API-Key");
  const key = await a.createKey({ name: "client-test", scopes: ["device:read"] });
  const keyed = new IronloomClient(URL, { apiKey: key.key });
  assert.equal((await keyed.listDevices()).total, 6);
  await expectError(403, "forbidden", () => keyed.createProduct({ name: "not allowed" }));

  step("no answer is a TransportError");
  await assert.rejects(new IronloomClient("http://127.0.0.1:9", { timeoutMs: 2000 }).me(), TransportError);

  console.log("typescript client: all checks passed");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
