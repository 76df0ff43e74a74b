//! W3C WoT Thing Model (TD 1.1 `tm:ThingModel`) export and import, Ironloom's storage format.
//!
//! Model data maps onto standard TD terms where TD has them (`readOnly`, `minimum`,
//! `multipleOf`, `synchronous` …) and onto `ironloom:` terms where it does not (TSL's
//! float/double/date distinction, labels, event levels).
//!
//! Third-party documents carry much the model has no place for (`forms`, `uriVariables`,
//! `titles` in other languages, descriptions of nested fields …). Import keeps exactly what a
//! fresh export would not reproduce: per affordance, under `ironloom:affordanceExtras` in
//! [`TmMeta::extensions`]; export merges it back. On conflict the model wins, since it may have
//! been edited since the import — except for `observable`, which the model does not own.
//! Extras never add a schema the model lacks (a field deleted since the import stays deleted).
//!
//! JSON objects are unordered, and so is `serde_json::Map` as built here, but affordance and
//! field order is part of the model; export writes `ironloom:order` where the order is not
//! already alphabetical, and import reads it back (a malformed hint is ignored).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::{JsonType, ThingModelError, ThingModelErrorKind as K, clip};
use super::json::{
    Object, Result, as_object, check_depth, has_han, index_path, key_path, missing, opt_array,
    opt_bool, opt_object, opt_str, req_str, wrong_type,
};
use super::validate::{PathStyle, validate};
use super::{
    AccessMode, CallType, DataType, EventDef, EventLevel, FieldDef, MAX_ARRAY_SIZE,
    MAX_TEXT_LENGTH, PropertyDef, ServiceDef, ThingModel,
};

pub const TD_CONTEXT: &str = "https://www.w3.org/2022/wot/td/v1.1";
const TD_CONTEXT_V10: &str = "https://www.w3.org/2019/wot/td/v1";
pub const IRONLOOM_NAMESPACE: &str = "https://ironloom.dev/ns/tm#";
/// The [`TmMeta::extensions`] key holding affordance-level keys kept from an import.
pub const AFFORDANCE_EXTRAS: &str = "ironloom:affordanceExtras";

const ORDER: &str = "ironloom:order";
const SHAPE: &str = "ironloom:shape";
const TSL_TYPE: &str = "ironloom:tslType";
const UNIT_NAME: &str = "ironloom:unitName";
const ENUM_LABELS: &str = "ironloom:enumLabels";
const TRUE_LABEL: &str = "ironloom:trueLabel";
const FALSE_LABEL: &str = "ironloom:falseLabel";
const LEVEL: &str = "ironloom:level";
const CALL_TYPE: &str = "ironloom:callType";
/// The field a non-object event/action payload becomes, so it fits the field-list model.
const SCALAR_FIELD: &str = "value";

/// Keys under which export writes schemas (or a map of them). Extras may refine these but
/// never create them: a schema the model no longer has would come back half-made.
const STRUCTURAL: [&str; 5] = ["properties", "items", "input", "output", "data"];
/// Keys export derives by default but the model does not own, so an imported value wins.
const SOFT: [&str; 1] = ["observable"];

/// Document-level data of a Thing Model besides its affordances.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TmMeta {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The model version, `version.model` in the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Top-level keys written as they are (`ironloom:industry`, `links`, `id` …), except:
    /// `@context` holds context entries besides TD's and Ironloom's, `@type` semantic types
    /// besides `tm:ThingModel`, `version` keys besides `model`, and [`AFFORDANCE_EXTRAS`] the
    /// kept affordance keys. Keys the model owns (`properties`, `title`, `tm:required` …) are
    /// ignored here.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: Object,
}

impl ThingModel {
    /// The model as a WoT Thing Model document.
    pub fn to_wot_tm(&self, meta: &TmMeta) -> Value {
        Value::Object(export(self, meta))
    }

    /// Reads a WoT Thing Model or Thing Description; errors name the document key at fault,
    /// e.g. `properties.flow.minimum`.
    pub fn from_wot(doc: &Value) -> std::result::Result<(ThingModel, TmMeta), ThingModelError> {
        import(doc)
    }
}

// ---------------------------------------------------------------------------------------------
// Export

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// The document's payload was a single non-object schema, kept as field `value`.
    Scalar,
    /// The document's payload was an object schema without properties.
    Empty,
}

impl Shape {
    fn as_str(self) -> &'static str {
        match self {
            Shape::Scalar => "scalar",
            Shape::Empty => "empty",
        }
    }

    fn of(extras: Option<&Object>, payload: &str) -> Option<Shape> {
        match extras?.get(SHAPE)?.get(payload)?.as_str()? {
            "scalar" => Some(Shape::Scalar),
            "empty" => Some(Shape::Empty),
            _ => None,
        }
    }
}

fn export(m: &ThingModel, meta: &TmMeta) -> Object {
    let mut doc = Object::new();
    doc.insert("@context".into(), context(meta.extensions.get("@context")));
    doc.insert("@type".into(), thing_type(meta.extensions.get("@type")));
    names(&mut doc, &meta.title);
    if let Some(d) = &meta.description {
        doc.insert("description".into(), d.as_str().into());
    }
    if let Some(v) = &meta.version {
        doc.insert("version".into(), json!({ "model": v }));
    }

    let required: Vec<Value> = (m.properties.iter())
        .filter(|p| p.required)
        .map(|p| format!("#/properties/{}", p.identifier))
        .chain(
            m.services
                .iter()
                .filter(|s| s.required)
                .map(|s| format!("#/actions/{}", s.identifier)),
        )
        .chain(
            m.events
                .iter()
                .filter(|e| e.required)
                .map(|e| format!("#/events/{}", e.identifier)),
        )
        .map(Value::from)
        .collect();
    if !required.is_empty() {
        doc.insert("tm:required".into(), required.into());
    }
    let mut order = Object::new();
    for (kind, ids) in [
        (
            "properties",
            order_hint(m.properties.iter().map(|p| p.identifier.as_str())),
        ),
        (
            "actions",
            order_hint(m.services.iter().map(|s| s.identifier.as_str())),
        ),
        (
            "events",
            order_hint(m.events.iter().map(|e| e.identifier.as_str())),
        ),
    ] {
        if let Some(ids) = ids {
            order.insert(kind.into(), ids);
        }
    }
    if !order.is_empty() {
        doc.insert(ORDER.into(), order.into());
    }

    let extras = |kind: &str, id: &str| -> Option<&Object> {
        meta.extensions
            .get(AFFORDANCE_EXTRAS)?
            .get(kind)?
            .get(id)?
            .as_object()
    };
    let mut properties = Object::new();
    for p in &m.properties {
        let mut a = property_affordance(p);
        if let Some(x) = extras("properties", &p.identifier) {
            merge(&mut a, x);
        }
        properties.insert(p.identifier.clone(), a.into());
    }
    let mut actions = Object::new();
    for s in &m.services {
        let x = extras("actions", &s.identifier);
        let mut a = action_affordance(s, x);
        if let Some(x) = x {
            merge(&mut a, x);
        }
        actions.insert(s.identifier.clone(), a.into());
    }
    let mut events = Object::new();
    for e in &m.events {
        let x = extras("events", &e.identifier);
        let mut a = event_affordance(e, x);
        if let Some(x) = x {
            merge(&mut a, x);
        }
        events.insert(e.identifier.clone(), a.into());
    }
    doc.insert("properties".into(), properties.into());
    doc.insert("actions".into(), actions.into());
    doc.insert("events".into(), events.into());

    const OWNED: [&str; 10] = [
        "@context",
        "@type",
        AFFORDANCE_EXTRAS,
        ORDER,
        "tm:required",
        "title",
        "description",
        "properties",
        "actions",
        "events",
    ];
    for (key, value) in &meta.extensions {
        if OWNED.contains(&key.as_str()) {
            continue;
        }
        match (doc.get_mut(key), value) {
            (None, _) => {
                doc.insert(key.clone(), value.clone());
            }
            (Some(Value::Object(generated)), Value::Object(kept)) => merge(generated, kept),
            _ => {}
        }
    }
    doc
}

