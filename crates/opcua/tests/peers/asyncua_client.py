"""An asyncua client exercising the Ironloom OPC UA simulator.

Usage: asyncua_client.py ENDPOINT [--user NAME:PASSWORD --pki DIR]

With --user it connects with Basic256Sha256 SignAndEncrypt (creating its own certificate
under DIR), else with security None and anonymously. It browses Objects, reads values and
the EURange of Pump1.Flow, writes Pump1.SpeedSetpoint and reads it back, and subscribes
to Motor1.Speed. Prints one JSON object with what it saw; exits non-zero on failure.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography.x509.oid import ExtendedKeyUsageOID

CLIENT_URI = "urn:ironloom:test:asyncua-client"


class Collector:
    def __init__(self):
        self.values = []
        self.changed = asyncio.Event()

    def datachange_notification(self, node, val, data):
        self.values.append(val)
        if len(self.values) >= 3:
            self.changed.set()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("endpoint")
    p.add_argument("--user")
    p.add_argument("--pki", type=Path)
    args = p.parse_args()

    client = Client(args.endpoint, timeout=10)
    client.application_uri = CLIENT_URI
    if args.user:
        name, password = args.user.split(":", 1)
        client.set_user(name)
        client.set_password(password)
        args.pki.mkdir(parents=True, exist_ok=True)
        key, cert = args.pki / "client-key.pem", args.pki / "client-cert.der"
        await setup_self_signed_certificate(
            key, cert, CLIENT_URI, "localhost", [ExtendedKeyUsageOID.CLIENT_AUTH], {"commonName": "asyncua test client"}
        )
        await client.set_security(
            SecurityPolicyBasic256Sha256, str(cert), str(key), mode=ua.MessageSecurityMode.SignAndEncrypt
        )

    out = {}
    async with client:
        ns = await client.get_namespace_index("urn:ironloom:sim")
        out["namespace_index"] = ns
        objects = client.nodes.objects
        machines = []
        for child in await objects.get_children():
            name = (await child.read_browse_name()).Name
            if (await child.read_browse_name()).NamespaceIndex == ns:
                machines.append(name)
        out["machines"] = sorted(machines)

        pump = await objects.get_child(f"{ns}:Pump1")
        out["pump_variables"] = sorted(
            [(await c.read_browse_name()).Name for c in await pump.get_children()]
        )
        flow = client.get_node(f"ns={ns};s=Pump1.Flow")
        out["flow"] = await flow.read_value()
        eu = await flow.get_child(["0:EURange"])
        rng = await eu.read_value()
        out["flow_range"] = [rng.Low, rng.High]

        sp = client.get_node(f"ns={ns};s=Pump1.SpeedSetpoint")
        out["setpoint_before"] = await sp.read_value()
        await sp.write_value(ua.DataValue(ua.Variant(80.0, ua.VariantType.Double)))
        out["setpoint_after"] = await sp.read_value()
        try:
            await flow.write_value(ua.DataValue(ua.Variant(1.0, ua.VariantType.Double)))
            out["flow_write"] = "accepted"
        except ua.UaStatusCodeError as e:
            out["flow_write"] = type(e).__name__

        collector = Collector()
        sub = await client.create_subscription(100, collector)
        await sub.subscribe_data_change(client.get_node(f"ns={ns};s=Motor1.Speed"), sampling_interval=50)
        await asyncio.wait_for(collector.changed.wait(), 10)
        out["speed_notifications"] = collector.values[:3]
        await sub.delete()
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:
        print(f"asyncua client failed: {type(e).__name__}: {e}", file=sys.stderr)
        raise
