//! The platform's side of apps at the edge: installations deployed to a gateway
//! (`spec.edge`) are not loaded here, they run on the gateway; the alarms they raise or
//! clear come back as the gateway's client-side RPC [`ALARM_METHOD`] (through its
//! store-and-forward buffer) and are raised here through the same host operation a
//! platform app uses, after checking that the installation is deployed to that very
//! gateway, in that tenant, with the `alarms` permission.

use super::{AppHost, lock};
use crate::host::{HostOp, Scope};
use ironloom_bus::DeviceEvent;
use ironloom_core::app::Permission;
use ironloom_core::app_install::AppInstallation;
use ironloom_core::edge_app::ALARM_METHOD;
use ironloom_core::ids::InstallationId;
use serde_json::Value;
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
