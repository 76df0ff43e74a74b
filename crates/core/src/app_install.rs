//! Apps installed for a tenant: the uploaded packages, installations with their
//! configuration, grant and devices, their state, logs and usage. The manifest is in
//! [`crate::app`]; the runtime in `crates/apps`.

use crate::app::{AppManifest, Permission};
use crate::entity::Timestamp;
use crate::error::{FieldError, FieldErrorKind};
use crate::ids::{InstallationId, TenantId};
use crate::validate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most installations a tenant may have.
pub const MAX_INSTALLATIONS_PER_TENANT: usize = 200;
/// Most versions of packages a tenant may keep.
pub const MAX_PACKAGES_PER_TENANT: usize = 500;
/// An installation's state: keys and bytes of one value.
pub const MAX_STATE_KEYS: usize = 1000;
pub const MAX_STATE_KEY_LEN: usize = 128;
pub const MAX_STATE_VALUE_BYTES: usize = 64 << 10;
/// Log lines kept per installation (the oldest go first).
pub const MAX_LOG_LINES: usize = 1000;
/// Products an installation may see.
pub const MAX_PRODUCTS: usize = 64;

/// One uploaded version of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppPackageInfo {
    pub tenant_id: TenantId,
    pub app_id: String,
    pub version: String,
    /// SHA-256 of the package's files (see `ironloom_apps::package::digest`).
    pub digest: String,
    pub size: u64,
    pub manifest: AppManifest,
    pub uploaded_by: String,
    pub uploaded_at: Timestamp,
}

/// What an installation is: the installer's choices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallationSpec {
    /// Unique in the tenant, fixed once installed; the installation's state and logs are
    /// kept under it (an app uninstalled with its data and installed again under the same
    /// name finds them).
    pub name: String,
    pub app_id: String,
    pub version: String,
    /// Checked against the manifest's `config_schema`.
    #[serde(default = "empty_object")]
    pub config: Value,
    /// What the installer granted: a subset of the manifest's permissions.
    #[serde(default)]
    pub grant: Vec<Permission>,
    /// Product keys whose devices the installation may read, write and command.
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Runs on this edge gateway instead of the platform (`docs/apps.md`, apps at the edge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<crate::edge_app::EdgeTarget>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppInstallation {
    pub id: InstallationId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub spec: InstallationSpec,
    /// The version before the last upgrade (what a rollback returns to).
    pub previous_version: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One line of an installation's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppLogEntry {
    pub ts: Timestamp,
    /// `debug`, `info`, `warn`, `error`.
    pub level: String,
    pub message: String,
}

/// An app's use in one month (UTC) of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AppUsageRow {
    /// `YYYY-MM`.
    pub month: String,
    pub app_id: String,
    pub invocations: u64,
    /// Invocations that did not complete or returned a failure status.
    pub errors: u64,
    pub fuel: u64,
    /// Wall time spent in the app, microseconds.
    pub wall_us: u64,
    pub host_calls: u64,
}

impl AppUsageRow {
    /// Adds another row's counts (of the same app and month).
    pub fn add(&mut self, other: &AppUsageRow) {
        self.invocations = self.invocations.saturating_add(other.invocations);
        self.errors = self.errors.saturating_add(other.errors);
        self.fuel = self.fuel.saturating_add(other.fuel);
        self.wall_us = self.wall_us.saturating_add(other.wall_us);
        self.host_calls = self.host_calls.saturating_add(other.host_calls);
    }
}

