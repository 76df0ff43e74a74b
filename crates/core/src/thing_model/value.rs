//! Checking values a device sends (or a user writes) against a [`DataType`].

use std::fmt;

use serde_json::Value;

use super::DataType;
use super::error::clip;
use crate::i18n::Locale;

/// A value that does not fit its data type.
///
/// `path` leads from the checked value to the offending part: empty for the value itself,
/// `temp` for a struct field, `[3]` for an array item, `axes[3].pos` combined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ValueError {
    pub path: String,
    pub kind: ValueErrorKind,
}

/// The kind of value a data type wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedValue {
    Integer,
    Number,
    /// `true`/`false`, or `0`/`1`.
    Boolean,
    String,
    /// A non-negative integer: milliseconds since the Unix epoch.
    Timestamp,
    Object,
    Array,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueErrorKind {
    WrongType(ExpectedValue),
    /// Below the minimum, which is given as it was declared.
    TooSmall(String),
    /// Above the maximum, which is given as it was declared.
    TooLarge(String),
    /// An integer that is not one of the enum's values.
    NotInEnum(String),
    TextTooLong {
        max: u32,
    },
    TooManyItems {
        max: u32,
    },
    UnknownField(String),
}

impl ValueError {
    fn new(kind: ValueErrorKind) -> Self {
        ValueError {
            path: String::new(),
            kind,
        }
    }

    /// Puts `segment` (a field name or `[i]`) in front of the path.
    fn under(mut self, segment: &str) -> Self {
        self.path = if self.path.is_empty() {
            segment.to_string()
        } else if self.path.starts_with('[') {
            format!("{segment}{}", self.path)
        } else {
            format!("{segment}.{}", self.path)
        };
        self
    }

    /// The reason, without the path, in the given language.
    pub fn message(&self, locale: Locale) -> String {
        self.kind.message(locale)
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message(Locale::En))
        } else {
            write!(f, "{}: {}", self.path, self.message(Locale::En))
        }
    }
}

impl ValueErrorKind {
    pub fn message(&self, locale: Locale) -> String {
        use ValueErrorKind as K;
        let zh = locale == Locale::ZhCn;
        match self {
            K::WrongType(expected) => {
                let (en, cn) = match expected {
                    ExpectedValue::Integer => ("expected an integer", "应为整数"),
                    ExpectedValue::Number => ("expected a number", "应为数字"),
                    ExpectedValue::Boolean => {
                        ("expected true, false, 0 or 1", "应为 true、false、0 或 1")
                    }
                    ExpectedValue::String => ("expected a string", "应为字符串"),
                    ExpectedValue::Timestamp => (
                        "expected a timestamp in milliseconds (a non-negative integer)",
                        "应为毫秒时间戳（非负整数）",
                    ),
                    ExpectedValue::Object => ("expected an object", "应为对象"),
                    ExpectedValue::Array => ("expected an array", "应为数组"),
                };
                locale.pick(en, cn).to_string()
            }
            K::TooSmall(min) => {
                if zh {
                    format!("不能小于 {min}")
                } else {
                    format!("must be at least {min}")
                }
            }
            K::TooLarge(max) => {
                if zh {
                    format!("不能大于 {max}")
                } else {
                    format!("must be at most {max}")
                }
            }
            K::NotInEnum(v) => {
                if zh {
                    format!("{v} 不是有效的枚举值")
                } else {
                    format!("{v} is not one of the enum's values")
                }
            }
            K::TextTooLong { max } => {
                if zh {
                    format!("文本长度不能超过 {max} 个字符")
                } else {
                    format!("text must be at most {max} characters long")
                }
            }
            K::TooManyItems { max } => {
                if zh {
                    format!("数组元素不能超过 {max} 个")
                } else {
                    format!("array must have at most {max} items")
                }
            }
            K::UnknownField(name) => {
                if zh {
                    format!("未定义的字段 `{name}`")
                } else {
                    format!("unknown field `{name}`")
                }
            }
        }
    }
}

type Checked = Result<(), ValueError>;

