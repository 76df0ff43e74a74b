//! The host API served by the gateway ([`HostServices`] at the edge): what an app asks of
//! "the platform" is answered from what the gateway has at hand.
//!
//! - `latest`, `history`: the recent-values window ([`super::recent`]).
//! - `write`: a gateway telemetry message appended to the store-and-forward buffer, so it
//!   reaches the platform as the device's telemetry through its one ingest path (the thing
//!   model is checked there; what it refuses is not reported back to the app).
//! - `alarm.raise`, `alarm.clear`: appended to the buffer too, as the gateway's client-side
//!   RPC `ironloom.app_alarm`, which the platform turns into the alarm.
//! - `command`: property writes (`{"device", "properties"}`) to the local drivers.
//! - `model`: the model library, here (not metered: nothing leaves the gateway).
//! - `kv.*`: a file per installation under the gateway's apps directory.
//! - `config`, `devices` (the devices of the driver document in the installation's products).
//! - `aggregate`, `http`: "not available on the gateway".
//!
//! Scope: a device is found only if this gateway serves it and its product is one of the
//! installation's; any other is `not_found`.

use super::recent::Recent;
use crate::agent::Routes;
use crate::buffer::rpc_record;
use crate::buffer::{Appended, Buffer};
use ironloom_apps::ops::{
    bad, evaluate_model, history_limit, millis, model_request, property_list, text,
};
use ironloom_apps::{HostError, HostOp, HostServices, Scope};
use ironloom_core::app_install::{MAX_STATE_KEY_LEN, MAX_STATE_KEYS, MAX_STATE_VALUE_BYTES};
use ironloom_core::edge_app::ALARM_METHOD;
use ironloom_core::sync::lock;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Devices one `devices` page holds (as on the platform).
const PAGE_SIZE: usize = 500;

/// What the edge host API reaches.
#[derive(Debug)]
pub(crate) struct EdgeServices {
    pub(crate) routes: Arc<Mutex<Routes>>,
    pub(crate) buffer: Arc<Mutex<Buffer>>,
    pub(crate) appended: Arc<Notify>,
    pub(crate) recent: Arc<Mutex<Recent>>,
    /// `{dir}/{installation name}.json`: each installation's key–value state.
    pub(crate) kv_dir: PathBuf,
    pub(crate) kv: Mutex<HashMap<String, BTreeMap<String, Value>>>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) stats: Arc<crate::agent::GatewayStats>,
    pub(crate) rpc_ids: AtomicU64,
    /// The gateway's cancellation: once it stops, nothing more goes into the buffer.
    pub(crate) cancel: tokio_util::sync::CancellationToken,
}

fn unavailable_here(op: HostOp) -> HostError {
    HostError::new(
        "unavailable",
        format!("{} is not available on the gateway", op.as_str()),
    )
}

