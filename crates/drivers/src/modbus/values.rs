//! Register contents to values and back by a point's data type, byte and word order
//! ([`Order`]), scale and offset.

pub use ironloom_core::driver_table::modbus::{DataType, Order};

use crate::model::{DriverError, Value};
use ironloom_core::driver_table::modbus::Point;

/// How one point's raw registers become a value: the type, order, scale and offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Encoding {
    pub data_type: DataType,
    pub order: Order,
    /// `value = raw × scale + offset`; with scale 1 and offset 0 integers stay integers.
    pub scale: f64,
    pub offset: f64,
    pub bit: u8,
    pub string_len: u16,
}

impl Encoding {
    /// The encoding of a point of a table.
    pub fn of(p: &Point) -> Encoding {
        Encoding {
            data_type: p.data_type(),
            order: p.order,
            scale: p.scale,
            offset: p.offset,
            bit: p.bit.unwrap_or(0),
            string_len: p.length.unwrap_or(1),
        }
    }

    pub fn plain(data_type: DataType) -> Encoding {
        Encoding {
            data_type,
            order: Order::ABCD,
            scale: 1.0,
            offset: 0.0,
            bit: 0,
            string_len: 1,
        }
    }

    fn scaled(&self) -> bool {
        self.scale != 1.0 || self.offset != 0.0
    }

    /// The registers of the point, in the order they appear on the wire.
    pub fn registers(&self) -> u16 {
        self.data_type.registers(self.string_len)
    }

    /// Bytes of the value, most significant first (strings: in text order).
    fn bytes_of(&self, regs: &[u16]) -> Vec<u8> {
        let mut out = Vec::with_capacity(regs.len() * 2);
        let reversed = self.order.words_reversed() && self.data_type != DataType::String;
        let swapped = self.order.bytes_swapped();
        let mut push = |r: u16| {
            let [hi, lo] = r.to_be_bytes();
            if swapped {
                out.extend([lo, hi]);
            } else {
                out.extend([hi, lo]);
            }
        };
        if reversed {
            regs.iter().rev().for_each(|&r| push(r));
        } else {
            regs.iter().for_each(|&r| push(r));
        }
        out
    }

    fn registers_of(&self, bytes: &[u8]) -> Vec<u16> {
        let reversed = self.order.words_reversed() && self.data_type != DataType::String;
        let swapped = self.order.bytes_swapped();
        let mut regs: Vec<u16> = bytes
            .chunks(2)
            .map(|c| {
                let (hi, lo) = (c[0], c.get(1).copied().unwrap_or(0));
                if swapped {
                    u16::from_be_bytes([lo, hi])
                } else {
                    u16::from_be_bytes([hi, lo])
                }
            })
            .collect();
        if reversed {
            regs.reverse();
        }
        regs
    }

    fn apply(&self, raw_int: Option<i128>, raw_float: f64) -> Value {
        if !self.scaled() {
            if let Some(i) = raw_int {
                return match i64::try_from(i) {
                    Ok(i) => Value::I64(i),
                    // u64 values above i64::MAX.
                    Err(_) => Value::F64(i as f64),
                };
            }
            return Value::F64(raw_float);
        }
        Value::F64(raw_float * self.scale + self.offset)
    }

