//! Calls from rules: a rule's `app` action hands the installation the message that made it
//! fire. The installation must take such calls (a `rule` trigger in its manifest) and the
//! message's device must be of one of its products; the event is then queued like a
//! triggered one (arrival order, the pause of a crash-looping app), except that a full
//! queue drops the call (a rule error) instead of holding up the rule engine's effects for
//! every tenant.

use super::{AppHost, lock, telemetry_event, telemetry_point};
use async_trait::async_trait;
use ironloom_core::app::Trigger;
use ironloom_core::app_install::AppCaller;
use ironloom_core::ids::{InstallationId, TenantId};
use serde_json::{Value, json};

/// The event an installation receives from a rule: a telemetry event (as telemetry
/// triggers give) or a device event, with the rule that fired.
pub fn rule_event(telemetry: bool, message: &Value) -> Value {
    let text = |k: &str| message.get(k).and_then(Value::as_str).unwrap_or_default();
    let ts = message
        .get("ts")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let values = message.get("values");
    let mut event = if telemetry {
        let points = values
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| telemetry_point(k, ts, v)).collect())
            .unwrap_or_default();
        telemetry_event(text("device"), text("product"), points)
    } else {
        json!({"kind": "device_event", "device": text("device"), "product": text("product"),
            "ts": ts, "event": values.and_then(|v| v.get("event")),
            "data": values.and_then(|v| v.get("data"))})
    };
    event["rule"] = json!({"id": message.get("rule_id"), "name": message.get("rule")});
    event
}

#[async_trait]
impl AppCaller for AppHost {
    async fn call_from_rule(
        &self,
        tenant: TenantId,
        installation: InstallationId,
        telemetry: bool,
        message: Value,
    ) -> Result<(), String> {
        let Some(slot) = self.slot(tenant, installation) else {
            return Err("no such installation, or it is not enabled".into());
        };
        if !slot.manifest.triggers.contains(&Trigger::Rule) {
            return Err(format!(
                "{} takes no calls from rules (its manifest has no `rule` trigger)",
                slot.record.spec.name
            ));
        }
        let product = message
            .get("product")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !slot.record.spec.products.iter().any(|p| p == product) {
            return Err(format!(
                "the device's product `{product}` is not one of {}'s products",
                slot.record.spec.name
            ));
        }
        // A paused installation skips the call (counted), as it skips triggered events.
        if lock(&slot.stats).skip(chrono::Utc::now()) {
            return Ok(());
        }
        if self.try_enqueue(slot, rule_event(telemetry, &message)) {
            Ok(())
        } else {
            Err("its event queue is full; this call was dropped".into())
        }
    }
}
