//! Identifier resolution (工业互联网标识解析) as the platform keeps it: the prefixes a
//! tenant (an enterprise) holds, metadata templates (元数据模板) that say which values an
//! identifier of a product class carries, the identifiers themselves with their Handle
//! values (RFC 3651), and links between identifiers (a component in an assembly, a batch
//! in a shipment) for tracing.
//!
//! A prefix belongs to one tenant platform-wide; every identifier lives under one of its
//! tenant's prefixes. Values marked public (`public_read`) are what anyone resolving the
//! identifier sees; the others only the owner (and, later, readers it grants).

use crate::error::{FieldError, FieldErrorKind};
use crate::ids::TenantId;
use crate::market::LocalText;
use chrono::{DateTime, Utc};
use ironloom_identifiers::HandleValue;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most prefixes one tenant may hold.
pub const MAX_PREFIXES_PER_TENANT: usize = 100;
/// Most fields of a template.
pub const MAX_TEMPLATE_FIELDS: usize = 100;
/// Most values of one identifier.
pub const MAX_VALUES: usize = 200;
/// The value index a template's reference is kept at (as the SNMS API does).
pub const TEMPLATE_INDEX: u32 = 1001;
/// Template fields' values are numbered from here on when the template does not say.
pub const FIRST_FIELD_INDEX: u32 = 2000;

/// A prefix (naming authority) a tenant holds, e.g. `88.118.8`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdPrefix {
    pub prefix: String,
    #[serde(skip_serializing)]
    pub tenant_id: TenantId,
    /// What the tenant calls it (its enterprise or a plant).
    pub name: String,
    /// Identifiers registered under it.
    #[serde(default)]
    pub identifiers: u64,
    pub created_at: DateTime<Utc>,
}

/// What a template field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    String,
    Integer,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339.
    Datetime,
    Url,
    /// Another identifier (`prefix/suffix`).
    Handle,
    Boolean,
}

impl FieldType {
    /// Checks a value's text against the type.
    pub fn check(self, text: &str) -> Result<(), &'static str> {
        let ok = match self {
            FieldType::String => true,
            FieldType::Integer => text.parse::<i64>().is_ok(),
            FieldType::Number => text.parse::<f64>().is_ok_and(f64::is_finite),
            FieldType::Date => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
            FieldType::Datetime => DateTime::parse_from_rfc3339(text).is_ok(),
            FieldType::Url => {
                (text.starts_with("https://") || text.starts_with("http://"))
                    && !text.chars().any(char::is_whitespace)
            }
            FieldType::Handle => ironloom_identifiers::Handle::parse(text).is_ok(),
            FieldType::Boolean => text == "true" || text == "false",
        };
        if ok {
            Ok(())
        } else {
            Err(match self {
                FieldType::String => "text",
                FieldType::Integer => "an integer",
                FieldType::Number => "a number",
                FieldType::Date => "a date YYYY-MM-DD",
                FieldType::Datetime => "an RFC 3339 time",
                FieldType::Url => "an http(s) URL",
                FieldType::Handle => "an identifier prefix/suffix",
                FieldType::Boolean => "true or false",
            })
        }
    }
}

/// One field of a template: a value type an identifier carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateField {
    /// The value's type in the record (`batch_no`); unique in the template.
    pub name: String,
    /// The value's index in the record (≥ 2000 by convention; unique in the template).
    pub index: u32,
    pub label: LocalText,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    /// Shown to anyone who resolves the identifier; otherwise only to its owner.
    #[serde(default)]
    pub public: bool,
    /// Longest text accepted.
    #[serde(default)]
    pub max_len: Option<u32>,
    /// Shortest text accepted when a value is given (an SNMS template item's
    /// `minLength`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_len: Option<u32>,
    #[serde(default)]
    pub unit: Option<String>,
    /// Switched off (an SNMS v5 item's `state` 0): items of a template in use are never
    /// removed, only disabled; a disabled field is neither required nor checked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

/// A metadata template (元数据模板): the values identifiers of a product class carry.
/// Versioned: a version once made does not change; identifiers name the version they
/// were registered with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdTemplate {
    pub id: String,
    pub version: String,
    /// The tenant that made it; none for the templates the platform ships.
    #[serde(skip_serializing, default)]
    pub tenant_id: Option<TenantId>,
    #[serde(default)]
    pub shipped: bool,
    pub name: LocalText,
    pub description: LocalText,
    /// GB/T 4754 industry code (e.g. `C34`), if it is for one industry.
    pub industry: Option<String>,
    /// For identifiers held by active carriers (主动标识载体: a UICC, a security chip or a
    /// communication module that reports by itself).
    #[serde(default)]
    pub active_carrier: bool,
    pub fields: Vec<TemplateField>,
    #[serde(default = "Utc::now")]
    pub created_at: DateTime<Utc>,
}

