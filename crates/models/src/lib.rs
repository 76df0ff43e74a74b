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

use ironloom_core::model::{Catalogue, ModelCard, ModelError, Refusal};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub mod docs;
mod electrical;
mod fluids;
mod heat;
mod machinery;
pub mod meter;
mod operations;
mod process;
mod quality;
mod stats;
mod steam;

/// A model: its card and its function.
pub struct Model {
    pub card: ModelCard,
    pub eval: fn(&[f64]) -> Result<Vec<f64>, Refusal>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("id", &self.card.id).finish()
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
        let m = self
            .model(id)
            .ok_or_else(|| ModelError::UnknownModel(id.to_string()))?;
        if inputs.len() != m.card.inputs.len() {
            return Err(ModelError::Refused(Refusal::new(
                format!(
                    "{} takes {} inputs, not {}",
                    id,
                    m.card.inputs.len(),
                    inputs.len()
                ),
                format!(
                    "{} 需要 {} 个输入，而不是 {} 个",
                    id,
                    m.card.inputs.len(),
                    inputs.len()
                ),
            )));
        }
        for (port, &v) in m.card.inputs.iter().zip(inputs) {
            ironloom_core::model::check(port, v)?;
        }
        let out = (m.eval)(inputs).map_err(ModelError::Refused)?;
        if out.len() != m.card.outputs.len() || out.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::Refused(Refusal::new(
                format!("{id} has no finite result for these inputs"),
                format!("{id} 对这些输入没有有限的结果"),
            )));
        }
        Ok(out)
    }
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