/// TD 1.1 first (it defines `tm:`), then whatever else the document had, then our prefix.
fn context(kept: Option<&Value>) -> Value {
    let mut entries = vec![Value::from(TD_CONTEXT)];
    entries.extend(kept.map(context_extras).unwrap_or_default());
    entries.push(json!({ "ironloom": IRONLOOM_NAMESPACE }));
    entries.into()
}

fn thing_type(kept: Option<&Value>) -> Value {
    let extra: Vec<Value> = match kept {
        Some(Value::Array(types)) => types
            .iter()
            .filter(|t| !is_thing_type(t))
            .cloned()
            .collect(),
        Some(t @ Value::String(_)) if !is_thing_type(t) => vec![t.clone()],
        _ => Vec::new(),
    };
    if extra.is_empty() {
        "tm:ThingModel".into()
    } else {
        let mut types = vec![Value::from("tm:ThingModel")];
        types.extend(extra);
        types.into()
    }
}

/// `title`, plus a `zh` language-map entry for Chinese names so TD consumers that pick titles
/// by language find one.
fn names(o: &mut Object, name: &str) {
    o.insert("title".into(), name.into());
    if has_han(name) {
        o.insert("titles".into(), json!({ "zh": name }));
    }
}

/// The identifiers in order if that order is not what a sorted JSON object gives anyway.
fn order_hint<'a>(ids: impl Iterator<Item = &'a str>) -> Option<Value> {
    let ids: Vec<&str> = ids.collect();
    if ids.windows(2).all(|w| w[0] < w[1]) {
        None
    } else {
        Some(ids.into())
    }
}