    /// Decodes the point's registers (exactly `registers()` of them).
    pub fn decode(&self, regs: &[u16]) -> Result<Value, DriverError> {
        let want = usize::from(self.registers());
        if regs.len() != want {
            return Err(DriverError::Malformed(format!(
                "{} registers for a {} point of {want}",
                regs.len(),
                self.data_type.as_str()
            )));
        }
        let b = self.bytes_of(regs);
        let arr2 = || [b[0], b[1]];
        let arr4 = || [b[0], b[1], b[2], b[3]];
        let arr8 = || [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
        Ok(match self.data_type {
            DataType::Bool => Value::Bool(u16::from_be_bytes(arr2()) != 0),
            DataType::Bit => Value::Bool(u16::from_be_bytes(arr2()) >> self.bit & 1 == 1),
            DataType::U16 => {
                let v = u16::from_be_bytes(arr2());
                self.apply(Some(v.into()), v.into())
            }
            DataType::I16 => {
                let v = i16::from_be_bytes(arr2());
                self.apply(Some(v.into()), v.into())
            }
            DataType::U32 => {
                let v = u32::from_be_bytes(arr4());
                self.apply(Some(v.into()), v.into())
            }
            DataType::I32 => {
                let v = i32::from_be_bytes(arr4());
                self.apply(Some(v.into()), v.into())
            }
            DataType::U64 => {
                let v = u64::from_be_bytes(arr8());
                self.apply(Some(v.into()), v as f64)
            }
            DataType::I64 => {
                let v = i64::from_be_bytes(arr8());
                self.apply(Some(v.into()), v as f64)
            }
            DataType::F32 => {
                let v = f32::from_be_bytes(arr4());
                if !v.is_finite() {
                    return Err(DriverError::Malformed(format!("the f32 value is {v}")));
                }
                self.apply(None, v.into())
            }
            DataType::F64 => {
                let v = f64::from_be_bytes(arr8());
                if !v.is_finite() {
                    return Err(DriverError::Malformed(format!("the f64 value is {v}")));
                }
                self.apply(None, v)
            }
            DataType::String => {
                let end = b.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
                Value::Str(String::from_utf8_lossy(&b[..end]).into_owned())
            }
        })
    }

    /// The raw number a value stands for: `(value − offset) / scale`, rounded for integer
    /// types; `Invalid` when it does not fit the type.
    fn raw_number(&self, v: &Value) -> Result<f64, DriverError> {
        let x = match v {
            Value::F64(f) => *f,
            Value::I64(i) => *i as f64,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Str(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| DriverError::Invalid(format!("\"{s}\" is not a number")))?,
        };
        if !x.is_finite() {
            return Err(DriverError::Invalid(format!("{x} is not a finite number")));
        }
        let raw = (x - self.offset) / self.scale;
        Ok(if self.data_type.is_integer() {
            raw.round()
        } else {
            raw
        })
    }

    /// Encodes a value into the point's registers, for a write.
    pub fn encode(&self, v: &Value) -> Result<Vec<u16>, DriverError> {
        let out_of_range = |raw: f64| {
            DriverError::Invalid(format!(
                "{} does not fit a {} register value{}",
                fmt_value(v),
                self.data_type.as_str(),
                if self.scaled() {
                    format!(" (raw {raw} after scale and offset)")
                } else {
                    String::new()
                }
            ))
        };
        let int_in = |lo: f64, hi: f64| -> Result<f64, DriverError> {
            let raw = self.raw_number(v)?;
            if raw < lo || raw > hi {
                return Err(out_of_range(raw));
            }
            Ok(raw)
        };
        let bytes: Vec<u8> = match self.data_type {
            DataType::Bool | DataType::Bit => {
                let b = match v {
                    Value::Bool(b) => *b,
                    Value::I64(0) => false,
                    Value::I64(1) => true,
                    _ => {
                        return Err(DriverError::Invalid(format!(
                            "{} is not true or false",
                            fmt_value(v)
                        )));
                    }
                };
                u16::from(b).to_be_bytes().to_vec()
            }
            DataType::U16 => (int_in(0.0, 65_535.0)? as u16).to_be_bytes().to_vec(),
            DataType::I16 => (int_in(-32_768.0, 32_767.0)? as i16).to_be_bytes().to_vec(),
            DataType::U32 => (int_in(0.0, 4_294_967_295.0)? as u32)
                .to_be_bytes()
                .to_vec(),
            DataType::I32 => (int_in(-2_147_483_648.0, 2_147_483_647.0)? as i32)
                .to_be_bytes()
                .to_vec(),
            DataType::U64 => match (v, self.scaled()) {
                (Value::I64(i), false) if *i >= 0 => (*i as u64).to_be_bytes().to_vec(),
                _ => (int_in(0.0, 1.8446744073709552e19)? as u64)
                    .to_be_bytes()
                    .to_vec(),
            },
            DataType::I64 => match (v, self.scaled()) {
                (Value::I64(i), false) => i.to_be_bytes().to_vec(),
                _ => (int_in(-9.223372036854776e18, 9.223372036854776e18)? as i64)
                    .to_be_bytes()
                    .to_vec(),
            },
            DataType::F32 => {
                let raw = self.raw_number(v)?;
                if raw.abs() > f64::from(f32::MAX) {
                    return Err(out_of_range(raw));
                }
                (raw as f32).to_be_bytes().to_vec()
            }
            DataType::F64 => self.raw_number(v)?.to_be_bytes().to_vec(),
            DataType::String => {
                let Value::Str(s) = v else {
                    return Err(DriverError::Invalid(format!(
                        "{} is not a string",
                        fmt_value(v)
                    )));
                };
                let cap = usize::from(self.string_len) * 2;
                if s.len() > cap {
                    return Err(DriverError::Invalid(format!(
                        "the string has {} bytes; the point holds {cap}",
                        s.len()
                    )));
                }
                let mut b = s.as_bytes().to_vec();
                b.resize(cap, 0);
                b
            }
        };
        Ok(self.registers_of(&bytes))
    }
}

fn fmt_value(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::I64(i) => i.to_string(),
        Value::F64(f) => f.to_string(),
        Value::Str(s) => format!("\"{s}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(t: DataType, order: Order) -> Encoding {
        Encoding {
            order,
            ..Encoding::plain(t)
        }
    }

    #[test]
    fn the_four_orders_of_a_32_bit_value() {
        // 0x41200000 = 10.0f32; bytes A=41 B=20 C=00 D=00.
        let cases = [
            (Order::ABCD, [0x4120, 0x0000]),
            (Order::CDAB, [0x0000, 0x4120]),
            (Order::BADC, [0x2041, 0x0000]),
            (Order::DCBA, [0x0000, 0x2041]),
        ];
        for (order, regs) in cases {
            let e = enc(DataType::F32, order);
            assert_eq!(e.decode(&regs).unwrap(), Value::F64(10.0), "{order:?}");
            assert_eq!(e.encode(&Value::F64(10.0)).unwrap(), regs, "{order:?}");
        }
        // 0x12345678 as u32.
        let cases = [
            (Order::ABCD, [0x1234, 0x5678]),
            (Order::CDAB, [0x5678, 0x1234]),
            (Order::BADC, [0x3412, 0x7856]),
            (Order::DCBA, [0x7856, 0x3412]),
        ];
        for (order, regs) in cases {
            let e = enc(DataType::U32, order);
            assert_eq!(
                e.decode(&regs).unwrap(),
                Value::I64(0x1234_5678),
                "{order:?}"
            );
            assert_eq!(e.encode(&Value::I64(0x1234_5678)).unwrap(), regs);
        }
    }

    #[test]
    fn sixty_four_bit_values_round_trip_in_every_order() {
        for order in [Order::ABCD, Order::CDAB, Order::BADC, Order::DCBA] {
            for (t, v) in [
                (DataType::F64, Value::F64(-1234.5678e100)),
                (DataType::I64, Value::I64(-5_000_000_000_123)),
                (DataType::U64, Value::I64(i64::MAX)),
            ] {
                let e = enc(t, order);
                let regs = e.encode(&v).unwrap();
                assert_eq!(regs.len(), 4);
                assert_eq!(e.decode(&regs).unwrap(), v, "{t:?} {order:?}");
            }
        }
        // Big endian is what the standard says: 1.0f64 = 3FF0 0000 0000 0000.
        assert_eq!(
            enc(DataType::F64, Order::ABCD)
                .encode(&Value::F64(1.0))
                .unwrap(),
            [0x3ff0, 0, 0, 0]
        );
        assert_eq!(
            enc(DataType::F64, Order::CDAB)
                .encode(&Value::F64(1.0))
                .unwrap(),
            [0, 0, 0, 0x3ff0]
        );
        // u64 beyond i64 becomes a float rather than wrapping.
        assert_eq!(
            enc(DataType::U64, Order::ABCD)
                .decode(&[0xffff, 0xffff, 0xffff, 0xffff])
                .unwrap(),
            Value::F64(u64::MAX as f64)
        );
    }

    #[test]
    fn sixteen_bit_types_signs_bits_and_byte_swap() {
        assert_eq!(
            enc(DataType::I16, Order::ABCD).decode(&[0xfffe]).unwrap(),
            Value::I64(-2)
        );
        assert_eq!(
            enc(DataType::U16, Order::ABCD).decode(&[0xfffe]).unwrap(),
            Value::I64(65534)
        );
        assert_eq!(
            enc(DataType::U16, Order::BADC).decode(&[0x3412]).unwrap(),
            Value::I64(0x1234)
        );
        let mut bit = Encoding::plain(DataType::Bit);
        bit.bit = 3;
        assert_eq!(bit.decode(&[0b1000]).unwrap(), Value::Bool(true));
        assert_eq!(bit.decode(&[0b0111]).unwrap(), Value::Bool(false));
        assert_eq!(
            Encoding::plain(DataType::Bool).decode(&[7]).unwrap(),
            Value::Bool(true)
        );
    }

    #[test]
    fn scale_and_offset_both_ways() {
        let e = Encoding {
            scale: 0.1,
            offset: -40.0,
            ..Encoding::plain(DataType::U16)
        };
        // raw 650 → 650 × 0.1 − 40 = 25.0
        let Value::F64(v) = e.decode(&[650]).unwrap() else {
            panic!()
        };
        assert!((v - 25.0).abs() < 1e-9);
        assert_eq!(e.encode(&Value::F64(25.0)).unwrap(), [650]);
        // −50 → raw −100: below a u16.
        let err = e.encode(&Value::F64(-50.0)).unwrap_err();
        assert!(err.to_string().contains("does not fit a u16"), "{err}");
    }

    #[test]
    fn strings_and_bad_values() {
        let e = Encoding {
            string_len: 4,
            ..Encoding::plain(DataType::String)
        };
        let regs = e.encode(&Value::Str("O1234".into())).unwrap();
        assert_eq!(regs, [0x4f31, 0x3233, 0x3400, 0]);
        assert_eq!(e.decode(&regs).unwrap(), Value::Str("O1234".into()));
        assert!(e.encode(&Value::Str("far too long".into())).is_err());
        assert!(e.encode(&Value::I64(3)).is_err());
        let swapped = Encoding {
            order: Order::BADC,
            ..e
        };
        assert_eq!(
            swapped.decode(&[0x314f, 0x3332, 0x0034, 0]).unwrap(),
            Value::Str("O1234".into())
        );
        // Wrong register counts, NaN, values that do not fit.
        assert!(matches!(
            enc(DataType::F32, Order::ABCD).decode(&[1]),
            Err(DriverError::Malformed(_))
        ));
        assert!(matches!(
            enc(DataType::F32, Order::ABCD).decode(&[0x7fc0, 0]),
            Err(DriverError::Malformed(_))
        ));
        assert!(
            enc(DataType::I16, Order::ABCD)
                .encode(&Value::I64(40_000))
                .is_err()
        );
        assert!(
            enc(DataType::U32, Order::ABCD)
                .encode(&Value::I64(-1))
                .is_err()
        );
        assert!(
            enc(DataType::F32, Order::ABCD)
                .encode(&Value::F64(1e300))
                .is_err()
        );
        assert!(
            enc(DataType::Bool, Order::ABCD)
                .encode(&Value::I64(2))
                .is_err()
        );
        assert!(
            enc(DataType::U16, Order::ABCD)
                .encode(&Value::Str("x".into()))
                .is_err()
        );
    }
}
