//! Sealed segments in object storage (design §2.7): the objects' keys, the manifest row
//! of a segment, the check of every object read back, and fetching a partition's live
//! segments for a new owner.
//!
//! Keys, under `cluster.object_store.prefix`:
//! - `p{n}/{tenant}/{product or _}/e{epoch}-{id:016x}.seg`: a segment file of partition
//!   `n`, as its engine wrote it, uploaded by the owner of `epoch` (unique: an epoch has
//!   one owner, whose engine never reuses a segment id);
//! - `p{n}/latest/e{epoch}-{seq}.dat`: the partition's latest-value table as of the seal
//!   up to log sequence `seq` (one object of all the partition's tenants, replaced by
//!   every seal).
//!
//! Segments hold the definitions of the series in them (the engine's series ids are
//! local to it), and the latest-value table those of every series, so a partition's
//! objects are all an engine needs to open on another node: there is no separate
//! catalog.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ironloom_core::cluster::SegmentRow;
use ironloom_core::ids::{ProductId, TenantId};
use ironloom_tsdb::segment::{Segment, file_name};
use object_store::{ObjectStore, ObjectStoreExt};

/// The key of an object under `prefix` (no leading or doubled slash).
fn under(prefix: &str, rest: String) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        rest
    } else {
        format!("{prefix}/{rest}")
    }
}

fn product_dir(product: Option<ProductId>) -> String {
    product.map_or_else(|| "_".into(), |p| p.to_string())
}

/// The key of segment `id` of partition `p`, uploaded by the owner of `epoch`.
pub fn segment_key(
    prefix: &str,
    p: u32,
    epoch: u64,
    tenant: TenantId,
    product: Option<ProductId>,
    id: u64,
) -> String {
    under(
        prefix,
        format!(
            "p{p}/{tenant}/{}/e{epoch}-{id:016x}.seg",
            product_dir(product)
        ),
    )
}

/// The key of partition `p`'s latest-value table sealed up to `seq` by the owner of
/// `epoch`.
pub fn latest_key(prefix: &str, p: u32, epoch: u64, seq: u64) -> String {
    under(prefix, format!("p{p}/latest/e{epoch}-{seq}.dat"))
}

/// The engine's segment id in a segment key.
pub fn id_of_key(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?.strip_suffix(".seg")?;
    let (_, id) = name.rsplit_once('-')?;
    u64::from_str_radix(id, 16).ok()
}

/// The manifest row of a segment uploaded under `key`.
pub fn row_of(seg: &Segment, p: u32, epoch: u64, key: String) -> SegmentRow {
    let h = &seg.header;
    let (min_ts, max_ts) = seg
        .chunks
        .iter()
        .fold(None, |acc: Option<(i64, i64)>, c| {
            Some(match acc {
                None => (c.stats.min_ts, c.stats.max_ts),
                Some((a, b)) => (a.min(c.stats.min_ts), b.max(c.stats.max_ts)),
            })
        })
        .unwrap_or((h.part_start, h.part_start));
    SegmentRow {
        key,
        partition: p,
        tenant: h.tenant,
        product: h.product,
        part_start: h.part_start,
        part_width: h.part_width,
        level: h.level,
        min_seq: h.min_seq,
        max_seq: h.max_seq,
        min_ts,
        max_ts,
        bytes: seg.bytes,
        epoch,
        replaced_at: None,
    }
}

/// Where an engine in `dir` keeps a segment of this family and partition start.
fn segment_path(
    dir: &Path,
    tenant: TenantId,
    product: Option<ProductId>,
    start: i64,
    id: u64,
) -> PathBuf {
    dir.join("segments")
        .join(tenant.to_string())
        .join(product_dir(product))
        .join(file_name(start, id))
}

