//! Reads: raw ranges with cursor pagination, windowed aggregates (from chunk statistics
//! where a chunk lies inside one window and overlaps nothing else, from decoded points
//! otherwise), the latest-value table, and storage statistics.

use crate::chunk::{Stats, raw_less};
use crate::column::Column;
use crate::engine::{Engine, Version, rd};
use crate::error::{Result, TsdbError};
use crate::record::SeriesDef;
use crate::rollup::{self, RollupMeta};
use crate::segment::{ChunkMeta, Segment};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::{
    AggregateQuery, AggregateSeries, AggregateWindow, Aggregation, HistoryColumns, HistoryPage,
    HistoryPoint, HistoryQuery, LatestValue, Micros, Order, Selection, SeriesColumns, StorageStats,
    Value, ValueType,
};
use std::collections::HashMap;
use std::sync::Arc;

pub const MAX_PAGE: usize = 10_000;
pub const MAX_WINDOWS: i64 = 100_000;
pub const MAX_SERIES: usize = 100_000;

/// Where a series' points over a range come from, in ascending priority.
enum Source {
    Chunk {
        seg: Arc<Segment>,
        meta: ChunkMeta,
    },
    Mem(Column),
    /// The chunks of a series in one segment (those overlapping the query range, sorted,
    /// not overlapping each other) with the segment's rollup of the series (aggregates).
    Rollup {
        seg: Arc<Segment>,
        rollup: RollupMeta,
        chunks: Vec<ChunkMeta>,
    },
}

impl Source {
    fn span(&self) -> (Micros, Micros) {
        match self {
            Source::Chunk { meta, .. } => (meta.stats.min_ts, meta.stats.max_ts),
            Source::Mem(c) => (c.ts[0], c.ts[c.len() - 1]),
            Source::Rollup { chunks, .. } => {
                chunks.iter().fold((Micros::MAX, Micros::MIN), |(a, b), c| {
                    (a.min(c.stats.min_ts), b.max(c.stats.max_ts))
                })
            }
        }
    }

    fn load(&self) -> Result<Column> {
        match self {
            Source::Chunk { seg, meta } => seg.read_chunk(meta),
            Source::Mem(c) => Ok(c.clone()),
            Source::Rollup { seg, chunks, .. } => {
                let mut parts = Vec::with_capacity(chunks.len());
                for c in chunks {
                    parts.push(seg.read_chunk(c)?);
                }
                Column::merge(parts)
                    .ok_or_else(|| TsdbError::corrupt(&seg.path, "empty rollup source"))
            }
        }
    }
}

/// Replaces the chunks of a segment by its rollup at `width` where reading the rollup is
/// less work than the chunks: a chunk inside one query window costs one step (its
/// statistics), any other chunk one step per point; a rollup costs one step per window of
/// the segment plus the points of a chunk at each edge of the range that cuts a window.
fn use_rollups(
    srcs: Vec<Source>,
    series: u32,
    width: Micros,
    q_window: Micros,
    from: Micros,
    to: Micros,
) -> Vec<Source> {
    let window_of = |ts: Micros| ts.div_euclid(q_window) * q_window;
    let mut out: Vec<Source> = Vec::with_capacity(srcs.len());
    let mut it = srcs.into_iter().peekable();
    while let Some(src) = it.next() {
        let Source::Chunk { seg, meta } = src else {
            out.push(src);
            continue;
        };
        let mut chunks = vec![meta];
        while let Some(Source::Chunk { seg: s2, .. }) = it.peek()
            && Arc::ptr_eq(s2, &seg)
        {
            if let Some(Source::Chunk { meta, .. }) = it.next() {
                chunks.push(meta);
            }
        }
        let rollup = seg.rollup_of(series, width).copied();
        let chunk_cost: u64 = chunks
            .iter()
            .map(|c| {
                let (a, b) = (c.stats.min_ts, c.stats.max_ts);
                if a >= from && b < to && window_of(a) == window_of(b) {
                    1
                } else {
                    c.stats.count as u64
                }
            })
            .sum();
        // Windows cut by the range are read from the points.
        let (lo, hi) = chunks.iter().fold((Micros::MAX, Micros::MIN), |(a, b), c| {
            (a.min(c.stats.min_ts), b.max(c.stats.max_ts))
        });
        let biggest = chunks
            .iter()
            .map(|c| c.stats.count as u64)
            .max()
            .unwrap_or(0);
        let cut = |edge: Micros| edge > lo && edge <= hi && edge.rem_euclid(width) != 0;
        let edge_cost = biggest * (cut(from) as u64 + cut(to) as u64);
        match rollup {
            Some(r) if r.windows as u64 + edge_cost < chunk_cost => {
                out.push(Source::Rollup {
                    seg,
                    rollup: r,
                    chunks,
                });
            }
            _ => out.extend(chunks.into_iter().map(|meta| Source::Chunk {
                seg: seg.clone(),
                meta,
            })),
        }
    }
    out
}

