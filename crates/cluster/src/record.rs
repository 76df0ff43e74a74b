//! The record appended to a partition's ingest stream: one tenant's device data taken by
//! one node in one merged write, and device events (connections, thing-model events,
//! client RPCs) to be announced by the partition's owner.
//!
//! Layout (integers are LEB128 varints, signed ones zigzagged; a block is a varint length
//! and that many bytes; ids are their 16 bytes):
//!
//! ```text
//! "ILR" version(1)  tenant  names: n × block   items: n × item   crc32(everything before): u32 LE
//! item  = 1 batch | 2 event
//! batch = device  product (nil: none)  announce?  points: n × (name index, ts, quality, value)
//!         (ts: the first point's in full, each next one's as the difference from the one
//!         before: the values of one message share a timestamp, one byte then)
//! announce = 0 | 1 origin arrived device_name product_key values
//! value = 0 bool u8 | 1 i64 | 2 f64 LE | 3 string block
//! event = device device_name product_key at kind
//! ```
//!
//! Property names are kept once per record (a merged write carries the same few names for
//! many devices). Decoding checks the checksum first, then every length against what is
//! left, so hostile bytes are refused without large allocations.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ironloom_bus::{Announce, LogItem};
use ironloom_core::device::DeviceEventKind;
use ironloom_core::ids::{BindingId, DeviceId, InstallationId, JobId, ProductId, RuleId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::telemetry::{DeviceBatch, Micros, PointIn, Quality, Value};
use ironloom_tsdb::codec::CodecError;
use ironloom_tsdb::codec::varint::{Reader, put_block, put_i64, put_u64};
use uuid::Uuid;

const MAGIC: &[u8; 3] = b"ILR";
const VERSION: u8 = 2;

/// A device event carried to the partition owner.
#[derive(Debug, Clone, PartialEq)]
pub struct EventItem {
    pub device: DeviceId,
    pub device_name: Arc<str>,
    pub product_key: Arc<str>,
    pub at: DateTime<Utc>,
    pub kind: DeviceEventKind,
}

/// One entry of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Batch(LogItem),
    Event(EventItem),
}

/// One append to a partition's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub tenant: TenantId,
    pub items: Vec<Item>,
}

fn put_uuid(out: &mut Vec<u8>, u: &Uuid) {
    out.extend_from_slice(u.as_bytes());
}

fn get_uuid(r: &mut Reader<'_>) -> Result<Uuid, CodecError> {
    let b = r.bytes(16)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ok(Uuid::from_bytes(a))
}

fn get_str<'a>(r: &mut Reader<'a>) -> Result<&'a str, CodecError> {
    std::str::from_utf8(r.block()?).map_err(|_| CodecError::Invalid("text is not UTF-8"))
}

fn put_origin(out: &mut Vec<u8>, o: &Origin) {
    match o {
        Origin::Device => out.push(0),
        Origin::Rule { rule, depth } => {
            out.push(1);
            put_uuid(out, &rule.0);
            out.push(*depth);
        }
        Origin::Binding { binding } => {
            out.push(2);
            put_uuid(out, &binding.0);
        }
        Origin::Job { job } => {
            out.push(3);
            put_uuid(out, &job.0);
        }
        Origin::App { installation } => {
            out.push(4);
            put_uuid(out, &installation.0);
        }
    }
}

fn get_origin(r: &mut Reader<'_>) -> Result<Origin, CodecError> {
    Ok(match r.u8()? {
        0 => Origin::Device,
        1 => Origin::Rule {
            rule: RuleId(get_uuid(r)?),
            depth: r.u8()?,
        },
        2 => Origin::Binding {
            binding: BindingId(get_uuid(r)?),
        },
        3 => Origin::Job {
            job: JobId(get_uuid(r)?),
        },
        4 => Origin::App {
            installation: InstallationId(get_uuid(r)?),
        },
        _ => return Err(CodecError::Invalid("unknown origin")),
    })
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Bool(b) => {
            out.push(0);
            out.push(u8::from(*b));
        }
        Value::I64(i) => {
            out.push(1);
            put_i64(out, *i);
        }
        Value::F64(f) => {
            out.push(2);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Str(s) => {
            out.push(3);
            put_block(out, s.as_bytes());
        }
    }
}

