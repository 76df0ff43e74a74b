//! Running models on device data: **live bindings** (a model evaluated on every message
//! of a product's devices, its outputs written as derived properties) and **jobs** (a model
//! or algorithm run over a time range of stored history, its result returned or written
//! back). Both write through the one ingest path, so thing-model checks, retention, live
//! views and rules apply to what they produce.
//!
//! This module holds the documents users write and the checks that turn them into plans
//! against a model's card and a product's thing model; the runtimes live in
//! `crates/compute`, the storage behind [`crate::repo::ModelRunRepo`].

use crate::error::{Error, FieldError, FieldErrorKind};
use crate::ids::{BindingId, DeviceId, JobId, TenantId};
use crate::model::{Given, ModelCard, ModelError, Port, Refusal, Shape};
use crate::quantity::{Scale, Unit};
use crate::thing_model::{DataType, ThingModel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most bindings one tenant may keep (each runs on every message of its product).
pub const MAX_BINDINGS_PER_TENANT: usize = 200;

/// Where a binding's input comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BoundInput {
    /// A property of the device: its value in the message, else the device's last one.
    Property { property: String },
    /// A fixed value: a number in the port's unit, `{value, unit}`, or an option's name.
    Constant(Given),
}

/// A model bound to a product: on every message of the product's devices that carries
/// one of the bound properties, the model is evaluated and its outputs are written as the
/// device's properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingSpec {
    pub name: String,
    pub product_key: String,
    /// The model's id, e.g. `pump.hydraulic_power`.
    pub model: String,
    /// Input name → property or constant. Inputs with a default may be left out.
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<String, BoundInput>,
    /// Output name → the product's property it is written to (numeric, declared in the
    /// thing model).
    pub outputs: BTreeMap<String, String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelBinding {
    pub id: BindingId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub spec: BindingSpec,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A unit conversion fixed when a plan is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    from: Unit,
    to: Unit,
    scale: Scale,
}

impl Conversion {
    /// From `from` to `to` for `port` (none when either is unset or they are the same).
    pub fn between(
        port: &Port,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Option<Conversion>, ModelError> {
        let (Some(from), Some(to)) = (from, to) else {
            return Ok(None);
        };
        if from == to || from.is_empty() || to.is_empty() {
            return Ok(None);
        }
        let unit_error = |error| ModelError::Unit {
            input: port.name.to_string(),
            error,
        };
        let (a, b) = (
            Unit::parse(from).map_err(unit_error)?,
            Unit::parse(to).map_err(unit_error)?,
        );
        if a.dim != b.dim {
            // The refusal text of a failed conversion names both units.
            crate::quantity::convert(1.0, from, to, port.scale).map_err(unit_error)?;
        }
        Ok(Some(Conversion {
            from: a,
            to: b,
            scale: port.scale,
        }))
    }

    pub fn apply(c: &Option<Conversion>, v: f64) -> f64 {
        match c {
            Some(c) => c.to.from_si(c.from.to_si(v, c.scale), c.scale),
            None => v,
        }
    }
}

/// A binding's input, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanInput {
    /// The property's value converted from its unit to the port's.
    Property {
        property: String,
        convert: Option<Conversion>,
    },
    Constant(f64),
}

/// A binding checked against its model and product: what to read, in the model's order,
/// and where each output goes.
#[derive(Debug, Clone)]
pub struct BindingPlan {
    pub model: &'static ModelCard,
    pub inputs: Vec<PlanInput>,
    /// (output index, property, conversion from the port's unit to the property's).
    pub outputs: Vec<(usize, String, Option<Conversion>)>,
}

impl BindingPlan {
    /// The properties whose arrival triggers an evaluation.
    pub fn reads(&self) -> impl Iterator<Item = &str> {
        self.inputs.iter().filter_map(|i| match i {
            PlanInput::Property { property, .. } => Some(property.as_str()),
            PlanInput::Constant(_) => None,
        })
    }
}

fn refused(en: String, zh: String) -> ModelError {
    ModelError::Refused(Refusal::new(en, zh))
}

