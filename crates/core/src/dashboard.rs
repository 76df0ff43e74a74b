//! Dashboards: per-tenant pages of widgets (charts, gauges, value cards, tables, maps) bound
//! to devices and their properties, laid out on a 24-column grid, shareable read-only by a
//! link.
//!
//! ```json
//! {"name": "Line 1", "range_s": 3600, "refresh_s": 5,
//!  "widgets": [{"id": "speed", "kind": "chart", "title": "Spindle speed",
//!               "devices": ["0192…"], "properties": ["spindle_speed"],
//!               "x": 0, "y": 0, "w": 12, "h": 6}]}
//! ```
//!
//! [`DashboardDoc::check`] finds every structural problem with its path; whether the
//! devices are the tenant's and have the properties is checked against the store by the
//! API.

use crate::ids::{DashboardId, DeviceId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Grid columns a dashboard is laid out on.
pub const GRID_COLUMNS: u16 = 24;
/// Tallest widget and lowest row, in grid rows.
pub const MAX_HEIGHT: u16 = 24;
pub const MAX_ROW: u16 = 1000;
pub const MAX_NAME: usize = 128;
pub const MAX_DESCRIPTION: usize = 1000;
pub const MAX_WIDGETS: usize = 50;
/// Longest and shortest time range a dashboard shows (30 days; one minute).
pub const MAX_RANGE_S: u32 = 30 * 86_400;
pub const MIN_RANGE_S: u32 = 60;
pub const MAX_REFRESH_S: u32 = 3600;
/// Most series a chart draws (devices × properties).
pub const MAX_CHART_SERIES: usize = 20;
/// Attributes a map widget reads a device's position from.
pub const LATITUDE_ATTRIBUTE: &str = "latitude";
pub const LONGITUDE_ATTRIBUTE: &str = "longitude";

/// A stored dashboard at its current version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub id: DashboardId,
    pub tenant_id: TenantId,
    /// Starts at 1; every change adds one.
    pub version: i64,
    pub document: DashboardDoc,
    /// The read-only link's token while the dashboard is shared
    /// (`/shared/<token>` in the console, `/api/v1/shared/dashboards/<token>` in the API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_token: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A dashboard's change, applied only if it is still at `expected_version` when given.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardUpdate {
    pub document: DashboardDoc,
    pub expected_version: Option<i64>,
}

fn default_range() -> u32 {
    3600
}

fn default_refresh() -> u32 {
    5
}

/// A dashboard as users build it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Time range the charts show, in seconds back from now (default an hour).
    #[serde(default = "default_range")]
    pub range_s: u32,
    /// How often a viewer reloads the data, in seconds (default 5).
    #[serde(default = "default_refresh")]
    pub refresh_s: u32,
    #[serde(default)]
    pub widgets: Vec<Widget>,
}

/// What a widget shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WidgetKind {
    /// A line chart over the dashboard's time range: one series per device and property.
    Chart,
    /// One property of one device against a scale (`min`, `max`).
    Gauge,
    /// One property of one device as a large figure.
    Value,
    /// Devices as rows, properties as columns, latest values.
    Table,
    /// Devices placed by their `latitude` and `longitude` attributes, with the
    /// properties' latest values beside them.
    Map,
}

impl WidgetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WidgetKind::Chart => "chart",
            WidgetKind::Gauge => "gauge",
            WidgetKind::Value => "value",
            WidgetKind::Table => "table",
            WidgetKind::Map => "map",
        }
    }

    /// Fewest and most devices and properties a widget of this kind takes.
    pub fn limits(self) -> ((usize, usize), (usize, usize)) {
        match self {
            WidgetKind::Chart => ((1, 10), (1, 10)),
            WidgetKind::Gauge | WidgetKind::Value => ((1, 1), (1, 1)),
            WidgetKind::Table => ((1, 100), (1, 20)),
            WidgetKind::Map => ((1, 500), (0, 5)),
        }
    }
}

