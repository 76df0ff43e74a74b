//! The engine: write path (validation → WAL → memtable → latest table), freezing and
//! flushing memtables into segments, opening and recovery, and the snapshot that queries
//! read from.
//!
//! Concurrency: one commit lock orders writes (sequence numbers, memtable, latest table)
//! so that the log and the memtable agree on which of two writes to the same timestamp
//! came last. Three threads work beside the writers: the WAL writer (group commit), the
//! flusher (frozen memtable → segments) and the maintainer (compaction and retention).

use crate::catalog::Catalog;
use crate::column::Column;
use crate::error::{IoContext, Result, TsdbError};
use crate::latest::{self, Latest};
use crate::record::{self, SeriesDef};
use crate::segment::{self, Header, Segment};
use crate::wal::{self, Backlog, FsyncPolicy, WalMsg};
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
pub(crate) use ironloom_core::sync::{lock, read as rd, write as wr};
use ironloom_core::telemetry::{
    DeviceBatch, Micros, PointIn, PointRejection, RejectedPoint, Value, WriteOutcome,
};
use std::collections::{BTreeMap, HashMap};

use crate::FastMap;
use crate::idmap::IdMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

pub const DAY_US: Micros = 86_400_000_000;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub fsync: FsyncPolicy,
    /// The active memtable is frozen and flushed when it holds this many bytes.
    pub memtable_bytes: usize,
    /// Written-but-not-yet-on-disk log bytes beyond which writers wait.
    pub wal_backlog_bytes: usize,
    /// How long a writer waits for room before failing with `Overloaded`.
    pub write_stall_timeout: Duration,
    /// Width of a time partition (retention drops whole partitions).
    pub partition: Micros,
    pub chunk_points: usize,
    /// Points older than this (relative to the clock) are refused.
    pub accept_past: Duration,
    /// Points further ahead than this are refused.
    pub accept_future: Duration,
    pub max_string_bytes: usize,
    /// Run compaction and retention in the background.
    pub background: bool,
    /// Level-0 segments of one partition that trigger a compaction.
    pub compact_trigger: usize,
    /// A partition without writes for this long is compacted into one segment.
    pub cold_after: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fsync: FsyncPolicy::Always,
            memtable_bytes: 64 << 20,
            wal_backlog_bytes: 64 << 20,
            write_stall_timeout: Duration::from_secs(10),
            partition: DAY_US,
            chunk_points: 2048,
            accept_past: Duration::from_secs(20 * 365 * 86_400),
            accept_future: Duration::from_secs(86_400),
            max_string_bytes: 64 << 10,
            background: true,
            compact_trigger: 8,
            cold_after: Duration::from_secs(3600),
        }
    }
}

/// Up to this many properties per device in one batch are grouped by a linear scan.
const LINEAR_GROUPS: usize = 16;

pub fn now_micros() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as Micros)
        .unwrap_or(0)
}

/// Points of many series, by id, in arrival order.
#[derive(Debug, Default)]
pub struct Memtable {
    pub cols: IdMap<Column>,
    pub bytes: usize,
    pub points: u64,
    pub min_seq: u64,
    pub max_seq: u64,
}

impl Memtable {
    fn apply(&mut self, seq: u64, id: u32, col: &Column) {
        if self.points == 0 {
            self.min_seq = seq;
        }
        self.max_seq = self.max_seq.max(seq);
        let target = self
            .cols
            .get_or_insert_with(id, || Column::new(col.value_type()));
        if target.quality.is_none() && col.quality.is_none() {
            use crate::column::Values as V;
            target.ts.extend_from_slice(&col.ts);
            match (&mut target.values, &col.values) {
                (V::F64(a), V::F64(b)) => a.extend_from_slice(b),
                (V::I64(a), V::I64(b)) => a.extend_from_slice(b),
                (V::Bool(a), V::Bool(b)) => a.extend_from_slice(b),
                (V::Str(a), V::Str(b)) => a.extend(b.iter().cloned()),
                _ => debug_assert!(false, "column types differ"),
            }
        } else {
            for i in 0..col.len() {
                target.push_from(col, i);
            }
        }
        // Estimated from the added points, not the whole column (that would be quadratic
        // for strings).
        self.bytes += col.heap_bytes();
        self.points += col.len() as u64;
    }
}

/// A memtable being flushed: read-only, still visible to queries.
#[derive(Debug)]
pub struct Frozen {
    pub mem: Memtable,
}

/// Series sharing files and retention: a tenant's, or one product's of a tenant.
pub type Family = (TenantId, Option<ProductId>);

/// The set of segments per (tenant, product) family and partition start, plus the frozen
/// memtable, as queries see them. Replaced as a whole (copy on write).
#[derive(Debug, Default, Clone)]
pub struct Version {
    pub imm: Option<Arc<Frozen>>,
    pub families: HashMap<Family, BTreeMap<Micros, Vec<Arc<Segment>>>>,
    pub max_width: Micros,
}

impl Version {
    pub(crate) fn add(&mut self, seg: Arc<Segment>) {
        let h = &seg.header;
        self.max_width = self.max_width.max(h.part_width);
        let parts = self.families.entry((h.tenant, h.product)).or_default();
        let list = parts.entry(h.part_start).or_default();
        list.push(seg);
        list.sort_by_key(|s| (s.header.max_seq, s.header.id));
    }