/// The templates the platform ships (`crates/core/templates/identifiers`): a machinery
/// part, an electronic component reel or lot, a food production batch, a steel coil.
pub fn shipped_templates() -> Vec<IdTemplate> {
    [
        include_str!("../templates/identifiers/machinery-part.json"),
        include_str!("../templates/identifiers/electronic-component.json"),
        include_str!("../templates/identifiers/food-batch.json"),
        include_str!("../templates/identifiers/steel-coil.json"),
    ]
    .iter()
    .filter_map(|text| match serde_json::from_str::<IdTemplate>(text) {
        Ok(mut t) => {
            t.shipped = true;
            t.tenant_id = None;
            Some(t)
        }
        Err(_) => None,
    })
    .collect()
}

impl IdTemplate {
    /// Checks the template itself: ids, names and indices unique and in range.
    pub fn check(&self) -> Result<(), FieldError> {
        let slug = |field: &'static str, v: &str| {
            let ok = !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if ok {
                Ok(())
            } else {
                Err(FieldError::new(
                    field,
                    FieldErrorKind::Format {
                        expected: "1 to 64 of A-Z a-z 0-9 - _ .",
                        expected_zh: "1 到 64 个字母、数字或 - _ .",
                    },
                ))
            }
        };
        slug("id", &self.id)?;
        slug("version", &self.version)?;
        if self.fields.is_empty() || self.fields.len() > MAX_TEMPLATE_FIELDS {
            return Err(FieldError::new(
                "fields",
                FieldErrorKind::OutOfRange {
                    min: 1,
                    max: MAX_TEMPLATE_FIELDS as i64,
                },
            ));
        }
        let mut names = std::collections::HashSet::new();
        let mut indices = std::collections::HashSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            let at = |what: &str| format!("fields[{i}].{what}");
            let named = !f.name.is_empty()
                && f.name.len() <= 64
                && !f.name.starts_with("HS_")
                && f.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !named {
                return Err(FieldError::new(
                    at("name"),
                    FieldErrorKind::Format {
                        expected: "1 to 64 of A-Z a-z 0-9 _ - . not starting with HS_",
                        expected_zh: "1 到 64 个字母、数字或 _ - .，且不以 HS_ 开头",
                    },
                ));
            }
            if f.index == 0
                || f.index > ironloom_identifiers::handle::MAX_INDEX
                || f.index == TEMPLATE_INDEX
            {
                return Err(FieldError::new(
                    at("index"),
                    FieldErrorKind::Format {
                        expected: "1 to 2147483647, not 1001 (the template's own index)",
                        expected_zh: "1 到 2147483647，且不为 1001（模板引用所用）",
                    },
                ));
            }
            if !names.insert(f.name.to_ascii_lowercase()) {
                return Err(other(&at("name"), "is used twice".into(), "重复".into()));
            }
            if !indices.insert(f.index) {
                return Err(other(&at("index"), "is used twice".into(), "重复".into()));
            }
        }
        Ok(())
    }

    /// Checks an identifier's values against the template: every required field present,
    /// each value of a field's type in that field's index and of its type and length.
    /// Values of other types are allowed beside them (a record may carry more).
    pub fn validate(&self, values: &[HandleValue]) -> Result<(), FieldError> {
        for f in self.fields.iter().filter(|f| !f.disabled) {
            let found = values
                .iter()
                .find(|v| v.value_type.eq_ignore_ascii_case(&f.name));
            let Some(v) = found else {
                if f.required {
                    return Err(FieldError::new(
                        format!("values.{}", f.name),
                        FieldErrorKind::Required,
                    ));
                }
                continue;
            };
            let at = format!("values.{}", f.name);
            if v.index != f.index {
                return Err(other(
                    &at,
                    format!("the template keeps {} at index {}", f.name, f.index),
                    format!("模板规定 {} 的索引为 {}", f.name, f.index),
                ));
            }
            let text = v
                .data_str()
                .ok_or_else(|| other(&at, "not UTF-8 text".into(), "不是 UTF-8 文本".into()))?;
            if let Some(max) = f.max_len
                && text.chars().count() > max as usize
            {
                return Err(FieldError::new(
                    &at,
                    FieldErrorKind::TooLong { max: max as usize },
                ));
            }
            if f.required && text.is_empty() {
                return Err(FieldError::new(&at, FieldErrorKind::Empty));
            }
            if let Some(min) = f.min_len
                && !text.is_empty()
                && text.chars().count() < min as usize
            {
                return Err(other(
                    &at,
                    format!("must be at least {min} characters long"),
                    format!("至少须有 {min} 个字符"),
                ));
            }
            if !text.is_empty()
                && let Err(expected) = f.field_type.check(text)
            {
                return Err(other(
                    &at,
                    format!("must be {expected}"),
                    format!("须为{}", zh_expected(f.field_type)),
                ));
            }
        }
        Ok(())
    }

    /// Whether a value is public under this template (a field says; values the template
    /// does not name keep their own permission).
    pub fn field_of(&self, value_type: &str) -> Option<&TemplateField> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(value_type))
    }
}