/// How a chart reduces the points of each interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChartAgg {
    #[default]
    Avg,
    Min,
    Max,
    Last,
}

impl ChartAgg {
    pub fn as_str(self) -> &'static str {
        match self {
            ChartAgg::Avg => "avg",
            ChartAgg::Min => "min",
            ChartAgg::Max => "max",
            ChartAgg::Last => "last",
        }
    }
}

/// One widget, bound to devices and their properties, at a place on the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Widget {
    /// Unique within the dashboard: letters, digits, `_` and `-`, at most 32.
    pub id: String,
    pub kind: WidgetKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub devices: Vec<DeviceId>,
    /// Property identifiers of the devices' thing models.
    #[serde(default)]
    pub properties: Vec<String>,
    /// Column (0–23) and row of the top-left corner; width in columns, height in rows.
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
    /// Gauge scale (default 0 to 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Chart reduction per interval (default avg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agg: Option<ChartAgg>,
}

impl Widget {
    /// The gauge's scale.
    pub fn scale(&self) -> (f64, f64) {
        (self.min.unwrap_or(0.0), self.max.unwrap_or(100.0))
    }
}

/// One problem of a dashboard and where it is (`widgets[2].properties[0]` …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DashboardProblem {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for DashboardProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn problem(out: &mut Vec<DashboardProblem>, path: impl Into<String>, message: impl Into<String>) {
    out.push(DashboardProblem {
        path: path.into(),
        message: message.into(),
    });
}

