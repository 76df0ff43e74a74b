#!/usr/bin/env python3
"""Loads a realistic industrial region into a running Ironloom, by really doing it.

Dozens of enterprises across five industries (general machinery, textiles, chemicals,
automobiles, food) in Suzhou and Jiaxing: for each a tenant, its administrator and its
enterprise profile (a valid unified social credit code, industry, size from employees and
revenue, county, park); products of real device kinds and devices; each device that is on
line reports its readings over the device HTTP API; some devices take a command from
the platform and answer it (the device long-polls its RPC endpoint); each enterprise
calls the model library; free apps of the store are installed where the store has them.
Nothing is written as a count: the evaluation report then counts what happened.

    scripts/load-region.py --url http://127.0.0.1:8080 --admin-password ...

Prints what it did as JSON on the last line (for tests), progress on stderr. Only the
Python standard library is needed.
"""

import argparse
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# County-level divisions of Suzhou and Jiaxing (GB/T 2260) and their parks.
COUNTIES = [
    ("320583", "昆山经济技术开发区"),
    ("320506", "苏州吴中经济技术开发区"),
    ("320509", "吴江经济技术开发区"),
    ("320581", "常熟经济技术开发区"),
    ("320582", "张家港经济技术开发区"),
    ("320585", "太仓港经济技术开发区"),
    ("330402", "嘉兴经济技术开发区"),
    ("330481", "海宁经济开发区"),
]

# Industry (GB/T 4754 division), discrete or process, name stem, and its products:
# (product key, device kind, properties the devices report).
INDUSTRIES = [
    ("C34", "discrete", "精工机械", [("cnc", "cnc_lathe", ["spindle_speed", "load", "running"]),
                                   ("mc", "machining_center", ["spindle_speed", "feed", "running"]),
                                   ("comp", "air_compressor", ["pressure", "power", "running"])]),
    ("C17", "discrete", "纺织", [("loom", "loom", ["speed", "efficiency", "running"]),
                               ("spin", "spinning_frame", ["spindle_speed", "breaks", "running"]),
                               ("dye", "dyeing_machine", ["temperature", "level", "running"])]),
    ("C26", "process", "化工", [("reactor", "reactor", ["temperature", "pressure", "level"]),
                              ("column", "distillation_column", ["top_temp", "bottom_temp", "reflux"]),
                              ("pump", "pump", ["flow", "head", "power"])]),
    ("C36", "discrete", "汽车零部件", [("weld", "welding_robot", ["current", "voltage", "running"]),
                                  ("press", "stamping_press", ["strokes", "tonnage", "running"]),
                                  ("agv", "agv", ["battery", "speed", "running"])]),
    ("C14", "discrete", "食品", [("fill", "filling_machine", ["rate", "rejects", "running"]),
                               ("steril", "sterilizer", ["temperature", "pressure", "running"]),
                               ("chill", "chiller", ["supply_temp", "power", "running"])]),
]


def credit_code(rng, county):
    """A unified social credit code with both check characters right (GB 32100, GB 11714)."""
    org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    value = lambda c: int(c) if c.isdigit() else ord(c) - 55
    s = sum(value(c) * w for c, w in zip(org8, [3, 7, 9, 10, 5, 8, 4, 2]))
    c9 = 11 - s % 11
    c9 = "X" if c9 == 10 else ("0" if c9 == 11 else str(c9))
    body = "91" + county + org8 + c9
    s = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS))
    return body + CREDIT_CHARS[(31 - s % 31) % 31]


