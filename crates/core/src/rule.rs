//! Rules: versioned JSON documents per tenant that watch data as it arrives and act.
//!
//! ```json
//! {"name": "Boiler overheat",
//!  "source": {"products": ["demo-boiler"], "properties": ["water_temp"]},
//!  "windows": [{"name": "avg_temp", "fn": "avg", "of": "water_temp", "kind": "sliding", "seconds": 60}],
//!  "condition": {"expr": "avg_temp > 110 && burner_on", "for_seconds": 30},
//!  "actions": [{"type": "alarm", "alarm_type": "overheat", "severity": "major"},
//!              {"type": "command", "properties": {"temp_setpoint": 90}}]}
//! ```
//!
//! What a rule sees: the message's values by property name; `prev.x` (the value before),
//! `rate.x` (change per second since then), `latest.x` (the device's latest value of any
//! property), `attr.x` (the device's attributes), the windows by name, and `device`,
//! `product`, `event` (for device events). [`RuleDoc::check`] finds every structural
//! problem, each with its path and, inside expressions, the position.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::expr::Expr;
use crate::ids::{RuleId, TenantId};
use chrono::{DateTime, Utc};

/// A stored rule: its document at the current version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rule {
    pub id: RuleId,
    pub tenant_id: TenantId,
    /// Starts at 1; every change adds one (and keeps the old document in the history).
    pub version: i64,
    pub document: RuleDoc,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a rule has done since the engine started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RuleCounters {
    /// Messages the rule looked at.
    pub evaluated: u64,
    /// Messages on which its condition held (long enough).
    pub matched: u64,
    /// Actions it produced (alarms raised and cleared, commands, webhooks …).
    pub actions: u64,
    /// Failed evaluations and failed actions.
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The running rule engine, as the API reaches it.
#[async_trait::async_trait]
pub trait RuleService: Send + Sync {
    /// Reads the rules from the store again; returns once the engine runs them (a
    /// disabled rule sees no further message).
    async fn reload(&self) -> crate::error::Result<()>;
    /// The rule's counters (`None`: the rule is not running).
    async fn counters(&self, rule: RuleId) -> Option<RuleCounters>;
}

/// One earlier (or the current) version of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RuleVersion {
    pub version: i64,
    pub document: RuleDoc,
    pub created_at: DateTime<Utc>,
    /// Who saved it.
    pub actor: String,
}

/// A rule's change: the new document, applied only if the rule is still at
/// `expected_version` when given.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleUpdate {
    pub document: RuleDoc,
    pub expected_version: Option<i64>,
}

/// Longest rule name, most actions, windows and sources.
pub const MAX_NAME: usize = 128;
pub const MAX_ACTIONS: usize = 16;
pub const MAX_WINDOWS: usize = 16;
pub const MAX_SOURCES: usize = 1000;
/// Longest window: a day, or 100 000 samples.
pub const MAX_WINDOW_SECONDS: u64 = 86_400;
pub const MAX_WINDOW_COUNT: u64 = 100_000;

fn yes() -> bool {
    true
}

/// A rule as users write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<WindowDef>,
    pub condition: Condition,
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// Which data a rule watches. Empty lists mean "any"; products, devices and groups are
/// by key or name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Messages that carry at least one of these properties (empty: any telemetry).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<String>,
    /// Device events the rule also sees: `connected`, `disconnected`, or a thing-model
    /// event identifier. Without `telemetry = false`, telemetry is seen too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub telemetry: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    Avg,
    Min,
    Max,
    Sum,
    Count,
    Stddev,
    /// Exponentially weighted moving average of the window's samples, oldest first,
    /// seeded with the oldest (`alpha`; the library's `filter.ewma`).
    Ewma,
    /// How many sample standard deviations the newest sample lies from the window's mean
    /// (k-sigma: `abs(z) > 3`).
    Zscore,
    /// The upper CUSUM statistic over the window: S = max(0, S + x − (target + k)).
    CusumHigh,
    /// The lower CUSUM statistic: S = max(0, S + (target − k) − x).
    CusumLow,
    /// Mean-square of the window's samples in the frequency band `band` [Hz], from their
    /// one-sided periodogram (a sine of amplitude A inside the band gives A²/2); the
    /// sampling rate is taken from the samples' timestamps.
    BandEnergy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    /// Over the last `seconds` (or `count` samples), recomputed with each sample.
    #[default]
    Sliding,
    /// Consecutive, non-overlapping windows; the value is that of the last complete one.
    Tumbling,
}

