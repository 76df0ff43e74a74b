//! Industrial apps: the manifest an app package carries, checked before anything of the
//! package is used. The runtime (WebAssembly, the host API) lives in `crates/apps`; this
//! is what the API, the marketplace and the edge gateway agree on.
//!
//! A manifest names the app (a stable id, names and descriptions in both languages, a
//! semantic version, the publisher), where it belongs (GB/T 4754 divisions and the model
//! library's domains), what it may do (permissions, shown to the installer, checked on
//! every host call), when it runs (triggers), how it is configured (a JSON Schema), what
//! it shows (UI panels), its modules and its limits. [`AppManifest::check`] lists every
//! problem at once, so a developer fixes a package in one round.

use crate::error::{FieldError, FieldErrorKind};
use crate::model::Domain;
use crate::validate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The manifest format this build reads.
pub const MANIFEST_FORMAT: u32 = 1;
pub const MAX_ID_LEN: usize = 64;
pub const MAX_MODULES: usize = 8;
pub const MAX_TRIGGERS: usize = 32;
pub const MAX_PANELS: usize = 16;
pub const MAX_HTTP_HOSTS: usize = 32;
/// Limits an app may ask for, and what it gets when it asks for nothing.
pub const DEFAULT_FUEL: u64 = 50_000_000;
pub const MAX_FUEL: u64 = 5_000_000_000;
pub const DEFAULT_MEMORY_MIB: u32 = 16;
pub const MAX_MEMORY_MIB: u32 = 256;
pub const DEFAULT_TIMEOUT_MS: u32 = 1_000;
pub const MAX_TIMEOUT_MS: u32 = 60_000;

/// A text in both languages, owned (a package's own words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AppText {
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppManifest {
    /// Always [`MANIFEST_FORMAT`] for now; a newer format is refused with a clear message.
    pub format: u32,
    /// Stable id, e.g. `oee.shift`: lower-case letters, digits, `.`, `-` and `_`.
    pub id: String,
    /// Semantic version `MAJOR.MINOR.PATCH`, optionally `-pre`.
    pub version: String,
    pub name: AppText,
    pub description: AppText,
    pub publisher: String,
    /// GB/T 4754 divisions (`C34`) or finer.
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub domains: Vec<Domain>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    /// JSON Schema of the installation's configuration (an object schema).
    #[serde(default = "empty_object_schema")]
    pub config_schema: serde_json::Value,
    #[serde(default)]
    pub panels: Vec<Panel>,
    /// The WebAssembly modules; the one named `main` receives the events.
    pub modules: Vec<ModuleRef>,
    #[serde(default)]
    pub limits: Limits,
}

fn empty_object_schema() -> serde_json::Value {
    serde_json::json!({"type": "object"})
}

/// What an app may do. Each host call needs one; the installer sees and grants them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Permission {
    /// Latest values, history and aggregates of the installation's devices.
    ReadTelemetry,
    /// Derived telemetry through the ingest path.
    WriteTelemetry,
    /// Raise and clear alarms.
    Alarms,
    /// Commands and parameter writes within the thing model's writable ranges.
    Commands,
    /// Invoke models and algorithms of the library.
    Models,
    /// Outbound HTTP to these hosts (each also allowed by the tenant).
    Http { hosts: Vec<String> },
}

impl Permission {
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::ReadTelemetry => "read_telemetry",
            Permission::WriteTelemetry => "write_telemetry",
            Permission::Alarms => "alarms",
            Permission::Commands => "commands",
            Permission::Models => "models",
            Permission::Http { .. } => "http",
        }
    }
}

/// When an app runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// A cron expression with five fields (minute hour day month weekday), in UTC.
    Schedule { cron: String },
    /// Messages of the installation's devices; empty `properties` means any.
    Telemetry {
        #[serde(default)]
        properties: Vec<String>,
    },
    /// Alarms raised or cleared on the installation's devices.
    Alarm,
    /// Requests to `/api/v1/apps/{installation}/http/{path}`.
    Http { path: String },
    /// A run asked for by a user.
    Manual,
    /// Calls from rules: a rule's `app` action (the flow editor's app node) hands it the
    /// message that made the rule fire, for devices of the installation's products.
    Rule,
}

/// Whether `h` is a host name an app may be granted (`api.example.com`): labels of
/// letters, digits and `-`, at most 253 characters.
pub fn host_name_ok(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// A UI panel the console shows for an installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    pub id: String,
    pub title: AppText,
    /// A file of the package's `ui/` folder.
    pub entry: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleRef {
    pub name: String,
    /// A file of the package, e.g. `modules/main.wasm`.
    pub path: String,
}

/// Per-invocation limits; the platform caps what an app may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// WebAssembly fuel (about one unit per instruction) per invocation.
    pub fuel: u64,
    pub memory_mib: u32,
    /// Wall time per invocation, host calls included.
    pub timeout_ms: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: DEFAULT_FUEL,
            memory_mib: DEFAULT_MEMORY_MIB,
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }
}

