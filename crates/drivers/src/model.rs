//! What every driver produces and accepts, independent of the protocol.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use ironloom_core::telemetry::{Quality, Value};
use serde::Serialize;
use tokio::sync::oneshot;

/// One reading of one point: the sub-device and point it belongs to, the source
/// timestamp (the time the driver read it, or the server's source time when the protocol
/// carries one) in milliseconds, the value when there is one, its quality, and why the
/// quality is not good.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub device: Arc<str>,
    pub point: Arc<str>,
    pub ts_ms: i64,
    /// `None` when the read failed: then `quality` is `Bad` and `reason` says why.
    pub value: Option<Value>,
    pub quality: Quality,
    pub reason: Option<Arc<str>>,
}

impl Sample {
    pub fn good(device: &Arc<str>, point: &Arc<str>, ts_ms: i64, value: Value) -> Sample {
        Sample {
            device: device.clone(),
            point: point.clone(),
            ts_ms,
            value: Some(value),
            quality: Quality::Good,
            reason: None,
        }
    }

    pub fn bad(device: &Arc<str>, point: &Arc<str>, ts_ms: i64, reason: Arc<str>) -> Sample {
        Sample {
            device: device.clone(),
            point: point.clone(),
            ts_ms,
            value: None,
            quality: Quality::Bad,
            reason: Some(reason),
        }
    }
}

/// Why a driver operation failed. Kept apart because they mean different things to the
/// operator: the peer refused (exception, bad status), the peer did not answer in time,
/// the connection failed, or what was asked cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverError {
    /// A Modbus exception reply (code and name), or an OPC UA bad status code.
    #[error("the device refused: {0}")]
    Refused(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("connection failed: {0}")]
    Transport(String),
    /// An answer that does not fit what was asked (wrong byte count, wrong type …).
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// The point cannot be written, or the value does not fit it.
    #[error("{0}")]
    Invalid(String),
    #[error("not connected")]
    NotConnected,
}

impl DriverError {
    /// A short stable code for logs, statistics and command results.
    pub fn code(&self) -> &'static str {
        match self {
            DriverError::Refused(_) => "refused",
            DriverError::Timeout(_) => "timeout",
            DriverError::Transport(_) => "transport",
            DriverError::Malformed(_) => "malformed",
            DriverError::Invalid(_) => "invalid",
            DriverError::NotConnected => "not_connected",
        }
    }
}

/// Refuses a numeric value outside a writable point's `min`..`max` (either may be open).
pub fn check_range(v: &Value, min: Option<f64>, max: Option<f64>) -> Result<(), DriverError> {
    let x = match v {
        Value::F64(f) => *f,
        Value::I64(i) => *i as f64,
        Value::Bool(_) | Value::Str(_) => return Ok(()),
    };
    if min.is_some_and(|lo| x < lo) || max.is_some_and(|hi| x > hi) {
        return Err(DriverError::Invalid(format!(
            "{x} is outside the point's range {}..{}",
            min.map_or(String::new(), |v| v.to_string()),
            max.map_or(String::new(), |v| v.to_string())
        )));
    }
    Ok(())
}

/// A write of one point, from a platform command: answered with the value before and
/// after (read back), for the audit record.
#[derive(Debug)]
pub struct WriteRequest {
    pub device: Arc<str>,
    pub point: Arc<str>,
    pub value: Value,
    pub reply: oneshot::Sender<Result<WriteDone, DriverError>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteDone {
    /// The value read just before the write, when it could be read.
    pub old: Option<Value>,
    /// The value read back after the write (or the value written when the point cannot
    /// be read back).
    pub new: Value,
}

/// Counters of one driver connection, updated without locks.
#[derive(Debug, Default)]
pub struct DriverStats {
    pub requests: AtomicU64,
    /// Failed requests, by kind.
    pub refused: AtomicU64,
    pub timeouts: AtomicU64,
    pub transport_errors: AtomicU64,
    pub malformed: AtomicU64,
    /// Sum and maximum of request latencies in microseconds (successful requests).
    pub latency_us_sum: AtomicU64,
    pub latency_us_max: AtomicU64,
    pub connects: AtomicU64,
    pub points_read: AtomicU64,
    pub writes: AtomicU64,
}

/// A copy of the counters, for reporting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub errors: u64,
    pub refused: u64,
    pub timeouts: u64,
    pub transport_errors: u64,
    pub malformed: u64,
    pub latency_avg_us: u64,
    pub latency_max_us: u64,
    pub connects: u64,
    pub points_read: u64,
    pub writes: u64,
}

impl DriverStats {
    pub fn ok(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.latency_us_sum.fetch_add(us, Ordering::Relaxed);
        self.latency_us_max.fetch_max(us, Ordering::Relaxed);
    }

    pub fn failed(&self, e: &DriverError) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let c = match e {
            DriverError::Refused(_) => &self.refused,
            DriverError::Timeout(_) => &self.timeouts,
            DriverError::Transport(_) | DriverError::NotConnected => &self.transport_errors,
            DriverError::Malformed(_) | DriverError::Invalid(_) => &self.malformed,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let requests = get(&self.requests);
        let refused = get(&self.refused);
        let timeouts = get(&self.timeouts);
        let transport_errors = get(&self.transport_errors);
        let malformed = get(&self.malformed);
        let errors = refused + timeouts + transport_errors + malformed;
        let ok = requests.saturating_sub(errors);
        StatsSnapshot {
            requests,
            errors,
            refused,
            timeouts,
            transport_errors,
            malformed,
            latency_avg_us: get(&self.latency_us_sum).checked_div(ok).unwrap_or(0),
            latency_max_us: get(&self.latency_us_max),
            connects: get(&self.connects),
            points_read: get(&self.points_read),
            writes: get(&self.writes),
        }
    }
}

/// What a running driver connection is given: where its samples go (one `Vec` per read
/// cycle or notification), the writes it must carry out, its counters, and when to stop.
/// A driver runs until `cancel` fires, reconnecting on its own with back-off; while it is
/// disconnected it reports its points once as bad samples (reason "not connected …") and
/// answers writes with `DriverError::NotConnected`.
#[derive(Debug)]
pub struct DriverIo {
    pub samples: tokio::sync::mpsc::Sender<Vec<Sample>>,
    pub writes: tokio::sync::mpsc::Receiver<WriteRequest>,
    pub stats: Arc<DriverStats>,
    pub cancel: tokio_util::sync::CancellationToken,
}
