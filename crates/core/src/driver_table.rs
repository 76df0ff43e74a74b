//! The driver tables an edge gateway runs (`ironloom gateway`): Modbus connections with
//! their devices and points, OPC UA connections with their nodes, edge preprocessing and
//! computed points, as one document ([`Drivers`]) that a gateway reads from its file or the
//! platform pushes to it (stored as the gateway's shared attribute [`CONFIG_ATTRIBUTE`]).
//!
//! Layout: this module holds the document and its check; `modbus`, `opcua`, `preprocess`
//! and `computed` its parts, each with its own check.
//!
//! Invariants: plain data and checks, no I/O: the platform's API checks a pushed document
//! with exactly the rules the gateway applies, without compiling the drivers or the OPC UA
//! stack. Problems are reported all at once, each with its path in the document
//! (`modbus[0].devices[1].points[2]`).

pub mod computed;
pub mod modbus;
pub mod opcua;
pub mod preprocess;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The shared attribute holding the driver document the platform pushes.
pub const CONFIG_ATTRIBUTE: &str = "gateway_config";
/// The client attribute where the gateway reports what it applied.
pub const STATUS_ATTRIBUTE: &str = "gateway_config_status";

/// The part of the configuration the platform may push: the drivers and their tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drivers {
    /// A number the platform gives each pushed document, reported back when applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default)]
    pub modbus: Vec<modbus::Connection>,
    #[serde(default)]
    pub opcua: Vec<opcua::OpcUaConfig>,
    /// Points calculated at the edge from other points of their device.
    #[serde(default)]
    pub computed: Vec<computed::Computed>,
}

/// One problem, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `modbus[0].devices[1].points[2]`, or empty for the whole document.
    pub path: String,
    /// The line in the TOML file, when the configuration came from one.
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.path.is_empty()) {
            (Some(l), _) => write!(f, "line {l}: {}", self.message),
            (None, false) => write!(f, "{}: {}", self.path, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

impl Drivers {
    /// Every problem of the document; empty when it can be applied.
    pub fn check(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut conn_names: HashMap<&str, usize> = HashMap::new();
        let mut device_names: HashMap<&str, (usize, usize)> = HashMap::new();
        for (ci, c) in self.modbus.iter().enumerate() {
            if let Some(prev) = conn_names.insert(c.name.as_str(), ci) {
                out.push(Problem {
                    path: format!("modbus[{ci}]"),
                    line: None,
                    message: format!("connection name `{}` is used by modbus[{prev}] too", c.name),
                });
            }
            for e in c.check() {
                let mut path = format!("modbus[{ci}]");
                if let Some(d) = e.device {
                    path.push_str(&format!(".devices[{d}]"));
                }
                if let Some(p) = e.point {
                    path.push_str(&format!(".points[{p}]"));
                }
                out.push(Problem {
                    path,
                    line: None,
                    message: e.message,
                });
            }
            for (di, d) in c.devices.iter().enumerate() {
                if let Some((pc, pd)) = device_names.insert(d.name.as_str(), (ci, di))
                    && pc != ci
                {
                    out.push(Problem {
                        path: format!("modbus[{ci}].devices[{di}]"),
                        line: None,
                        message: format!(
                            "device `{}` is also behind modbus[{pc}].devices[{pd}]",
                            d.name
                        ),
                    });
                }
            }
        }
        let mut points: HashMap<String, Vec<String>> = HashMap::new();
        for c in &self.modbus {
            for d in &c.devices {
                points
                    .entry(d.name.clone())
                    .or_default()
                    .extend(d.points.iter().map(|p| p.name.clone()));
            }
        }
        for (ci, c) in self.opcua.iter().enumerate() {
            let path = format!("opcua[{ci}]");
            if c.name.trim().is_empty() {
                out.push(Problem {
                    path: path.clone(),
                    line: None,
                    message: "an OPC UA connection needs a name".into(),
                });
            } else if let Some(prev) = conn_names.insert(c.name.as_str(), 1000 + ci) {
                out.push(Problem {
                    path: path.clone(),
                    line: None,
                    message: format!("connection name `{}` is used twice (also #{prev})", c.name),
                });
            }
            if let Err(e) = c.validate() {
                out.push(Problem {
                    path: path.clone(),
                    line: None,
                    message: e.to_string(),
                });
            }
            let mut mine = std::collections::HashSet::new();
            for n in &c.nodes {
                points
                    .entry(n.device.clone())
                    .or_default()
                    .push(n.point.clone());
                if !mine.insert(n.device.as_str()) {
                    continue;
                }
                if let Some((pc, _)) = device_names.get(n.device.as_str()) {
                    out.push(Problem {
                        path: path.clone(),
                        line: None,
                        message: format!("device `{}` is also behind modbus[{pc}]", n.device),
                    });
                }
            }
        }
        for (i, message) in computed::check(&self.computed, &points) {
            out.push(Problem {
                path: format!("computed[{i}]"),
                line: None,
                message,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pushed_documents_name_paths() {
        let d: Drivers = serde_json::from_value(serde_json::json!({
            "version": 3,
            "modbus": [{"name": "a", "transport": "tcp", "address": "h:1", "devices": [
                {"name": "d", "points": [
                    {"name": "p", "area": "coil", "address": 0, "type": "f32"}
                ]}
            ]}]
        }))
        .unwrap();
        let e = d.check();
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].to_string(),
            format!("modbus[0].devices[0].points[0]: {}", e[0].message)
        );
    }
}
