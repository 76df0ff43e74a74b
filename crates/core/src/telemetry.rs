//! Telemetry: the values devices report over time, and the trait the time-series engine
//! implements (`ironloom-tsdb`).
//!
//! A series is keyed by (tenant, device, property) and holds one [`ValueType`] for life.
//! Timestamps are microseconds since the Unix epoch (UTC). Writing a point at a timestamp
//! the series already has replaces it: **last write wins**, where "last" is the order in
//! which the engine accepted the writes. An integer written to a float series is stored
//! as a float; every other type change is refused.

use crate::error::Error;
use crate::ids::{DeviceId, ProductId, TenantId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

/// The data type of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    F64,
    I64,
    Bool,
    Str,
}

impl ValueType {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::F64 => "f64",
            ValueType::I64 => "i64",
            ValueType::Bool => "bool",
            ValueType::Str => "str",
        }
    }

    pub fn code(self) -> u8 {
        match self {
            ValueType::F64 => 0,
            ValueType::I64 => 1,
            ValueType::Bool => 2,
            ValueType::Str => 3,
        }
    }

    pub fn from_code(c: u8) -> Option<ValueType> {
        Some(match c {
            0 => ValueType::F64,
            1 => ValueType::I64,
            2 => ValueType::Bool,
            3 => ValueType::Str,
            _ => return None,
        })
    }

    pub fn parse(s: &str) -> Option<ValueType> {
        Some(match s {
            "f64" | "float" | "double" => ValueType::F64,
            "i64" | "int" | "integer" => ValueType::I64,
            "bool" | "boolean" => ValueType::Bool,
            "str" | "string" | "text" => ValueType::Str,
            _ => return None,
        })
    }
}

/// One value. In JSON: a number, `true`/`false` or a string. An integer that fits i64 is an
/// `I64`, any other number an `F64`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    I64(i64),
    F64(f64),
    Str(String),
}

// Written out rather than derived: serde's untagged derive buffers every value and tries
// each variant in turn, which made JSON ingest several times slower.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, true/false or a string")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::I64(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(i64::try_from(v).map_or(Value::F64(v as f64), Value::I64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::F64(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::Str(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Value {
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::F64(_) => ValueType::F64,
            Value::I64(_) => ValueType::I64,
            Value::Bool(_) => ValueType::Bool,
            Value::Str(_) => ValueType::Str,
        }
    }

    /// The value as a number (booleans as 0/1), if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::F64(v) => Some(*v),
            Value::I64(v) => Some(*v as f64),
            Value::Bool(b) => Some(*b as u8 as f64),
            Value::Str(_) => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::F64(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Str(v) => f.write_str(v),
        }
    }
}

/// How much a value can be trusted, as in OPC UA's status code classes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    #[default]
    Good,
    Uncertain,
    Bad,
}

impl Quality {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(c: u8) -> Option<Quality> {
        Some(match c {
            0 => Quality::Good,
            1 => Quality::Uncertain,
            2 => Quality::Bad,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Uncertain => "uncertain",
            Quality::Bad => "bad",
        }
    }

    pub fn parse(s: &str) -> Option<Quality> {
        Some(match s {
            "good" | "0" | "" => Quality::Good,
            "uncertain" | "1" => Quality::Uncertain,
            "bad" | "2" => Quality::Bad,
            _ => return None,
        })
    }

    pub fn is_good(&self) -> bool {
        *self == Quality::Good
    }
}

/// Points of one device to write.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceBatch {
    pub device: DeviceId,
    /// The device's product; retention policies per product apply to its series.
    pub product: Option<ProductId>,
    pub points: Vec<PointIn>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PointIn {
    pub property: String,
    pub ts: Micros,
    pub value: Value,
    pub quality: Quality,
}

/// Why one point was refused.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PointRejection {
    /// NaN or ±infinity.
    NotFinite,
    /// Outside the accepted window around the server's clock.
    TimestampOutOfWindow {
        min: Micros,
        max: Micros,
    },
    /// The series already holds another type.
    TypeMismatch {
        expected: ValueType,
        got: ValueType,
    },
    StringTooLong {
        max: usize,
    },
    /// Property names: 1–128 characters, no control characters.
    InvalidProperty,
}

