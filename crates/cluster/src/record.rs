//! The record appended to a partition's ingest stream: one tenant's device data taken by
//! one node in one merged write, and device events (connections, thing-model events,
//! client RPCs) to be announced by the partition's owner.
//!
//! Layout (integers are LEB128 varints, signed ones zigzagged; a block is a varint length
//! and that many bytes; ids are their 16 bytes):
//!
//! ```text
//! "ILR" version(3)  tenant  base_ts  names: n × block  products: n × id  items: n × item
//!       crc32(everything before): u32 LE
//! item  = 1 batch | 2 event
//! batch = device  product (0: none, k: the k-th of products)  announce?  n  flags
//!         [ts, when flags & 2]  points: n × ([name index]  [ts]  quality << 4 | value tag  value)
//!         flags & 1: the points have the names of the last batch's, in order, and carry no
//!         name index; flags & 2: they share one timestamp, given once before them;
//!         otherwise each point's ts is the difference from the one before (the first
//!         one's from base_ts, the record's first timestamp: the messages of one record
//!         are close in time)
//! announce = 0 | 1 origin arrived device_name product_key values
//! value (tag, bytes) = 0 bool u8 | 1 i64 | 2 f64 LE | 3 string block
//!       | 4 + places (0..=6), int: a float that is int / 10^places bit for bit
//! event = device device_name product_key at kind
//! ```
//!
//! Property names and products are kept once per record (a merged write carries the same
//! few for many devices), a batch with the last one's names or a single timestamp says so
//! with a flag, and the decimals sensors send (21.5) take two to four bytes instead of
//! nine: records are about half the size of version 2's, and what the streams store,
//! replicate and hand to the owners shrinks with them. Version 2 (no base timestamp, no
//! product table, products inline, a byte of its own for quality) is still read, so that
//! records appended before an upgrade are applied after it. Decoding checks the checksum
//! first, then every length against what is left, so hostile bytes are refused without
//! large allocations.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ironloom_bus::{Announce, LogItem};
use ironloom_core::device::DeviceEventKind;
use ironloom_core::ids::{BindingId, DeviceId, InstallationId, JobId, ProductId, RuleId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::telemetry::{DeviceBatch, Micros, PointIn, Quality, Value};
use ironloom_tsdb::codec::varint::{Reader, put_block, put_i64, put_u64};
use ironloom_tsdb::codec::{CodecError, float};
use uuid::Uuid;

const MAGIC: &[u8; 3] = b"ILR";
const VERSION: u8 = 3;
/// The version before products and a base timestamp were kept once per record.
const VERSION_2: u8 = 2;
/// Floats with up to this many decimal places travel as scaled integers.
const MAX_PLACES: u8 = 6;
const DECIMAL: u8 = 4;
const DECIMAL_LAST: u8 = DECIMAL + MAX_PLACES;

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

/// A value: its tag, with `high` (the point's quality, shifted) in the tag byte's upper
/// bits, then its bytes.
fn put_value(out: &mut Vec<u8>, v: &Value, high: u8) {
    match v {
        Value::Bool(b) => {
            out.push(high);
            out.push(u8::from(*b));
        }
        Value::I64(i) => {
            out.push(high | 1);
            put_i64(out, *i);
        }
        Value::F64(f) => match float::as_decimal(*f, MAX_PLACES) {
            Some((places, int)) => {
                out.push(high | (DECIMAL + places));
                put_i64(out, int);
            }
            None => {
                out.push(high | 2);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
        },
        Value::Str(s) => {
            out.push(high | 3);
            put_block(out, s.as_bytes());
        }
    }
}

/// The value after its tag (the tag byte's lower four bits).
fn get_value(r: &mut Reader<'_>, tag: u8) -> Result<Value, CodecError> {
    Ok(match tag {
        0 => match r.u8()? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            _ => return Err(CodecError::Invalid("boolean out of range")),
        },
        1 => Value::I64(r.i64()?),
        2 => Value::F64(r.f64_le()?),
        3 => Value::Str(get_str(r)?.to_owned()),
        DECIMAL..=DECIMAL_LAST => {
            let int = r.i64()?;
            Value::F64(
                float::from_decimal(tag - DECIMAL, int)
                    .ok_or(CodecError::Invalid("decimal places out of range"))?,
            )
        }
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
    // The property names and the products, each once, in order of first use.
    let mut names: Vec<&str> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut products: Vec<Uuid> = Vec::new();
    let mut base_ts = None;
    for item in items {
        if let Item::Batch(b) = item {
            if let Some(p) = b.batch.product
                && !products.contains(&p.0)
            {
                products.push(p.0);
            }
            for p in &b.batch.points {
                base_ts.get_or_insert(p.ts);
                index.entry(p.property.as_str()).or_insert_with(|| {
                    names.push(p.property.as_str());
                    names.len() - 1
                });
            }
        }
    }
    let base_ts: Micros = base_ts.unwrap_or(0);
    put_i64(out, base_ts);
    put_u64(out, names.len() as u64);
    for n in &names {
        put_block(out, n.as_bytes());
    }
    put_u64(out, products.len() as u64);
    for p in &products {
        put_uuid(out, p);
    }
    put_u64(out, items.len() as u64);
    // The name indexes of this batch's points and of the last batch's.
    let (mut shape, mut last_shape): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    for item in items {
        match item {
            Item::Batch(b) => {
                out.push(1);
                put_uuid(out, b.batch.device.as_uuid());
                // Products are few per record: a linear search beats hashing.
                let product = b
                    .batch
                    .product
                    .and_then(|p| products.iter().position(|x| *x == p.0));
                put_u64(out, product.map_or(0, |k| k as u64 + 1));
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
                let points = &b.batch.points;
                put_u64(out, points.len() as u64);
                shape.clear();
                shape.extend(points.iter().map(|p| index[p.property.as_str()]));
                // Devices of one product send the same properties in the same order, and
                // one message's values share a timestamp: each said once.
                let same_names = !points.is_empty() && shape == last_shape;
                let first = points.first().map(|p| p.ts);
                let one_ts = first.is_some_and(|t| points.iter().all(|p| p.ts == t));
                out.push(u8::from(same_names) | u8::from(one_ts) << 1);
                if one_ts {
                    put_i64(out, first.unwrap_or(0).wrapping_sub(base_ts));
                }
                let mut prev: Micros = base_ts;
                for (p, &name) in points.iter().zip(&shape) {
                    if !same_names {
                        put_u64(out, name as u64);
                    }
                    if !one_ts {
                        put_i64(out, p.ts.wrapping_sub(prev));
                        prev = p.ts;
                    }
                    put_value(out, &p.value, p.quality.code() << 4);
                }
                std::mem::swap(&mut shape, &mut last_shape);
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
    let v2 = match r.u8()? {
        VERSION => false,
        VERSION_2 => true,
        _ => return Err(CodecError::Invalid("unknown record version")),
    };
    let tenant = TenantId(get_uuid(&mut r)?);
    let base_ts: Micros = if v2 { 0 } else { r.i64()? };
    // Every name takes at least one byte, every product 16, every item at least 17, every
    // point 4.
    let n = r.len(r.remaining())?;
    let mut names: Vec<Arc<str>> = Vec::with_capacity(n);
    for _ in 0..n {
        names.push(Arc::from(get_str(&mut r)?));
    }
    let mut products = Vec::new();
    if !v2 {
        let n = r.len(r.remaining() / 16)?;
        products.reserve(n);
        for _ in 0..n {
            products.push(ProductId(get_uuid(&mut r)?));
        }
    }
    let n = r.len(r.remaining() / 17)?;
    let mut items = Vec::with_capacity(n);
    let (mut shape, mut last_shape): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    for _ in 0..n {
        items.push(match r.u8()? {
            1 => {
                let device = DeviceId(get_uuid(&mut r)?);
                let product = if v2 {
                    let p = get_uuid(&mut r)?;
                    (!p.is_nil()).then_some(ProductId(p))
                } else {
                    match r.len(usize::MAX)? {
                        0 => None,
                        k => Some(
                            *products
                                .get(k - 1)
                                .ok_or(CodecError::Invalid("product index out of range"))?,
                        ),
                    }
                };
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
                // A point takes at least two bytes (four in version 2).
                let n = r.len(r.remaining() / if v2 { 4 } else { 2 })?;
                let flags = if v2 { 0 } else { r.u8()? };
                if flags > 3 {
                    return Err(CodecError::Invalid("unknown batch flags"));
                }
                let same_names = flags & 1 != 0;
                if same_names && last_shape.len() != n {
                    return Err(CodecError::Invalid("points unlike the last batch's"));
                }
                let one_ts = (flags & 2 != 0)
                    .then(|| r.i64().map(|d| base_ts.wrapping_add(d)))
                    .transpose()?;
                let mut points = Vec::with_capacity(n);
                let mut prev: Micros = base_ts;
                shape.clear();
                for k in 0..n {
                    let index = if same_names {
                        // Checked above: the last batch has n points.
                        last_shape.get(k).copied().unwrap_or(usize::MAX)
                    } else {
                        r.len(usize::MAX)?
                    };
                    let name = names
                        .get(index)
                        .ok_or(CodecError::Invalid("property index out of range"))?;
                    shape.push(index);
                    let ts: Micros = match one_ts {
                        Some(ts) => ts,
                        None => {
                            prev = prev.wrapping_add(r.i64()?);
                            prev
                        }
                    };
                    // Version 2: a quality byte, then the value's tag byte; since: one
                    // byte of both.
                    let (quality, tag) = if v2 {
                        (r.u8()?, r.u8()?)
                    } else {
                        let b = r.u8()?;
                        (b >> 4, b & 0x0f)
                    };
                    let quality = Quality::from_code(quality)
                        .ok_or(CodecError::Invalid("unknown quality"))?;
                    points.push(PointIn {
                        property: name.to_string(),
                        ts,
                        value: get_value(&mut r, tag)?,
                        quality,
                    });
                }
                std::mem::swap(&mut shape, &mut last_shape);
                Item::Batch(LogItem {
                    batch: DeviceBatch {
                        device,
                        product,
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

/// The fuzz target `cluster_record` (`fuzz/`): `data` is a record body; it is sealed with
/// its checksum (so the fuzzer explores the body, not the checksum) and decoded. What
/// decodes must encode to a record that decodes and encodes to the very same bytes.
#[allow(clippy::expect_used, clippy::panic)]
pub fn fuzz(data: &[u8]) {
    let mut sealed = data.to_vec();
    let crc = crc32fast::hash(data);
    sealed.extend_from_slice(&crc.to_le_bytes());
    if let Ok(r) = decode(&sealed) {
        let mut once = Vec::new();
        encode(r.tenant, &r.items, &mut once);
        let again = decode(&once).expect("a re-encoded record decodes");
        let mut twice = Vec::new();
        encode(again.tenant, &again.items, &mut twice);
        assert!(once == twice, "encoding a decoded record is not stable");
    }
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
        // A record with no items: magic, version, tenant, base timestamp 0, no names, no
        // products, no items, checksum.
        let mut out = Vec::new();
        encode(TenantId(Uuid::from_u128(0x0102)), &[], &mut out);
        let mut expect = b"ILR\x03".to_vec();
        expect.extend_from_slice(&0x0102u128.to_be_bytes());
        expect.extend_from_slice(&[0, 0, 0, 0]);
        expect.extend_from_slice(&crc32fast::hash(&expect).to_le_bytes());
        assert_eq!(out, expect);
    }

    #[test]
    fn version_2_records_are_still_read() {
        // Version 2 as it was written: no base timestamp, no product table, the product
        // inline (nil for none), the first timestamp in full.
        let mut v2 = b"ILR\x02".to_vec();
        v2.extend_from_slice(&7u128.to_be_bytes());
        v2.push(1);
        put_block(&mut v2, b"t");
        v2.push(1);
        v2.push(1);
        v2.extend_from_slice(&1u128.to_be_bytes());
        v2.extend_from_slice(&2u128.to_be_bytes());
        v2.push(0);
        v2.push(1);
        v2.push(0);
        put_i64(&mut v2, 1_700_000_000_000_000);
        v2.push(Quality::Good.code());
        v2.push(2);
        v2.extend_from_slice(&21.5f64.to_bits().to_le_bytes());
        let crc = crc32fast::hash(&v2);
        v2.extend_from_slice(&crc.to_le_bytes());
        let r = decode(&v2).unwrap();
        assert_eq!(r.tenant, TenantId(Uuid::from_u128(7)));
        let Item::Batch(b) = &r.items[0] else {
            panic!("{r:?}")
        };
        assert_eq!(b.batch.device, DeviceId(Uuid::from_u128(1)));
        assert_eq!(b.batch.product, Some(ProductId(Uuid::from_u128(2))));
        assert_eq!(b.batch.points[0].ts, 1_700_000_000_000_000);
        assert_eq!(b.batch.points[0].value, Value::F64(21.5));
    }

    #[test]
    fn a_message_of_ten_sensor_decimals_takes_under_half_of_version_2() {
        // What the cluster benchmark sends: 17 messages of one product in a record, ten
        // one-place decimals each, a millisecond apart; devices differ.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let items: Vec<Item> = (0..17u128)
            .map(|m| {
                let points = (0..10)
                    .map(|k| {
                        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        let tenths = ((x >> 33) % 10_000) as f64 - 2_000.0;
                        PointIn {
                            property: format!("v{k}"),
                            ts: 1_700_000_000_000_000 + m as i64 * 1000,
                            value: Value::F64(format!("{}", tenths / 10.0).parse().unwrap()),
                            quality: Quality::Good,
                        }
                    })
                    .collect();
                Item::Batch(LogItem {
                    batch: DeviceBatch {
                        device: DeviceId(Uuid::from_u128(1000 + m)),
                        product: Some(ProductId(Uuid::from_u128(2))),
                        points,
                    },
                    announce: None,
                })
            })
            .collect();
        let mut out = Vec::new();
        encode(TenantId(Uuid::from_u128(7)), &items, &mut out);
        assert_eq!(decode(&out).unwrap().items, items);
        let per_message = out.len() / items.len();
        // Version 2 took 162: 16 bytes of product, 8 of the first timestamp, a quality
        // byte, a name index, a timestamp difference and nine bytes of every value.
        assert!(per_message <= 60, "{per_message} bytes a message");
        // Floats that are no short decimal still come back bit for bit.
        let odd = [
            0.1 + 0.2,
            -0.0,
            f64::NAN,
            1e300,
            f64::MIN_POSITIVE,
            1.234_567_8,
        ];
        let items = vec![Item::Batch(LogItem {
            batch: DeviceBatch {
                device: DeviceId(Uuid::from_u128(1)),
                product: None,
                points: odd
                    .iter()
                    .map(|&v| PointIn {
                        property: "x".into(),
                        ts: 0,
                        value: Value::F64(v),
                        quality: Quality::Good,
                    })
                    .collect(),
            },
            announce: None,
        })];
        let mut out = Vec::new();
        encode(TenantId(Uuid::from_u128(7)), &items, &mut out);
        let Item::Batch(b) = &decode(&out).unwrap().items[0] else {
            panic!()
        };
        for (p, v) in b.batch.points.iter().zip(odd) {
            let Value::F64(got) = p.value else { panic!() };
            assert_eq!(got.to_bits(), v.to_bits(), "{v}");
        }
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
        for version in [2u8, 3] {
            let head = || {
                let mut b = b"ILR".to_vec();
                b.push(version);
                b.extend_from_slice(&[0; 16]);
                if version == 3 {
                    b.push(0);
                }
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
        }
        // Version 3: a product index past the table, a value tag past the decimals,
        // unknown batch flags, the last batch's names where there was none.
        let batch = |product: u8, flags: u8, tag: u8| {
            let mut b = b"ILR\x03".to_vec();
            b.extend_from_slice(&[0; 16]);
            b.extend_from_slice(&[0, 1, 1, b'x', 0, 1, 1]);
            b.extend_from_slice(&[0; 16]);
            b.extend_from_slice(&[product, 0, 1, flags]);
            if flags & 1 == 0 {
                b.push(0);
            }
            b.extend_from_slice(&[0, tag, 2]);
            seal(b)
        };
        assert!(decode(&batch(0, 0, DECIMAL)).is_ok());
        assert!(decode(&batch(0, 2, DECIMAL)).is_ok());
        assert!(decode(&batch(1, 0, DECIMAL)).is_err());
        assert!(decode(&batch(0, 0, DECIMAL_LAST + 1)).is_err());
        assert!(decode(&batch(0, 0, 3 << 4 | DECIMAL)).is_err(), "quality 3");
        assert!(decode(&batch(0, 4, DECIMAL)).is_err());
        assert!(decode(&batch(0, 1, DECIMAL)).is_err());
        // Random mutations of a valid body, resealed: errors or records, never a panic.
        let mut rng = Rng::new(21);
        let body = &good[..good.len() - 4];
        let mutator = Mutator::new().dictionary(&[
            &b"ILR\x02"[..],
            &b"ILR\x03"[..],
            &[0xff; 9],
            &[1],
            &[2],
            &[3],
            &[DECIMAL_LAST],
        ]);
        for _ in 0..20_000 {
            fuzz(&mutator.mutate(&mut rng, body));
        }
    }
}