    pub(crate) fn remove(&mut self, ids: &[u64]) {
        for parts in self.families.values_mut() {
            for list in parts.values_mut() {
                list.retain(|s| !ids.contains(&s.header.id));
            }
            parts.retain(|_, l| !l.is_empty());
        }
        self.families.retain(|_, p| !p.is_empty());
    }

    /// Segments of a family that may hold points in [from, to).
    pub fn segments(
        &self,
        tenant: TenantId,
        product: Option<ProductId>,
        from: Micros,
        to: Micros,
    ) -> Vec<Arc<Segment>> {
        let Some(parts) = self.families.get(&(tenant, product)) else {
            return Vec::new();
        };
        let lo = from.saturating_sub(self.max_width);
        parts
            .range(lo..to)
            .flat_map(|(_, l)| l.iter())
            .filter(|s| s.part_end() > from)
            .cloned()
            .collect()
    }

    pub fn all_segments(&self) -> impl Iterator<Item = &Arc<Segment>> {
        self.families
            .values()
            .flat_map(|p| p.values())
            .flat_map(|l| l.iter())
    }
}

/// Counters for `/metrics` and the stats API.
#[derive(Debug, Default)]
pub struct Counters {
    pub points_written: AtomicU64,
    pub points_rejected: AtomicU64,
    pub write_stalls: AtomicU64,
    pub writes_overloaded: AtomicU64,
    pub flushes: AtomicU64,
    pub compactions: AtomicU64,
    pub partitions_dropped: AtomicU64,
    /// Rollup windows read by aggregate queries (instead of the points they summarise).
    pub rollup_windows_read: AtomicU64,
}

struct FlushJob {
    frozen: Arc<Frozen>,
    latest: Vec<(Arc<SeriesDef>, Latest)>,
    /// The first sequence number of the log file opened at the freeze; older files go.
    rotate_seq: u64,
}

pub(crate) struct Commit {
    pub mem: Memtable,
    pub next_seq: u64,
}

pub(crate) struct Inner {
    pub opts: Options,
    pub dir: PathBuf,
    pub seg_dir: PathBuf,
    pub wal_dir: PathBuf,
    /// The directory lock, released by `close`.
    dir_lock: Mutex<Option<File>>,
    pub commit: Mutex<Commit>,
    pub catalog: RwLock<Catalog>,
    pub latest: RwLock<IdMap<Latest>>,
    pub version: RwLock<Arc<Version>>,
    wal_tx: Mutex<Option<Sender<WalMsg>>>,
    backlog: Arc<Backlog>,
    flush_tx: Mutex<Option<Sender<FlushJob>>>,
    /// Wakes writers waiting for memtable room.
    room: (Mutex<()>, Condvar),
    mem_bytes: AtomicUsize,
    imm_busy: AtomicBool,
    pub failed: Arc<Mutex<Option<String>>>,
    pub next_segment: AtomicU64,
    pub counters: Counters,
    /// Segments that could not be opened, with the reason.
    pub damaged: Mutex<Vec<(PathBuf, String)>>,
    pub maint: (Mutex<bool>, Condvar),
    pub last_write: Mutex<HashMap<(Family, Micros), Instant>>,
    pub threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    closed: AtomicBool,
    /// Held by compaction, retention and policy changes (one at a time).
    pub policy_lock: Mutex<()>,
}

/// The time-series engine. Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

/// Waits for accepted points to be in the write-ahead log.
#[derive(Debug)]
pub struct Pending(Option<tokio::sync::oneshot::Receiver<AckResult>>);

type AckResult = std::result::Result<(), Arc<str>>;

impl Pending {
    pub(crate) fn from_receiver(rx: tokio::sync::oneshot::Receiver<AckResult>) -> Pending {
        Pending(Some(rx))
    }

    fn outcome(
        r: std::result::Result<AckResult, tokio::sync::oneshot::error::RecvError>,
    ) -> Result<()> {
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(TsdbError::Failed(e.to_string())),
            Err(_) => Err(TsdbError::Closed),
        }
    }

    /// Blocks until durable (not from inside an async runtime).
    pub fn wait(self) -> Result<()> {
        self.0
            .map_or(Ok(()), |rx| Self::outcome(rx.blocking_recv()))
    }

    pub async fn wait_async(self) -> Result<()> {
        match self.0 {
            None => Ok(()),
            Some(rx) => Self::outcome(rx.await),
        }
    }
}

