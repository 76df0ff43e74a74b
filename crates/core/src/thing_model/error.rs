//! Errors from validating and importing thing models, readable in English and 简体中文.

use std::fmt;

use crate::i18n::Locale;

/// Something wrong with a thing model or a document being imported as one.
///
/// `path` locates the problem in the terms of whatever was checked: model fields
/// (`properties[0].data_type.min`) for [`ThingModel::validate`](super::ThingModel::validate),
/// document keys for the importers. It is empty when the problem is the whole document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ThingModelError {
    pub path: String,
    pub kind: ThingModelErrorKind,
}

/// The JSON type a document should have had at some path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    Object,
    Array,
    String,
    Boolean,
    Number,
    Integer,
}

/// What is wrong, with the data a message needs.
#[derive(Debug, Clone, PartialEq)]
pub enum ThingModelErrorKind {
    /// The JSON value has the wrong type.
    WrongJsonType(JsonType),
    /// A field the format requires is absent; `path` names it.
    MissingField,
    /// The document's `@type` is neither a Thing Model nor a Thing Description.
    WrongThingType(String),
    UnsupportedType(String),
    /// A string that should be one of a fixed set (`found`, then the allowed values).
    UnknownVariant {
        found: String,
        expected: String,
    },
    InvalidNumber(String),
    InvalidInteger(String),
    ReadOnlyAndWriteOnly,
    EnumLabelWithoutValue(String),
    /// A `tm:required` pointer that names no affordance of the model.
    UnknownReference(String),
    InvalidIdentifier(String),
    DuplicateIdentifier(String),
    /// An identifier TSL uses for its standard items (`post`, `set`, `get`).
    ReservedIdentifier(String),
    EmptyName,
    /// Longer than `max` characters.
    TooLong {
        max: usize,
    },
    ControlCharacter,
    MinGreaterThanMax,
    NonPositiveStep,
    NotFinite,
    EnumValueCount {
        count: usize,
    },
    InvalidEnumKey(String),
    NotInRange {
        min: u64,
        max: u64,
    },
    NestedArray,
    NestingTooDeep {
        max: usize,
    },
    /// A list with more than `max` entries.
    TooMany {
        max: usize,
    },
}

impl ThingModelError {
    pub fn new(path: impl Into<String>, kind: ThingModelErrorKind) -> Self {
        ThingModelError {
            path: path.into(),
            kind,
        }
    }

    /// The reason, without the path, in the given language.
    pub fn message(&self, locale: Locale) -> String {
        self.kind.message(locale)
    }
}

impl fmt::Display for ThingModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message(Locale::En))
        } else {
            write!(f, "{}: {}", self.path, self.message(Locale::En))
        }
    }
}

impl JsonType {
    fn noun(self, locale: Locale) -> &'static str {
        match self {
            JsonType::Object => locale.pick("a JSON object", "对象"),
            JsonType::Array => locale.pick("a JSON array", "数组"),
            JsonType::String => locale.pick("a string", "字符串"),
            JsonType::Boolean => locale.pick("true or false", "布尔值"),
            JsonType::Number => locale.pick("a number", "数字"),
            JsonType::Integer => locale.pick("an integer", "整数"),
        }
    }
}