/// A float as JSON, integral values as integers, so `0.0` reads back equal to a written `0`.
fn number(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact in f64
    if x.fract() == 0.0 && x.abs() <= EXACT {
        (x as i64).into()
    } else {
        // Validation keeps NaN and infinities out of models; null is what JSON has for them.
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

fn put<T: Into<Value>>(o: &mut Object, key: &str, v: Option<T>) {
    if let Some(v) = v {
        o.insert(key.into(), v.into());
    }
}

fn property_affordance(p: &PropertyDef) -> Object {
    let mut o = Object::new();
    names(&mut o, &p.name);
    put(&mut o, "description", p.description.as_deref());
    match p.access {
        AccessMode::ReadOnly => put(&mut o, "readOnly", Some(true)),
        AccessMode::WriteOnly => put(&mut o, "writeOnly", Some(true)),
        AccessMode::ReadWrite => {}
    }
    // Readable properties are reported by the device (TSL's property post).
    if p.access.is_readable() {
        o.insert("observable".into(), true.into());
    }
    schema_into(&mut o, &p.data_type);
    o
}

fn action_affordance(s: &ServiceDef, extras: Option<&Object>) -> Object {
    let mut o = Object::new();
    names(&mut o, &s.name);
    put(&mut o, "description", s.description.as_deref());
    o.insert("synchronous".into(), (s.call_type == CallType::Sync).into());
    o.insert(CALL_TYPE.into(), s.call_type.as_str().into());
    put(
        &mut o,
        "input",
        payload(&s.input, Shape::of(extras, "input")),
    );
    put(
        &mut o,
        "output",
        payload(&s.output, Shape::of(extras, "output")),
    );
    o
}

fn event_affordance(e: &EventDef, extras: Option<&Object>) -> Object {
    let mut o = Object::new();
    names(&mut o, &e.name);
    put(&mut o, "description", e.description.as_deref());
    o.insert(LEVEL.into(), e.level.as_str().into());
    put(
        &mut o,
        "data",
        payload(&e.output, Shape::of(extras, "data")),
    );
    o
}

fn payload(fields: &[FieldDef], shape: Option<Shape>) -> Option<Object> {
    match (fields, shape) {
        ([], Some(Shape::Empty)) => Some(object_schema(fields)),
        ([], _) => None,
        ([only], Some(Shape::Scalar)) if only.identifier == SCALAR_FIELD => {
            Some(field_schema(only))
        }
        _ => Some(object_schema(fields)),
    }
}

fn object_schema(fields: &[FieldDef]) -> Object {
    let mut o = Object::new();
    object_schema_into(&mut o, fields);
    o
}

fn object_schema_into(o: &mut Object, fields: &[FieldDef]) {
    o.insert("type".into(), "object".into());
    let properties: Object = fields
        .iter()
        .map(|f| (f.identifier.clone(), Value::Object(field_schema(f))))
        .collect();
    o.insert("properties".into(), properties.into());
    put(
        o,
        ORDER,
        order_hint(fields.iter().map(|f| f.identifier.as_str())),
    );
}

fn field_schema(f: &FieldDef) -> Object {
    let mut o = Object::new();
    names(&mut o, &f.name);
    schema_into(&mut o, &f.data_type);
    o
}

fn schema_into(o: &mut Object, dt: &DataType) {
    match dt {
        DataType::Int {
            min,
            max,
            step,
            unit,
            unit_name,
        } => {
            o.insert("type".into(), "integer".into());
            put(o, "minimum", *min);
            put(o, "maximum", *max);
            put(o, "multipleOf", *step);
            put(o, "unit", unit.as_deref());
            put(o, UNIT_NAME, unit_name.as_deref());
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
            o.insert("type".into(), "number".into());
            o.insert(TSL_TYPE.into(), dt.type_name().into());
            put(o, "minimum", min.map(number));
            put(o, "maximum", max.map(number));
            put(o, "multipleOf", step.map(number));
            put(o, "unit", unit.as_deref());
            put(o, UNIT_NAME, unit_name.as_deref());
        }
        DataType::Bool {
            true_label,
            false_label,
        } => {
            o.insert("type".into(), "boolean".into());
            put(o, TRUE_LABEL, true_label.as_deref());
            put(o, FALSE_LABEL, false_label.as_deref());
        }
        DataType::Enum { values } => {
            o.insert("type".into(), "integer".into());
            let mut codes: Vec<i64> = values.keys().filter_map(|k| k.parse().ok()).collect();
            codes.sort_unstable();
            o.insert("enum".into(), codes.into());
            let labels: Object = values
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            o.insert(ENUM_LABELS.into(), labels.into());
        }
        DataType::Text { max_length } => {
            o.insert("type".into(), "string".into());
            put(o, "maxLength", *max_length);
        }
        DataType::Date => {
            o.insert("type".into(), "integer".into());
            o.insert(TSL_TYPE.into(), "date".into());
            o.insert("unit".into(), "ms".into());
        }
        DataType::Struct { fields } => object_schema_into(o, fields),
        DataType::Array { size, item } => {
            o.insert("type".into(), "array".into());
            let mut items = Object::new();
            schema_into(&mut items, item);
            o.insert("items".into(), items.into());
            o.insert("maxItems".into(), (*size).into());
        }
    }
}

/// Puts kept keys back into a generated affordance or schema (see the module docs).
fn merge(generated: &mut Object, kept: &Object) {
    for (key, value) in kept {
        if key == SHAPE || key == ORDER {
            continue;
        }
        match (generated.get_mut(key), value) {
            (None, _) => {
                if !STRUCTURAL.contains(&key.as_str()) {
                    generated.insert(key.clone(), value.clone());
                }
            }
            (Some(Value::Object(schemas)), Value::Object(kept_schemas)) if key == "properties" => {
                for (name, kept_schema) in kept_schemas {
                    if let (Some(Value::Object(s)), Value::Object(k)) =
                        (schemas.get_mut(name), kept_schema)
                    {
                        merge(s, k);
                    }
                }
            }
            (Some(Value::Object(g)), Value::Object(k)) => merge(g, k),
            (Some(slot), _) => {
                if SOFT.contains(&key.as_str()) {
                    *slot = value.clone();
                }
            }
        }
    }
}

/// What of `original` a fresh export (`generated`) would not reproduce; the inverse of
/// [`merge`].
fn diff(original: &Object, generated: &Object) -> Object {
    let mut kept = Object::new();
    for (key, value) in original {
        if key == ORDER {
            continue;
        }
        match (generated.get(key), value) {
            (Some(g), _) if g == value => {}
            (Some(Value::Object(g)), Value::Object(o)) => {
                let d = diff(o, g);
                if !d.is_empty() {
                    kept.insert(key.clone(), d.into());
                }
            }
            // The model owns the key, so the export's value stands.
            (Some(_), _) if !SOFT.contains(&key.as_str()) => {}
            _ => {
                kept.insert(key.clone(), value.clone());
            }
        }
    }
    kept
}

// ---------------------------------------------------------------------------------------------
// Import

fn is_thing_type(t: &Value) -> bool {
    matches!(
        t.as_str(),
        Some(
            "tm:ThingModel"
                | "Thing"
                | "td:Thing"
                | "https://www.w3.org/2019/wot/td#Thing"
                | "https://www.w3.org/2019/wot/tm#ThingModel"
        )
    )
}

/// Context entries besides TD's and our prefix, which export writes itself.
fn context_extras(ctx: &Value) -> Vec<Value> {
    let entries: Vec<&Value> = match ctx {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for entry in entries {
        match entry {
            Value::String(s) if s == TD_CONTEXT || s == TD_CONTEXT_V10 => {}
            Value::Object(o) => {
                let mut o = o.clone();
                if o.get("ironloom").and_then(Value::as_str) == Some(IRONLOOM_NAMESPACE) {
                    o.remove("ironloom");
                }
                if !o.is_empty() {
                    out.push(o.into());
                }
            }
            Value::Null => {}
            other => out.push(other.clone()),
        }
    }
    out
}

/// Semantic types besides the Thing/ThingModel one, which must be there if `@type` is.
fn extra_types(root: &Object) -> Result<Vec<Value>> {
    match root.get("@type") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(t @ Value::String(s)) => {
            if is_thing_type(t) {
                Ok(Vec::new())
            } else {
                Err(ThingModelError::new("@type", K::WrongThingType(clip(s))))
            }
        }
        Some(Value::Array(types)) => {
            for (i, t) in types.iter().enumerate() {
                if !t.is_string() {
                    return Err(wrong_type(index_path("@type", i), JsonType::String));
                }
            }
            if !types.iter().any(is_thing_type) {
                let found: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
                return Err(ThingModelError::new(
                    "@type",
                    K::WrongThingType(clip(&found.join(", "))),
                ));
            }
            Ok(types
                .iter()
                .filter(|t| !is_thing_type(t))
                .cloned()
                .collect())
        }
        Some(_) => Err(wrong_type("@type", JsonType::String)),
    }
}

/// Keys of `map` in hinted order, then the rest in the map's own order.
fn ordered<'a>(map: &'a Object, hint: Option<&Value>) -> Vec<&'a String> {
    let mut out = Vec::with_capacity(map.len());
    let mut used = HashSet::new();
    let hinted = hint.and_then(Value::as_array).into_iter().flatten();
    for name in hinted.filter_map(Value::as_str) {
        if let Some((key, _)) = map.get_key_value(name)
            && used.insert(key.as_str())
        {
            out.push(key);
        }
    }
    out.extend(map.keys().filter(|k| !used.contains(k.as_str())));
    out
}

fn name_of(o: &Object, id: &str, path: &str) -> Result<String> {
    Ok(match opt_str(o, "title", path)? {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => id.to_string(),
    })
}

