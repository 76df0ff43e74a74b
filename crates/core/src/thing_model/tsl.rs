//! Alibaba Cloud IoT TSL (物模型 TSL JSON) export and import.
//!
//! TSL writes spec numbers as strings (`"min": "0"`); some tools write JSON numbers instead,
//! which import accepts and export normalises to strings. Export adds the standard items the
//! Alibaba console always has (event `post`, services `set` and `get`, derived from the
//! properties); import recognises them by their `method` and skips them, since they carry
//! nothing the properties don't.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::error::{JsonType, ThingModelError, ThingModelErrorKind as K, clip};
use super::json::{
    Object, Result, as_object, check_depth, index_path, key_path, missing, opt_array, opt_bool,
    opt_object, opt_str, req_str, wrong_type,
};
use super::validate::{PathStyle, validate};
use super::{
    AccessMode, CallType, DataType, EventDef, EventLevel, FieldDef, MAX_ARRAY_SIZE,
    MAX_TEXT_LENGTH, PropertyDef, ServiceDef, ThingModel,
};

pub const TSL_SCHEMA: &str = "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json";
const POST_METHOD: &str = "thing.event.property.post";
const SET_METHOD: &str = "thing.service.property.set";
const GET_METHOD: &str = "thing.service.property.get";

impl ThingModel {
    /// The model as a TSL document for `product_key`, standard items included.
    pub fn to_tsl(&self, product_key: &str) -> Value {
        export(self, product_key)
    }

    /// Reads a TSL document, returning the model and `profile.productKey` if there is one.
    /// Errors name the document key at fault, e.g. `properties[0].dataType.specs.min`.
    pub fn from_tsl(
        doc: &Value,
    ) -> std::result::Result<(ThingModel, Option<String>), ThingModelError> {
        import(doc)
    }
}

// ---------------------------------------------------------------------------------------------
// Export

fn export(m: &ThingModel, product_key: &str) -> Value {
    let brief = |p: &PropertyDef| json!({"identifier": p.identifier, "name": p.name, "dataType": data_type(&p.data_type)});
    let post = json!({
        "identifier": "post", "name": "post", "type": "info", "required": true,
        "desc": "属性上报", "method": POST_METHOD,
        "outputData": m.properties.iter().filter(|p| p.access.is_readable()).map(brief).collect::<Vec<_>>(),
    });
    let set = json!({
        "identifier": "set", "name": "set", "required": true, "callType": "async",
        "desc": "属性设置", "method": SET_METHOD,
        "inputData": m.properties.iter().filter(|p| p.access.is_writable()).map(brief).collect::<Vec<_>>(),
        "outputData": [],
    });
    let get = json!({
        "identifier": "get", "name": "get", "required": true, "callType": "async",
        "desc": "属性获取", "method": GET_METHOD,
        "inputData": m.properties.iter().map(|p| p.identifier.as_str()).collect::<Vec<_>>(),
        "outputData": [],
    });

    let properties: Vec<Value> = m
        .properties
        .iter()
        .map(|p| {
            let mut o = Object::new();
            o.insert("identifier".into(), p.identifier.as_str().into());
            o.insert("name".into(), p.name.as_str().into());
            o.insert("accessMode".into(), p.access.as_str().into());
            o.insert("required".into(), p.required.into());
            if let Some(d) = &p.description {
                o.insert("desc".into(), d.as_str().into());
            }
            o.insert("dataType".into(), data_type(&p.data_type));
            o.into()
        })
        .collect();
    let events = std::iter::once(post).chain(m.events.iter().map(|e| {
        let mut o = Object::new();
        o.insert("identifier".into(), e.identifier.as_str().into());
        o.insert("name".into(), e.name.as_str().into());
        if let Some(d) = &e.description {
            o.insert("desc".into(), d.as_str().into());
        }
        o.insert("type".into(), e.level.as_str().into());
        o.insert("required".into(), e.required.into());
        o.insert(
            "method".into(),
            format!("thing.event.{}.post", e.identifier).into(),
        );
        o.insert("outputData".into(), fields(&e.output));
        Value::from(o)
    }));
    let services = [set, get].into_iter().chain(m.services.iter().map(|s| {
        let mut o = Object::new();
        o.insert("identifier".into(), s.identifier.as_str().into());
        o.insert("name".into(), s.name.as_str().into());
        if let Some(d) = &s.description {
            o.insert("desc".into(), d.as_str().into());
        }
        o.insert("required".into(), s.required.into());
        o.insert("callType".into(), s.call_type.as_str().into());
        o.insert(
            "method".into(),
            format!("thing.service.{}", s.identifier).into(),
        );
        o.insert("inputData".into(), fields(&s.input));
        o.insert("outputData".into(), fields(&s.output));
        Value::from(o)
    }));
    json!({
        "schema": TSL_SCHEMA,
        "profile": {"productKey": product_key},
        "properties": properties,
        "events": events.collect::<Vec<_>>(),
        "services": services.collect::<Vec<_>>(),
    })
}

