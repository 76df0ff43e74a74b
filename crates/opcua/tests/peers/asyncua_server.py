"""An asyncua OPC UA server for the driver's peer tests.

Usage: asyncua_server.py --port PORT [--security none|basic256sha256] [--user NAME:PASSWORD]
                         [--pki DIR]

Serves namespace urn:ironloom:peer (index 2) with object Line1 and the variables below, at
opc.tcp://127.0.0.1:PORT/ironloom/peer/. Prints "READY" once it accepts connections, then
runs until killed.

  ns=2;s=Line1.Temperature  Double   changes every 100 ms (20 + 5 sin t)
  ns=2;s=Line1.Counter      Int32    +1 every 100 ms
  ns=2;s=Line1.Setpoint     Float    writable, 20.0
  ns=2;s=Line1.Mode         String   writable, "manual"
  ns=2;s=Line1.Enabled      Boolean  writable, false
  ns=2;s=Line1.Small        Int16    writable, 7
  ns=2;s=Line1.Stamped      Double   1.5 with source time 2024-01-02T03:04:05Z
  ns=2;s=Line1.Blob         ByteString
  ns=2;s=Line1.Faulty       Double   status BadSensorFailure
  ns=2;s=Line1.Stale        Double   12.5 with status UncertainLastUsableValue
  ns=2;s=Line1.Locked       Double   read-only, 3.0
"""

import argparse
import asyncio
import datetime
import ipaddress
import math
import sys
from pathlib import Path

from asyncua import Server, ua
from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from asyncua.crypto.permission_rules import User, UserRole
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

APP_URI = "urn:ironloom:peer:server"


class OneUser:
    def __init__(self, name, password):
        self.name = name
        self.password = password

    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username == self.name and password == self.password:
            return User(role=UserRole.User)
        return None


def make_cert(pki: Path):
    pki.mkdir(parents=True, exist_ok=True)
    key_file, cert_file = pki / "server-key.pem", pki / "server-cert.der"
    if not key_file.exists():
        key = generate_private_key()
        cert = generate_self_signed_app_certificate(
            key,
            "asyncua peer",
            {},
            [
                x509.UniformResourceIdentifier(APP_URI),
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ],
            extended=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        )
        key_file.write_bytes(dump_private_key_as_pem(key))
        cert_file.write_bytes(cert.public_bytes(encoding=Encoding.DER))
    return cert_file, key_file


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--security", choices=["none", "basic256sha256"], default="none")
    p.add_argument("--user")
    p.add_argument("--pki", type=Path, default=Path("peer-pki"))
    args = p.parse_args()

    user_manager = None
    if args.user:
        name, password = args.user.split(":", 1)
        user_manager = OneUser(name, password)
    server = Server(user_manager=user_manager)
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{args.port}/ironloom/peer/")
    server.set_server_name("Ironloom asyncua peer")
    await server.set_application_uri(APP_URI)
    if args.security == "basic256sha256":
        cert, key = make_cert(args.pki)
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
    else:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    if args.user:
        server.set_identity_tokens([ua.UserNameIdentityToken])
    else:
        server.set_identity_tokens([ua.AnonymousIdentityToken])

    ns = await server.register_namespace("urn:ironloom:peer")
    line = await server.nodes.objects.add_object(ua.NodeId("Line1", ns), ua.QualifiedName("Line1", ns))

    async def var(name, value, vtype, writable=False):
        v = await line.add_variable(
            ua.NodeId(f"Line1.{name}", ns), ua.QualifiedName(name, ns), ua.Variant(value, vtype)
        )
        if writable:
            await v.set_writable()
        return v

    temperature = await var("Temperature", 20.0, ua.VariantType.Double)
    counter = await var("Counter", 0, ua.VariantType.Int32)
    await var("Setpoint", 20.0, ua.VariantType.Float, writable=True)
    await var("Mode", "manual", ua.VariantType.String, writable=True)
    await var("Enabled", False, ua.VariantType.Boolean, writable=True)
    await var("Small", 7, ua.VariantType.Int16, writable=True)
    stamped = await var("Stamped", 1.5, ua.VariantType.Double)
    await var("Blob", b"\x01\x02", ua.VariantType.ByteString)
    faulty = await var("Faulty", 0.0, ua.VariantType.Double)
    stale = await var("Stale", 12.5, ua.VariantType.Double)
    await var("Locked", 3.0, ua.VariantType.Double)

    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    await stamped.write_value(
        ua.DataValue(ua.Variant(1.5, ua.VariantType.Double), SourceTimestamp=when, ServerTimestamp=when)
    )
    await faulty.write_value(
        ua.DataValue(
            ua.Variant(0.0, ua.VariantType.Double),
            StatusCode=ua.StatusCode(ua.StatusCodes.BadSensorFailure),
        )
    )
    await stale.write_value(
        ua.DataValue(
            ua.Variant(12.5, ua.VariantType.Double),
            StatusCode=ua.StatusCode(ua.StatusCodes.UncertainLastUsableValue),
        )
    )

    async with server:
        print("READY", flush=True)
        n = 0
        while True:
            await asyncio.sleep(0.1)
            n += 1
            await temperature.write_value(ua.Variant(20.0 + 5.0 * math.sin(n / 10.0), ua.VariantType.Double))
            await counter.write_value(ua.Variant(n, ua.VariantType.Int32))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
