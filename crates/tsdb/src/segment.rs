//! Segment files: immutable, one per (tenant, product, time partition) per flush or
//! compaction, holding compressed chunks of many series and an index at the end.
//!
//! ```text
//! "ILTSSEG1"
//! chunk bytes …                  (each chunk's CRC-32 is in the index)
//! rollup blocks …               (see `rollup.rs`; CRC-32 in the index)
//! index                          (header, series table, chunk entries, rollup entries)
//! footer: index offset u64 LE, index length u32 LE, CRC-32 of the index u32 LE, "ILTSEND1"
//! ```
//! The series table repeats each series' key, so a segment is readable on its own (export,
//! `tsdb check`, rebuilding the catalog).

use crate::chunk::{self, Stats};
use crate::codec::varint::{Reader, put_i64, put_u64};
use crate::column::Column;
use crate::error::{IoContext, Result, TsdbError};
use crate::record::{SeriesDef, get_def, get_uuid, put_def, put_uuid};
use crate::rollup::{self, RollupMeta};
use crate::stats_codec;
use crate::wal::sync_dir;
use ironloom_core::ids::{ProductId, TenantId};
use ironloom_core::telemetry::{Micros, ValueType};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use uuid::Uuid;

const MAGIC: &[u8; 8] = b"ILTSSEG1";
const END: &[u8; 8] = b"ILTSEND1";
const FOOTER: usize = 24;
/// 2: statistics as integers where exact, first timestamps relative to the partition,
/// offsets relative to the previous entry's end, rollup M2 as integers (`stats_codec.rs`,
/// `rollup.rs`). Version 1 segments are still read.
const VERSION: u8 = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub id: u64,
    pub tenant: TenantId,
    pub product: Option<ProductId>,
    pub part_start: Micros,
    pub part_width: Micros,
    /// Range of write-ahead-log sequence numbers whose points this segment holds: on equal
    /// timestamps a segment with a higher `max_seq` wins.
    pub min_seq: u64,
    pub max_seq: u64,
    /// 0 for a flush, n for the output of a compaction of level n-1 inputs.
    pub level: u32,
    /// Segments whose data this one holds (compaction inputs): if they are still on disk
    /// after a crash, they are deleted on open.
    pub replaces: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkMeta {
    pub series: u32,
    pub vtype: ValueType,
    pub stats: Stats,
    pub offset: u64,
    pub len: u32,
    pub crc: u32,
}

/// An open segment: its index in memory, its chunks read on demand.
#[derive(Debug)]
pub struct Segment {
    pub path: PathBuf,
    pub header: Header,
    /// Sorted by id.
    pub series: Vec<SeriesDef>,
    /// Sorted by (series, min_ts).
    pub chunks: Vec<ChunkMeta>,
    /// Sorted by (series, width).
    pub rollups: Vec<RollupMeta>,
    pub bytes: u64,
    /// Format version of the file (see [`VERSION`]).
    pub version: u8,
    file: File,
}

impl Segment {
    pub fn open(path: &Path) -> Result<Segment> {
        let file = File::open(path).at(path)?;
        let bytes = file.metadata().at(path)?.len();
        let bad = |d: &str| TsdbError::corrupt(path, d);
        if bytes < (MAGIC.len() + FOOTER) as u64 {
            return Err(bad("file is shorter than a segment header and footer"));
        }
        let mut head = [0u8; 8];
        file.read_exact_at(&mut head, 0).at(path)?;
        if &head != MAGIC {
            return Err(bad("not a segment file (bad magic)"));
        }
        let mut foot = [0u8; FOOTER];
        file.read_exact_at(&mut foot, bytes - FOOTER as u64)
            .at(path)?;
        if &foot[16..24] != END {
            return Err(bad("footer missing (file truncated?)"));
        }
        let mut r = Reader::new(&foot);
        let (index_off, index_len, index_crc) =
            (|| Ok::<_, crate::codec::CodecError>((r.u64_le()?, r.u32_le()?, r.u32_le()?)))()
                .map_err(|e| bad(&e.to_string()))?;
        // Checked: a hostile footer may hold offsets that overflow.
        let end = index_off
            .checked_add(index_len as u64)
            .and_then(|e| e.checked_add(FOOTER as u64));
        if index_off < MAGIC.len() as u64 || end != Some(bytes) {
            return Err(bad("index position out of range"));
        }
        let mut index = vec![0u8; index_len as usize];
        file.read_exact_at(&mut index, index_off).at(path)?;
        if crc32fast::hash(&index) != index_crc {
            return Err(bad("index checksum mismatch"));
        }
        let (header, series, chunks, rollups) =
            decode_index(&index, index_off).map_err(|e| bad(&format!("index: {e}")))?;
        Ok(Segment {
            path: path.to_path_buf(),
            header,
            series,
            chunks,
            rollups,
            bytes,
            version: index[0],
            file,
        })
    }