fn fields(fields: &[FieldDef]) -> Value {
    fields
        .iter()
        .map(|f| json!({"identifier": f.identifier, "name": f.name, "dataType": data_type(&f.data_type)}))
        .collect::<Vec<_>>()
        .into()
}

fn data_type(dt: &DataType) -> Value {
    json!({"type": dt.type_name(), "specs": specs(dt)})
}

fn put(o: &mut Object, key: &str, v: Option<String>) {
    if let Some(v) = v {
        o.insert(key.into(), v.into());
    }
}

fn specs(dt: &DataType) -> Value {
    let mut o = Object::new();
    match dt {
        DataType::Int {
            min,
            max,
            step,
            unit,
            unit_name,
        } => {
            put(&mut o, "min", min.map(|n| n.to_string()));
            put(&mut o, "max", max.map(|n| n.to_string()));
            put(&mut o, "step", step.map(|n| n.to_string()));
            put(&mut o, "unit", unit.clone());
            put(&mut o, "unitName", unit_name.clone());
        }
        DataType::Float {
            min,
            max,
            step,
            unit,
            unit_name,
        }
        | DataType::Double {
            min,
            max,
            step,
            unit,
            unit_name,
        } => {
            // `Display` for f64 is the shortest text that parses back to the same value.
            put(&mut o, "min", min.map(|n| n.to_string()));
            put(&mut o, "max", max.map(|n| n.to_string()));
            put(&mut o, "step", step.map(|n| n.to_string()));
            put(&mut o, "unit", unit.clone());
            put(&mut o, "unitName", unit_name.clone());
        }
        DataType::Bool {
            true_label,
            false_label,
        } => {
            put(&mut o, "0", false_label.clone());
            put(&mut o, "1", true_label.clone());
        }
        DataType::Enum { values } => {
            for (k, v) in values {
                o.insert(k.clone(), v.as_str().into());
            }
        }
        DataType::Text { max_length } => put(&mut o, "length", max_length.map(|n| n.to_string())),
        DataType::Date => {}
        DataType::Struct { fields: f } => return fields(f),
        DataType::Array { size, item } => {
            o.insert("size".into(), size.to_string().into());
            o.insert("item".into(), data_type(item));
        }
    }
    o.into()
}

// ---------------------------------------------------------------------------------------------
// Import

fn import(doc: &Value) -> Result<(ThingModel, Option<String>)> {
    let root = as_object(doc, "")?;
    let product_key = match opt_object(root, "profile", "")? {
        Some(profile) => opt_str(profile, "productKey", "profile")?.map(String::from),
        None => None,
    };
    let mut model = ThingModel::default();
    for (i, v) in opt_array(root, "properties", "")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        model
            .properties
            .push(property(v, &index_path("properties", i))?);
    }
    // Document positions of the kept items, for error paths after the standard ones are gone.
    let mut event_at = Vec::new();
    for (i, v) in opt_array(root, "events", "")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let path = index_path("events", i);
        let o = as_object(v, &path)?;
        if opt_str(o, "method", &path)? == Some(POST_METHOD) {
            continue;
        }
        model.events.push(event(o, &path)?);
        event_at.push(i);
    }
    let mut service_at = Vec::new();
    for (i, v) in opt_array(root, "services", "")?
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let path = index_path("services", i);
        let o = as_object(v, &path)?;
        if matches!(opt_str(o, "method", &path)?, Some(SET_METHOD | GET_METHOD)) {
            continue;
        }
        model.services.push(service(o, &path)?);
        service_at.push(i);
    }
    validate(
        &model,
        PathStyle::Tsl {
            events: &event_at,
            services: &service_at,
        },
    )?;
    Ok((model, product_key))
}

