//! Ironloom's industrial knowledge library: mechanism models (研发仿真, 业务流程, 行业机理)
//! and data algorithms, each a pure function with its card (`ironloom_core::model`).
//!
//! Layout: one module per field (`steam` for IAPWS-IF97 water and steam, `fluids` for
//! pipes and pumps, `heat` for heat exchangers …), each listing its models in a `MODELS`
//! slice; [`Library`] gathers them by id and implements the platform's
//! [`Catalogue`](ironloom_core::model::Catalogue). Test vectors live in `vectors/`, one
//! JSON file per module, every case naming its source (a published table or worked
//! example, or the open implementation that computed it); `tests/vectors.rs` runs them all.
//!
//! Invariants: a function receives its inputs in the units and order its card declares,
//! already range-checked, and returns its outputs in the declared units and order; it
//! never panics, and refuses a combination it does not cover with a [`Refusal`] in both
//! languages. Ids are unique and never reused for a different function (a changed
//! function gets a new `version`).

use ironloom_core::model::{
    Catalogue, Datum, Domain, ModelCard, ModelError, ModelKind, Port, Reference, Refusal, Shape,
    Text,
};
use std::collections::BTreeMap;
use std::sync::OnceLock;

mod accelerated;
mod algorithms;
mod anomaly;
mod arima;
mod calculus;
mod changepoint;
mod cluster;
mod comparison;
mod convection;
mod correlation;
mod costing;
mod decision;
pub mod docs;
mod electrical;
mod energy;
mod energy_mgmt;
mod features;
mod finance;
mod fluids;
mod forming;
mod gasdynamics;
mod heat;
mod hydraulics;
mod industry;
mod inference;
mod lean;
mod learn;
mod logistics;
mod machinery;
mod machining;
mod maintenance;
mod management;
mod mechanics;
pub mod meter;
mod metering;
mod metrics;
pub mod ml;
mod numeric;
mod operations;
mod planning;
mod plant;
mod power;
mod process;
mod process_flow;
mod process_heat;
mod psychrometrics;
mod pv;
mod quality;
mod refrigeration;
mod regression;
mod repair;
mod robust;
mod routing;
mod signal;
mod solar;
mod spa;
mod spectral;
mod stationarity;
mod stats;
mod steam;
mod steam_backward;
mod steam_regions;
mod stl;
mod supply;
mod text;
mod thermal;
mod timeseries;
mod valves;
mod water;

/// A model: its card and its function.
pub struct Model {
    pub card: ModelCard,
    pub eval: Eval,
}

/// A model's function: numbers in and out, or (algorithms) series too.
#[derive(Clone, Copy)]
pub enum Eval {
    Scalar(fn(&[f64]) -> Result<Vec<f64>, Refusal>),
    Data(fn(&[Datum]) -> Result<Vec<Datum>, Refusal>),
}

impl std::fmt::Debug for Eval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Eval::Scalar(_) => "Eval::Scalar",
            Eval::Data(_) => "Eval::Data",
        })
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("id", &self.card.id).finish()
    }
}

/// A version-1 card from its fields in the struct's order: the one constructor the modules
/// share, shorter to read than the struct literal.
#[allow(clippy::too_many_arguments)] // a card's own fields, in the struct's order
pub(crate) const fn card(
    id: &'static str,
    name: Text,
    summary: Text,
    kind: ModelKind,
    industries: &'static [&'static str],
    domains: &'static [Domain],
    inputs: &'static [Port],
    outputs: &'static [Port],
    formula: Text,
    references: &'static [Reference],
) -> ModelCard {
    ModelCard {
        id,
        version: 1,
        name,
        summary,
        kind,
        industries,
        domains,
        inputs,
        outputs,
        formula,
        references,
    }
}

