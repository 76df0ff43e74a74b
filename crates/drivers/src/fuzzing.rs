//! Entry points for fuzz targets (bytes a PLC sends, register contents), also run by the
//! test suite over mutated inputs. Each takes arbitrary bytes and must not panic.
//!
//! A failed invariant panics on purpose: that is how a fuzzer reports it.
#![allow(clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_modbus::client::Client;
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::{Request, Slave};

use crate::modbus::client::read_answer;
use crate::modbus::config::Area;
use crate::modbus::values::{DataType, Encoding, Order};
use crate::model::Value;

const TYPES: [DataType; 11] = [
    DataType::Bool,
    DataType::U16,
    DataType::I16,
    DataType::U32,
    DataType::I32,
    DataType::U64,
    DataType::I64,
    DataType::F32,
    DataType::F64,
    DataType::String,
    DataType::Bit,
];
const ORDERS: [Order; 4] = [Order::ABCD, Order::CDAB, Order::BADC, Order::DCBA];

fn encoding(b: &[u8]) -> Encoding {
    let get = |i: usize| b.get(i).copied().unwrap_or(0);
    Encoding {
        data_type: TYPES[usize::from(get(0)) % TYPES.len()],
        order: ORDERS[usize::from(get(1)) % ORDERS.len()],
        scale: [1.0, 0.1, 0.01, 10.0, -2.5][usize::from(get(2)) % 5],
        offset: [0.0, -40.0, 273.15][usize::from(get(3)) % 3],
        bit: get(4) % 16,
        string_len: u16::from(get(5) % 8) + 1,
    }
}

/// Register contents under an encoding chosen by the first bytes: decoding never panics,
/// and what decodes exactly (integers without scale, strings of ASCII) encodes back to
/// the same registers.
pub fn fuzz_values(data: &[u8]) {
    let mut enc = encoding(data);
    let regs: Vec<u16> = data
        .get(6..)
        .unwrap_or_default()
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    if matches!(
        enc.data_type,
        DataType::Bool | DataType::Bit | DataType::String
    ) {
        enc.scale = 1.0;
        enc.offset = 0.0;
    }
    let want = usize::from(enc.registers());
    let Ok(v) = enc.decode(&regs[..want.min(regs.len())]) else {
        return;
    };
    // Whatever decodes can be offered for writing without a panic.
    let back = enc.encode(&v);
    let exact = match (&v, enc.data_type) {
        (Value::I64(_), DataType::U16 | DataType::I16 | DataType::U32 | DataType::I32)
        | (Value::I64(_), DataType::I64) => enc.scale == 1.0 && enc.offset == 0.0,
        (Value::Str(s), DataType::String) => s.is_ascii() && !s.contains('\0'),
        _ => false,
    };
    if exact {
        let back = back.expect("an exactly decoded value encodes");
        assert_eq!(
            enc.decode(&back).expect("re-encoded registers decode"),
            v,
            "round trip changed the value ({enc:?})"
        );
    }
}

thread_local! {
    static RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
}