fn unknown_variant(path: String, found: &str, expected: &str) -> ThingModelError {
    ThingModelError::new(
        path,
        K::UnknownVariant {
            found: clip(found),
            expected: expected.into(),
        },
    )
}

fn property(v: &Value, path: &str) -> Result<PropertyDef> {
    let o = as_object(v, path)?;
    let access = match opt_str(o, "accessMode", path)? {
        None => AccessMode::default(),
        Some(a) => AccessMode::parse(a)
            .ok_or_else(|| unknown_variant(key_path(path, "accessMode"), a, "r, rw, w"))?,
    };
    Ok(PropertyDef {
        identifier: req_str(o, "identifier", path)?.to_string(),
        name: req_str(o, "name", path)?.to_string(),
        description: opt_str(o, "desc", path)?.map(String::from),
        access,
        required: opt_bool(o, "required", path)?.unwrap_or(false),
        data_type: data_type_of(o, path, 0)?,
    })
}

fn event(o: &Object, path: &str) -> Result<EventDef> {
    let level = match opt_str(o, "type", path)? {
        None => EventLevel::default(),
        Some(l) => EventLevel::parse(l)
            .ok_or_else(|| unknown_variant(key_path(path, "type"), l, "info, alert, error"))?,
    };
    Ok(EventDef {
        identifier: req_str(o, "identifier", path)?.to_string(),
        name: req_str(o, "name", path)?.to_string(),
        description: opt_str(o, "desc", path)?.map(String::from),
        level,
        required: opt_bool(o, "required", path)?.unwrap_or(false),
        output: field_list(o, "outputData", path)?,
    })
}

fn service(o: &Object, path: &str) -> Result<ServiceDef> {
    let call_type = match opt_str(o, "callType", path)? {
        None => CallType::default(),
        Some(c) => CallType::parse(c)
            .ok_or_else(|| unknown_variant(key_path(path, "callType"), c, "sync, async"))?,
    };
    Ok(ServiceDef {
        identifier: req_str(o, "identifier", path)?.to_string(),
        name: req_str(o, "name", path)?.to_string(),
        description: opt_str(o, "desc", path)?.map(String::from),
        call_type,
        required: opt_bool(o, "required", path)?.unwrap_or(false),
        input: field_list(o, "inputData", path)?,
        output: field_list(o, "outputData", path)?,
    })
}

fn field_list(o: &Object, key: &str, path: &str) -> Result<Vec<FieldDef>> {
    let base = key_path(path, key);
    let items = opt_array(o, key, path)?.unwrap_or_default();
    items
        .iter()
        .enumerate()
        .map(|(i, v)| field(v, &index_path(&base, i), 0))
        .collect()
}

fn field(v: &Value, path: &str, depth: usize) -> Result<FieldDef> {
    let o = as_object(v, path)?;
    Ok(FieldDef {
        identifier: req_str(o, "identifier", path)?.to_string(),
        name: req_str(o, "name", path)?.to_string(),
        data_type: data_type_of(o, path, depth)?,
    })
}

/// The `dataType` member of `o`.
fn data_type_of(o: &Object, path: &str, depth: usize) -> Result<DataType> {
    let path = key_path(path, "dataType");
    match o.get("dataType") {
        None | Some(Value::Null) => Err(missing(path)),
        Some(v) => data_type_at(as_object(v, &path)?, &path, depth),
    }
}

