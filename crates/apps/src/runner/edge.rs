//! The platform's side of apps at the edge: installations deployed to a gateway
//! (`spec.edge`) are not loaded here, they run on the gateway; the alarms they raise or
//! clear come back as the gateway's client-side RPC [`ALARM_METHOD`] (through its
//! store-and-forward buffer) and are raised here through the same host operation a
//! platform app uses, after checking that the installation is deployed to that very
//! gateway, in that tenant, with the `alarms` permission.

use super::{AppHost, lock};
use crate::engine::Invocation;
use crate::host::{HostOp, Scope};
use ironloom_bus::DeviceEvent;
use ironloom_core::app::Permission;
use ironloom_core::app_install::AppInstallation;
use ironloom_core::command::{CommandKind, CommandRequest, CommandStatus};
use ironloom_core::edge_app::{ALARM_METHOD, RUN_METHOD};
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::InstallationId;
use serde_json::{Value, json};
use std::time::Duration;

use std::collections::HashSet;
use std::sync::Arc;

impl AppHost {
    /// Keeps an installation that runs on a gateway (so its alarms are recognised);
    /// `false` for one that runs here.
    pub(super) fn keep_edge(&self, rec: &AppInstallation) -> bool {
        if rec.spec.edge.is_none() {
            return false;
        }
        lock(&self.inner.edge).insert(rec.id, rec.clone());
        true
    }

    pub(super) fn forget_edge(&self, id: InstallationId) {
        lock(&self.inner.edge).remove(&id);
    }

    /// The gateway an installation of `tenant` runs on, if it runs on one.
    pub(super) fn edge_gateway_of(
        &self,
        tenant: ironloom_core::ids::TenantId,
        id: InstallationId,
    ) -> Option<String> {
        let edge = lock(&self.inner.edge);
        let rec = edge.get(&id).filter(|r| r.tenant_id == tenant)?;
        Some(rec.spec.edge.as_ref()?.gateway.clone())
    }

    /// Runs an installation that runs on `gateway` there, now: the gateway's command
    /// `ironloom.app_run` `{"installation", "event"}`, answered with the invocation. The
    /// gateway must be connected (no queue: a manual run is for now).
    pub(super) async fn run_at_edge(
        &self,
        tenant: ironloom_core::ids::TenantId,
        id: InstallationId,
        gateway: &str,
        event: Value,
    ) -> Result<Invocation> {
        let platform = &self.inner.platform;
        let link = platform.link.as_ref().ok_or(Error::Overloaded(
            "device connectivity is not running on this node",
        ))?;
        let device = platform
            .meta
            .find_device_by_name(tenant, gateway)
            .await?
            .ok_or(Error::NotFound(ironloom_core::entity::Resource::Device))?;
        let actor = ironloom_core::entity::Actor {
            kind: ironloom_core::entity::ActorKind::App,
            id: Some(id.to_string()),
            name: format!("manual run of an app on {gateway}"),
            tenant_id: Some(tenant),
            ip: None,
        };
        let cmd = link
            .send_command(
                &actor,
                tenant,
                device.id,
                CommandRequest {
                    kind: CommandKind::Call,
                    method: RUN_METHOD.into(),
                    params: json!({"installation": id.to_string(), "event": event}),
                    one_way: false,
                    timeout: Duration::from_secs(30),
                    queue_for: None,
                    wait: true,
                },
            )
            .await?;
        let failed = |why: String| {
            Error::invalid(
                "installation",
                ironloom_core::error::FieldErrorKind::Other {
                    en: format!("the run on the gateway {gateway} failed: {why}"),
                    zh: format!("在网关 {gateway} 上运行失败：{why}"),
                },
            )
        };
        if cmd.status != CommandStatus::Succeeded {
            let why = cmd.error.unwrap_or_else(|| format!("{:?}", cmd.status));
            return Err(failed(why));
        }
        serde_json::from_value(cmd.response.unwrap_or_default())
            .map_err(|e| failed(format!("unreadable answer: {e}")))
    }

    /// The gateways (by name) of each tenant's edge installations, whose client-side RPCs
    /// the apps consumer wants.
    pub(super) fn edge_gateways(&self) -> Vec<(ironloom_core::ids::TenantId, Arc<str>)> {
        lock(&self.inner.edge)
            .values()
            .filter_map(|r| {
                Some((
                    r.tenant_id,
                    Arc::from(r.spec.edge.as_ref()?.gateway.as_str()),
                ))
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect()
    }

    /// An alarm an edge installation raised or cleared, forwarded by its gateway:
    /// `{"installation", "op": "raise" | "clear", "request": {the app's request}}`.
    pub(super) async fn on_gateway_rpc(&self, ev: &DeviceEvent, method: &str, params: &Value) {
        if method != ALARM_METHOD {
            return;
        }
        let id = params
            .get("installation")
            .and_then(Value::as_str)
            .unwrap_or("");
        let rec = id
            .parse::<InstallationId>()
            .ok()
            .and_then(|id| lock(&self.inner.edge).get(&id).cloned())
            .filter(|r| {
                r.tenant_id == ev.tenant
                    && r.spec.enabled
                    && r.spec
                        .edge
                        .as_ref()
                        .is_some_and(|e| *e.gateway == *ev.device_name)
                    && r.spec.grant.contains(&Permission::Alarms)
            });
        let Some(rec) = rec else {
            tracing::warn!(tenant = %ev.tenant, gateway = %ev.device_name, installation = id,
                "apps: a gateway forwarded an alarm of an installation not deployed to it");
            return;
        };
        let op = match params.get("op").and_then(Value::as_str) {
            Some("raise") => HostOp::AlarmRaise,
            Some("clear") => HostOp::AlarmClear,
            _ => return,
        };
        let request = params.get("request").cloned().unwrap_or(Value::Null);
        let scope = Scope {
            tenant: rec.tenant_id,
            installation: rec.id.to_string(),
            name: rec.spec.name.clone(),
            app: rec.spec.app_id.clone(),
            version: rec.spec.version.clone(),
            products: rec.spec.products.clone(),
            config: rec.spec.config.clone(),
        };
        let services = self.inner.services.clone();
        let done = tokio::task::spawn_blocking(move || services.call(&scope, op, &request)).await;
        match done {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(tenant = %rec.tenant_id, installation = %rec.id, code = e.code,
                    error = %e.message, "apps: a forwarded edge alarm was refused");
            }
            Err(e) => tracing::warn!(error = %e, "apps: a forwarded edge alarm failed"),
        }
    }
}
