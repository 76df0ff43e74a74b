//! Background maintenance: compaction (merging a partition's segments so each series has
//! few, large chunks and overwritten points disappear) and retention (dropping whole
//! partitions older than a tenant's or product's policy).
//!
//! Compaction merges only segments that are neighbours in write order (by their log
//! sequence ranges), so "last write wins" holds across the merge: inputs are merged in
//! ascending `max_seq`, later ones winning ties.

use crate::column::Column;
use crate::engine::{Engine, lock, now_micros};
use crate::error::{IoContext, Result};
use crate::segment::{self, Header, Segment};
use ironloom_core::ids::{ProductId, TenantId};
use ironloom_core::telemetry::RetentionPolicy;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct StoredPolicy {
    tenant: TenantId,
    product: Option<ProductId>,
    keep_secs: Option<u64>,
}

pub(crate) fn start(engine: &Engine) -> Result<()> {
    let weak = Arc::downgrade(&engine.inner);
    let h = std::thread::Builder::new()
        .name("tsdb-maintain".into())
        .spawn(move || {
            let mut last_retention = Instant::now() - Duration::from_secs(3600);
            let mut failed: BTreeSet<u64> = BTreeSet::new();
            loop {
                let Some(inner) = weak.upgrade() else { break };
                let engine = Engine { inner };
                {
                    let g = lock(&engine.inner.maint.0);
                    let (mut g, _) = engine
                        .inner
                        .maint
                        .1
                        .wait_timeout_while(g, Duration::from_secs(30), |kicked| !*kicked)
                        .unwrap_or_else(|p| p.into_inner());
                    *g = false;
                }
                if engine.is_closed() {
                    break;
                }
                if last_retention.elapsed() >= Duration::from_secs(60) {
                    last_retention = Instant::now();
                    if let Err(e) = engine.apply_retention(now_micros()) {
                        tracing::error!(error = %e, "retention pass failed");
                    }
                }
                while !engine.is_closed() {
                    let Some(inputs) = engine.pick_compaction(false, &failed) else {
                        break;
                    };
                    if let Err(e) = engine.compact(&inputs) {
                        tracing::error!(error = %e, "compaction failed; those segments are left as they are");
                        failed.extend(inputs.iter().map(|s| s.header.id));
                    }
                }
            }
        })
        .at(&engine.inner.dir)?;
    lock(&engine.inner.threads).push(h);
    Ok(())
}

impl Engine {
    /// The next set of segments to merge: a run of `compact_trigger` neighbours of one
    /// level, or every segment of a partition that has gone cold (or of any partition with
    /// more than one segment, when `all`).
    fn pick_compaction(&self, all: bool, skip: &BTreeSet<u64>) -> Option<Vec<Arc<Segment>>> {
        let v = self.version();
        let trigger = self.inner.opts.compact_trigger.max(2);
        let cold_after = self.inner.opts.cold_after;
        let last_write = lock(&self.inner.last_write).clone();
        for ((tenant, product), parts) in &v.families {
            for (start, list) in parts {
                if list.len() < 2 || list.iter().any(|s| skip.contains(&s.header.id)) {
                    continue;
                }
                let cold = all
                    || last_write
                        .get(&((*tenant, *product), *start))
                        .is_none_or(|t| t.elapsed() >= cold_after);
                if cold {
                    return Some(list.clone());
                }
                let mut i = 0;
                while i < list.len() {
                    let level = list[i].header.level;
                    let mut j = i;
                    while j < list.len() && list[j].header.level == level {
                        j += 1;
                    }
                    if j - i >= trigger {
                        return Some(list[i..j].to_vec());
                    }
                    i = j;
                }
            }
        }
        None
    }

    /// Merges every partition down to one segment (benchmarks, tests, before an export).
    pub fn compact_all(&self) -> Result<()> {
        let skip = BTreeSet::new();
        while let Some(inputs) = self.pick_compaction(true, &skip) {
            self.compact(&inputs)?;
        }
        Ok(())
    }