    pub fn chunks_of(&self, series: u32) -> &[ChunkMeta] {
        let a = self.chunks.partition_point(|c| c.series < series);
        let b = self.chunks.partition_point(|c| c.series <= series);
        &self.chunks[a..b]
    }

    /// The rollup of a series at `width`, if the segment has one.
    pub fn rollup_of(&self, series: u32, width: Micros) -> Option<&RollupMeta> {
        self.rollups
            .binary_search_by_key(&(series, width), |r| (r.series, r.width))
            .ok()
            .map(|i| &self.rollups[i])
    }

    /// Reads, checks and decodes a rollup block.
    pub fn read_rollup(&self, m: &RollupMeta, t: ValueType) -> Result<Vec<Stats>> {
        let mut buf = vec![0u8; m.len as usize];
        self.file.read_exact_at(&mut buf, m.offset).at(&self.path)?;
        if crc32fast::hash(&buf) != m.crc {
            return Err(TsdbError::corrupt(
                &self.path,
                format!("rollup at byte {}: checksum mismatch", m.offset),
            ));
        }
        rollup::decode(&buf, t, m.windows as usize, m.width, self.version).map_err(|e| {
            TsdbError::corrupt(&self.path, format!("rollup at byte {}: {e}", m.offset))
        })
    }

    pub fn def(&self, series: u32) -> Option<&SeriesDef> {
        self.series
            .binary_search_by_key(&series, |d| d.id)
            .ok()
            .map(|i| &self.series[i])
    }

    /// Reads, checks and decodes one chunk.
    pub fn read_chunk(&self, c: &ChunkMeta) -> Result<Column> {
        let mut buf = vec![0u8; c.len as usize];
        self.file.read_exact_at(&mut buf, c.offset).at(&self.path)?;
        if crc32fast::hash(&buf) != c.crc {
            return Err(TsdbError::corrupt(
                &self.path,
                format!("chunk at byte {}: checksum mismatch", c.offset),
            ));
        }
        let col = chunk::decode(&buf, c.vtype).map_err(|e| {
            TsdbError::corrupt(&self.path, format!("chunk at byte {}: {e}", c.offset))
        })?;
        if col.len() != c.stats.count as usize
            || col.ts.first() != Some(&c.stats.min_ts)
            || col.ts.last() != Some(&c.stats.max_ts)
        {
            return Err(TsdbError::corrupt(
                &self.path,
                format!("chunk at byte {}: contents differ from the index", c.offset),
            ));
        }
        Ok(col)
    }

    pub fn points(&self) -> u64 {
        self.chunks.iter().map(|c| c.stats.count as u64).sum()
    }

    pub fn part_end(&self) -> Micros {
        self.header
            .part_start
            .saturating_add(self.header.part_width)
    }
}

fn encode_index(
    h: &Header,
    series: &[SeriesDef],
    chunks: &[ChunkMeta],
    rollups: &[RollupMeta],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + series.len() * 40 + chunks.len() * 72);
    out.push(VERSION);
    put_u64(&mut out, h.id);
    put_uuid(&mut out, h.tenant.as_uuid());
    put_uuid(&mut out, &h.product.map(|p| p.0).unwrap_or(Uuid::nil()));
    put_i64(&mut out, h.part_start);
    put_i64(&mut out, h.part_width);
    put_u64(&mut out, h.min_seq);
    put_u64(&mut out, h.max_seq);
    put_u64(&mut out, h.level as u64);
    put_u64(&mut out, h.replaces.len() as u64);
    for r in &h.replaces {
        put_u64(&mut out, *r);
    }
    put_u64(&mut out, series.len() as u64);
    for d in series {
        put_def(&mut out, d, false);
    }
    put_u64(&mut out, chunks.len() as u64);
    let mut end = MAGIC.len() as u64;
    for c in chunks {
        put_u64(&mut out, c.series as u64);
        out.push(c.vtype.code());
        put_i64(&mut out, c.offset.wrapping_sub(end) as i64);
        end = c.offset.wrapping_add(c.len as u64);
        put_u64(&mut out, c.len as u64);
        out.extend_from_slice(&c.crc.to_le_bytes());
        stats_codec::put(&mut out, &c.stats, c.vtype, h.part_start);
    }
    put_u64(&mut out, rollups.len() as u64);
    for r in rollups {
        put_u64(&mut out, r.series as u64);
        put_i64(&mut out, r.width);
        put_u64(&mut out, r.windows as u64);
        put_i64(&mut out, r.offset.wrapping_sub(end) as i64);
        end = r.offset.wrapping_add(r.len as u64);
        put_u64(&mut out, r.len as u64);
        out.extend_from_slice(&r.crc.to_le_bytes());
    }
    out
}

