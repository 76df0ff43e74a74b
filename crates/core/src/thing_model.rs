//! Product thing models (物模型): the properties, events and services a product's devices have.
//!
//! A [`ThingModel`] is the typed form the rest of Ironloom works with; its serde shape is the
//! API's JSON. It is stored natively as a W3C WoT Thing Model (TD 1.1 `tm:ThingModel`) document
//! and converted to and from Alibaba IoT TSL, the format most Chinese device makers ship.
//!
//! Layout: this file holds the types and the limits; `validate` checks a model against them,
//! `value` checks device values against a [`DataType`], `wot` and `tsl` convert documents, and
//! `error` holds the bilingual errors. `json` has the path-aware readers both importers share.
//!
//! Invariants: every model that leaves an importer has passed [`ThingModel::validate`], and
//! import errors carry a path in the terms of the document the user gave us (`properties.flow
//! .minimum` for WoT, `properties[0].dataType.specs.min` for TSL), not in model terms, so they
//! can be shown next to the offending line. Exporters never fail: anything they cannot express
//! was already rejected by validation. Importing what an exporter wrote gives back the same
//! model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod error;
mod json;
mod tsl;
mod validate;
/// Whether a text is a valid property, event or service identifier.
pub use validate::is_identifier;
mod value;
mod wot;

pub use error::{JsonType, ThingModelError, ThingModelErrorKind};
pub use tsl::TSL_SCHEMA;
pub use value::{ExpectedValue, ValueError, ValueErrorKind};
pub use wot::{AFFORDANCE_EXTRAS, IRONLOOM_NAMESPACE, TD_CONTEXT, TmMeta};

/// Longest identifier, in ASCII characters.
pub const MAX_IDENTIFIER_LEN: usize = 64;
/// Longest display name (and enum label), in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
pub const MAX_PROPERTIES: usize = 1000;
pub const MAX_EVENTS: usize = 200;
pub const MAX_SERVICES: usize = 200;
/// Most fields in one list: a struct, an event's output, a service's input or output.
pub const MAX_FIELDS: usize = 100;
pub const MAX_ENUM_VALUES: usize = 256;
/// Largest `max_length` a text may declare (TSL's own limit).
pub const MAX_TEXT_LENGTH: u32 = 10240;
pub const MAX_ARRAY_SIZE: u32 = 512;
/// How many structs may enclose one another.
pub const MAX_STRUCT_DEPTH: usize = 4;

/// The typed thing model of one product.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThingModel {
    #[serde(default)]
    pub properties: Vec<PropertyDef>,
    #[serde(default)]
    pub events: Vec<EventDef>,
    #[serde(default)]
    pub services: Vec<ServiceDef>,
}

/// A value the device keeps and reports (and maybe accepts writes to).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyDef {
    pub identifier: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub access: AccessMode,
    #[serde(default)]
    pub required: bool,
    pub data_type: DataType,
}

/// Something the device tells the platform happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventDef {
    pub identifier: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub level: EventLevel,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub output: Vec<FieldDef>,
}

/// Something the platform can ask the device to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    pub identifier: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub call_type: CallType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub input: Vec<FieldDef>,
    #[serde(default)]
    pub output: Vec<FieldDef>,
}

/// A named, typed member of a struct, an event's output or a service's input or output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub identifier: String,
    pub name: String,
    pub data_type: DataType,
}

/// Who may read and write a property. JSON: `"r"`, `"rw"`, `"w"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
pub enum AccessMode {
    #[default]
    #[serde(rename = "r")]
    ReadOnly,
    #[serde(rename = "rw")]
    ReadWrite,
    #[serde(rename = "w")]
    WriteOnly,
}

impl AccessMode {
    /// The TSL/JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadOnly => "r",
            AccessMode::ReadWrite => "rw",
            AccessMode::WriteOnly => "w",
        }
    }

    pub fn parse(s: &str) -> Option<AccessMode> {
        match s {
            "r" => Some(AccessMode::ReadOnly),
            "rw" => Some(AccessMode::ReadWrite),
            "w" => Some(AccessMode::WriteOnly),
            _ => None,
        }
    }

    /// Whether the device reports it (TSL's `thing.event.property.post`).
    pub fn is_readable(self) -> bool {
        matches!(self, AccessMode::ReadOnly | AccessMode::ReadWrite)
    }

    /// Whether the platform may set it (TSL's `thing.service.property.set`).
    pub fn is_writable(self) -> bool {
        matches!(self, AccessMode::ReadWrite | AccessMode::WriteOnly)
    }
}

/// How serious an event is. JSON: `"info"`, `"alert"`, `"error"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventLevel {
    #[default]
    Info,
    Alert,
    Error,
}

impl EventLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            EventLevel::Info => "info",
            EventLevel::Alert => "alert",
            EventLevel::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<EventLevel> {
        match s {
            "info" => Some(EventLevel::Info),
            "alert" => Some(EventLevel::Alert),
            "error" => Some(EventLevel::Error),
            _ => None,
        }
    }
}

/// Whether a service call waits for the device's answer. JSON: `"sync"`, `"async"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallType {
    Sync,
    #[default]
    Async,
}

impl CallType {
    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Sync => "sync",
            CallType::Async => "async",
        }
    }

    pub fn parse(s: &str) -> Option<CallType> {
        match s {
            "sync" => Some(CallType::Sync),
            "async" => Some(CallType::Async),
            _ => None,
        }
    }
}