impl EdgeServices {
    /// The device named in the request, if this gateway serves it and it belongs to one of
    /// the installation's products.
    fn device<'a>(&self, scope: &Scope, req: &'a Value) -> Result<&'a str, HostError> {
        let name = text(req, "device")?;
        let product = lock(&self.routes).products.get(name).cloned().flatten();
        match product {
            Some(p) if scope.products.contains(&p) => Ok(name),
            _ => Err(HostError::new(
                "not_found",
                format!("no device {name} among this installation's products on this gateway"),
            )),
        }
    }

    fn append(&self, points: u32, payload: &[u8]) -> Result<(), HostError> {
        if self.cancel.is_cancelled() {
            return Err(HostError::new("unavailable", "the gateway is stopping"));
        }
        match lock(&self.buffer).append(points, payload) {
            Ok(Appended::Stored { .. }) => {
                self.appended.notify_one();
                Ok(())
            }
            Ok(Appended::Refused) => Err(HostError::new(
                "unavailable",
                "the gateway's buffer is full (drop_newest): not kept",
            )),
            Err(e) => Err(HostError::new(
                "unavailable",
                format!("the gateway's buffer: {e}"),
            )),
        }
    }

    fn write(&self, scope: &Scope, req: &Value) -> Result<Value, HostError> {
        let device = self.device(scope, req)?;
        let ts = millis(req, "ts")?.unwrap_or_else(now_ms);
        let values = req
            .get("values")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("values is required (an object of property: value)"))?;
        let mut kept = Map::new();
        let mut refused = Vec::new();
        for (k, v) in values {
            if matches!(v, Value::Number(_) | Value::Bool(_) | Value::String(_)) {
                kept.insert(k.clone(), v.clone());
            } else {
                refused.push(json!({"property": k, "code": "bad_value",
                    "message": "a number, text or true/false"}));
            }
        }
        if !kept.is_empty() {
            let n = u32::try_from(kept.len()).unwrap_or(u32::MAX);
            let body = json!({ device: [{"ts": ts, "values": kept}] });
            self.append(n, body.to_string().as_bytes())?;
            self.stats
                .app_points
                .fetch_add(u64::from(n), Ordering::Relaxed);
            let mut r = lock(&self.recent);
            for (k, v) in &kept {
                r.add(device, k, ts, v.clone());
            }
        }
        Ok(json!({"stored": kept.len(), "refused": refused, "buffered": true}))
    }

    /// Forwards an alarm change through the buffer as the gateway's client-side RPC.
    fn alarm(&self, scope: &Scope, op: &str, req: &Value) -> Result<Value, HostError> {
        self.device(scope, req)?;
        text(req, "type")?;
        let id = self.rpc_ids.fetch_add(1, Ordering::Relaxed);
        let topic = format!("v1/devices/me/rpc/request/{}-{id}", now_ms());
        let body = json!({"method": ALARM_METHOD, "params": {
            "installation": scope.installation, "op": op, "request": req}});
        self.append(0, &rpc_record(&topic, &body))?;
        Ok(json!({"forwarded": true}))
    }

    fn command(&self, scope: &Scope, req: &Value) -> Result<Value, HostError> {
        let device = self.device(scope, req)?;
        let Some(props) = req.get("properties").and_then(Value::as_object) else {
            return Err(HostError::new(
                "unavailable",
                "command: only property writes ({\"device\", \"properties\"}) are available on the gateway",
            ));
        };
        let (results, failed) =
            self.runtime
                .block_on(crate::writes::write_points(&self.routes, device, props));
        if failed.is_empty() {
            Ok(json!({"id": null, "status": "done", "results": results}))
        } else {
            Err(HostError::new("unavailable", failed.join("; ")))
        }
    }

    /// Runs `f` on an installation's state (read from its file on first use).
    fn with_state<R>(&self, name: &str, f: impl FnOnce(&mut BTreeMap<String, Value>) -> R) -> R {
        let mut kv = lock(&self.kv);
        let state = kv.entry(name.to_owned()).or_insert_with(|| {
            std::fs::read(self.kv_dir.join(format!("{name}.json")))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default()
        });
        f(state)
    }

    fn kv(&self, scope: &Scope, op: HostOp, req: &Value) -> Result<Value, HostError> {
        let key = text(req, "key")?;
        if op == HostOp::KvGet {
            return Ok(self.with_state(&scope.name, |s| s.get(key).cloned().unwrap_or(Value::Null)));
        }
        if key.is_empty() || key.len() > MAX_STATE_KEY_LEN {
            return Err(bad("key must have 1 to 128 bytes"));
        }
        let value = req.get("value").cloned().unwrap_or(Value::Null);
        if op == HostOp::KvSet && value.to_string().len() > MAX_STATE_VALUE_BYTES {
            return Err(HostError::new(
                "too_large",
                "a value may have at most 64 KiB",
            ));
        }
        let path = self.kv_dir.join(format!("{}.json", scope.name));
        self.with_state(&scope.name, |state| {
            if op == HostOp::KvSet {
                if !state.contains_key(key) && state.len() >= MAX_STATE_KEYS {
                    return Err(HostError::new("too_large", "at most 1000 keys"));
                }
                state.insert(key.to_owned(), value);
            } else {
                state.remove(key);
            }
            // Written whole and renamed into place, so a crash leaves the old or the new.
            let tmp = path.with_extension("tmp");
            serde_json::to_vec(state)
                .map_err(std::io::Error::other)
                .and_then(|bytes| {
                    std::fs::create_dir_all(&self.kv_dir)?;
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(&tmp, &path)
                })
                .map_err(|e| HostError::new("unavailable", format!("state not kept: {e}")))?;
            Ok(Value::Null)
        })
    }

    fn devices(&self, scope: &Scope, req: &Value) -> Value {
        let page = req.get("page").and_then(Value::as_u64).unwrap_or(1).max(1);
        let only = req.get("product").and_then(Value::as_str);
        let all: Vec<Value> = lock(&self.routes)
            .products
            .iter()
            .filter_map(|(d, p)| Some((d, p.as_ref()?)))
            .filter(|(_, p)| scope.products.contains(p) && only.is_none_or(|o| o == p.as_str()))
            .map(|(d, p)| json!({"name": d, "label": d, "product": p, "status": null, "tags": []}))
            .collect();
        let skip = usize::try_from(page - 1)
            .unwrap_or(usize::MAX)
            .saturating_mul(PAGE_SIZE);
        let items: Vec<Value> = all.iter().skip(skip).take(PAGE_SIZE).cloned().collect();
        json!({"devices": items, "total": all.len(), "page": page, "page_size": PAGE_SIZE})
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl HostServices for EdgeServices {
    fn call(&self, scope: &Scope, op: HostOp, req: &Value) -> Result<Value, HostError> {
        match op {
            HostOp::Config => Ok(scope.config.clone()),
            HostOp::KvGet | HostOp::KvSet | HostOp::KvDelete => self.kv(scope, op, req),
            HostOp::Latest => {
                let device = self.device(scope, req)?;
                let properties = property_list(req)?;
                let values = lock(&self.recent).latest(device, &properties);
                Ok(json!({ "values": values }))
            }
            HostOp::History => {
                let device = self.device(scope, req)?;
                let property = text(req, "property")?;
                let (Some(from), Some(to)) = (millis(req, "from")?, millis(req, "to")?) else {
                    return Err(bad("from and to are required"));
                };
                let points =
                    lock(&self.recent).history(device, property, from, to, history_limit(req));
                Ok(json!({ "points": points }))
            }
            HostOp::Write => self.write(scope, req),
            HostOp::AlarmRaise => self.alarm(scope, "raise", req),
            HostOp::AlarmClear => self.alarm(scope, "clear", req),
            HostOp::Command => self.command(scope, req),
            HostOp::Model => {
                let (card, inputs) = model_request(req)?;
                evaluate_model(card, &inputs).0
            }
            HostOp::Devices => Ok(self.devices(scope, req)),
            HostOp::Reply => Ok(Value::Null),
            HostOp::Aggregate | HostOp::Http => Err(unavailable_here(op)),
        }
    }
}
