//! The payload of one write-ahead-log record: the series it defines (first use of a key)
//! and the points it carries, grouped by series.

use crate::codec::varint::{Reader, put_block, put_i64, put_u64};
use crate::codec::{CodecError, MAX_CHUNK_POINTS};
use crate::column::{Column, Values};
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::ValueType;
use std::sync::Arc;
use uuid::Uuid;

/// A series: its id inside this database and the key it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesDef {
    pub id: u32,
    pub tenant: TenantId,
    pub product: Option<ProductId>,
    pub device: DeviceId,
    pub property: Arc<str>,
    pub vtype: ValueType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub defs: Vec<SeriesDef>,
    pub groups: Vec<(u32, Column)>,
}

pub fn put_uuid(out: &mut Vec<u8>, u: &Uuid) {
    out.extend_from_slice(u.as_bytes());
}

pub fn get_uuid(r: &mut Reader<'_>) -> Result<Uuid, CodecError> {
    let b = r.bytes(16)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ok(Uuid::from_bytes(a))
}

pub fn put_def(out: &mut Vec<u8>, d: &SeriesDef, with_tenant: bool) {
    put_u64(out, d.id as u64);
    if with_tenant {
        put_uuid(out, d.tenant.as_uuid());
        put_uuid(out, &d.product.map(|p| p.0).unwrap_or(Uuid::nil()));
    }
    put_uuid(out, d.device.as_uuid());
    out.push(d.vtype.code());
    put_block(out, d.property.as_bytes());
}

/// Reads a definition; without `tenant` the tenant and product are those given.
pub fn get_def(
    r: &mut Reader<'_>,
    tenant: Option<(TenantId, Option<ProductId>)>,
) -> Result<SeriesDef, CodecError> {
    let id = r.u64()?;
    let id = u32::try_from(id).map_err(|_| CodecError::Invalid("series id out of range"))?;
    let (tenant, product) = match tenant {
        Some(tp) => tp,
        None => {
            let t = TenantId(get_uuid(r)?);
            let p = get_uuid(r)?;
            (t, (!p.is_nil()).then_some(ProductId(p)))
        }
    };
    let device = DeviceId(get_uuid(r)?);
    let vtype = ValueType::from_code(r.u8()?).ok_or(CodecError::Invalid("unknown value type"))?;
    let prop = std::str::from_utf8(r.block()?)
        .map_err(|_| CodecError::Invalid("property name is not UTF-8"))?;
    Ok(SeriesDef {
        id,
        tenant,
        product,
        device,
        property: Arc::from(prop),
        vtype,
    })
}

/// Encodes a record payload.
pub fn encode(seq: u64, defs: &[SeriesDef], groups: &[(u32, &Column)], out: &mut Vec<u8>) {
    out.extend_from_slice(&seq.to_le_bytes());
    put_u64(out, defs.len() as u64);
    for d in defs {
        put_def(out, d, true);
    }
    put_u64(out, groups.len() as u64);
    for (id, c) in groups {
        put_u64(out, *id as u64);
        out.push(c.value_type().code());
        put_u64(out, c.len() as u64);
        let mut prev = 0i64;
        for &t in &c.ts {
            put_i64(out, t.wrapping_sub(prev));
            prev = t;
        }
        match &c.quality {
            None => out.push(0),
            Some(q) => {
                out.push(1);
                out.extend_from_slice(q);
            }
        }
        match &c.values {
            Values::F64(v) => {
                for x in v {
                    out.extend_from_slice(&x.to_bits().to_le_bytes());
                }
            }
            Values::I64(v) => {
                for &x in v {
                    put_i64(out, x);
                }
            }
            Values::Bool(v) => out.extend(v.iter().map(|&b| b as u8)),
            Values::Str(v) => {
                for s in v {
                    put_block(out, s.as_bytes());
                }
            }
        }
    }
}

pub fn decode(data: &[u8]) -> Result<Record, CodecError> {
    let mut r = Reader::new(data);
    let seq = r.u64_le()?;
    let n_defs = r.len(data.len())?;
    let mut defs = Vec::with_capacity(n_defs.min(4096));
    for _ in 0..n_defs {
        defs.push(get_def(&mut r, None)?);
    }
    let n_groups = r.len(data.len())?;
    let mut groups = Vec::with_capacity(n_groups.min(4096));
    for _ in 0..n_groups {
        let id = u32::try_from(r.u64()?).map_err(|_| CodecError::Invalid("series id"))?;
        let vtype = ValueType::from_code(r.u8()?).ok_or(CodecError::Invalid("value type"))?;
        let n = r.len(MAX_CHUNK_POINTS.min(r.remaining()))?;
        let mut ts = Vec::with_capacity(n);
        let mut prev = 0i64;
        for _ in 0..n {
            prev = prev.wrapping_add(r.i64()?);
            ts.push(prev);
        }
        let quality = match r.u8()? {
            0 => None,
            1 => {
                let q = r.bytes(n)?.to_vec();
                if q.iter().any(|&x| x > 2) {
                    return Err(CodecError::Invalid("quality flag"));
                }
                Some(q)
            }
            _ => return Err(CodecError::Invalid("quality marker")),
        };
        let values = match vtype {
            ValueType::F64 => {
                let b = r.bytes(n * 8)?;
                Values::F64(
                    b.chunks_exact(8)
                        .map(|c| {
                            let mut a = [0u8; 8];
                            a.copy_from_slice(c);
                            f64::from_bits(u64::from_le_bytes(a))
                        })
                        .collect(),
                )
            }
            ValueType::I64 => {
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(r.i64()?);
                }
                Values::I64(v)
            }
            ValueType::Bool => Values::Bool(r.bytes(n)?.iter().map(|&b| b != 0).collect()),
            ValueType::Str => {
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let s = std::str::from_utf8(r.block()?)
                        .map_err(|_| CodecError::Invalid("string is not UTF-8"))?;
                    v.push(s.to_owned());
                }
                Values::Str(v)
            }
        };
        groups.push((
            id,
            Column {
                ts,
                values,
                quality,
            },
        ));
    }
    if !r.is_empty() {
        return Err(CodecError::Invalid("trailing bytes"));
    }
    Ok(Record { seq, defs, groups })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_core::telemetry::{Quality, Value};

    #[test]
    fn round_trip() {
        let def = SeriesDef {
            id: 7,
            tenant: TenantId::new(),
            product: Some(ProductId::new()),
            device: DeviceId::new(),
            property: Arc::from("温度"),
            vtype: ValueType::Str,
        };
        let mut c = Column::new(ValueType::Str);
        c.push(10, Value::Str("a".into()), Quality::Good);
        c.push(5, Value::Str("b".into()), Quality::Bad);
        let mut f = Column::new(ValueType::F64);
        f.push(-3, Value::F64(1.5), Quality::Good);
        let mut out = Vec::new();
        encode(
            42,
            std::slice::from_ref(&def),
            &[(7, &c), (8, &f)],
            &mut out,
        );
        let rec = decode(&out).unwrap();
        assert_eq!(rec.seq, 42);
        assert_eq!(rec.defs, vec![def]);
        assert_eq!(rec.groups, vec![(7, c), (8, f)]);
        for cut in 0..out.len() {
            assert!(decode(&out[..cut]).is_err());
        }
    }
}
