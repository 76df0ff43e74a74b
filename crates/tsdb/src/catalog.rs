//! The series catalog: key ↔ id, per tenant and device. It is not stored on its own:
//! segments, the latest-value file and the write-ahead log all carry the definitions of
//! the series they hold, and opening the database gathers them.

use crate::FastMap as HashMap;
use crate::record::SeriesDef;
use ironloom_core::ids::{DeviceId, TenantId};
use std::sync::Arc;

/// A device's series by property.
pub type DeviceSeries = HashMap<Arc<str>, Arc<SeriesDef>>;

#[derive(Debug, Default)]
pub struct Catalog {
    by_id: HashMap<u32, Arc<SeriesDef>>,
    /// (tenant, device) → property → definition.
    by_device: HashMap<(TenantId, DeviceId), DeviceSeries>,
    /// Devices per tenant in the order their first series appeared.
    devices: HashMap<TenantId, Vec<DeviceId>>,
    next_id: u32,
}

impl Catalog {
    pub fn get(&self, id: u32) -> Option<&Arc<SeriesDef>> {
        self.by_id.get(&id)
    }

    pub fn lookup(&self, tenant: TenantId, device: DeviceId, property: &str) -> Option<u32> {
        Some(self.by_device.get(&(tenant, device))?.get(property)?.id)
    }

    /// A device's series (to look up several properties of one device with one hash of
    /// the device).
    pub fn device(&self, tenant: TenantId, device: DeviceId) -> Option<&DeviceSeries> {
        self.by_device.get(&(tenant, device))
    }

    /// Adds a definition read from disk; a second definition of the same id is ignored.
    pub fn insert(&mut self, def: SeriesDef) {
        if self.by_id.contains_key(&def.id) {
            return;
        }
        self.next_id = self.next_id.max(def.id.saturating_add(1));
        let props = self.by_device.entry((def.tenant, def.device)).or_default();
        if props.is_empty() {
            self.devices.entry(def.tenant).or_default().push(def.device);
        }
        let def = Arc::new(def);
        props.insert(def.property.clone(), def.clone());
        self.by_id.insert(def.id, def);
    }

    /// Allocates the next id (the caller inserts the definition).
    pub fn next_id(&self) -> u32 {
        self.next_id
    }

    /// Series of a device, sorted by property name.
    pub fn device_series(&self, tenant: TenantId, device: DeviceId) -> Vec<Arc<SeriesDef>> {
        let mut out: Vec<Arc<SeriesDef>> = self
            .by_device
            .get(&(tenant, device))
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        out.sort_by(|a, b| a.property.cmp(&b.property));
        out
    }

    pub fn tenant_devices(&self, tenant: TenantId) -> &[DeviceId] {
        self.devices.get(&tenant).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn tenant_series_count(&self, tenant: TenantId) -> u64 {
        self.tenant_devices(tenant)
            .iter()
            .map(|d| {
                self.by_device
                    .get(&(tenant, *d))
                    .map_or(0, |m| m.len() as u64)
            })
            .sum()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<SeriesDef>> {
        self.by_id.values()
    }
}