fn import(doc: &Value) -> Result<(ThingModel, TmMeta)> {
    let root = as_object(doc, "")?;
    let mut ext = Object::new();
    let types = extra_types(root)?;
    if !types.is_empty() {
        ext.insert("@type".into(), types.into());
    }
    if let Some(ctx) = root.get("@context") {
        let extra = context_extras(ctx);
        if !extra.is_empty() {
            ext.insert("@context".into(), extra.into());
        }
    }
    let mut meta = TmMeta {
        title: req_str(root, "title", "")?.to_string(),
        description: opt_str(root, "description", "")?.map(String::from),
        ..TmMeta::default()
    };
    match root.get("version") {
        None | Some(Value::Null) => {}
        // TD 1.0 drafts and hand-written models use a bare string.
        Some(Value::String(v)) => meta.version = Some(v.clone()),
        Some(Value::Object(v)) => {
            meta.version = opt_str(v, "model", "version")?.map(String::from);
            let rest: Object = v
                .iter()
                .filter(|(k, _)| *k != "model")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !rest.is_empty() {
                ext.insert("version".into(), rest.into());
            }
        }
        Some(_) => return Err(wrong_type("version", JsonType::Object)),
    }

    let hint = |kind: &str| root.get(ORDER).and_then(|o| o.get(kind));
    let mut model = ThingModel::default();
    let mut kept = Object::new();
    let mut kept_of = |kind: &str, id: &str, extras: Object| {
        if !extras.is_empty() {
            let entry = kept.entry(kind).or_insert_with(|| Object::new().into());
            if let Value::Object(map) = entry {
                map.insert(id.to_string(), extras.into());
            }
        }
    };
    if let Some(props) = opt_object(root, "properties", "")? {
        for id in ordered(props, hint("properties")) {
            let (p, extras) = property(id, &props[id], &key_path("properties", id))?;
            kept_of("properties", id, extras);
            model.properties.push(p);
        }
    }
    if let Some(actions) = opt_object(root, "actions", "")? {
        for id in ordered(actions, hint("actions")) {
            let (s, extras) = action(id, &actions[id], &key_path("actions", id))?;
            kept_of("actions", id, extras);
            model.services.push(s);
        }
    }
    if let Some(events) = opt_object(root, "events", "")? {
        for id in ordered(events, hint("events")) {
            let (e, extras) = event(id, &events[id], &key_path("events", id))?;
            kept_of("events", id, extras);
            model.events.push(e);
        }
    }
    mark_required(&mut model, opt_array(root, "tm:required", "")?)?;

    const CONSUMED: [&str; 11] = [
        "@context",
        "@type",
        "title",
        "description",
        "version",
        "properties",
        "actions",
        "events",
        "tm:required",
        ORDER,
        AFFORDANCE_EXTRAS,
    ];
    for (key, value) in root {
        if CONSUMED.contains(&key.as_str()) {
            continue;
        }
        let mut value = value.clone();
        // Export writes `titles.zh` itself for Chinese titles.
        if key == "titles"
            && let Value::Object(titles) = &mut value
            && has_han(&meta.title)
            && titles.get("zh").and_then(Value::as_str) == Some(meta.title.as_str())
        {
            titles.remove("zh");
            if titles.is_empty() {
                continue;
            }
        }
        ext.insert(key.clone(), value);
    }
    if !kept.is_empty() {
        ext.insert(AFFORDANCE_EXTRAS.into(), kept.into());
    }
    meta.extensions = ext;
    validate(&model, PathStyle::Wot)?;
    Ok((model, meta))
}

fn mark_required(model: &mut ThingModel, pointers: Option<&[Value]>) -> Result<()> {
    for (i, pointer) in pointers.unwrap_or_default().iter().enumerate() {
        let path = index_path("tm:required", i);
        let text = pointer
            .as_str()
            .ok_or_else(|| wrong_type(&path, JsonType::String))?;
        let unknown = || ThingModelError::new(&path, K::UnknownReference(clip(text)));
        let (kind, name) = text
            .strip_prefix("#/")
            .and_then(|p| p.split_once('/'))
            .ok_or_else(unknown)?;
        // JSON Pointer escapes; identifiers never need them, third-party names might.
        let name = name.replace("~1", "/").replace("~0", "~");
        let flag = match kind {
            "properties" => (model.properties.iter_mut())
                .find(|p| p.identifier == name)
                .map(|p| &mut p.required),
            "actions" => (model.services.iter_mut())
                .find(|s| s.identifier == name)
                .map(|s| &mut s.required),
            "events" => (model.events.iter_mut())
                .find(|e| e.identifier == name)
                .map(|e| &mut e.required),
            _ => None,
        };
        *flag.ok_or_else(unknown)? = true;
    }
    Ok(())
}

fn property(id: &str, v: &Value, path: &str) -> Result<(PropertyDef, Object)> {
    let o = as_object(v, path)?;
    let read_only = opt_bool(o, "readOnly", path)?.unwrap_or(false);
    let write_only = opt_bool(o, "writeOnly", path)?.unwrap_or(false);
    let access = match (read_only, write_only) {
        (true, true) => return Err(ThingModelError::new(path, K::ReadOnlyAndWriteOnly)),
        (true, false) => AccessMode::ReadOnly,
        (false, true) => AccessMode::WriteOnly,
        (false, false) => AccessMode::ReadWrite,
    };
    let p = PropertyDef {
        identifier: id.to_string(),
        name: name_of(o, id, path)?,
        description: opt_str(o, "description", path)?.map(String::from),
        access,
        required: false,
        data_type: schema(o, path, 0)?,
    };
    let extras = diff(o, &property_affordance(&p));
    Ok((p, extras))
}

fn action(id: &str, v: &Value, path: &str) -> Result<(ServiceDef, Object)> {
    let o = as_object(v, path)?;
    let call_type = match opt_str(o, CALL_TYPE, path)? {
        None => None,
        Some(c) => Some(CallType::parse(c).ok_or_else(|| {
            ThingModelError::new(
                key_path(path, CALL_TYPE),
                K::UnknownVariant {
                    found: clip(c),
                    expected: "sync, async".into(),
                },
            )
        })?),
    };
    // `synchronous` is the standard term, so it decides when both are there.
    let call_type = match opt_bool(o, "synchronous", path)? {
        Some(true) => CallType::Sync,
        Some(false) => CallType::Async,
        None => call_type.unwrap_or_default(),
    };
    let (input, input_shape) = payload_fields(o, "input", path)?;
    let (output, output_shape) = payload_fields(o, "output", path)?;
    let s = ServiceDef {
        identifier: id.to_string(),
        name: name_of(o, id, path)?,
        description: opt_str(o, "description", path)?.map(String::from),
        call_type,
        required: false,
        input,
        output,
    };
    let shapes = shapes(&[("input", input_shape), ("output", output_shape)]);
    let mut extras = diff(o, &action_affordance(&s, Some(&shapes)));
    extras.extend(shapes);
    Ok((s, extras))
}

