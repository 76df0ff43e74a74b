//! What devices deliver per calendar month (UTC): the connected devices and data points
//! (采集点) the evaluation report counts. The device hub adds it up as data arrives and
//! writes it in batches.

use crate::ids::{DeviceId, TenantId};
use chrono::{DateTime, Utc};

pub use crate::developer_stats::month_of;

/// One device's live data in one month since the hub last wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityDelta {
    pub tenant_id: TenantId,
    pub device_id: DeviceId,
    pub month: String,
    /// Messages with at least one stored value.
    pub messages: u64,
    /// Values stored.
    pub points: u64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// Every property the hub saw deliver this month, when that set grew since the last
    /// write (the store merges it with what it holds); `None`: no new property.
    pub properties: Option<Vec<String>>,
}

/// A device's month as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceMonth {
    pub tenant_id: TenantId,
    pub device_id: DeviceId,
    pub month: String,
    pub messages: u64,
    pub points: u64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub properties: Vec<String>,
}
