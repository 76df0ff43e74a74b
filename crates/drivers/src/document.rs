//! The driver document: every driver connection of a gateway and its point table, as the
//! gateway's file holds it and as the platform pushes it (the shared attribute
//! `gateway_config`). Checked as a whole, every problem named with its path
//! (`modbus[0].devices[1].points[2]`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::modbus;

/// The part of the configuration the platform may push: the drivers and their tables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drivers {
    /// A number the platform gives each pushed document, reported back when applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default)]
    pub modbus: Vec<modbus::Connection>,
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
        out
    }
}