fn sources(
    v: &Version,
    active: &mut crate::FastMap<u32, Column>,
    def: &SeriesDef,
    from: Micros,
    to: Micros,
) -> Vec<Source> {
    let mut out = Vec::new();
    for seg in v.segments(def.tenant, def.product, from, to) {
        for meta in seg.chunks_of(def.id) {
            if meta.stats.max_ts >= from && meta.stats.min_ts < to {
                out.push(Source::Chunk {
                    seg: seg.clone(),
                    meta: *meta,
                });
            }
        }
    }
    // Segments come sorted by max_seq per partition; across partitions there is no
    // overlap, so the order within `out` only matters per partition.
    if let Some(f) = &v.imm
        && let Some(c) = f.mem.cols.get(&def.id)
    {
        let mut part = c.filter_range(from, to);
        if !part.is_empty() {
            part.sort_dedup();
            out.push(Source::Mem(part));
        }
    }
    if let Some(c) = active.remove(&def.id) {
        out.push(Source::Mem(c));
    }
    out
}

/// Groups sources whose time spans overlap, in time order: each group with its span.
/// Groups never overlap each other, so each can be decoded and merged on its own.
fn clusters(srcs: &[Source]) -> Vec<(Vec<usize>, Micros, Micros)> {
    let mut order: Vec<usize> = (0..srcs.len()).collect();
    order.sort_by_key(|&i| srcs[i].span().0);
    let mut out = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let (s0, mut e0) = srcs[order[k]].span();
        let mut j = k + 1;
        while j < order.len() && srcs[order[j]].span().0 <= e0 {
            e0 = e0.max(srcs[order[j]].span().1);
            j += 1;
        }
        out.push((order[k..j].to_vec(), s0, e0));
        k = j;
    }
    out
}

/// Decodes and merges sources (ascending priority) and clips to [from, to).
fn materialize(srcs: &[&Source], from: Micros, to: Micros) -> Result<Option<Column>> {
    let mut parts = Vec::with_capacity(srcs.len());
    for s in srcs {
        let c = s.load()?;
        if c.is_empty() {
            continue;
        }
        let c = if c.ts[0] >= from && c.ts[c.len() - 1] < to {
            c
        } else {
            c.range(from, to)
        };
        parts.push(c);
    }
    Ok(Column::merge(parts))
}

