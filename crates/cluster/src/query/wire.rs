//! The query protocol's messages, and how replies are kept under the size limit.

use ironloom_core::error::{Error, FieldErrorKind};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::telemetry::*;
use serde::{Deserialize, Serialize};

/// The subject of partition `p`'s queries.
pub fn query_subject(p: u32) -> String {
    format!("il.q.{p}")
}

/// A query for one partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub tenant: TenantId,
    pub partition: u32,
    pub op: Op,
}

/// What is asked. A selection's device list holds devices of the partition; empty, it
/// means every device of the partition. `after` continues a shortened answer: the
/// devices after it (in the order given, or by id for every device).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Latest {
        selection: Selection,
        after: Option<DeviceId>,
    },
    Series {
        selection: Selection,
        after: Option<DeviceId>,
    },
    Aggregate {
        query: AggregateQuery,
        after: Option<DeviceId>,
    },
    History {
        query: HistoryQuery,
    },
    Scan {
        query: ScanQuery,
    },
    Properties {
        device: DeviceId,
    },
    Stats,
    /// The stream sequence the owner has applied of the partition.
    Applied,
}

/// A value, bit-exact in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WireValue {
    B(bool),
    I(i64),
    /// The f64's bits.
    F(u64),
    S(String),
}

impl From<Value> for WireValue {
    fn from(v: Value) -> Self {
        match v {
            Value::Bool(b) => WireValue::B(b),
            Value::I64(i) => WireValue::I(i),
            Value::F64(f) => WireValue::F(f.to_bits()),
            Value::Str(s) => WireValue::S(s),
        }
    }
}

impl From<WireValue> for Value {
    fn from(v: WireValue) -> Self {
        match v {
            WireValue::B(b) => Value::Bool(b),
            WireValue::I(i) => Value::I64(i),
            WireValue::F(f) => Value::F64(f64::from_bits(f)),
            WireValue::S(s) => Value::Str(s),
        }
    }
}

/// A latest value or a history point.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WirePoint {
    pub device: DeviceId,
    pub property: String,
    pub ts: Micros,
    pub value: WireValue,
    pub quality: Quality,
}

impl WirePoint {
    pub(crate) fn key(&self) -> (Micros, DeviceId, &str) {
        (self.ts, self.device, &self.property)
    }
}

impl From<LatestValue> for WirePoint {
    fn from(l: LatestValue) -> Self {
        WirePoint {
            device: l.device,
            property: l.property,
            ts: l.ts,
            value: l.value.into(),
            quality: l.quality,
        }
    }
}

impl From<WirePoint> for LatestValue {
    fn from(p: WirePoint) -> Self {
        LatestValue {
            device: p.device,
            property: p.property,
            ts: p.ts,
            value: p.value.into(),
            quality: p.quality,
        }
    }
}

impl From<HistoryPoint> for WirePoint {
    fn from(h: HistoryPoint) -> Self {
        WirePoint {
            device: h.device,
            property: h.property,
            ts: h.ts,
            value: h.value.into(),
            quality: h.quality,
        }
    }
}

impl From<WirePoint> for HistoryPoint {
    fn from(p: WirePoint) -> Self {
        HistoryPoint {
            device: p.device,
            property: p.property,
            ts: p.ts,
            value: p.value.into(),
            quality: p.quality,
        }
    }
}

/// An aggregated series: windows as (start, values).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireAggregate {
    pub device: DeviceId,
    pub property: String,
    pub windows: Vec<(Micros, Vec<Option<WireValue>>)>,
}

impl From<AggregateSeries> for WireAggregate {
    fn from(a: AggregateSeries) -> Self {
        WireAggregate {
            device: a.device,
            property: a.property,
            windows: a
                .windows
                .into_iter()
                .map(|w| {
                    (
                        w.ts,
                        w.values.into_iter().map(|v| v.map(Into::into)).collect(),
                    )
                })
                .collect(),
        }
    }
}

impl From<WireAggregate> for AggregateSeries {
    fn from(a: WireAggregate) -> Self {
        AggregateSeries {
            device: a.device,
            property: a.property,
            windows: a
                .windows
                .into_iter()
                .map(|(ts, values)| AggregateWindow {
                    ts,
                    values: values.into_iter().map(|v| v.map(Into::into)).collect(),
                })
                .collect(),
        }
    }
}