impl ThingModelErrorKind {
    /// The reason in the given language.
    pub fn message(&self, locale: Locale) -> String {
        use ThingModelErrorKind as K;
        let zh = locale == Locale::ZhCn;
        match self {
            K::WrongJsonType(t) => {
                if zh {
                    format!("应为{}", t.noun(locale))
                } else {
                    format!("expected {}", t.noun(locale))
                }
            }
            K::MissingField => locale
                .pick("required field is missing", "缺少必填字段")
                .into(),
            K::WrongThingType(found) => {
                if zh {
                    format!("@type 应包含 tm:ThingModel 或 Thing，实际为 {found}")
                } else {
                    format!("@type must contain tm:ThingModel or Thing, found {found}")
                }
            }
            K::UnsupportedType(t) => {
                if zh {
                    format!("不支持的数据类型 `{t}`")
                } else {
                    format!("unsupported data type `{t}`")
                }
            }
            K::UnknownVariant { found, expected } => {
                if zh {
                    format!("`{found}` 不是允许的取值（{expected}）")
                } else {
                    format!("`{found}` is not one of: {expected}")
                }
            }
            K::InvalidNumber(v) => {
                if zh {
                    format!("`{v}` 不是有效的数字")
                } else {
                    format!("`{v}` is not a valid number")
                }
            }
            K::InvalidInteger(v) => {
                if zh {
                    format!("`{v}` 不是有效的整数")
                } else {
                    format!("`{v}` is not a valid integer")
                }
            }
            K::ReadOnlyAndWriteOnly => locale
                .pick(
                    "a property cannot be both readOnly and writeOnly",
                    "属性不能同时为只读和只写",
                )
                .into(),
            K::EnumLabelWithoutValue(k) => {
                if zh {
                    format!("为不存在的枚举值 `{k}` 设置了标签")
                } else {
                    format!("label given for `{k}`, which is not an enum value")
                }
            }
            K::UnknownReference(r) => {
                if zh {
                    format!("`{r}` 没有指向本模型中的属性、服务或事件")
                } else {
                    format!("`{r}` does not point to a property, action or event of this model")
                }
            }
            K::InvalidIdentifier(id) => {
                if zh {
                    format!(
                        "标识符 `{id}` 无效：须以字母或下划线开头，只含字母、数字和下划线，最长 64 个字符"
                    )
                } else {
                    format!(
                        "identifier `{id}` is invalid: it must start with a letter or underscore, \
                         contain only letters, digits and underscores, and be at most 64 characters"
                    )
                }
            }
            K::DuplicateIdentifier(id) => {
                if zh {
                    format!("标识符重复：`{id}`")
                } else {
                    format!("duplicate identifier `{id}`")
                }
            }
            K::ReservedIdentifier(id) => {
                if zh {
                    format!("标识符 `{id}` 为 TSL 标准功能保留")
                } else {
                    format!("identifier `{id}` is reserved for the TSL standard items")
                }
            }
            K::EmptyName => locale.pick("must not be empty", "不能为空").into(),
            K::TooLong { max } => {
                if zh {
                    format!("长度不能超过 {max} 个字符")
                } else {
                    format!("must be at most {max} characters long")
                }
            }
            K::ControlCharacter => locale
                .pick("must not contain control characters", "不能包含控制字符")
                .into(),
            K::MinGreaterThanMax => locale
                .pick("minimum is greater than maximum", "最小值大于最大值")
                .into(),
            K::NonPositiveStep => locale
                .pick("step must be greater than 0", "步长必须大于 0")
                .into(),
            K::NotFinite => locale
                .pick("number must be finite", "数值必须是有限数")
                .into(),
            K::EnumValueCount { count } => {
                if zh {
                    format!("枚举值数量须在 1 到 256 之间，当前为 {count}")
                } else {
                    format!("an enum needs 1 to 256 values, this one has {count}")
                }
            }
            K::InvalidEnumKey(k) => {
                if zh {
                    format!("枚举值 `{k}` 不是规范写法的 32 位十进制整数")
                } else {
                    format!("enum value `{k}` is not a 32-bit integer in plain decimal")
                }
            }
            K::NotInRange { min, max } => {
                if zh {
                    format!("必须在 {min} 到 {max} 之间")
                } else {
                    format!("must be between {min} and {max}")
                }
            }
            K::NestedArray => locale
                .pick("array items cannot be arrays", "数组元素不能是数组")
                .into(),
            K::NestingTooDeep { max } => {
                if zh {
                    format!("结构体嵌套不能超过 {max} 层")
                } else {
                    format!("structs cannot be nested more than {max} levels deep")
                }
            }
            K::TooMany { max } => {
                if zh {
                    format!("条目数不能超过 {max} 个")
                } else {
                    format!("at most {max} entries are allowed")
                }
            }
        }
    }
}