/// The unit of a numeric property (`Ok(None)` without one); an error for a property that
/// is not declared or not a number.
pub fn numeric_property<'a>(
    tm: &'a ThingModel,
    product_key: &str,
    property: &str,
) -> Result<Option<&'a str>, ModelError> {
    let Some(p) = tm.properties.iter().find(|p| p.identifier == property) else {
        return Err(refused(
            format!("product {product_key} declares no property {property:?}"),
            format!("产品 {product_key} 没有属性 {property:?}"),
        ));
    };
    match &p.data_type {
        DataType::Int { unit, .. }
        | DataType::Float { unit, .. }
        | DataType::Double { unit, .. } => Ok(unit.as_deref()),
        _ => Err(refused(
            format!("property {property:?} is not a number"),
            format!("属性 {property:?} 不是数值"),
        )),
    }
}

/// A constant input in the port's unit, checked.
pub fn constant(port: &Port, g: &Given) -> Result<f64, ModelError> {
    crate::model::check(port, crate::model::value_of(port, g)?)
}

/// Checks a binding against its model's card and the product's thing model: every input
/// bound (or defaulted), every bound property declared and numeric with a compatible unit,
/// every output to a numeric property not also read.
pub fn plan_binding(
    spec: &BindingSpec,
    card: &'static ModelCard,
    tm: &ThingModel,
) -> Result<BindingPlan, ModelError> {
    if card
        .inputs
        .iter()
        .chain(card.outputs)
        .any(|p| p.shape != Shape::Scalar)
    {
        return Err(refused(
            format!(
                "{} works on series; bind it with a job over history, or use a model that takes numbers",
                card.id
            ),
            format!(
                "{} 处理的是序列：请用历史数据作业运行，或绑定以数值为输入的模型",
                card.id
            ),
        ));
    }
    for name in spec.inputs.keys() {
        if !card.inputs.iter().any(|p| p.name == name) {
            return Err(ModelError::UnknownInput {
                input: name.clone(),
                known: crate::model::names(card.inputs),
            });
        }
    }
    let mut inputs = Vec::with_capacity(card.inputs.len());
    for port in card.inputs {
        inputs.push(match spec.inputs.get(port.name) {
            None => PlanInput::Constant(
                port.default
                    .ok_or(ModelError::MissingInput { input: port.name })?,
            ),
            Some(BoundInput::Constant(g)) => PlanInput::Constant(constant(port, g)?),
            Some(BoundInput::Property { property }) => {
                let unit = numeric_property(tm, &spec.product_key, property)?;
                PlanInput::Property {
                    property: property.clone(),
                    convert: Conversion::between(port, unit, Some(port.unit))?,
                }
            }
        });
    }
    if spec.outputs.is_empty() {
        return Err(refused(
            "a binding writes at least one output".into(),
            "绑定至少要写出一个输出".into(),
        ));
    }
    let mut outputs = Vec::new();
    for (name, property) in &spec.outputs {
        let index = card
            .outputs
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| ModelError::UnknownOutput {
                output: name.clone(),
                known: crate::model::names(card.outputs),
            })?;
        let unit = numeric_property(tm, &spec.product_key, property)?;
        if spec
            .inputs
            .values()
            .any(|i| matches!(i, BoundInput::Property { property: p } if p == property))
        {
            return Err(refused(
                format!("property {property:?} is both an input and an output"),
                format!("属性 {property:?} 不能既是输入又是输出"),
            ));
        }
        let port = &card.outputs[index];
        outputs.push((
            index,
            property.clone(),
            Conversion::between(port, Some(port.unit), unit)?,
        ));
    }
    let plan = BindingPlan {
        model: card,
        inputs,
        outputs,
    };
    if plan.reads().next().is_none() {
        return Err(refused(
            "bind at least one input to a property: a binding runs when one arrives".into(),
            "至少要把一个输入绑定到属性：绑定在属性到达时运行".into(),
        ));
    }
    Ok(plan)
}

/// Where a job's input comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JobInput {
    /// A stored series: one property of one device over the job's range.
    Series {
        device: DeviceId,
        property: String,
    },
    Constant(Given),
}

