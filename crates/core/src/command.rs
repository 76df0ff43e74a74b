//! Commands to devices and device attributes: the downlink half of the device API.
//!
//! A command is a service call (`call`: a thing-model service, or a ThingsBoard RPC method)
//! or a parameter write (`set_properties`). It is checked against the product's thing model
//! before it is recorded, recorded before it is sent, and its result is recorded when the
//! device answers, times out or the queue entry expires: the command table is the audit
//! trail, and the audit log gets an entry when a command is created and when it ends.
//!
//! Attributes follow ThingsBoard's scopes: `server` (on the device record, set by people and
//! rules), `shared` (set by people, pushed to the device) and `client` (reported by the
//! device).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;

use crate::device::ValueRejection;
use crate::entity::{Actor, JsonMap, Timestamp};
use crate::i18n::Locale;
use crate::ids::{CommandId, DeviceId, TenantId};
use crate::thing_model::ThingModel;

/// What a command asks of the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Invoke a service (Alink `thing.service.{id}`, ThingsBoard RPC `{method, params}`).
    Call,
    /// Write properties (Alink `thing.service.property.set`, ThingsBoard RPC
    /// `setProperties`).
    SetProperties,
}

impl CommandKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Call => "call",
            CommandKind::SetProperties => "set_properties",
        }
    }

    pub fn parse(s: &str) -> Option<CommandKind> {
        match s {
            "call" => Some(CommandKind::Call),
            "set_properties" => Some(CommandKind::SetProperties),
            _ => None,
        }
    }
}

/// The ThingsBoard RPC method a property write is sent as.
pub const SET_PROPERTIES_METHOD: &str = "setProperties";

/// Where a command is in its life. `queued` and `sent` are open; the others are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Waiting for the device to come online (until `expires_at`).
    Queued,
    /// Handed to the device's connection; a two-way command waits for the answer.
    Sent,
    /// One-way: delivered. Two-way: the device answered with success.
    Succeeded,
    /// The device answered with an error, or the command could not be delivered.
    Failed,
    /// Sent, but no answer within the timeout.
    TimedOut,
    /// Still queued when its expiry came.
    Expired,
}

impl CommandStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Queued => "queued",
            CommandStatus::Sent => "sent",
            CommandStatus::Succeeded => "succeeded",
            CommandStatus::Failed => "failed",
            CommandStatus::TimedOut => "timed_out",
            CommandStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<CommandStatus> {
        [
            CommandStatus::Queued,
            CommandStatus::Sent,
            CommandStatus::Succeeded,
            CommandStatus::Failed,
            CommandStatus::TimedOut,
            CommandStatus::Expired,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        !matches!(self, CommandStatus::Queued | CommandStatus::Sent)
    }
}

/// A command and, once it ended, its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Command {
    pub id: CommandId,
    pub tenant_id: TenantId,
    pub device_id: DeviceId,
    pub kind: CommandKind,
    /// Service identifier or RPC method; `setProperties` for property writes.
    pub method: String,
    #[schema(value_type = Object)]
    pub params: Json,
    /// One-way commands end when delivered; two-way ones when the device answers.
    pub one_way: bool,
    pub status: CommandStatus,
    /// How long a sent two-way command waits for the answer.
    pub timeout_ms: u64,
    pub created_at: DateTime<Utc>,
    /// When a queued command is given up (absent: the caller asked for an error instead
    /// of a queue).
    pub expires_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The device's answer.
    #[schema(value_type = Option<Object>)]
    pub response: Option<Json>,
    /// Why it failed, timed out or expired.
    pub error: Option<String>,
    pub created_by: Actor,
}

/// A command to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCommand {
    pub device_id: DeviceId,
    pub kind: CommandKind,
    pub method: String,
    pub params: Json,
    pub one_way: bool,
    pub timeout_ms: u64,
    /// `Some`: queue until then if the device is offline.
    pub expires_at: Option<Timestamp>,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandResult {
    pub status: CommandStatus,
    pub response: Option<Json>,
    pub error: Option<String>,
}

impl CommandResult {
    pub fn succeeded(response: Option<Json>) -> CommandResult {
        CommandResult {
            status: CommandStatus::Succeeded,
            response,
            error: None,
        }
    }

    pub fn failed(status: CommandStatus, error: impl Into<String>) -> CommandResult {
        CommandResult {
            status,
            response: None,
            error: Some(error.into()),
        }
    }
}

