//! A handle value in the JSON of the Handle.Net REST API (CNRI `REST-API.txt`):
//! `{"index","type","data":{"format","value"},"permissions"?,"ttl","timestamp","references"?}`.
//!
//! Written as CNRI's server writes it: keys in that order; `HS_ADMIN` data as
//! `{"format":"admin","value":{"handle","index","permissions"}}`, `HS_VLIST` as `vlist`,
//! text as `string` and anything else as `base64`; `permissions` only when not the
//! default; `ttl` a number, or an ISO 8601 string for an absolute TTL; `timestamp` only
//! when set.
//!
//! Read as CNRI's server reads it, and as clients send it: `data` may be a bare string
//! (pyhandle), `format` is case-insensitive (`string`, `base64`, `hex`, `admin`, `vlist`),
//! the admin `index` may be a number or a string (`"200"`), `permissions` may be `*`.
//! `site` and `key` data are refused: they need the `HS_SITE` and public-key layouts,
//! which this crate does not model.

use super::{
    AdminPermissions, AdminRecord, HandleValue, Permissions, ReservedType, TtlType, ValueReference,
    check_index, decode_vlist, encode_vlist, format_iso8601, parse_iso8601,
};
use crate::error::HandleError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A resolution answer of the REST API: `{"responseCode":1,"handle":…,"values":[…]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct HandleRecordJson {
    pub response_code: u32,
    pub handle: String,
    pub values: Vec<HandleValue>,
}

impl Serialize for HandleRecordJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("HandleRecordJson", 3)?;
        st.serialize_field("responseCode", &self.response_code)?;
        st.serialize_field("handle", &self.handle)?;
        st.serialize_field("values", &self.values)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for HandleRecordJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let obj = v
            .as_object()
            .ok_or_else(|| serde::de::Error::custom("a handle record must be an object"))?;
        let response_code = obj
            .get("responseCode")
            .and_then(Value::as_u64)
            .and_then(|c| u32::try_from(c).ok())
            .ok_or_else(|| serde::de::Error::custom("responseCode must be a number"))?;
        let handle = obj
            .get("handle")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let values = match obj.get("values") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(vs)) => vs
                .iter()
                .map(HandleValue::from_rest_json)
                .collect::<Result<_, _>>()
                .map_err(serde::de::Error::custom)?,
            Some(_) => return Err(serde::de::Error::custom("values must be an array")),
        };
        Ok(HandleRecordJson {
            response_code,
            handle,
            values,
        })
    }
}

/// `data` as the server writes it.
struct DataJson<'a>(&'a HandleValue);

impl Serialize for DataJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let mut m = s.serialize_map(Some(2))?;
        let kind = v.reserved_type();
        let admin = (kind == Some(ReservedType::Admin))
            .then(|| AdminRecord::decode(&v.data).ok())
            .flatten();
        let vlist = (kind == Some(ReservedType::Vlist))
            .then(|| decode_vlist(&v.data).ok())
            .flatten();
        if let Some(admin) = admin {
            m.serialize_entry("format", "admin")?;
            m.serialize_entry("value", &AdminJson(&admin))?;
        } else if let Some(refs) = vlist {
            m.serialize_entry("format", "vlist")?;
            m.serialize_entry("value", &RefsJson(&refs))?;
        } else {
            match std::str::from_utf8(&v.data) {
                Ok(text) if !looks_binary(text) => {
                    m.serialize_entry("format", "string")?;
                    m.serialize_entry("value", text)?;
                }
                _ => {
                    m.serialize_entry("format", "base64")?;
                    m.serialize_entry("value", &B64.encode(&v.data))?;
                }
            }
        }
        m.end()
    }
}

/// Text with control characters other than tab and line breaks is shown as base64.
fn looks_binary(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

struct AdminJson<'a>(&'a AdminRecord);

impl Serialize for AdminJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AdminRecord", 3)?;
        st.serialize_field("handle", &self.0.handle)?;
        st.serialize_field("index", &self.0.index)?;
        st.serialize_field("permissions", &self.0.permissions.to_string())?;
        st.end()
    }
}

struct RefsJson<'a>(&'a [ValueReference]);

impl Serialize for RefsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|r| {
            let mut m = Map::new();
            m.insert("handle".into(), Value::String(r.handle.clone()));
            m.insert("index".into(), Value::from(r.index));
            Value::Object(m)
        }))
    }
}

impl Serialize for HandleValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("index", &self.index)?;
        m.serialize_entry("type", &self.value_type)?;
        m.serialize_entry("data", &DataJson(self))?;
        if self.permissions != Permissions::default() {
            m.serialize_entry("permissions", &permissions_string(self.permissions))?;
        }
        match self.ttl_type {
            TtlType::Relative => m.serialize_entry("ttl", &self.ttl)?,
            TtlType::Absolute => m.serialize_entry("ttl", &format_iso8601(self.ttl))?,
        }
        if self.timestamp != 0 {
            m.serialize_entry("timestamp", &format_iso8601(self.timestamp))?;
        }
        if !self.references.is_empty() {
            m.serialize_entry("references", &RefsJson(&self.references))?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for HandleValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        HandleValue::from_rest_json(&v).map_err(serde::de::Error::custom)
    }
}

/// `adminRead adminWrite publicRead publicWrite` as four `0`/`1`.
fn permissions_string(p: Permissions) -> String {
    [p.admin_read, p.admin_write, p.public_read, p.public_write]
        .iter()
        .map(|&b| if b { '1' } else { '0' })
        .collect()
}

fn json_err(msg: impl Into<String>) -> HandleError {
    HandleError::Json(msg.into())
}

/// An index given as a number or a string of digits.
fn index_of(v: Option<&Value>, what: &str) -> Result<u64, HandleError> {
    match v {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| json_err(format!("{what} must be a positive integer"))),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 10 => s
            .parse::<u64>()
            .map_err(|_| json_err(format!("{what} must be a positive integer"))),
        _ => Err(json_err(format!("{what} must be a positive integer"))),
    }
}

fn references_of(v: &Value) -> Result<Vec<ValueReference>, HandleError> {
    let arr = v
        .as_array()
        .ok_or_else(|| json_err("references must be an array"))?;
    if arr.len() > super::MAX_REFERENCES {
        return Err(HandleError::TooManyReferences(arr.len()));
    }
    arr.iter()
        .map(|r| {
            let handle = r
                .get("handle")
                .and_then(Value::as_str)
                .ok_or_else(|| json_err("a reference needs a handle"))?;
            let index = index_of(r.get("index"), "reference index")?;
            Ok(ValueReference {
                handle: handle.to_owned(),
                index: u32::try_from(index).map_err(|_| HandleError::BadIndex(index))?,
            })
        })
        .collect()
}

fn data_of(v: &Value) -> Result<Vec<u8>, HandleError> {
    let obj = match v {
        Value::String(s) => return Ok(s.as_bytes().to_vec()),
        Value::Object(obj) => obj,
        _ => return Err(json_err("data must be a string or {format, value}")),
    };
    let format = obj
        .get("format")
        .and_then(Value::as_str)
        .ok_or_else(|| json_err("data needs a format"))?
        .to_ascii_lowercase();
    let value = obj
        .get("value")
        .ok_or_else(|| json_err("data needs a value"))?;
    let text = || {
        value
            .as_str()
            .ok_or_else(|| json_err(format!("{format} data must be a string")))
    };
    match format.as_str() {
        "string" => Ok(text()?.as_bytes().to_vec()),
        "base64" => B64
            .decode(text()?.trim())
            .map_err(|_| json_err("data is not valid base64")),
        "hex" => hex_decode(text()?.trim()),
        "admin" => {
            let handle = value
                .get("handle")
                .and_then(Value::as_str)
                .ok_or_else(|| json_err("admin data needs a handle"))?;
            let index = index_of(value.get("index"), "admin index")?;
            let permissions = match value.get("permissions") {
                Some(Value::String(p)) => AdminPermissions::parse(p)?,
                None => AdminPermissions(AdminPermissions::ALL),
                Some(_) => return Err(json_err("admin permissions must be a string")),
            };
            Ok(AdminRecord {
                handle: handle.to_owned(),
                index: u32::try_from(index).map_err(|_| HandleError::BadIndex(index))?,
                permissions,
            }
            .encode())
        }
        "vlist" => Ok(encode_vlist(&references_of(value)?)),
        other => Err(json_err(format!(
            "data format {:?} is not supported",
            other.chars().take(32).collect::<String>()
        ))),
    }
}

fn hex_decode(s: &str) -> Result<Vec<u8>, HandleError> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err(json_err("hex data has an odd length"));
    }
    let nib = |c: u8| -> Result<u8, HandleError> {
        (c as char)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or_else(|| json_err("hex data holds a non-hex character"))
    };
    b.chunks_exact(2)
        .map(|p| Ok(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

impl HandleValue {
    /// Reads a value from its REST JSON form, checked as [`HandleValue::validate`] does.
    pub fn from_rest_json(v: &Value) -> Result<Self, HandleError> {
        let obj = v
            .as_object()
            .ok_or_else(|| json_err("a handle value must be an object"))?;
        let index = check_index(index_of(obj.get("index"), "index")?)?;
        let value_type = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| json_err("type must be a string"))?
            .to_owned();
        let data = data_of(obj.get("data").unwrap_or(&Value::Null))?;
        let (ttl_type, ttl) = match obj.get("ttl") {
            None | Some(Value::Null) => (TtlType::Relative, HandleValue::DEFAULT_TTL),
            Some(Value::Number(n)) => (
                TtlType::Relative,
                n.as_u64()
                    .and_then(|t| u32::try_from(t).ok())
                    .ok_or_else(|| json_err("ttl must be 0..=4294967295 seconds"))?,
            ),
            Some(Value::String(s)) => (TtlType::Absolute, parse_iso8601(s)?),
            Some(_) => return Err(json_err("ttl must be a number or an ISO 8601 string")),
        };
        let timestamp = match obj.get("timestamp") {
            None | Some(Value::Null) => 0,
            Some(Value::String(s)) => parse_iso8601(s)?,
            Some(_) => return Err(json_err("timestamp must be an ISO 8601 string")),
        };
        let mut permissions = Permissions::default();
        match obj.get("permissions") {
            None | Some(Value::Null) => {}
            Some(Value::String(p)) if p == "*" => {
                permissions = Permissions::from_octet(0x0f);
            }
            Some(Value::String(p))
                if (1..=4).contains(&p.len()) && p.bytes().all(|b| b == b'0' || b == b'1') =>
            {
                // Read from the right, as CNRI does: the last character is public write.
                let bits: Vec<bool> = p.bytes().rev().map(|b| b == b'1').collect();
                let get = |i: usize, d: bool| bits.get(i).copied().unwrap_or(d);
                permissions = Permissions {
                    public_write: get(0, permissions.public_write),
                    public_read: get(1, permissions.public_read),
                    admin_write: get(2, permissions.admin_write),
                    admin_read: get(3, permissions.admin_read),
                };
            }
            Some(_) => return Err(json_err("permissions must be up to four 0/1 characters")),
        }
        let references = match obj.get("references").or_else(|| obj.get("refs")) {
            None | Some(Value::Null) => Vec::new(),
            Some(r) => references_of(r)?,
        };
        let value = HandleValue {
            index,
            value_type,
            data,
            ttl_type,
            ttl,
            timestamp,
            permissions,
            references,
        };
        value.validate()?;
        Ok(value)
    }

    /// The value's REST JSON form.
    pub fn to_rest_json(&self) -> Value {
        // A value serialises to a JSON map whatever it holds.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}