/// The answer to an [`Op`] of the same name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Latest {
        items: Vec<WirePoint>,
        more_after: Option<DeviceId>,
    },
    Series {
        items: Vec<SeriesInfo>,
        more_after: Option<DeviceId>,
    },
    Aggregate {
        items: Vec<WireAggregate>,
        more_after: Option<DeviceId>,
    },
    /// At most the query's limit of points after the cursor, in the query's order; `more`
    /// when the partition has further points.
    History {
        points: Vec<WirePoint>,
        more: bool,
    },
    Scan {
        points: Vec<(Micros, WireValue, Quality)>,
        next_from: Option<Micros>,
    },
    Properties {
        items: Vec<(String, ValueType)>,
    },
    /// `series`: the partition's series of the tenant; `store`: the figures of the node's
    /// whole store (counted once per node by the asking side).
    Stats {
        node: String,
        series: u64,
        store: StorageStats,
    },
    Applied {
        seq: Option<u64>,
    },
}

/// An error as it travels.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum WireError {
    Invalid {
        field: String,
        en: String,
        zh: String,
    },
    Overloaded {
        message: String,
    },
    Other {
        message: String,
    },
}

impl From<&Error> for WireError {
    fn from(e: &Error) -> Self {
        match e {
            Error::Invalid(f) => match &f.kind {
                FieldErrorKind::Other { en, zh } => WireError::Invalid {
                    field: f.field.clone(),
                    en: en.clone(),
                    zh: zh.clone(),
                },
                _ => WireError::Invalid {
                    field: f.field.clone(),
                    en: f.message(Locale::En),
                    zh: f.message(Locale::ZhCn),
                },
            },
            Error::Overloaded(m) => WireError::Overloaded {
                message: (*m).to_string(),
            },
            other => WireError::Other {
                message: other.to_string(),
            },
        }
    }
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Invalid { field, en, zh } => {
                Error::invalid(field, FieldErrorKind::Other { en, zh })
            }
            WireError::Overloaded { message } => {
                tracing::debug!(message, "a partition owner is overloaded");
                Error::Overloaded("a partition owner is overloaded; retry")
            }
            WireError::Other { message } => Error::storage("a partition owner's query", message),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Ok(Answer),
    Err(WireError),
}

/// A retention policy set on `origin`, for the other nodes.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RetentionChange {
    pub(crate) origin: String,
    pub(crate) policy: RetentionPolicy,
}

/// The serialized size of each item, and their sum.
pub(crate) fn sizes<T: Serialize>(items: &[T]) -> (Vec<usize>, usize) {
    let s: Vec<usize> = items
        .iter()
        .map(|i| serde_json::to_vec(i).map_or(0, |v| v.len()) + 1)
        .collect();
    let total = s.iter().sum();
    (s, total)
}

/// Shortens per-device items (grouped by device) to whole devices that fit in `limit`
/// (at least one device); returns the last device kept when some were left out.
pub(crate) fn cut_by_device<T: Serialize>(
    mut items: Vec<T>,
    device_of: impl Fn(&T) -> DeviceId,
    limit: usize,
) -> (Vec<T>, Option<DeviceId>) {
    let (sizes, total) = sizes(&items);
    if total <= limit {
        return (items, None);
    }
    let (mut used, mut keep, mut i) = (0usize, 0usize, 0usize);
    while i < items.len() {
        let d = device_of(&items[i]);
        let (mut j, mut s) = (i, 0usize);
        while j < items.len() && device_of(&items[j]) == d {
            s += sizes[j];
            j += 1;
        }
        if keep > 0 && used + s > limit {
            break;
        }
        used += s;
        keep = j;
        i = j;
    }
    if keep >= items.len() {
        return (items, None);
    }
    let last = device_of(&items[keep - 1]);
    items.truncate(keep);
    (items, Some(last))
}

/// How many leading items fit in `limit` (at least one).
pub(crate) fn fitting<T: Serialize>(items: &[T], limit: usize) -> usize {
    let (sizes, total) = sizes(items);
    if total <= limit {
        return items.len();
    }
    let mut used = 0usize;
    let mut n = 0usize;
    for s in sizes {
        if n > 0 && used + s > limit {
            break;
        }
        used += s;
        n += 1;
    }
    n
}
