//! Payloads devices send, read into the internal model.
//!
//! Encodings: JSON, or CBOR (RFC 8949) as the compact binary one. CBOR is recognised by
//! its content type (`application/cbor`, CoAP content format 60, MQTT 5 content type) or,
//! without one, by the first byte: a CBOR map or array starts with a byte of 0x80–0xBF,
//! which no JSON text does.

use ironloom_core::device::Reported;
use ironloom_core::telemetry::Quality;
use serde_json::{Map, Value as Json};

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the payload is not valid JSON: {0}")]
    Json(String),
    #[error("the payload is not valid CBOR: {0}")]
    Cbor(String),
    #[error("{0}")]
    Shape(String),
    #[error("the message carries more than {0} values")]
    TooManyValues(usize),
}

/// Most values one message may carry.
pub const MAX_VALUES: usize = 10_000;
/// Deepest nesting accepted in a payload.
const MAX_DEPTH: usize = 32;

/// How a payload is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Cbor,
}

impl Encoding {
    /// From a content type (MIME), when it names one of ours.
    pub fn from_content_type(ct: &str) -> Option<Encoding> {
        let ct = ct.split(';').next().unwrap_or("").trim();
        match ct.to_ascii_lowercase().as_str() {
            "application/json" | "text/json" => Some(Encoding::Json),
            "application/cbor" => Some(Encoding::Cbor),
            _ => None,
        }
    }

    /// From the first byte, when nothing says otherwise.
    pub fn sniff(payload: &[u8]) -> Encoding {
        match payload.first() {
            Some(0x80..=0xbf) => Encoding::Cbor,
            _ => Encoding::Json,
        }
    }
}

