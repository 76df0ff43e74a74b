//! The latest-value table's file: a snapshot of the newest point of every series as of a
//! write-ahead-log sequence number, written after each flush (temporary file, sync,
//! rename). Opening the database loads it and replays the log after that number.

use crate::codec::varint::{Reader, put_block, put_i64, put_u64};
use crate::error::{IoContext, Result, TsdbError};
use crate::record::{SeriesDef, get_def, put_def};
use crate::wal::sync_dir;
use ironloom_core::telemetry::{Micros, Quality, Value, ValueType};
use std::path::Path;
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"ILTSLAT1";

#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    pub ts: Micros,
    pub value: Value,
    pub quality: Quality,
}

pub fn save(path: &Path, seq: u64, entries: &[(Arc<SeriesDef>, Latest)]) -> Result<()> {
    let mut body = Vec::with_capacity(entries.len() * 64 + 32);
    body.extend_from_slice(MAGIC);
    body.extend_from_slice(&seq.to_le_bytes());
    put_u64(&mut body, entries.len() as u64);
    for (def, l) in entries {
        put_def(&mut body, def, true);
        put_i64(&mut body, l.ts);
        body.push(l.quality.code());
        match &l.value {
            Value::F64(v) => body.extend_from_slice(&v.to_bits().to_le_bytes()),
            Value::I64(v) => put_i64(&mut body, *v),
            Value::Bool(v) => body.push(*v as u8),
            Value::Str(v) => put_block(&mut body, v.as_bytes()),
        }
    }
    let crc = crc32fast::hash(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &body).at(&tmp)?;
    std::fs::File::open(&tmp).at(&tmp)?.sync_all().at(&tmp)?;
    std::fs::rename(&tmp, path).at(path)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// A snapshot: the sequence number it covers and the entries.
pub type Snapshot = (u64, Vec<(SeriesDef, Latest)>);

/// The snapshot, or `None` if there is none yet.
pub fn load(path: &Path) -> Result<Option<Snapshot>> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(TsdbError::io(path, e)),
    };
    let bad = |d: &str| TsdbError::corrupt(path, d);
    if data.len() < MAGIC.len() + 12 || &data[..8] != MAGIC {
        return Err(bad("not a latest-value file"));
    }
    let (body, crc) = data.split_at(data.len() - 4);
    if crc32fast::hash(body) != u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]) {
        return Err(bad("checksum mismatch"));
    }
    let parse = || -> Result<Snapshot, crate::codec::CodecError> {
        let mut r = Reader::new(&body[8..]);
        let seq = r.u64_le()?;
        let n = r.len(body.len())?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let def = get_def(&mut r, None)?;
            let ts = r.i64()?;
            let quality =
                Quality::from_code(r.u8()?).ok_or(crate::codec::CodecError::Invalid("quality"))?;
            let value = match def.vtype {
                ValueType::F64 => Value::F64(r.f64_le()?),
                ValueType::I64 => Value::I64(r.i64()?),
                ValueType::Bool => Value::Bool(r.u8()? != 0),
                ValueType::Str => Value::Str(
                    std::str::from_utf8(r.block()?)
                        .map_err(|_| crate::codec::CodecError::Invalid("UTF-8"))?
                        .to_owned(),
                ),
            };
            out.push((def, Latest { ts, value, quality }));
        }
        Ok((seq, out))
    };
    parse().map(Some).map_err(|e| bad(&e.to_string()))
}