impl PointRejection {
    pub fn code(&self) -> &'static str {
        match self {
            PointRejection::NotFinite => "not_finite",
            PointRejection::TimestampOutOfWindow { .. } => "timestamp_out_of_window",
            PointRejection::TypeMismatch { .. } => "type_mismatch",
            PointRejection::StringTooLong { .. } => "string_too_long",
            PointRejection::InvalidProperty => "invalid_property",
        }
    }

    pub fn message(&self, locale: crate::i18n::Locale) -> String {
        let zh = locale == crate::i18n::Locale::ZhCn;
        match self {
            PointRejection::NotFinite => locale
                .pick("the value is NaN or infinite", "数值为 NaN 或无穷大")
                .into(),
            PointRejection::TimestampOutOfWindow { min, max } => {
                let f = |t: &Micros| {
                    chrono::DateTime::from_timestamp_micros(*t)
                        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_else(|| t.to_string())
                };
                if zh {
                    format!("时间戳超出可接受范围（{} 至 {}）", f(min), f(max))
                } else {
                    format!(
                        "the timestamp is outside the accepted window ({} to {})",
                        f(min),
                        f(max)
                    )
                }
            }
            PointRejection::TypeMismatch { expected, got } => {
                if zh {
                    format!(
                        "类型不符：该序列为 {}，收到 {}",
                        expected.as_str(),
                        got.as_str()
                    )
                } else {
                    format!(
                        "wrong type: the series holds {}, got {}",
                        expected.as_str(),
                        got.as_str()
                    )
                }
            }
            PointRejection::StringTooLong { max } => {
                if zh {
                    format!("字符串过长（最多 {max} 字节）")
                } else {
                    format!("the string is too long (at most {max} bytes)")
                }
            }
            PointRejection::InvalidProperty => locale
                .pick(
                    "the property name must have 1 to 128 characters and no control characters",
                    "属性名须为 1 到 128 个字符，且不含控制字符",
                )
                .into(),
        }
    }
}

/// A refused point: its index in the batch's `points`, and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RejectedPoint {
    pub index: usize,
    pub property: String,
    pub reason: PointRejection,
}

/// What a write did. Accepted points are durable (in the write-ahead log) when this is
/// returned; refused points do not stop the others.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WriteOutcome {
    pub accepted: u64,
    pub rejected: Vec<RejectedPoint>,
}

/// Which series a query reads: every listed device, each with the listed properties (all
/// of the device's properties when empty).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Selection {
    pub devices: Vec<DeviceId>,
    pub properties: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

/// A raw range query over [from, to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub selection: Selection,
    pub from: Micros,
    pub to: Micros,
    pub order: Order,
    pub limit: usize,
    /// Opaque, from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HistoryPoint {
    pub device: DeviceId,
    pub property: String,
    pub ts: Micros,
    pub value: Value,
    pub quality: Quality,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HistoryPage {
    pub points: Vec<HistoryPoint>,
    /// Present when more points match; pass it back as `cursor`.
    pub next_cursor: Option<String>,
}

/// One series' points of a history page, as columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesColumns {
    pub device: DeviceId,
    pub property: String,
    pub ts: Vec<Micros>,
    pub values: Vec<Value>,
    /// Present when some point is not `good`.
    pub quality: Option<Vec<Quality>>,
}

/// A history page by series: the same points as [`HistoryPage`], each series' in page
/// order, series in the order of their first point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryColumns {
    pub series: Vec<SeriesColumns>,
    pub next_cursor: Option<String>,
}

impl HistoryColumns {
    /// A page's points grouped by series.
    pub fn from_page(page: HistoryPage) -> HistoryColumns {
        let mut series: Vec<SeriesColumns> = Vec::new();
        let mut at: std::collections::HashMap<(DeviceId, String), usize> = Default::default();
        for p in page.points {
            let i = match at.get(&(p.device, p.property.clone())) {
                Some(&i) => i,
                None => {
                    at.insert((p.device, p.property.clone()), series.len());
                    series.push(SeriesColumns {
                        device: p.device,
                        property: p.property,
                        ts: Vec::new(),
                        values: Vec::new(),
                        quality: None,
                    });
                    series.len() - 1
                }
            };
            series[i].push(p.ts, p.value, p.quality);
        }
        HistoryColumns {
            series,
            next_cursor: page.next_cursor,
        }
    }
}

impl SeriesColumns {
    /// Appends a point (a quality other than good starts the quality column).
    pub fn push(&mut self, ts: Micros, value: Value, quality: Quality) {
        if quality != Quality::Good && self.quality.is_none() {
            self.quality = Some(vec![Quality::Good; self.ts.len()]);
        }
        if let Some(q) = &mut self.quality {
            q.push(quality);
        }
        self.ts.push(ts);
        self.values.push(value);
    }
}