fn depth(v: &Json) -> usize {
    match v {
        Json::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Json::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Decodes a payload into a JSON tree.
pub fn decode(payload: &[u8], encoding: Option<Encoding>) -> Result<Json, PayloadError> {
    let v = match encoding.unwrap_or_else(|| Encoding::sniff(payload)) {
        // serde_json refuses nesting beyond 128 levels itself.
        Encoding::Json => serde_json::from_slice::<Json>(payload)
            .map_err(|e| PayloadError::Json(e.to_string()))?,
        Encoding::Cbor => {
            let v: ciborium::Value =
                ciborium::de::from_reader_with_recursion_limit(payload, MAX_DEPTH)
                    .map_err(|e| PayloadError::Cbor(e.to_string()))?;
            cbor_to_json(v, 0)?
        }
    };
    if depth(&v) > MAX_DEPTH {
        return Err(PayloadError::Shape(format!(
            "the payload is nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(v)
}

fn cbor_to_json(v: ciborium::Value, level: usize) -> Result<Json, PayloadError> {
    use ciborium::Value as C;
    if level > MAX_DEPTH {
        return Err(PayloadError::Shape(
            "the payload is nested too deeply".into(),
        ));
    }
    Ok(match v {
        C::Null => Json::Null,
        C::Bool(b) => Json::Bool(b),
        C::Integer(i) => {
            let i = i128::from(i);
            if let Ok(i) = i64::try_from(i) {
                Json::from(i)
            } else if let Ok(u) = u64::try_from(i) {
                Json::from(u)
            } else {
                return Err(PayloadError::Cbor("an integer beyond 64 bits".into()));
            }
        }
        C::Float(f) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .ok_or_else(|| PayloadError::Cbor("NaN or infinite number".into()))?,
        C::Text(s) => Json::String(s),
        C::Bytes(b) => Json::String(hex_string(&b)),
        C::Tag(_, inner) => cbor_to_json(*inner, level + 1)?,
        C::Array(a) => Json::Array(
            a.into_iter()
                .map(|x| cbor_to_json(x, level + 1))
                .collect::<Result<_, _>>()?,
        ),
        C::Map(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    C::Text(s) => s,
                    C::Integer(i) => i128::from(i).to_string(),
                    _ => return Err(PayloadError::Cbor("map keys must be text".into())),
                };
                out.insert(key, cbor_to_json(v, level + 1)?);
            }
            Json::Object(out)
        }
        _ => return Err(PayloadError::Cbor("an unsupported CBOR item".into())),
    })
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn ts_of(v: &Json) -> Result<i64, PayloadError> {
    match v {
        Json::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| PayloadError::Shape("\"ts\" must be milliseconds (an integer)".into())),
        Json::String(s) => s
            .trim()
            .parse()
            .map_err(|_| PayloadError::Shape("\"ts\" must be milliseconds (an integer)".into())),
        _ => Err(PayloadError::Shape(
            "\"ts\" must be milliseconds (an integer)".into(),
        )),
    }
}

fn push_values(
    out: &mut Vec<Reported>,
    values: Map<String, Json>,
    ts: Option<i64>,
) -> Result<(), PayloadError> {
    if out.len() + values.len() > MAX_VALUES {
        return Err(PayloadError::TooManyValues(MAX_VALUES));
    }
    out.extend(
        values
            .into_iter()
            .map(|(key, value)| Reported::new(key, ts, value)),
    );
    Ok(())
}

fn telemetry_object(out: &mut Vec<Reported>, mut o: Map<String, Json>) -> Result<(), PayloadError> {
    // ThingsBoard: an object is timestamped only when it has both `ts` and `values`.
    // Ironloom's gateway adds `quality` (key → good|uncertain|bad) and `errors` (key →
    // why the source has no value, or why its quality is bad).
    let timestamped = o.contains_key("ts")
        && o.get("values").is_some_and(Json::is_object)
        && o.keys()
            .all(|k| matches!(k.as_str(), "ts" | "values" | "quality" | "errors"));
    if !timestamped {
        return push_values(out, o, None);
    }
    let ts = ts_of(&o["ts"])?;
    let Some(Json::Object(values)) = o.remove("values") else {
        return Err(PayloadError::Shape("\"values\" must be an object".into()));
    };
    let object = |o: &mut Map<String, Json>, name: &str| match o.remove(name) {
        None => Ok(Map::new()),
        Some(Json::Object(m)) => Ok(m),
        Some(_) => Err(PayloadError::Shape(format!("\"{name}\" must be an object"))),
    };
    let quality = object(&mut o, "quality")?;
    let mut errors = object(&mut o, "errors")?;
    let start = out.len();
    push_values(out, values, Some(ts))?;
    for r in &mut out[start..] {
        if let Some(q) = quality.get(&r.key) {
            r.quality = quality_of(q)?;
            if r.quality != Quality::Good
                && let Some(Json::String(e)) = errors.remove(&r.key)
            {
                r.source_error = Some(e.into_boxed_str());
            }
        }
    }
    if out.len() + errors.len() > MAX_VALUES {
        return Err(PayloadError::TooManyValues(MAX_VALUES));
    }
    for (key, e) in errors {
        if out[start..].iter().any(|r| r.key == key) {
            continue;
        }
        let reason = match e {
            Json::String(s) => s,
            other => other.to_string(),
        };
        let mut r = Reported::new(key, Some(ts), Json::Null);
        r.quality = Quality::Bad;
        r.source_error = Some(reason.into_boxed_str());
        out.push(r);
    }
    Ok(())
}

fn quality_of(v: &Json) -> Result<Quality, PayloadError> {
    match v.as_str() {
        Some("good") => Ok(Quality::Good),
        Some("uncertain") => Ok(Quality::Uncertain),
        Some("bad") => Ok(Quality::Bad),
        _ => Err(PayloadError::Shape(format!(
            "a quality must be \"good\", \"uncertain\" or \"bad\", not {v}"
        ))),
    }
}

/// ThingsBoard telemetry: `{"k":v,…}`, `{"ts":ms,"values":{…}}`, or an array of those.
pub fn tb_telemetry(v: Json) -> Result<Vec<Reported>, PayloadError> {
    let mut out = Vec::new();
    match v {
        Json::Object(o) => telemetry_object(&mut out, o)?,
        Json::Array(items) => {
            for item in items {
                match item {
                    Json::Object(o) => telemetry_object(&mut out, o)?,
                    _ => {
                        return Err(PayloadError::Shape(
                            "each element of a telemetry array must be an object".into(),
                        ));
                    }
                }
            }
        }
        _ => {
            return Err(PayloadError::Shape(
                "telemetry must be an object or an array of objects".into(),
            ));
        }
    }
    Ok(out)
}

/// ThingsBoard telemetry from a payload: what [`decode`] and then [`tb_telemetry`] give,
/// read straight from the JSON text for the common shapes (`{"k":v,…}` and
/// `{"ts":ms,"values":{…}}`): the message's object and its `values` are read into lists
/// instead of a tree of maps that is taken apart right after. Everything else (arrays,
/// `quality` and `errors`, CBOR, invalid JSON) takes the general path.
pub fn telemetry(
    payload: &[u8],
    encoding: Option<Encoding>,
) -> Result<Vec<Reported>, PayloadError> {
    if encoding.unwrap_or_else(|| Encoding::sniff(payload)) == Encoding::Json
        && let Some(r) = flat::telemetry(payload)
    {
        return r;
    }
    decode(payload, encoding).and_then(tb_telemetry)
}

/// The quick path of [`telemetry`]. `None`: the general path decides (and words the
/// error, if any).
mod flat {
    use std::fmt;

    use ironloom_core::device::Reported;
    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
    use serde_json::{Map, Value as Json};

    use super::{MAX_DEPTH, MAX_VALUES, PayloadError, depth, ts_of};

    /// Room for the values of a typical message from the start: ten take 960 bytes, under
    /// the 1 KiB from which an allocation costs more.
    const FIRST: usize = 10;

    /// `values` (an object: anything else fails the quick path) as a JSON object again.
    fn values_json(values: Vec<Reported>) -> Json {
        Json::Object(
            values
                .into_iter()
                .map(|r| (r.key, r.value))
                .collect::<Map<String, Json>>(),
        )
    }

    /// As a JSON object (a map by key) holds members: in key order, the last of equal keys.
    fn by_key(members: &mut Vec<Reported>) {
        members.sort_by(|a, b| a.key.cmp(&b.key));
        members.dedup_by(|next, kept| {
            if next.key == kept.key {
                std::mem::swap(next, kept);
                true
            } else {
                false
            }
        });
    }

    pub(super) fn telemetry(payload: &[u8]) -> Option<Result<Vec<Reported>, PayloadError>> {
        let Message {
            mut members,
            values,
        } = serde_json::from_slice(payload).ok()?;
        let depth = 1 + members
            .iter()
            .map(|r| depth(&r.value))
            .chain(
                values
                    .as_ref()
                    .map(|v| 1 + v.iter().map(|r| depth(&r.value)).max().unwrap_or(0)),
            )
            .max()
            .unwrap_or(0);
        if depth > MAX_DEPTH {
            return None;
        }
        let has = |members: &[Reported], key: &str| members.iter().any(|r| r.key == key);
        let timestamped = has(&members, "ts")
            && values.is_some()
            && members
                .iter()
                .all(|r| matches!(r.key.as_str(), "ts" | "quality" | "errors"));
        if !timestamped {
            if let Some(v) = values {
                members.push(Reported::new("values".to_owned(), None, values_json(v)));
            }
            by_key(&mut members);
            if members.len() > MAX_VALUES {
                return None;
            }
            return Some(Ok(members));
        }
        if has(&members, "quality") || has(&members, "errors") {
            return None;
        }
        // The last `ts` sent counts, as in a JSON object.
        let ts = members.iter().rev().find(|r| r.key == "ts")?;
        let ts = match ts_of(&ts.value) {
            Ok(ts) => ts,
            Err(e) => return Some(Err(e)),
        };
        let mut values = values?;
        by_key(&mut values);
        if values.len() > MAX_VALUES {
            return None;
        }
        for r in &mut values {
            r.ts_ms = Some(ts);
        }
        Some(Ok(values))
    }

    /// The message's object: its members but `values`, in the order sent, and the members
    /// of the last `values`, already in the form they are returned in (so the common
    /// `{"ts":…,"values":{…}}` message is read into one list).
    struct Message {
        members: Vec<Reported>,
        values: Option<Vec<Reported>>,
    }

    impl<'de> de::Deserialize<'de> for Message {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(MessageVisitor)
        }
    }

    struct MessageVisitor;

    impl<'de> Visitor<'de> for MessageVisitor {
        type Value = Message;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
            let mut members = Vec::with_capacity(FIRST);
            let mut values = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == "values" {
                    values = Some(map.next_value_seed(ValuesSeed)?);
                    continue;
                }
                if members.len() > MAX_VALUES {
                    return Err(de::Error::custom("too many values"));
                }
                members.push(Reported::new(key, None, map.next_value()?));
            }
            Ok(Message { members, values })
        }
    }

    /// `values` when it is an object, as a list of members. Anything else fails the quick
    /// path (`deserialize_map`, not `deserialize_any`: with serde_json's
    /// `arbitrary_precision`, which a dependency turns on, a number would come as a map).
    struct ValuesSeed;

    impl<'de> DeserializeSeed<'de> for ValuesSeed {
        type Value = Vec<Reported>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Reported>, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for ValuesSeed {
        type Value = Vec<Reported>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Reported>, A::Error> {
            let mut members = Vec::with_capacity(FIRST);
            while let Some((k, v)) = map.next_entry::<String, Json>()? {
                if members.len() > MAX_VALUES {
                    return Err(de::Error::custom("too many values"));
                }
                members.push(Reported::new(k, None, v));
            }
            Ok(members)
        }
    }
}

/// A value on a single-property topic or path: any JSON value, or a bare text that is not
/// JSON (taken as a string).
pub fn single_value(
    key: &str,
    payload: &[u8],
    encoding: Option<Encoding>,
) -> Result<Vec<Reported>, PayloadError> {
    let value = match decode(payload, encoding) {
        Ok(v) => v,
        Err(e) if encoding.is_none() || encoding == Some(Encoding::Json) => {
            match std::str::from_utf8(payload) {
                Ok(s) if !s.trim().is_empty() => Json::String(s.trim().to_owned()),
                _ => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    Ok(vec![Reported::new(key.to_owned(), None, value)])
}

/// An Alink request envelope: `{"id":"1","version":"1.0","params":…,"method":…,"sys":{"ack":0}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlinkRequest {
    /// As sent (Alink ids are strings; numbers are accepted and echoed as strings).
    pub id: String,
    pub method: Option<String>,
    pub params: Json,
    /// `sys.ack = 0`: the device wants no reply.
    pub wants_reply: bool,
}

pub fn alink_request(v: Json) -> Result<AlinkRequest, PayloadError> {
    let Json::Object(mut o) = v else {
        return Err(PayloadError::Shape(
            "an Alink request must be a JSON object".into(),
        ));
    };
    let id = match o.remove("id") {
        Some(Json::String(s)) => s,
        Some(Json::Number(n)) => n.to_string(),
        None => String::new(),
        Some(_) => return Err(PayloadError::Shape("\"id\" must be a string".into())),
    };
    let method = match o.remove("method") {
        Some(Json::String(s)) => Some(s),
        _ => None,
    };
    let wants_reply = !o
        .get("sys")
        .and_then(|s| s.get("ack"))
        .is_some_and(|a| a == &Json::from(0));
    Ok(AlinkRequest {
        id,
        method,
        params: o.remove("params").unwrap_or(Json::Null),
        wants_reply,
    })
}

/// Alink property post params: `{"p": v}` or `{"p": {"value": v, "time": ms}}`.
pub fn alink_properties(params: Json) -> Result<Vec<Reported>, PayloadError> {
    let Json::Object(o) = params else {
        return Err(PayloadError::Shape("\"params\" must be an object".into()));
    };
    if o.len() > MAX_VALUES {
        return Err(PayloadError::TooManyValues(MAX_VALUES));
    }
    let mut out = Vec::with_capacity(o.len());
    for (key, v) in o {
        match v {
            Json::Object(mut inner)
                if inner.contains_key("value")
                    && inner.keys().all(|k| k == "value" || k == "time") =>
            {
                let ts = inner.get("time").map(ts_of).transpose()?;
                out.push(Reported::new(
                    key,
                    ts,
                    inner.remove("value").unwrap_or(Json::Null),
                ));
            }
            value => out.push(Reported::new(key, None, value)),
        }
    }
    Ok(out)
}

/// An Alink reply: `{"id":…,"code":200,"data":{},"message":"success","method":…,"version":"1.0"}`.
pub fn alink_reply(
    id: &str,
    code: u32,
    message: &str,
    method: Option<&str>,
    data: Json,
) -> Vec<u8> {
    let mut o = Map::new();
    o.insert("id".into(), Json::String(id.to_owned()));
    o.insert("code".into(), Json::from(code));
    o.insert("data".into(), data);
    o.insert("message".into(), Json::String(message.to_owned()));
    if let Some(m) = method {
        o.insert("method".into(), Json::String(m.to_owned()));
    }
    o.insert("version".into(), Json::String("1.0".into()));
    Json::Object(o).to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn telemetry_read_straight_from_json_equals_the_tree_path() {
        let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let deep_values = format!(r#"{{"ts":1,"values":{{"a":{}}}}}"#, deep);
        let cases: Vec<String> = [
            r#"{"v0":21.4,"v1":-3,"v2":18446744073709551615,"v3":true,"v4":"on","v5":null}"#,
            r#"{"ts":1700000000000,"values":{"v1":1.5,"v0":2,"v0":3}}"#,
            r#"{"ts":"1700000000000","values":{"a":{"x":[1,2]},"b":[1,{"c":2}]}}"#,
            r#"{"ts":1.5,"values":{"a":1}}"#,
            r#"{"ts":-1,"values":{"a":1}}"#,
            r#"{"ts":true,"values":{"a":1}}"#,
            r#"{"ts":1,"values":{"a":1},"other":2}"#,
            r#"{"ts":1,"values":5}"#,
            r#"{"ts":1,"values":[1,2]}"#,
            r#"{"values":{"a":1}}"#,
            r#"{"values":{"a":1},"values":7,"ts":3}"#,
            r#"{"ts":3,"values":7,"values":{"a":1}}"#,
            r#"{"ts":1,"values":{"a":1,"b":2},"quality":{"a":"bad"},"errors":{"a":"timeout","c":"gone"}}"#,
            r#"{"ts":1,"values":{"a":1},"quality":{"a":"excellent"}}"#,
            r#"{"b":1,"a":{"nested":{"deeper":true}},"b":2}"#,
            r#"[{"a":1},{"ts":2,"values":{"b":2}}]"#,
            r#"[1]"#,
            r#"{}"#,
            r#"{"ts":1,"values":{}}"#,
            r#""text""#,
            r#"42"#,
            r#"{"a":1,}"#,
            r#"{"a":1} trailing"#,
            r#"{"a":"unterminated}"#,
            "",
            "  {\"a\" : 1 }  ",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([format!(r#"{{"a":{deep}}}"#), deep_values])
        .collect();
        for case in &cases {
            let tree = decode(case.as_bytes(), None).and_then(tb_telemetry);
            for encoding in [None, Some(Encoding::Json)] {
                assert_eq!(telemetry(case.as_bytes(), encoding), tree, "{case}");
            }
        }
        // More values than a message may carry, both shapes.
        let many: Vec<String> = (0..=MAX_VALUES).map(|i| format!(r#""k{i}":{i}"#)).collect();
        for case in [
            format!("{{{}}}", many.join(",")),
            format!(r#"{{"ts":1,"values":{{{}}}}}"#, many.join(",")),
        ] {
            let tree = decode(case.as_bytes(), None).and_then(tb_telemetry);
            assert!(matches!(tree, Err(PayloadError::TooManyValues(_))));
            assert_eq!(telemetry(case.as_bytes(), None), tree);
        }
        // CBOR goes the general way.
        let mut cbor = Vec::new();
        assert!(ciborium::ser::into_writer(&json!({"a": 1.5}), &mut cbor).is_ok());
        assert_eq!(
            telemetry(&cbor, None),
            decode(&cbor, None).and_then(tb_telemetry)
        );
    }

    fn keys(r: &[Reported]) -> Vec<(String, Option<i64>, Json)> {
        r.iter()
            .map(|x| (x.key.clone(), x.ts_ms, x.value.clone()))
            .collect()
    }

    #[test]
    fn thingsboard_telemetry_shapes() {
        let r = tb_telemetry(json!({"a": 1, "b": "x"})).unwrap();
        assert_eq!(
            keys(&r),
            vec![("a".into(), None, json!(1)), ("b".into(), None, json!("x"))]
        );
        let r = tb_telemetry(json!({"ts": 1700000000000u64, "values": {"a": 2}})).unwrap();
        assert_eq!(
            keys(&r),
            vec![("a".into(), Some(1_700_000_000_000), json!(2))]
        );
        let r = tb_telemetry(
            json!([{"ts": 1, "values": {"a": 1}}, {"ts": 2, "values": {"a": 2}}, {"c": true}]),
        )
        .unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].ts_ms, Some(2));
        // `ts` without `values` is an ordinary key.
        let r = tb_telemetry(json!({"ts": 5, "a": 1})).unwrap();
        assert_eq!(r.len(), 2);
        assert!(tb_telemetry(json!(5)).is_err());
        assert!(tb_telemetry(json!([1])).is_err());
        assert!(tb_telemetry(json!({"ts": "soon", "values": {"a": 1}})).is_err());
    }

    #[test]
    fn cbor_is_recognised_and_decoded_like_json() {
        let mut buf = Vec::new();
        ciborium::ser::into_writer(
            &json!({"ts": 1700000000000u64, "values": {"t": 21.5, "on": true}}),
            &mut buf,
        )
        .unwrap();
        assert_eq!(Encoding::sniff(&buf), Encoding::Cbor);
        assert_eq!(Encoding::sniff(b"{\"a\":1}"), Encoding::Json);
        let v = decode(&buf, None).unwrap();
        let r = tb_telemetry(v).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].ts_ms, Some(1_700_000_000_000));
        assert!(decode(&[0xa1, 0x61], None).is_err(), "truncated CBOR");
        assert_eq!(
            Encoding::from_content_type("application/cbor; x=1"),
            Some(Encoding::Cbor)
        );
    }

    #[test]
    fn hostile_payloads_are_refused_not_crashed_on() {
        assert!(decode(b"{\"a\":", None).is_err());
        assert!(decode(&[0xff; 64], None).is_err());
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(decode(deep.as_bytes(), None).is_err());
        // CBOR nested 1000 arrays deep.
        assert!(decode(&vec![0x81; 1000], None).is_err());
        // CBOR claiming a 4 GB string.
        assert!(decode(&[0x7a, 0xff, 0xff, 0xff, 0xff], None).is_err());
    }

    #[test]
    fn alink_envelopes_and_property_forms() {
        let req = alink_request(json!({
            "id": "123", "version": "1.0", "sys": {"ack": 0},
            "params": {"Power": "on", "WF": {"value": 23.6, "time": 1524448722000u64},
                       "Pos": {"x": 1}},
            "method": "thing.event.property.post"
        }))
        .unwrap();
        assert_eq!(req.id, "123");
        assert!(!req.wants_reply);
        let r = alink_properties(req.params).unwrap();
        let k = keys(&r);
        assert!(k.contains(&("Power".into(), None, json!("on"))));
        assert!(k.contains(&("WF".into(), Some(1_524_448_722_000), json!(23.6))));
        // A struct value that merely has other keys stays a struct.
        assert!(k.contains(&("Pos".into(), None, json!({"x": 1}))));
        assert!(alink_request(json!([1])).is_err());
        let reply: Json =
            serde_json::from_slice(&alink_reply("7", 200, "success", Some("m"), json!({})))
                .unwrap();
        assert_eq!(reply["id"], "7");
        assert_eq!(reply["code"], 200);
        assert_eq!(reply["version"], "1.0");
    }

    #[test]
    fn single_values_may_be_bare_text() {
        let r = single_value("temp", b"21.5", None).unwrap();
        assert_eq!(r[0].value, json!(21.5));
        let r = single_value("mode", b"auto", None).unwrap();
        assert_eq!(r[0].value, json!("auto"));
        assert!(single_value("x", b"", None).is_err());
    }
}
