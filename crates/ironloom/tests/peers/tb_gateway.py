#!/usr/bin/env python3
"""The ThingsBoard IoT Gateway (PyPI thingsboard-gateway) and the Modbus server its Modbus
connector polls, driven by crates/ironloom/tests/mqtt/tb_gateway.rs against
`ironloom serve`. Runs with the Python of the gateway's own virtual environment
(`IRONLOOM_TB_GATEWAY_PYTHON`, made by scripts/install-test-peers.sh).

    tb_gateway.py modbus UNIT:ADDR=VALUE ...
        A Modbus TCP server (pymodbus) with those holding registers (all others 0) on a
        free port of 127.0.0.1; prints `port N`, then answers lines on standard input:
        `read UNIT ADDR` reads the holding register back over Modbus TCP with a pymodbus
        client and prints `value V` (or `error …`). Ends at the end of standard input.

    tb_gateway.py gateway CONFIG_DIR/tb_gateway.json
        The gateway itself, unchanged but for its check for new versions over the
        internet, which is turned off (a test reaches nothing but this machine).
"""

import asyncio
import sys


def modbus(specs):
    from pymodbus.client import AsyncModbusTcpClient
    from pymodbus.datastore import (
        ModbusSequentialDataBlock,
        ModbusServerContext,
        ModbusSlaveContext,
    )
    from pymodbus.server import ModbusTcpServer

    units = {}
    for spec in specs:
        unit, rest = spec.split(":", 1)
        addr, value = rest.split("=", 1)
        units.setdefault(int(unit), []).append((int(addr), int(value)))
    contexts = {}
    for unit, values in units.items():
        ctx = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [0] * 200))
        for addr, value in values:
            # Through the context, so its address offset applies as it does to requests.
            ctx.setValues(3, addr, [value])
        contexts[unit] = ctx

    async def read(port, unit, addr):
        client = AsyncModbusTcpClient("127.0.0.1", port=port)
        await client.connect()
        try:
            rr = await client.read_holding_registers(addr, count=1, slave=unit)
            if rr.isError():
                return f"error {rr}"
            return f"value {rr.registers[0]}"
        finally:
            client.close()

    async def serve():
        server = ModbusTcpServer(
            ModbusServerContext(slaves=contexts, single=False),
            address=("127.0.0.1", 0),
        )
        await server.listen()
        port = server.transport.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            parts = line.split()
            if len(parts) == 3 and parts[0] == "read":
                print(await read(port, int(parts[1]), int(parts[2])), flush=True)
            else:
                print(f"error unknown command {line.strip()!r}", flush=True)
        await server.shutdown()

    asyncio.run(serve())


def gateway(config_file):
    from thingsboard_gateway.tb_utility import tb_updater

    tb_updater.TBUpdater.check_for_new_version = lambda self: None
    from thingsboard_gateway.gateway.tb_gateway_service import TBGatewayService

    TBGatewayService(config_file)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "modbus":
        modbus(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "gateway":
        gateway(sys.argv[2])
    else:
        sys.exit(__doc__)