/// A history page's `next_cursor` for the page's last point (public so that a cluster
/// merging several stores' pages issues cursors this engine accepts, and the reverse).
pub fn encode_cursor(ts: Micros, device: &DeviceId, property: &str) -> String {
    let raw = format!("{ts}|{device}|{property}");
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The point a cursor of [`encode_cursor`] names.
pub fn decode_cursor(c: &str) -> Result<(Micros, DeviceId, String)> {
    let bad = || TsdbError::Invalid("the cursor is not one this server issued".into());
    if !c.len().is_multiple_of(2) || c.len() > 600 {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..c.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&c[i..i + 2], 16))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad())?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut it = s.splitn(3, '|');
    let ts = it.next().and_then(|t| t.parse().ok()).ok_or_else(bad)?;
    let dev = it.next().and_then(|d| d.parse().ok()).ok_or_else(bad)?;
    let prop = it.next().ok_or_else(bad)?.to_string();
    Ok((ts, dev, prop))
}

/// One window's running aggregate.
///
/// Points are summed relative to the window's first point (`shift`), which needs no
/// division per point and stays accurate when values are far from zero; the run is folded
/// into `mean`/`m2` (Welford's parallel form) before chunk statistics are merged and when
/// the result is read.
#[derive(Debug, Clone)]
struct Acc {
    start: Micros,
    count: u64,
    sum: f64,
    /// Mean and sum of squared deviations of the points folded so far.
    mean: f64,
    m2: f64,
    folded: u64,
    /// Pending run: shift, count, Σ(x − shift), Σ(x − shift)².
    shift: f64,
    run_n: u64,
    run_s1: f64,
    run_s2: f64,
    min: u64,
    max: u64,
    /// Raw first and last values (numeric types); strings keep theirs in `*_str`.
    first: u64,
    last: u64,
    first_str: Option<String>,
    last_str: Option<String>,
    values: Vec<f64>,
}

impl Acc {
    fn new(start: Micros) -> Acc {
        Acc {
            start,
            count: 0,
            sum: 0.0,
            mean: 0.0,
            m2: 0.0,
            folded: 0,
            shift: 0.0,
            run_n: 0,
            run_s1: 0.0,
            run_s2: 0.0,
            min: 0,
            max: 0,
            first: 0,
            last: 0,
            first_str: None,
            last_str: None,
            values: Vec::new(),
        }
    }

    #[inline]
    fn add_point(&mut self, t: ValueType, c: &Column, i: usize, keep_values: bool) {
        let first = self.count == 0;
        self.count += 1;
        if t == ValueType::Str {
            if let crate::column::Values::Str(v) = &c.values {
                if first {
                    self.first_str = Some(v[i].clone());
                }
                self.last_str = Some(v[i].clone());
            }
            return;
        }
        let raw = c.values.raw(i);
        let x = c.values.num(i).unwrap_or(0.0);
        if first {
            self.first = raw;
            self.min = raw;
            self.max = raw;
        } else {
            if raw_less(t, raw, self.min) {
                self.min = raw;
            }
            if raw_less(t, self.max, raw) {
                self.max = raw;
            }
        }
        self.last = raw;
        self.sum += x;
        if self.run_n == 0 {
            self.shift = x;
        }
        let d = x - self.shift;
        self.run_n += 1;
        self.run_s1 += d;
        self.run_s2 += d * d;
        if keep_values {
            self.values.push(x);
        }
    }

    /// [`add_point`](Self::add_point) for consecutive float points of one window.
    fn add_f64_run(&mut self, xs: &[f64], keep_values: bool) {
        let Some(&x0) = xs.first() else {
            return;
        };
        let (mut min, mut max) = if self.count == 0 {
            self.first = x0.to_bits();
            (x0, x0)
        } else {
            (f64::from_bits(self.min), f64::from_bits(self.max))
        };
        if self.run_n == 0 {
            self.shift = x0;
        }
        let shift = self.shift;
        let (mut sum, mut s1, mut s2) = (self.sum, self.run_s1, self.run_s2);
        for &x in xs {
            if x < min {
                min = x;
            }
            if max < x {
                max = x;
            }
            sum += x;
            let d = x - shift;
            s1 += d;
            s2 += d * d;
        }
        self.min = min.to_bits();
        self.max = max.to_bits();
        self.last = xs[xs.len() - 1].to_bits();
        self.sum = sum;
        self.run_s1 = s1;
        self.run_s2 = s2;
        self.run_n += xs.len() as u64;
        self.count += xs.len() as u64;
        if keep_values {
            self.values.extend_from_slice(xs);
        }
    }

