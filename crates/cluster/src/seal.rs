//! Sealing (design §2.7): every `seal_interval` the owner of a partition makes what it
//! applied up to stream sequence N durable in segment files (a flush of the partition's
//! engine), uploads the files not uploaded yet and the latest-value table, records them
//! in the manifest with `ClusterStore::seal` (fenced by its epoch: an owner that lost the
//! partition records nothing), and only then trims the partition's subject in its stream
//! up to N, or up to where the partition's rule state was last recorded if that is
//! earlier (a new owner's rules re-run what follows it). Segments the engine's compaction or retention removed are marked replaced in
//! the same step, and deleted from the bucket after a grace period.
//!
//! A failed seal (object storage or PostgreSQL unreachable) is retried with backoff; the
//! stream keeps everything after the last recorded seal meanwhile, so nothing is lost.
//!
//! A node that takes a partition [`restore`](Sealer::restore)s it: from its own files
//! when they are at least as new as the manifest and the manifest is what this node last
//! recorded, otherwise from the bucket; then it replays the stream after that point.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use ironloom_core::cluster::{ClusterStore, Fence};
use ironloom_core::sync::lock;
use ironloom_tsdb::Engine;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};

use crate::nats::stream_name;
use crate::partition::shard_of;
use crate::segments::{self, id_of_key, latest_key, row_of, segment_key};

/// Replaced segments stay in the bucket for this many seal intervals (a node fetching
/// the partition may still be reading them).
const GRACE_INTERVALS: u32 = 10;
/// The first retry of a failed seal; doubled per failure up to the seal interval.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The file in a partition's directory naming the manifest its files agree with.
const MARKER: &str = "sealed.json";

/// One owned partition's sealing state.
#[derive(Debug, Default)]
pub struct SealState {
    /// Every record up to this stream sequence is in the manifest's segments.
    pub sealed_seq: u64,
    pub sealed_at: Option<DateTime<Utc>>,
    /// The last seal's error, until one succeeds.
    pub error: Option<String>,
    pub latest_key: Option<String>,
    /// The partition's live segments in the manifest, by engine segment id.
    pub uploaded: BTreeMap<u64, String>,
    /// The materialiser's record count at the last seal.
    pub records_at_seal: u64,
    /// The partition's stream is trimmed up to here.
    pub trimmed: u64,
    /// How long the last seal took (flush, uploads, manifest).
    pub took: Option<Duration>,
    failures: u32,
    next: Option<Instant>,
}

/// A partition's sealing: one seal at a time, its state readable meanwhile.
#[derive(Debug, Default)]
pub struct PartitionSeal {
    run: tokio::sync::Mutex<()>,
    pub state: Mutex<SealState>,
}

impl PartitionSeal {
    /// Whether a seal is due now.
    pub fn due(&self) -> bool {
        lock(&self.state).next.is_none_or(|t| Instant::now() >= t)
    }
}

/// What a seal works on.
#[derive(Debug, Clone)]
pub struct SealJob {
    pub partition: u32,
    pub epoch: u64,
    pub engine: Engine,
    /// The stream sequence applied (read before the flush).
    pub applied: u64,
    /// The materialiser's record count then.
    pub records: u64,
    /// The position the partition's rule state was last recorded at: the stream keeps
    /// what follows it (a new owner's rules re-run it), sealed or not.
    pub trim_to: u64,
    pub seal: Arc<PartitionSeal>,
}

/// Why a seal did not happen.
#[derive(Debug)]
pub enum SealError {
    /// A newer owner is recorded: the partition is not this node's any more.
    Fenced,
    Failed(String),
}

/// What [`Sealer::restore`] decided.
#[derive(Debug)]
pub struct Restored {
    /// The stream sequence to apply from.
    pub from: u64,
    /// Whether the node's own files were kept.
    pub reused: bool,
    pub state: SealState,
}

/// The manifest a partition directory's files agree with.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Marker {
    sealed_seq: u64,
    keys: BTreeSet<String>,
}

fn read_marker(dir: &Path) -> Option<Marker> {
    serde_json::from_slice(&std::fs::read(dir.join(MARKER)).ok()?).ok()
}

fn write_marker(dir: &Path, m: &Marker) -> Result<(), String> {
    let path = dir.join(MARKER);
    let tmp = path.with_extension("json.tmp");
    let body = serde_json::to_vec(m).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, body)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Uploads to object storage and records in the manifest.
#[derive(Clone)]
pub struct Sealer {
    pub objects: Arc<dyn ObjectStore>,
    pub prefix: String,
    pub fences: Arc<dyn ClusterStore>,
    pub js: jetstream::Context,
    pub shards: u32,
    pub interval: Duration,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn failed(what: &str) -> impl Fn(String) -> SealError + '_ {
    move |e| SealError::Failed(format!("{what}: {e}"))
}