/// What a caller asks for when sending a command.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRequest {
    pub kind: CommandKind,
    pub method: String,
    pub params: Json,
    pub one_way: bool,
    /// How long a two-way command waits for the answer once sent.
    pub timeout: std::time::Duration,
    /// `Some`: keep the command this long if the device is not listening; `None`: fail at
    /// once with `DeviceOffline`.
    pub queue_for: Option<std::time::Duration>,
    /// Wait for the outcome (two-way: the answer) before returning.
    pub wait: bool,
}

/// The live side of devices, as the API reaches it: sending commands, pushing shared
/// attributes, connection state held in memory.
#[async_trait::async_trait]
pub trait DeviceLink: Send + Sync {
    /// Checks the command against the thing model, records it, sends or queues it, and
    /// (if asked) waits for the answer.
    async fn send_command(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        req: CommandRequest,
    ) -> crate::error::Result<Command>;
    /// Stores shared attributes and pushes them to the device if it listens.
    async fn set_shared_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        values: JsonMap,
    ) -> crate::error::Result<Vec<Attribute>>;
    async fn delete_shared_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        keys: Vec<String>,
    ) -> crate::error::Result<Vec<String>>;
    /// Connection state as this node knows it now (newer than the stored one).
    fn live_status(&self, device: DeviceId) -> Option<crate::entity::DeviceStatus>;
    /// Whether the device can be sent a command right now.
    fn reachable(&self, device: DeviceId) -> bool;
    /// Device traffic since this node started: of one tenant, or of all (`None`).
    fn traffic(&self, tenant: Option<TenantId>) -> Traffic {
        let _ = tenant;
        Traffic::default()
    }
    /// Metadata changed through the API: forget cached copies (on every node of a
    /// cluster) and, for a deleted device or changed credentials, end its connections.
    fn changed(&self, change: crate::peers::Change) {
        let _ = change;
    }
}

/// What devices did on this node since it started (for the system health view).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Traffic {
    /// Devices with at least one open connection now.
    pub connected_devices: u64,
    /// Messages with at least one stored value.
    pub messages: u64,
    /// Values stored.
    pub values: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommandFilter {
    pub device_id: Option<DeviceId>,
    pub status: Option<CommandStatus>,
}

/// Why a command does not fit the product's thing model.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandRejection {
    /// The thing model declares services, and this is not one of them.
    UnknownService,
    /// A property write names something the model does not have.
    UnknownProperty(String),
    /// A property the platform may not write (`access: "r"`).
    NotWritable(String),
    /// A property write to a product whose thing model declares no writable property
    /// (none at all, or only read-only ones): no write is allowed.
    NoWritableProperty,
    /// A value or argument that does not fit its type.
    BadValue(String, ValueRejection),
    /// A service argument the service does not declare.
    UnknownArgument(String),
    /// `set_properties` needs an object with at least one property.
    NothingToSet,
    /// A service's parameters must be an object.
    ParamsNotObject,
}

impl CommandRejection {
    pub fn code(&self) -> &'static str {
        match self {
            CommandRejection::UnknownService => "unknown_service",
            CommandRejection::UnknownProperty(_) => "unknown_property",
            CommandRejection::NotWritable(_) => "not_writable",
            CommandRejection::NoWritableProperty => "no_writable_property",
            CommandRejection::BadValue(_, r) => r.code(),
            CommandRejection::UnknownArgument(_) => "unknown_argument",
            CommandRejection::NothingToSet | CommandRejection::ParamsNotObject => "invalid_params",
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        let zh = locale == Locale::ZhCn;
        match self {
            CommandRejection::UnknownService => locale
                .pick(
                    "the product's thing model has no such service",
                    "产品物模型中没有该服务",
                )
                .into(),
            CommandRejection::UnknownProperty(k) if zh => format!("{k}：产品物模型中没有该属性"),
            CommandRejection::UnknownProperty(k) => {
                format!("{k}: the product's thing model has no such property")
            }
            CommandRejection::NotWritable(k) if zh => format!("{k}：该属性只读，不能写入"),
            CommandRejection::NotWritable(k) => format!("{k}: the property is read-only"),
            CommandRejection::NoWritableProperty => locale
                .pick(
                    "the product's thing model declares no writable property; declare the property with access \"rw\" or \"w\" to write it",
                    "产品物模型中没有可写属性；如需写入，请将该属性的读写类型声明为 \"rw\"（读写）或 \"w\"（只写）",
                )
                .into(),
            CommandRejection::BadValue(k, r) if zh => format!("{k}：{}", r.message(locale)),
            CommandRejection::BadValue(k, r) => format!("{k}: {}", r.message(locale)),
            CommandRejection::UnknownArgument(k) if zh => format!("{k}：服务没有该输入参数"),
            CommandRejection::UnknownArgument(k) => {
                format!("{k}: the service has no such input")
            }
            CommandRejection::NothingToSet => locale
                .pick(
                    "params must be an object with at least one property",
                    "params 必须是至少包含一个属性的对象",
                )
                .into(),
            CommandRejection::ParamsNotObject => locale
                .pick(
                    "a service's params must be an object",
                    "服务的 params 必须是对象",
                )
                .into(),
        }
    }
}