    /// Merges a group of `n` values with mean `mean_b` and squared deviations `m2_b`.
    fn merge_moments(&mut self, n: u64, mean_b: f64, m2_b: f64) {
        if n == 0 {
            return;
        }
        let n_a = self.folded as f64;
        let nb = n as f64;
        let total = n_a + nb;
        let delta = mean_b - self.mean;
        self.mean += delta * nb / total;
        self.m2 += m2_b + delta * delta * n_a * nb / total;
        self.folded += n;
    }

    fn fold_run(&mut self) {
        if self.run_n == 0 {
            return;
        }
        let n = self.run_n as f64;
        let mean_d = self.run_s1 / n;
        let m2 = (self.run_s2 - self.run_s1 * mean_d).max(0.0);
        self.merge_moments(self.run_n, self.shift + mean_d, m2);
        self.run_n = 0;
        self.run_s1 = 0.0;
        self.run_s2 = 0.0;
    }

    fn add_stats(&mut self, t: ValueType, s: &Stats) {
        let n_b = s.count as u64;
        if n_b == 0 {
            return;
        }
        if self.count == 0 {
            self.first = s.first;
            self.min = s.min;
            self.max = s.max;
        } else {
            if raw_less(t, s.min, self.min) {
                self.min = s.min;
            }
            if raw_less(t, self.max, s.max) {
                self.max = s.max;
            }
        }
        self.last = s.last;
        self.fold_run();
        self.merge_moments(n_b, s.sum / n_b as f64, s.m2);
        self.sum += s.sum;
        self.count += n_b;
    }

    fn result(&mut self, t: ValueType, a: &Aggregation) -> Option<Value> {
        if self.count == 0 {
            return None;
        }
        self.fold_run();
        let numeric = t != ValueType::Str;
        Some(match a {
            Aggregation::Count => Value::I64(self.count as i64),
            Aggregation::First if numeric => raw_value(t, self.first),
            Aggregation::Last if numeric => raw_value(t, self.last),
            Aggregation::First => Value::Str(self.first_str.clone()?),
            Aggregation::Last => Value::Str(self.last_str.clone()?),
            Aggregation::Min if numeric => raw_value(t, self.min),
            Aggregation::Max if numeric => raw_value(t, self.max),
            Aggregation::Sum if numeric => Value::F64(self.sum),
            Aggregation::Avg if numeric => Value::F64(self.sum / self.count as f64),
            Aggregation::Stddev if numeric => Value::F64((self.m2 / self.count as f64).sqrt()),
            Aggregation::Percentile(p) if numeric => {
                let v = &mut self.values;
                if v.is_empty() {
                    return None;
                }
                v.sort_by(|a, b| a.total_cmp(b));
                let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
                Value::F64(v[rank.clamp(1, v.len()) - 1])
            }
            _ => return None,
        })
    }
}

fn raw_value(t: ValueType, raw: u64) -> Value {
    match t {
        ValueType::F64 => Value::F64(f64::from_bits(raw)),
        ValueType::I64 => Value::I64(raw as i64),
        ValueType::Bool => Value::Bool(raw != 0),
        ValueType::Str => Value::Str(String::new()),
    }
}

impl Engine {
    /// The series a selection names, in (device order given, property name) order. An
    /// empty device list means every device of the tenant.
    pub fn resolve(&self, tenant: TenantId, sel: &Selection) -> Vec<Arc<SeriesDef>> {
        let cat = rd(&self.inner.catalog);
        let devices: Vec<DeviceId> = if sel.devices.is_empty() {
            cat.tenant_devices(tenant).to_vec()
        } else {
            sel.devices.clone()
        };
        let mut out = Vec::new();
        for d in devices {
            if sel.properties.is_empty() {
                out.extend(cat.device_series(tenant, d));
            } else {
                for p in &sel.properties {
                    if let Some(def) = cat.lookup(tenant, d, p).and_then(|id| cat.get(id)) {
                        out.push(def.clone());
                    }
                }
            }
        }
        out
    }