pub type Index = (Header, Vec<SeriesDef>, Vec<ChunkMeta>, Vec<RollupMeta>);

pub fn decode_index(data: &[u8], data_end: u64) -> Result<Index, crate::codec::CodecError> {
    use crate::codec::CodecError::Invalid;
    let mut r = Reader::new(data);
    let version = r.u8()?;
    if !(1..=VERSION).contains(&version) {
        return Err(Invalid("unsupported segment version"));
    }
    // Version 2 writes offsets relative to the previous entry's end.
    let mut end = MAGIC.len() as u64;
    let mut place = |r: &mut Reader<'_>, what: &'static str| {
        let offset = if version >= 2 {
            end.wrapping_add(r.i64()? as u64)
        } else {
            r.u64()?
        };
        let len = u32::try_from(r.u64()?).map_err(|_| Invalid(what))?;
        end = offset.wrapping_add(len as u64);
        Ok::<_, crate::codec::CodecError>((offset, len))
    };
    let id = r.u64()?;
    let tenant = TenantId(get_uuid(&mut r)?);
    let p = get_uuid(&mut r)?;
    let product = (!p.is_nil()).then_some(ProductId(p));
    let part_start = r.i64()?;
    let part_width = r.i64()?;
    if part_width <= 0 {
        return Err(Invalid("partition width"));
    }
    let min_seq = r.u64()?;
    let max_seq = r.u64()?;
    let level = u32::try_from(r.u64()?).map_err(|_| Invalid("level"))?;
    let n = r.len(data.len())?;
    let mut replaces = Vec::with_capacity(n);
    for _ in 0..n {
        replaces.push(r.u64()?);
    }
    let n = r.len(data.len())?;
    let mut series = Vec::with_capacity(n);
    for _ in 0..n {
        series.push(get_def(&mut r, Some((tenant, product)))?);
    }
    if series.windows(2).any(|w| w[0].id >= w[1].id) {
        return Err(Invalid("series table not sorted"));
    }
    let n = r.len(data.len())?;
    let mut chunks = Vec::with_capacity(n);
    for _ in 0..n {
        let s = u32::try_from(r.u64()?).map_err(|_| Invalid("series id"))?;
        let vtype = ValueType::from_code(r.u8()?).ok_or(Invalid("value type"))?;
        let (offset, len) = place(&mut r, "chunk length")?;
        let crc = r.u32_le()?;
        let stats = stats_codec::get(&mut r, vtype, part_start, version)?;
        if offset < MAGIC.len() as u64 || offset.saturating_add(len as u64) > data_end {
            return Err(Invalid("chunk outside the data area"));
        }
        if stats.count == 0 || stats.min_ts > stats.max_ts {
            return Err(Invalid("chunk statistics"));
        }
        let def = series
            .binary_search_by_key(&s, |d| d.id)
            .map_err(|_| Invalid("chunk of a series missing from the table"))?;
        if series[def].vtype != vtype {
            return Err(Invalid("chunk type differs from its series"));
        }
        chunks.push(ChunkMeta {
            series: s,
            vtype,
            stats,
            offset,
            len,
            crc,
        });
    }
    if chunks
        .windows(2)
        .any(|w| (w[0].series, w[0].stats.min_ts) > (w[1].series, w[1].stats.min_ts))
    {
        return Err(Invalid("chunk entries not sorted"));
    }
    let n = r.len(data.len())?;
    let mut rollups = Vec::with_capacity(n);
    for _ in 0..n {
        let s = u32::try_from(r.u64()?).map_err(|_| Invalid("series id"))?;
        let width = r.i64()?;
        let windows = u32::try_from(r.u64()?).map_err(|_| Invalid("rollup windows"))?;
        let (offset, len) = place(&mut r, "rollup length")?;
        let crc = r.u32_le()?;
        if offset < MAGIC.len() as u64 || offset.saturating_add(len as u64) > data_end {
            return Err(Invalid("rollup outside the data area"));
        }
        if width <= 0 || windows == 0 || windows as usize > rollup::MAX_WINDOWS {
            return Err(Invalid("rollup width or window count"));
        }
        let def = series
            .binary_search_by_key(&s, |d| d.id)
            .map_err(|_| Invalid("rollup of a series missing from the table"))?;
        if !rollup::supported(series[def].vtype) {
            return Err(Invalid("rollup of a series without rollups"));
        }
        rollups.push(RollupMeta {
            series: s,
            width,
            windows,
            offset,
            len,
            crc,
        });
    }
    if rollups
        .windows(2)
        .any(|w| (w[0].series, w[0].width) >= (w[1].series, w[1].width))
    {
        return Err(Invalid("rollup entries not sorted"));
    }
    Ok((
        Header {
            id,
            tenant,
            product,
            part_start,
            part_width,
            min_seq,
            max_seq,
            level,
            replaces,
        },
        series,
        chunks,
        rollups,
    ))
}