/// A series as a selection resolves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesInfo {
    pub device: DeviceId,
    pub property: String,
    pub value_type: ValueType,
}

/// Reads one series over [from, to) a slice at a time (exports): each slice holds about
/// `max_points` points, so memory stays bounded however long the range is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanQuery {
    pub device: DeviceId,
    pub property: String,
    pub from: Micros,
    pub to: Micros,
    /// A target, not a hard limit: a slice may exceed it by a few storage chunks.
    pub max_points: usize,
}

/// One stored point of a known series.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedValue {
    pub ts: Micros,
    pub value: Value,
    pub quality: Quality,
}

/// Points of one series in ascending time order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesSlice {
    pub points: Vec<TimedValue>,
    /// Where the next slice starts (pass it as `from`); `None` when the range is done.
    pub next_from: Option<Micros>,
}

/// An aggregate function over the points of a window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Min,
    Max,
    Avg,
    Sum,
    Count,
    First,
    Last,
    /// Population standard deviation.
    Stddev,
    /// The p-th percentile (0–100), nearest-rank.
    Percentile(f64),
}

impl Aggregation {
    /// Parses `min`, `avg`, `p95`, `percentile(99.9)` …
    pub fn parse(s: &str) -> Option<Aggregation> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "min" => Aggregation::Min,
            "max" => Aggregation::Max,
            "avg" | "mean" => Aggregation::Avg,
            "sum" => Aggregation::Sum,
            "count" => Aggregation::Count,
            "first" => Aggregation::First,
            "last" => Aggregation::Last,
            "stddev" => Aggregation::Stddev,
            "median" => Aggregation::Percentile(50.0),
            _ => {
                let p = if let Some(rest) = s.strip_prefix("percentile(") {
                    rest.strip_suffix(')')?
                } else {
                    s.strip_prefix('p')?
                };
                let p: f64 = p.parse().ok()?;
                if !(0.0..=100.0).contains(&p) {
                    return None;
                }
                Aggregation::Percentile(p)
            }
        })
    }

    pub fn name(&self) -> String {
        match self {
            Aggregation::Min => "min".into(),
            Aggregation::Max => "max".into(),
            Aggregation::Avg => "avg".into(),
            Aggregation::Sum => "sum".into(),
            Aggregation::Count => "count".into(),
            Aggregation::First => "first".into(),
            Aggregation::Last => "last".into(),
            Aggregation::Stddev => "stddev".into(),
            Aggregation::Percentile(p) => format!("p{p}"),
        }
    }
}

/// Aggregates over fixed windows of `window` µs aligned to the epoch, over [from, to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateQuery {
    pub selection: Selection,
    pub from: Micros,
    pub to: Micros,
    pub window: Micros,
    pub aggregations: Vec<Aggregation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AggregateWindow {
    /// Start of the window.
    pub ts: Micros,
    /// One value per requested aggregation, in order; null when undefined (e.g. stddev of
    /// nothing).
    pub values: Vec<Option<Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AggregateSeries {
    pub device: DeviceId,
    pub property: String,
    /// Windows with at least one point, in time order.
    pub windows: Vec<AggregateWindow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LatestValue {
    pub device: DeviceId,
    pub property: String,
    pub ts: Micros,
    pub value: Value,
    pub quality: Quality,
}

/// Storage used by one tenant, for metering.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StorageStats {
    pub tenant: TenantId,
    pub series: u64,
    /// Points stored (before compaction removes overwritten duplicates, an upper bound).
    pub points: u64,
    /// Bytes of segment files on disk.
    pub bytes: u64,
    /// Points still only in memory and the write-ahead log.
    pub unflushed_points: u64,
    /// The tenant's share of the write-ahead log on disk (the log is shared by all
    /// tenants; each is counted by its part of the points not yet in segments). With
    /// `bytes`, what the tenant's data takes on disk.
    pub wal_bytes: u64,
}

/// How long data is kept: for a whole tenant, or for one of its products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RetentionPolicy {
    pub tenant: TenantId,
    /// None: the tenant's default.
    pub product: Option<ProductId>,
    /// None: keep forever.
    #[schema(value_type = Option<u64>)]
    #[serde(with = "opt_secs", default)]
    pub keep: Option<Duration>,
}

