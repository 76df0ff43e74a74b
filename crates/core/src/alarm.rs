//! Alarms: raised by rules (or the API) on a device, at most one active alarm per type
//! and device (repeats update it and count), acknowledged and cleared by users with a
//! comment, kept as history.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value as Json;

use crate::device::LogPos;
use crate::ids::{AlarmId, DeviceId, RuleId, TenantId};
use crate::rule::Severity;

/// An alarm and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Alarm {
    pub id: AlarmId,
    pub tenant_id: TenantId,
    /// The device the alarm is about.
    pub device_id: DeviceId,
    pub alarm_type: String,
    pub severity: Severity,
    /// Active until cleared (by its rule or by a user).
    pub active: bool,
    pub acknowledged: bool,
    /// When it was first raised, and when it was last raised again (repeats).
    pub start_ts: DateTime<Utc>,
    pub last_ts: DateTime<Utc>,
    /// How many times it was raised while active.
    pub count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_ts: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_ts: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_comment: Option<String>,
    /// Who cleared it: a user's name, or `rule` when its rule did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clear_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clear_comment: Option<String>,
    #[schema(value_type = Object)]
    pub details: Json,
    /// The rule that raised it, if a rule did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<RuleId>,
}

/// What raising an alarm needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlarm {
    pub device_id: DeviceId,
    pub alarm_type: String,
    pub severity: Severity,
    pub details: Json,
    pub rule_id: Option<RuleId>,
    pub at: DateTime<Utc>,
    /// The log position of the event that raised it (cluster mode): a raise or clear
    /// from an event at or before the last one recorded for the device and type is a
    /// repeat (a new partition owner re-running events) and changes nothing.
    pub source: Option<LogPos>,
}

/// Which alarms to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmFilter {
    pub active: Option<bool>,
    pub acknowledged: Option<bool>,
    pub severity: Option<Severity>,
    pub device_id: Option<DeviceId>,
    pub alarm_type: Option<String>,
}

/// Active alarms by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlarmCounts {
    pub critical: u64,
    pub major: u64,
    pub minor: u64,
    pub warning: u64,
    pub indeterminate: u64,
    /// Active and not acknowledged yet.
    pub unacknowledged: u64,
}

/// Longest comment on acknowledging or clearing.
pub const MAX_COMMENT: usize = 1024;

/// What happened to an alarm, as pushed live to subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlarmChange {
    Raised,
    /// Raised again while active (severity, details or count changed).
    Updated,
    Acknowledged,
    Cleared,
}

/// One live alarm event.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlarmEvent {
    pub change: AlarmChange,
    pub alarm: Alarm,
}
