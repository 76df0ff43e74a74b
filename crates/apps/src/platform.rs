//! The host API served by the platform: each operation reaches the same stores, ingest
//! path, device link and model library the API uses, scoped to the installation's tenant
//! and products. Apps run on blocking threads, so each call blocks on the runtime.
//!
//! Requests and replies (JSON; times in milliseconds since the epoch):
//! - `latest` `{"device", "properties"?}` → `{"values": {prop: {"ts", "value"}}}`
//! - `history` `{"device", "property", "from", "to", "limit"?}` → `{"points": [[ts, value]…]}`
//! - `aggregate` `{"device", "property", "from", "to", "window", "aggregations"?}` →
//!   `{"aggregations": ["avg"…], "windows": [[ts, [value…]]…]}`
//! - `write` `{"device", "values": {prop: value}, "ts"?}` → `{"stored", "refused": […]}`
//! - `alarm.raise` `{"device", "type", "severity"?, "details"?}` → `{"id", "new"}`
//! - `alarm.clear` `{"device", "type"}` → `{"cleared"}`
//! - `command` `{"device", "method", "params"?}` or `{"device", "properties"}` → `{"id", "status"}`
//! - `model` `{"model", "inputs"}` → `{"outputs": {name: number…}, "units": {name: unit…}}`
//!   (inputs as the API takes them, e.g. `{"value": 10, "unit": "L/s"}`; metered as source `app`)
//! - `kv.get` `{"key"}` → value or null; `kv.set` `{"key", "value"}`; `kv.delete` `{"key"}`
//! - `config` `{}` → the configuration
//! - `devices` `{"product"?, "page"?}` → `{"devices": [{"name", "label", "product",
//!   "status", "tags"}…], "total", "page", "page_size"}` (the installation's products only)
//! - `http` `{"method"?, "url", "headers"?, "body"?}` → `{"status", "headers", "body"}`
//!   (module `http`: only to hosts the tenant allows, no private addresses by default)

use crate::host::{HostError, HostOp, HostServices, Scope};
use crate::ops::{bad, evaluate_model, history_limit, millis, model_request, property_list, text};
use chrono::Utc;
use ironloom_bus::Ingest;
use ironloom_core::alarm::{AlarmChange, AlarmEvent, NewAlarm};
use ironloom_core::command::{CommandKind, CommandRequest, DeviceLink};
use ironloom_core::device::Reported;
use ironloom_core::entity::{Actor, ActorKind};
use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::model::CallSource;
use ironloom_core::repo::MetaStore;
use ironloom_core::rule::Severity;
use ironloom_core::telemetry::{
    AggregateQuery, Aggregation, HistoryQuery, Order, Selection, TelemetryStore,
};
use ironloom_models::meter::Meter;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::ops::MAX_HISTORY_POINTS;
/// How long a device's name → (id, product) is remembered.
const DEVICE_TTL: Duration = Duration::from_secs(30);

/// What the host API reaches.
#[derive(Clone)]
pub struct Platform {
    pub meta: Arc<dyn MetaStore>,
    pub store: Arc<dyn TelemetryStore>,
    pub ingest: Arc<dyn Ingest>,
    /// The device edge of this node (commands); `None` where there is none.
    pub link: Option<Arc<dyn DeviceLink>>,
    pub meter: Arc<Meter>,
    /// Live alarm events (the console's alarm stream, the rule engine's and apps' alarm
    /// triggers); `None` where nothing listens.
    pub alarms: Option<tokio::sync::broadcast::Sender<AlarmEvent>>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform").finish_non_exhaustive()
    }
}

type DeviceCache = HashMap<(TenantId, String), (DeviceId, String, Instant)>;

/// [`HostServices`] over the platform.
#[derive(Debug)]
pub struct PlatformServices {
    platform: Platform,
    runtime: tokio::runtime::Handle,
    devices: Mutex<DeviceCache>,
    http: reqwest::Client,
    http_max: usize,
    http_allow_private: bool,
}

fn from_platform(e: Error) -> HostError {
    let code = match &e {
        Error::NotFound(_) => "not_found",
        Error::Invalid(_) | Error::ThingModel(_) => "bad_request",
        Error::QuotaExceeded { .. } => "quota_exhausted",
        Error::Forbidden(_) => "permission_denied",
        _ => "unavailable",
    };
    HostError::new(code, e.to_string())
}