fn wrong(expected: ExpectedValue) -> ValueError {
    ValueError::new(ValueErrorKind::WrongType(expected))
}

/// An integer, also when written as a float with no fraction (`5.0`): many device SDKs
/// serialise every number as a float.
fn integer(v: &Value) -> Option<IntValue> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(IntValue::Small(i));
    }
    if n.as_u64().is_some() {
        return Some(IntValue::Huge);
    }
    let f = n.as_f64()?;
    if f.fract() != 0.0 {
        return None;
    }
    // i64::MAX rounds up to 2^63 as f64, so `<` keeps the cast exact.
    if f >= i64::MIN as f64 && f < i64::MAX as f64 {
        Some(IntValue::Small(f as i64))
    } else if f > 0.0 {
        Some(IntValue::Huge)
    } else {
        Some(IntValue::HugeNegative)
    }
}

enum IntValue {
    Small(i64),
    Huge,
    HugeNegative,
}

fn check_int(v: &Value, min: Option<i64>, max: Option<i64>) -> Checked {
    let n = match integer(v).ok_or_else(|| wrong(ExpectedValue::Integer))? {
        IntValue::Small(n) => n,
        IntValue::Huge => {
            return Err(ValueError::new(ValueErrorKind::TooLarge(
                max.unwrap_or(i64::MAX).to_string(),
            )));
        }
        IntValue::HugeNegative => {
            return Err(ValueError::new(ValueErrorKind::TooSmall(
                min.unwrap_or(i64::MIN).to_string(),
            )));
        }
    };
    if let Some(min) = min.filter(|&m| n < m) {
        return Err(ValueError::new(ValueErrorKind::TooSmall(min.to_string())));
    }
    if let Some(max) = max.filter(|&m| n > m) {
        return Err(ValueError::new(ValueErrorKind::TooLarge(max.to_string())));
    }
    Ok(())
}

fn check_float(v: &Value, min: Option<f64>, max: Option<f64>) -> Checked {
    let n = v
        .as_f64()
        .filter(|f| f.is_finite())
        .ok_or_else(|| wrong(ExpectedValue::Number))?;
    if let Some(min) = min.filter(|&m| n < m) {
        return Err(ValueError::new(ValueErrorKind::TooSmall(min.to_string())));
    }
    if let Some(max) = max.filter(|&m| n > m) {
        return Err(ValueError::new(ValueErrorKind::TooLarge(max.to_string())));
    }
    Ok(())
}