/// Checks a command against the thing model. A model without services accepts any method
/// (devices that speak plain RPC); a property write needs the property declared writable,
/// so a model without writable properties (or without properties) refuses every write.
pub fn check_command(
    model: &ThingModel,
    kind: CommandKind,
    method: &str,
    params: &Json,
) -> Result<(), CommandRejection> {
    match kind {
        CommandKind::SetProperties => {
            let Json::Object(values) = params else {
                return Err(CommandRejection::NothingToSet);
            };
            if values.is_empty() {
                return Err(CommandRejection::NothingToSet);
            }
            if !model.properties.iter().any(|p| p.access.is_writable()) {
                return Err(CommandRejection::NoWritableProperty);
            }
            for (k, v) in values {
                let def = model
                    .properties
                    .iter()
                    .find(|p| &p.identifier == k)
                    .ok_or_else(|| CommandRejection::UnknownProperty(k.clone()))?;
                if !def.access.is_writable() {
                    return Err(CommandRejection::NotWritable(k.clone()));
                }
                check_value(k, &def.data_type, v)?;
            }
            Ok(())
        }
        CommandKind::Call => {
            if model.services.is_empty() {
                return Ok(());
            }
            let def = model
                .services
                .iter()
                .find(|s| s.identifier == method)
                .ok_or(CommandRejection::UnknownService)?;
            let args = match params {
                Json::Null => return Ok(()),
                Json::Object(o) => o,
                _ => return Err(CommandRejection::ParamsNotObject),
            };
            for (k, v) in args {
                let f = def
                    .input
                    .iter()
                    .find(|f| &f.identifier == k)
                    .ok_or_else(|| CommandRejection::UnknownArgument(k.clone()))?;
                check_value(k, &f.data_type, v)?;
            }
            Ok(())
        }
    }
}

fn check_value(
    key: &str,
    ty: &crate::thing_model::DataType,
    v: &Json,
) -> Result<(), CommandRejection> {
    if v.is_null() {
        return Err(CommandRejection::BadValue(key.into(), ValueRejection::Null));
    }
    ty.check_value(v)
        .map_err(|e| CommandRejection::BadValue(key.into(), ValueRejection::Invalid(e)))
}

/// ThingsBoard's attribute scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttributeScope {
    /// Reported by the device.
    Client,
    /// Set by people or rules and pushed to the device.
    Shared,
}

impl AttributeScope {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeScope::Client => "client",
            AttributeScope::Shared => "shared",
        }
    }

    pub fn parse(s: &str) -> Option<AttributeScope> {
        match s {
            "client" => Some(AttributeScope::Client),
            "shared" => Some(AttributeScope::Shared),
            _ => None,
        }
    }
}

/// One attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attribute {
    pub key: String,
    /// Any JSON value.
    #[schema(value_type = serde_json::Value)]
    pub value: Json,
    pub updated_at: DateTime<Utc>,
}

/// Most attributes of one scope a device may have.
pub const MAX_ATTRIBUTES: usize = 1000;
/// Longest attribute key.
pub const MAX_ATTRIBUTE_KEY: usize = 128;
/// Largest attribute value, as JSON text.
pub const MAX_ATTRIBUTE_VALUE: usize = 16 * 1024;