    /// The merged points of one series over [from, to).
    pub fn read(&self, def: &SeriesDef, from: Micros, to: Micros) -> Result<Option<Column>> {
        let (v, mut active) = self.snapshot(&[def.id], from, to);
        let srcs = sources(&v, &mut active, def, from, to);
        let refs: Vec<&Source> = srcs.iter().collect();
        materialize(&refs, from, to)
    }

    pub fn history(&self, tenant: TenantId, q: &HistoryQuery) -> Result<HistoryPage> {
        let (series, picked, next_cursor) = self.page(tenant, q)?;
        Ok(HistoryPage {
            points: picked
                .into_iter()
                .map(|(ts, s, value, quality)| HistoryPoint {
                    device: series[s as usize].device,
                    property: series[s as usize].property.to_string(),
                    ts,
                    value,
                    quality,
                })
                .collect(),
            next_cursor,
        })
    }

    /// [`history`](Self::history) by series.
    pub fn history_columns(&self, tenant: TenantId, q: &HistoryQuery) -> Result<HistoryColumns> {
        let (series, picked, next_cursor) = self.page(tenant, q)?;
        let mut out: Vec<SeriesColumns> = Vec::new();
        // Where each series' columns are in `out`.
        let mut at: Vec<Option<usize>> = vec![None; series.len()];
        for (ts, s, value, quality) in picked {
            let i = match at[s as usize] {
                Some(i) => i,
                None => {
                    let def = &series[s as usize];
                    at[s as usize] = Some(out.len());
                    out.push(SeriesColumns {
                        device: def.device,
                        property: def.property.to_string(),
                        ts: Vec::new(),
                        values: Vec::new(),
                        quality: None,
                    });
                    out.len() - 1
                }
            };
            out[i].push(ts, value, quality);
        }
        Ok(HistoryColumns {
            series: out,
            next_cursor,
        })
    }