/// A PLC's answer to one read: the first byte picks the area and the framing (TCP or
/// RTU), the second the count; the rest is what the peer sends back. The client and our
/// answer checks must not panic, and an accepted answer has exactly the registers asked
/// for (at least the bits). Returns whether the answer was accepted.
pub fn fuzz_answer(data: &[u8]) -> bool {
    let Some((&sel, rest)) = data.split_first() else {
        return false;
    };
    let Some((&n, reply)) = rest.split_first() else {
        return false;
    };
    let area = [Area::Coil, Area::Discrete, Area::Holding, Area::Input][usize::from(sel % 4)];
    let rtu = sel & 4 != 0;
    let count = if area.is_bits() {
        u16::from(n) * 8 + 1
    } else {
        u16::from(n % 125) + 1
    };
    let reply = reply.to_vec();
    RUNTIME.with(|rt| {
        let mut rt = rt.borrow_mut();
        let rt = rt.get_or_insert_with(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
        });
        rt.block_on(async move {
            let (client, mut server) = tokio::io::duplex(1 << 16);
            let peer = tokio::spawn(async move {
                let mut req = [0u8; 64];
                let _ = server.read(&mut req).await;
                // A TCP reply echoes the transaction id: make the first two bytes match
                // often enough for the decoder to get past the header.
                let mut r = reply;
                if !rtu && r.len() >= 2 && r[0] == 0 {
                    r[0] = req[0];
                    r[1] = req[1];
                }
                let _ = server.write_all(&r).await;
                let _ = server.shutdown().await;
            });
            let mut ctx = if rtu {
                tokio_modbus::client::rtu::attach(client)
            } else {
                tokio_modbus::client::tcp::attach(client)
            };
            ctx.set_slave(Slave(1));
            let req = match area {
                Area::Coil => Request::ReadCoils(0, count),
                Area::Discrete => Request::ReadDiscreteInputs(0, count),
                Area::Holding => Request::ReadHoldingRegisters(0, count),
                Area::Input => Request::ReadInputRegisters(0, count),
            };
            let answer = tokio::time::timeout(Duration::from_millis(200), ctx.call(req)).await;
            let mut accepted = false;
            if let Ok(Ok(Ok(answer))) = answer
                && let Ok(words) = read_answer(area, count, answer)
            {
                accepted = true;
                assert!(words.len() >= usize::from(count));
                if !area.is_bits() {
                    assert_eq!(words.len(), usize::from(count));
                    for t in TYPES {
                        let mut e = Encoding::plain(t);
                        e.string_len = count.min(8);
                        let w = usize::from(e.registers());
                        if w <= words.len() {
                            let _ = e.decode(&words[..w]);
                        }
                    }
                }
            }
            peer.abort();
            accepted
        })
    })
}

#[cfg(test)]
mod tests {
    //! The entry points over valid inputs and deterministic mutations of them.
    use super::*;
    use ironloom_testkit::{Mutator, Rng};

    #[test]
    fn values_survive_mutations() {
        let mut rng = Rng::new(7);
        let mutator = Mutator::new();
        for t in 0..11u8 {
            let seed = [t, 1, 0, 0, 3, 4, 0x41, 0x20, 0, 0, 0x30, 0x31, 0, 0];
            fuzz_values(&seed);
            for _ in 0..2000 {
                fuzz_values(&mutator.mutate(&mut rng, &seed));
            }
        }
    }

    fn crc16(b: &[u8]) -> [u8; 2] {
        let mut crc = 0xffffu16;
        for &x in b {
            crc ^= u16::from(x);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xa001
                } else {
                    crc >> 1
                };
            }
        }
        crc.to_le_bytes()
    }

    #[test]
    fn answers_survive_mutations() {
        // Valid answers to a read of 2 holding registers: TCP (the transaction id is
        // copied from the request), and RTU with its CRC.
        let tcp = vec![2u8, 1, 0, 0, 0, 0, 0, 7, 1, 3, 4, 0x41, 0x20, 0, 0];
        let frame = [1u8, 3, 4, 0x41, 0x20, 0, 0];
        let mut rtu = vec![6u8, 1];
        rtu.extend(frame);
        rtu.extend(crc16(&frame));
        assert!(fuzz_answer(&tcp), "the valid TCP answer is accepted");
        assert!(fuzz_answer(&rtu), "the valid RTU answer is accepted");
        // One register short, with a consistent length: refused, not a panic.
        assert!(!fuzz_answer(&[
            2u8, 1, 0, 0, 0, 0, 0, 5, 1, 3, 2, 0x41, 0x20
        ]));
        let mut rng = Rng::new(11);
        let mutator = Mutator::new();
        let mut accepted = 0;
        for seed in [&tcp, &rtu] {
            for _ in 0..300 {
                accepted += usize::from(fuzz_answer(&mutator.mutate(&mut rng, seed)));
            }
        }
        assert!(accepted > 0);
    }
}