impl InstallationSpec {
    /// Checks the spec against the manifest of the version it installs; every problem.
    pub fn check(&self, manifest: &AppManifest) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if let Err(e) = validate::identifier("name", &self.name, validate::MAX_NAME_LEN) {
            errs.push(e);
        }
        if manifest.id != self.app_id || manifest.version != self.version {
            errs.push(FieldError::new(
                "version",
                FieldErrorKind::Other {
                    en: format!(
                        "the package is {} {}, not {} {}",
                        manifest.id, manifest.version, self.app_id, self.version
                    ),
                    zh: format!(
                        "应用包为 {} {}，而不是 {} {}",
                        manifest.id, manifest.version, self.app_id, self.version
                    ),
                },
            ));
        }
        for (i, g) in self.grant.iter().enumerate() {
            let asked = manifest
                .permissions
                .iter()
                .find(|p| p.as_str() == g.as_str());
            let within = match (asked, g) {
                (None, _) => false,
                (Some(Permission::Http { hosts: asked }), Permission::Http { hosts }) => {
                    hosts.iter().all(|h| asked.contains(h))
                }
                (Some(_), _) => true,
            };
            if !within {
                errs.push(FieldError::new(
                    format!("grant[{i}]"),
                    FieldErrorKind::Other {
                        en: format!("{} is not a permission the app asks for", g.as_str()),
                        zh: format!("应用未申请权限 {}", g.as_str()),
                    },
                ));
            }
        }
        if self.products.len() > MAX_PRODUCTS {
            errs.push(FieldError::new(
                "products",
                FieldErrorKind::TooMany { max: MAX_PRODUCTS },
            ));
        }
        for (i, p) in self.products.iter().enumerate() {
            if let Err(e) =
                validate::identifier(&format!("products[{i}]"), p, validate::MAX_NAME_LEN)
            {
                errs.push(e);
            }
        }
        check_against_schema("config", &self.config, &manifest.config_schema, &mut errs);
        errs
    }
}

/// Fills in the schema's defaults for missing object properties (one level deep).
pub fn with_defaults(config: &Value, schema: &Value) -> Value {
    let mut out = config.clone();
    if let (Some(obj), Some(props)) = (
        out.as_object_mut(),
        schema.get("properties").and_then(Value::as_object),
    ) {
        for (k, s) in props {
            if let (false, Some(d)) = (obj.contains_key(k), s.get("default")) {
                obj.insert(k.clone(), d.clone());
            }
        }
    }
    out
}

fn type_ok(value: &Value, ty: &str) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn other(field: &str, en: String, zh: String) -> FieldError {
    FieldError::new(field, FieldErrorKind::Other { en, zh })
}

/// Checks `value` against the JSON Schema subset apps use for their configuration:
/// `type`, `properties`, `required`, `additionalProperties: false`, `enum`, `minimum`,
/// `maximum`, `minLength`, `maxLength`, `items`, `minItems`, `maxItems`. Every problem
/// is listed with its path.
pub fn check_against_schema(path: &str, value: &Value, schema: &Value, errs: &mut Vec<FieldError>) {
    if errs.len() >= 100 {
        return;
    }
    if let Some(ty) = schema.get("type").and_then(Value::as_str)
        && !type_ok(value, ty)
    {
        errs.push(other(
            path,
            format!("must be of type {ty}"),
            format!("类型必须是 {ty}"),
        ));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        errs.push(FieldError::new(
            path,
            FieldErrorKind::OneOf { allowed: list },
        ));
    }
    if let Some(x) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && x < min
        {
            errs.push(other(
                path,
                format!("must be at least {min}"),
                format!("不能小于 {min}"),
            ));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && x > max
        {
            errs.push(other(
                path,
                format!("must be at most {max}"),
                format!("不能大于 {max}"),
            ));
        }
    }
    if let Some(s) = value.as_str() {
        let n = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && n < min
        {
            errs.push(FieldError::new(
                path,
                FieldErrorKind::TooShort { min: min as usize },
            ));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && n > max
        {
            errs.push(FieldError::new(
                path,
                FieldErrorKind::TooLong { max: max as usize },
            ));
        }
    }
    if let Some(items) = value.as_array() {
        let n = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && n < min
        {
            errs.push(other(
                path,
                format!("needs at least {min} items"),
                format!("至少需要 {min} 项"),
            ));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && n > max
        {
            errs.push(FieldError::new(
                path,
                FieldErrorKind::TooMany { max: max as usize },
            ));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, v) in items.iter().enumerate() {
                check_against_schema(&format!("{path}[{i}]"), v, item_schema, errs);
            }
        }
    }
    if let Some(obj) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(name) {
                errs.push(FieldError::new(
                    format!("{path}.{name}"),
                    FieldErrorKind::Required,
                ));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check_against_schema(&format!("{path}.{k}"), v, s, errs),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errs.push(other(
                        &format!("{path}.{k}"),
                        "is not a setting of this app".into(),
                        "不是该应用的配置项".into(),
                    ));
                }
                None => {}
            }
        }
    }
}

