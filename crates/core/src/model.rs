//! Industrial models and data algorithms as the platform sees them: each a typed, versioned
//! pure function with a card (names in both languages, type, industries, domains, inputs
//! and outputs with units and valid ranges, the formula in words, the reference it
//! implements), reached through the [`Catalogue`] trait so the API, rules, jobs and apps
//! call the same thing.
//!
//! Inputs arrive in any unit of the right kind and are converted to the unit the card
//! declares, then checked against the declared range; the function sees declared units
//! only. Every refusal names the input ([`ModelError`]).

use crate::quantity::{self, Scale, UnitError};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// The four kinds the platform evaluation counts (工业机理模型 types and 数据算法).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// 研发仿真: design and simulation.
    Simulation,
    /// 业务流程: business process (inventory, scheduling, quality management).
    Process,
    /// 行业机理: industry mechanism (physics and chemistry of equipment and processes).
    Mechanism,
    /// 数据算法: data algorithm.
    Algorithm,
}

impl ModelKind {
    pub const ALL: [ModelKind; 4] = [
        ModelKind::Simulation,
        ModelKind::Process,
        ModelKind::Mechanism,
        ModelKind::Algorithm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Simulation => "simulation",
            ModelKind::Process => "process",
            ModelKind::Mechanism => "mechanism",
            ModelKind::Algorithm => "algorithm",
        }
    }

    pub fn name(self) -> Text {
        match self {
            ModelKind::Simulation => Text::new("R&D and simulation", "研发仿真"),
            ModelKind::Process => Text::new("Business process", "业务流程"),
            ModelKind::Mechanism => Text::new("Industry mechanism", "行业机理"),
            ModelKind::Algorithm => Text::new("Data algorithm", "数据算法"),
        }
    }
}

/// The business domains of the evaluation criteria.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// 研发设计
    #[default]
    Design,
    /// 生产制造
    Production,
    /// 运营管理
    Operations,
    /// 仓储物流
    Logistics,
    /// 产品服务
    Service,
    /// 供应链
    SupplyChain,
    /// 企业管理
    Management,
}

impl Domain {
    pub const ALL: [Domain; 7] = [
        Domain::Design,
        Domain::Production,
        Domain::Operations,
        Domain::Logistics,
        Domain::Service,
        Domain::SupplyChain,
        Domain::Management,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Design => "design",
            Domain::Production => "production",
            Domain::Operations => "operations",
            Domain::Logistics => "logistics",
            Domain::Service => "service",
            Domain::SupplyChain => "supply_chain",
            Domain::Management => "management",
        }
    }

    pub fn name(self) -> Text {
        match self {
            Domain::Design => Text::new("Research and design", "研发设计"),
            Domain::Production => Text::new("Production", "生产制造"),
            Domain::Operations => Text::new("Operations management", "运营管理"),
            Domain::Logistics => Text::new("Warehousing and logistics", "仓储物流"),
            Domain::Service => Text::new("Product service", "产品服务"),
            Domain::SupplyChain => Text::new("Supply chain", "供应链"),
            Domain::Management => Text::new("Enterprise management", "企业管理"),
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Text {
    pub en: &'static str,
    #[serde(rename = "zh-CN")]
    pub zh: &'static str,
}

impl Text {
    pub const fn new(en: &'static str, zh: &'static str) -> Text {
        Text { en, zh }
    }

    pub fn pick(&self, locale: crate::i18n::Locale) -> &'static str {
        match locale {
            crate::i18n::Locale::En => self.en,
            crate::i18n::Locale::ZhCn => self.zh,
        }
    }
}

fn finite_or_none<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_some(v)
    } else {
        s.serialize_none()
    }
}

fn is_level(s: &Scale) -> bool {
    *s == Scale::Level
}

fn serialize_scale<S: Serializer>(_: &Scale, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("difference")
}