impl DataType {
    /// Checks that `v` is a value of this type within its constraints.
    ///
    /// Steps are presentation hints and are not enforced; struct fields may be missing (devices
    /// report what changed), but unknown ones are rejected.
    pub fn check_value(&self, v: &Value) -> Result<(), ValueError> {
        match self {
            DataType::Int { min, max, .. } => check_int(v, *min, *max),
            DataType::Float { min, max, .. } | DataType::Double { min, max, .. } => {
                check_float(v, *min, *max)
            }
            DataType::Bool { .. } => match v {
                Value::Bool(_) => Ok(()),
                Value::Number(n) if n.as_u64().is_some_and(|n| n <= 1) => Ok(()),
                _ => Err(wrong(ExpectedValue::Boolean)),
            },
            DataType::Enum { values } => match integer(v) {
                Some(IntValue::Small(n)) if values.contains_key(&n.to_string()) => Ok(()),
                Some(IntValue::Small(n)) => {
                    Err(ValueError::new(ValueErrorKind::NotInEnum(n.to_string())))
                }
                Some(_) => Err(ValueError::new(ValueErrorKind::NotInEnum(clip(
                    &v.to_string(),
                )))),
                None => Err(wrong(ExpectedValue::Integer)),
            },
            DataType::Text { max_length } => {
                let s = v.as_str().ok_or_else(|| wrong(ExpectedValue::String))?;
                match max_length {
                    Some(max) if s.chars().nth(*max as usize).is_some() => {
                        Err(ValueError::new(ValueErrorKind::TextTooLong { max: *max }))
                    }
                    _ => Ok(()),
                }
            }
            DataType::Date => match integer(v) {
                Some(IntValue::Small(n)) if n >= 0 => Ok(()),
                Some(IntValue::Huge) => Ok(()),
                _ => Err(wrong(ExpectedValue::Timestamp)),
            },
            DataType::Struct { fields } => {
                let obj = v.as_object().ok_or_else(|| wrong(ExpectedValue::Object))?;
                for (key, value) in obj {
                    let field = fields
                        .iter()
                        .find(|f| &f.identifier == key)
                        .ok_or_else(|| {
                            ValueError::new(ValueErrorKind::UnknownField(clip(key))).under(key)
                        })?;
                    field
                        .data_type
                        .check_value(value)
                        .map_err(|e| e.under(key))?;
                }
                Ok(())
            }
            DataType::Array { size, item } => {
                let items = v.as_array().ok_or_else(|| wrong(ExpectedValue::Array))?;
                if items.len() > *size as usize {
                    return Err(ValueError::new(ValueErrorKind::TooManyItems { max: *size }));
                }
                for (i, value) in items.iter().enumerate() {
                    item.check_value(value)
                        .map_err(|e| e.under(&format!("[{i}]")))?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::FieldDef;
    use super::*;
    use ValueErrorKind as K;
    use serde_json::json;

    fn int(min: i64, max: i64) -> DataType {
        DataType::Int {
            min: Some(min),
            max: Some(max),
            step: Some(1),
            unit: None,
            unit_name: None,
        }
    }

    #[track_caller]
    fn bad(dt: &DataType, v: Value, path: &str, kind: K) {
        let e = dt.check_value(&v).expect_err("value should be rejected");
        assert_eq!((e.path.as_str(), &e.kind), (path, &kind), "{e}");
    }

    #[test]
    fn int_values() {
        let dt = int(0, 2900);
        for ok in [json!(0), json!(2900), json!(1450), json!(12.0)] {
            dt.check_value(&ok).unwrap();
        }
        bad(&dt, json!(-1), "", K::TooSmall("0".into()));
        bad(&dt, json!(2901), "", K::TooLarge("2900".into()));
        bad(&dt, json!(1.5), "", K::WrongType(ExpectedValue::Integer));
        bad(&dt, json!("5"), "", K::WrongType(ExpectedValue::Integer));
        bad(&dt, json!(u64::MAX), "", K::TooLarge("2900".into()));
        bad(&dt, json!(-1e30), "", K::TooSmall("0".into()));
        let open = DataType::Int {
            min: None,
            max: None,
            step: None,
            unit: None,
            unit_name: None,
        };
        open.check_value(&json!(i64::MIN)).unwrap();
        bad(
            &open,
            json!(u64::MAX),
            "",
            K::TooLarge(i64::MAX.to_string()),
        );
    }

    #[test]
    fn float_and_double_values() {
        let f = DataType::Float {
            min: Some(-40.0),
            max: Some(200.0),
            step: Some(0.1),
            unit: None,
            unit_name: None,
        };
        for ok in [json!(-40), json!(199.9), json!(200.0)] {
            f.check_value(&ok).unwrap();
        }
        bad(&f, json!(-40.1), "", K::TooSmall("-40".into()));
        bad(&f, json!(200.5), "", K::TooLarge("200".into()));
        bad(&f, json!(true), "", K::WrongType(ExpectedValue::Number));
        let d = DataType::Double {
            min: None,
            max: Some(0.5),
            step: None,
            unit: None,
            unit_name: None,
        };
        d.check_value(&json!(-1e300)).unwrap();
        bad(&d, json!(0.6), "", K::TooLarge("0.5".into()));
        bad(&d, json!(null), "", K::WrongType(ExpectedValue::Number));
    }

    #[test]
    fn bool_values() {
        let b = DataType::Bool {
            true_label: None,
            false_label: None,
        };
        for ok in [json!(true), json!(false), json!(0), json!(1)] {
            b.check_value(&ok).unwrap();
        }
        for no in [json!(2), json!(-1), json!("true"), json!(0.5)] {
            bad(&b, no, "", K::WrongType(ExpectedValue::Boolean));
        }
    }

    #[test]
    fn enum_values() {
        let e = DataType::Enum {
            values: [("0", "停机"), ("1", "运行"), ("-2", "故障")]
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        };
        for ok in [json!(0), json!(1), json!(-2), json!(1.0)] {
            e.check_value(&ok).unwrap();
        }
        bad(&e, json!(2), "", K::NotInEnum("2".into()));
        bad(&e, json!("0"), "", K::WrongType(ExpectedValue::Integer));
        bad(&e, json!(0.5), "", K::WrongType(ExpectedValue::Integer));
    }

    #[test]
    fn text_values_count_characters() {
        let t = DataType::Text {
            max_length: Some(3),
        };
        t.check_value(&json!("泵站A")).unwrap();
        t.check_value(&json!("")).unwrap();
        bad(&t, json!("泵站AB"), "", K::TextTooLong { max: 3 });
        bad(&t, json!(3), "", K::WrongType(ExpectedValue::String));
        DataType::Text { max_length: None }
            .check_value(&json!("x".repeat(100_000)))
            .unwrap();
    }

    #[test]
    fn date_values() {
        for ok in [json!(0), json!(1_700_000_000_000_i64), json!(u64::MAX)] {
            DataType::Date.check_value(&ok).unwrap();
        }
        for no in [json!(-1), json!("2024-01-01T00:00:00Z"), json!(1.5)] {
            bad(
                &DataType::Date,
                no,
                "",
                K::WrongType(ExpectedValue::Timestamp),
            );
        }
    }

    #[test]
    fn struct_and_array_values_report_paths() {
        let wear = DataType::Struct {
            fields: vec![
                FieldDef {
                    identifier: "tool".into(),
                    name: "刀号".into(),
                    data_type: int(1, 24),
                },
                FieldDef {
                    identifier: "axes".into(),
                    name: "轴".into(),
                    data_type: DataType::Array {
                        size: 3,
                        item: Box::new(int(-100, 100)),
                    },
                },
            ],
        };
        wear.check_value(&json!({"tool": 3, "axes": [1, -2, 3]}))
            .unwrap();
        wear.check_value(&json!({})).unwrap();
        bad(&wear, json!({"tool": 30}), "tool", K::TooLarge("24".into()));
        bad(
            &wear,
            json!({"axes": [0, 101]}),
            "axes[1]",
            K::TooLarge("100".into()),
        );
        bad(
            &wear,
            json!({"axes": [0, 0, 0, 0]}),
            "axes",
            K::TooManyItems { max: 3 },
        );
        bad(
            &wear,
            json!({"colour": 1}),
            "colour",
            K::UnknownField("colour".into()),
        );
        bad(&wear, json!([1]), "", K::WrongType(ExpectedValue::Object));
        let list = DataType::Array {
            size: 2,
            item: Box::new(wear),
        };
        bad(
            &list,
            json!([{}, {"axes": [0, "x"]}]),
            "[1].axes[1]",
            K::WrongType(ExpectedValue::Integer),
        );
        bad(&list, json!({}), "", K::WrongType(ExpectedValue::Array));
    }

    #[test]
    fn messages_in_both_languages() {
        let e = int(0, 10).check_value(&json!(11)).unwrap_err();
        assert_eq!(e.message(Locale::En), "must be at most 10");
        assert_eq!(e.message(Locale::ZhCn), "不能大于 10");
        assert_eq!(e.to_string(), "must be at most 10");
        let e = ValueError::new(K::UnknownField("x".into()))
            .under("a")
            .under("[2]");
        assert_eq!(e.to_string(), "[2].a: unknown field `x`");
        let kinds = [
            K::WrongType(ExpectedValue::Boolean),
            K::TooSmall("0".into()),
            K::NotInEnum("3".into()),
            K::TextTooLong { max: 4 },
            K::TooManyItems { max: 4 },
            K::UnknownField("x".into()),
            K::WrongType(ExpectedValue::Timestamp),
        ];
        for k in kinds {
            let zh = k.message(Locale::ZhCn);
            assert_ne!(k.message(Locale::En), zh);
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
        }
    }
}