fn event(id: &str, v: &Value, path: &str) -> Result<(EventDef, Object)> {
    let o = as_object(v, path)?;
    let level = match opt_str(o, LEVEL, path)? {
        None => EventLevel::default(),
        Some(l) => EventLevel::parse(l).ok_or_else(|| {
            ThingModelError::new(
                key_path(path, LEVEL),
                K::UnknownVariant {
                    found: clip(l),
                    expected: "info, alert, error".into(),
                },
            )
        })?,
    };
    let (output, shape) = payload_fields(o, "data", path)?;
    let e = EventDef {
        identifier: id.to_string(),
        name: name_of(o, id, path)?,
        description: opt_str(o, "description", path)?.map(String::from),
        level,
        required: false,
        output,
    };
    let shapes = shapes(&[("data", shape)]);
    let mut extras = diff(o, &event_affordance(&e, Some(&shapes)));
    extras.extend(shapes);
    Ok((e, extras))
}

/// `{"ironloom:shape": {...}}` for the payloads that need one, else an empty map.
fn shapes(of: &[(&str, Option<Shape>)]) -> Object {
    let shapes: Object = of
        .iter()
        .filter_map(|(k, s)| s.map(|s| (k.to_string(), Value::from(s.as_str()))))
        .collect();
    let mut out = Object::new();
    if !shapes.is_empty() {
        out.insert(SHAPE.into(), shapes.into());
    }
    out
}

/// An event's `data` or an action's `input`/`output` as a field list.
fn payload_fields(o: &Object, key: &str, path: &str) -> Result<(Vec<FieldDef>, Option<Shape>)> {
    let Some(schema_obj) = opt_object(o, key, path)? else {
        return Ok((Vec::new(), None));
    };
    let path = key_path(path, key);
    Ok(match schema(schema_obj, &path, 0)? {
        DataType::Struct { fields } if fields.is_empty() => (fields, Some(Shape::Empty)),
        DataType::Struct { fields } => (fields, None),
        other => {
            let field = FieldDef {
                identifier: SCALAR_FIELD.into(),
                name: name_of(schema_obj, SCALAR_FIELD, &path)?,
                data_type: other,
            };
            (vec![field], Some(Shape::Scalar))
        }
    })
}

fn schema(o: &Object, path: &str, depth: usize) -> Result<DataType> {
    check_depth(depth, path)?;
    let ty = match o.get("type") {
        None | Some(Value::Null) => return Err(missing(key_path(path, "type"))),
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return Err(wrong_type(key_path(path, "type"), JsonType::String)),
    };
    let tsl = opt_str(o, TSL_TYPE, path)?;
    let unsupported = |t: &str| {
        ThingModelError::new(
            key_path(path, TSL_TYPE),
            K::UnsupportedType(format!("{ty}/{}", clip(t))),
        )
    };
    let unit = opt_str(o, "unit", path)?.map(String::from);
    let unit_name = opt_str(o, UNIT_NAME, path)?.map(String::from);
    match ty {
        "integer" => match tsl {
            Some("date") => Ok(DataType::Date),
            Some("enum") => enumeration(o, path),
            None if o.contains_key("enum") || o.contains_key(ENUM_LABELS) => enumeration(o, path),
            None | Some("int") => Ok(DataType::Int {
                min: int(o, "minimum", path)?,
                max: int(o, "maximum", path)?,
                step: int(o, "multipleOf", path)?,
                unit,
                unit_name,
            }),
            Some(other) => Err(unsupported(other)),
        },
        "number" => {
            let (min, max, step) = (
                float(o, "minimum", path)?,
                float(o, "maximum", path)?,
                float(o, "multipleOf", path)?,
            );
            match tsl {
                Some("float") => Ok(DataType::Float {
                    min,
                    max,
                    step,
                    unit,
                    unit_name,
                }),
                None | Some("double") => Ok(DataType::Double {
                    min,
                    max,
                    step,
                    unit,
                    unit_name,
                }),
                Some(other) => Err(unsupported(other)),
            }
        }
        "boolean" => Ok(DataType::Bool {
            true_label: opt_str(o, TRUE_LABEL, path)?.map(String::from),
            false_label: opt_str(o, FALSE_LABEL, path)?.map(String::from),
        }),
        // `format`, `enum`, `pattern` … of strings are kept as extras; Text has no place for
        // them but loses nothing by their absence.
        "string" => Ok(DataType::Text {
            max_length: count(o, "maxLength", path, MAX_TEXT_LENGTH)?,
        }),
        "object" => {
            let mut fields = Vec::new();
            if let Some(props) = opt_object(o, "properties", path)? {
                let base = key_path(path, "properties");
                for id in ordered(props, o.get(ORDER)) {
                    let fp = key_path(&base, id);
                    let fo = as_object(&props[id], &fp)?;
                    fields.push(FieldDef {
                        identifier: id.clone(),
                        name: name_of(fo, id, &fp)?,
                        data_type: schema(fo, &fp, depth + 1)?,
                    });
                }
            }
            Ok(DataType::Struct { fields })
        }
        "array" => {
            let items_path = key_path(path, "items");
            let items = match o.get("items") {
                None | Some(Value::Null) => return Err(missing(items_path)),
                Some(v) => as_object(v, &items_path)?,
            };
            Ok(DataType::Array {
                size: count(o, "maxItems", path, MAX_ARRAY_SIZE)?.unwrap_or(MAX_ARRAY_SIZE),
                item: Box::new(schema(items, &items_path, depth + 1)?),
            })
        }
        other => Err(ThingModelError::new(
            key_path(path, "type"),
            K::UnsupportedType(clip(other)),
        )),
    }
}

fn enumeration(o: &Object, path: &str) -> Result<DataType> {
    let labels_path = key_path(path, ENUM_LABELS);
    let labels = opt_object(o, ENUM_LABELS, path)?;
    let mut values = BTreeMap::new();
    let Some(codes) = opt_array(o, "enum", path)? else {
        // Labels alone define the values; validation checks their keys.
        for (code, label) in labels.into_iter().flatten() {
            let label = label
                .as_str()
                .ok_or_else(|| wrong_type(key_path(&labels_path, code), JsonType::String))?;
            values.insert(code.clone(), label.to_string());
        }
        return Ok(DataType::Enum { values });
    };
    let enum_path = key_path(path, "enum");
    for (i, code) in codes.iter().enumerate() {
        let n = integer(code, &index_path(&enum_path, i))?;
        values.insert(n.to_string(), n.to_string());
    }
    for (code, label) in labels.into_iter().flatten() {
        let at = key_path(&labels_path, code);
        let label = label
            .as_str()
            .ok_or_else(|| wrong_type(&at, JsonType::String))?;
        match values.get_mut(code) {
            Some(slot) => *slot = label.to_string(),
            None => {
                return Err(ThingModelError::new(
                    at,
                    K::EnumLabelWithoutValue(clip(code)),
                ));
            }
        }
    }
    Ok(DataType::Enum { values })
}

