//! How a cluster node answers the other nodes about devices and metadata
//! ([`PeerHost`]): deliveries and takeovers go to the device hub (which reaches the
//! transports), changes made through another node's API to every cache and engine of this
//! node that holds a copy of what changed.

use std::sync::Arc;

use ironloom_core::entity::JsonMap;
use ironloom_core::ids::{CommandId, DeviceId, TenantId};
use ironloom_core::peers::{Change, Delivered, PeerHost};
use ironloom_device::DeviceHub;
use ironloom_device::hub::Close;

/// What another node's change or request reaches on this node.
pub struct Host {
    pub hub: Arc<DeviceHub>,
    /// Where rules' messages to applications are published.
    pub mqtt: ironloom_mqtt::MqttServer<ironloom_device::MqttDevices>,
    /// The API's device ownership cache.
    pub devices: ironloom_api::device_cache::DeviceCache,
    pub meter: Arc<ironloom_models::meter::Meter>,
    pub rules: Arc<dyn ironloom_core::rule::RuleService>,
    pub runs: Arc<dyn ironloom_core::model_run::ModelRuns>,
    pub apps: ironloom_apps::AppHost,
}

#[async_trait::async_trait]
impl PeerHost for Host {
    async fn deliver(
        &self,
        tenant: TenantId,
        device: DeviceId,
        command: Option<CommandId>,
    ) -> Option<Delivered> {
        self.hub.deliver_here(tenant, device, command).await
    }

    fn push_attributes(
        &self,
        _tenant: TenantId,
        device: DeviceId,
        set: JsonMap,
        deleted: Vec<String>,
    ) -> Option<bool> {
        self.hub.push_here(device, set, deleted)
    }

    async fn command_ended(&self, tenant: TenantId, command: CommandId) {
        self.hub.command_ended_elsewhere(tenant, command).await;
    }

    fn close_session(
        &self,
        tenant: TenantId,
        device: DeviceId,
        client_id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        self.hub.close(Close::Session {
            tenant,
            device,
            client_id,
            at,
        });
    }

    async fn changed(&self, change: Change) {
        self.hub.forget(&change);
        let outcome = match change {
            Change::Device { tenant, device, .. } => {
                self.devices.forget(tenant, device);
                Ok(())
            }
            // Bindings are planned against the thing model.
            Change::Product { .. } | Change::Bindings { .. } => self.runs.reload_bindings().await,
            Change::Tenant { tenant } => {
                self.meter.forget_limit(tenant);
                Ok(())
            }
            Change::Rules { .. } => self.rules.reload().await,
            Change::App {
                tenant,
                installation,
            } => self.apps.reload(tenant, installation).await,
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "could not follow a change made on another node");
        }
    }

    fn republish(&self, tenant: TenantId, topic: &str, payload: Vec<u8>) {
        crate::republish::publish_to_apps(&self.mqtt, tenant, topic, payload);
    }

    async fn forget_all(&self) {
        self.hub.forget_all();
        self.devices.clear();
        for outcome in [
            self.rules.reload().await,
            self.runs.reload_bindings().await,
            self.apps.reload_all().await,
        ] {
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "could not read rules, bindings or apps again");
            }
        }
    }
}