fn other(field: &str, en: String, zh: String) -> FieldError {
    FieldError::new(field, FieldErrorKind::Other { en, zh })
}

fn zh_expected(t: FieldType) -> &'static str {
    match t {
        FieldType::String => "文本",
        FieldType::Integer => "整数",
        FieldType::Number => "数值",
        FieldType::Date => "日期 YYYY-MM-DD",
        FieldType::Datetime => "RFC 3339 时间",
        FieldType::Url => "http(s) 网址",
        FieldType::Handle => "标识 前缀/后缀",
        FieldType::Boolean => "true 或 false",
    }
}

/// A template named by id and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TemplateRef {
    pub id: String,
    pub version: String,
}

/// A registered identifier with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentifierRecord {
    /// The canonical handle (`prefix/suffix`).
    pub handle: String,
    pub tenant_id: TenantId,
    pub prefix: String,
    pub template: Option<TemplateRef>,
    pub values: Vec<HandleValue>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What one item of a batch registration came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchOutcome {
    Created,
    /// The identifier exists already (left as it is).
    Exists,
}

/// How two identifiers are linked, for tracing (parent → child).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// The child is a component built into the parent (an assembly).
    Component,
    /// The child is a production batch the parent (a product) was made in, or a unit in
    /// a batch.
    Batch,
    /// The child travels in the parent (a shipment, a pallet: SSCC).
    Shipment,
    /// The child is a device (or machine) that made or holds the parent.
    Device,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Component => "component",
            LinkKind::Batch => "batch",
            LinkKind::Shipment => "shipment",
            LinkKind::Device => "device",
        }
    }

    pub fn parse(s: &str) -> Option<LinkKind> {
        [
            LinkKind::Component,
            LinkKind::Batch,
            LinkKind::Shipment,
            LinkKind::Device,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A link between two identifiers, made by the parent's owner. The child may belong to
/// another tenant (a supplier's component): tracing shows of it only what its owner
/// made public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdLink {
    pub parent: String,
    pub child: String,
    pub kind: LinkKind,
    #[serde(skip_serializing)]
    pub tenant_id: TenantId,
    pub created_at: DateTime<Utc>,
}

/// A tenant (the reader) allowed by another (the owner) to see the values that are not
/// public of the owner's identifiers under a prefix, or of one identifier: what
/// "authorised readers" means for a value without public read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IdGrant {
    /// One of the owner's prefixes (every identifier under it) or one of its handles.
    pub scope: String,
    #[serde(skip_serializing)]
    pub tenant_id: TenantId,
    pub reader_tenant_id: TenantId,
    /// The reader's tenant code (as the owner named it).
    pub reader: String,
    pub created_at: DateTime<Utc>,
}

impl IdGrant {
    /// Whether the grant covers `handle` (under `prefix`).
    pub fn covers(&self, handle: &str, prefix: &str) -> bool {
        self.scope.eq_ignore_ascii_case(prefix) || self.scope == handle
    }
}

/// Resolutions of one identifier in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResolutionCount {
    pub month: String,
    pub handle: String,
    #[serde(skip_serializing)]
    pub tenant_id: TenantId,
    pub prefix: String,
    pub count: u64,
}

/// Resolutions of a prefix's identifiers in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PrefixCount {
    pub prefix: String,
    pub count: u64,
}