/// An aggregate of one property over a window, per device, usable by name in the
/// condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowDef {
    pub name: String,
    #[serde(rename = "fn")]
    pub agg: Agg,
    /// The property aggregated.
    pub of: String,
    #[serde(default)]
    pub kind: WindowKind,
    /// The window's length in time …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// … or in samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// `ewma`: the weight of the newest sample, 0 < alpha ≤ 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// `cusum_high`, `cusum_low`: the in-control mean …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// … and the allowance (slack), default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<f64>,
    /// `band_energy`: the band [low, high] in Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<[f64; 2]>,
}

impl WindowDef {
    /// What is wrong with the function's parameters: each function takes its own, and
    /// only those.
    fn parameter_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
        match self.agg {
            Agg::Ewma => match self.alpha {
                Some(a) if a > 0.0 && a <= 1.0 => {}
                _ => out.push("ewma needs alpha, above 0 and at most 1".into()),
            },
            Agg::CusumHigh | Agg::CusumLow => {
                if !self.target.is_some_and(f64::is_finite) {
                    out.push("cusum needs target, the in-control mean".into());
                }
                if self.k.is_some_and(|k| !k.is_finite() || k < 0.0) {
                    out.push("k must be 0 or more".into());
                }
            }
            Agg::BandEnergy => match self.band {
                Some([lo, hi]) if lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo < hi => {}
                _ => out.push("band_energy needs band: [low, high] in Hz, 0 ≤ low < high".into()),
            },
            _ => {}
        }
        let allowed = |used: bool, by: &[Agg]| !used || by.contains(&self.agg);
        if !allowed(self.alpha.is_some(), &[Agg::Ewma])
            || !allowed(
                self.target.is_some() || self.k.is_some(),
                &[Agg::CusumHigh, Agg::CusumLow],
            )
            || !allowed(self.band.is_some(), &[Agg::BandEnergy])
        {
            out.push("alpha is for ewma, target and k for cusum, band for band_energy".into());
        }
        if !finite(self.alpha) || !finite(self.target) || !finite(self.k) {
            out.push("parameters must be finite numbers".into());
        }
        out
    }
}

/// When the rule fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// A boolean expression (thresholds, ranges, logic over the message, attributes,
    /// latest values, rates and windows). Optional with `no_data_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// True only after holding for this many consecutive samples …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_samples: Option<u32>,
    /// … or for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_seconds: Option<u64>,
    /// Also true when a device of the source sent nothing for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_data_seconds: Option<u64>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Major,
    Minor,
    Warning,
    Indeterminate,
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown severity {s:?}"))
    }
}

impl Severity {
    /// Most severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Warning,
        Severity::Indeterminate,
    ];

    /// 0 for critical … 4 for indeterminate (for sorting).
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
            Severity::Warning => "warning",
            Severity::Indeterminate => "indeterminate",
        }
    }
}

/// What a rule does when its condition becomes true (and, for alarms, false again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Raise (or update) the alarm of this type on the device; cleared when the
    /// condition is false again, or when `clear_when` holds.
    Alarm {
        alarm_type: String,
        severity: Severity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clear_when: Option<String>,
        /// Extra details: name → expression.
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        details: std::collections::BTreeMap<String, String>,
    },
    /// Clear the alarm of this type on the device.
    ClearAlarm { alarm_type: String },
    /// A command or parameter write to the device (or another device by name).
    Command {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Object)]
        params: Option<Json>,
        /// Property → value, or → expression text starting with `=` (`"=setpoint - 5"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Object)]
        properties: Option<serde_json::Map<String, Json>>,
    },
    /// POST the event (JSON) to a URL; retried with back-off, with an idempotency key.
    Webhook {
        url: String,
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        headers: std::collections::BTreeMap<String, String>,
        #[serde(default = "default_retries")]
        retries: u32,
    },
    /// Publish the event on an MQTT topic of the tenant (under `rules/`).
    Republish { topic: String },
    /// Write a derived value as telemetry of the device.
    Telemetry { property: String, expr: String },
    /// Hand the message to another rule of the tenant (by name).
    Rule { rule: String },
    /// Hand the message to an app installation of the tenant (by id) whose manifest takes
    /// calls from rules (`{"kind": "rule"}` trigger); it runs as a triggered event.
    App { installation: String },
}