/// The type of a property or field, with its constraints.
///
/// JSON is internally tagged: `{"type":"int","min":0,"max":100,"step":1,"unit":"r/min"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum DataType {
    /// A 64-bit integer (TSL `int`, which devices may narrow to 32 bits).
    Int {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        /// The unit's display name, e.g. `转每分钟` for `r/min`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_name: Option<String>,
    },
    /// TSL `float`: single precision on the device.
    Float {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_name: Option<String>,
    },
    /// TSL `double`; also what a WoT `number` without Ironloom terms becomes.
    Double {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_name: Option<String>,
    },
    Bool {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        true_label: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        false_label: Option<String>,
    },
    /// Integer codes with labels; keys are the codes in decimal, e.g. `"0" -> "停机"`.
    Enum { values: BTreeMap<String, String> },
    Text {
        /// Maximum length in characters (Unicode scalar values).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    /// A UTC timestamp in milliseconds since the Unix epoch.
    Date,
    Struct {
        #[schema(no_recursion)]
        fields: Vec<FieldDef>,
    },
    /// Up to `size` items of one non-array type.
    Array {
        size: u32,
        #[schema(no_recursion)]
        item: Box<DataType>,
    },
}

impl DataType {
    /// The TSL name of the type: `int`, `float`, `double`, `bool`, `enum`, `text`, `date`,
    /// `struct` or `array` (the same as the JSON tag).
    pub fn type_name(&self) -> &'static str {
        match self {
            DataType::Int { .. } => "int",
            DataType::Float { .. } => "float",
            DataType::Double { .. } => "double",
            DataType::Bool { .. } => "bool",
            DataType::Enum { .. } => "enum",
            DataType::Text { .. } => "text",
            DataType::Date => "date",
            DataType::Struct { .. } => "struct",
            DataType::Array { .. } => "array",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_type_json_shape_is_internally_tagged_snake_case() {
        let dt = DataType::Int {
            min: Some(0),
            max: Some(100),
            step: Some(1),
            unit: Some("r/min".into()),
            unit_name: Some("转每分钟".into()),
        };
        let v = serde_json::to_value(&dt).unwrap();
        assert_eq!(
            v,
            json!({"type":"int","min":0,"max":100,"step":1,"unit":"r/min","unit_name":"转每分钟"})
        );
        assert_eq!(serde_json::from_value::<DataType>(v).unwrap(), dt);
        assert_eq!(
            serde_json::to_value(DataType::Date).unwrap(),
            json!({"type":"date"})
        );
        let arr: DataType = serde_json::from_value(json!({
            "type": "array", "size": 3, "item": {"type": "struct", "fields": [
                {"identifier": "x", "name": "X", "data_type": {"type": "double"}}
            ]}
        }))
        .unwrap();
        assert_eq!(arr.type_name(), "array");
    }

    #[test]
    fn unknown_fields_are_rejected_everywhere() {
        assert!(
            serde_json::from_value::<DataType>(json!({"type":"int","minimum":0})).is_err(),
            "struct variants deny unknown fields"
        );
        assert!(serde_json::from_value::<DataType>(json!({"type":"decimal"})).is_err());
        assert!(serde_json::from_value::<ThingModel>(json!({"props": []})).is_err());
        assert!(
            serde_json::from_value::<PropertyDef>(json!({
                "identifier": "a", "name": "A", "data_type": {"type": "date"}, "extra": 1
            }))
            .is_err()
        );
    }

    #[test]
    fn defaults_and_enum_spellings() {
        let p: PropertyDef = serde_json::from_value(json!({
            "identifier": "a", "name": "A", "data_type": {"type": "bool"}
        }))
        .unwrap();
        assert_eq!(p.access, AccessMode::ReadOnly);
        assert!(!p.required);
        assert_eq!(p.description, None);
        let s: ServiceDef =
            serde_json::from_value(json!({"identifier": "s", "name": "S"})).unwrap();
        assert_eq!(s.call_type, CallType::Async);
        let e: EventDef = serde_json::from_value(json!({"identifier": "e", "name": "E"})).unwrap();
        assert_eq!(e.level, EventLevel::Info);
        assert_eq!(
            serde_json::to_value(AccessMode::ReadWrite).unwrap(),
            json!("rw")
        );
        assert_eq!(
            serde_json::to_value(EventLevel::Alert).unwrap(),
            json!("alert")
        );
        assert_eq!(serde_json::to_value(CallType::Sync).unwrap(), json!("sync"));
        for m in [
            AccessMode::ReadOnly,
            AccessMode::ReadWrite,
            AccessMode::WriteOnly,
        ] {
            assert_eq!(AccessMode::parse(m.as_str()), Some(m));
        }
        assert!(AccessMode::ReadWrite.is_readable() && AccessMode::ReadWrite.is_writable());
        assert!(!AccessMode::WriteOnly.is_readable() && !AccessMode::ReadOnly.is_writable());
    }

    #[test]
    fn openapi_schema_builds_despite_recursion() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(ThingModel::schema()).unwrap();
        assert!(schema.to_string().contains("properties"));
        let dt = serde_json::to_value(DataType::schema())
            .unwrap()
            .to_string();
        assert!(dt.contains("\"array\"") && dt.contains("unit_name"), "{dt}");
        let mut schemas = Vec::new();
        <ThingModel as utoipa::ToSchema>::schemas(&mut schemas);
        let names: Vec<_> = schemas.iter().map(|(n, _)| n.clone()).collect();
        for n in [
            "PropertyDef",
            "EventDef",
            "ServiceDef",
            "FieldDef",
            "DataType",
        ] {
            assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
        }
    }
}
