//! What devices say, in one model under every device API (ThingsBoard-style, Alibaba Alink,
//! HTTP, CoAP): reported values, events, attribute requests, replies; and how reported
//! values become stored points under the product's thing model.
//!
//! The rule for a message with some invalid values (documented in `docs/device-api.md`):
//! valid values are stored, invalid ones are rejected one by one with a reason; the message
//! counts as accepted when at least one value was stored, and as refused when none was.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use crate::i18n::Locale;
use crate::ids::{DeviceId, TenantId};
use crate::telemetry::{Micros, PointIn, Quality, Value};

/// Series holding a device's error log (refused values and messages, JSON text per entry).
pub const ERRORS_SERIES: &str = "$errors";
/// Series holding a device's event log (thing-model events, connects and disconnects).
pub const EVENTS_SERIES: &str = "$events";
/// Client attribute with which Ironloom's own edge gateway (`ironloom gateway`) announces
/// itself on connecting (its value names the version): the platform then sends it
/// parameter writes for its sub-devices as `setProperties` RPCs, which it answers with
/// per-property results, instead of ThingsBoard's shared-attribute updates.
pub const GATEWAY_AGENT_ATTRIBUTE: &str = "gateway_agent";
use crate::thing_model::{DataType, ThingModel, ValueError, ValueErrorKind};

/// One value a device reported: a property (or, for schemaless products, any key), an
/// optional device timestamp in milliseconds, and the JSON value as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub key: String,
    pub ts_ms: Option<i64>,
    pub value: Json,
    /// The quality the source gave (gateways forward their drivers' quality).
    pub quality: Quality,
    /// Why the source has no value (a failed read at a gateway): then `value` is null
    /// and the entry goes to the error log instead of the store.
    /// (Boxed: a value is 96 bytes with it, ten values stay under 1 KiB.)
    pub source_error: Option<Box<str>>,
}

impl Reported {
    /// A value as devices report it: good quality, no source error.
    pub fn new(key: String, ts_ms: Option<i64>, value: Json) -> Reported {
        Reported {
            key,
            ts_ms,
            value,
            quality: Quality::Good,
            source_error: None,
        }
    }
}

/// Why one reported value was not stored.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueRejection {
    /// The product's thing model has no such property.
    UnknownProperty,
    /// The value does not fit the property's data type (wrong type, out of range …).
    Invalid(ValueError),
    /// A timestamp that is not a valid millisecond time.
    BadTimestamp,
    /// `null`, which carries no value.
    Null,
    /// The source (a gateway's driver) could not read the value, for this reason.
    Source(String),
}

impl ValueRejection {
    /// Stable code, shared with the API and the error log.
    pub fn code(&self) -> &'static str {
        match self {
            ValueRejection::UnknownProperty => "unknown_property",
            ValueRejection::Invalid(e) => match e.kind {
                ValueErrorKind::WrongType(_) | ValueErrorKind::UnknownField(_) => "wrong_type",
                ValueErrorKind::TooSmall(_)
                | ValueErrorKind::TooLarge(_)
                | ValueErrorKind::NotInEnum(_)
                | ValueErrorKind::TextTooLong { .. }
                | ValueErrorKind::TooManyItems { .. } => "out_of_range",
            },
            ValueRejection::BadTimestamp => "bad_timestamp",
            ValueRejection::Null => "null_value",
            ValueRejection::Source(_) => "source_error",
        }
    }

    /// The Alibaba Alink code devices of that dialect expect.
    pub fn alink_code(&self) -> u32 {
        match self {
            ValueRejection::UnknownProperty => 6304,
            ValueRejection::Invalid(e) => match e.kind {
                ValueErrorKind::WrongType(_) | ValueErrorKind::UnknownField(_) => 6305,
                _ => 6315,
            },
            ValueRejection::BadTimestamp | ValueRejection::Null | ValueRejection::Source(_) => 460,
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        match self {
            ValueRejection::UnknownProperty => locale
                .pick(
                    "the product's thing model has no such property",
                    "产品物模型中没有该属性",
                )
                .into(),
            ValueRejection::Invalid(e) if e.path.is_empty() => e.message(locale),
            ValueRejection::Invalid(e) => format!("{}: {}", e.path, e.message(locale)),
            ValueRejection::BadTimestamp => locale
                .pick(
                    "the timestamp is not a valid time in milliseconds",
                    "时间戳不是有效的毫秒时间",
                )
                .into(),
            ValueRejection::Null => locale.pick("the value is null", "值为 null").into(),
            ValueRejection::Source(reason) => format!(
                "{}: {reason}",
                locale.pick("the source could not read the value", "数据源未能读取该值")
            ),
        }
    }
}

/// A reported value that was not stored, with its key.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedValue {
    pub key: String,
    pub reason: ValueRejection,
}