impl Model {
    /// Evaluates a model that takes numbers on inputs in its declared units and order
    /// (each range-checked): [`Catalogue::evaluate`] without the look-up, for callers
    /// that evaluate one model many times (jobs over history).
    pub fn evaluate(&self, inputs: &[f64]) -> Result<Vec<f64>, ModelError> {
        let id = self.card.id;
        let Eval::Scalar(f) = self.eval else {
            return Err(ModelError::Refused(Refusal::new(
                format!("{id} takes series: call it with data"),
                format!("{id} 的输入是序列：请以数据调用"),
            )));
        };
        if inputs.len() != self.card.inputs.len() {
            return Err(ModelError::Refused(Refusal::new(
                format!(
                    "{} takes {} inputs, not {}",
                    id,
                    self.card.inputs.len(),
                    inputs.len()
                ),
                format!(
                    "{} 需要 {} 个输入，而不是 {} 个",
                    id,
                    self.card.inputs.len(),
                    inputs.len()
                ),
            )));
        }
        for (port, &v) in self.card.inputs.iter().zip(inputs) {
            ironloom_core::model::check(port, v)?;
        }
        let out = f(inputs).map_err(ModelError::Refused)?;
        if out.len() != self.card.outputs.len() || out.iter().any(|v| !v.is_finite()) {
            return Err(no_result(id));
        }
        Ok(out)
    }
}

/// Every model of the library, module by module.
pub fn models() -> impl Iterator<Item = &'static Model> {
    [
        steam::MODELS,
        fluids::MODELS,
        heat::MODELS,
        machinery::MODELS,
        quality::MODELS,
        operations::MODELS,
        electrical::MODELS,
        process::MODELS,
        algorithms::MODELS,
        mechanics::MODELS,
        spectral::MODELS,
        management::MODELS,
        repair::MODELS,
        signal::MODELS,
        timeseries::MODELS,
        anomaly::MODELS,
        regression::MODELS,
        correlation::MODELS,
        changepoint::MODELS,
        cluster::MODELS,
        learn::MODELS,
        inference::MODELS,
        features::MODELS,
        stationarity::MODELS,
        comparison::MODELS,
        robust::MODELS,
        metrics::MODELS,
        calculus::MODELS,
        stl::MODELS,
        text::MODELS,
        arima::MODELS,
        ml::MODELS,
        process_flow::MODELS,
        accelerated::MODELS,
        energy_mgmt::MODELS,
        forming::MODELS,
        plant::MODELS,
        process_heat::MODELS,
        pv::MODELS,
        routing::MODELS,
        spa::MODELS,
        steam_regions::MODELS,
        steam_backward::MODELS,
        water::MODELS,
        energy::MODELS,
        refrigeration::MODELS,
        psychrometrics::MODELS,
        solar::MODELS,
        maintenance::MODELS,
        power::MODELS,
        machining::MODELS,
        lean::MODELS,
        supply::MODELS,
        finance::MODELS,
        industry::MODELS,
        planning::MODELS,
        convection::MODELS,
        logistics::MODELS,
        decision::MODELS,
        costing::MODELS,
        gasdynamics::MODELS,
        valves::MODELS,
        metering::MODELS,
        hydraulics::MODELS,
        thermal::MODELS,
    ]
    .into_iter()
    .flatten()
}

/// The library as the platform's catalogue.
#[derive(Debug)]
pub struct Library {
    by_id: BTreeMap<&'static str, &'static Model>,
}

impl Library {
    /// The one library (built once).
    pub fn get() -> &'static Library {
        static LIBRARY: OnceLock<Library> = OnceLock::new();
        LIBRARY.get_or_init(|| Library {
            by_id: models().map(|m| (m.card.id, m)).collect(),
        })
    }

    pub fn model(&self, id: &str) -> Option<&'static Model> {
        self.by_id.get(id).copied()
    }
}