fn data_type_at(o: &Object, path: &str, depth: usize) -> Result<DataType> {
    check_depth(depth, path)?;
    let ty = req_str(o, "type", path)?;
    let sp = key_path(path, "specs");
    let specs = o.get("specs").filter(|v| !v.is_null());
    // Every type but struct has object specs, which may be left out when empty.
    let spec_map = || -> Result<Option<&Object>> { specs.map(|s| as_object(s, &sp)).transpose() };
    match ty {
        "int" => {
            let s = spec_map()?;
            Ok(DataType::Int {
                min: spec_int(s, "min", &sp)?,
                max: spec_int(s, "max", &sp)?,
                step: spec_int(s, "step", &sp)?,
                unit: spec_text(s, "unit", &sp)?,
                unit_name: spec_text(s, "unitName", &sp)?,
            })
        }
        "float" | "double" => {
            let s = spec_map()?;
            let (min, max, step) = (
                spec_float(s, "min", &sp)?,
                spec_float(s, "max", &sp)?,
                spec_float(s, "step", &sp)?,
            );
            let (unit, unit_name) = (spec_text(s, "unit", &sp)?, spec_text(s, "unitName", &sp)?);
            Ok(if ty == "float" {
                DataType::Float {
                    min,
                    max,
                    step,
                    unit,
                    unit_name,
                }
            } else {
                DataType::Double {
                    min,
                    max,
                    step,
                    unit,
                    unit_name,
                }
            })
        }
        "bool" => {
            let s = spec_map()?;
            Ok(DataType::Bool {
                true_label: spec_text(s, "1", &sp)?,
                false_label: spec_text(s, "0", &sp)?,
            })
        }
        "enum" => {
            let mut values = BTreeMap::new();
            for key in spec_map()?.into_iter().flat_map(|s| s.keys()) {
                if let Some(label) = spec_text(spec_map()?, key, &sp)? {
                    values.insert(key.clone(), label);
                }
            }
            Ok(DataType::Enum { values })
        }
        "text" => Ok(DataType::Text {
            max_length: spec_count(spec_map()?, "length", &sp, MAX_TEXT_LENGTH)?,
        }),
        "date" => Ok(DataType::Date),
        "struct" => {
            let members = match specs {
                None => &[][..],
                Some(Value::Array(a)) => a.as_slice(),
                Some(_) => return Err(wrong_type(sp, JsonType::Array)),
            };
            let fields = members
                .iter()
                .enumerate()
                .map(|(i, v)| field(v, &index_path(&sp, i), depth + 1))
                .collect::<Result<_>>()?;
            Ok(DataType::Struct { fields })
        }
        "array" => {
            let s = spec_map()?;
            let size = spec_count(s, "size", &sp, MAX_ARRAY_SIZE)?
                .ok_or_else(|| missing(key_path(&sp, "size")))?;
            let item_path = key_path(&sp, "item");
            let item = match s.and_then(|s| s.get("item")).filter(|v| !v.is_null()) {
                None => return Err(missing(item_path)),
                Some(v) => data_type_at(as_object(v, &item_path)?, &item_path, depth + 1)?,
            };
            Ok(DataType::Array {
                size,
                item: Box::new(item),
            })
        }
        other => Err(ThingModelError::new(
            key_path(path, "type"),
            K::UnsupportedType(clip(other)),
        )),
    }
}

/// A spec value as text; numbers and booleans are accepted as their JSON text.
fn spec_text(s: Option<&Object>, key: &str, base: &str) -> Result<Option<String>> {
    match s.and_then(|s| s.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(v)) => Ok(Some(v.clone())),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(v.to_string())),
        Some(_) => Err(wrong_type(key_path(base, key), JsonType::String)),
    }
}

