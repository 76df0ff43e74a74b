//! Computed points of a driver table: a value per sub-device calculated at the edge from
//! its other points with an expression ([`crate::expr`]), e.g. `power = voltage * current
//! * 1.732 / 1000`, and their checks. The gateway evaluates them
//! (`ironloom_gateway::computed`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::preprocess::Preprocess;
use crate::expr::Expr;

/// One computed point, as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Computed {
    /// The sub-device it belongs to.
    pub device: String,
    /// The property it feeds.
    pub name: String,
    /// The expression over the device's other points.
    pub expr: String,
    #[serde(default, skip_serializing_if = "Preprocess::is_noop")]
    pub pre: Preprocess,
}

/// Checks computed points against the points each device has: the expression parses,
/// reads only points of its device (or computed points defined before it), and the name
/// is new. Problems: (index, message).
pub fn check(computed: &[Computed], points: &HashMap<String, Vec<String>>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut known: HashMap<&str, Vec<&str>> = points
        .iter()
        .map(|(d, ps)| (d.as_str(), ps.iter().map(String::as_str).collect()))
        .collect();
    for (i, c) in computed.iter().enumerate() {
        let at = format!("computed point `{}` of `{}`", c.name, c.device);
        let Some(have) = known.get(c.device.as_str()).cloned() else {
            out.push((i, format!("{at}: no device `{}` in the drivers", c.device)));
            continue;
        };
        if !crate::thing_model::is_identifier(&c.name) {
            out.push((i, format!("{at}: the name must be a property identifier")));
        }
        if have.contains(&c.name.as_str()) {
            out.push((
                i,
                format!("{at}: the device already has a point of that name"),
            ));
        }
        match Expr::parse(&c.expr) {
            Err(e) => out.push((i, format!("{at}: expression {:?} {e}", c.expr))),
            Ok(e) => {
                if let Some((id, _, _, pos)) = e.model_calls().first() {
                    out.push((
                        i,
                        format!(
                            "{at}: expression {:?} at position {pos}: the gateway cannot call models (`{id}`); compute it in a rule on the platform",
                            c.expr
                        ),
                    ));
                }
                for (v, pos) in e.variables() {
                    if !have.contains(&v.as_str()) {
                        out.push((
                            i,
                            format!(
                                "{at}: expression {:?} at position {pos}: `{v}` is not a point of `{}` (it has: {})",
                                c.expr,
                                c.device,
                                have.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        if let Err(m) = c.pre.check() {
            out.push((i, format!("{at}: pre: {m}")));
        }
        if let Some(list) = known.get_mut(c.device.as_str()) {
            list.push(c.name.as_str());
        }
    }
    out
}