/// One input or output of a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Port {
    pub name: &'static str,
    pub label: Text,
    /// The unit the function works in (`""` for a pure number).
    pub unit: &'static str,
    /// Valid range, inclusive (infinite = open); `null` in JSON when open.
    #[serde(serialize_with = "finite_or_none")]
    pub min: f64,
    #[serde(serialize_with = "finite_or_none")]
    pub max: f64,
    /// A temperature difference rather than a level (no °C/°F offset in conversions).
    #[serde(skip_serializing_if = "is_level", serialize_with = "serialize_scale")]
    pub scale: Scale,
    /// Named options: the input is one of these names (or its index).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub choices: &'static [&'static str],
    /// Used when the caller leaves the input out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<f64>,
    /// A series of values (an algorithm's data) rather than one number.
    #[serde(skip_serializing_if = "is_scalar")]
    pub shape: Shape,
}

/// One number, or a series of them (missing values allowed, as `null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    #[default]
    Scalar,
    Series,
    /// A list of texts (work orders, maintenance log entries).
    Text,
}

fn is_scalar(s: &Shape) -> bool {
    *s == Shape::Scalar
}

/// The longest series one call takes.
pub const MAX_SERIES: usize = 1_000_000;
/// The most texts one call takes, and the longest text (characters).
pub const MAX_TEXTS: usize = 100_000;
pub const MAX_TEXT_CHARS: usize = 20_000;

/// A value going into or out of a model: a number, or a series with gaps as NaN.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Scalar(f64),
    Series(Vec<f64>),
    Text(Vec<String>),
}

impl Datum {
    pub fn scalar(&self) -> f64 {
        match self {
            Datum::Scalar(v) => *v,
            Datum::Series(_) | Datum::Text(_) => f64::NAN,
        }
    }

    pub fn series(&self) -> &[f64] {
        match self {
            Datum::Series(v) => v,
            Datum::Scalar(_) | Datum::Text(_) => &[],
        }
    }

    pub fn texts(&self) -> &[String] {
        match self {
            Datum::Text(t) => t,
            Datum::Scalar(_) | Datum::Series(_) => &[],
        }
    }
}

impl Port {
    /// An input or output with a unit and a range.
    pub const fn new(
        name: &'static str,
        en: &'static str,
        zh: &'static str,
        unit: &'static str,
        min: f64,
        max: f64,
    ) -> Port {
        Port {
            name,
            label: Text::new(en, zh),
            unit,
            min,
            max,
            scale: Scale::Level,
            choices: &[],
            default: None,
            shape: Shape::Scalar,
        }
    }

    /// An output (no range is checked on outputs).
    pub const fn out(
        name: &'static str,
        en: &'static str,
        zh: &'static str,
        unit: &'static str,
    ) -> Port {
        Port::new(name, en, zh, unit, f64::NEG_INFINITY, f64::INFINITY)
    }

    /// An input chosen from named options, passed to the function as the option's index.
    pub const fn choice(
        name: &'static str,
        en: &'static str,
        zh: &'static str,
        choices: &'static [&'static str],
    ) -> Port {
        Port {
            name,
            label: Text::new(en, zh),
            unit: "",
            min: 0.0,
            max: (choices.len() - 1) as f64,
            scale: Scale::Level,
            choices,
            default: None,
            shape: Shape::Scalar,
        }
    }

    /// A series input or output (values in `unit`, gaps allowed).
    pub const fn series(
        name: &'static str,
        en: &'static str,
        zh: &'static str,
        unit: &'static str,
    ) -> Port {
        let mut p = Port::new(name, en, zh, unit, f64::NEG_INFINITY, f64::INFINITY);
        p.shape = Shape::Series;
        p
    }

    /// A list of texts in or out.
    pub const fn text(name: &'static str, en: &'static str, zh: &'static str) -> Port {
        let mut p = Port::new(name, en, zh, "", f64::NEG_INFINITY, f64::INFINITY);
        p.shape = Shape::Text;
        p
    }

    pub const fn difference(mut self) -> Port {
        self.scale = Scale::Difference;
        self
    }

    pub const fn default(mut self, v: f64) -> Port {
        self.default = Some(v);
        self
    }
}

/// What a model implements: a standard and its clause, or a book and its equation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// `IAPWS R7-97(2012)`, `ISO 281:2007`, `Incropera et al., Fundamentals of Heat and
    /// Mass Transfer, 7th ed.`
    pub source: &'static str,
    /// `§5.1, Eq. 7`, `Table 11.3`.
    pub locator: &'static str,
}