impl Sealer {
    /// Prepares partition `p`'s directory `dir` for a new ownership. `applied` is what
    /// this node applied of it before (0: nothing); `forget` is called before the
    /// directory is emptied (the node must stop counting on what it applied).
    pub async fn restore(
        &self,
        p: u32,
        dir: &Path,
        applied: u64,
        forget: impl FnOnce(),
    ) -> Result<Restored, String> {
        let row = self
            .fences
            .partition(p)
            .await
            .map_err(|e| format!("cannot read the partition's manifest: {e}"))?;
        let (sealed, latest) = row.map_or((0, None), |r| (r.sealed_seq, r.latest_key));
        let rows = self
            .fences
            .segments(p)
            .await
            .map_err(|e| format!("cannot read the partition's segments: {e}"))?;
        let keys: BTreeSet<String> = rows.iter().map(|r| r.key.clone()).collect();
        let marker = read_marker(dir);
        // The node's files are trusted only as far as the manifest agrees: they must be
        // what it last recorded itself (nobody sealed since, so the stream still holds
        // everything after what it applied) and at least as new.
        let agrees = marker
            .as_ref()
            .is_some_and(|m| m.sealed_seq == sealed && m.keys == keys)
            || (sealed == 0 && rows.is_empty());
        let mut state = SealState {
            sealed_seq: sealed,
            latest_key: latest.clone(),
            ..SealState::default()
        };
        if dir.join("segments").is_dir() && applied >= sealed && agrees {
            state.uploaded = rows
                .iter()
                .filter_map(|r| Some((id_of_key(&r.key)?, r.key.clone())))
                .collect();
            return Ok(Restored {
                from: applied + 1,
                reused: true,
                state,
            });
        }
        forget();
        state.uploaded =
            segments::fetch(self.objects.as_ref(), dir, &rows, latest.as_deref()).await?;
        write_marker(
            dir,
            &Marker {
                sealed_seq: sealed,
                keys,
            },
        )?;
        tracing::info!(
            partition = p,
            segments = rows.len(),
            sealed,
            "fetched the partition's segments from object storage"
        );
        Ok(Restored {
            from: sealed + 1,
            reused: false,
            state,
        })
    }