/// Milliseconds a device may claim, as microseconds; `None` outside year 1970–9999.
fn ms_to_micros(ms: i64) -> Option<Micros> {
    (0..=253_402_300_799_999)
        .contains(&ms)
        .then(|| ms.saturating_mul(1000))
}

/// A JSON number or numeric string as a number (devices, notably Alink ones, send `"30.5"`).
fn numeric(v: &Json) -> Option<Json> {
    match v {
        Json::Number(_) => Some(v.clone()),
        Json::String(s) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                Some(Json::from(i))
            } else {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .and_then(serde_json::Number::from_f64)
                    .map(Json::Number)
            }
        }
        _ => None,
    }
}

/// Converts a value of a declared property to what is stored.
fn typed(dt: &DataType, v: &Json) -> Result<Value, ValueError> {
    let coerced;
    let v = match dt {
        DataType::Int { .. }
        | DataType::Float { .. }
        | DataType::Double { .. }
        | DataType::Enum { .. }
        | DataType::Date => {
            coerced = numeric(v).unwrap_or_else(|| v.clone());
            &coerced
        }
        DataType::Bool { .. } => {
            coerced = match v {
                Json::String(s) if s == "true" || s == "1" => Json::Bool(true),
                Json::String(s) if s == "false" || s == "0" => Json::Bool(false),
                _ => v.clone(),
            };
            &coerced
        }
        _ => v,
    };
    dt.check_value(v)?;
    Ok(match dt {
        DataType::Int { .. } | DataType::Enum { .. } | DataType::Date => match v.as_i64() {
            Some(i) => Value::I64(i),
            // A date beyond i64 passed the check; keep it as a number.
            None => Value::F64(v.as_f64().unwrap_or(f64::NAN)),
        },
        DataType::Float { .. } | DataType::Double { .. } => {
            Value::F64(v.as_f64().unwrap_or(f64::NAN))
        }
        DataType::Bool { .. } => Value::Bool(match v {
            Json::Bool(b) => *b,
            other => other.as_u64() == Some(1),
        }),
        DataType::Text { .. } => Value::Str(v.as_str().unwrap_or_default().to_owned()),
        DataType::Struct { .. } | DataType::Array { .. } => Value::Str(v.to_string()),
    })
}

/// A value of a schemaless product: JSON scalars keep their kind, objects and arrays are
/// stored as JSON text.
fn untyped(v: &Json) -> Value {
    match v {
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::I64(i),
            None => Value::F64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Str(s.clone()),
        other => Value::Str(other.to_string()),
    }
}