fn other(field: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> FieldError {
    FieldError::new(
        field,
        FieldErrorKind::Other {
            en: en.into(),
            zh: zh.into(),
        },
    )
}

/// `MAJOR.MINOR.PATCH` with an optional `-pre` of letters, digits, `.` and `-`.
pub fn parse_version(v: &str) -> Option<(u64, u64, u64, Option<&str>)> {
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    if pre.is_some_and(|p| {
        p.is_empty()
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    }) {
        return None;
    }
    let mut parts = core.split('.');
    let mut num = || -> Option<u64> {
        let s = parts.next()?;
        if s.is_empty() || (s.len() > 1 && s.starts_with('0')) {
            return None;
        }
        s.parse().ok()
    };
    let (a, b, c) = (num()?, num()?, num()?);
    if parts.next().is_some() {
        return None;
    }
    Some((a, b, c, pre))
}

fn app_id(field: &str, v: &str, errs: &mut Vec<FieldError>) {
    let ok = v.len() <= MAX_ID_LEN
        && v.len() >= 3
        && v.starts_with(|c: char| c.is_ascii_lowercase())
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
        && !v.ends_with(['.', '-', '_'])
        && !v.contains("..");
    if !ok {
        errs.push(FieldError::new(
            field,
            FieldErrorKind::Format {
                expected: "3 to 64 lower-case letters, digits, '.', '-' or '_', starting with a letter",
                expected_zh: "3 到 64 个小写字母、数字、“.”“-”或“_”，以字母开头",
            },
        ));
    }
}

/// A relative path inside a package: no `..`, no leading `/`, no backslashes.
pub fn package_path_ok(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 255
        && !p.starts_with('/')
        && !p.contains('\\')
        && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
        && p.chars().all(|c| !c.is_control())
}

fn text_pair(field: &str, t: &AppText, max: usize, required: bool, errs: &mut Vec<FieldError>) {
    for (lang, v) in [("en", &t.en), ("zh-CN", &t.zh)] {
        let f = format!("{field}.{lang}");
        let r = if required {
            validate::text(&f, v, max)
        } else {
            validate::free_text(&f, v, max)
        };
        if let Err(e) = r {
            errs.push(e);
        }
    }
}

/// A GB/T 4754-2017 division or finer: a section letter and two to four digits.
fn industry_ok(code: &str) -> bool {
    let mut c = code.chars();
    c.next().is_some_and(|s| ('A'..='T').contains(&s))
        && (3..=5).contains(&code.len())
        && c.all(|d| d.is_ascii_digit())
}

/// Checks a cron expression of five fields; each field is `*`, `*/n`, or a list of
/// numbers and ranges (`a-b`, `a-b/n`) within the field's bounds.
pub fn check_cron(expr: &str) -> Result<(), String> {
    const BOUNDS: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day of month", 1, 31),
        ("month", 1, 12),
        ("day of week", 0, 6),
    ];
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "has {} fields, needs 5 (minute hour day month weekday)",
            fields.len()
        ));
    }
    for (f, (name, lo, hi)) in fields.iter().zip(BOUNDS) {
        for item in f.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (item, None),
            };
            if let Some(s) = step
                && !s.parse::<u32>().is_ok_and(|s| s >= 1 && s <= hi.max(1))
            {
                return Err(format!("{name}: bad step '{s}'"));
            }
            if range == "*" {
                continue;
            }
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
                return Err(format!("{name}: '{item}' is not a number, range or *"));
            };
            if a < lo || b > hi || a > b {
                return Err(format!("{name}: '{item}' is outside {lo}–{hi}"));
            }
        }
    }
    Ok(())
}

