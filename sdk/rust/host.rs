//! Events and the typed host operations of docs/apps.md ("Host operations, in detail").
//! Times are milliseconds since the epoch; devices are named.

use crate::{call, Error, Json, Result};

/// One value of a property at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub ts: i64,
    pub value: Json,
}

impl Point {
    /// The value when it is a number.
    pub fn number(&self) -> Option<f64> {
        self.value.as_f64()
    }

    /// `{"ts", "value"}` or `[ts, value]`.
    fn read(v: &Json) -> Option<Point> {
        match v {
            Json::Array(a) if a.len() == 2 => Some(Point {
                ts: a[0].as_i64()?,
                value: a[1].clone(),
            }),
            Json::Object(_) => Some(Point {
                ts: v.get("ts").and_then(Json::as_i64).unwrap_or(0),
                value: v["value"].clone(),
            }),
            _ => None,
        }
    }
}

/// One event passed to `ironloom_on_event` (docs/apps.md, "Triggers and events").
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The whole event as the platform sent it.
    pub json: Json,
}

impl Event {
    pub fn parse(text: &str) -> std::result::Result<Event, crate::ParseError> {
        Json::parse(text).map(|json| Event { json })
    }

    /// `telemetry`, `schedule`, `http`, `manual` (or what a manual run sent).
    pub fn kind(&self) -> &str {
        self.json.text("kind").unwrap_or("")
    }

    /// The device of a telemetry event.
    pub fn device(&self) -> Option<&str> {
        self.json.text("device")
    }

    /// The product key of a telemetry event's device.
    pub fn product(&self) -> Option<&str> {
        self.json.text("product")
    }

    /// A telemetry event's points as (property, point).
    pub fn points(&self) -> Vec<(&str, Point)> {
        let items = self.json["points"].as_array().map_or(&[][..], |a| &a[..]);
        items
            .iter()
            .filter_map(|p| Some((p.text("property")?, Point::read(p)?)))
            .collect()
    }

    /// The point of `property` in a telemetry event (the last one when repeated).
    pub fn point(&self, property: &str) -> Option<Point> {
        self.points()
            .into_iter()
            .rev()
            .find(|(p, _)| *p == property)
            .map(|(_, pt)| pt)
    }

    /// The number of `property` in a telemetry event.
    pub fn number(&self, property: &str) -> Option<f64> {
        self.point(property).and_then(|p| p.number())
    }

    /// A schedule event's time.
    pub fn at(&self) -> Option<i64> {
        self.json.get("at").and_then(Json::as_i64)
    }

    /// An HTTP event's path.
    pub fn path(&self) -> Option<&str> {
        self.json.text("path")
    }

    /// An HTTP event's body (`Null` when none).
    pub fn body(&self) -> &Json {
        &self.json["body"]
    }
}

fn bad_reply(op: &str) -> Error {
    Error::new("bad_reply", format!("{}: unexpected reply", op))
}

fn names(list: &[&str]) -> Json {
    Json::Array(list.iter().map(|s| Json::from(*s)).collect())
}

/// Latest values of a device's properties.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Latest {
    pub values: Vec<(String, Point)>,
}

impl Latest {
    pub fn get(&self, property: &str) -> Option<&Point> {
        self.values
            .iter()
            .find(|(p, _)| p == property)
            .map(|(_, v)| v)
    }
    pub fn number(&self, property: &str) -> Option<f64> {
        self.get(property).and_then(Point::number)
    }
}

/// `latest`: the latest values of `properties` of `device` (all when empty).
pub fn latest(device: &str, properties: &[&str]) -> Result<Latest> {
    let mut req = Json::object().with("device", device);
    if !properties.is_empty() {
        req.set("properties", names(properties));
    }
    let reply = call("latest", &req)?;
    let values = reply["values"]
        .as_object()
        .ok_or_else(|| bad_reply("latest"))?;
    Ok(Latest {
        values: values
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), Point::read(v)?)))
            .collect(),
    })
}