fn get_value(r: &mut Reader<'_>) -> Result<Value, CodecError> {
    Ok(match r.u8()? {
        0 => match r.u8()? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            _ => return Err(CodecError::Invalid("boolean out of range")),
        },
        1 => Value::I64(r.i64()?),
        2 => Value::F64(r.f64_le()?),
        3 => Value::Str(get_str(r)?.to_owned()),
        _ => return Err(CodecError::Invalid("unknown value type")),
    })
}

fn put_kind(out: &mut Vec<u8>, k: &DeviceEventKind) {
    match k {
        DeviceEventKind::Connected { transport } => {
            out.push(0);
            put_block(out, transport.as_bytes());
        }
        DeviceEventKind::Disconnected { reason } => {
            out.push(1);
            put_block(out, reason.as_bytes());
        }
        // Telemetry travels as a batch; an event item never carries it.
        DeviceEventKind::Telemetry { .. } => out.push(0xff),
        DeviceEventKind::Event { identifier, params } => {
            out.push(2);
            put_block(out, identifier.as_bytes());
            put_block(out, params.to_string().as_bytes());
        }
        DeviceEventKind::ClientRpc { method, params } => {
            out.push(3);
            put_block(out, method.as_bytes());
            put_block(out, params.to_string().as_bytes());
        }
    }
}

fn get_json(r: &mut Reader<'_>) -> Result<serde_json::Value, CodecError> {
    serde_json::from_slice(r.block()?).map_err(|_| CodecError::Invalid("parameters are not JSON"))
}

fn get_kind(r: &mut Reader<'_>) -> Result<DeviceEventKind, CodecError> {
    Ok(match r.u8()? {
        0 => DeviceEventKind::Connected {
            transport: get_str(r)?.to_owned(),
        },
        1 => DeviceEventKind::Disconnected {
            reason: get_str(r)?.to_owned(),
        },
        2 => DeviceEventKind::Event {
            identifier: get_str(r)?.to_owned(),
            params: get_json(r)?,
        },
        3 => DeviceEventKind::ClientRpc {
            method: get_str(r)?.to_owned(),
            params: get_json(r)?,
        },
        _ => return Err(CodecError::Invalid("unknown event kind")),
    })
}