fn default_retries() -> u32 {
    5
}

/// One problem of a rule, where it is, and inside an expression, at which character.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RuleProblem {
    /// `condition.expr`, `actions[1].clear_when`, `windows[0].seconds` …
    pub path: String,
    /// Character position inside the expression, when the problem is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "{} at position {p}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

fn expr_problem(out: &mut Vec<RuleProblem>, path: String, text: &str) -> Option<Expr> {
    match Expr::parse(text) {
        Ok(e) => Some(e),
        Err(e) => {
            out.push(RuleProblem {
                path,
                position: Some(e.pos),
                message: e.message,
            });
            None
        }
    }
}

/// Variables a rule may read besides properties: prefixes and fixed names.
pub const RULE_PREFIXES: [&str; 4] = ["prev.", "rate.", "latest.", "attr."];
pub const RULE_NAMES: [&str; 4] = ["device", "product", "event", "ts"];

impl RuleDoc {
    /// Every structural problem. `properties`, when given, are the properties the rule's
    /// source can carry (from the products' thing models): expressions may read only
    /// those (plus windows, prefixed values and the fixed names).
    pub fn check(&self, properties: Option<&[String]>) -> Vec<RuleProblem> {
        self.check_with(properties, None)
    }

    /// [`check`](Self::check), and every `model(…)` call checked against `models`: the
    /// model exists, has the output, and gets as many inputs as it takes.
    pub fn check_with(
        &self,
        properties: Option<&[String]>,
        models: Option<&dyn crate::model::Catalogue>,
    ) -> Vec<RuleProblem> {
        let mut out = Vec::new();
        let mut at = |path: &str, message: String| {
            out.push(RuleProblem {
                path: path.into(),
                position: None,
                message,
            })
        };
        if self.name.trim().is_empty() || self.name.chars().count() > MAX_NAME {
            at(
                "name",
                format!("a name of 1 to {MAX_NAME} characters is needed"),
            );
        }
        let s = &self.source;
        if [&s.products, &s.devices, &s.groups, &s.properties, &s.events]
            .iter()
            .any(|l| l.len() > MAX_SOURCES)
        {
            at("source", format!("at most {MAX_SOURCES} entries per list"));
        }
        if !s.telemetry && s.events.is_empty() {
            at(
                "source",
                "with telemetry = false the rule needs events to watch".into(),
            );
        }
        if self.windows.len() > MAX_WINDOWS {
            at("windows", format!("at most {MAX_WINDOWS} windows"));
        }
        if self.actions.len() > MAX_ACTIONS {
            at("actions", format!("at most {MAX_ACTIONS} actions"));
        }
        let mut window_names: Vec<&str> = Vec::new();
        for (i, w) in self.windows.iter().enumerate() {
            let p = format!("windows[{i}]");
            if !crate::thing_model::is_identifier(&w.name) {
                at(&p, format!("`{}` is not a valid name", w.name));
            }
            if window_names.contains(&w.name.as_str()) {
                at(&p, format!("the name `{}` is used twice", w.name));
            }
            window_names.push(&w.name);
            match (w.seconds, w.count) {
                (None, None) | (Some(_), Some(_)) => {
                    at(&p, "give the window's length as seconds or as count".into())
                }
                (Some(t), None) if t == 0 || t > MAX_WINDOW_SECONDS => {
                    at(&p, format!("seconds must be 1 to {MAX_WINDOW_SECONDS}"))
                }
                (None, Some(n)) if n == 0 || n > MAX_WINDOW_COUNT => {
                    at(&p, format!("count must be 1 to {MAX_WINDOW_COUNT}"))
                }
                _ => {}
            }
            if let Some(props) = properties
                && !props.contains(&w.of)
            {
                at(&p, format!("`{}` is not a property of the source", w.of));
            }
            for problem in w.parameter_problems() {
                at(&p, problem);
            }
        }
        let c = &self.condition;
        if c.expr.is_none() && c.no_data_seconds.is_none() {
            at(
                "condition",
                "needs an expr, no_data_seconds, or both".into(),
            );
        }
        if c.for_samples.is_some() && c.for_seconds.is_some() {
            at(
                "condition",
                "for_samples and for_seconds exclude each other".into(),
            );
        }
        if c.for_samples == Some(0) || c.for_seconds == Some(0) || c.no_data_seconds == Some(0) {
            at("condition", "counts and durations must be above 0".into());
        }
        let known = |v: &str| {
            window_names.contains(&v)
                || RULE_NAMES.contains(&v)
                || RULE_PREFIXES.iter().any(|p| {
                    v.strip_prefix(p).is_some_and(|rest| {
                        !rest.is_empty()
                            && (*p == "attr."
                                || *p == "latest."
                                || properties.is_none_or(|ps| ps.iter().any(|x| x == rest)))
                    })
                })
                || properties.is_none_or(|ps| ps.iter().any(|x| x == v))
        };
        let mut exprs: Vec<(String, String)> = Vec::new();
        if let Some(e) = &c.expr {
            exprs.push(("condition.expr".into(), e.clone()));
        }
        for (i, a) in self.actions.iter().enumerate() {
            let p = format!("actions[{i}]");
            match a {
                Action::Alarm {
                    alarm_type,
                    clear_when,
                    details,
                    ..
                } => {
                    if alarm_type.trim().is_empty() || alarm_type.len() > MAX_NAME {
                        at(&p, "alarm_type must be 1 to 128 characters".into());
                    }
                    if let Some(cw) = clear_when {
                        exprs.push((format!("{p}.clear_when"), cw.clone()));
                    }
                    for (k, v) in details {
                        exprs.push((format!("{p}.details.{k}"), v.clone()));
                    }
                }
                Action::ClearAlarm { alarm_type } => {
                    if alarm_type.trim().is_empty() {
                        at(&p, "alarm_type is empty".into());
                    }
                }
                Action::Command {
                    method,
                    params,
                    properties: props,
                    ..
                } => {
                    match (method, props) {
                        (Some(_), Some(_)) | (None, None) => at(
                            &p,
                            "a command has either method (with params) or properties".into(),
                        ),
                        _ => {}
                    }
                    if params.is_some() && method.is_none() {
                        at(&p, "params go with a method".into());
                    }
                    for (k, v) in props.iter().flatten() {
                        if let Some(e) = v.as_str().and_then(|s| s.strip_prefix('=')) {
                            exprs.push((format!("{p}.properties.{k}"), e.to_owned()));
                        }
                    }
                }
                Action::Webhook { url, retries, .. } => {
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        at(&p, format!("`{url}` is not an http:// or https:// URL"));
                    }
                    if *retries > 20 {
                        at(&p, "at most 20 retries".into());
                    }
                }
                Action::Republish { topic } => {
                    if topic.is_empty()
                        || topic.contains(['+', '#', '\0'])
                        || topic.split('/').any(|l| l.is_empty() || l == "..")
                    {
                        at(
                            &p,
                            format!(
                                "`{topic}` is not a valid topic (no wildcards, empty levels or ..)"
                            ),
                        );
                    }
                }
                Action::Telemetry { property, expr } => {
                    if !crate::thing_model::is_identifier(property) {
                        at(&p, format!("`{property}` is not a valid property name"));
                    }
                    exprs.push((format!("{p}.expr"), expr.clone()));
                }
                Action::Rule { rule } => {
                    if rule.trim().is_empty() {
                        at(&p, "names no rule".into());
                    }
                }
                Action::App { installation } => {
                    if installation.parse::<crate::ids::InstallationId>().is_err() {
                        at(&p, format!("`{installation}` is not an installation id"));
                    }
                }
            }
        }
        for (path, text) in exprs {
            if let Some(e) = expr_problem(&mut out, path.clone(), &text) {
                for (id, output, given, pos) in models.map(|_| e.model_calls()).unwrap_or_default()
                {
                    let problem = match models.and_then(|m| m.card(&id)) {
                        None => Some(format!("no model `{id}` in the library")),
                        Some(card) => crate::model::positional(card, &output, given)
                            .err()
                            .map(|e| e.to_string()),
                    };
                    if let Some(message) = problem {
                        out.push(RuleProblem {
                            path: path.clone(),
                            position: Some(pos),
                            message,
                        });
                    }
                }
                for (v, pos) in e.variables() {
                    if !known(&v) {
                        out.push(RuleProblem {
                            path: path.clone(),
                            position: Some(pos),
                            message: format!(
                                "`{v}` is not a property of the source, a window, or one of {} {}",
                                RULE_PREFIXES.map(|p| format!("{p}…")).join(" "),
                                RULE_NAMES.join(" ")
                            ),
                        });
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Json) -> RuleDoc {
        serde_json::from_value(v).unwrap()
    }

    fn props() -> Vec<String> {
        ["water_temp", "burner_on", "water_level"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn a_full_rule_reads_and_checks() {
        let r = doc(json!({
            "name": "Boiler overheat",
            "source": {"products": ["demo-boiler"], "properties": ["water_temp"]},
            "windows": [{"name": "avg_temp", "fn": "avg", "of": "water_temp", "seconds": 60}],
            "condition": {"expr": "avg_temp > 110 && burner_on && rate.water_temp > 0.5", "for_seconds": 30},
            "actions": [
                {"type": "alarm", "alarm_type": "overheat", "severity": "major",
                 "clear_when": "water_temp < 100", "details": {"temp": "water_temp"}},
                {"type": "command", "properties": {"temp_setpoint": "=water_temp - 20"}},
                {"type": "webhook", "url": "https://example.com/hook"},
                {"type": "republish", "topic": "alerts/boiler"},
                {"type": "telemetry", "property": "overheat_margin", "expr": "water_temp - 110"},
                {"type": "rule", "rule": "escalate"}
            ]
        }));
        assert!(r.enabled);
        assert_eq!(r.check(Some(&props())), []);
        assert_eq!(r.check(None), []);
        // Round trip.
        assert_eq!(doc(serde_json::to_value(&r).unwrap()), r);
    }

    #[test]
    fn problems_name_their_path_and_position() {
        let r = doc(json!({
            "name": "",
            "source": {"telemetry": false},
            "windows": [
                {"name": "w", "fn": "max", "of": "pressure", "seconds": 10, "count": 5},
                {"name": "w", "fn": "min", "of": "water_temp", "count": 0}
            ],
            "condition": {"expr": "water_temp > ", "for_samples": 3, "for_seconds": 5},
            "actions": [
                {"type": "alarm", "alarm_type": "hot", "severity": "minor", "clear_when": "speed < 3"},
                {"type": "command", "method": "reboot", "properties": {"x": 1}},
                {"type": "webhook", "url": "ftp://x"},
                {"type": "republish", "topic": "a/+/b"},
                {"type": "telemetry", "property": "9bad", "expr": "1 +* 2"}
            ]
        }));
        let p = r.check(Some(&props()));
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        for want in [
            "name: a name of 1 to 128",
            "source: with telemetry = false",
            "windows[0]: give the window's length as seconds or as count",
            "windows[0]: `pressure` is not a property of the source",
            "windows[1]: the name `w` is used twice",
            "windows[1]: count must be 1",
            "condition: for_samples and for_seconds exclude each other",
            "condition.expr at position 13: the expression ends too early",
            "actions[0].clear_when at position 0: `speed` is not a property",
            "actions[1]: a command has either method",
            "actions[2]: `ftp://x` is not an http",
            "actions[3]: `a/+/b` is not a valid topic",
            "actions[4]: `9bad` is not a valid property name",
            "actions[4].expr at position 3: unexpected `*`",
        ] {
            assert!(
                text.iter().any(|t| t.starts_with(want)),
                "missing «{want}» in {text:#?}"
            );
        }
        // Unknown fields and action types are refused when reading.
        assert!(
            serde_json::from_value::<RuleDoc>(
                json!({"name": "x", "source": {}, "condition": {"expr": "true"}, "extra": 1})
            )
            .is_err()
        );
        assert!(serde_json::from_value::<RuleDoc>(json!({"name": "x", "source": {}, "condition": {"expr": "true"}, "actions": [{"type": "email"}]})).is_err());
    }

    #[test]
    fn no_data_rules_need_no_expression() {
        let r = doc(json!({"name": "silent", "source": {"devices": ["pump-01"]},
                           "condition": {"no_data_seconds": 300},
                           "actions": [{"type": "alarm", "alarm_type": "no_data", "severity": "warning"}]}));
        assert_eq!(r.check(None), []);
        let r = doc(json!({"name": "nothing", "source": {}, "condition": {}}));
        assert!(r.check(None)[0].message.contains("needs an expr"));
    }
}