/// Outputs written back as a device's properties (through the ingest path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteBack {
    pub device: DeviceId,
    /// Output name → property.
    pub outputs: BTreeMap<String, String>,
}

/// What a job computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    pub model: String,
    /// The range [from, to).
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Input name → a stored series or a constant. Rows are aligned on the timestamps of
    /// the first series input (in the card's order); the others contribute their last
    /// value at or before each timestamp.
    #[schema(value_type = Object)]
    pub inputs: BTreeMap<String, JobInput>,
    /// For algorithms over series: evaluate once per window of this many seconds (each
    /// scalar output becomes a series at the windows' starts) instead of once over the
    /// whole range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_s: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_back: Option<WriteBack>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The platform stopped while the job ran; run it again to finish it.
    Interrupted,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Cancelled,
            JobStatus::Interrupted,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
    }

    pub fn is_finished(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

/// A job and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: JobId,
    pub tenant_id: TenantId,
    pub spec: JobSpec,
    pub status: JobStatus,
    /// 0 to 1: the share of the range read so far.
    pub progress: f64,
    /// Stored points read.
    pub points_read: u64,
    /// Rows evaluated with a result (windows, for a windowed algorithm); rows the model
    /// refused are counted in the result's `refused`.
    pub rows: u64,
    /// Values written back.
    pub written: u64,
    /// Why it failed, in English and Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Refusal>,
    /// Outputs: `{name: {unit, ts: [...], values: [...]}}` for series, `{name: {unit,
    /// value}}` for scalars; series are cut at [`MAX_RESULT_POINTS`] (the write-back is
    /// complete).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// What a running binding did since the platform started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BindingStats {
    /// Whether the runtime runs it now (enabled and valid against its product).
    pub running: bool,
    pub evaluations: u64,
    /// Evaluations refused (an input out of range, the model's refusal, the quota).
    pub refused: u64,
    pub last_evaluated_at: Option<DateTime<Utc>>,
    /// The latest refusal, or why the binding does not run.
    pub last_error: Option<Refusal>,
}

/// The runtime of bindings and jobs, as the API reaches it.
#[async_trait::async_trait]
pub trait ModelRuns: Send + Sync {
    /// Reads the bindings again; returns once the runtime uses them.
    async fn reload_bindings(&self) -> Result<(), Error>;
    fn binding_stats(&self, tenant: TenantId, id: BindingId) -> BindingStats;
    /// Checks a job against its model and devices, records it and starts it.
    async fn submit(
        &self,
        actor: &crate::entity::Actor,
        tenant: TenantId,
        spec: JobSpec,
    ) -> Result<Job, Error>;
    /// Asks a queued or running job to stop; it stops at its next slice.
    async fn cancel(&self, tenant: TenantId, id: JobId) -> Result<(), Error>;
}

/// The most points of one output series a job's stored result keeps.
pub const MAX_RESULT_POINTS: usize = 100_000;

/// The longest range a job may cover.
pub const MAX_JOB_RANGE_DAYS: i64 = 3_660;