/// Hands a rule's message to an installation (a rule's `app` action). The event is queued
/// for the installation, as a triggered event is; an installation that is missing, not
/// running, or takes no calls from rules (no `rule` trigger) is an error the rule notes.
#[async_trait::async_trait]
pub trait AppCaller: Send + Sync {
    /// `message`: what the rule saw, as its webhooks get it (`rule`, `rule_id`, `device`,
    /// `product`, `ts`, `values`); `telemetry`: whether `values` are telemetry (else a
    /// device event, `{"event", "data"}`).
    async fn call_from_rule(
        &self,
        tenant: TenantId,
        installation: InstallationId,
        telemetry: bool,
        message: serde_json::Value,
    ) -> Result<(), String>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest() -> AppManifest {
        serde_json::from_value(json!({
            "format": 1, "id": "oee.shift", "version": "1.0.0",
            "name": {"en": "OEE", "zh-CN": "OEE"}, "description": {"en": "", "zh-CN": ""},
            "publisher": "Ironloom",
            "permissions": [{"kind": "read_telemetry"}, {"kind": "http", "hosts": ["a.example.com"]}],
            "config_schema": {
                "type": "object",
                "properties": {
                    "shift_hours": {"type": "integer", "minimum": 1, "maximum": 24, "default": 8},
                    "mode": {"enum": ["fast", "exact"]},
                    "lines": {"type": "array", "items": {"type": "string", "maxLength": 4}}
                },
                "required": ["mode"],
                "additionalProperties": false
            },
            "modules": [{"name": "main", "path": "modules/main.wasm"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn spec(config: Value, grant: Vec<Permission>) -> InstallationSpec {
        InstallationSpec {
            name: "line-1".into(),
            app_id: "oee.shift".into(),
            version: "1.0.0".into(),
            config,
            grant,
            products: vec!["press".into()],
            enabled: true,
            edge: None,
        }
    }

    #[test]
    fn a_sound_installation_passes_and_gets_its_defaults() {
        let s = spec(json!({"mode": "fast"}), vec![Permission::ReadTelemetry]);
        assert_eq!(s.check(&manifest()), vec![]);
        let m = manifest();
        assert_eq!(
            with_defaults(&s.config, &m.config_schema),
            json!({"mode": "fast", "shift_hours": 8})
        );
    }

    #[test]
    fn configuration_and_grant_problems_are_listed_with_their_paths() {
        let s = spec(
            json!({"shift_hours": 30, "lines": ["A1", "TOOLONG", 3], "colour": "red"}),
            vec![
                Permission::Commands,
                Permission::Http {
                    hosts: vec!["evil.example.com".into()],
                },
            ],
        );
        let fields: Vec<String> = s.check(&manifest()).into_iter().map(|e| e.field).collect();
        for f in [
            "config.mode",
            "config.shift_hours",
            "config.lines[1]",
            "config.lines[2]",
            "config.colour",
            "grant[0]",
            "grant[1]",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
        }
        let mut wrong = spec(json!({"mode": "fast"}), vec![]);
        wrong.version = "2.0.0".into();
        assert_eq!(wrong.check(&manifest())[0].field, "version");
    }
}
