//! Pieces of the host operations that every [`HostServices`](crate::HostServices)
//! implementation shares (the platform's, `platform.rs`, and the edge gateway's): reading
//! a request's fields, and evaluating a model of the library.

use crate::host::HostError;
use ironloom_core::model::{self, Catalogue, Given, ModelCard};
use ironloom_models::Library;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Instant;

/// Most points one `history` call returns.
pub const MAX_HISTORY_POINTS: usize = 10_000;

pub fn bad(msg: impl Into<String>) -> HostError {
    HostError::new("bad_request", msg)
}

/// A required text field of a request.
pub fn text<'a>(req: &'a Value, field: &str) -> Result<&'a str, HostError> {
    req.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{field} is required (a string)")))
}

/// An optional time field, milliseconds since the epoch.
pub fn millis(req: &Value, field: &str) -> Result<Option<i64>, HostError> {
    match req.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("{field} must be milliseconds since the epoch"))),
    }
}

/// `properties` of a `latest` request: a list of names, empty for all.
pub fn property_list(req: &Value) -> Result<Vec<String>, HostError> {
    match req.get("properties") {
        None | Some(Value::Null) => Ok(vec![]),
        Some(v) => {
            serde_json::from_value(v.clone()).map_err(|_| bad("properties must be a list of names"))
        }
    }
}

/// `limit` of a `history` request, within 1 and [`MAX_HISTORY_POINTS`] (1000 when absent).
pub fn history_limit(req: &Value) -> usize {
    req.get("limit")
        .and_then(Value::as_u64)
        .map_or(1000, |l| usize::try_from(l).unwrap_or(MAX_HISTORY_POINTS))
        .clamp(1, MAX_HISTORY_POINTS)
}

/// The model a `model` request names and its inputs, read before the call is metered.
pub fn model_request(
    req: &Value,
) -> Result<(&'static ModelCard, BTreeMap<String, Given>), HostError> {
    let id = text(req, "model")?;
    let inputs: BTreeMap<String, Given> =
        serde_json::from_value(req.get("inputs").cloned().unwrap_or(json!({})))
            .map_err(|e| bad(format!("inputs: {e}")))?;
    let card = Library::get()
        .card(id)
        .ok_or_else(|| HostError::new("not_found", format!("no model {id}")))?;
    Ok((card, inputs))
}

/// Evaluates a model: the reply `{"outputs": {name: number…}, "units": {name: unit…}}` and
/// the time it took, in microseconds.
pub fn evaluate_model(
    card: &'static ModelCard,
    inputs: &BTreeMap<String, Given>,
) -> (Result<Value, HostError>, u64) {
    let lib = Library::get();
    let t0 = Instant::now();
    let result = model::prepare_data(card, inputs)
        .and_then(|x| lib.evaluate_data(card.id, x))
        .and_then(|y| model::present_data(card, y, &BTreeMap::new()));
    let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
    let reply = result.map_err(|e| bad(e.to_string())).map(|outputs| {
        // Numbers flat (what an app reads most), their units beside them.
        let mut values = serde_json::Map::new();
        let mut units = serde_json::Map::new();
        for (name, out) in outputs {
            match out {
                model::OutputData::Value(v) => {
                    values.insert(name.into(), json!(v.value));
                    units.insert(name.into(), json!(v.unit));
                }
                model::OutputData::Series { values: s, unit } => {
                    values.insert(name.into(), json!(s));
                    units.insert(name.into(), json!(unit));
                }
                model::OutputData::Texts { texts } => {
                    values.insert(name.into(), json!(texts));
                }
            }
        }
        json!({ "outputs": values, "units": units })
    });
    (reply, us)
}
