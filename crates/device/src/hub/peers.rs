//! The hub in a cluster: the other nodes ([`Peers`]) are asked to deliver to sessions they
//! hold and told about sessions opened and metadata changed here; this node's caches and
//! connections follow what they tell it. The downlink half (delivering for another node,
//! waking callers of commands that ended elsewhere) is in `downlink`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::peers::{Change, Peers};
use ironloom_core::sync::lock;

use super::{DeviceCtx, DeviceHub};

/// Which connections a transport must end.
#[derive(Debug, Clone, Copy)]
pub enum Close<'a> {
    /// Every connection of the device (deleted, or its credentials changed).
    Device { tenant: TenantId, device: DeviceId },
    /// The device's session of one client id, if older than `at` (the device connected
    /// to another node then).
    Session {
        tenant: TenantId,
        device: DeviceId,
        client_id: &'a str,
        at: DateTime<Utc>,
    },
}

/// Ends connections of a transport.
pub type Closer = Arc<dyn Fn(Close<'_>) + Send + Sync>;

impl DeviceHub {
    /// Joins the hub to the other nodes of a cluster (once).
    pub fn set_peers(&self, peers: Arc<dyn Peers>) {
        let _ = self.peers.set(peers);
    }

    /// The other nodes of a cluster, once joined.
    pub fn peers(&self) -> Option<&Arc<dyn Peers>> {
        self.peers.get()
    }

    /// Registers how a transport ends a device's connections.
    pub fn on_close(&self, closer: Closer) {
        lock(&self.closers).push(closer);
    }

    /// Ends connections on every transport of this node.
    pub fn close(&self, what: Close<'_>) {
        let closers: Vec<Closer> = lock(&self.closers).clone();
        for c in closers {
            c(what);
        }
    }

    /// A session of the device opened here under `client_id`: in a cluster, another node's
    /// session under the same client id ends, as a takeover on one node does.
    pub fn session_opened(&self, ctx: &DeviceCtx, client_id: &str) {
        if let Some(peers) = self.peers.get() {
            peers.session_opened(ctx.tenant, ctx.device, client_id, Utc::now());
        }
    }

    /// Forgets what the change makes stale here, and ends the connections of a deleted
    /// device or one whose credentials changed (its next log-in is checked afresh).
    pub fn forget(&self, change: &Change) {
        match *change {
            Change::Device {
                tenant,
                device,
                close,
            } => {
                lock(&self.contexts).remove(&device);
                if close {
                    self.close(Close::Device { tenant, device });
                }
            }
            Change::Product { product, .. } => self.forget_product(product),
            Change::Tenant { .. }
            | Change::Rules { .. }
            | Change::Bindings { .. }
            | Change::App { .. } => {}
        }
    }

    /// Forgets every cached product and device (changes may have been missed).
    pub fn forget_all(&self) {
        lock(&self.products).clear();
        lock(&self.contexts).clear();
    }

    /// Another node pushes shared-attribute changes: `None` when no link of the device is
    /// here, else whether one took them.
    pub fn push_here(
        &self,
        device: DeviceId,
        set: ironloom_core::entity::JsonMap,
        deleted: Vec<String>,
    ) -> Option<bool> {
        self.reachable(device)
            .then(|| self.push_attributes(device, set, deleted))
    }
}