impl Catalogue for Library {
    fn cards(&self) -> Vec<&'static ModelCard> {
        self.by_id.values().map(|m| &m.card).collect()
    }

    fn card(&self, id: &str) -> Option<&'static ModelCard> {
        self.model(id).map(|m| &m.card)
    }

    fn evaluate(&self, id: &str, inputs: &[f64]) -> Result<Vec<f64>, ModelError> {
        self.model(id)
            .ok_or_else(|| ModelError::UnknownModel(id.to_string()))?
            .evaluate(inputs)
    }

    fn evaluate_data(&self, id: &str, inputs: Vec<Datum>) -> Result<Vec<Datum>, ModelError> {
        let m = self
            .model(id)
            .ok_or_else(|| ModelError::UnknownModel(id.to_string()))?;
        match m.eval {
            Eval::Scalar(_) => {
                let x: Vec<f64> = inputs.iter().map(Datum::scalar).collect();
                Ok(self
                    .evaluate(id, &x)?
                    .into_iter()
                    .map(Datum::Scalar)
                    .collect())
            }
            Eval::Data(f) => {
                let shapes_match = inputs.len() == m.card.inputs.len()
                    && m.card.inputs.iter().zip(&inputs).all(|(p, d)| {
                        matches!(
                            (p.shape, d),
                            (Shape::Scalar, Datum::Scalar(_))
                                | (Shape::Series, Datum::Series(_))
                                | (Shape::Text, Datum::Text(_))
                        )
                    });
                if !shapes_match {
                    return Err(ModelError::Refused(Refusal::new(
                        format!("{id}: the inputs do not match the card"),
                        format!("{id}：输入与模型卡不符"),
                    )));
                }
                for (port, d) in m.card.inputs.iter().zip(&inputs) {
                    if let Datum::Scalar(v) = d {
                        ironloom_core::model::check(port, *v)?;
                    }
                }
                let out = f(&inputs).map_err(ModelError::Refused)?;
                let ok = out.len() == m.card.outputs.len()
                    && out.iter().zip(m.card.outputs).all(|(d, p)| match d {
                        Datum::Scalar(v) => p.shape == Shape::Scalar && !v.is_infinite(),
                        Datum::Series(_) => p.shape == Shape::Series,
                        Datum::Text(_) => p.shape == Shape::Text,
                    });
                if !ok {
                    return Err(no_result(id));
                }
                Ok(out)
            }
        }
    }
}

fn no_result(id: &str) -> ModelError {
    ModelError::Refused(Refusal::new(
        format!("{id} has no finite result for these inputs"),
        format!("{id} 对这些输入没有有限的结果"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_card_is_complete_and_ids_are_unique() {
        let mut ids = BTreeSet::new();
        for m in models() {
            let c = &m.card;
            assert!(ids.insert(c.id), "duplicate id {}", c.id);
            assert!(c.id.contains('.') && c.id.is_ascii(), "{}", c.id);
            assert!(c.version >= 1);
            for t in [c.name, c.summary, c.formula] {
                assert!(!t.en.is_empty() && !t.zh.is_empty(), "{}: empty text", c.id);
            }
            assert!(
                !c.industries.is_empty() && !c.domains.is_empty(),
                "{}",
                c.id
            );
            for i in c.industries {
                assert!(
                    i.len() == 3 && i.as_bytes()[0].is_ascii_uppercase(),
                    "{}: industry {i} is not a GB/T 4754 division",
                    c.id
                );
            }
            assert!(!c.references.is_empty(), "{}: no reference", c.id);
            assert!(!c.inputs.is_empty() && !c.outputs.is_empty(), "{}", c.id);
            let mut names = BTreeSet::new();
            for p in c.inputs.iter().chain(c.outputs) {
                assert!(names.insert(p.name), "{}: port {} twice", c.id, p.name);
                assert!(!p.label.en.is_empty() && !p.label.zh.is_empty());
                assert!(
                    ironloom_core::quantity::Unit::parse(p.unit).is_ok(),
                    "{}: unit {:?}",
                    c.id,
                    p.unit
                );
                assert!(p.min <= p.max);
            }
        }
    }
}