/// Shortens text echoed back in an error, so a hostile 10 MB value makes a short message.
pub(crate) fn clip(s: &str) -> String {
    const KEEP: usize = 64;
    match s.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_path_then_english_reason() {
        let e = ThingModelError::new(
            "properties[0].data_type.min",
            ThingModelErrorKind::MinGreaterThanMax,
        );
        assert_eq!(
            e.to_string(),
            "properties[0].data_type.min: minimum is greater than maximum"
        );
        let root = ThingModelError::new("", ThingModelErrorKind::WrongJsonType(JsonType::Object));
        assert_eq!(root.to_string(), "expected a JSON object");
    }

    #[test]
    fn messages_exist_in_both_languages() {
        use ThingModelErrorKind as K;
        let cases = [
            (
                K::DuplicateIdentifier("Flow".into()),
                "duplicate identifier `Flow`",
                "标识符重复：`Flow`",
            ),
            (
                K::MinGreaterThanMax,
                "minimum is greater than maximum",
                "最小值大于最大值",
            ),
            (
                K::UnsupportedType("decimal".into()),
                "unsupported data type `decimal`",
                "不支持的数据类型 `decimal`",
            ),
            (
                K::WrongJsonType(JsonType::Object),
                "expected a JSON object",
                "应为对象",
            ),
            (K::MissingField, "required field is missing", "缺少必填字段"),
            (
                K::TooLong { max: 128 },
                "must be at most 128 characters long",
                "长度不能超过 128 个字符",
            ),
            (
                K::NonPositiveStep,
                "step must be greater than 0",
                "步长必须大于 0",
            ),
            (
                K::NestedArray,
                "array items cannot be arrays",
                "数组元素不能是数组",
            ),
            (
                K::InvalidNumber("abc".into()),
                "`abc` is not a valid number",
                "`abc` 不是有效的数字",
            ),
        ];
        for (kind, en, zh) in cases {
            let e = ThingModelError::new("p", kind);
            assert_eq!(e.message(Locale::En), en);
            assert_eq!(e.message(Locale::ZhCn), zh);
        }
    }

    #[test]
    fn every_kind_has_a_distinct_chinese_message() {
        use ThingModelErrorKind as K;
        let kinds = [
            K::WrongJsonType(JsonType::Array),
            K::MissingField,
            K::WrongThingType("Foo".into()),
            K::UnsupportedType("x".into()),
            K::UnknownVariant {
                found: "x".into(),
                expected: "r, rw, w".into(),
            },
            K::InvalidNumber("x".into()),
            K::InvalidInteger("x".into()),
            K::ReadOnlyAndWriteOnly,
            K::EnumLabelWithoutValue("3".into()),
            K::UnknownReference("#/properties/x".into()),
            K::InvalidIdentifier("1x".into()),
            K::DuplicateIdentifier("x".into()),
            K::ReservedIdentifier("post".into()),
            K::EmptyName,
            K::TooLong { max: 1 },
            K::ControlCharacter,
            K::MinGreaterThanMax,
            K::NonPositiveStep,
            K::NotFinite,
            K::EnumValueCount { count: 0 },
            K::InvalidEnumKey("a".into()),
            K::NotInRange { min: 1, max: 2 },
            K::NestedArray,
            K::NestingTooDeep { max: 4 },
            K::TooMany { max: 9 },
        ];
        let mut seen = std::collections::HashSet::new();
        for k in &kinds {
            let en = k.message(Locale::En);
            let zh = k.message(Locale::ZhCn);
            assert_ne!(en, zh, "{k:?} has no translation");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            assert!(seen.insert(zh), "{k:?} shares its message");
        }
    }

    #[test]
    fn clip_shortens_long_text_on_a_char_boundary() {
        assert_eq!(clip("short"), "short");
        let long = "流".repeat(100);
        let c = clip(&long);
        assert_eq!(c.chars().count(), 65);
        assert!(c.ends_with('…'));
    }
}