/// Whether a (checked) cron expression fires at minute `t` (UTC). As in cron, when both
/// the day of month and the day of week are restricted, either may match.
pub fn cron_matches(expr: &str, t: &chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::{Datelike, Timelike};
    let f: Vec<&str> = expr.split_whitespace().collect();
    if f.len() != 5 {
        return false;
    }
    let field = |s: &str, v: u32, lo: u32| -> bool {
        s.split(',').any(|item| {
            let (range, step) = match item.split_once('/') {
                Some((r, st)) => (r, st.parse::<u32>().unwrap_or(1).max(1)),
                None => (item, 1),
            };
            let (a, b) = if range == "*" {
                (lo, u32::MAX)
            } else {
                let (a, b) = range.split_once('-').unwrap_or((range, range));
                match (a.parse::<u32>(), b.parse::<u32>()) {
                    (Ok(a), Ok(b)) => (
                        a,
                        if item.contains('/') && !range.contains('-') {
                            u32::MAX
                        } else {
                            b
                        },
                    ),
                    _ => return false,
                }
            };
            v >= a && v <= b && (v - a).is_multiple_of(step)
        })
    };
    let dom = field(f[2], t.day(), 1);
    let dow = field(f[4], t.weekday().num_days_from_sunday(), 0);
    let day = match (f[2] == "*", f[4] == "*") {
        (false, false) => dom || dow,
        _ => dom && dow,
    };
    field(f[0], t.minute(), 0) && field(f[1], t.hour(), 0) && field(f[3], t.month(), 1) && day
}