/// `history`: raw values of `property` in `from..=to`, oldest first (at most `limit`,
/// which the platform caps at 10 000; 1000 when `None`).
pub fn history(
    device: &str,
    property: &str,
    from: i64,
    to: i64,
    limit: Option<u32>,
) -> Result<Vec<Point>> {
    let mut req = Json::object()
        .with("device", device)
        .with("property", property)
        .with("from", from)
        .with("to", to);
    if let Some(limit) = limit {
        req.set("limit", limit);
    }
    let reply = call("history", &req)?;
    let points = reply["points"]
        .as_array()
        .ok_or_else(|| bad_reply("history"))?;
    Ok(points.iter().filter_map(Point::read).collect())
}

/// One window of an [`aggregate`] reply: its start and one value per aggregation.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub ts: i64,
    pub values: Vec<Option<f64>>,
}

/// What `aggregate` answered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Aggregates {
    pub aggregations: Vec<String>,
    pub windows: Vec<Window>,
}

impl Aggregates {
    /// The windows' (start, value) of one aggregation, windows without a value left out.
    pub fn series(&self, aggregation: &str) -> Vec<(i64, f64)> {
        let i = match self.aggregations.iter().position(|a| a == aggregation) {
            Some(i) => i,
            None => return Vec::new(),
        };
        self.windows
            .iter()
            .filter_map(|w| Some((w.ts, (*w.values.get(i)?)?)))
            .collect()
    }
}

/// `aggregate`: `aggregations` (`avg`, `min`, `max`, `sum`, `count`, `first`, `last`,
/// `stddev`, `p95` …; `avg` when empty) of `property` over windows of `window_ms`.
pub fn aggregate(
    device: &str,
    property: &str,
    from: i64,
    to: i64,
    window_ms: i64,
    aggregations: &[&str],
) -> Result<Aggregates> {
    let mut req = Json::object()
        .with("device", device)
        .with("property", property)
        .with("from", from)
        .with("to", to)
        .with("window", window_ms);
    if !aggregations.is_empty() {
        req.set("aggregations", names(aggregations));
    }
    let reply = call("aggregate", &req)?;
    let (aggs, windows) = match (
        reply["aggregations"].as_array(),
        reply["windows"].as_array(),
    ) {
        (Some(a), Some(w)) => (a, w),
        _ => return Err(bad_reply("aggregate")),
    };
    Ok(Aggregates {
        aggregations: aggs
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect(),
        windows: windows
            .iter()
            .filter_map(|w| {
                Some(Window {
                    ts: w[0].as_i64()?,
                    values: w[1].as_array()?.iter().map(Json::as_f64).collect(),
                })
            })
            .collect(),
    })
}

/// A value the platform did not store, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub property: String,
    pub code: String,
    pub message: String,
}

/// What `write` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub stored: u64,
    pub refused: Vec<Refused>,
}

/// `write`: derived telemetry `values` (`{prop: value}`) of `device`, through the
/// platform's ingest path, at `ts` (now when `None`).
pub fn write(device: &str, values: Json, ts: Option<i64>) -> Result<Written> {
    let mut req = Json::object().with("device", device).with("values", values);
    if let Some(ts) = ts {
        req.set("ts", ts);
    }
    let reply = call("write", &req)?;
    let refused = reply["refused"].as_array().map_or(&[][..], |a| &a[..]);
    let text = |v: &Json, k: &str| v.text(k).unwrap_or("").to_string();
    Ok(Written {
        stored: reply.number("stored").unwrap_or(0.0) as u64,
        refused: refused
            .iter()
            .map(|r| Refused {
                property: text(r, "property"),
                code: text(r, "code"),
                message: text(r, "message"),
            })
            .collect(),
    })
}

/// Alarm severities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Critical,
    Major,
    Minor,
    Warning,
    Indeterminate,
}

impl Severity {
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

/// What `alarm.raise` answered: the alarm's id and whether it is new (not a repeat of
/// the open alarm of this device and type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raised {
    pub id: String,
    pub new: bool,
}

