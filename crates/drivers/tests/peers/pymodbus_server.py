"""A pymodbus server for the driver's interoperability tests.

    python pymodbus_server.py tcp PORT          Modbus TCP on 127.0.0.1:PORT
    python pymodbus_server.py rtu-tcp PORT      RTU frames over TCP on 127.0.0.1:PORT
    python pymodbus_server.py rtu DEVICE        Modbus RTU on a serial device (a socat pty)

Unit 1 holds a known register image (see the test, crates/drivers/tests/modbus.rs):
holding 0..99 = the values below, input 0..9 = 1000 + i, coils 0..15 alternate,
discrete inputs 0..15 all on. Writes to holding registers and coils are stored.
Prints "ready" on stdout once listening.
"""

import asyncio
import struct
import sys

from pymodbus.datastore import (
    ModbusDeviceContext,
    ModbusSequentialDataBlock,
    ModbusServerContext,
)
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer


def regs_f32(v, order):
    b = struct.pack(">f", v)
    return words(b, order)


def words(b, order):
    # b: big-endian bytes ABCD…; returns registers in the given order.
    ws = [b[i : i + 2] for i in range(0, len(b), 2)]
    if order in ("CDAB", "DCBA"):
        ws = ws[::-1]
    if order in ("BADC", "DCBA"):
        ws = [w[::-1] for w in ws]
    return [int.from_bytes(w, "big") for w in ws]


def image():
    h = [0] * 100
    # 0: f32 ABCD 21.5; 2: f32 CDAB 21.5; 4: f32 BADC 21.5; 6: f32 DCBA 21.5
    for i, order in enumerate(("ABCD", "CDAB", "BADC", "DCBA")):
        h[2 * i : 2 * i + 2] = regs_f32(21.5, order)
    h[8] = 0xFFFE  # i16 −2 / u16 65534
    h[9:11] = words(struct.pack(">i", -123456), "ABCD")
    h[11:13] = words(struct.pack(">I", 3000000000), "CDAB")
    h[13:17] = words(struct.pack(">d", -2.25), "ABCD")
    h[17:21] = words(struct.pack(">q", -9000000000), "DCBA")
    h[21:25] = words(struct.pack(">Q", 12345678901234), "ABCD")
    h[25:29] = words(b"PUMP-7\0\0", "ABCD")
    h[29] = 0b1010_0000_0000_0101  # bits 0, 2, 13, 15
    h[30] = 650  # ×0.1 − 40 = 25.0
    return h


async def main():
    mode, where = sys.argv[1], sys.argv[2]
    # pymodbus 3.16 data blocks are addressed from 1: a request for address 0 reads
    # the block's first value when the block starts at 1.
    device = ModbusDeviceContext(
        hr=ModbusSequentialDataBlock(1, image()),
        ir=ModbusSequentialDataBlock(1, [1000 + i for i in range(10)]),
        co=ModbusSequentialDataBlock(1, [i % 2 == 0 for i in range(16)]),
        di=ModbusSequentialDataBlock(1, [True] * 16),
    )
    context = ModbusServerContext(devices={1: device}, single=False)
    print("ready", flush=True)
    if mode == "tcp":
        await StartAsyncTcpServer(context=context, address=("127.0.0.1", int(where)))
    elif mode == "rtu-tcp":
        await StartAsyncTcpServer(
            context=context, address=("127.0.0.1", int(where)), framer="rtu"
        )
    else:
        await StartAsyncSerialServer(
            context=context, port=where, baudrate=19200, framer="rtu"
        )


asyncio.run(main())