/// Checks a segment object read back against its manifest row and writes it into the
/// engine directory `dir` under its final name. Everything is checked before the file
/// appears: its length, footer, index and every chunk and rollup (checksums and
/// decoding), and that it is the segment the row names (id, tenant, product, partition).
pub fn install_segment(dir: &Path, row: &SegmentRow, bytes: &[u8]) -> Result<u64, String> {
    let bad = |why: String| format!("segment object {}: {why}", row.key);
    if bytes.len() as u64 != row.bytes {
        return Err(bad(format!(
            "{} bytes read back, {} recorded (truncated?)",
            bytes.len(),
            row.bytes
        )));
    }
    let id = id_of_key(&row.key).ok_or_else(|| bad("the key names no segment id".into()))?;
    let path = segment_path(dir, row.tenant, row.product, row.part_start, id);
    let tmp = path.with_extension("tmp");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| bad(e.to_string()))?;
    }
    std::fs::write(&tmp, bytes).map_err(|e| bad(e.to_string()))?;
    let checked = check_file(&tmp, row, id);
    match checked {
        Ok(()) => {
            std::fs::rename(&tmp, &path).map_err(|e| bad(e.to_string()))?;
            Ok(id)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(bad(e))
        }
    }
}

fn check_file(path: &Path, row: &SegmentRow, id: u64) -> Result<(), String> {
    let seg = Segment::open(path).map_err(|e| e.to_string())?;
    let h = &seg.header;
    if h.id != id
        || h.tenant != row.tenant
        || h.product != row.product
        || h.part_start != row.part_start
        || h.part_width != row.part_width
    {
        return Err("its header is not the segment the manifest names".into());
    }
    for c in &seg.chunks {
        seg.read_chunk(c).map_err(|e| e.to_string())?;
    }
    for r in &seg.rollups {
        let vtype = seg
            .def(r.series)
            .map(|d| d.vtype)
            .ok_or("a rollup of a series the segment does not define")?;
        seg.read_rollup(r, vtype).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Checks a latest-value table read back (checksum, decoding) and writes it into the
/// engine directory `dir`.
pub fn install_latest(dir: &Path, key: &str, bytes: &[u8]) -> Result<(), String> {
    let path = dir.join("latest.dat");
    let tmp = dir.join("latest.fetched");
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    match ironloom_tsdb::latest::load(&tmp) {
        Ok(Some(_)) => std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display())),
        Ok(None) => Err(format!("latest-value object {key}: empty")),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!("latest-value object {key}: {e}"))
        }
    }
}

async fn read(objects: &dyn ObjectStore, key: &str) -> Result<bytes::Bytes, String> {
    let path = object_store::path::Path::from(key);
    let got = objects
        .get(&path)
        .await
        .map_err(|e| format!("cannot read {key} from object storage: {e}"))?;
    got.bytes()
        .await
        .map_err(|e| format!("cannot read {key} from object storage: {e}"))
}