impl AppManifest {
    /// Every problem of the manifest, each naming its field; empty when it is sound.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if self.format != MANIFEST_FORMAT {
            errs.push(other(
                "format",
                format!(
                    "format {} is not supported by this platform (it reads {MANIFEST_FORMAT})",
                    self.format
                ),
                format!(
                    "本平台不支持清单格式 {}（支持 {MANIFEST_FORMAT}）",
                    self.format
                ),
            ));
        }
        app_id("id", &self.id, &mut errs);
        if parse_version(&self.version).is_none() {
            errs.push(FieldError::new(
                "version",
                FieldErrorKind::Format {
                    expected: "a semantic version MAJOR.MINOR.PATCH, e.g. 1.2.0",
                    expected_zh: "语义化版本号 主版本.次版本.修订号，例如 1.2.0",
                },
            ));
        }
        text_pair("name", &self.name, validate::MAX_NAME_LEN, true, &mut errs);
        text_pair(
            "description",
            &self.description,
            validate::MAX_DESCRIPTION_LEN,
            false,
            &mut errs,
        );
        if let Err(e) = validate::text("publisher", &self.publisher, validate::MAX_NAME_LEN) {
            errs.push(e);
        }
        for (i, code) in self.industries.iter().enumerate() {
            if !industry_ok(code) {
                errs.push(FieldError::new(
                    format!("industries[{i}]"),
                    FieldErrorKind::Format {
                        expected: "a GB/T 4754 division code such as C34",
                        expected_zh: "GB/T 4754 大类代码，例如 C34",
                    },
                ));
            }
        }
        self.check_permissions(&mut errs);
        self.check_triggers(&mut errs);
        if self.config_schema.get("type").and_then(|t| t.as_str()) != Some("object") {
            errs.push(other(
                "config_schema",
                "must be a JSON Schema of an object ({\"type\": \"object\", ...})",
                "必须是对象类型的 JSON Schema（{\"type\": \"object\", ...}）",
            ));
        }
        self.check_panels(&mut errs);
        self.check_modules(&mut errs);
        let l = self.limits;
        if !(1..=MAX_FUEL).contains(&l.fuel) {
            errs.push(FieldError::new(
                "limits.fuel",
                FieldErrorKind::OutOfRange {
                    min: 1,
                    max: MAX_FUEL as i64,
                },
            ));
        }
        if !(1..=MAX_MEMORY_MIB).contains(&l.memory_mib) {
            errs.push(FieldError::new(
                "limits.memory_mib",
                FieldErrorKind::OutOfRange {
                    min: 1,
                    max: MAX_MEMORY_MIB.into(),
                },
            ));
        }
        if !(1..=MAX_TIMEOUT_MS).contains(&l.timeout_ms) {
            errs.push(FieldError::new(
                "limits.timeout_ms",
                FieldErrorKind::OutOfRange {
                    min: 1,
                    max: MAX_TIMEOUT_MS.into(),
                },
            ));
        }
        errs
    }

    fn check_permissions(&self, errs: &mut Vec<FieldError>) {
        let mut seen = BTreeSet::new();
        for (i, p) in self.permissions.iter().enumerate() {
            if !seen.insert(p.as_str()) {
                errs.push(other(
                    format!("permissions[{i}]"),
                    format!("{} is listed twice", p.as_str()),
                    format!("{} 重复列出", p.as_str()),
                ));
            }
            if let Permission::Http { hosts } = p {
                if hosts.is_empty() || hosts.len() > MAX_HTTP_HOSTS {
                    errs.push(FieldError::new(
                        format!("permissions[{i}].hosts"),
                        FieldErrorKind::OutOfRange {
                            min: 1,
                            max: MAX_HTTP_HOSTS as i64,
                        },
                    ));
                }
                for (j, h) in hosts.iter().enumerate() {
                    if !host_name_ok(h) {
                        errs.push(FieldError::new(
                            format!("permissions[{i}].hosts[{j}]"),
                            FieldErrorKind::Format {
                                expected: "a host name such as api.example.com",
                                expected_zh: "主机名，例如 api.example.com",
                            },
                        ));
                    }
                }
            }
        }
    }

    fn check_triggers(&self, errs: &mut Vec<FieldError>) {
        if self.triggers.len() > MAX_TRIGGERS {
            errs.push(FieldError::new(
                "triggers",
                FieldErrorKind::TooMany { max: MAX_TRIGGERS },
            ));
        }
        let mut paths = BTreeSet::new();
        for (i, t) in self.triggers.iter().enumerate() {
            match t {
                Trigger::Schedule { cron } => {
                    if let Err(why) = check_cron(cron) {
                        errs.push(other(
                            format!("triggers[{i}].cron"),
                            format!("'{cron}' {why}"),
                            format!("“{cron}”不是有效的 cron 表达式：{why}"),
                        ));
                    }
                }
                Trigger::Telemetry { properties } => {
                    for (j, p) in properties.iter().enumerate() {
                        if let Err(e) = validate::identifier(
                            &format!("triggers[{i}].properties[{j}]"),
                            p,
                            validate::MAX_NAME_LEN,
                        ) {
                            errs.push(e);
                        }
                    }
                }
                Trigger::Http { path } => {
                    if !package_path_ok(path) || !paths.insert(path.as_str()) {
                        errs.push(other(
                            format!("triggers[{i}].path"),
                            "must be a distinct relative path without '..'",
                            "必须是不重复、不含“..”的相对路径",
                        ));
                    }
                }
                Trigger::Alarm | Trigger::Manual | Trigger::Rule => {}
            }
        }
    }

    fn check_panels(&self, errs: &mut Vec<FieldError>) {
        if self.panels.len() > MAX_PANELS {
            errs.push(FieldError::new(
                "panels",
                FieldErrorKind::TooMany { max: MAX_PANELS },
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, p) in self.panels.iter().enumerate() {
            if validate::identifier(&format!("panels[{i}].id"), &p.id, MAX_ID_LEN).is_err()
                || !ids.insert(p.id.as_str())
            {
                errs.push(other(
                    format!("panels[{i}].id"),
                    "must be a distinct identifier",
                    "必须是不重复的标识符",
                ));
            }
            text_pair(
                &format!("panels[{i}].title"),
                &p.title,
                validate::MAX_NAME_LEN,
                true,
                errs,
            );
            if !p.entry.starts_with("ui/") || !package_path_ok(&p.entry) {
                errs.push(other(
                    format!("panels[{i}].entry"),
                    "must be a file under ui/ of the package",
                    "必须是应用包 ui/ 目录下的文件",
                ));
            }
        }
    }

    fn check_modules(&self, errs: &mut Vec<FieldError>) {
        if self.modules.is_empty() || self.modules.len() > MAX_MODULES {
            errs.push(FieldError::new(
                "modules",
                FieldErrorKind::OutOfRange {
                    min: 1,
                    max: MAX_MODULES as i64,
                },
            ));
        }
        let mut names = BTreeSet::new();
        for (i, m) in self.modules.iter().enumerate() {
            if validate::identifier(&format!("modules[{i}].name"), &m.name, MAX_ID_LEN).is_err()
                || !names.insert(m.name.as_str())
            {
                errs.push(other(
                    format!("modules[{i}].name"),
                    "must be a distinct identifier",
                    "必须是不重复的标识符",
                ));
            }
            if !m.path.ends_with(".wasm") || !package_path_ok(&m.path) {
                errs.push(other(
                    format!("modules[{i}].path"),
                    "must be a .wasm file of the package (a relative path without '..')",
                    "必须是应用包内的 .wasm 文件（不含“..”的相对路径）",
                ));
            }
        }
        if !self.modules.is_empty() && !names.contains("main") {
            errs.push(other(
                "modules",
                "one module must be named main (it receives the events)",
                "必须有一个名为 main 的模块（由它接收事件）",
            ));
        }
    }

    /// Whether the manifest asks for a permission of this kind.
    pub fn asks(&self, kind: &str) -> bool {
        self.permissions.iter().any(|p| p.as_str() == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> AppManifest {
        serde_json::from_value(serde_json::json!({
            "format": 1,
            "id": "oee.shift",
            "version": "1.0.0",
            "name": {"en": "OEE per shift", "zh-CN": "班次 OEE"},
            "description": {"en": "Availability, performance and quality per machine and shift.", "zh-CN": "按设备和班次计算时间开动率、性能开动率和合格品率。"},
            "publisher": "Ironloom",
            "industries": ["C34"],
            "domains": ["production"],
            "permissions": [{"kind": "read_telemetry"}, {"kind": "write_telemetry"}],
            "triggers": [{"kind": "telemetry", "properties": ["count"]}, {"kind": "schedule", "cron": "0 */8 * * *"}],
            "panels": [{"id": "main", "title": {"en": "OEE", "zh-CN": "OEE"}, "entry": "ui/index.html"}],
            "modules": [{"name": "main", "path": "modules/main.wasm"}]
        }))
        .unwrap_or_else(|e| panic!("sample manifest: {e}"))
    }

    #[test]
    fn a_sound_manifest_has_no_problems() {
        let m = sample();
        assert_eq!(m.check(), vec![]);
        assert_eq!(m.limits, Limits::default());
        assert!(m.asks("write_telemetry") && !m.asks("commands"));
    }

    #[test]
    fn every_problem_is_listed_with_its_field() {
        let mut m = sample();
        m.format = 2;
        m.id = "Bad Id".into();
        m.version = "1.0".into();
        m.name.zh = String::new();
        m.industries = vec!["C".into()];
        m.permissions.push(Permission::ReadTelemetry);
        m.permissions.push(Permission::Http {
            hosts: vec!["bad host".into()],
        });
        m.triggers.push(Trigger::Schedule {
            cron: "61 * * * *".into(),
        });
        m.triggers.push(Trigger::Http {
            path: "../x".into(),
        });
        m.panels[0].entry = "index.html".into();
        m.modules[0].name = "worker".into();
        m.modules.push(ModuleRef {
            name: "b".into(),
            path: "../b.wasm".into(),
        });
        m.config_schema = serde_json::json!({"type": "array"});
        m.limits.memory_mib = 100_000;
        let fields: Vec<String> = m.check().into_iter().map(|e| e.field).collect();
        for f in [
            "format",
            "id",
            "version",
            "name.zh-CN",
            "industries[0]",
            "permissions[2]",
            "permissions[3].hosts[0]",
            "triggers[2].cron",
            "triggers[3].path",
            "config_schema",
            "panels[0].entry",
            "modules[1].path",
            "modules",
            "limits.memory_mib",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn versions_and_cron_expressions_are_parsed_strictly() {
        assert_eq!(parse_version("1.2.3"), Some((1, 2, 3, None)));
        assert_eq!(parse_version("0.1.0-rc.1"), Some((0, 1, 0, Some("rc.1"))));
        for bad in ["1.2", "01.2.3", "1.2.3.4", "1.2.3-", "a.b.c", "1.2.3-ü"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
        assert!(check_cron("*/5 * * * *").is_ok());
        assert!(check_cron("0 8-18/2 * 1,6 1-5").is_ok());
        for bad in [
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "x * * * *",
            "5-1 * * * *",
        ] {
            assert!(check_cron(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cron_expressions_fire_at_their_minutes() {
        use chrono::TimeZone;
        let at = |d: u32, h: u32, m: u32| {
            chrono::Utc
                .with_ymd_and_hms(2026, 12, d, h, m, 0)
                .single()
                .unwrap_or_default()
        };
        // 2026-12-07 is a Monday.
        assert!(cron_matches("*/15 * * * *", &at(7, 10, 45)));
        assert!(!cron_matches("*/15 * * * *", &at(7, 10, 44)));
        assert!(cron_matches("0 8-18/2 * * 1-5", &at(7, 10, 0)));
        assert!(!cron_matches("0 8-18/2 * * 1-5", &at(7, 11, 0)));
        assert!(!cron_matches("0 8-18/2 * * 1-5", &at(6, 10, 0)), "Sunday");
        assert!(cron_matches("30 6 1 * *", &at(1, 6, 30)));
        // Day of month or day of week when both are given.
        assert!(cron_matches("0 0 1 * 1", &at(7, 0, 0)));
        assert!(cron_matches("5/20 * * * *", &at(7, 3, 25)));
        assert!(!cron_matches("5/20 * * * *", &at(7, 3, 15)));
    }

    #[test]
    fn package_paths_cannot_escape() {
        assert!(package_path_ok("ui/index.html"));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "ui/../../x",
            "ui//x",
            "ui\\x",
            "./x",
        ] {
            assert!(!package_path_ok(bad), "{bad}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut v = serde_json::to_value(sample()).unwrap_or_default();
        v["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<AppManifest>(v).is_err());
    }
}