/// A tenant's resolutions in a month: per prefix, and its most resolved identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResolutionStats {
    pub month: String,
    pub total: u64,
    /// Per prefix, most first.
    pub prefixes: Vec<PrefixCount>,
    /// The most resolved identifiers, most first.
    pub top: Vec<ResolutionCount>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> IdTemplate {
        let field = |name: &str, index, field_type, required, public| TemplateField {
            name: name.into(),
            index,
            label: LocalText::new(name, name),
            field_type,
            required,
            public,
            max_len: Some(20),
            min_len: None,
            unit: None,
            disabled: false,
        };
        IdTemplate {
            id: "machinery-part".into(),
            version: "1.0".into(),
            tenant_id: None,
            shipped: true,
            name: LocalText::new("Part", "零件"),
            description: LocalText::new("", ""),
            industry: Some("C34".into()),
            active_carrier: false,
            fields: vec![
                field("model", 2000, FieldType::String, true, true),
                field("made_on", 2001, FieldType::Date, true, true),
                field("mass_kg", 2002, FieldType::Number, false, false),
            ],
            created_at: Utc::now(),
        }
    }

    fn value(index: u32, t: &str, text: &str) -> HandleValue {
        HandleValue::new(index, t, text.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn templates_check_their_fields() {
        assert!(template().check().is_ok());
        let mut t = template();
        t.fields[1].index = 2000;
        assert!(t.check().is_err(), "duplicate index");
        let mut t = template();
        t.fields[1].name = "MODEL".into();
        assert!(t.check().is_err(), "duplicate name ignoring case");
        let mut t = template();
        t.fields[0].name = "HS_ADMIN".into();
        assert!(t.check().is_err());
        let mut t = template();
        t.fields[0].index = TEMPLATE_INDEX;
        assert!(t.check().is_err());
        let mut t = template();
        t.id = "a b".into();
        assert!(t.check().is_err());
        let mut t = template();
        t.fields.clear();
        assert!(t.check().is_err());
    }

    #[test]
    fn values_are_validated_against_the_template() {
        let t = template();
        let ok = [
            value(2000, "model", "GB-6208"),
            value(2001, "made_on", "2026-11-30"),
            value(1, "URL", "https://example.com/x"),
        ];
        assert!(t.validate(&ok).is_ok());
        assert!(t.validate(&ok[..1]).is_err(), "made_on is required");
        assert!(
            t.validate(&[
                value(2000, "model", "x"),
                value(2001, "made_on", "30/11/2026")
            ])
            .is_err()
        );
        assert!(
            t.validate(&[
                value(2005, "model", "x"),
                value(2001, "made_on", "2026-11-30")
            ])
            .is_err(),
            "wrong index"
        );
        assert!(
            t.validate(&[
                value(2000, "model", "x"),
                value(2001, "made_on", "2026-11-30"),
                value(2002, "mass_kg", "heavy")
            ])
            .is_err()
        );
        assert!(
            t.validate(&[
                value(2000, "model", &"x".repeat(21)),
                value(2001, "made_on", "2026-11-30")
            ])
            .is_err(),
            "too long"
        );
        let mut t = template();
        t.fields[0].min_len = Some(3);
        let made = value(2001, "made_on", "2026-11-30");
        assert!(
            t.validate(&[value(2000, "model", "ab"), made.clone()])
                .is_err()
        );
        assert!(t.validate(&[value(2000, "model", "abc"), made]).is_ok());
        // A disabled field is neither required nor checked.
        t.fields[1].disabled = true;
        assert!(t.validate(&[value(2000, "model", "abc")]).is_ok());
        assert!(
            t.validate(&[value(2000, "model", "abc"), value(2001, "made_on", "x")])
                .is_ok()
        );
    }

    #[test]
    fn the_shipped_templates_load_and_check() {
        let all = shipped_templates();
        assert_eq!(all.len(), 4, "every shipped file parses");
        for t in &all {
            t.check().unwrap_or_else(|e| panic!("{}: {e}", t.id));
            assert!(t.fields.iter().any(|f| f.required && f.public), "{}", t.id);
            assert!(!t.name.zh.is_empty() && !t.description.zh.is_empty());
        }
    }

    #[test]
    fn field_types_check_text() {
        assert!(FieldType::Integer.check("-12").is_ok());
        assert!(FieldType::Integer.check("1.5").is_err());
        assert!(FieldType::Number.check("NaN").is_err());
        assert!(
            FieldType::Datetime
                .check("2026-12-07T10:00:00+08:00")
                .is_ok()
        );
        assert!(FieldType::Url.check("ftp://x").is_err());
        assert!(FieldType::Handle.check("88.118.8/A-1").is_ok());
        assert!(FieldType::Handle.check("nohandle").is_err());
        assert!(FieldType::Boolean.check("yes").is_err());
    }
}
