//! Path-aware readers for the importers: each failure says where in the document it happened.
//!
//! `null` counts as absent everywhere, because hand-edited and generated documents both use it
//! for "not set".

use serde_json::{Map, Value};

use super::error::{JsonType, ThingModelError, ThingModelErrorKind};

pub(super) type Object = Map<String, Value>;
pub(super) type Result<T> = std::result::Result<T, ThingModelError>;

pub(super) fn key_path(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

pub(super) fn index_path(base: &str, i: usize) -> String {
    format!("{base}[{i}]")
}

pub(super) fn wrong_type(path: impl Into<String>, t: JsonType) -> ThingModelError {
    ThingModelError::new(path, ThingModelErrorKind::WrongJsonType(t))
}

pub(super) fn missing(path: impl Into<String>) -> ThingModelError {
    ThingModelError::new(path, ThingModelErrorKind::MissingField)
}

pub(super) fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Object> {
    v.as_object()
        .ok_or_else(|| wrong_type(path, JsonType::Object))
}

fn present<'a>(obj: &'a Object, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

pub(super) fn opt_str<'a>(obj: &'a Object, key: &str, base: &str) -> Result<Option<&'a str>> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong_type(key_path(base, key), JsonType::String)),
    }
}

pub(super) fn req_str<'a>(obj: &'a Object, key: &str, base: &str) -> Result<&'a str> {
    opt_str(obj, key, base)?.ok_or_else(|| missing(key_path(base, key)))
}

pub(super) fn opt_bool(obj: &Object, key: &str, base: &str) -> Result<Option<bool>> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(wrong_type(key_path(base, key), JsonType::Boolean)),
    }
}

pub(super) fn opt_object<'a>(obj: &'a Object, key: &str, base: &str) -> Result<Option<&'a Object>> {
    match present(obj, key) {
        None => Ok(None),
        Some(v) => as_object(v, &key_path(base, key)).map(Some),
    }
}

pub(super) fn opt_array<'a>(obj: &'a Object, key: &str, base: &str) -> Result<Option<&'a [Value]>> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(wrong_type(key_path(base, key), JsonType::Array)),
    }
}

/// How deep data types may nest while parsing. Valid models stay far below (structs ≤ 4 deep,
/// arrays between them), but the parsers recurse before validation runs, so a hostile or
/// generated document must not get to choose the recursion depth.
pub(super) const PARSE_DEPTH: usize = 16;

pub(super) fn check_depth(depth: usize, path: &str) -> Result<()> {
    if depth > PARSE_DEPTH {
        Err(ThingModelError::new(
            path,
            ThingModelErrorKind::NestingTooDeep {
                max: super::MAX_STRUCT_DEPTH,
            },
        ))
    } else {
        Ok(())
    }
}

/// Whether a name has Han characters, which is when exports add a `zh` language-map entry.
pub(super) fn has_han(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c,
            '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{3134F}')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readers_report_the_full_path() {
        let v = json!({"a": 1, "b": "x", "n": null});
        let o = v.as_object().unwrap();
        assert_eq!(opt_str(o, "n", "root").unwrap(), None);
        assert_eq!(req_str(o, "b", "root").unwrap(), "x");
        let e = req_str(o, "a", "root").unwrap_err();
        assert_eq!(e.path, "root.a");
        assert_eq!(e.kind, ThingModelErrorKind::WrongJsonType(JsonType::String));
        let e = req_str(o, "zz", "").unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.kind),
            ("zz", ThingModelErrorKind::MissingField)
        );
        assert!(opt_array(o, "b", "").is_err());
        assert!(opt_bool(o, "b", "").is_err());
        assert_eq!(index_path("p", 3), "p[3]");
    }

    #[test]
    fn han_detection() {
        assert!(has_han("流量"));
        assert!(has_han("Pump 泵"));
        assert!(!has_han("Flow"));
        assert!(!has_han("ポンプ"));
    }
}