/// Checks attribute keys and values before they are stored.
pub fn check_attributes(values: &JsonMap) -> Result<(), String> {
    for (k, v) in values {
        if k.is_empty() || k.len() > MAX_ATTRIBUTE_KEY || k.chars().any(char::is_control) {
            return Err(format!(
                "attribute key {k:?} must be 1 to {MAX_ATTRIBUTE_KEY} bytes without control characters"
            ));
        }
        if v.is_null() {
            return Err(format!(
                "attribute {k}: null is not a value (delete the key instead)"
            ));
        }
        let len = serde_json::to_string(v)
            .map(|s| s.len())
            .unwrap_or(usize::MAX);
        if len > MAX_ATTRIBUTE_VALUE {
            return Err(format!(
                "attribute {k}: value is {len} bytes, more than {MAX_ATTRIBUTE_VALUE}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ThingModel {
        serde_json::from_value(json!({
            "properties": [
                {"identifier": "speed", "name": "Speed", "access": "rw",
                 "data_type": {"type": "int", "min": 0, "max": 3000}},
                {"identifier": "temp", "name": "Temp", "access": "r",
                 "data_type": {"type": "float"}}
            ],
            "services": [
                {"identifier": "reboot", "name": "Reboot",
                 "input": [{"identifier": "delay", "name": "Delay", "data_type": {"type": "int", "min": 0}}]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn property_writes_are_checked() {
        let m = model();
        let set = CommandKind::SetProperties;
        assert!(check_command(&m, set, SET_PROPERTIES_METHOD, &json!({"speed": 100})).is_ok());
        assert_eq!(
            check_command(&m, set, "", &json!({"temp": 1.0})),
            Err(CommandRejection::NotWritable("temp".into()))
        );
        assert_eq!(
            check_command(&m, set, "", &json!({"nope": 1})),
            Err(CommandRejection::UnknownProperty("nope".into()))
        );
        let e = check_command(&m, set, "", &json!({"speed": 5000})).unwrap_err();
        assert_eq!(e.code(), "out_of_range");
        assert_eq!(
            check_command(&m, set, "", &json!({})),
            Err(CommandRejection::NothingToSet)
        );
        assert_eq!(
            check_command(&m, set, "", &json!({"speed": null}))
                .unwrap_err()
                .code(),
            "null_value"
        );
    }

    #[test]
    fn writes_need_a_writable_property_in_the_model() {
        let set = CommandKind::SetProperties;
        let read_only: ThingModel = serde_json::from_value(json!({"properties": [
            {"identifier": "temp", "name": "Temp", "data_type": {"type": "float"}}
        ]}))
        .unwrap();
        for m in [ThingModel::default(), read_only] {
            for params in [json!({"speed": 1}), json!({"temp": 1.0})] {
                let e = check_command(&m, set, SET_PROPERTIES_METHOD, &params).unwrap_err();
                assert_eq!(e.code(), "no_writable_property", "{params}");
                assert!(
                    e.message(Locale::En).contains("no writable property"),
                    "{e:?}"
                );
                assert!(e.message(Locale::ZhCn).contains("可写属性"), "{e:?}");
            }
        }
        // Service calls on a model without services stay free (plain RPC devices).
        let call = CommandKind::Call;
        assert!(check_command(&ThingModel::default(), call, "reboot", &json!({})).is_ok());
    }

    #[test]
    fn service_calls_are_checked() {
        let m = model();
        let call = CommandKind::Call;
        assert!(check_command(&m, call, "reboot", &json!({"delay": 5})).is_ok());
        assert!(check_command(&m, call, "reboot", &Json::Null).is_ok());
        assert_eq!(
            check_command(&m, call, "selfDestruct", &json!({})),
            Err(CommandRejection::UnknownService)
        );
        assert_eq!(
            check_command(&m, call, "reboot", &json!({"x": 1})),
            Err(CommandRejection::UnknownArgument("x".into()))
        );
        assert_eq!(
            check_command(&m, call, "reboot", &json!({"delay": -1}))
                .unwrap_err()
                .code(),
            "out_of_range"
        );
        assert_eq!(
            check_command(&m, call, "reboot", &json!([1])),
            Err(CommandRejection::ParamsNotObject)
        );
        // Without declared services, any RPC method goes.
        assert!(check_command(&ThingModel::default(), call, "anything", &json!(1)).is_ok());
        let zh = CommandRejection::NotWritable("temp".into()).message(Locale::ZhCn);
        assert!(zh.contains("只读"));
    }

    #[test]
    fn attribute_limits() {
        let ok: JsonMap = serde_json::from_value(json!({"fw": "1.2", "n": 3})).unwrap();
        assert!(check_attributes(&ok).is_ok());
        let null: JsonMap = serde_json::from_value(json!({"fw": null})).unwrap();
        assert!(check_attributes(&null).is_err());
        let mut big = JsonMap::new();
        big.insert("b".into(), Json::String("x".repeat(MAX_ATTRIBUTE_VALUE)));
        assert!(check_attributes(&big).is_err());
        let mut bad = JsonMap::new();
        bad.insert("a\u{0}".into(), json!(1));
        assert!(check_attributes(&bad).is_err());
    }
}