/// A spec number's text, if set; empty strings count as unset, as some exports write them.
fn spec_number_text(s: Option<&Object>, key: &str, base: &str) -> Result<Option<String>> {
    match s.and_then(|s| s.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(v)) if v.trim().is_empty() => Ok(None),
        Some(Value::String(v)) => Ok(Some(v.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(wrong_type(key_path(base, key), JsonType::String)),
    }
}

fn spec_int(s: Option<&Object>, key: &str, base: &str) -> Result<Option<i64>> {
    let Some(text) = spec_number_text(s, key, base)? else {
        return Ok(None);
    };
    if let Ok(n) = text.parse::<i64>() {
        return Ok(Some(n));
    }
    let path = key_path(base, key);
    match text.parse::<f64>() {
        // `"10.0"` and `1e3` are integers too; 2^63 itself is out of range.
        Ok(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
            Ok(Some(f as i64))
        }
        Ok(f) if f.is_finite() => Err(ThingModelError::new(path, K::InvalidInteger(clip(&text)))),
        _ => Err(ThingModelError::new(path, K::InvalidNumber(clip(&text)))),
    }
}

fn spec_float(s: Option<&Object>, key: &str, base: &str) -> Result<Option<f64>> {
    let Some(text) = spec_number_text(s, key, base)? else {
        return Ok(None);
    };
    match text.parse::<f64>() {
        // Rust parses "NaN" and "inf", which are no numbers to a device.
        Ok(f) if f.is_finite() => Ok(Some(f)),
        _ => Err(ThingModelError::new(
            key_path(base, key),
            K::InvalidNumber(clip(&text)),
        )),
    }
}

/// A length or size; values beyond `limit` are left for validation to name.
fn spec_count(s: Option<&Object>, key: &str, base: &str, limit: u32) -> Result<Option<u32>> {
    let Some(n) = spec_int(s, key, base)? else {
        return Ok(None);
    };
    u32::try_from(n).map(Some).map_err(|_| {
        ThingModelError::new(
            key_path(base, key),
            K::NotInRange {
                min: 1,
                max: limit.into(),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pump() -> Value {
        json!({"schema": TSL_SCHEMA, "profile": {"productKey": "a1PumpDemo"},
         "properties": [
          {"identifier":"Flow","name":"流量","accessMode":"r","required":false,"dataType":{"type":"float","specs":{"min":"0","max":"500","unit":"m³/h","unitName":"立方米每小时","step":"0.1"}}},
          {"identifier":"SpeedSetpoint","name":"转速设定","accessMode":"rw","required":false,"dataType":{"type":"int","specs":{"min":"0","max":"2900","unit":"r/min","unitName":"转每分钟","step":"1"}}},
          {"identifier":"RunState","name":"运行状态","accessMode":"r","required":false,"dataType":{"type":"enum","specs":{"0":"停机","1":"运行","2":"故障"}}}],
         "events": [{"identifier":"Overheat","name":"过热告警","type":"alert","required":false,"method":"thing.event.Overheat.post","outputData":[{"identifier":"BearingTemp","name":"轴承温度","dataType":{"type":"float","specs":{"min":"-40","max":"200","unit":"°C","unitName":"摄氏度","step":"0.1"}}}]}],
         "services": [{"identifier":"Start","name":"启动","required":false,"callType":"sync","method":"thing.service.Start","inputData":[{"identifier":"RampSeconds","name":"爬坡时间","dataType":{"type":"int","specs":{"min":"0","max":"600","unit":"s","unitName":"秒","step":"1"}}}],"outputData":[{"identifier":"Result","name":"结果","dataType":{"type":"bool","specs":{"0":"失败","1":"成功"}}}]}]})
    }

    #[test]
    fn imports_the_alibaba_example_without_standard_items() {
        let (m, pk) = ThingModel::from_tsl(&pump()).unwrap();
        assert_eq!(pk.as_deref(), Some("a1PumpDemo"));
        assert_eq!(m.properties.len(), 3);
        assert_eq!(
            m.properties[0].data_type,
            DataType::Float {
                min: Some(0.0),
                max: Some(500.0),
                step: Some(0.1),
                unit: Some("m³/h".into()),
                unit_name: Some("立方米每小时".into())
            }
        );
        assert_eq!(m.properties[1].access, AccessMode::ReadWrite);
        assert_eq!(m.events[0].level, EventLevel::Alert);
        assert_eq!(m.services[0].call_type, CallType::Sync);
        assert_eq!(
            m.services[0].output[0].data_type,
            DataType::Bool {
                true_label: Some("成功".into()),
                false_label: Some("失败".into())
            }
        );
    }

    #[test]
    fn export_adds_standard_items_first() {
        let (m, _) = ThingModel::from_tsl(&pump()).unwrap();
        let doc = m.to_tsl("a1PumpDemo");
        assert_eq!(doc["events"][0]["method"], POST_METHOD);
        let posted: Vec<_> = doc["events"][0]["outputData"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["identifier"].clone())
            .collect();
        assert_eq!(
            posted,
            [json!("Flow"), json!("SpeedSetpoint"), json!("RunState")]
        );
        assert_eq!(doc["services"][0]["method"], SET_METHOD);
        assert_eq!(doc["services"][0]["inputData"].as_array().unwrap().len(), 1);
        assert_eq!(
            doc["services"][0]["inputData"][0]["identifier"],
            "SpeedSetpoint"
        );
        assert_eq!(
            doc["services"][1]["inputData"],
            json!(["Flow", "SpeedSetpoint", "RunState"])
        );
        assert_eq!(doc["events"][1]["method"], "thing.event.Overheat.post");
        assert_eq!(doc["services"][2]["method"], "thing.service.Start");
        // Without the standard items, the example is exactly what we write.
        let mut trimmed = doc.clone();
        trimmed["events"].as_array_mut().unwrap().remove(0);
        trimmed["services"].as_array_mut().unwrap().drain(0..2);
        assert_eq!(trimmed, pump());
        assert_eq!(ThingModel::from_tsl(&doc).unwrap().0, m);
    }

    #[test]
    fn spec_numbers_may_be_json_numbers_and_are_written_as_strings() {
        let doc = json!({"properties": [
            {"identifier": "a", "name": "A", "accessMode": "r",
             "dataType": {"type": "double", "specs": {"min": -1.5, "max": 1e3, "step": 0.25}}},
            {"identifier": "b", "name": "B", "accessMode": "r",
             "dataType": {"type": "int", "specs": {"min": "-10", "max": 10.0, "step": "1.0"}}},
            {"identifier": "c", "name": "C", "accessMode": "r",
             "dataType": {"type": "array", "specs": {"size": 4, "item": {"type": "text", "specs": {"length": 16}}}}},
            {"identifier": "d", "name": "D", "accessMode": "r",
             "dataType": {"type": "int", "specs": {"min": "", "max": null}}},
            {"identifier": "e", "name": "E", "accessMode": "r",
             "dataType": {"type": "enum", "specs": {"0": "off", "1": 1}}}
        ]});
        let (m, pk) = ThingModel::from_tsl(&doc).unwrap();
        assert_eq!(pk, None);
        let out = m.to_tsl("pk");
        assert_eq!(
            out["properties"][0]["dataType"]["specs"],
            json!({"min": "-1.5", "max": "1000", "step": "0.25"})
        );
        assert_eq!(
            out["properties"][1]["dataType"]["specs"],
            json!({"min": "-10", "max": "10", "step": "1"})
        );
        assert_eq!(
            out["properties"][2]["dataType"]["specs"],
            json!({"size": "4", "item": {"type": "text", "specs": {"length": "16"}}})
        );
        assert_eq!(out["properties"][3]["dataType"]["specs"], json!({}));
        assert_eq!(
            out["properties"][4]["dataType"]["specs"],
            json!({"0": "off", "1": "1"})
        );
    }

    #[track_caller]
    fn rejects(doc: Value, path: &str, kind: K) {
        let e = ThingModel::from_tsl(&doc).expect_err("document should be rejected");
        assert_eq!((e.path.as_str(), &e.kind), (path, &kind), "{e}");
    }

    fn with_type(dt: Value) -> Value {
        json!({"properties": [{"identifier": "p", "name": "P", "accessMode": "r", "dataType": dt}]})
    }

    #[test]
    fn import_errors_name_the_document_key() {
        rejects(json!([]), "", K::WrongJsonType(JsonType::Object));
        rejects(
            json!({"properties": {}}),
            "properties",
            K::WrongJsonType(JsonType::Array),
        );
        rejects(
            json!({"properties": [{"identifier": "p", "name": "P"}]}),
            "properties[0].dataType",
            K::MissingField,
        );
        rejects(
            json!({"properties": [{"name": "P", "dataType": {"type": "date"}}]}),
            "properties[0].identifier",
            K::MissingField,
        );
        rejects(
            with_type(json!({"type": "decimal"})),
            "properties[0].dataType.type",
            K::UnsupportedType("decimal".into()),
        );
        rejects(
            with_type(json!({"type": "float", "specs": {"min": "abc"}})),
            "properties[0].dataType.specs.min",
            K::InvalidNumber("abc".into()),
        );
        rejects(
            with_type(json!({"type": "float", "specs": {"max": "NaN"}})),
            "properties[0].dataType.specs.max",
            K::InvalidNumber("NaN".into()),
        );
        rejects(
            with_type(json!({"type": "int", "specs": {"min": "abc"}})),
            "properties[0].dataType.specs.min",
            K::InvalidNumber("abc".into()),
        );
        rejects(
            with_type(json!({"type": "int", "specs": {"step": "0.5"}})),
            "properties[0].dataType.specs.step",
            K::InvalidInteger("0.5".into()),
        );
        rejects(
            with_type(json!({"type": "int", "specs": {"min": "9", "max": "1"}})),
            "properties[0].dataType.specs.min",
            K::MinGreaterThanMax,
        );
        rejects(
            with_type(json!({"type": "int", "specs": {"min": []}})),
            "properties[0].dataType.specs.min",
            K::WrongJsonType(JsonType::String),
        );
        rejects(
            with_type(json!({"type": "int", "specs": []})),
            "properties[0].dataType.specs",
            K::WrongJsonType(JsonType::Object),
        );
        rejects(
            with_type(json!({"type": "struct", "specs": {}})),
            "properties[0].dataType.specs",
            K::WrongJsonType(JsonType::Array),
        );
        rejects(
            with_type(json!({"type": "text", "specs": {"length": "-1"}})),
            "properties[0].dataType.specs.length",
            K::NotInRange { min: 1, max: 10240 },
        );
        rejects(
            with_type(json!({"type": "array", "specs": {"item": {"type": "int"}}})),
            "properties[0].dataType.specs.size",
            K::MissingField,
        );
        rejects(
            with_type(json!({"type": "array", "specs": {"size": "2"}})),
            "properties[0].dataType.specs.item",
            K::MissingField,
        );
        rejects(
            with_type(
                json!({"type": "array", "specs": {"size": "2", "item": {"type": "array", "specs": {"size": "2", "item": {"type": "int"}}}}}),
            ),
            "properties[0].dataType.specs.item",
            K::NestedArray,
        );
        rejects(
            with_type(
                json!({"type": "struct", "specs": [{"identifier": "x", "name": "X", "dataType": {"type": "enum", "specs": {"x": "bad"}}}]}),
            ),
            "properties[0].dataType.specs[0].dataType.specs",
            K::InvalidEnumKey("x".into()),
        );
        rejects(
            json!({"properties": [{"identifier": "p", "name": "P", "accessMode": "x", "dataType": {"type": "date"}}]}),
            "properties[0].accessMode",
            K::UnknownVariant {
                found: "x".into(),
                expected: "r, rw, w".into(),
            },
        );
    }

    #[test]
    fn absurd_nesting_is_refused_while_parsing() {
        let mut dt = json!({"type": "date"});
        for i in 0..40 {
            dt = if i % 2 == 0 {
                json!({"type": "struct", "specs": [{"identifier": "f", "name": "F", "dataType": dt}]})
            } else {
                json!({"type": "array", "specs": {"size": "1", "item": dt}})
            };
        }
        let e = ThingModel::from_tsl(&with_type(dt)).unwrap_err();
        assert_eq!(e.kind, K::NestingTooDeep { max: 4 });
        let mut dt = json!({"type": "date"});
        for _ in 0..5 {
            dt = json!({"type": "struct", "specs": [{"identifier": "f", "name": "F", "dataType": dt}]});
        }
        let e = ThingModel::from_tsl(&with_type(dt)).unwrap_err();
        assert_eq!(e.kind, K::NestingTooDeep { max: 4 });
        assert_eq!(
            e.path,
            "properties[0].dataType.specs[0].dataType.specs[0].dataType.specs[0].dataType.specs[0].dataType.specs"
        );
    }

    #[test]
    fn validation_paths_point_past_the_skipped_standard_items() {
        let (mut m, _) = ThingModel::from_tsl(&pump()).unwrap();
        m.events.push(m.events[0].clone());
        m.services[0].output[0].name = String::new();
        let doc = m.to_tsl("pk");
        let e = ThingModel::from_tsl(&doc).unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.kind),
            (
                "events[2].identifier",
                K::DuplicateIdentifier("Overheat".into())
            )
        );
        m.events.pop();
        let e = ThingModel::from_tsl(&m.to_tsl("pk")).unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.kind),
            ("services[2].outputData[0].name", K::EmptyName)
        );
        let user_post = json!({"events": [{"identifier": "post", "name": "Post", "method": "thing.event.post.post"}]});
        rejects(
            user_post,
            "events[0].identifier",
            K::ReservedIdentifier("post".into()),
        );
    }
}