fn id_of(v: &Json) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

/// `alarm.raise`: an alarm of `alarm_type` on `device` (`details`: an object or `Null`).
pub fn alarm_raise(
    device: &str,
    alarm_type: &str,
    severity: Severity,
    details: Json,
) -> Result<Raised> {
    let mut req = Json::object()
        .with("device", device)
        .with("type", alarm_type)
        .with("severity", severity.as_str());
    if !details.is_null() {
        req.set("details", details);
    }
    let reply = call("alarm.raise", &req)?;
    Ok(Raised {
        id: id_of(&reply["id"]),
        new: reply["new"].as_bool().unwrap_or(false),
    })
}

/// `alarm.clear`: whether an open alarm of `alarm_type` on `device` was cleared.
pub fn alarm_clear(device: &str, alarm_type: &str) -> Result<bool> {
    let req = Json::object()
        .with("device", device)
        .with("type", alarm_type);
    Ok(call("alarm.clear", &req)?["cleared"]
        .as_bool()
        .unwrap_or(false))
}

/// What `command` answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub id: String,
    pub status: String,
}

fn command_reply(reply: Json) -> Command {
    Command {
        id: id_of(&reply["id"]),
        status: reply.text("status").unwrap_or("").to_string(),
    }
}

/// `command`: calls the service `method` of `device` with `params` (an object or `Null`).
pub fn command(device: &str, method: &str, params: Json) -> Result<Command> {
    let mut req = Json::object().with("device", device).with("method", method);
    if !params.is_null() {
        req.set("params", params);
    }
    call("command", &req).map(command_reply)
}

/// `command` with `properties`: writes parameters (`{prop: value}`) of `device`.
pub fn set_properties(device: &str, properties: Json) -> Result<Command> {
    let req = Json::object()
        .with("device", device)
        .with("properties", properties);
    call("command", &req).map(command_reply)
}

/// What a model answered: outputs (numbers, or series and texts) and their units.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelOutput {
    pub outputs: Json,
    pub units: Json,
}

impl ModelOutput {
    /// A number output; `Err(bad_reply)` naming it when missing.
    pub fn number(&self, name: &str) -> Result<f64> {
        self.outputs
            .number(name)
            .ok_or_else(|| Error::new("bad_reply", format!("the model gave no output {}", name)))
    }
}

/// `model`: evaluates a model of the library with `inputs` (an object of numbers,
/// `{"value", "unit"}` quantities, choices as strings, series as arrays).
pub fn model(model: &str, inputs: Json) -> Result<ModelOutput> {
    let req = Json::object().with("model", model).with("inputs", inputs);
    let mut reply = call("model", &req)?;
    Ok(ModelOutput {
        outputs: reply.remove("outputs").unwrap_or(Json::Null),
        units: reply.remove("units").unwrap_or(Json::Null),
    })
}

/// `kv.get`: the installation's state under `key` (`Null` when there is none).
pub fn kv_get(key: &str) -> Result<Json> {
    call("kv.get", &Json::object().with("key", key))
}

/// `kv.set`: keeps `value` under `key` (keys of 1 to 128 bytes, values up to 64 KiB).
pub fn kv_set(key: &str, value: &Json) -> Result<()> {
    call(
        "kv.set",
        &Json::object().with("key", key).with("value", value),
    )
    .map(drop)
}

/// `kv.delete`: forgets `key`.
pub fn kv_delete(key: &str) -> Result<()> {
    call("kv.delete", &Json::object().with("key", key)).map(drop)
}

/// `config`: the installation's configuration, with the schema's defaults filled in.
pub fn config() -> Result<Json> {
    call("config", &Json::object())
}

/// `reply`: the answer to an HTTP event.
pub fn reply(status: u16, body: Json) -> Result<()> {
    let req = Json::object().with("status", status).with("body", body);
    call("reply", &req).map(drop)
}