impl Engine {
    /// Opens (or creates) the database in `dir`, recovering from the write-ahead log.
    pub fn open(dir: &Path, opts: Options) -> Result<Engine> {
        let seg_dir = dir.join("segments");
        let wal_dir = dir.join("wal");
        std::fs::create_dir_all(&seg_dir).at(&seg_dir)?;
        std::fs::create_dir_all(&wal_dir).at(&wal_dir)?;
        let dir_lock = lock_dir(dir)?;

        // Segments.
        let mut catalog = Catalog::default();
        let mut version = Version::default();
        let mut damaged = Vec::new();
        let mut segments = Vec::new();
        let mut max_id = 0u64;
        for path in list_files(&seg_dir, "seg")? {
            match Segment::open(&path) {
                Ok(s) => segments.push(s),
                Err(e) => {
                    tracing::error!(file = %path.display(), error = %e, "segment cannot be opened; it is left out");
                    damaged.push((path, e.to_string()));
                }
            }
        }
        for tmp in list_files(&seg_dir, "tmp")? {
            let _ = std::fs::remove_file(&tmp);
        }
        let replaced: std::collections::HashSet<u64> = segments
            .iter()
            .flat_map(|s| s.header.replaces.iter().copied())
            .collect();
        let mut max_seq = 0u64;
        for s in segments {
            max_id = max_id.max(s.header.id);
            max_seq = max_seq.max(s.header.max_seq);
            if replaced.contains(&s.header.id) {
                // A compaction finished but crashed before deleting its inputs.
                std::fs::remove_file(&s.path).at(&s.path)?;
                continue;
            }
            for d in &s.series {
                catalog.insert(d.clone());
            }
            version.add(Arc::new(s));
        }
        max_id = max_id.max(replaced.iter().copied().max().unwrap_or(0));

        // Latest values.
        let latest_path = dir.join("latest.dat");
        let mut latest_map = IdMap::default();
        let mut latest_seq = 0u64;
        match latest::load(&latest_path) {
            Ok(Some((seq, entries))) => {
                latest_seq = seq;
                for (def, l) in entries {
                    let id = def.id;
                    catalog.insert(def);
                    latest_map.insert(id, l);
                }
            }
            Ok(None) => {}
            Err(e) => {
                // The table is rebuilt from the log only; older values reappear as data
                // arrives. Not fatal.
                tracing::error!(error = %e, "latest-value file unreadable; starting without it");
                damaged.push((latest_path.clone(), e.to_string()));
            }
        }

        // Replay the log.
        let mut mem = Memtable::default();
        let wal_files = wal::list(&wal_dir)?;
        let last = wal_files.len().saturating_sub(1);
        for (i, (_, path)) in wal_files.iter().enumerate() {
            let (records, good_len, problem) = wal::read_file(path)?;
            for payload in records {
                let rec = match record::decode(&payload) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(file = %path.display(), error = %e, "undecodable log record skipped");
                        continue;
                    }
                };
                for d in rec.defs {
                    catalog.insert(d);
                }
                for (id, col) in &rec.groups {
                    if catalog.get(*id).is_none() {
                        tracing::error!(file = %path.display(), series = id, "log record for an unknown series skipped");
                        continue;
                    }
                    mem.apply(rec.seq, *id, col);
                    if rec.seq > latest_seq {
                        update_latest(&mut latest_map, *id, col);
                    }
                }
                max_seq = max_seq.max(rec.seq);
            }
            if let Some(p) = problem {
                if i == last {
                    tracing::warn!(file = %path.display(), problem = %p, "write-ahead log ends in a torn record (unacknowledged); truncated");
                } else {
                    tracing::error!(file = %path.display(), problem = %p, "write-ahead log damaged in the middle; records after the damage are lost");
                }
                wal::truncate(path, good_len)?;
            }
        }
        let next_seq = max_seq.max(latest_seq) + 1;

        let backlog = Arc::new(Backlog::default());
        let failed: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let failed_w = failed.clone();
        let writer = wal::Writer::create(
            &wal_dir,
            next_seq,
            opts.fsync,
            backlog.clone(),
            Box::new(move |msg| {
                tracing::error!(
                    error = msg,
                    "write-ahead log failed; writes are refused until restart"
                );
                let mut f = lock(&failed_w);
                f.get_or_insert_with(|| msg.to_string());
            }),
        )?;
        let (wal_tx, wal_thread) = wal::spawn(writer)?;
        let mem_bytes = mem.bytes;
        let inner = Arc::new(Inner {
            opts,
            dir: dir.to_path_buf(),
            seg_dir,
            wal_dir,
            dir_lock: Mutex::new(Some(dir_lock)),
            commit: Mutex::new(Commit { mem, next_seq }),
            catalog: RwLock::new(catalog),
            latest: RwLock::new(latest_map),
            version: RwLock::new(Arc::new(version)),
            wal_tx: Mutex::new(Some(wal_tx)),
            backlog,
            flush_tx: Mutex::new(None),
            room: (Mutex::new(()), Condvar::new()),
            mem_bytes: AtomicUsize::new(mem_bytes),
            imm_busy: AtomicBool::new(false),
            failed,
            next_segment: AtomicU64::new(max_id + 1),
            counters: Counters::default(),
            damaged: Mutex::new(damaged),
            maint: (Mutex::new(false), Condvar::new()),
            last_write: Mutex::new(HashMap::new()),
            threads: Mutex::new(vec![wal_thread]),
            closed: AtomicBool::new(false),
            policy_lock: Mutex::new(()),
        });
        let engine = Engine { inner };
        engine.start_flusher()?;
        if engine.inner.opts.background {
            crate::maintain::start(&engine)?;
        }
        Ok(engine)
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn options(&self) -> &Options {
        &self.inner.opts
    }

    fn start_flusher(&self) -> Result<()> {
        let (tx, rx) = std::sync::mpsc::channel::<FlushJob>();
        *lock(&self.inner.flush_tx) = Some(tx);
        let weak = Arc::downgrade(&self.inner);
        let h = std::thread::Builder::new()
            .name("tsdb-flush".into())
            .spawn(move || {
                for job in rx {
                    let Some(inner) = weak.upgrade() else { break };
                    let engine = Engine { inner };
                    if let Err(e) = engine.flush_job(job) {
                        tracing::error!(error = %e, "flush failed; writes are refused until restart");
                        lock(&engine.inner.failed).get_or_insert_with(|| e.to_string());
                        engine.wake_writers();
                    }
                }
            })
            .at(&self.inner.dir)?;
        lock(&self.inner.threads).push(h);
        Ok(())
    }

    fn check_failed(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(TsdbError::Closed);
        }
        match &*lock(&self.inner.failed) {
            Some(e) => Err(TsdbError::Failed(e.clone())),
            None => Ok(()),
        }
    }

    fn wake_writers(&self) {
        let _g = lock(&self.inner.room.0);
        self.inner.room.1.notify_all();
    }

    /// Whether the memtable and the log backlog are full (a write would wait for room).
    fn full(&self) -> (bool, bool) {
        let inner = &self.inner;
        let mem_full = inner.mem_bytes.load(Ordering::Acquire) >= inner.opts.memtable_bytes
            && inner.imm_busy.load(Ordering::Acquire);
        let wal_full = *lock(&inner.backlog.bytes) >= inner.opts.wal_backlog_bytes;
        (mem_full, wal_full)
    }

    /// Waits until the memtable and the log backlog have room, or fails after the stall
    /// timeout.
    fn admit(&self) -> Result<()> {
        let inner = &self.inner;
        let deadline = Instant::now() + inner.opts.write_stall_timeout;
        let mut stalled = false;
        loop {
            self.check_failed()?;
            let (mem_full, wal_full) = self.full();
            if !mem_full && !wal_full {
                return Ok(());
            }
            if !stalled {
                stalled = true;
                inner.counters.write_stalls.fetch_add(1, Ordering::Relaxed);
            }
            let now = Instant::now();
            if now >= deadline {
                inner
                    .counters
                    .writes_overloaded
                    .fetch_add(1, Ordering::Relaxed);
                return Err(TsdbError::Overloaded(if wal_full {
                    "the write-ahead log cannot be written as fast as data arrives"
                } else {
                    "memtables cannot be flushed to disk as fast as data arrives"
                }));
            }
            let wait = (deadline - now).min(Duration::from_millis(50));
            if wal_full {
                let b = lock(&inner.backlog.bytes);
                let _ = inner.backlog.drained.wait_timeout(b, wait);
            } else {
                let g = lock(&inner.room.0);
                let _ = inner.room.1.wait_timeout(g, wait);
            }
        }
    }

    /// Validates and writes points; returns what was accepted and a handle that completes
    /// when the accepted points are in the log. Waits for room first (back-pressure), so
    /// it may block for up to the stall timeout.
    pub fn write(
        &self,
        tenant: TenantId,
        batches: Vec<DeviceBatch>,
    ) -> Result<(WriteOutcome, Pending)> {
        self.admit()?;
        self.write_admitted(tenant, batches)
    }

    /// [`write`](Self::write) without waiting: when the memtable or the log backlog is
    /// full, the batches come back untouched (`Err`) for a caller that may block. The work
    /// done otherwise is in memory only (the log thread writes and syncs), so an async
    /// task can call this directly instead of hopping to a blocking thread.
    pub fn try_write(
        &self,
        tenant: TenantId,
        batches: Vec<DeviceBatch>,
    ) -> std::result::Result<Result<(WriteOutcome, Pending)>, Vec<DeviceBatch>> {
        if let Err(e) = self.check_failed() {
            return Ok(Err(e));
        }
        match self.full() {
            (false, false) => Ok(self.write_admitted(tenant, batches)),
            _ => Err(batches),
        }
    }

    fn write_admitted(
        &self,
        tenant: TenantId,
        batches: Vec<DeviceBatch>,
    ) -> Result<(WriteOutcome, Pending)> {
        let opts = &self.inner.opts;
        let now = now_micros();
        let mut outcome = WriteOutcome::default();

        // Group points by series (in order, across the device batches of the call) and check
        // what can be checked without the catalog. A group's column takes the type of its
        // first point; when that is not the series' type, or the call mixes types for one
        // series, the group is rebuilt against the series' type once it is known.
        struct Group<'a> {
            device: DeviceId,
            product: Option<ProductId>,
            property: &'a str,
            col: Column,
            mixed: bool,
        }
        let limits = crate::limits::PointCheck::at(opts, now);
        let check = |p: &PointIn| limits.check(p);
        // Sized for a group per point (one message per device is the common case under load),
        // so a merged write of many devices does not grow them step by step.
        let points: usize = batches.iter().map(|b| b.points.len()).sum();
        let mut groups: Vec<Group<'_>> = Vec::with_capacity(points);
        // A device's groups: found by a linear scan while it has few (the common case, and
        // cheaper than hashing), through `by_key` after.
        let mut by_device: FastMap<DeviceId, Vec<usize>> =
            FastMap::with_capacity_and_hasher(batches.len(), Default::default());
        let mut by_key: FastMap<(DeviceId, &str), usize> = FastMap::default();
        let mut base = 0usize;
        let mut record_bound = 64usize;
        for b in &batches {
            let dg = by_device
                .entry(b.device)
                .or_insert_with(|| Vec::with_capacity(b.points.len()));
            for (i, p) in b.points.iter().enumerate() {
                let reject = |outcome: &mut WriteOutcome, reason| {
                    outcome.rejected.push(RejectedPoint {
                        index: base + i,
                        property: p.property.clone(),
                        reason,
                    });
                };
                if let Some(reason) = limits.check_point(p) {
                    reject(&mut outcome, reason);
                    continue;
                }
                let found = if dg.len() <= LINEAR_GROUPS {
                    dg.iter()
                        .copied()
                        .find(|&k| groups[k].property == p.property)
                } else {
                    by_key.get(&(b.device, p.property.as_str())).copied()
                };
                // A group's name was checked when the group was made.
                if found.is_none() && !crate::limits::valid_property(&p.property) {
                    reject(&mut outcome, PointRejection::InvalidProperty);
                    continue;
                }
                // Upper bound of the point's bytes in the log record.
                record_bound += 22
                    + match &p.value {
                        Value::Str(s) => s.len() + 10,
                        _ => 0,
                    };
                let g = match found {
                    Some(g) => g,
                    None => {
                        let k = groups.len();
                        groups.push(Group {
                            device: b.device,
                            product: b.product,
                            property: &p.property,
                            col: Column::reused(p.value.value_type()),
                            mixed: false,
                        });
                        dg.push(k);
                        if dg.len() == LINEAR_GROUPS + 1 {
                            for &k in dg.iter() {
                                by_key.insert((b.device, groups[k].property), k);
                            }
                        } else if dg.len() > LINEAR_GROUPS + 1 {
                            by_key.insert((b.device, &p.property), k);
                        }
                        k
                    }
                };
                let g = &mut groups[g];
                if !g.mixed && !g.col.push(p.ts, p.value.clone(), p.quality) {
                    g.mixed = true;
                }
            }
            base += b.points.len();
        }
        drop(by_key);
        drop(by_device);
        if groups.is_empty() {
            self.count_outcome(&outcome);
            return Ok((outcome, Pending(None)));
        }
        // Refuse an oversized batch before anything changes (catalog, sequence numbers).
        record_bound += groups
            .iter()
            .map(|g| 80 + 2 * g.property.len())
            .sum::<usize>();
        if record_bound > wal::MAX_RECORD {
            return Err(TsdbError::Invalid(format!(
                "the batch is too large (up to {record_bound} bytes in the log; at most {}): \
                 split it",
                wal::MAX_RECORD
            )));
        }

        let mut commit = lock(&self.inner.commit);
        self.check_failed()?;
        // Resolve series, creating new ones.
        let mut defs = Vec::new();
        let mut cols: Vec<(u32, Column)> = Vec::with_capacity(groups.len());
        let mut touched: Vec<(Option<ProductId>, Micros)> = Vec::new();
        {
            let mut ids = Vec::with_capacity(groups.len());
            let mut missing = false;
            {
                let cat = rd(&self.inner.catalog);
                // A device's groups are neighbours: its series are looked up once for them.
                let mut device = None;
                for g in &groups {
                    let series = match device {
                        Some((d, s)) if d == g.device => s,
                        _ => {
                            let s = cat.device(tenant, g.device);
                            device = Some((g.device, s));
                            s
                        }
                    };
                    let def = series.and_then(|s| s.get(g.property));
                    missing |= def.is_none();
                    ids.push(def.map(|d| (d.id, d.vtype, d.product)));
                }
            }
            if missing {
                let mut cat = wr(&self.inner.catalog);
                for (g, slot) in groups.iter().zip(ids.iter_mut()) {
                    if slot.is_some() {
                        continue;
                    }
                    if let Some(id) = cat.lookup(tenant, g.device, g.property) {
                        *slot = cat.get(id).map(|d| (id, d.vtype, d.product));
                        continue;
                    }
                    let vtype = g.col.value_type();
                    let def = SeriesDef {
                        id: cat.next_id(),
                        tenant,
                        product: g.product,
                        device: g.device,
                        property: Arc::from(g.property),
                        vtype,
                    };
                    *slot = Some((def.id, vtype, def.product));
                    cat.insert(def.clone());
                    defs.push(def);
                }
            }
            // Groups to rebuild against their series' type, in one pass over the call.
            let mut redo: FastMap<(DeviceId, &str), usize> = FastMap::default();
            for (k, (g, slot)) in groups.iter_mut().zip(&ids).enumerate() {
                if let Some((_, vtype, _)) = slot
                    && (g.mixed || g.col.value_type() != *vtype)
                {
                    g.col = Column::reused(*vtype);
                    redo.insert((g.device, g.property), k);
                }
            }
            if !redo.is_empty() {
                let mut base = 0usize;
                for b in &batches {
                    for (i, p) in b.points.iter().enumerate() {
                        let Some(&k) = redo.get(&(b.device, p.property.as_str())) else {
                            continue;
                        };
                        if check(p).is_some() {
                            continue;
                        }
                        let col = &mut groups[k].col;
                        let got = p.value.value_type();
                        if !col.push(p.ts, p.value.clone(), p.quality) {
                            outcome.rejected.push(RejectedPoint {
                                index: base + i,
                                property: p.property.clone(),
                                reason: PointRejection::TypeMismatch {
                                    expected: col.value_type(),
                                    got,
                                },
                            });
                        }
                    }
                    base += b.points.len();
                }
            }
            let width = self.inner.opts.partition;
            for (g, slot) in groups.into_iter().zip(ids) {
                let Some((id, _, product)) = slot else {
                    continue;
                };
                let col = g.col;
                if col.is_empty() {
                    continue;
                }
                let (lo, hi) = col
                    .ts
                    .iter()
                    .fold((Micros::MAX, Micros::MIN), |(lo, hi), &t| {
                        (lo.min(t), hi.max(t))
                    });
                for t in [lo, hi] {
                    let key = (product, t.div_euclid(width) * width);
                    if !touched.contains(&key) {
                        touched.push(key);
                    }
                }
                outcome.accepted += col.len() as u64;
                cols.push((id, col));
            }
        }
        if cols.is_empty() && defs.is_empty() {
            drop(commit);
            self.count_outcome(&outcome);
            return Ok((outcome, Pending(None)));
        }
        let seq = commit.next_seq;
        commit.next_seq += 1;
        let refs: Vec<(u32, &Column)> = cols.iter().map(|(id, c)| (*id, c)).collect();
        let mut payload = Vec::with_capacity(64 + outcome.accepted as usize * 12);
        record::encode(seq, &defs, &refs, &mut payload);
        debug_assert!(payload.len() <= record_bound);
        {
            let mut latest = wr(&self.inner.latest);
            for (id, col) in &cols {
                commit.mem.apply(seq, *id, col);
                update_latest(&mut latest, *id, col);
            }
        }
        self.inner
            .mem_bytes
            .store(commit.mem.bytes, Ordering::Release);
        let (ack, rx) = tokio::sync::oneshot::channel();
        *lock(&self.inner.backlog.bytes) += payload.len();
        self.send_wal(WalMsg::Append {
            payload,
            ack: Some(ack),
        })?;
        {
            let mut lw = lock(&self.inner.last_write);
            let now = Instant::now();
            for (product, p) in touched {
                lw.insert(((tenant, product), p), now);
            }
        }
        if commit.mem.bytes >= self.inner.opts.memtable_bytes
            && !self.inner.imm_busy.load(Ordering::Acquire)
        {
            self.freeze(&mut commit)?;
        }
        drop(commit);
        Column::recycle(cols.into_iter().map(|(_, c)| c));
        self.count_outcome(&outcome);
        Ok((outcome, Pending(Some(rx))))
    }

    fn count_outcome(&self, o: &WriteOutcome) {
        let c = &self.inner.counters;
        c.points_written.fetch_add(o.accepted, Ordering::Relaxed);
        c.points_rejected
            .fetch_add(o.rejected.len() as u64, Ordering::Relaxed);
    }

    /// Writes and waits until durable (not from inside an async runtime).
    pub fn write_blocking(
        &self,
        tenant: TenantId,
        batches: Vec<DeviceBatch>,
    ) -> Result<WriteOutcome> {
        let (o, p) = self.write(tenant, batches)?;
        p.wait()?;
        Ok(o)
    }

    pub(crate) fn send_wal(&self, msg: WalMsg) -> Result<()> {
        match &*lock(&self.inner.wal_tx) {
            Some(tx) => tx.send(msg).map_err(|_| TsdbError::Closed),
            None => Err(TsdbError::Closed),
        }
    }

    /// Freezes the active memtable and hands it to the flusher (commit lock held).
    fn freeze(&self, commit: &mut Commit) -> Result<()> {
        if commit.mem.points == 0 {
            return Ok(());
        }
        let mem = std::mem::take(&mut commit.mem);
        self.inner.mem_bytes.store(0, Ordering::Release);
        let frozen = Arc::new(Frozen { mem });
        let latest: Vec<(Arc<SeriesDef>, Latest)> = {
            let cat = rd(&self.inner.catalog);
            let l = rd(&self.inner.latest);
            l.iter()
                .filter_map(|(id, v)| cat.get(*id).map(|d| (d.clone(), v.clone())))
                .collect()
        };
        self.install(|v| v.imm = Some(frozen.clone()));
        self.inner.imm_busy.store(true, Ordering::Release);
        let rotate_seq = commit.next_seq;
        self.send_wal(WalMsg::Rotate {
            first_seq: rotate_seq,
        })?;
        let job = FlushJob {
            frozen,
            latest,
            rotate_seq,
        };
        match &*lock(&self.inner.flush_tx) {
            Some(tx) => tx.send(job).map_err(|_| TsdbError::Closed),
            None => Err(TsdbError::Closed),
        }
    }

    /// Freezes and flushes the active memtable now and waits for it (tests, shutdown,
    /// benchmarks).
    pub fn flush(&self) -> Result<()> {
        loop {
            self.check_failed()?;
            {
                let mut commit = lock(&self.inner.commit);
                if !self.inner.imm_busy.load(Ordering::Acquire) {
                    self.freeze(&mut commit)?;
                    break;
                }
            }
            self.wait_flushed()?;
        }
        self.wait_flushed()
    }

    fn wait_flushed(&self) -> Result<()> {
        let g = lock(&self.inner.room.0);
        let mut g = g;
        while self.inner.imm_busy.load(Ordering::Acquire) {
            self.check_failed()?;
            g = self
                .inner
                .room
                .1
                .wait_timeout(g, Duration::from_millis(20))
                .map(|r| r.0)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        Ok(())
    }

    /// Waits until everything written so far is synced to the log.
    pub fn sync(&self) -> Result<()> {
        let (ack, rx) = tokio::sync::oneshot::channel();
        self.send_wal(WalMsg::Sync(ack))?;
        Pending(Some(rx)).wait()
    }

    fn flush_job(&self, job: FlushJob) -> Result<()> {
        let started = Instant::now();
        let mem = &job.frozen.mem;
        let width = self.inner.opts.partition;
        // Series by (tenant, product, partition), ascending ids.
        let mut ids: Vec<u32> = mem.cols.keys().copied().collect();
        ids.sort_unstable();
        type Key = (TenantId, Option<ProductId>, Micros);
        let mut parts: BTreeMap<Key, Vec<(Arc<SeriesDef>, Column)>> = BTreeMap::new();
        {
            let cat = rd(&self.inner.catalog);
            for id in ids {
                let Some(def) = cat.get(id).cloned() else {
                    continue;
                };
                let col = &mem.cols[&id];
                let sorted;
                let col = if col.is_sorted_unique() {
                    col
                } else {
                    let mut c = col.clone();
                    c.sort_dedup();
                    sorted = c;
                    &sorted
                };
                let mut a = 0;
                while a < col.len() {
                    let p = col.ts[a].div_euclid(width) * width;
                    let b = col.ts.partition_point(|&t| t < p.saturating_add(width));
                    let piece = if a == 0 && b == col.len() {
                        col.clone()
                    } else {
                        col.slice(a, b)
                    };
                    parts
                        .entry((def.tenant, def.product, p))
                        .or_default()
                        .push((def.clone(), piece));
                    a = b;
                }
            }
        }
        let mut written = Vec::new();
        for ((tenant, product, start), series) in parts {
            let header = Header {
                id: self.inner.next_segment.fetch_add(1, Ordering::Relaxed),
                tenant,
                product,
                part_start: start,
                part_width: width,
                min_seq: mem.min_seq,
                max_seq: mem.max_seq,
                level: 0,
                replaces: Vec::new(),
            };
            let dir = self.family_dir(tenant, product);
            let mut w = segment::Writer::create(&dir, header, self.inner.opts.chunk_points)?;
            for (def, col) in &series {
                if let Err(e) = w.add(def, col) {
                    w.abandon();
                    return Err(e);
                }
            }
            written.push(Arc::new(w.finish()?));
        }
        latest::save(
            &self.inner.dir.join("latest.dat"),
            job.rotate_seq - 1,
            &job.latest,
        )?;
        self.install(|v| {
            for s in written {
                v.add(s);
            }
            v.imm = None;
        });
        self.inner.imm_busy.store(false, Ordering::Release);
        self.wake_writers();
        for (first, path) in wal::list(&self.inner.wal_dir)? {
            if first < job.rotate_seq {
                std::fs::remove_file(&path).at(&path)?;
            }
        }
        wal::sync_dir(&self.inner.wal_dir)?;
        self.inner.counters.flushes.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(points = mem.points, elapsed = ?started.elapsed(), "memtable flushed");
        self.kick_maintenance();
        Ok(())
    }

    pub(crate) fn family_dir(&self, tenant: TenantId, product: Option<ProductId>) -> PathBuf {
        let p = product.map(|p| p.to_string()).unwrap_or_else(|| "_".into());
        self.inner.seg_dir.join(tenant.to_string()).join(p)
    }

    pub(crate) fn kick_maintenance(&self) {
        let mut g = lock(&self.inner.maint.0);
        *g = true;
        self.inner.maint.1.notify_all();
    }

    /// Stops the engine: flushes the memtable, stops the threads. Later calls fail with
    /// `Closed`.
    pub fn close(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        let flushed = self.flush();
        self.inner.closed.store(true, Ordering::Release);
        lock(&self.inner.wal_tx).take();
        lock(&self.inner.flush_tx).take();
        self.kick_maintenance();
        let threads: Vec<_> = lock(&self.inner.threads).drain(..).collect();
        for t in threads {
            let _ = t.join();
        }
        lock(&self.inner.dir_lock).take();
        flushed
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    pub fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Files that could not be opened, with the reason.
    pub fn damaged(&self) -> Vec<(PathBuf, String)> {
        lock(&self.inner.damaged).clone()
    }

    pub fn version(&self) -> Arc<Version> {
        rd(&self.inner.version).clone()
    }

    pub(crate) fn install(&self, f: impl FnOnce(&mut Version)) {
        let mut v = wr(&self.inner.version);
        let mut nv = (**v).clone();
        f(&mut nv);
        *v = Arc::new(nv);
    }

    pub(crate) fn remove_segments(&self, ids: &[u64]) {
        self.install(|v| v.remove(ids));
    }

    /// A consistent view for reading the given series over [from, to): the version and
    /// copies of the active memtable's points.
    pub(crate) fn snapshot(
        &self,
        ids: &[u32],
        from: Micros,
        to: Micros,
    ) -> (Arc<Version>, FastMap<u32, Column>) {
        let commit = lock(&self.inner.commit);
        let v = self.version();
        let mut active = FastMap::default();
        for id in ids {
            if let Some(c) = commit.mem.cols.get(id) {
                let mut part = c.filter_range(from, to);
                if !part.is_empty() {
                    part.sort_dedup();
                    active.insert(*id, part);
                }
            }
        }
        drop(commit);
        (v, active)
    }

    /// Points of active and frozen memtables per tenant (for statistics).
    pub(crate) fn unflushed_points(&self, tenant: TenantId) -> u64 {
        self.unflushed_points_of(Some(tenant))
    }

    /// Points of active and frozen memtables: one tenant's, or everybody's.
    fn unflushed_points_of(&self, tenant: Option<TenantId>) -> u64 {
        let cat = rd(&self.inner.catalog);
        let count = |m: &Memtable| -> u64 {
            m.cols
                .iter()
                .filter(|(id, _)| {
                    tenant.is_none_or(|t| cat.get(**id).is_some_and(|d| d.tenant == t))
                })
                .map(|(_, c)| c.len() as u64)
                .sum()
        };
        let active = count(&lock(&self.inner.commit).mem);
        let frozen = self.version().imm.as_ref().map_or(0, |f| count(&f.mem));
        active + frozen
    }

    /// Points of active and frozen memtables of each tenant that has some, and the bytes
    /// of the write-ahead log's files.
    pub(crate) fn unflushed_by_tenant(&self) -> (HashMap<TenantId, u64>, u64) {
        let mut out: HashMap<TenantId, u64> = HashMap::new();
        {
            let cat = rd(&self.inner.catalog);
            let mut count = |m: &Memtable| {
                for (id, c) in &m.cols {
                    if let Some(d) = cat.get(*id) {
                        *out.entry(d.tenant).or_default() += c.len() as u64;
                    }
                }
            };
            count(&lock(&self.inner.commit).mem);
            if let Some(f) = self.version().imm.as_ref() {
                count(&f.mem);
            }
        }
        (out, self.wal_bytes())
    }

    /// Bytes of the write-ahead log's files (a file removed by a flush meanwhile is simply
    /// not counted).
    fn wal_bytes(&self) -> u64 {
        wal::list(&self.inner.wal_dir)
            .unwrap_or_default()
            .iter()
            .filter_map(|(_, path)| std::fs::metadata(path).ok())
            .map(|m| m.len())
            .sum()
    }

    /// The part of the write-ahead log's files that holds `points` of the points not yet
    /// in segments (the log is shared: a tenant's share is its part of those points).
    pub(crate) fn wal_share(&self, points: u64) -> u64 {
        if points == 0 {
            return 0;
        }
        let all = self.unflushed_points_of(None).max(points);
        let bytes = self.wal_bytes();
        u64::try_from(u128::from(bytes) * u128::from(points) / u128::from(all)).unwrap_or(bytes)
    }
}

pub(crate) fn update_latest(latest: &mut IdMap<Latest>, id: u32, col: &Column) {
    // The newest timestamp of the column; on equal timestamps the later point.
    let mut best: Option<usize> = None;
    for i in 0..col.len() {
        if best.is_none_or(|b| col.ts[i] >= col.ts[b]) {
            best = Some(i);
        }
    }
    let Some(i) = best else { return };
    let new = || Latest {
        ts: col.ts[i],
        value: col.values.get(i),
        quality: col.quality(i),
    };
    match latest.get_mut(&id) {
        Some(l) if col.ts[i] >= l.ts => *l = new(),
        Some(_) => {}
        None => {
            latest.insert(id, new());
        }
    }
}

/// Files with the extension under `dir`, recursively.
/// Takes the directory's lock (held while the returned file is open), or fails with
/// [`TsdbError::Locked`] when another process (a running server) holds it.
pub fn lock_dir(dir: &Path) -> Result<File> {
    let lock_path = dir.join("LOCK");
    let dir_lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .at(&lock_path)?;
    match dir_lock.try_lock() {
        Ok(()) => Ok(dir_lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(TsdbError::Locked(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(TsdbError::io(&lock_path, e)),
    }
}

pub(crate) fn list_files(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = match std::fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(TsdbError::io(&d, e)),
        };
        for entry in rd {
            let entry = entry.at(&d)?;
            let path = entry.path();
            let ft = entry.file_type().at(&path)?;
            if ft.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Without `close` (a crash, in effect): the log already holds every acknowledged
        // point; stop the writer thread so the file is released.
        lock(&self.wal_tx).take();
        lock(&self.flush_tx).take();
    }
}