/// Replaces what the engine directory `dir` holds with a partition's live segments and
/// latest-value table from object storage. Returns the segments' engine ids with their
/// keys.
pub async fn fetch(
    objects: &dyn ObjectStore,
    dir: &Path,
    rows: &[SegmentRow],
    latest: Option<&str>,
) -> Result<BTreeMap<u64, String>, String> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot empty {}: {e}", dir.display())),
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut ids = BTreeMap::new();
    for row in rows {
        let bytes = read(objects, &row.key).await?;
        let id = install_segment(dir, row, &bytes)?;
        ids.insert(id, row.key.clone());
    }
    if let Some(key) = latest {
        let bytes = read(objects, key).await?;
        install_latest(dir, key, &bytes)?;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ironloom_core::ids::DeviceId;
    use ironloom_core::telemetry::{DeviceBatch, PointIn, Quality, Value};

    /// A flushed engine's segment and latest-value file, with the segment's row.
    fn sample(dir: &Path) -> (SegmentRow, Vec<u8>, Vec<u8>) {
        let engine = ironloom_tsdb::Engine::open(dir, ironloom_tsdb::Options::default()).unwrap();
        let now = ironloom_tsdb::engine::now_micros();
        let points = (0..300)
            .flat_map(|i| {
                [
                    PointIn {
                        property: "t".into(),
                        ts: now - 1_000_000 * i,
                        value: Value::F64(i as f64 * 0.5),
                        quality: Quality::Good,
                    },
                    PointIn {
                        property: "s".into(),
                        ts: now - 1_000_000 * i,
                        value: Value::Str(format!("v{i}")),
                        quality: Quality::Good,
                    },
                ]
            })
            .collect();
        let tenant = TenantId(uuid::Uuid::now_v7());
        engine
            .write_blocking(
                tenant,
                vec![DeviceBatch {
                    device: DeviceId(uuid::Uuid::now_v7()),
                    product: None,
                    points,
                }],
            )
            .unwrap();
        engine.flush().unwrap();
        let v = engine.version();
        let seg = v.all_segments().next().unwrap().clone();
        let key = segment_key("pre", 3, 7, tenant, None, seg.header.id);
        let row = row_of(&seg, 3, 7, key);
        let bytes = std::fs::read(&seg.path).unwrap();
        let latest = std::fs::read(dir.join("latest.dat")).unwrap();
        engine.close().unwrap();
        (row, bytes, latest)
    }

    #[test]
    fn keys_carry_partition_tenant_epoch_and_id() {
        let t = TenantId(uuid::Uuid::nil());
        let k = segment_key("/c1/", 5, 9, t, None, 0x2a);
        assert_eq!(k, format!("c1/p5/{t}/_/e9-000000000000002a.seg"));
        assert_eq!(id_of_key(&k), Some(0x2a));
        assert_eq!(latest_key("", 5, 9, 77), "p5/latest/e9-77.dat");
        assert_eq!(id_of_key("p5/latest/e9-77.dat"), None);
        assert_eq!(id_of_key("p5/x/e9-zz.seg"), None);
    }

    #[test]
    fn objects_read_back_are_checked_and_damage_is_refused() {
        let src = tempfile::tempdir().unwrap();
        let (row, bytes, latest) = sample(&src.path().join("db"));
        let dst = tempfile::tempdir().unwrap();
        assert_eq!(
            install_segment(dst.path(), &row, &bytes),
            id_of_key(&row.key).ok_or(String::new())
        );
        install_latest(dst.path(), "l", &latest).unwrap();
        // The installed copy opens as an engine with every point.
        let e = ironloom_tsdb::Engine::open(dst.path(), ironloom_tsdb::Options::default()).unwrap();
        assert_eq!(e.stats(row.tenant).points, 600);
        e.close().unwrap();

        let scratch = tempfile::tempdir().unwrap();
        // Truncated anywhere (the recorded length also says so; a row claiming the short
        // length must still fail on the contents).
        for cut in [
            0,
            1,
            8,
            bytes.len() / 3,
            bytes.len() / 2,
            bytes.len() - 25,
            bytes.len() - 1,
        ] {
            let short = &bytes[..cut];
            assert!(
                install_segment(scratch.path(), &row, short).is_err(),
                "cut at {cut}"
            );
            let lying = SegmentRow {
                bytes: cut as u64,
                ..row.clone()
            };
            assert!(
                install_segment(scratch.path(), &lying, short).is_err(),
                "cut at {cut}, row agrees"
            );
        }
        // One byte changed anywhere.
        let mut missed = Vec::new();
        for i in 0..bytes.len() {
            let mut m = bytes.clone();
            m[i] ^= 0x5a;
            if install_segment(scratch.path(), &row, &m).is_ok() {
                missed.push(i);
            }
        }
        assert!(missed.is_empty(), "changes at {missed:?} went unnoticed");
        // Another segment's row.
        let other = SegmentRow {
            key: segment_key("pre", 3, 7, row.tenant, None, 999),
            ..row.clone()
        };
        assert!(install_segment(scratch.path(), &other, &bytes).is_err());
        // Nothing but complete, checked files appeared.
        let left: Vec<_> = walk(scratch.path());
        assert!(left.is_empty(), "{left:?}");

        for i in 0..latest.len() {
            let mut m = latest.clone();
            m[i] ^= 0x01;
            assert!(
                install_latest(scratch.path(), "l", &m).is_err(),
                "latest byte {i}"
            );
        }
        for cut in [0, 4, latest.len() / 2, latest.len() - 1] {
            assert!(
                install_latest(scratch.path(), "l", &latest[..cut]).is_err(),
                "latest cut {cut}"
            );
        }
        assert!(!scratch.path().join("latest.dat").exists());
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }
}