    /// Seals one partition (see the module's description). `Ok(false)`: nothing new.
    pub async fn seal(&self, job: &SealJob) -> Result<bool, SealError> {
        let _one = job.seal.run.lock().await;
        let p = job.partition;
        let (sealed, uploaded, previous_latest, trimmed) = {
            let st = lock(&job.seal.state);
            (
                st.sealed_seq,
                st.uploaded.clone(),
                st.latest_key.clone(),
                st.trimmed,
            )
        };
        let engine = job.engine.clone();
        let ids = |e: &Engine| -> BTreeSet<u64> {
            e.version().all_segments().map(|s| s.header.id).collect()
        };
        if job.applied <= sealed
            && ids(&engine) == uploaded.keys().copied().collect::<BTreeSet<u64>>()
        {
            // The rule state may have moved on since: trim what is sealed up to it.
            let to = sealed.min(job.trim_to);
            if to > trimmed {
                self.trim(p, to).await;
                lock(&job.seal.state).trimmed = to;
            }
            return Ok(false);
        }
        let started = Instant::now();
        let flushing = engine.clone();
        tokio::task::spawn_blocking(move || flushing.flush())
            .await
            .map_err(|e| SealError::Failed(e.to_string()))?
            .map_err(|e| SealError::Failed(format!("flush: {e}")))?;
        let version = engine.version();
        let mut rows = Vec::new();
        let mut bytes_up = 0u64;
        let live: BTreeSet<u64> = version.all_segments().map(|s| s.header.id).collect();
        for seg in version.all_segments() {
            let h = &seg.header;
            if uploaded.contains_key(&h.id) {
                continue;
            }
            let key = segment_key(&self.prefix, p, job.epoch, h.tenant, h.product, h.id);
            let body = tokio::fs::read(&seg.path)
                .await
                .map_err(|e| SealError::Failed(format!("{}: {e}", seg.path.display())))?;
            bytes_up += body.len() as u64;
            self.put(&key, body).await.map_err(failed("upload"))?;
            rows.push(row_of(seg, p, job.epoch, key));
        }
        let replaced: Vec<String> = uploaded
            .iter()
            .filter(|(id, _)| !live.contains(id))
            .map(|(_, k)| k.clone())
            .collect();
        // The table changes only with a flush that wrote segments.
        let unchanged = rows.is_empty() && previous_latest.is_some();
        let latest = match tokio::fs::read(engine.dir().join("latest.dat")).await {
            Ok(_) if unchanged => previous_latest.clone(),
            Ok(body) => {
                let key = latest_key(&self.prefix, p, job.epoch, job.applied);
                bytes_up += body.len() as u64;
                self.put(&key, body).await.map_err(failed("upload"))?;
                Some(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(SealError::Failed(format!("latest.dat: {e}"))),
        };
        let fence = Fence {
            partition: p,
            epoch: job.epoch,
        };
        let new_keys: Vec<(u64, String)> = rows
            .iter()
            .filter_map(|r| Some((id_of_key(&r.key)?, r.key.clone())))
            .collect();
        // What this seal uploaded: its keys carry this owner's epoch, so nobody else
        // records them.
        let mut ours: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
        if latest != previous_latest {
            ours.extend(latest.clone());
        }
        match self
            .fences
            .seal(fence, rows, replaced.clone(), job.applied, latest.clone())
            .await
        {
            Ok(()) => {}
            Err(ironloom_core::error::Error::Fenced { .. }) => {
                // A newer owner exists: what this seal uploaded is never recorded, so it
                // leaves the bucket now.
                for key in ours {
                    let _ = self
                        .objects
                        .delete(&object_store::path::Path::from(key))
                        .await;
                }
                return Err(SealError::Fenced);
            }
            Err(e) => return Err(SealError::Failed(format!("record the seal: {e}"))),
        }
        let keys = {
            let mut st = lock(&job.seal.state);
            for k in &replaced {
                st.uploaded.retain(|_, v| v != k);
            }
            st.uploaded.extend(new_keys);
            st.sealed_seq = st.sealed_seq.max(job.applied);
            st.sealed_at = Some(Utc::now());
            st.error = None;
            st.records_at_seal = job.records;
            st.took = Some(started.elapsed());
            if latest.is_some() {
                st.latest_key = latest.clone();
            }
            st.uploaded.values().cloned().collect()
        };
        if let Err(e) = write_marker(
            engine.dir(),
            &Marker {
                sealed_seq: job.applied.max(sealed),
                keys,
            },
        ) {
            tracing::warn!(partition = p, error = %e, "cannot record what the partition's files agree with");
        }
        metrics::histogram!("ironloom_cluster_seal_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("ironloom_cluster_sealed_bytes_total").increment(bytes_up);
        tracing::debug!(partition = p, seq = job.applied, bytes = bytes_up, elapsed = ?started.elapsed(), "sealed");
        // Only now may the stream forget what the segments hold.
        let to = job.applied.min(job.trim_to);
        if to > trimmed {
            self.trim(p, to).await;
            lock(&job.seal.state).trimmed = to;
        }
        if let Some(old) = previous_latest
            && latest.as_ref().is_some_and(|l| *l != old)
        {
            let _ = self
                .objects
                .delete(&object_store::path::Path::from(old))
                .await;
        }
        Ok(true)
    }

    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), String> {
        self.objects
            .put(&object_store::path::Path::from(key), body.into())
            .await
            .map(|_| ())
            .map_err(|e| format!("{key}: {e}"))
    }

    /// Removes partition `p`'s records up to `seq` from its stream.
    pub async fn trim(&self, p: u32, seq: u64) {
        let trimmed = async {
            let stream = self
                .js
                .get_stream(stream_name(shard_of(p, self.shards)))
                .await?;
            stream
                .purge()
                .filter(format!("il.in.{p}.*"))
                .sequence(seq + 1)
                .await?;
            Ok::<_, async_nats::Error>(())
        };
        if let Err(e) = trimmed.await {
            // The next seal trims again; the stream's max_age is the backstop.
            tracing::warn!(partition = p, seq, error = %e, "cannot trim the partition's stream");
        }
    }

    /// Deletes segments replaced longer than the grace period ago from the bucket and
    /// the manifest.
    pub async fn collect_garbage(&self) {
        let grace = self.interval * GRACE_INTERVALS;
        let older = Utc::now() - chrono::Duration::from_std(grace).unwrap_or_default();
        let rows = match self.fences.replaced_segments(older).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list replaced segments");
                return;
            }
        };
        let mut gone = Vec::new();
        for row in rows {
            match self
                .objects
                .delete(&object_store::path::Path::from(row.key.as_str()))
                .await
            {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => gone.push(row.key),
                Err(e) => {
                    tracing::warn!(key = row.key, error = %e, "cannot delete a replaced segment");
                    break;
                }
            }
        }
        if !gone.is_empty()
            && let Err(e) = self.fences.forget_segments(gone).await
        {
            tracing::warn!(error = %e, "cannot remove deleted segments from the manifest");
        }
    }

    /// Runs `job`, keeping its retry schedule: the next seal one interval after a
    /// success, after 1 s, 2 s, 4 s … (up to the interval) after failures.
    pub async fn run(&self, job: &SealJob) -> Result<bool, SealError> {
        let r = self.seal(job).await;
        let mut st = lock(&job.seal.state);
        match &r {
            Ok(_) => {
                st.failures = 0;
                st.next = Some(Instant::now() + self.interval);
            }
            Err(SealError::Failed(e)) => {
                st.failures = st.failures.saturating_add(1);
                let wait = FIRST_RETRY
                    .saturating_mul(1 << st.failures.min(16).saturating_sub(1))
                    .min(self.interval);
                st.next = Some(Instant::now() + wait);
                st.error = Some(e.clone());
                tracing::warn!(partition = job.partition, error = %e, retry_in = ?wait, "sealing failed; the stream keeps the data meanwhile");
                metrics::counter!("ironloom_cluster_seal_failures_total").increment(1);
            }
            Err(SealError::Fenced) => {}
        }
        r
    }
}