/// A model's card: everything a user needs to choose and call it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ModelCard {
    /// Stable id, `domain.name` (`pump.affinity_laws`).
    pub id: &'static str,
    pub version: u32,
    pub name: Text,
    pub summary: Text,
    pub kind: ModelKind,
    /// GB/T 4754-2017 divisions (`C34`, `D44`).
    pub industries: &'static [&'static str],
    pub domains: &'static [Domain],
    pub inputs: &'static [Port],
    pub outputs: &'static [Port],
    pub formula: Text,
    pub references: &'static [Reference],
}

/// A model's own refusal of a combination of valid inputs (outside the region a
/// formulation covers, an iteration that did not converge).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Refusal {
    pub en: String,
    pub zh: String,
}

impl Refusal {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Refusal {
        Refusal {
            en: en.into(),
            zh: zh.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("no model {0:?}")]
    UnknownModel(String),
    #[error("input {input:?} is missing")]
    MissingInput { input: &'static str },
    #[error("model has no input {input:?} (inputs: {known})")]
    UnknownInput { input: String, known: String },
    #[error("output {output:?} does not exist (outputs: {known})")]
    UnknownOutput { output: String, known: String },
    #[error("input {input:?}: {error}")]
    Unit { input: String, error: UnitError },
    #[error("input {input:?} is {value} {unit}, outside the valid range {min} to {max} {unit}")]
    OutOfRange {
        input: &'static str,
        value: f64,
        unit: &'static str,
        min: f64,
        max: f64,
    },
    #[error("input {input:?} must be a finite number")]
    NotFinite { input: &'static str },
    #[error("input {input:?} must be one of {choices}, not {given:?}")]
    Choice {
        input: &'static str,
        given: String,
        choices: String,
    },
    #[error("{}", .0.en)]
    Refused(Refusal),
    #[error("input {input:?} takes {}", match want { Shape::Series => "a series of numbers (an array)", Shape::Text => "texts (an array of strings)", Shape::Scalar => "one number, not a series" })]
    Shape { input: &'static str, want: Shape },
    #[error("input {input:?} has {len} values; a series has 1 to {max}")]
    SeriesLength {
        input: &'static str,
        len: usize,
        max: usize,
    },
    #[error(
        "the monthly quota of {limit} model calls for {month} does not allow {asked} more: {used} are used; it renews next month, or an administrator can raise it"
    )]
    QuotaExhausted {
        limit: u64,
        used: u64,
        asked: u64,
        month: String,
    },
}

impl ModelError {
    pub fn message(&self, locale: crate::i18n::Locale) -> String {
        if locale == crate::i18n::Locale::En {
            return self.to_string();
        }
        match self {
            ModelError::UnknownModel(id) => format!("没有模型 {id:?}"),
            ModelError::MissingInput { input } => format!("缺少输入 {input:?}"),
            ModelError::UnknownInput { input, known } => {
                format!("模型没有输入 {input:?}（输入有：{known}）")
            }
            ModelError::UnknownOutput { output, known } => {
                format!("没有输出 {output:?}（输出有：{known}）")
            }
            ModelError::Unit { input, error } => format!("输入 {input:?}：{}", error.message_zh()),
            ModelError::OutOfRange {
                input,
                value,
                unit,
                min,
                max,
            } => format!("输入 {input:?} 为 {value} {unit}，超出有效范围 {min} 至 {max} {unit}"),
            ModelError::NotFinite { input } => format!("输入 {input:?} 必须是有限数值"),
            ModelError::Choice {
                input,
                given,
                choices,
            } => format!("输入 {input:?} 必须是 {choices} 之一，而不是 {given:?}"),
            ModelError::Refused(r) => r.zh.clone(),
            ModelError::Shape { input, want } => format!(
                "输入 {input:?} 需要{}",
                match want {
                    Shape::Series => "一组数值（数组）",
                    Shape::Text => "一组文本（字符串数组）",
                    Shape::Scalar => "一个数值，而不是一组",
                }
            ),
            ModelError::SeriesLength { input, len, max } => {
                format!("输入 {input:?} 有 {len} 个值；序列长度须为 1 至 {max}")
            }
            ModelError::QuotaExhausted {
                limit,
                used,
                asked,
                month,
            } => format!(
                "{month} 的模型调用额度为 {limit} 次，已用 {used} 次，不足以再调用 {asked} 次；下月恢复，或请管理员调高额度"
            ),
        }
    }

    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::UnknownModel(_) => "model_not_found",
            ModelError::Refused(_) => "model_refused",
            ModelError::QuotaExhausted { .. } => "model_quota_exhausted",
            _ => "invalid_model_input",
        }
    }
}