    /// Merges segments of one partition (ascending `max_seq`) into one.
    fn compact(&self, inputs: &[Arc<Segment>]) -> Result<()> {
        let _maint = lock(&self.inner.policy_lock);
        // Retention may have dropped the partition since the inputs were picked.
        let current = self.version();
        if !inputs
            .iter()
            .all(|s| current.all_segments().any(|c| c.header.id == s.header.id))
        {
            return Ok(());
        }
        let first = &inputs[0].header;
        let header = Header {
            id: self.inner.next_segment.fetch_add(1, Ordering::Relaxed),
            tenant: first.tenant,
            product: first.product,
            part_start: first.part_start,
            part_width: first.part_width,
            min_seq: inputs.iter().map(|s| s.header.min_seq).min().unwrap_or(0),
            max_seq: inputs.iter().map(|s| s.header.max_seq).max().unwrap_or(0),
            level: inputs.iter().map(|s| s.header.level).max().unwrap_or(0) + 1,
            replaces: inputs.iter().map(|s| s.header.id).collect(),
        };
        let dir = self.family_dir(first.tenant, first.product);
        let ids: BTreeSet<u32> = inputs
            .iter()
            .flat_map(|s| s.series.iter().map(|d| d.id))
            .collect();
        let mut w = segment::Writer::create(&dir, header, self.inner.opts.chunk_points)?;
        let result = (|| {
            for id in ids {
                let mut parts = Vec::new();
                let mut def = None;
                for seg in inputs {
                    if def.is_none() {
                        def = seg.def(id).cloned();
                    }
                    for c in seg.chunks_of(id) {
                        parts.push(seg.read_chunk(c)?);
                    }
                }
                if let (Some(def), Some(col)) = (def, Column::merge(parts)) {
                    w.add(&def, &col)?;
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            w.abandon();
            return Err(e);
        }
        let out = w.finish()?;
        let gone: Vec<u64> = inputs.iter().map(|s| s.header.id).collect();
        self.install(|v| {
            v.remove(&gone);
            v.add(Arc::new(out));
        });
        for s in inputs {
            std::fs::remove_file(&s.path).at(&s.path)?;
        }
        self.inner
            .counters
            .compactions
            .fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn policies_path(&self) -> std::path::PathBuf {
        self.inner.dir.join("retention.json")
    }

    fn load_policies(&self) -> Result<Vec<StoredPolicy>> {
        let path = self.policies_path();
        match std::fs::read(&path) {
            Ok(b) => {
                serde_json::from_slice(&b).map_err(|e| crate::error::TsdbError::corrupt(&path, e))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(crate::error::TsdbError::io(&path, e)),
        }
    }

    /// Retention policies of a tenant.
    pub fn retention(&self, tenant: TenantId) -> Result<Vec<RetentionPolicy>> {
        let mut all = self.retention_all()?;
        all.retain(|p| p.tenant == tenant);
        Ok(all)
    }

    /// Every tenant's retention policies.
    pub fn retention_all(&self) -> Result<Vec<RetentionPolicy>> {
        Ok(self
            .load_policies()?
            .into_iter()
            .map(|p| RetentionPolicy {
                tenant: p.tenant,
                product: p.product,
                keep: p.keep_secs.map(Duration::from_secs),
            })
            .collect())
    }

    /// Sets (or, with `keep: None`, removes) a policy and applies it at once.
    pub fn set_retention(&self, policy: &RetentionPolicy) -> Result<()> {
        let g = lock(&self.inner.policy_lock);
        let mut all = self.load_policies()?;
        all.retain(|p| !(p.tenant == policy.tenant && p.product == policy.product));
        if let Some(keep) = policy.keep {
            all.push(StoredPolicy {
                tenant: policy.tenant,
                product: policy.product,
                keep_secs: Some(keep.as_secs()),
            });
        }
        let path = self.policies_path();
        let tmp = path.with_extension("tmp");
        let body = serde_json::to_vec_pretty(&all)
            .map_err(|e| crate::error::TsdbError::Invalid(e.to_string()))?;
        std::fs::write(&tmp, body).at(&tmp)?;
        std::fs::File::open(&tmp).at(&tmp)?.sync_all().at(&tmp)?;
        std::fs::rename(&tmp, &path).at(&path)?;
        drop(g);
        self.apply_retention(now_micros())?;
        Ok(())
    }

    /// Drops every partition that ended before its family's retention cut-off. Returns the
    /// number of segment files deleted.
    pub fn apply_retention(&self, now: i64) -> Result<u64> {
        let _maint = lock(&self.inner.policy_lock);
        let policies = self.load_policies()?;
        let keep: HashMap<(TenantId, Option<ProductId>), u64> = policies
            .iter()
            .filter_map(|p| p.keep_secs.map(|k| ((p.tenant, p.product), k)))
            .collect();
        let v = self.version();
        let mut doomed: Vec<Arc<Segment>> = Vec::new();
        let mut partitions = 0u64;
        for ((tenant, product), parts) in &v.families {
            let k = keep
                .get(&(*tenant, *product))
                .or_else(|| keep.get(&(*tenant, None)));
            let Some(k) = k else { continue };
            let cutoff = now.saturating_sub((*k as i64).saturating_mul(1_000_000));
            for list in parts.values() {
                if list.first().is_some_and(|s| s.part_end() <= cutoff) {
                    partitions += 1;
                    doomed.extend(list.iter().cloned());
                }
            }
        }
        if doomed.is_empty() {
            return Ok(0);
        }
        let ids: Vec<u64> = doomed.iter().map(|s| s.header.id).collect();
        self.remove_segments(&ids);
        for s in &doomed {
            std::fs::remove_file(&s.path).at(&s.path)?;
        }
        self.inner
            .counters
            .partitions_dropped
            .fetch_add(partitions, Ordering::Relaxed);
        tracing::info!(
            partitions,
            files = doomed.len(),
            "retention dropped expired partitions"
        );
        Ok(doomed.len() as u64)
    }
}
