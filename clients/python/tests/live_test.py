"""The Python client against a running server (crates/ironloom/tests/clients.rs starts one).

    IRONLOOM_URL=http://127.0.0.1:8080 IRONLOOM_ADMIN_PASSWORD=… python3 clients/python/tests/live_test.py

The platform administrator's password is needed: the test makes two tenants of its own
(codes prefixed with $IRONLOOM_CLIENT_PREFIX, default `py`), so it can share a server.
Prints one line per step; exits non-zero at the first failure.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ironloom_client import ApiError, DeviceHttp, IronloomClient, TransportError  # noqa: E402
from ironloom_client.types import Device, ProductInput  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conformance import WARNINGS, CheckedClient  # noqa: E402

URL = os.environ.get("IRONLOOM_URL", "http://127.0.0.1:8080")
ADMIN_PASSWORD = os.environ["IRONLOOM_ADMIN_PASSWORD"]
PREFIX = os.environ.get("IRONLOOM_CLIENT_PREFIX", "py")
PASSWORD = "Client-test-pass-1"


def step(name: str) -> None:
    print(f"python client: {name}", flush=True)


def expect_error(status: int, code: str, call, *args, **kwargs) -> ApiError:
    try:
        call(*args, **kwargs)
    except ApiError as e:
        assert (e.status, e.code) == (status, code), f"expected {status} {code}, got {e}"
        assert e.message, e
        return e
    raise AssertionError(f"expected {status} {code}, the call succeeded")


def tenant_owner(admin: IronloomClient, code: str) -> IronloomClient:
    tenant = admin.create_tenant({"code": code, "name": f"Client test {code}"})
    admin.create_user({"username": "owner", "password": PASSWORD, "role": "tenant_admin", "tenant_id": tenant["id"]})
    client = CheckedClient(URL, timeout=20)
    session = client.authenticate("owner", PASSWORD, tenant=code)
    assert session["user"]["tenant_id"] == tenant["id"], session
    return client


def main() -> None:
    step("log in as the platform administrator")
    admin = CheckedClient(URL, timeout=20)
    login = admin.authenticate("admin", ADMIN_PASSWORD)
    assert login["token_type"].lower() == "bearer", login
    assert admin.me()["user"]["role"] == "platform_admin"

    step("two tenants, each with an administrator who logs in")
    a = tenant_owner(admin, f"{PREFIX}-a")
    b = tenant_owner(admin, f"{PREFIX}-b")

    step("create a product and a device")
    product_input: ProductInput = {"name": "Client test pump", "protocol": "http"}
    product = a.create_product(product_input)
    created = a.create_device({"name": "pump-1", "product_id": product["id"], "tags": ["client-test"]})
    device: Device = a.get_device(created["id"])
    assert device["name"] == "pump-1" and device["product_id"] == product["id"], device
    token = created["credentials"]["access_token"]

    step("send telemetry over the HTTP device API, read it back")
    now = int(time.time() * 1000)
    sent = DeviceHttp(URL, token).send_telemetry(
        [{"ts": now - 2000 + i * 500, "values": {"temp": 20.0 + i, "rpm": 1000 + i}} for i in range(4)])
    assert sent["stored"] == 8, sent
    latest = {p["property"]: p for p in a.device_latest(device["id"])}
    assert latest["temp"]["value"] == 23.0 and latest["rpm"]["value"] == 1003, latest
    history = a.device_history(device["id"], properties="temp", from_=str(now - 60_000), limit=10)
    assert [p["value"] for p in history["points"]] == [20.0, 21.0, 22.0, 23.0], history

    step("write through the management API; read history page by page with the cursor")
    written = a.write_device_telemetry(device["id"], {"points": [{"property": "temp", "value": 24.0, "ts": now + 1}]})
    assert written["accepted"] == 1 and not written["rejected"], written
    pages = list(a.cursor_pages(a.device_history, device["id"], properties="temp", from_=str(now - 60_000), limit=2))
    values = [p["value"] for page in pages for p in page["points"]]
    assert values == [20.0, 21.0, 22.0, 23.0, 24.0] and len(pages) == 3, pages

    step("live device events (server-sent events)")
    stop = threading.Event()

    def feed() -> None:
        device_http = DeviceHttp(URL, token)
        while not stop.wait(0.2):
            device_http.send_telemetry({"rpm": 1500})

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        event = next(e for e in a.device_stream(device["id"]) if e["event"] == "telemetry")
    finally:
        stop.set()
        feeder.join()
    assert event["data"]["values"] == {"rpm": 1500}, event

    step("list with pagination")
    for i in range(2, 7):
        a.create_device({"name": f"pump-{i}", "product_id": product["id"]})
    first = a.list_devices(page_size=2, sort="name")
    assert first["total"] == 6 and len(first["items"]) == 2, first
    calls = []

    def counted(**kw):
        calls.append(kw["page"])
        return a.list_devices(**kw)

    names = [d["name"] for d in a.pages(counted, page_size=2, sort="name")]
    assert names == [f"pump-{i}" for i in range(1, 7)], names
    assert calls == [1, 2, 3], calls

    step("errors surface with their code")
    expect_error(404, "not_found", a.get_device, str(uuid.uuid4()))
    expect_error(409, "already_exists", a.create_device, {"name": "pump-1", "product_id": product["id"]})
    expect_error(400, "invalid_query", a.list_devices, page_size=0)
    expect_error(401, "invalid_credentials", IronloomClient(URL).authenticate, "owner", "wrong-password", f"{PREFIX}-a")
    zh = IronloomClient(URL, token=a.token, language="zh-CN")
    e = expect_error(404, "not_found", zh.get_device, str(uuid.uuid4()))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in e.message), e.message

    step("a rule raises an alarm: on the alarm stream, in the list, acknowledged")
    a.create_rule({
        "name": "overheat", "source": {"devices": ["pump-1"], "properties": ["temp"]},
        "condition": {"expr": "temp > 100"},
        "actions": [{"type": "alarm", "alarm_type": "overheat", "severity": "major"}],
    })
    stop.clear()

    def overheat() -> None:
        device_http = DeviceHttp(URL, token)
        while not stop.wait(0.2):
            device_http.send_telemetry({"temp": 150.0})

    feeder = threading.Thread(target=overheat, daemon=True)
    feeder.start()
    try:
        raised = next(e for e in a.alarm_stream() if e["event"] == "raised")
    finally:
        stop.set()
        feeder.join()
    alarm = raised["data"]
    assert alarm["alarm_type"] == "overheat" and alarm["device_id"] == device["id"], raised
    listed = a.list_alarms(active=True, device_id=device["id"])
    assert [x["id"] for x in listed["items"]] == [alarm["id"]], listed
    acked = a.ack_alarm(alarm["id"], {"comment": "seen by the client test"})
    assert acked["acknowledged"] and acked["severity"] == "major", acked

    step("tenant isolation")
    expect_error(404, "not_found", b.get_device, device["id"])
    expect_error(404, "not_found", b.get_alarm, alarm["id"])
    assert b.list_alarms()["total"] == 0
    assert b.list_devices()["total"] == 0
    assert list(b.pages(b.list_devices)) == []
    expect_error(404, "not_found", b.device_latest, device["id"])

    step("an API key in X-API-Key")
    key = a.create_key({"name": "client-test", "scopes": ["device:read"]})
    keyed = CheckedClient(URL, api_key=key["key"])
    assert keyed.list_devices()["total"] == 6
    expect_error(403, "forbidden", keyed.create_product, {"name": "not allowed"})

    step("no answer is a TransportError")
    try:
        IronloomClient("http://127.0.0.1:9", timeout=2).me()
        raise AssertionError("expected a TransportError")
    except TransportError:
        pass

    for warning in sorted(WARNINGS):
        print(f"python client: warning: {warning}", flush=True)
    print("python client: all checks passed", flush=True)


if __name__ == "__main__":
    main()