    /// The points of a history page as (ts, index into the series returned, value,
    /// quality), in page order — (ts, device, property), ascending or descending — and the
    /// cursor of the next page.
    #[allow(clippy::type_complexity)]
    fn page(
        &self,
        tenant: TenantId,
        q: &HistoryQuery,
    ) -> Result<(
        Vec<Arc<SeriesDef>>,
        Vec<(Micros, u32, Value, ironloom_core::telemetry::Quality)>,
        Option<String>,
    )> {
        if q.from >= q.to {
            return Err(TsdbError::Invalid("`from` must be before `to`".into()));
        }
        let limit = q.limit.clamp(1, MAX_PAGE);
        let mut series = self.resolve(tenant, &q.selection);
        if series.len() > MAX_SERIES {
            return Err(TsdbError::Invalid(format!(
                "the selection has {} series; at most {MAX_SERIES}",
                series.len()
            )));
        }
        // In (device, property) order, each once: a point's series index then orders
        // points of one timestamp as their (device, property) would, without comparing
        // names per point.
        series.sort_by(|a, b| (a.device, &*a.property).cmp(&(b.device, &*b.property)));
        series.dedup_by_key(|d| d.id);
        let cursor = q.cursor.as_deref().map(decode_cursor).transpose()?;
        let desc = q.order == Order::Desc;
        let (mut from, mut to) = (q.from, q.to);
        if let Some((ts, _, _)) = &cursor {
            if desc {
                to = to.min(ts.saturating_add(1));
            } else {
                from = from.max(*ts);
            }
        }
        if from >= to {
            return Ok((series, Vec::new(), None));
        }
        let ids: Vec<u32> = series.iter().map(|d| d.id).collect();
        let (v, mut active) = self.snapshot(&ids, from, to);
        let after = |k: &(Micros, DeviceId, &str)| -> bool {
            match &cursor {
                None => true,
                Some((ts, d, p)) => {
                    let c = (*ts, *d, p.as_str());
                    if desc { *k < c } else { *k > c }
                }
            }
        };
        let mut picked: Vec<(Micros, u32, Value, ironloom_core::telemetry::Quality)> = Vec::new();
        for (s, def) in series.iter().enumerate() {
            let srcs = sources(&v, &mut active, def, from, to);
            // Decode cluster by cluster from the page's end of the range, and stop once the
            // page is full: a page costs its own points, not the rest of the range.
            let mut groups = clusters(&srcs);
            if desc {
                groups.reverse();
            }
            let mut taken = 0;
            'series: for (mut members, _, _) in groups {
                members.sort_unstable(); // ascending priority
                let refs: Vec<&Source> = members.iter().map(|&i| &srcs[i]).collect();
                let Some(col) = materialize(&refs, from, to)? else {
                    continue;
                };
                let n = col.len();
                let idx: Box<dyn Iterator<Item = usize>> = if desc {
                    Box::new((0..n).rev())
                } else {
                    Box::new(0..n)
                };
                picked.reserve(n.min(limit + 1));
                for i in idx {
                    if cursor.is_some() && !after(&(col.ts[i], def.device, &def.property)) {
                        continue;
                    }
                    picked.push((col.ts[i], s as u32, col.values.get(i), col.quality(i)));
                    taken += 1;
                    if taken > limit {
                        break 'series;
                    }
                }
            }
        }
        // One series is already in order.
        if series.len() > 1 {
            picked.sort_unstable_by(|a, b| {
                let (ka, kb) = ((a.0, a.1), (b.0, b.1));
                if desc { kb.cmp(&ka) } else { ka.cmp(&kb) }
            });
        }
        let more = picked.len() > limit;
        picked.truncate(limit);
        let next_cursor = if more {
            picked.last().map(|&(ts, s, _, _)| {
                let def = &series[s as usize];
                encode_cursor(ts, &def.device, &def.property)
            })
        } else {
            None
        };
        Ok((series, picked, next_cursor))
    }

    pub fn aggregate(&self, tenant: TenantId, q: &AggregateQuery) -> Result<Vec<AggregateSeries>> {
        if q.from >= q.to {
            return Err(TsdbError::Invalid("`from` must be before `to`".into()));
        }
        if q.window <= 0 {
            return Err(TsdbError::Invalid("the window must be positive".into()));
        }
        if q.aggregations.is_empty() {
            return Err(TsdbError::Invalid("name at least one aggregation".into()));
        }
        let windows = (q.to - q.from) / q.window + 1;
        if windows > MAX_WINDOWS {
            return Err(TsdbError::Invalid(format!(
                "the range holds {windows} windows; at most {MAX_WINDOWS}: choose a longer window"
            )));
        }
        let series = self.resolve(tenant, &q.selection);
        if series.len() > MAX_SERIES {
            return Err(TsdbError::Invalid(format!(
                "the selection has {} series; at most {MAX_SERIES}",
                series.len()
            )));
        }
        let keep_values = q
            .aggregations
            .iter()
            .any(|a| matches!(a, Aggregation::Percentile(_)));
        let ids: Vec<u32> = series.iter().map(|d| d.id).collect();
        let (v, mut active) = self.snapshot(&ids, q.from, q.to);
        let mut out = Vec::with_capacity(series.len());
        for def in &series {
            let t = def.vtype;
            let stats_ok = !keep_values
                && (t != ValueType::Str
                    || q.aggregations
                        .iter()
                        .all(|a| matches!(a, Aggregation::Count)));
            let mut srcs = sources(&v, &mut active, def, q.from, q.to);
            if stats_ok
                && rollup::supported(t)
                && let Some(&width) = rollup::WIDTHS.iter().rev().find(|&&w| q.window % w == 0)
            {
                srcs = use_rollups(srcs, def.id, width, q.window, q.from, q.to);
            }
            let mut accs: Vec<Acc> = Vec::new();
            let window_of = |ts: Micros| ts.div_euclid(q.window) * q.window;
            for (cluster, s0, e0) in clusters(&srcs) {
                let cluster = &cluster[..];
                if stats_ok
                    && cluster.len() == 1
                    && let Source::Chunk { meta, .. } = &srcs[cluster[0]]
                    && s0 >= q.from
                    && e0 < q.to
                    && window_of(s0) == window_of(e0)
                {
                    let w = window_of(s0);
                    if accs.last().is_none_or(|a| a.start != w) {
                        accs.push(Acc::new(w));
                    }
                    if let Some(a) = accs.last_mut() {
                        a.add_stats(t, &meta.stats);
                    }
                    continue;
                }
                if cluster.len() == 1
                    && let Source::Rollup {
                        seg,
                        rollup,
                        chunks,
                    } = &srcs[cluster[0]]
                {
                    let windows = seg.read_rollup(rollup, t)?;
                    self.inner
                        .counters
                        .rollup_windows_read
                        .fetch_add(windows.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    for s in &windows {
                        if s.max_ts < q.from || s.min_ts >= q.to {
                            continue;
                        }
                        if s.min_ts >= q.from && s.max_ts < q.to {
                            let w = window_of(s.min_ts);
                            if accs.last().is_none_or(|a| a.start != w) {
                                accs.push(Acc::new(w));
                            }
                            if let Some(a) = accs.last_mut() {
                                a.add_stats(t, s);
                            }
                            continue;
                        }
                        // A window cut by the range: its points in the range.
                        let (lo, hi) = (s.min_ts.max(q.from), s.max_ts.min(q.to - 1));
                        for c in chunks
                            .iter()
                            .filter(|c| c.stats.max_ts >= lo && c.stats.min_ts <= hi)
                        {
                            let col = seg.read_chunk(c)?;
                            for i in 0..col.len() {
                                if col.ts[i] < lo || col.ts[i] > hi {
                                    continue;
                                }
                                let w = window_of(col.ts[i]);
                                if accs.last().is_none_or(|a| a.start != w) {
                                    accs.push(Acc::new(w));
                                }
                                if let Some(a) = accs.last_mut() {
                                    a.add_point(t, &col, i, false);
                                }
                            }
                        }
                    }
                    continue;
                }
                // Ascending priority: original order within `srcs`.
                let mut members: Vec<usize> = cluster.to_vec();
                members.sort_unstable();
                let refs: Vec<&Source> = members.iter().map(|&i| &srcs[i]).collect();
                let Some(col) = materialize(&refs, q.from, q.to)? else {
                    continue;
                };
                // Floats (most sensor data) a window's run at a time: one tight loop per
                // window instead of the per-point dispatch below; the same arithmetic in
                // the same order, so the same results.
                if let crate::column::Values::F64(xs) = &col.values {
                    let mut i = 0;
                    while i < col.len() {
                        let w = window_of(col.ts[i]);
                        let end = w.saturating_add(q.window);
                        let n = col.ts[i..].partition_point(|&ts| ts < end);
                        if accs.last().is_none_or(|a| a.start != w) {
                            accs.push(Acc::new(w));
                        }
                        if let Some(a) = accs.last_mut() {
                            a.add_f64_run(&xs[i..i + n], keep_values);
                        }
                        i += n;
                    }
                    continue;
                }
                // Points are in time order: find the window only when leaving the current one.
                let mut end = Micros::MIN;
                for i in 0..col.len() {
                    let ts = col.ts[i];
                    if ts >= end || accs.last().is_none_or(|a| ts < a.start) {
                        let w = window_of(ts);
                        end = w.saturating_add(q.window);
                        if accs.last().is_none_or(|a| a.start != w) {
                            accs.push(Acc::new(w));
                        }
                    }
                    if let Some(a) = accs.last_mut() {
                        a.add_point(t, &col, i, keep_values);
                    }
                }
            }
            out.push(AggregateSeries {
                device: def.device,
                property: def.property.to_string(),
                windows: accs
                    .into_iter()
                    .map(|mut a| AggregateWindow {
                        ts: a.start,
                        values: q.aggregations.iter().map(|g| a.result(t, g)).collect(),
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    /// The newest point of each selected series that has one.
    pub fn latest(&self, tenant: TenantId, sel: &Selection) -> Vec<LatestValue> {
        let series = self.resolve(tenant, sel);
        let latest = rd(&self.inner.latest);
        series
            .iter()
            .filter_map(|d| {
                latest.get(&d.id).map(|l| LatestValue {
                    device: d.device,
                    property: d.property.to_string(),
                    ts: l.ts,
                    value: l.value.clone(),
                    quality: l.quality,
                })
            })
            .collect()
    }

    pub fn properties(&self, tenant: TenantId, device: DeviceId) -> Vec<(String, ValueType)> {
        let cat = rd(&self.inner.catalog);
        cat.device_series(tenant, device)
            .iter()
            .map(|d| (d.property.to_string(), d.vtype))
            .collect()
    }

    pub fn stats(&self, tenant: TenantId) -> StorageStats {
        let series = rd(&self.inner.catalog).tenant_series_count(tenant);
        let v = self.version();
        let (mut points, mut bytes) = (0u64, 0u64);
        for ((t, _), parts) in &v.families {
            if *t != tenant {
                continue;
            }
            for seg in parts.values().flatten() {
                points += seg.points();
                bytes += seg.bytes;
            }
        }
        let unflushed_points = self.unflushed_points(tenant);
        StorageStats {
            tenant,
            series,
            points,
            bytes,
            unflushed_points,
            wal_bytes: self.wal_share(unflushed_points),
        }
    }

    /// [`stats`](Self::stats) of many tenants in one pass over the catalogue, the segments
    /// and the memtables (the evaluation report reads every tenant's).
    pub fn stats_many(&self, tenants: &[TenantId]) -> Vec<StorageStats> {
        let mut by: HashMap<TenantId, StorageStats> = tenants
            .iter()
            .map(|t| {
                let stats = StorageStats {
                    tenant: *t,
                    ..Default::default()
                };
                (*t, stats)
            })
            .collect();
        {
            let cat = rd(&self.inner.catalog);
            for d in cat.all() {
                if let Some(s) = by.get_mut(&d.tenant) {
                    s.series += 1;
                }
            }
        }
        let v = self.version();
        for ((t, _), parts) in &v.families {
            if let Some(s) = by.get_mut(t) {
                for seg in parts.values().flatten() {
                    s.points += seg.points();
                    s.bytes += seg.bytes;
                }
            }
        }
        let (unflushed, wal_bytes) = self.unflushed_by_tenant();
        let all: u64 = unflushed.values().sum();
        for (t, points) in unflushed {
            if let Some(s) = by.get_mut(&t) {
                s.unflushed_points = points;
                s.wal_bytes = u64::try_from(
                    u128::from(wal_bytes) * u128::from(points) / u128::from(all.max(1)),
                )
                .unwrap_or(wal_bytes);
            }
        }
        tenants.iter().filter_map(|t| by.remove(t)).collect()
    }

    /// Every tenant that has series.
    pub fn tenants(&self) -> Vec<TenantId> {
        let cat = rd(&self.inner.catalog);
        let mut t: Vec<TenantId> = cat.all().map(|d| d.tenant).collect();
        t.sort();
        t.dedup();
        t
    }
}