/// One input as a caller gives it: a number in the declared unit, a number in a unit of
/// its own, or the name of an option.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Given {
    Number(f64),
    Quantity {
        value: f64,
        unit: String,
    },
    Choice(String),
    /// A series in the declared unit; `null` for a missing value.
    Series(Vec<Option<f64>>),
    /// A series in a unit of its own.
    SeriesIn {
        values: Vec<Option<f64>>,
        unit: String,
    },
    /// Texts (an array of strings).
    Texts(Vec<String>),
}

/// Converts the caller's inputs to the card's units and order, checking each: the
/// numbers-only form of [`prepare_data`] (a series input is refused there).
pub fn prepare(card: &ModelCard, given: &BTreeMap<String, Given>) -> Result<Vec<f64>, ModelError> {
    let data = prepare_data(card, given)?;
    card.inputs
        .iter()
        .zip(data)
        .map(|(port, d)| match d {
            Datum::Scalar(v) => Ok(v),
            Datum::Series(_) | Datum::Text(_) => Err(ModelError::Shape {
                input: port.name,
                want: Shape::Scalar,
            }),
        })
        .collect()
}

pub(crate) fn value_of(port: &Port, g: &Given) -> Result<f64, ModelError> {
    match g {
        Given::Number(v) => Ok(*v),
        Given::Quantity { value, unit } => quantity::convert(*value, unit, port.unit, port.scale)
            .map_err(|error| ModelError::Unit {
                input: port.name.to_string(),
                error,
            }),
        Given::Choice(name) => port
            .choices
            .iter()
            .position(|c| c == name)
            .map(|i| i as f64)
            .ok_or_else(|| ModelError::Choice {
                input: port.name,
                given: name.clone(),
                choices: port.choices.join(", "),
            }),
        Given::Series(_) | Given::SeriesIn { .. } | Given::Texts(_) => Err(ModelError::Shape {
            input: port.name,
            want: Shape::Scalar,
        }),
    }
}

/// [`prepare`] for models that take series too: every input converted to its declared
/// unit (series element by element, gaps as NaN), scalars range-checked, series checked
/// for length.
pub fn prepare_data(
    card: &ModelCard,
    given: &BTreeMap<String, Given>,
) -> Result<Vec<Datum>, ModelError> {
    for name in given.keys() {
        if !card.inputs.iter().any(|p| p.name == name) {
            return Err(ModelError::UnknownInput {
                input: name.clone(),
                known: names(card.inputs),
            });
        }
    }
    card.inputs
        .iter()
        .map(|port| match port.shape {
            Shape::Scalar => {
                let v = match given.get(port.name) {
                    None => port
                        .default
                        .ok_or(ModelError::MissingInput { input: port.name })?,
                    Some(g) => value_of(port, g)?,
                };
                check(port, v).map(Datum::Scalar)
            }
            Shape::Text => match given.get(port.name) {
                None => Err(ModelError::MissingInput { input: port.name }),
                Some(Given::Texts(t)) => {
                    if t.is_empty() || t.len() > MAX_TEXTS {
                        return Err(ModelError::SeriesLength {
                            input: port.name,
                            len: t.len(),
                            max: MAX_TEXTS,
                        });
                    }
                    if let Some(long) = t.iter().find(|s| s.chars().count() > MAX_TEXT_CHARS) {
                        return Err(ModelError::Refused(Refusal::new(
                            format!(
                                "input {:?}: a text of {} characters; at most {MAX_TEXT_CHARS}",
                                port.name,
                                long.chars().count()
                            ),
                            format!(
                                "输入 {:?}：文本有 {} 个字符，最多 {MAX_TEXT_CHARS} 个",
                                port.name,
                                long.chars().count()
                            ),
                        )));
                    }
                    Ok(Datum::Text(t.clone()))
                }
                Some(_) => Err(ModelError::Shape {
                    input: port.name,
                    want: Shape::Text,
                }),
            },
            Shape::Series => {
                let (values, unit) = match given.get(port.name) {
                    None => return Err(ModelError::MissingInput { input: port.name }),
                    Some(Given::Series(v)) => (v, None),
                    Some(Given::SeriesIn { values, unit }) => (values, Some(unit)),
                    Some(_) => {
                        return Err(ModelError::Shape {
                            input: port.name,
                            want: Shape::Series,
                        });
                    }
                };
                if values.is_empty() || values.len() > MAX_SERIES {
                    return Err(ModelError::SeriesLength {
                        input: port.name,
                        len: values.len(),
                        max: MAX_SERIES,
                    });
                }
                // A series declared without a unit (a statistic of any quantity) takes the
                // values as they come.
                let convert = match unit {
                    Some(u) if !port.unit.is_empty() => {
                        crate::model_run::Conversion::between(port, Some(u), Some(port.unit))?
                    }
                    _ => None,
                };
                Ok(Datum::Series(
                    values
                        .iter()
                        .map(|v| {
                            crate::model_run::Conversion::apply(&convert, v.unwrap_or(f64::NAN))
                        })
                        .collect(),
                ))
            }
        })
        .collect()
}