fn app_actor(scope: &Scope) -> Actor {
    Actor {
        kind: ActorKind::App,
        id: Some(scope.installation.clone()),
        name: format!("app {} ({})", scope.app, scope.name),
        tenant_id: Some(scope.tenant),
        ip: None,
    }
}

impl PlatformServices {
    pub fn new(
        platform: Platform,
        runtime: tokio::runtime::Handle,
        config: &crate::AppsConfig,
    ) -> PlatformServices {
        // No redirects: each hop would need the same checks as the first.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.http_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ironloom-apps/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        PlatformServices {
            platform,
            runtime,
            devices: Mutex::new(HashMap::new()),
            http,
            http_max: config.http_max_response_bytes,
            http_allow_private: config.http_allow_private,
        }
    }

    /// Tells live listeners about an alarm an app raised or cleared.
    fn publish(&self, change: AlarmChange, alarm: ironloom_core::alarm::Alarm) {
        if let Some(tx) = &self.platform.alarms {
            let _ = tx.send(AlarmEvent { change, alarm });
        }
    }

    /// The device named in the request, if it belongs to one of the installation's
    /// products; any other device (or another tenant's) is "not found".
    async fn device(&self, scope: &Scope, req: &Value) -> Result<DeviceId, HostError> {
        let name = text(req, "device")?;
        let key = (scope.tenant, name.to_string());
        let cached = self
            .devices
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
            .filter(|(_, _, at)| at.elapsed() < DEVICE_TTL);
        let (id, product) = match cached {
            Some((id, product, _)) => (id, product),
            None => {
                let meta = &self.platform.meta;
                let dev = meta
                    .find_device_by_name(scope.tenant, name)
                    .await
                    .map_err(from_platform)?
                    .ok_or_else(|| HostError::new("not_found", format!("no device {name}")))?;
                let product = meta
                    .get_product(scope.tenant, dev.product_id)
                    .await
                    .map_err(from_platform)?
                    .product_key;
                if let Ok(mut c) = self.devices.lock() {
                    if c.len() > 10_000 {
                        c.clear();
                    }
                    c.insert(key, (dev.id, product.clone(), Instant::now()));
                }
                (dev.id, product)
            }
        };
        if !scope.products.contains(&product) {
            return Err(HostError::new(
                "not_found",
                format!("no device {name} among this installation's products"),
            ));
        }
        Ok(id)
    }

    /// The one property of one device, and the range in milliseconds, that `history` and
    /// `aggregate` ask for.
    async fn series(&self, scope: &Scope, req: &Value) -> Result<(Selection, i64, i64), HostError> {
        let device = self.device(scope, req).await?;
        let property = text(req, "property")?.to_string();
        let (Some(from), Some(to)) = (millis(req, "from")?, millis(req, "to")?) else {
            return Err(bad("from and to are required"));
        };
        let selection = Selection {
            devices: vec![device],
            properties: vec![property],
        };
        Ok((selection, from, to))
    }

    async fn serve(&self, scope: &Scope, op: HostOp, req: &Value) -> Result<Value, HostError> {
        let p = &self.platform;
        let tenant = scope.tenant;
        match op {
            HostOp::Config => Ok(scope.config.clone()),
            HostOp::KvGet => Ok(p
                .meta
                .app_state_get(tenant, &scope.name, text(req, "key")?)
                .await
                .map_err(from_platform)?
                .unwrap_or(Value::Null)),
            HostOp::KvSet | HostOp::KvDelete => {
                let key = text(req, "key")?;
                if key.is_empty() || key.len() > ironloom_core::app_install::MAX_STATE_KEY_LEN {
                    return Err(bad("key must have 1 to 128 bytes"));
                }
                let value = match op {
                    HostOp::KvSet => Some(req.get("value").unwrap_or(&Value::Null)),
                    _ => None,
                };
                p.meta
                    .app_state_set(tenant, &scope.name, key, value)
                    .await
                    .map_err(from_platform)?;
                Ok(Value::Null)
            }
            HostOp::Latest => {
                let device = self.device(scope, req).await?;
                let properties = property_list(req)?;
                let latest = p
                    .store
                    .latest(
                        tenant,
                        Selection {
                            devices: vec![device],
                            properties,
                        },
                    )
                    .await
                    .map_err(from_platform)?;
                let values: serde_json::Map<String, Value> = latest
                    .into_iter()
                    .map(|l| (l.property, json!({"ts": l.ts / 1000, "value": l.value})))
                    .collect();
                Ok(json!({ "values": values }))
            }
            HostOp::History => {
                let (selection, from, to) = self.series(scope, req).await?;
                let limit = history_limit(req);
                let page = p
                    .store
                    .history(
                        tenant,
                        HistoryQuery {
                            selection,
                            from: from.saturating_mul(1000),
                            to: to.saturating_mul(1000),
                            order: Order::Asc,
                            limit,
                            cursor: None,
                        },
                    )
                    .await
                    .map_err(from_platform)?;
                let points: Vec<Value> = page
                    .points
                    .into_iter()
                    .map(|pt| json!([pt.ts / 1000, pt.value]))
                    .collect();
                Ok(json!({ "points": points }))
            }
            HostOp::Write => {
                let device = self.device(scope, req).await?;
                let ts = millis(req, "ts")?;
                let values = req
                    .get("values")
                    .and_then(Value::as_object)
                    .ok_or_else(|| bad("values is required (an object of property: value)"))?;
                let reported: Vec<Reported> = values
                    .iter()
                    .map(|(k, v)| Reported::new(k.clone(), ts, v.clone()))
                    .collect();
                let installation = scope
                    .installation
                    .parse()
                    .map_err(|_| bad("installation id"))?;
                let out = p
                    .ingest
                    .ingest(tenant, device, Origin::App { installation }, reported)
                    .await
                    .map_err(|e| HostError::new("unavailable", e.to_string()))?;
                let refused: Vec<Value> = out
                    .refused
                    .iter()
                    .map(|r| {
                        json!({"property": r.key, "code": r.reason.code(),
                            "message": r.reason.message(ironloom_core::i18n::Locale::En)})
                    })
                    .collect();
                Ok(json!({"stored": out.stored, "refused": refused}))
            }
            HostOp::AlarmRaise => {
                let device = self.device(scope, req).await?;
                let severity = match req.get("severity") {
                    None => Severity::Minor,
                    Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
                        bad("severity: critical, major, minor, warning or indeterminate")
                    })?,
                };
                let mut details = req.get("details").cloned().unwrap_or_else(|| json!({}));
                if let Some(d) = details.as_object_mut() {
                    d.insert("app".into(), json!(scope.app));
                    d.insert("installation".into(), json!(scope.name));
                }
                // Without a log position nothing is a repeat: always written.
                let Some((alarm, new)) = p
                    .meta
                    .raise_alarm(
                        tenant,
                        NewAlarm {
                            device_id: device,
                            alarm_type: text(req, "type")?.to_string(),
                            severity,
                            details,
                            rule_id: None,
                            at: Utc::now(),
                            source: None,
                        },
                    )
                    .await
                    .map_err(from_platform)?
                else {
                    return Ok(json!({"id": null, "new": false}));
                };
                let id = alarm.id;
                let change = if new {
                    AlarmChange::Raised
                } else {
                    AlarmChange::Updated
                };
                self.publish(change, alarm);
                Ok(json!({"id": id, "new": new}))
            }
            HostOp::AlarmClear => {
                let device = self.device(scope, req).await?;
                let cleared = p
                    .meta
                    .clear_alarm_by_type(tenant, device, text(req, "type")?, Utc::now(), None)
                    .await
                    .map_err(from_platform)?;
                let was = cleared.is_some();
                if let Some(alarm) = cleared {
                    self.publish(AlarmChange::Cleared, alarm);
                }
                Ok(json!({ "cleared": was }))
            }
            HostOp::Command => {
                let device = self.device(scope, req).await?;
                let link = p.link.as_ref().ok_or_else(|| {
                    HostError::new("unavailable", "commands need the device edge on this node")
                })?;
                let (kind, method, params) = match (req.get("properties"), req.get("method")) {
                    (Some(Value::Object(props)), _) => (
                        CommandKind::SetProperties,
                        "setProperties".to_string(),
                        Value::Object(props.clone()),
                    ),
                    (None, Some(Value::String(m))) => (
                        CommandKind::Call,
                        m.clone(),
                        req.get("params").cloned().unwrap_or_else(|| json!({})),
                    ),
                    _ => return Err(bad("either method (a service) or properties (an object)")),
                };
                let cmd = link
                    .send_command(
                        &app_actor(scope),
                        tenant,
                        device,
                        CommandRequest {
                            kind,
                            method,
                            params,
                            one_way: false,
                            timeout: Duration::from_secs(30),
                            queue_for: Some(Duration::from_secs(300)),
                            wait: false,
                        },
                    )
                    .await
                    .map_err(from_platform)?;
                Ok(json!({"id": cmd.id, "status": cmd.status}))
            }
            HostOp::Model => {
                let (card, inputs) = model_request(req)?;
                p.meter
                    .admit(p.meta.as_ref(), tenant, 1)
                    .await
                    .map_err(from_platform)?;
                let (reply, us) = evaluate_model(card, &inputs);
                p.meter
                    .record(tenant, card.id, CallSource::App, reply.is_ok(), us);
                reply
            }
            HostOp::Aggregate => {
                let (selection, from, to) = self.series(scope, req).await?;
                let window = millis(req, "window")?
                    .filter(|w| *w > 0)
                    .ok_or_else(|| bad("window is required (milliseconds, > 0)"))?;
                if (to - from) / window > MAX_HISTORY_POINTS as i64 {
                    return Err(bad(format!(
                        "at most {MAX_HISTORY_POINTS} windows: widen the window or narrow the range"
                    )));
                }
                let names: Vec<String> = match req.get("aggregations") {
                    None => vec!["avg".into()],
                    Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
                        bad("aggregations must be a list such as [\"avg\", \"max\"]")
                    })?,
                };
                let aggregations = names
                    .iter()
                    .map(|n| {
                        Aggregation::parse(n).ok_or_else(|| bad(format!("unknown aggregation {n}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let series = p
                    .store
                    .aggregate(
                        tenant,
                        AggregateQuery {
                            selection,
                            from: from.saturating_mul(1000),
                            to: to.saturating_mul(1000),
                            window: window.saturating_mul(1000),
                            aggregations,
                        },
                    )
                    .await
                    .map_err(from_platform)?;
                let windows: Vec<Value> = series
                    .into_iter()
                    .flat_map(|s| s.windows)
                    .map(|w| json!([w.ts / 1000, w.values]))
                    .collect();
                Ok(json!({"aggregations": names, "windows": windows}))
            }
            HostOp::Devices => {
                let page = req.get("page").and_then(Value::as_u64).unwrap_or(1).max(1);
                let keys: Vec<&String> = match req.get("product").and_then(Value::as_str) {
                    Some(k) => scope.products.iter().filter(|p| *p == k).collect(),
                    None => scope.products.iter().collect(),
                };
                let mut out = Vec::new();
                let mut total = 0;
                for key in keys {
                    let Some(product) = p
                        .meta
                        .find_product_by_key(tenant, key)
                        .await
                        .map_err(from_platform)?
                    else {
                        continue;
                    };
                    let filter = ironloom_core::entity::DeviceFilter {
                        product_id: Some(product.id),
                        ..Default::default()
                    };
                    let request = ironloom_core::entity::PageRequest {
                        page: u32::try_from(page).unwrap_or(u32::MAX),
                        page_size: ironloom_core::entity::MAX_PAGE_SIZE,
                        ..Default::default()
                    };
                    let found = p
                        .meta
                        .list_devices(tenant, &filter, &request)
                        .await
                        .map_err(from_platform)?;
                    total += found.total;
                    out.extend(found.items.into_iter().map(|d| {
                        json!({"name": d.name, "label": d.label, "product": key,
                            "status": d.status, "tags": d.tags})
                    }));
                }
                Ok(json!({"devices": out, "total": total, "page": page,
                    "page_size": ironloom_core::entity::MAX_PAGE_SIZE}))
            }
            HostOp::Reply => Ok(Value::Null),
            HostOp::Http => crate::http::request(self, scope, req).await,
        }
    }
}

impl PlatformServices {
    pub(crate) fn http_client(&self) -> (&reqwest::Client, usize, bool) {
        (&self.http, self.http_max, self.http_allow_private)
    }

    pub(crate) fn meta(&self) -> &dyn MetaStore {
        self.platform.meta.as_ref()
    }
}

impl HostServices for PlatformServices {
    fn call(&self, scope: &Scope, op: HostOp, request: &Value) -> Result<Value, HostError> {
        self.runtime.block_on(self.serve(scope, op, request))
    }
}