mod opt_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }
}

/// Completes when a staged write is durable (see [`TelemetryStore::write_staged`]).
pub type Durable = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>;

/// The time-series store, as the rest of the platform sees it. Every call is scoped to one
/// tenant.
#[async_trait]
pub trait TelemetryStore: Send + Sync + fmt::Debug {
    /// Writes points of one or more devices. Returns once accepted points are durable.
    async fn write(&self, tenant: TenantId, batch: Vec<DeviceBatch>)
    -> Result<WriteOutcome, Error>;
    /// [`write`](Self::write) in two steps: returns once the accepted points are in memory
    /// (readable) with a future that completes when they are durable. A caller that merges
    /// many devices' writes starts the next one while this one's log sync runs. Stores
    /// without the distinction are durable when this returns.
    async fn write_staged(
        &self,
        tenant: TenantId,
        batch: Vec<DeviceBatch>,
    ) -> Result<(WriteOutcome, Durable), Error> {
        let outcome = self.write(tenant, batch).await?;
        Ok((outcome, Box::pin(std::future::ready(Ok(())))))
    }
    async fn history(&self, tenant: TenantId, q: HistoryQuery) -> Result<HistoryPage, Error>;
    /// [`history`](Self::history) by series (charts, bulk reads): the same page, without a
    /// record per point.
    async fn history_columns(
        &self,
        tenant: TenantId,
        q: HistoryQuery,
    ) -> Result<HistoryColumns, Error> {
        Ok(HistoryColumns::from_page(self.history(tenant, q).await?))
    }
    async fn aggregate(
        &self,
        tenant: TenantId,
        q: AggregateQuery,
    ) -> Result<Vec<AggregateSeries>, Error>;
    /// The series a selection names, with their types: devices in the order given (every
    /// device with data when none is), properties by name.
    async fn series(&self, tenant: TenantId, sel: Selection) -> Result<Vec<SeriesInfo>, Error>;
    /// One slice of a series' points; call again from `next_from` until it is `None`. An
    /// unknown series is an empty, final slice.
    async fn scan(&self, tenant: TenantId, q: ScanQuery) -> Result<SeriesSlice, Error>;
    /// The newest point of each selected series (kept in a table, not searched for).
    async fn latest(&self, tenant: TenantId, sel: Selection) -> Result<Vec<LatestValue>, Error>;
    /// Properties that have data for a device, with their types.
    async fn properties(
        &self,
        tenant: TenantId,
        device: DeviceId,
    ) -> Result<Vec<(String, ValueType)>, Error>;
    async fn stats(&self, tenant: TenantId) -> Result<StorageStats, Error>;
    /// The statistics of each of `tenants`, in that order (a store that can, in one pass).
    async fn stats_many(&self, tenants: &[TenantId]) -> Result<Vec<StorageStats>, Error> {
        let mut out = Vec::with_capacity(tenants.len());
        for t in tenants {
            out.push(self.stats(*t).await?);
        }
        Ok(out)
    }
    async fn retention(&self, tenant: TenantId) -> Result<Vec<RetentionPolicy>, Error>;
    async fn set_retention(&self, policy: RetentionPolicy) -> Result<(), Error>;
    /// Returns once every write made so far is durable (a store that syncs each write
    /// has nothing to do). A cluster's partition owner, whose store does not sync each
    /// write (the replicated log is the durable copy), calls it before recording how far
    /// it has applied.
    async fn sync(&self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn values_read_from_json_by_kind() {
        let v: Vec<Value> =
            serde_json::from_str(r#"[true, 7, -7, 1.5, 1e3, 18446744073709551615, "运行", ""]"#)
                .unwrap();
        assert_eq!(
            v,
            [
                Value::Bool(true),
                Value::I64(7),
                Value::I64(-7),
                Value::F64(1.5),
                Value::F64(1000.0),
                Value::F64(18446744073709551615.0),
                Value::Str("运行".into()),
                Value::Str(String::new()),
            ]
        );
        for bad in ["null", "[1]", "{\"a\":1}"] {
            let e = serde_json::from_str::<Value>(bad).unwrap_err().to_string();
            assert!(e.contains("a number, true/false or a string"), "{bad}: {e}");
        }
        // And back: the same JSON kinds.
        assert_eq!(serde_json::to_string(&v[..4]).unwrap(), "[true,7,-7,1.5]");
    }
}
