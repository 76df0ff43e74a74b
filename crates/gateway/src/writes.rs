//! Commands from the platform down to the PLCs: a `setProperties` RPC for a sub-device,
//! or an app's `command` at the edge, written point by point through the drivers, each
//! answered with the old and the new value.

use std::sync::Mutex;
use std::time::Duration;

use ironloom_core::sync::lock;
use ironloom_core::telemetry::Value;
use ironloom_drivers::WriteRequest;
use serde_json::{Map, Value as Json, json};
use tokio::sync::oneshot;

use crate::agent::{Routes, json_of};

/// How long a write may take before the command is answered with a timeout.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Carries out a platform command for a sub-device: `setProperties` writes each property
/// to its point; the answer holds each point's old and new value.
pub(crate) async fn command(routes: &Mutex<Routes>, body: Json) -> Option<Json> {
    let device = body.get("device")?.as_str()?.to_owned();
    let data = body.get("data")?;
    let id = data.get("id")?.clone();
    let method = data.get("method").and_then(Json::as_str).unwrap_or("");
    let answer = |d: Json| Some(json!({"device": device, "id": id, "data": d}));
    if method != "setProperties" {
        return answer(
            json!({"error": format!("unknown method `{method}`; the gateway carries setProperties")}),
        );
    }
    let Some(params) = data.get("params").and_then(Json::as_object) else {
        return answer(json!({"error": "setProperties needs an object of properties"}));
    };
    let (results, failed) = write_points(routes, &device, params).await;
    if failed.is_empty() {
        answer(json!({"results": results}))
    } else {
        answer(json!({"error": failed.join("; "), "results": results}))
    }
}

/// Writes each property to its point of `device`: the old and new value of each point
/// written, and what failed (`point: why`).
pub(crate) async fn write_points(
    routes: &Mutex<Routes>,
    device: &str,
    params: &Map<String, Json>,
) -> (Map<String, Json>, Vec<String>) {
    let mut results = Map::new();
    let mut failed = Vec::new();
    let Some(tx) = lock(routes).writes.get(device).cloned() else {
        failed.push(format!("no device `{device}` behind this gateway"));
        return (results, failed);
    };
    for (point, v) in params {
        let value = match v {
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::I64(i),
                None => Value::F64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Value::Str(s.clone()),
            _ => {
                failed.push(format!("{point}: not a number, text or true/false"));
                continue;
            }
        };
        let (rtx, rrx) = oneshot::channel();
        let req = WriteRequest {
            device: device.into(),
            point: point.as_str().into(),
            value,
            reply: rtx,
        };
        if tx.send(req).await.is_err() {
            failed.push(format!("{point}: the driver is not running"));
            continue;
        }
        match tokio::time::timeout(WRITE_TIMEOUT, rrx).await {
            Ok(Ok(Ok(done))) => {
                results.insert(
                    point.clone(),
                    json!({"old": done.old.as_ref().map(json_of), "new": json_of(&done.new)}),
                );
            }
            Ok(Ok(Err(e))) => failed.push(format!("{point}: {e}")),
            Ok(Err(_)) => failed.push(format!("{point}: the driver stopped")),
            Err(_) => failed.push(format!("{point}: no result within {WRITE_TIMEOUT:?}")),
        }
    }
    (results, failed)
}