class Api:
    def __init__(self, url, token=None):
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        if self.token:
            req.add_header("authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode(errors="replace")

    def ok(self, method, path, body=None, expect=(200, 201, 204)):
        status, out = self.call(method, path, body)
        if status not in expect:
            raise SystemExit(f"{method} {path}: {status} {out}")
        return out

    def login(self, username, password, tenant=None):
        out = Api(self.url).ok("POST", "/api/v1/auth/login",
                               {"username": username, "password": password, "tenant": tenant})
        return Api(self.url, out["token"])


def thing_model(props):
    model = {"properties": [], "services": [{"identifier": "reset", "name": "Reset"}]}
    for p in props:
        kind = {"type": "bool"} if p == "running" else {"type": "double"}
        model["properties"].append({"identifier": p, "name": p, "data_type": kind})
    return model


def reading(rng, prop):
    if prop == "running":
        return rng.random() < 0.85
    return round(rng.uniform(10, 500), 2)


def answer_one_command(api, token, done):
    """The device's side of a command: long-polls its RPC endpoint, answers the first."""
    status, cmd = api.call("GET", f"/api/v1/{token}/rpc?timeout=20000", timeout=30)
    if status == 200 and isinstance(cmd, dict) and "id" in cmd:
        s, _ = api.call("POST", f"/api/v1/{token}/rpc/{cmd['id']}", {"ok": True})
        done.append(s == 200)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--admin", default="admin")
    ap.add_argument("--admin-password", required=True)
    ap.add_argument("--enterprises", type=int, default=36)
    ap.add_argument("--devices", type=int, default=12, help="most devices per enterprise")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--prefix", default="region", help="tenant codes are PREFIX-NN")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = Api(args.url)
    admin = root.login(args.admin, args.admin_password)
    releases = admin.call("GET", "/api/v1/market/releases?page_size=100")[1] or {}
    free_apps = [r for r in releases.get("items", []) if r.get("channel") == "stable"][:20]
    done = {"enterprises": 0, "devices": 0, "connected": 0, "commands": 0, "managed": 0,
            "model_calls": 0, "installs": 0, "process_points": 0, "kinds": set()}
    for n in range(args.enterprises):
        industry, mode, stem, products = INDUSTRIES[n % len(INDUSTRIES)]
        county, park = COUNTIES[rng.randrange(len(COUNTIES))]
        code = f"{args.prefix}-{n + 1:02d}"
        # Mostly small and micro enterprises, a few medium and large ones.
        employees = int(rng.choice([8, 15, 40, 60, 120, 180, 260, 420, 800, 1500]))
        revenue = round(employees * rng.uniform(40, 120), 1)
        status, tenant = admin.call("POST", "/api/v1/tenants", {"code": code, "name": f"{stem} {n + 1}"})
        if status == 409:
            print(f"{code} exists: left as it is", file=sys.stderr)
            continue
        if status != 201:
            raise SystemExit(f"tenant {code}: {status} {tenant}")
        password = f"Region-{args.seed}-{n}"
        admin.ok("POST", "/api/v1/users", {"username": f"{code}-admin", "password": password,
                                          "role": "tenant_admin", "tenant_id": tenant["id"]})
        api = root.login(f"{code}-admin", password, code)
        api.ok("PUT", "/api/v1/enterprise-profile", {
            "legal_name": f"{stem}{n + 1}号有限公司", "credit_code": credit_code(rng, county),
            "industry": industry, "industry_mode": mode, "kind": "manufacturer",
            "employees": employees, "revenue": revenue, "region": county, "park": park})
        done["enterprises"] += 1
        devices = []
        for key, kind, props in products:
            p = api.ok("POST", "/api/v1/products", {"name": f"{key} ({kind})", "product_key": f"{code}-{key}",
                                                   "kind": kind, "thing_model": thing_model(props)})
            for i in range(rng.randint(1, max(1, args.devices // len(products)))):
                d = api.ok("POST", "/api/v1/devices", {"name": f"{key}-{i + 1}", "product_id": p["id"]})
                creds = api.ok("GET", f"/api/v1/devices/{d['id']}/credentials")
                devices.append((d, creds["access_token"], kind, props))
        for d, token, kind, props in devices:
            done["devices"] += 1
            if rng.random() < 0.15:
                continue  # off line all month: registered, not connected
            for _ in range(3):
                root.ok("POST", f"/api/v1/{token}/telemetry", {p: reading(rng, p) for p in props})
            done["connected"] += 1
            done["kinds"].add(kind)
            if mode == "process":
                done["process_points"] += len(props)
            if rng.random() < 0.3:
                answered = []
                t = threading.Thread(target=answer_one_command, args=(root, token, answered))
                t.start()
                time.sleep(0.2)
                status, c = api.call("POST", f"/api/v1/devices/{d['id']}/commands", {"method": "reset"})
                t.join(timeout=30)
                done["commands"] += 1
                if status == 200 and c.get("status") == "succeeded":
                    done["managed"] += 1
        for _ in range(rng.randint(2, 6)):
            api.ok("POST", "/api/v1/models/pump.hydraulic_power/invoke",
                   {"inputs": {"rho": 998, "Q": round(rng.uniform(10, 80), 1), "H": 30, "P_shaft": 7.5}})
            done["model_calls"] += 1
        for r in rng.sample(free_apps, min(2, len(free_apps))):
            s, _ = api.call("POST", f"/api/v1/market/releases/{r['app_id']}/{r['version']}/acquire", {})
            done["installs"] += int(s in (200, 201))
        print(f"{code}: {industry} {county} {employees} employees, {len(devices)} devices", file=sys.stderr)
    done["kinds"] = len(done["kinds"])
    print(json.dumps(done))


if __name__ == "__main__":
    main()