fn is_identifier(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl DashboardDoc {
    /// Every structural problem: lengths, counts, the grid, scales, duplicate ids.
    pub fn check(&self) -> Vec<DashboardProblem> {
        let mut out = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || self.name.chars().count() > MAX_NAME {
            problem(
                &mut out,
                "name",
                format!("a name of 1 to {MAX_NAME} characters is needed"),
            );
        }
        if let Some(d) = &self.description
            && d.chars().count() > MAX_DESCRIPTION
        {
            problem(
                &mut out,
                "description",
                format!("at most {MAX_DESCRIPTION} characters"),
            );
        }
        if !(MIN_RANGE_S..=MAX_RANGE_S).contains(&self.range_s) {
            problem(
                &mut out,
                "range_s",
                format!("between {MIN_RANGE_S} and {MAX_RANGE_S} seconds"),
            );
        }
        if !(1..=MAX_REFRESH_S).contains(&self.refresh_s) {
            problem(
                &mut out,
                "refresh_s",
                format!("between 1 and {MAX_REFRESH_S} seconds"),
            );
        }
        if self.widgets.len() > MAX_WIDGETS {
            problem(
                &mut out,
                "widgets",
                format!("at most {MAX_WIDGETS} widgets"),
            );
        }
        let mut ids = std::collections::HashSet::new();
        for (i, w) in self.widgets.iter().enumerate() {
            let at = |field: &str| format!("widgets[{i}].{field}");
            if !is_identifier(&w.id, 32) {
                problem(&mut out, at("id"), "1 to 32 letters, digits, `_` or `-`");
            } else if !ids.insert(w.id.as_str()) {
                problem(&mut out, at("id"), format!("`{}` is used twice", w.id));
            }
            if let Some(t) = &w.title
                && t.chars().count() > MAX_NAME
            {
                problem(
                    &mut out,
                    at("title"),
                    format!("at most {MAX_NAME} characters"),
                );
            }
            let ((dmin, dmax), (pmin, pmax)) = w.kind.limits();
            let kind = w.kind.as_str();
            if !(dmin..=dmax).contains(&w.devices.len()) {
                problem(
                    &mut out,
                    at("devices"),
                    if dmin == dmax {
                        format!("a {kind} shows exactly {dmin} device")
                    } else {
                        format!("a {kind} shows {dmin} to {dmax} devices")
                    },
                );
            }
            if !(pmin..=pmax).contains(&w.properties.len()) {
                problem(
                    &mut out,
                    at("properties"),
                    if pmin == pmax {
                        format!("a {kind} shows exactly {pmin} property")
                    } else {
                        format!("a {kind} shows {pmin} to {pmax} properties")
                    },
                );
            }
            if w.kind == WidgetKind::Chart
                && w.devices.len() * w.properties.len() > MAX_CHART_SERIES
            {
                problem(
                    &mut out,
                    at("properties"),
                    format!(
                        "a chart draws at most {MAX_CHART_SERIES} series (devices × properties)"
                    ),
                );
            }
            let mut seen = std::collections::HashSet::new();
            for (j, d) in w.devices.iter().enumerate() {
                if !seen.insert(d) {
                    problem(
                        &mut out,
                        format!("widgets[{i}].devices[{j}]"),
                        "listed twice",
                    );
                }
            }
            let mut seen = std::collections::HashSet::new();
            for (j, p) in w.properties.iter().enumerate() {
                if !is_identifier(p, 64) {
                    problem(
                        &mut out,
                        format!("widgets[{i}].properties[{j}]"),
                        "a property identifier: letters, digits, `_` or `-`",
                    );
                } else if !seen.insert(p) {
                    problem(
                        &mut out,
                        format!("widgets[{i}].properties[{j}]"),
                        "listed twice",
                    );
                }
            }
            if w.x >= GRID_COLUMNS {
                problem(
                    &mut out,
                    at("x"),
                    format!("a column from 0 to {}", GRID_COLUMNS - 1),
                );
            }
            if w.w == 0 || w.x.saturating_add(w.w) > GRID_COLUMNS {
                problem(
                    &mut out,
                    at("w"),
                    format!("1 or more columns, ending within the {GRID_COLUMNS} of the grid"),
                );
            }
            if w.y > MAX_ROW {
                problem(&mut out, at("y"), format!("a row from 0 to {MAX_ROW}"));
            }
            if w.h == 0 || w.h > MAX_HEIGHT {
                problem(&mut out, at("h"), format!("1 to {MAX_HEIGHT} rows"));
            }
            let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
            if w.kind != WidgetKind::Gauge && (w.min.is_some() || w.max.is_some()) {
                problem(&mut out, at("min"), "only a gauge has a scale");
            } else if !finite(w.min) || !finite(w.max) {
                problem(&mut out, at("min"), "the scale must be finite numbers");
            } else if w.kind == WidgetKind::Gauge {
                let (lo, hi) = w.scale();
                if lo >= hi {
                    problem(&mut out, at("max"), "the maximum must be above the minimum");
                }
            }
            if w.kind != WidgetKind::Chart && w.agg.is_some() {
                problem(&mut out, at("agg"), "only a chart reduces intervals");
            }
        }
        out
    }

    /// Every device the widgets name, once each, in order of first use.
    pub fn devices(&self) -> Vec<DeviceId> {
        let mut seen = std::collections::HashSet::new();
        self.widgets
            .iter()
            .flat_map(|w| w.devices.iter().copied())
            .filter(|d| seen.insert(*d))
            .collect()
    }

    /// Every (device, property) pair the widgets name, once each.
    pub fn pairs(&self) -> Vec<(DeviceId, String)> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for w in &self.widgets {
            for d in &w.devices {
                for p in &w.properties {
                    if seen.insert((*d, p.as_str())) {
                        out.push((*d, p.clone()));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn widget(kind: WidgetKind, devices: usize, properties: &[&str]) -> Widget {
        Widget {
            id: "w".into(),
            kind,
            title: None,
            devices: (0..devices).map(|_| DeviceId::new()).collect(),
            properties: properties.iter().map(|p| (*p).to_owned()).collect(),
            x: 0,
            y: 0,
            w: 6,
            h: 4,
            min: None,
            max: None,
            agg: None,
        }
    }

    fn doc(widgets: Vec<Widget>) -> DashboardDoc {
        DashboardDoc {
            name: "Line 1".into(),
            description: None,
            range_s: 3600,
            refresh_s: 5,
            widgets,
        }
    }

    fn paths(d: &DashboardDoc) -> Vec<String> {
        d.check().into_iter().map(|p| p.path).collect::<Vec<_>>()
    }

    #[test]
    fn a_good_dashboard_has_no_problems_and_defaults_fill_in() {
        let d: DashboardDoc = serde_json::from_str(&format!(
            r#"{{"name": "产线一", "widgets": [
                {{"id": "speed", "kind": "chart", "devices": ["{}"], "properties": ["a", "b"], "x": 0, "y": 0, "w": 12, "h": 6}},
                {{"id": "g-1", "kind": "gauge", "devices": ["{}"], "properties": ["a"], "x": 12, "y": 0, "w": 12, "h": 6, "min": -10, "max": 10}},
                {{"id": "where", "kind": "map", "devices": ["{}"], "x": 0, "y": 6, "w": 24, "h": 8}}]}}"#,
            DeviceId::new(),
            DeviceId::new(),
            DeviceId::new()
        ))
        .unwrap();
        assert_eq!(d.check(), vec![]);
        assert_eq!((d.range_s, d.refresh_s), (3600, 5));
        assert_eq!(d.devices().len(), 3);
        assert_eq!(d.pairs().len(), 3);
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused() {
        assert!(serde_json::from_str::<DashboardDoc>(r#"{"name": "a", "colour": 1}"#).is_err());
        let e = serde_json::from_str::<Widget>(
            r#"{"id": "a", "kind": "pie", "devices": [], "x": 0, "y": 0, "w": 1, "h": 1}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown variant `pie`"), "{e}");
    }

    #[test]
    fn each_problem_is_found_with_its_path() {
        let mut d = doc(vec![
            widget(WidgetKind::Gauge, 2, &["a", "b"]),
            widget(WidgetKind::Chart, 5, &["a", "b", "c", "d", "e"]),
            widget(WidgetKind::Value, 1, &["bad name"]),
        ]);
        d.name = " ".into();
        d.range_s = 10;
        d.refresh_s = 0;
        d.widgets[0].x = 20;
        d.widgets[0].min = Some(5.0);
        d.widgets[0].max = Some(5.0);
        d.widgets[1].h = 0;
        d.widgets[1].min = Some(1.0);
        d.widgets[2].agg = Some(ChartAgg::Max);
        let p = paths(&d);
        for want in [
            "name",
            "range_s",
            "refresh_s",
            "widgets[0].devices",
            "widgets[0].properties",
            "widgets[0].w",
            "widgets[0].max",
            "widgets[1].id",
            "widgets[1].properties",
            "widgets[1].h",
            "widgets[1].min",
            "widgets[2].id",
            "widgets[2].properties[0]",
            "widgets[2].agg",
        ] {
            assert!(p.iter().any(|x| x == want), "{want} missing from {p:?}");
        }
    }

    #[test]
    fn duplicates_and_hostile_sizes_are_refused() {
        let mut w = widget(WidgetKind::Table, 1, &["a", "a"]);
        w.devices.push(w.devices[0]);
        w.y = u16::MAX;
        w.w = u16::MAX;
        w.h = u16::MAX;
        w.title = Some("x".repeat(10_000));
        let mut d = doc(vec![w]);
        d.description = Some("长".repeat(MAX_DESCRIPTION + 1));
        d.widgets
            .extend((0..MAX_WIDGETS).map(|_| widget(WidgetKind::Value, 1, &["a"])));
        let p = paths(&d);
        for want in [
            "description",
            "widgets",
            "widgets[0].devices[1]",
            "widgets[0].properties[1]",
            "widgets[0].y",
            "widgets[0].w",
            "widgets[0].h",
            "widgets[0].title",
        ] {
            assert!(p.iter().any(|x| x == want), "{want} missing from {p:?}");
        }
        let mut g = widget(WidgetKind::Gauge, 1, &["a"]);
        g.max = Some(f64::NAN);
        assert_eq!(paths(&doc(vec![g])), ["widgets[0].min"]);
    }
}
