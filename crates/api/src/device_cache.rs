//! Which tenant a device belongs to and its product, remembered for a short while so that
//! telemetry writes naming many devices do not ask the metadata store for each one on
//! every request. Entries expire after [`TTL`]; deleting a device or changing its product
//! through the API forgets it at once (on every node of a cluster).

use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a device's ownership is trusted without asking the store again.
pub const TTL: Duration = Duration::from_secs(30);
/// Most devices remembered (a burst of writes for more devices just asks the store).
pub const CAPACITY: usize = 200_000;

type Entries = HashMap<(TenantId, DeviceId), (ProductId, Instant)>;
type Names = HashMap<(TenantId, String), (DeviceId, Instant)>;

#[derive(Debug, Clone, Default)]
pub struct DeviceCache {
    inner: Arc<Mutex<Entries>>,
    /// Devices by name (writes that name devices, as the line protocol does).
    names: Arc<Mutex<Names>>,
}

impl DeviceCache {
    /// The product of a device of `tenant` known to exist less than [`TTL`] ago.
    pub fn get(&self, tenant: TenantId, device: DeviceId) -> Option<ProductId> {
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(tenant, device))
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(p, _)| *p)
    }

    pub fn put(&self, tenant: TenantId, device: DeviceId, product: ProductId) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY {
            map.retain(|_, (_, at)| at.elapsed() < TTL);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert((tenant, device), (product, Instant::now()));
    }

    /// The tenant's device of that name, known less than [`TTL`] ago.
    pub fn get_name(&self, tenant: TenantId, name: &str) -> Option<DeviceId> {
        let map = self.names.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(tenant, name.to_string()))
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(d, _)| *d)
    }

    pub fn put_name(&self, tenant: TenantId, name: &str, device: DeviceId) {
        let mut map = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY {
            map.retain(|_, (_, at)| at.elapsed() < TTL);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert((tenant, name.to_string()), (device, Instant::now()));
    }

    pub fn forget_name(&self, tenant: TenantId, name: &str) {
        self.names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(tenant, name.to_string()));
    }

    /// Forgets every device (changes may have been missed).
    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.names.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Forgets a device (deleted, renamed or moved to another product).
    pub fn forget(&self, tenant: TenantId, device: DeviceId) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(tenant, device));
        self.names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(t, _), (d, _)| *t != tenant || *d != device);
    }
}
