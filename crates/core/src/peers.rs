//! The other nodes of a cluster, as the device edge sees them: any node takes any device,
//! so a command, a parameter write or a takeover may concern a session another node holds,
//! and a change made through one node's API makes the cached copies of every other node
//! stale.
//!
//! Two sides: [`Peers`] is what this node asks of the others (the cluster crate implements
//! it over NATS), [`PeerHost`] is how this node answers them (the binary implements it over
//! the device hub, the MQTT server and the API's caches). A single node has neither.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::entity::JsonMap;
use crate::ids::{CommandId, DeviceId, InstallationId, ProductId, TenantId};

/// What a node holding the device's downlink did with a request to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    /// The commands it sent, oldest first, as they stand now.
    pub sent: Vec<Command>,
    /// The device is connected there (possibly not listening for commands).
    pub online: bool,
}

/// Something changed whose cached copies every node must forget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    /// A device changed (its product, its name), or — `close` — was deleted or had its
    /// credentials changed: its open connections end, a new log-in is checked afresh.
    Device {
        tenant: TenantId,
        device: DeviceId,
        close: bool,
    },
    /// A product (its thing model) changed or was deleted.
    Product {
        tenant: TenantId,
        product: ProductId,
    },
    /// A tenant's settings (status, quotas) changed.
    Tenant { tenant: TenantId },
    /// A tenant's rules changed: every node's engine reads them again.
    Rules { tenant: TenantId },
    /// A tenant's model bindings changed: every node plans them again.
    Bindings { tenant: TenantId },
    /// An app installation changed: every node's app runtime reads it again.
    App {
        tenant: TenantId,
        installation: InstallationId,
    },
}

impl Change {
    pub fn tenant(&self) -> TenantId {
        match self {
            Change::Device { tenant, .. }
            | Change::Product { tenant, .. }
            | Change::Tenant { tenant }
            | Change::Rules { tenant }
            | Change::Bindings { tenant }
            | Change::App { tenant, .. } => *tenant,
        }
    }
}

/// What this node asks of the other nodes.
#[async_trait::async_trait]
pub trait Peers: Send + Sync + std::fmt::Debug {
    /// Asks the nodes holding the device's downlink to send its queued commands, then
    /// `command`, oldest first; `None` when no other node has the device connected.
    async fn deliver(
        &self,
        tenant: TenantId,
        device: DeviceId,
        command: Option<CommandId>,
    ) -> Option<Delivered>;
    /// Pushes shared-attribute changes to the device on another node; true if one took
    /// them.
    async fn push_attributes(
        &self,
        tenant: TenantId,
        device: DeviceId,
        set: &JsonMap,
        deleted: &[String],
    ) -> bool;
    /// A command ended on this node: callers waiting for it elsewhere wake up.
    fn command_ended(&self, tenant: TenantId, command: CommandId);
    /// A session of the device under `client_id` opened on this node at `at`: another
    /// node's older session under the same client id ends (takeover).
    fn session_opened(
        &self,
        tenant: TenantId,
        device: DeviceId,
        client_id: &str,
        at: DateTime<Utc>,
    );
    /// Metadata changed through this node.
    fn changed(&self, change: &Change);
    /// A rule on this node republished a message to the tenant's applications: those
    /// connected to other nodes get it too.
    fn republish(&self, tenant: TenantId, topic: &str, payload: &[u8]);
}

/// How this node answers the other nodes.
#[async_trait::async_trait]
pub trait PeerHost: Send + Sync {
    /// Sends the device's queued commands, then `command`, to its links here; `None` when
    /// the device is not connected here.
    async fn deliver(
        &self,
        tenant: TenantId,
        device: DeviceId,
        command: Option<CommandId>,
    ) -> Option<Delivered>;
    /// Pushes shared-attribute changes to the device's links here; `None` when none
    /// exists.
    fn push_attributes(
        &self,
        tenant: TenantId,
        device: DeviceId,
        set: JsonMap,
        deleted: Vec<String>,
    ) -> Option<bool>;
    /// A command ended on another node: wake whoever waits for it here.
    async fn command_ended(&self, tenant: TenantId, command: CommandId);
    /// Ends the device's session of `client_id` here if it is older than `at` (the device
    /// connected to another node then).
    fn close_session(&self, tenant: TenantId, device: DeviceId, client_id: &str, at: DateTime<Utc>);
    /// Forgets what the change makes stale here.
    async fn changed(&self, change: Change);
    /// A rule on another node republished a message to the tenant's applications.
    fn republish(&self, tenant: TenantId, topic: &str, payload: Vec<u8>);
    /// Forgets every cached copy and reads rules and bindings again (this node may have
    /// missed changes).
    async fn forget_all(&self);
}