/// Checks reported values against a thing model and turns the valid ones into points.
/// A model without properties accepts every key (schemaless products). Values without a
/// timestamp get `now`.
pub fn points_from_reported(
    model: &ThingModel,
    reported: Vec<Reported>,
    now: Micros,
) -> (Vec<PointIn>, Vec<RejectedValue>) {
    let schemaless = model.properties.is_empty();
    let mut points = Vec::with_capacity(reported.len());
    let mut rejected = Vec::new();
    let props = &model.properties;
    // Where the next value's property is looked for first: after the previous one's.
    // Devices tend to send properties in one order (and payloads read by key come sorted),
    // so this usually finds it at once instead of comparing names along the list.
    let mut next = 0usize;
    for r in reported {
        let ts = match r.ts_ms {
            None => now,
            Some(ms) => match ms_to_micros(ms) {
                Some(t) => t,
                None => {
                    rejected.push(RejectedValue {
                        key: r.key,
                        reason: ValueRejection::BadTimestamp,
                    });
                    continue;
                }
            },
        };
        if r.value.is_null() {
            let reason = match r.source_error {
                Some(e) => ValueRejection::Source(e.into()),
                None => ValueRejection::Null,
            };
            rejected.push(RejectedValue { key: r.key, reason });
            continue;
        }
        let value = if schemaless {
            untyped(&r.value)
        } else {
            // After the model's last property, the next message's first is likeliest.
            if next == props.len() {
                next = 0;
            }
            let found = match props.get(next) {
                Some(p) if p.identifier == r.key => Some(next),
                _ => props.iter().position(|p| p.identifier == r.key),
            };
            match found.map(|i| {
                next = i + 1;
                &props[i]
            }) {
                None => {
                    rejected.push(RejectedValue {
                        key: r.key,
                        reason: ValueRejection::UnknownProperty,
                    });
                    continue;
                }
                Some(p) => match typed(&p.data_type, &r.value) {
                    Ok(v) => v,
                    Err(e) => {
                        rejected.push(RejectedValue {
                            key: r.key,
                            reason: ValueRejection::Invalid(e),
                        });
                        continue;
                    }
                },
            }
        };
        points.push(PointIn {
            property: r.key,
            ts,
            value,
            quality: r.quality,
        });
    }
    (points, rejected)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::thing_model::{AccessMode, PropertyDef};
    use serde_json::json;

    fn model() -> ThingModel {
        let prop = |id: &str, dt: DataType| PropertyDef {
            identifier: id.into(),
            name: id.into(),
            description: None,
            access: AccessMode::ReadOnly,
            required: false,
            data_type: dt,
        };
        ThingModel {
            properties: vec![
                prop(
                    "temp",
                    DataType::Double {
                        min: Some(-40.0),
                        max: Some(125.0),
                        step: None,
                        unit: None,
                        unit_name: None,
                    },
                ),
                prop(
                    "rpm",
                    DataType::Int {
                        min: Some(0),
                        max: Some(3000),
                        step: None,
                        unit: None,
                        unit_name: None,
                    },
                ),
                prop(
                    "on",
                    DataType::Bool {
                        true_label: None,
                        false_label: None,
                    },
                ),
                prop(
                    "note",
                    DataType::Text {
                        max_length: Some(4),
                    },
                ),
            ],
            ..ThingModel::default()
        }
    }

    fn rep(key: &str, value: Json) -> Reported {
        Reported::new(key.into(), None, value)
    }

    #[test]
    fn a_message_of_ten_values_stays_under_one_kib() {
        // A device's usual message (up to ten values) is read into one list of ten
        // (`payload::flat` in the device crate), which stays under 1 KiB, the allocators'
        // small-object limit (glibc consolidates its free lists above it; mimalloc leaves
        // its fast path).
        assert!(10 * std::mem::size_of::<Reported>() < 1000);
    }

    #[test]
    fn valid_values_are_stored_and_invalid_ones_rejected_each_with_a_reason() {
        let (points, rejected) = points_from_reported(
            &model(),
            vec![
                rep("temp", json!(21.5)),
                rep("rpm", json!("1500")),
                rep("on", json!(1)),
                rep("note", json!("ok")),
                rep("humidity", json!(40)),
                rep("temp", json!(200)),
                rep("rpm", json!("fast")),
                rep("note", json!("too long")),
                rep("on", Json::Null),
            ],
            1_000,
        );
        let stored: Vec<_> = points
            .iter()
            .map(|p| (p.property.as_str(), &p.value))
            .collect();
        assert_eq!(
            stored,
            vec![
                ("temp", &Value::F64(21.5)),
                ("rpm", &Value::I64(1500)),
                ("on", &Value::Bool(true)),
                ("note", &Value::Str("ok".into())),
            ]
        );
        let codes: Vec<_> = rejected
            .iter()
            .map(|r| (r.key.as_str(), r.reason.code()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("humidity", "unknown_property"),
                ("temp", "out_of_range"),
                ("rpm", "wrong_type"),
                ("note", "out_of_range"),
                ("on", "null_value"),
            ]
        );
        assert_eq!(rejected[0].reason.alink_code(), 6304);
        assert!(
            rejected[1]
                .reason
                .message(Locale::ZhCn)
                .contains("不能大于")
        );
    }

    #[test]
    fn schemaless_products_keep_json_kinds_and_timestamps_are_checked() {
        let (points, rejected) = points_from_reported(
            &ThingModel::default(),
            vec![
                Reported::new("a".into(), Some(1_700_000_000_000), json!(1)),
                rep("b", json!(1.5)),
                rep("c", json!({"x": 1})),
                Reported::new("d".into(), Some(-5), json!(1)),
            ],
            7,
        );
        assert_eq!(points[0].ts, 1_700_000_000_000_000);
        assert_eq!(points[1].ts, 7);
        assert_eq!(points[2].value, Value::Str("{\"x\":1}".into()));
        assert_eq!(rejected[0].reason, ValueRejection::BadTimestamp);
    }
}

/// Something that happened to a device, for rules and live views.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEvent {
    pub tenant: TenantId,
    pub device: DeviceId,
    pub device_name: Arc<str>,
    pub product_key: Arc<str>,
    pub at: DateTime<Utc>,
    pub kind: DeviceEventKind,
    /// Where the event stands in the cluster's durable log (its partition and sequence),
    /// so a consumer that resumes after a fail-over skips what it already applied. `None`
    /// on a single node, whose events are announced once, in process.
    pub pos: Option<LogPos>,
}

/// A position in the cluster's durable ingest log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogPos {
    /// Which log the sequence counts in: the same for every position of the cluster's
    /// streams for the cluster's life (a hash of when it was created); a cluster created
    /// anew starts counting again under another.
    pub log: u64,
    pub partition: u32,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeviceEventKind {
    Connected {
        transport: String,
    },
    Disconnected {
        reason: String,
    },
    Telemetry {
        stored: u64,
        /// The stored values, filled only when somebody watches (the rule engine for the
        /// tenant, or a live view).
        points: Vec<PointIn>,
        /// Who produced them: the device, or a rule on its behalf.
        origin: crate::ingest::Origin,
    },
    Event {
        identifier: String,
        params: Json,
    },
    /// A client-side RPC (device to platform), for rules to act on.
    ClientRpc {
        method: String,
        params: Json,
    },
}