/// Appends the record's bytes to `out`.
pub fn encode(tenant: TenantId, items: &[Item], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    put_uuid(out, tenant.as_uuid());
    // The property names, each once, in order of first use.
    let mut names: Vec<&str> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for item in items {
        if let Item::Batch(b) = item {
            for p in &b.batch.points {
                index.entry(p.property.as_str()).or_insert_with(|| {
                    names.push(p.property.as_str());
                    names.len() - 1
                });
            }
        }
    }
    put_u64(out, names.len() as u64);
    for n in &names {
        put_block(out, n.as_bytes());
    }
    put_u64(out, items.len() as u64);
    for item in items {
        match item {
            Item::Batch(b) => {
                out.push(1);
                put_uuid(out, b.batch.device.as_uuid());
                put_uuid(out, &b.batch.product.map(|p| p.0).unwrap_or(Uuid::nil()));
                match &b.announce {
                    None => out.push(0),
                    Some(a) => {
                        out.push(1);
                        put_origin(out, &a.origin);
                        put_i64(out, a.arrived);
                        put_block(out, a.device_name.as_bytes());
                        put_block(out, a.product_key.as_bytes());
                        put_u64(out, a.values as u64);
                    }
                }
                put_u64(out, b.batch.points.len() as u64);
                let mut prev: Micros = 0;
                for p in &b.batch.points {
                    put_u64(out, index[p.property.as_str()] as u64);
                    put_i64(out, p.ts.wrapping_sub(prev));
                    prev = p.ts;
                    out.push(p.quality.code());
                    put_value(out, &p.value);
                }
            }
            Item::Event(e) => {
                out.push(2);
                put_uuid(out, e.device.as_uuid());
                put_block(out, e.device_name.as_bytes());
                put_block(out, e.product_key.as_bytes());
                put_i64(out, e.at.timestamp_micros());
                put_kind(out, &e.kind);
            }
        }
    }
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Reads a record; any damage or hostile length is an error, never a panic.
pub fn decode(data: &[u8]) -> Result<Record, CodecError> {
    if data.len() < MAGIC.len() + 1 + 16 + 4 {
        return Err(CodecError::Truncated);
    }
    let (body, crc) = data.split_at(data.len() - 4);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err(CodecError::Invalid("checksum mismatch"));
    }
    let mut r = Reader::new(body);
    if r.bytes(3)? != MAGIC {
        return Err(CodecError::Invalid("not an ingest record"));
    }
    if r.u8()? != VERSION {
        return Err(CodecError::Invalid("unknown record version"));
    }
    let tenant = TenantId(get_uuid(&mut r)?);
    // Every name takes at least one byte, every item at least 17, every point 4.
    let n = r.len(r.remaining())?;
    let mut names: Vec<Arc<str>> = Vec::with_capacity(n);
    for _ in 0..n {
        names.push(Arc::from(get_str(&mut r)?));
    }
    let n = r.len(r.remaining() / 17)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(match r.u8()? {
            1 => {
                let device = DeviceId(get_uuid(&mut r)?);
                let product = get_uuid(&mut r)?;
                let announce = match r.u8()? {
                    0 => None,
                    1 => Some(Announce {
                        origin: get_origin(&mut r)?,
                        arrived: r.i64()?,
                        device_name: Arc::from(get_str(&mut r)?),
                        product_key: Arc::from(get_str(&mut r)?),
                        values: r.len(u32::MAX as usize)?,
                    }),
                    _ => return Err(CodecError::Invalid("announce flag out of range")),
                };
                let n = r.len(r.remaining() / 4)?;
                let mut points = Vec::with_capacity(n);
                let mut prev: Micros = 0;
                for _ in 0..n {
                    let name = names
                        .get(r.len(usize::MAX)?)
                        .ok_or(CodecError::Invalid("property index out of range"))?;
                    let ts: Micros = prev.wrapping_add(r.i64()?);
                    prev = ts;
                    let quality = Quality::from_code(r.u8()?)
                        .ok_or(CodecError::Invalid("unknown quality"))?;
                    points.push(PointIn {
                        property: name.to_string(),
                        ts,
                        value: get_value(&mut r)?,
                        quality,
                    });
                }
                Item::Batch(LogItem {
                    batch: DeviceBatch {
                        device,
                        product: (!product.is_nil()).then_some(ProductId(product)),
                        points,
                    },
                    announce,
                })
            }
            2 => {
                let device = DeviceId(get_uuid(&mut r)?);
                let device_name = Arc::from(get_str(&mut r)?);
                let product_key = Arc::from(get_str(&mut r)?);
                let at = DateTime::from_timestamp_micros(r.i64()?)
                    .ok_or(CodecError::Invalid("time out of range"))?;
                Item::Event(EventItem {
                    device,
                    device_name,
                    product_key,
                    at,
                    kind: get_kind(&mut r)?,
                })
            }
            _ => return Err(CodecError::Invalid("unknown item")),
        });
    }
    if !r.is_empty() {
        return Err(CodecError::Invalid("bytes after the last item"));
    }
    Ok(Record { tenant, items })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ironloom_testkit::{Mutator, Rng};

    fn sample() -> Record {
        let point = |p: &str, ts, value| PointIn {
            property: p.into(),
            ts,
            value,
            quality: Quality::Good,
        };
        Record {
            tenant: TenantId(Uuid::from_u128(7)),
            items: vec![
                Item::Batch(LogItem {
                    batch: DeviceBatch {
                        device: DeviceId(Uuid::from_u128(1)),
                        product: Some(ProductId(Uuid::from_u128(2))),
                        points: vec![
                            point("t", 1_700_000_000_000_000, Value::F64(21.5)),
                            point("on", -5, Value::Bool(true)),
                            point("温度", 3, Value::Str("高".into())),
                        ],
                    },
                    announce: Some(Announce {
                        origin: Origin::Rule {
                            rule: RuleId(Uuid::from_u128(9)),
                            depth: 2,
                        },
                        arrived: 1_700_000_000_000_001,
                        device_name: "pump-1".into(),
                        product_key: "pump".into(),
                        values: 2,
                    }),
                }),
                Item::Batch(LogItem {
                    batch: DeviceBatch {
                        device: DeviceId(Uuid::from_u128(3)),
                        product: None,
                        points: vec![PointIn {
                            quality: Quality::Bad,
                            ..point("t", i64::MIN, Value::I64(i64::MAX))
                        }],
                    },
                    announce: None,
                }),
                Item::Event(EventItem {
                    device: DeviceId(Uuid::from_u128(1)),
                    device_name: "pump-1".into(),
                    product_key: "pump".into(),
                    at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
                    kind: DeviceEventKind::Event {
                        identifier: "overheat".into(),
                        params: serde_json::json!({"t": 99.5}),
                    },
                }),
                Item::Event(EventItem {
                    device: DeviceId(Uuid::from_u128(3)),
                    device_name: "d".into(),
                    product_key: "p".into(),
                    at: DateTime::from_timestamp_micros(0).unwrap(),
                    kind: DeviceEventKind::Disconnected {
                        reason: "keep-alive".into(),
                    },
                }),
            ],
        }
    }

    #[test]
    fn records_round_trip() {
        let r = sample();
        let mut out = Vec::new();
        encode(r.tenant, &r.items, &mut out);
        assert_eq!(decode(&out).unwrap(), r);
        // Names are stored once: "t" appears in two batches.
        let t_count = out.windows(2).filter(|w| w == &[1, b't']).count();
        assert_eq!(t_count, 1, "{out:?}");
    }

    #[test]
    fn values_of_one_message_share_their_timestamp_cheaply() {
        let message = |step: i64| {
            let points = (0..10)
                .map(|k| PointIn {
                    property: format!("v{k}"),
                    ts: 1_700_000_000_000_000 + k * step,
                    value: Value::F64(k as f64),
                    quality: Quality::Good,
                })
                .collect();
            let items = vec![Item::Batch(LogItem {
                batch: DeviceBatch {
                    device: DeviceId(Uuid::from_u128(1)),
                    product: None,
                    points,
                },
                announce: None,
            })];
            let mut out = Vec::new();
            encode(TenantId(Uuid::from_u128(7)), &items, &mut out);
            assert_eq!(decode(&out).unwrap().items, items);
            out.len()
        };
        // Nine later timestamps as one-byte differences instead of 8-byte varints (a
        // difference as large as a timestamp itself: what every point cost before).
        let (shared, apart) = (message(0), message(1_000_000_000_000_000));
        assert!(shared + 9 * 7 <= apart, "{shared} {apart}");
    }

    #[test]
    fn the_layout_is_pinned() {
        // A record with no items: magic, version, tenant, no names, no items, checksum.
        let mut out = Vec::new();
        encode(TenantId(Uuid::from_u128(0x0102)), &[], &mut out);
        let mut expect = b"ILR\x02".to_vec();
        expect.extend_from_slice(&0x0102u128.to_be_bytes());
        expect.extend_from_slice(&[0, 0]);
        expect.extend_from_slice(&crc32fast::hash(&expect).to_le_bytes());
        assert_eq!(out, expect);
    }

    #[test]
    fn damaged_and_hostile_records_are_errors() {
        let r = sample();
        let mut good = Vec::new();
        encode(r.tenant, &r.items, &mut good);
        // Every truncation, and every single-byte change, is refused (the checksum).
        for n in 0..good.len() {
            assert!(decode(&good[..n]).is_err(), "truncated at {n}");
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x40;
            assert!(decode(&bad).is_err(), "byte {i} changed");
        }
        // Valid checksums over hostile bodies: huge counts, bad tags, bad UTF-8.
        let seal = |mut body: Vec<u8>| {
            let crc = crc32fast::hash(&body);
            body.extend_from_slice(&crc.to_le_bytes());
            body
        };
        let head = || {
            let mut b = b"ILR\x02".to_vec();
            b.extend_from_slice(&[0; 16]);
            b
        };
        let mut huge = head();
        put_u64(&mut huge, u64::MAX);
        assert!(decode(&seal(huge)).is_err());
        let mut items = head();
        items.push(0);
        put_u64(&mut items, 1 << 40);
        assert!(decode(&seal(items)).is_err());
        let mut tag = head();
        tag.extend_from_slice(&[0, 1, 9]);
        tag.extend_from_slice(&[0; 20]);
        assert!(decode(&seal(tag)).is_err());
        let mut utf = head();
        utf.extend_from_slice(&[1, 2, 0xff, 0xfe, 0]);
        assert!(decode(&seal(utf)).is_err());
        // Random mutations of a valid body, resealed: errors or records, never a panic.
        let mut rng = Rng::new(21);
        let body = &good[..good.len() - 4];
        let mutator = Mutator::new().dictionary(&[&b"ILR\x02"[..], &[0xff; 9], &[1], &[2], &[3]]);
        for _ in 0..20_000 {
            let _ = decode(&seal(mutator.mutate(&mut rng, body)));
        }
    }
}
