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

#[derive(Debug, Clone, Default)]
pub struct DeviceCache {
    inner: Arc<Mutex<Entries>>,
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

    /// Forgets every device (changes may have been missed).
    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn forget(&self, tenant: TenantId, device: DeviceId) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(tenant, device));
    }
}