/// The file name of a segment: partition start (UTC) and id, so a listing sorts by time.
pub fn file_name(part_start: Micros, id: u64) -> String {
    let t = chrono::DateTime::from_timestamp_micros(part_start)
        .map(|d| d.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| format!("p{part_start}"));
    format!("{t}-{id:016x}.seg")
}

/// Writes a segment series by series (ascending ids, sorted and de-duplicated columns) in
/// chunks of at most `chunk_points`. The file appears under its final name only when
/// complete and synced.
#[derive(Debug)]
pub struct Writer {
    dir: PathBuf,
    path: PathBuf,
    tmp: PathBuf,
    header: Header,
    w: BufWriter<File>,
    offset: u64,
    chunk_points: usize,
    defs: Vec<SeriesDef>,
    chunks: Vec<ChunkMeta>,
    rollups: Vec<RollupMeta>,
    buf: Vec<u8>,
}

impl Writer {
    pub fn create(dir: &Path, header: Header, chunk_points: usize) -> Result<Writer> {
        std::fs::create_dir_all(dir).at(dir)?;
        let path = dir.join(file_name(header.part_start, header.id));
        let tmp = path.with_extension("seg.tmp");
        let file = File::create(&tmp).at(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        w.write_all(MAGIC).at(&tmp)?;
        Ok(Writer {
            dir: dir.to_path_buf(),
            path,
            tmp,
            header,
            w,
            offset: MAGIC.len() as u64,
            chunk_points: chunk_points.max(1),
            defs: Vec::new(),
            chunks: Vec::new(),
            rollups: Vec::new(),
            buf: Vec::new(),
        })
    }

    pub fn add(&mut self, def: &SeriesDef, col: &Column) -> Result<()> {
        let n = col.len();
        if n == 0 {
            return Ok(());
        }
        debug_assert!(self.defs.last().is_none_or(|d| d.id < def.id));
        let pieces = n.div_ceil(self.chunk_points);
        // Even chunk sizes (a 1,100-point series gives 550 + 550, not 1,024 + 76).
        let size = n.div_ceil(pieces);
        let mut a = 0;
        while a < n {
            let b = (a + size).min(n);
            let piece = if a == 0 && b == n {
                std::borrow::Cow::Borrowed(col)
            } else {
                std::borrow::Cow::Owned(col.slice(a, b))
            };
            self.buf.clear();
            chunk::encode(&piece, &mut self.buf);
            self.w.write_all(&self.buf).at(&self.tmp)?;
            self.chunks.push(ChunkMeta {
                series: def.id,
                vtype: def.vtype,
                stats: Stats::of(&piece),
                offset: self.offset,
                len: self.buf.len() as u32,
                crc: crc32fast::hash(&self.buf),
            });
            self.offset += self.buf.len() as u64;
            a = b;
        }
        for width in rollup::WIDTHS {
            let Some(ws) = rollup::compute(col, width) else {
                continue;
            };
            self.buf.clear();
            rollup::encode(def.vtype, &ws, &mut self.buf);
            self.w.write_all(&self.buf).at(&self.tmp)?;
            self.rollups.push(RollupMeta {
                series: def.id,
                width,
                windows: ws.len() as u32,
                offset: self.offset,
                len: self.buf.len() as u32,
                crc: crc32fast::hash(&self.buf),
            });
            self.offset += self.buf.len() as u64;
        }
        self.defs.push(def.clone());
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Completes the file and opens it.
    pub fn finish(mut self) -> Result<Segment> {
        let index = encode_index(&self.header, &self.defs, &self.chunks, &self.rollups);
        self.w.write_all(&index).at(&self.tmp)?;
        let mut foot = Vec::with_capacity(FOOTER);
        foot.extend_from_slice(&self.offset.to_le_bytes());
        foot.extend_from_slice(&(index.len() as u32).to_le_bytes());
        foot.extend_from_slice(&crc32fast::hash(&index).to_le_bytes());
        foot.extend_from_slice(END);
        self.w.write_all(&foot).at(&self.tmp)?;
        let file = self
            .w
            .into_inner()
            .map_err(|e| TsdbError::io(&self.tmp, e.into_error()))?;
        file.sync_all().at(&self.tmp)?;
        std::fs::rename(&self.tmp, &self.path).at(&self.path)?;
        sync_dir(&self.dir)?;
        Segment::open(&self.path)
    }

    /// Gives up: removes the temporary file.
    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_core::ids::DeviceId;
    use ironloom_core::telemetry::{Quality, Value};
    use std::sync::Arc;

    /// Writes a whole segment at once.
    fn write(
        dir: &Path,
        header: &Header,
        series: &[(SeriesDef, Column)],
        chunk_points: usize,
    ) -> Result<PathBuf> {
        let mut w = Writer::create(dir, header.clone(), chunk_points)?;
        for (def, col) in series {
            w.add(def, col)?;
        }
        Ok(w.finish()?.path)
    }

    fn header() -> Header {
        Header {
            id: 9,
            tenant: TenantId::new(),
            product: None,
            part_start: 1_767_225_600_000_000,
            part_width: 86_400_000_000,
            min_seq: 1,
            max_seq: 5,
            level: 0,
            replaces: vec![],
        }
    }

    fn sample() -> Vec<(SeriesDef, Column)> {
        let h = header();
        (0..3u32)
            .map(|id| {
                let def = SeriesDef {
                    id,
                    tenant: h.tenant,
                    product: None,
                    device: DeviceId::new(),
                    property: Arc::from(format!("p{id}").as_str()),
                    vtype: ValueType::F64,
                };
                let mut c = Column::new(ValueType::F64);
                for i in 0..2500i64 {
                    c.push(
                        h.part_start + i * 10_000_000,
                        Value::F64((i % 50) as f64 / 10.0),
                        Quality::Good,
                    );
                }
                (def, c)
            })
            .collect()
    }

    #[test]
    fn write_open_read() {
        let dir = tempfile::tempdir().unwrap();
        let data = sample();
        let path = write(dir.path(), &header(), &data, 1024).unwrap();
        let seg = Segment::open(&path).unwrap();
        assert_eq!(seg.header.id, 9);
        assert_eq!(seg.series.len(), 3);
        assert_eq!(seg.chunks.len(), 9);
        assert_eq!(seg.points(), 7500);
        for (def, col) in &data {
            let parts: Vec<Column> = seg
                .chunks_of(def.id)
                .iter()
                .map(|c| seg.read_chunk(c).unwrap())
                .collect();
            assert_eq!(&Column::merge(parts).unwrap(), col);
        }
        assert!(seg.bytes < 9000, "{} bytes", seg.bytes);
    }

    #[test]
    fn damage_is_reported_with_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &header(), &sample(), 1024).unwrap();
        let good = std::fs::read(&path).unwrap();
        // A flipped byte inside a chunk: the index opens, the chunk read fails.
        let mut bad = good.clone();
        bad[100] ^= 0x55;
        std::fs::write(&path, &bad).unwrap();
        let seg = Segment::open(&path).unwrap();
        let err = seg.read_chunk(&seg.chunks[0]).unwrap_err().to_string();
        assert!(
            err.contains(path.to_str().unwrap()) && err.contains("checksum"),
            "{err}"
        );
        // Truncation and index damage: the segment does not open.
        std::fs::write(&path, &good[..good.len() - 10]).unwrap();
        let err = Segment::open(&path).unwrap_err().to_string();
        assert!(err.contains(path.to_str().unwrap()), "{err}");
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 40] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        assert!(Segment::open(&path).is_err());
        for cut in [0, 7, 8, 31, good.len() / 2] {
            std::fs::write(&path, &good[..cut]).unwrap();
            assert!(Segment::open(&path).is_err());
        }
    }
}
