//! Apps at the edge: the document the platform pushes to an edge gateway
//! (`ironloom gateway`) naming the installations it runs ([`EdgeApps`], the gateway's
//! shared attribute [`APPS_ATTRIBUTE`]), the packages beside it (base64 in parts, shared
//! attributes [`part_key`], each within the platform's attribute size limit), and what the
//! gateway reports back ([`APPS_STATUS_ATTRIBUTE`]).
//!
//! Invariants: plain data and checks, no I/O, shared by the platform (which builds the
//! document) and the gateway (which checks it before it runs anything: a malformed document
//! is refused and reported, never a crash). A package is identified by its digest (SHA-256
//! over its files, `ironloom_apps::package`); the gateway reads it with the platform's
//! reader and limits and refuses it when the digest differs.

use crate::app::{Permission, Trigger};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The shared attribute holding the apps document.
pub const APPS_ATTRIBUTE: &str = "gateway_apps";
/// The client attribute where the gateway reports what it runs.
pub const APPS_STATUS_ATTRIBUTE: &str = "gateway_apps_status";
/// Shared attributes `gateway_app_part_{digest}_{n}` carry the packages, base64 in parts.
pub const PART_PREFIX: &str = "gateway_app_part_";
/// Base64 characters in one part (the platform keeps an attribute value within 16 KiB).
pub const PART_CHARS: usize = 12 * 1024;
/// The largest package a gateway takes (packed bytes).
pub const MAX_EDGE_PACKAGE_BYTES: u64 = 2 << 20;
/// The most packed bytes of distinct packages one gateway holds (their parts stay within
/// a device's 1000 attributes).
pub const MAX_EDGE_TOTAL_BYTES: u64 = 6 << 20;
/// The most installations one gateway runs.
pub const MAX_EDGE_INSTALLATIONS: usize = 16;
/// The client-side RPC method by which a gateway forwards an app's alarm to the platform.
pub const ALARM_METHOD: &str = "ironloom.app_alarm";
/// The command to a gateway that runs one of its apps now (a manual run from the
/// platform): `{"installation", "event"}`, answered with the invocation.
pub const RUN_METHOD: &str = "ironloom.app_run";

/// Where an installation runs when not on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeTarget {
    /// The gateway device's name (an id is accepted on input and stored as the name).
    pub gateway: String,
}

/// The apps a gateway runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeApps {
    /// Each pushed document gets the next number; the gateway reports it back.
    #[serde(default)]
    pub version: u64,
    #[serde(default)]
    pub installations: Vec<EdgeInstallation>,
}

/// One installation deployed to a gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeInstallation {
    /// The installation's id on the platform.
    pub id: String,
    /// Its name: its key–value state on the gateway is kept under it.
    pub name: String,
    pub app_id: String,
    pub version: String,
    /// The package's digest (hex SHA-256 over its files).
    pub digest: String,
    /// The packed package's size in bytes, and the parts its base64 is split into.
    pub size: u64,
    pub parts: u32,
    /// The configuration with the schema's defaults filled in.
    #[serde(default)]
    pub config: Value,
    #[serde(default)]
    pub grant: Vec<Permission>,
    /// The products whose devices it sees (those the gateway serves).
    #[serde(default)]
    pub products: Vec<String>,
    /// The manifest's triggers (the gateway checks them against the package's manifest).
    #[serde(default)]
    pub triggers: Vec<Trigger>,
}

/// The key of part `n` of the package with `digest`.
pub fn part_key(digest: &str, n: u32) -> String {
    format!("{PART_PREFIX}{digest}_{n}")
}

/// Parts a package of `size` packed bytes takes.
pub fn parts_for(size: u64) -> u32 {
    let chars = size.div_ceil(3) * 4;
    u32::try_from(chars.div_ceil(PART_CHARS as u64).max(1)).unwrap_or(u32::MAX)
}

impl EdgeApps {
    /// Every problem of the document, each naming its place.
    pub fn check(&self) -> Vec<String> {
        let mut errs = Vec::new();
        if self.installations.len() > MAX_EDGE_INSTALLATIONS {
            errs.push(format!(
                "installations: {} installations, at most {MAX_EDGE_INSTALLATIONS} on one gateway",
                self.installations.len()
            ));
        }
        let mut total = 0u64;
        let mut seen_digests = std::collections::HashSet::new();
        let mut seen_names = std::collections::HashSet::new();
        for (i, inst) in self.installations.iter().enumerate() {
            let at = format!("installations[{i}]");
            if !seen_names.insert(inst.name.as_str()) {
                errs.push(format!("{at}.name: {} appears twice", inst.name));
            }
            if crate::validate::identifier("name", &inst.name, crate::validate::MAX_NAME_LEN)
                .is_err()
            {
                errs.push(format!("{at}.name: not a valid installation name"));
            }
            if inst.digest.len() != 64 || !inst.digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                errs.push(format!("{at}.digest: not a SHA-256 in hex"));
            }
            if inst.size > MAX_EDGE_PACKAGE_BYTES {
                errs.push(format!(
                    "{at}.size: the package has {} bytes, a gateway takes at most {MAX_EDGE_PACKAGE_BYTES}",
                    inst.size
                ));
            }
            if inst.parts != parts_for(inst.size) {
                errs.push(format!(
                    "{at}.parts: {} parts for {} bytes, expected {}",
                    inst.parts,
                    inst.size,
                    parts_for(inst.size)
                ));
            }
            if seen_digests.insert(inst.digest.as_str()) {
                total = total.saturating_add(inst.size);
            }
            if !inst.config.is_object() {
                errs.push(format!("{at}.config: must be an object"));
            }
        }
        if total > MAX_EDGE_TOTAL_BYTES {
            errs.push(format!(
                "installations: their packages have {total} bytes, a gateway holds at most {MAX_EDGE_TOTAL_BYTES}"
            ));
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(size: u64) -> EdgeInstallation {
        EdgeInstallation {
            id: "1".into(),
            name: "pumps".into(),
            app_id: "pump.efficiency".into(),
            version: "1.0.0".into(),
            digest: "a".repeat(64),
            size,
            parts: parts_for(size),
            config: json!({}),
            grant: vec![Permission::ReadTelemetry],
            products: vec!["pump".into()],
            triggers: vec![],
        }
    }

    #[test]
    fn parts_cover_the_base64_of_a_package() {
        assert_eq!(parts_for(0), 1);
        assert_eq!(parts_for(9216), 1); // 12 288 base64 characters
        assert_eq!(parts_for(9217), 2);
        assert_eq!(part_key("ab", 3), "gateway_app_part_ab_3");
    }

    #[test]
    fn a_document_with_problems_names_each() {
        let ok = EdgeApps {
            version: 1,
            installations: vec![one(70_000)],
        };
        assert!(ok.check().is_empty(), "{:?}", ok.check());
        let mut big = one(MAX_EDGE_PACKAGE_BYTES + 1);
        big.digest = "xyz".into();
        big.parts = 1;
        let bad = EdgeApps {
            version: 2,
            installations: vec![big, one(1), one(1)],
        };
        let errs = bad.check().join("\n");
        for want in [
            "installations[0].size",
            "installations[0].digest",
            "installations[0].parts",
            "installations[2].name: pumps appears twice",
        ] {
            assert!(errs.contains(want), "{want} in {errs}");
        }
    }
}