/// An output as the API shows it: a value, or a series with gaps as `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OutputData {
    Value(OutputValue),
    Series {
        values: Vec<Option<f64>>,
        unit: String,
    },
    Texts {
        texts: Vec<String>,
    },
}

/// [`present`] for models with series outputs.
pub fn present_data(
    card: &ModelCard,
    values: Vec<Datum>,
    units: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, OutputData>, ModelError> {
    for name in units.keys() {
        if !card.outputs.iter().any(|p| p.name == name) {
            return Err(ModelError::UnknownOutput {
                output: name.clone(),
                known: names(card.outputs),
            });
        }
    }
    card.outputs
        .iter()
        .zip(values)
        .map(|(port, d)| {
            let unit = units.get(port.name).map_or(port.unit, |u| u.as_str());
            let conv = |v: f64| -> Result<f64, ModelError> {
                if unit == port.unit || !v.is_finite() {
                    return Ok(v);
                }
                quantity::convert(v, port.unit, unit, port.scale).map_err(|error| {
                    ModelError::Unit {
                        input: port.name.to_string(),
                        error,
                    }
                })
            };
            let out = match d {
                Datum::Scalar(v) => OutputData::Value(OutputValue {
                    value: conv(v)?,
                    unit: unit.to_string(),
                }),
                Datum::Series(vs) => OutputData::Series {
                    values: vs
                        .into_iter()
                        .map(|v| conv(v).map(|x| x.is_finite().then_some(x)))
                        .collect::<Result<_, _>>()?,
                    unit: unit.to_string(),
                },
                Datum::Text(texts) => OutputData::Texts { texts },
            };
            Ok((port.name, out))
        })
        .collect()
}

/// Checks one value, already in the port's unit, against the port's range.
pub fn check(port: &Port, v: f64) -> Result<f64, ModelError> {
    if !v.is_finite() {
        return Err(ModelError::NotFinite { input: port.name });
    }
    if !port.choices.is_empty() && v.fract() != 0.0 {
        return Err(ModelError::Choice {
            input: port.name,
            given: v.to_string(),
            choices: port.choices.join(", "),
        });
    }
    if v < port.min || v > port.max {
        return Err(ModelError::OutOfRange {
            input: port.name,
            value: v,
            unit: port.unit,
            min: port.min,
            max: port.max,
        });
    }
    Ok(v)
}

pub(crate) fn names(ports: &[Port]) -> String {
    ports.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// An output value in the unit asked for (or the declared one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputValue {
    pub value: f64,
    pub unit: String,
}

/// Names the outputs and converts those the caller asked for into other units: the
/// numbers-only form of [`present_data`].
pub fn present(
    card: &ModelCard,
    values: &[f64],
    units: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, OutputValue>, ModelError> {
    let data = values.iter().map(|&v| Datum::Scalar(v)).collect();
    Ok(present_data(card, data, units)?
        .into_iter()
        .filter_map(|(name, out)| match out {
            OutputData::Value(v) => Some((name, v)),
            OutputData::Series { .. } | OutputData::Texts { .. } => None,
        })
        .collect())
}

/// The path a call came by, kept apart in the usage counts.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallSource {
    /// One evaluation over the API.
    Api,
    /// A row of a batch evaluation.
    Batch,
    /// A job over stored history.
    Job,
    /// A live binding on a product's messages.
    Live,
    /// A rule expression.
    Rule,
    /// An installed app (the host API's `model`).
    App,
}

impl CallSource {
    pub const ALL: [CallSource; 6] = [
        CallSource::Api,
        CallSource::Batch,
        CallSource::Job,
        CallSource::Live,
        CallSource::Rule,
        CallSource::App,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallSource::Api => "api",
            CallSource::Batch => "batch",
            CallSource::Job => "job",
            CallSource::Live => "live",
            CallSource::Rule => "rule",
            CallSource::App => "app",
        }
    }

    pub fn parse(s: &str) -> Option<CallSource> {
        CallSource::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Calls of one model by one path in one calendar month (UTC) of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UsageRow {
    /// `YYYY-MM`.
    pub month: String,
    pub model: String,
    pub source: CallSource,
    pub calls: u64,
    /// Calls refused (bad input, the model's refusal, the quota).
    pub errors: u64,
    /// CPU time spent evaluating, microseconds.
    pub cpu_us: u64,
}

/// Model calls from places that hold only numbers (rule expressions, live bindings):
/// evaluates a model on its inputs in declared units and order and returns one output,
/// counting the call for the tenant.
pub trait ModelCaller: Send + Sync {
    fn call(
        &self,
        tenant: crate::ids::TenantId,
        source: CallSource,
        id: &str,
        output: &str,
        args: &[f64],
    ) -> Result<f64, ModelError>;
}

/// Checks a positional call of `card` with `given` arguments for `output`: the output's
/// index, or the refusal (unknown output, too few or too many arguments).
pub fn positional(card: &ModelCard, output: &str, given: usize) -> Result<usize, ModelError> {
    if card
        .inputs
        .iter()
        .chain(card.outputs)
        .any(|p| p.shape != Shape::Scalar)
    {
        return Err(ModelError::Refused(Refusal::new(
            format!(
                "{} works on series or texts; here models are called with numbers only",
                card.id
            ),
            format!("{} 处理的是序列或文本；此处只能以数值调用模型", card.id),
        )));
    }
    let index = card
        .outputs
        .iter()
        .position(|p| p.name == output)
        .ok_or_else(|| ModelError::UnknownOutput {
            output: output.to_string(),
            known: names(card.outputs),
        })?;
    let required = card
        .inputs
        .iter()
        .rposition(|p| p.default.is_none())
        .map_or(0, |i| i + 1);
    if given < required || given > card.inputs.len() {
        let want = if required == card.inputs.len() {
            format!("{required}")
        } else {
            format!("{required} to {}", card.inputs.len())
        };
        return Err(ModelError::Refused(Refusal::new(
            format!(
                "{} takes {want} inputs ({}), not {given}",
                card.id,
                names(card.inputs)
            ),
            format!(
                "{} 需要 {want} 个输入（{}），而不是 {given} 个",
                card.id,
                names(card.inputs)
            ),
        )));
    }
    Ok(index)
}

/// `args` completed with the defaults of the inputs left out at the end.
pub fn with_defaults(card: &ModelCard, args: &[f64]) -> Vec<f64> {
    let mut x = args.to_vec();
    for p in &card.inputs[args.len().min(card.inputs.len())..] {
        x.push(p.default.unwrap_or(f64::NAN));
    }
    x
}

/// The catalogue of models and algorithms, as the API, rules and jobs reach it.
pub trait Catalogue: Send + Sync + std::fmt::Debug {
    /// Every card, in a stable order (by id).
    fn cards(&self) -> Vec<&'static ModelCard>;
    fn card(&self, id: &str) -> Option<&'static ModelCard>;
    /// Evaluates a model on inputs already in its declared units and order
    /// ([`prepare`]); returns the outputs in declared units and order. Models with series
    /// inputs or outputs answer only [`evaluate_data`](Self::evaluate_data).
    fn evaluate(&self, id: &str, inputs: &[f64]) -> Result<Vec<f64>, ModelError>;
    /// Evaluates any model on inputs from [`prepare_data`].
    fn evaluate_data(&self, id: &str, inputs: Vec<Datum>) -> Result<Vec<Datum>, ModelError>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const INPUTS: &[Port] = &[
        Port::new("p", "Pressure", "压力", "bar", 0.0, 100.0),
        Port::new("t", "Temperature", "温度", "°C", -50.0, 400.0),
        Port::new("dt", "Rise", "温升", "K", 0.0, 100.0).difference(),
        Port::choice("flow", "Flow", "流向", &["counter", "parallel"]).default(0.0),
    ];
    const CARD: ModelCard = ModelCard {
        id: "test.card",
        version: 1,
        name: Text::new("Test", "测试"),
        summary: Text::new("", ""),
        kind: ModelKind::Mechanism,
        industries: &["C34"],
        domains: &[Domain::Design],
        inputs: INPUTS,
        outputs: &[Port::out("q", "Heat", "热量", "kW")],
        formula: Text::new("", ""),
        references: &[],
    };

    fn given(json: &str) -> BTreeMap<String, Given> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn converts_inputs_to_declared_units() {
        let v = prepare(
            &CARD,
            &given(
                r#"{"p": {"value": 250, "unit": "kPa"}, "t": {"value": 212, "unit": "°F"},
                       "dt": {"value": 18, "unit": "°F"}, "flow": "parallel"}"#,
            ),
        )
        .unwrap();
        assert!((v[0] - 2.5).abs() < 1e-12);
        assert!((v[1] - 100.0).abs() < 1e-9);
        assert!((v[2] - 10.0).abs() < 1e-9);
        assert_eq!(v[3], 1.0);
        let v = prepare(&CARD, &given(r#"{"p": 1, "t": 20, "dt": 5}"#)).unwrap();
        assert_eq!(v, vec![1.0, 20.0, 5.0, 0.0]);
    }

    #[test]
    fn refusals_name_the_input() {
        let e = prepare(&CARD, &given(r#"{"p": 1, "t": 20}"#)).unwrap_err();
        assert_eq!(e, ModelError::MissingInput { input: "dt" });
        let e = prepare(&CARD, &given(r#"{"p": 101, "t": 20, "dt": 1}"#)).unwrap_err();
        assert!(e.to_string().contains("\"p\""), "{e}");
        assert!(
            e.message(crate::i18n::Locale::ZhCn)
                .contains("超出有效范围")
        );
        let e = prepare(
            &CARD,
            &given(r#"{"p": {"value": 1, "unit": "m"}, "t": 20, "dt": 1}"#),
        )
        .unwrap_err();
        assert!(matches!(e, ModelError::Unit { .. }), "{e}");
        assert_eq!(e.code(), "invalid_model_input");
        let e = prepare(&CARD, &given(r#"{"p": 1, "t": 20, "dt": 1, "x": 2}"#)).unwrap_err();
        assert!(e.to_string().contains("\"x\""));
        let e = prepare(
            &CARD,
            &given(r#"{"p": 1, "t": 20, "dt": 1, "flow": "cross"}"#),
        )
        .unwrap_err();
        assert!(e.to_string().contains("counter, parallel"), "{e}");
        let e = prepare(&CARD, &given(r#"{"p": 1, "t": 20, "dt": 1, "flow": 0.5}"#)).unwrap_err();
        assert!(matches!(e, ModelError::Choice { .. }));
    }

    #[test]
    fn outputs_in_the_units_asked_for() {
        let units: BTreeMap<String, String> = [("q".to_string(), "W".to_string())].into();
        let out = present(&CARD, &[2.0], &units).unwrap();
        assert_eq!(out["q"].value, 2000.0);
        let units: BTreeMap<String, String> = [("z".to_string(), "W".to_string())].into();
        assert!(present(&CARD, &[2.0], &units).is_err());
    }

    #[test]
    fn cards_serialise_open_ranges_as_null() {
        let j = serde_json::to_value(CARD).unwrap();
        assert_eq!(j["outputs"][0]["min"], serde_json::Value::Null);
        assert_eq!(j["inputs"][2]["scale"], "difference");
        assert_eq!(j["inputs"][3]["choices"][1], "parallel");
        assert_eq!(j["name"]["zh-CN"], "测试");
    }
}