/// Checks a job's document against its model's card: the range, every input given (or
/// defaulted) in the right shape, constants converted, outputs of the write-back known.
/// Returns the constants in the card's order (`None` where a series is bound).
pub fn check_job(spec: &JobSpec, card: &'static ModelCard) -> Result<Vec<Option<f64>>, Error> {
    let invalid = |field: &str, en: String, zh: String| {
        Error::Invalid(FieldError::new(field, FieldErrorKind::Other { en, zh }))
    };
    if spec.to <= spec.from {
        return Err(invalid(
            "to",
            "the range is empty: `to` must be after `from`".into(),
            "时间范围为空：`to` 必须晚于 `from`".into(),
        ));
    }
    if spec.to - spec.from > chrono::Duration::days(MAX_JOB_RANGE_DAYS) {
        return Err(invalid(
            "to",
            format!("a job covers at most {MAX_JOB_RANGE_DAYS} days"),
            format!("作业的时间范围最多 {MAX_JOB_RANGE_DAYS} 天"),
        ));
    }
    for name in spec.inputs.keys() {
        if !card.inputs.iter().any(|p| p.name == name) {
            return Err(ModelError::UnknownInput {
                input: name.clone(),
                known: crate::model::names(card.inputs),
            }
            .into());
        }
    }
    if card.inputs.iter().any(|p| p.shape == Shape::Text) {
        return Err(invalid(
            "model",
            format!(
                "{} works on texts, given in the call: use POST /api/v1/models/{}/invoke",
                card.id, card.id
            ),
            format!(
                "{} 处理的是调用时给出的文本：请使用 POST /api/v1/models/{}/invoke",
                card.id, card.id
            ),
        ));
    }
    let algorithm = card.inputs.iter().any(|p| p.shape == Shape::Series);
    let mut constants = Vec::with_capacity(card.inputs.len());
    for port in card.inputs {
        constants.push(match (spec.inputs.get(port.name), port.shape) {
            (None, Shape::Scalar) => Some(
                port.default
                    .ok_or(ModelError::MissingInput { input: port.name })?,
            ),
            (None, Shape::Series) => {
                return Err(ModelError::MissingInput { input: port.name }.into());
            }
            (Some(JobInput::Constant(g)), Shape::Scalar) => Some(constant(port, g)?),
            (Some(JobInput::Constant(_)), Shape::Series) => {
                return Err(ModelError::Shape {
                    input: port.name,
                    want: Shape::Series,
                }
                .into());
            }
            (Some(JobInput::Series { .. }), Shape::Series) => None,
            (Some(JobInput::Series { .. }), Shape::Scalar) if !algorithm => None,
            (Some(JobInput::Series { .. }), Shape::Scalar) => {
                return Err(ModelError::Shape {
                    input: port.name,
                    want: Shape::Scalar,
                }
                .into());
            }
            (_, Shape::Text) => None,
        });
    }
    if constants.iter().all(Option::is_some) {
        return Err(invalid(
            "inputs",
            "bind at least one input to a stored series (a device's property)".into(),
            "至少要把一个输入绑定到已存储的序列（设备的属性）".into(),
        ));
    }
    if spec.window_s.is_some() && !algorithm {
        return Err(invalid(
            "window_s",
            "windows apply to algorithms over series; a model taking numbers runs on every row"
                .into(),
            "窗口只适用于处理序列的算法；以数值为输入的模型逐行运行".into(),
        ));
    }
    if spec.window_s == Some(0) {
        return Err(invalid(
            "window_s",
            "a window lasts at least one second".into(),
            "窗口至少 1 秒".into(),
        ));
    }
    if let Some(wb) = &spec.write_back {
        if wb.outputs.is_empty() {
            return Err(invalid(
                "write_back.outputs",
                "name at least one output to write back".into(),
                "至少指定一个写回的输出".into(),
            ));
        }
        for name in wb.outputs.keys() {
            let Some(port) = card.outputs.iter().find(|p| p.name == name) else {
                return Err(ModelError::UnknownOutput {
                    output: name.clone(),
                    known: crate::model::names(card.outputs),
                }
                .into());
            };
            if algorithm && spec.window_s.is_none() && port.shape == Shape::Scalar {
                return Err(invalid(
                    "write_back.outputs",
                    format!(
                        "output {name:?} is one number for the whole range: run the job with a window to write it back as a series"
                    ),
                    format!("输出 {name:?} 对整个范围只有一个值：请按窗口运行作业以写回序列"),
                ));
            }
        }
    }
    Ok(constants)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{Domain, ModelKind, Text};

    const CARD: ModelCard = ModelCard {
        id: "t.power",
        version: 1,
        name: Text::new("", ""),
        summary: Text::new("", ""),
        kind: ModelKind::Mechanism,
        industries: &["C34"],
        domains: &[Domain::Design],
        inputs: &[
            Port::new("q", "Flow", "流量", "m³/h", 0.0, 1e6),
            Port::new("dp", "Head", "压差", "kPa", 0.0, 1e5),
            Port::new("eta", "Efficiency", "效率", "", 0.01, 1.0).default(1.0),
        ],
        outputs: &[Port::out("p", "Power", "功率", "kW")],
        formula: Text::new("", ""),
        references: &[],
    };

    fn tm() -> ThingModel {
        serde_json::from_value(serde_json::json!({"properties": [
            {"identifier": "flow", "name": "flow", "data_type": {"type": "double", "unit": "L/s"}},
            {"identifier": "head", "name": "head", "data_type": {"type": "double", "unit": "bar"}},
            {"identifier": "power", "name": "power", "data_type": {"type": "double", "unit": "W"}},
            {"identifier": "state", "name": "state", "data_type": {"type": "bool"}},
        ]}))
        .unwrap()
    }

    fn spec(json: serde_json::Value) -> BindingSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_binding_converts_property_units_to_the_ports_and_back() {
        let s = spec(
            serde_json::json!({"name": "b", "product_key": "pk", "model": "t.power",
            "inputs": {"q": {"property": "flow"}, "dp": {"value": 2, "unit": "bar"}},
            "outputs": {"p": "power"}}),
        );
        let plan = plan_binding(&s, &CARD, &tm()).unwrap();
        let PlanInput::Property { convert, .. } = &plan.inputs[0] else {
            panic!()
        };
        assert!((Conversion::apply(convert, 1.0) - 3.6).abs() < 1e-12);
        assert_eq!(plan.inputs[1], PlanInput::Constant(200.0));
        assert_eq!(plan.inputs[2], PlanInput::Constant(1.0));
        assert!((Conversion::apply(&plan.outputs[0].2, 1.5) - 1500.0).abs() < 1e-9);
        assert_eq!(plan.reads().collect::<Vec<_>>(), ["flow"]);
    }

    #[test]
    fn a_bad_binding_names_what_is_wrong() {
        let cases = [
            (
                serde_json::json!({"q": {"property": "nope"}, "dp": 1}),
                "power",
                "nope",
            ),
            (
                serde_json::json!({"q": {"property": "state"}, "dp": 1}),
                "power",
                "not a number",
            ),
            (
                serde_json::json!({"q": {"property": "head"}, "dp": 1}),
                "power",
                "m³/h",
            ),
            (
                serde_json::json!({"q": {"property": "flow"}}),
                "power",
                "\"dp\"",
            ),
            (
                serde_json::json!({"q": 1, "dp": 1}),
                "power",
                "at least one input",
            ),
            (
                serde_json::json!({"q": {"property": "flow"}, "dp": 1, "x": 1}),
                "power",
                "\"x\"",
            ),
            (
                serde_json::json!({"q": {"property": "flow"}, "dp": 1}),
                "flow",
                "both",
            ),
            (
                serde_json::json!({"q": {"property": "flow"}, "dp": 1e9}),
                "power",
                "range",
            ),
        ];
        for (inputs, out, want) in cases {
            let s = spec(
                serde_json::json!({"name": "b", "product_key": "pk", "model": "t.power",
                "inputs": inputs, "outputs": {"p": out}}),
            );
            let e = plan_binding(&s, &CARD, &tm()).unwrap_err();
            assert!(e.to_string().contains(want), "{e} (wanted {want})");
        }
    }

    #[test]
    fn a_job_needs_a_range_and_a_series() {
        let base = serde_json::json!({"model": "t.power", "from": "2026-01-01T00:00:00Z",
            "to": "2026-01-02T00:00:00Z",
            "inputs": {"q": {"device": DeviceId::new(), "property": "flow"}, "dp": 3}});
        let ok: JobSpec = serde_json::from_value(base.clone()).unwrap();
        assert_eq!(
            check_job(&ok, &CARD).unwrap(),
            vec![None, Some(3.0), Some(1.0)]
        );
        let mut empty = ok.clone();
        empty.to = empty.from;
        assert!(check_job(&empty, &CARD).is_err());
        let mut constants = ok.clone();
        constants
            .inputs
            .insert("q".into(), JobInput::Constant(Given::Number(1.0)));
        assert!(check_job(&constants, &CARD).is_err());
        let mut window = ok.clone();
        window.window_s = Some(60);
        assert!(check_job(&window, &CARD).is_err());
    }
}