fn integer(v: &Value, path: &str) -> Result<i64> {
    let n = v
        .as_number()
        .ok_or_else(|| wrong_type(path, JsonType::Integer))?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        // Some generators write every number as a float; 2^63 itself is out of range.
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Ok(f as i64),
        _ => Err(ThingModelError::new(path, K::InvalidInteger(n.to_string()))),
    }
}

fn int(o: &Object, key: &str, path: &str) -> Result<Option<i64>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => integer(v, &key_path(path, key)).map(Some),
    }
}

fn float(o: &Object, key: &str, path: &str) -> Result<Option<f64>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| wrong_type(key_path(path, key), JsonType::Number)),
    }
}

/// A length or item count; values beyond `limit` are left for validation to name, values
/// that cannot be one at all are rejected here.
fn count(o: &Object, key: &str, path: &str, limit: u32) -> Result<Option<u32>> {
    let Some(n) = int(o, key, path)? else {
        return Ok(None);
    };
    u32::try_from(n).map(Some).map_err(|_| {
        ThingModelError::new(
            key_path(path, key),
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

    fn sample() -> (ThingModel, TmMeta) {
        let model: ThingModel = serde_json::from_value(json!({
            "properties": [
                {"identifier": "Speed", "name": "转速", "access": "rw", "required": true,
                 "data_type": {"type": "int", "min": 0, "max": 2900, "step": 1, "unit": "r/min", "unit_name": "转每分钟"}},
                {"identifier": "Flow", "name": "Flow", "description": "Outlet flow",
                 "data_type": {"type": "float", "min": 0.0, "max": 500.0, "step": 0.1}},
                {"identifier": "Mode", "name": "Mode", "access": "w",
                 "data_type": {"type": "enum", "values": {"0": "手动", "1": "自动", "10": "远程"}}},
                {"identifier": "Wear", "name": "Wear",
                 "data_type": {"type": "struct", "fields": [
                     {"identifier": "z", "name": "Z", "data_type": {"type": "double"}},
                     {"identifier": "a", "name": "A", "data_type": {"type": "array", "size": 3, "item": {"type": "text", "max_length": 8}}}
                 ]}},
                {"identifier": "Since", "name": "Since", "data_type": {"type": "date"}},
                {"identifier": "On", "name": "On", "data_type": {"type": "bool", "true_label": "开", "false_label": "关"}}
            ],
            "events": [{"identifier": "Hot", "name": "Hot", "level": "alert", "required": true,
                        "output": [{"identifier": "t", "name": "t", "data_type": {"type": "double"}}]}],
            "services": [{"identifier": "Start", "name": "Start", "call_type": "sync",
                          "input": [{"identifier": "ramp", "name": "Ramp", "data_type": {"type": "int"}}]},
                         {"identifier": "Stop", "name": "Stop"}]
        }))
        .unwrap();
        let meta = TmMeta {
            title: "Pump 泵".into(),
            description: Some("A pump".into()),
            version: Some("1.2.0".into()),
            extensions: json!({"ironloom:industry": "C34"})
                .as_object()
                .unwrap()
                .clone(),
        };
        (model, meta)
    }

    #[test]
    fn export_maps_the_model_onto_td_terms() {
        let (m, meta) = sample();
        m.validate().unwrap();
        let doc = m.to_wot_tm(&meta);
        assert_eq!(
            doc["@context"],
            json!([TD_CONTEXT, {"ironloom": IRONLOOM_NAMESPACE}])
        );
        assert_eq!(doc["@type"], "tm:ThingModel");
        assert_eq!(doc["titles"], json!({"zh": "Pump 泵"}));
        assert_eq!(doc["version"], json!({"model": "1.2.0"}));
        assert_eq!(doc["ironloom:industry"], "C34");
        assert_eq!(
            doc["tm:required"],
            json!(["#/properties/Speed", "#/events/Hot"])
        );
        assert_eq!(
            doc[ORDER],
            json!({"properties": ["Speed", "Flow", "Mode", "Wear", "Since", "On"]}),
            "actions Start < Stop and a single event need no hint"
        );
        let p = &doc["properties"];
        assert_eq!(
            p["Speed"],
            json!({"title": "转速", "titles": {"zh": "转速"}, "observable": true, "type": "integer",
                   "minimum": 0, "maximum": 2900, "multipleOf": 1, "unit": "r/min", "ironloom:unitName": "转每分钟"})
        );
        assert_eq!(
            p["Flow"],
            json!({"title": "Flow", "description": "Outlet flow", "readOnly": true, "observable": true,
                   "type": "number", "ironloom:tslType": "float", "minimum": 0, "maximum": 500, "multipleOf": 0.1})
        );
        assert_eq!(p["Mode"]["writeOnly"], true);
        assert_eq!(p["Mode"].get("observable"), None);
        assert_eq!(p["Mode"]["enum"], json!([0, 1, 10]));
        assert_eq!(
            p["Mode"][ENUM_LABELS],
            json!({"0": "手动", "1": "自动", "10": "远程"})
        );
        assert_eq!(p["Wear"][ORDER], json!(["z", "a"]));
        assert_eq!(
            p["Wear"]["properties"]["a"]["items"],
            json!({"type": "string", "maxLength": 8})
        );
        assert_eq!(p["Wear"]["properties"]["a"]["maxItems"], 3);
        assert_eq!(p["Since"]["unit"], "ms");
        assert_eq!(p["Since"][TSL_TYPE], "date");
        assert_eq!(p["On"][TRUE_LABEL], "开");
        assert_eq!(doc["events"]["Hot"][LEVEL], "alert");
        assert_eq!(
            doc["events"]["Hot"]["data"]["properties"]["t"]["type"],
            "number"
        );
        assert_eq!(doc["actions"]["Start"]["synchronous"], true);
        assert_eq!(doc["actions"]["Start"][CALL_TYPE], "sync");
        assert_eq!(
            doc["actions"]["Stop"],
            json!({"title": "Stop", "synchronous": false, "ironloom:callType": "async"})
        );
    }

    #[test]
    fn export_then_import_is_identity() {
        let (m, meta) = sample();
        let doc = m.to_wot_tm(&meta);
        let (back, back_meta) = ThingModel::from_wot(&doc).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            back_meta, meta,
            "nothing of our own export lands in the extras"
        );
        assert_eq!(back.to_wot_tm(&back_meta), doc);
    }

    #[test]
    fn third_party_keys_survive_and_the_model_wins_conflicts() {
        let doc = json!({
            "@context": ["https://www.w3.org/2019/wot/td/v1", {"@language": "de", "saref": "https://w3id.org/saref#"}],
            "@type": ["Thing", "saref:Pump"],
            "title": "Pumpe",
            "version": {"instance": "3.0"},
            "properties": {
                "level": {"type": "integer", "minimum": 0, "maximum": 9, "readOnly": false, "observable": false,
                          "titles": {"de": "Stufe"}, "forms": [{"href": "/level"}]},
                "cfg": {"type": "object", "required": ["a"], "properties": {
                    "a": {"type": "string", "description": "nested", "enum": ["x", "y"]}}}
            },
            "actions": {"toggle": {"forms": [{"href": "/toggle"}]},
                        "dim": {"input": {"type": "integer", "title": "Level"}, "safe": false}},
            "events": {"hot": {"data": {"type": "string"}, "subscription": {"type": "object"}},
                       "ping": {"data": {"type": "object"}}}
        });
        let (m, meta) = ThingModel::from_wot(&doc).unwrap();
        assert_eq!(meta.version, None);
        assert_eq!(meta.extensions["version"], json!({"instance": "3.0"}));
        assert_eq!(meta.extensions["@type"], json!(["saref:Pump"]));
        assert_eq!(
            meta.extensions["@context"],
            json!([{"@language": "de", "saref": "https://w3id.org/saref#"}])
        );
        assert_eq!(m.properties[1].access, AccessMode::ReadWrite);
        assert_eq!(m.services[0].input[0].identifier, "value");
        assert_eq!(m.services[0].input[0].name, "Level");
        assert_eq!(
            m.events[0].output[0].data_type,
            DataType::Text { max_length: None }
        );
        assert!(m.events[1].output.is_empty());

        let out = m.to_wot_tm(&meta);
        assert_eq!(out["@type"], json!(["tm:ThingModel", "saref:Pump"]));
        assert_eq!(out["version"], json!({"instance": "3.0"}));
        let level = &out["properties"]["level"];
        assert_eq!(
            level["observable"], false,
            "observable is not the model's to decide"
        );
        assert_eq!(level["readOnly"], false);
        assert_eq!(level["forms"], json!([{"href": "/level"}]));
        assert_eq!(level["titles"], json!({"de": "Stufe"}));
        let cfg = &out["properties"]["cfg"];
        assert_eq!(cfg["required"], json!(["a"]));
        assert_eq!(cfg["properties"]["a"]["description"], "nested");
        assert_eq!(cfg["properties"]["a"]["enum"], json!(["x", "y"]));
        assert_eq!(
            out["actions"]["dim"]["input"],
            json!({"type": "integer", "title": "Level"})
        );
        assert_eq!(out["actions"]["dim"]["safe"], false);
        assert_eq!(out["actions"]["toggle"].get("input"), None);
        assert_eq!(
            out["events"]["hot"]["data"],
            json!({"type": "string", "title": "value"})
        );
        assert_eq!(
            out["events"]["ping"]["data"],
            json!({"type": "object", "properties": {}})
        );
        assert_eq!(
            out["events"]["hot"]["subscription"],
            json!({"type": "object"})
        );
        assert!(out.get(AFFORDANCE_EXTRAS).is_none());
        let (again, _) = ThingModel::from_wot(&out).unwrap();
        assert_eq!(again, m);

        // Edits after import: the model wins, and removed fields don't come back half-made.
        let mut edited = m.clone();
        if let DataType::Int { max, .. } = &mut edited.properties[1].data_type {
            *max = Some(5);
        }
        edited.properties[0].data_type = DataType::Date;
        edited.services[0].input.push(FieldDef {
            identifier: "extra".into(),
            name: "Extra".into(),
            data_type: DataType::Date,
        });
        let out = edited.to_wot_tm(&meta);
        assert_eq!(out["properties"]["level"]["maximum"], 5);
        let cfg = &out["properties"]["cfg"];
        assert_eq!(
            cfg.get("properties"),
            None,
            "kept field schemas of a former struct"
        );
        assert_eq!(cfg["type"], "integer");
        assert_eq!(cfg["required"], json!(["a"]), "unowned keys are still kept");
        assert_eq!(
            out["actions"]["dim"]["input"]["type"], "object",
            "no longer a scalar payload"
        );
        assert_eq!(ThingModel::from_wot(&out).unwrap().0, edited);
    }

    #[test]
    fn order_hints_restore_order_and_tolerate_junk() {
        let doc = json!({"title": "t", ORDER: {"properties": ["b", "nope", 3, "b"]},
            "properties": {"a": {"type": "boolean"}, "b": {"type": "boolean"}, "c": {"type": "boolean"}}});
        let (m, _) = ThingModel::from_wot(&doc).unwrap();
        let ids: Vec<_> = m.properties.iter().map(|p| p.identifier.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        let doc = json!({"title": "t", ORDER: 5, "properties": {"b": {"type": "boolean"}, "a": {"type": "boolean"}}});
        assert_eq!(
            ThingModel::from_wot(&doc).unwrap().0.properties[0].identifier,
            "a"
        );
    }

    #[track_caller]
    fn rejects(doc: Value, path: &str, kind: K) {
        let e = ThingModel::from_wot(&doc).expect_err("document should be rejected");
        assert_eq!((e.path.as_str(), &e.kind), (path, &kind), "{e}");
    }

    #[test]
    fn import_errors_name_the_document_key() {
        rejects(json!("x"), "", K::WrongJsonType(JsonType::Object));
        rejects(
            json!({"@type": "Device", "title": "t"}),
            "@type",
            K::WrongThingType("Device".into()),
        );
        rejects(
            json!({"@type": ["saref:Pump"], "title": "t"}),
            "@type",
            K::WrongThingType("saref:Pump".into()),
        );
        rejects(
            json!({"@type": 3, "title": "t"}),
            "@type",
            K::WrongJsonType(JsonType::String),
        );
        rejects(json!({"@type": "Thing"}), "title", K::MissingField);
        rejects(
            json!({"title": "t", "properties": {"flow": {"title": "F"}}}),
            "properties.flow.type",
            K::MissingField,
        );
        rejects(
            json!({"title": "t", "properties": {"flow": {"type": "null"}}}),
            "properties.flow.type",
            K::UnsupportedType("null".into()),
        );
        rejects(
            json!({"title": "t", "properties": {"flow": {"type": "number", "minimum": 5, "maximum": 1}}}),
            "properties.flow.minimum",
            K::MinGreaterThanMax,
        );
        rejects(
            json!({"title": "t", "properties": {"flow": {"type": "number", "minimum": "0"}}}),
            "properties.flow.minimum",
            K::WrongJsonType(JsonType::Number),
        );
        rejects(
            json!({"title": "t", "properties": {"n": {"type": "integer", "maximum": 1.5}}}),
            "properties.n.maximum",
            K::InvalidInteger("1.5".into()),
        );
        rejects(
            json!({"title": "t", "properties": {"n": {"type": "number", TSL_TYPE: "decimal"}}}),
            "properties.n.ironloom:tslType",
            K::UnsupportedType("number/decimal".into()),
        );
        rejects(
            json!({"title": "t", "properties": {"n": {"type": "boolean", "readOnly": true, "writeOnly": true}}}),
            "properties.n",
            K::ReadOnlyAndWriteOnly,
        );
        rejects(
            json!({"title": "t", "properties": {"n": {"type": "integer", "enum": [0, 1], ENUM_LABELS: {"2": "x"}}}}),
            "properties.n.ironloom:enumLabels.2",
            K::EnumLabelWithoutValue("2".into()),
        );
        rejects(
            json!({"title": "t", "properties": {"n": {"type": "integer", "enum": [0, "a"]}}}),
            "properties.n.enum[1]",
            K::WrongJsonType(JsonType::Integer),
        );
        rejects(
            json!({"title": "t", "properties": {"a": {"type": "array"}}}),
            "properties.a.items",
            K::MissingField,
        );
        rejects(
            json!({"title": "t", "properties": {"a": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}}}),
            "properties.a.items",
            K::NestedArray,
        );
        rejects(
            json!({"title": "t", "properties": {"s": {"type": "string", "maxLength": -1}}}),
            "properties.s.maxLength",
            K::NotInRange { min: 1, max: 10240 },
        );
        rejects(
            json!({"title": "t", "events": {"e": {"data": {"type": "object", "properties": {"x": {"type": "integer", "minimum": 3, "maximum": 1}}}}}}),
            "events.e.data.properties.x.minimum",
            K::MinGreaterThanMax,
        );
        rejects(
            json!({"title": "t", "events": {"e": {LEVEL: "fatal"}}}),
            "events.e.ironloom:level",
            K::UnknownVariant {
                found: "fatal".into(),
                expected: "info, alert, error".into(),
            },
        );
        rejects(
            json!({"title": "t", "actions": {"on-off": {}}}),
            "actions.on-off",
            K::InvalidIdentifier("on-off".into()),
        );
        rejects(
            json!({"title": "t", "properties": {"a": {"type": "boolean"}}, "tm:required": ["#/properties/b"]}),
            "tm:required[0]",
            K::UnknownReference("#/properties/b".into()),
        );
    }

    #[test]
    fn lenient_where_third_party_documents_differ() {
        let doc = json!({
            "@context": "https://www.w3.org/2022/wot/td/v1.1",
            "title": "t",
            "version": "2",
            "properties": {
                "n": {"type": "number"},
                "ts": {"type": "string", "format": "date-time"},
                "e": {"type": "integer", "enum": [3, 1]},
                "l": {"type": "integer", ENUM_LABELS: {"0": "off"}},
                "f": {"type": "integer", "minimum": 2.0},
                "arr": {"type": "array", "items": {"type": "boolean"}}
            },
            "tm:required": ["#/properties/n"]
        });
        let (m, meta) = ThingModel::from_wot(&doc).unwrap();
        assert_eq!(meta.version.as_deref(), Some("2"));
        assert!(!meta.extensions.contains_key("@context"));
        let dt = |id: &str| {
            &m.properties
                .iter()
                .find(|p| p.identifier == id)
                .unwrap()
                .data_type
        };
        assert!(matches!(dt("n"), DataType::Double { min: None, .. }));
        assert_eq!(dt("ts"), &DataType::Text { max_length: None });
        assert_eq!(
            dt("e"),
            &DataType::Enum {
                values: [("1".into(), "1".into()), ("3".into(), "3".into())].into()
            }
        );
        assert_eq!(
            dt("l"),
            &DataType::Enum {
                values: [("0".into(), "off".into())].into()
            }
        );
        assert!(matches!(dt("f"), DataType::Int { min: Some(2), .. }));
        assert!(matches!(
            dt("arr"),
            DataType::Array {
                size: MAX_ARRAY_SIZE,
                ..
            }
        ));
        assert!(
            m.properties
                .iter()
                .find(|p| p.identifier == "n")
                .unwrap()
                .required
        );
        assert_eq!(
            m.properties[0].name, m.properties[0].identifier,
            "missing title → identifier"
        );
        let out = m.to_wot_tm(&meta);
        assert_eq!(out["properties"]["ts"]["format"], "date-time");
    }

    #[test]
    fn absurd_nesting_is_refused_before_it_can_exhaust_the_stack() {
        // Built by hand: `json!` would serialise the inner value, recursing as deep as it is.
        let mut schema = json!({"type": "boolean"});
        for _ in 0..10_000 {
            let mut outer = Object::new();
            outer.insert("type".into(), "array".into());
            outer.insert("items".into(), schema);
            schema = Value::Object(outer);
        }
        let mut props = Object::new();
        props.insert("deep".into(), schema);
        let mut doc = json!({"title": "t"});
        doc["properties"] = Value::Object(props);
        let e = ThingModel::from_wot(&doc).unwrap_err();
        assert_eq!(e.kind, K::NestingTooDeep { max: 4 });
        assert!(
            e.path.starts_with("properties.deep.items.items."),
            "{}",
            e.path
        );
        // Deep but within the parse limit: validation names the real problem.
        let nested = json!({"title": "t", "properties": {"a": {"type": "array", "items":
            {"type": "array", "items": {"type": "boolean"}}}}});
        assert_eq!(
            ThingModel::from_wot(&nested).unwrap_err().kind,
            K::NestedArray
        );
        // Dropping is recursive too, and not what is under test.
        std::mem::forget(doc);
    }

    #[test]
    fn numbers_are_written_as_integers_when_integral() {
        assert_eq!(number(0.0), json!(0));
        assert_eq!(number(-40.0), json!(-40));
        assert_eq!(number(0.1), json!(0.1));
        assert_eq!(number(1e300), json!(1e300));
        assert_eq!(number(f64::NAN), Value::Null);
    }
}
