//! Live connection state: devices online, when they were last seen, connects and
//! disconnects in the event log and on the bus, and traffic counts for system health.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ironloom_core::device::DeviceEventKind;
use ironloom_core::entity::{DeviceStatus, DeviceStatusUpdate};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::sync::lock;
use serde_json::{Value as Json, json};
use tracing::warn;

use super::{DeviceCtx, DeviceHub, EVENTS_SERIES};

/// What a tenant's devices stored since start.
#[derive(Debug)]
pub(super) struct TenantTraffic {
    pub messages: u64,
    pub values: u64,
    /// `ironloom_device_values_stored_total{tenant}`.
    pub stored: metrics::Counter,
}

impl TenantTraffic {
    pub fn new(tenant: TenantId) -> TenantTraffic {
        TenantTraffic {
            messages: 0,
            values: 0,
            stored: metrics::counter!("ironloom_device_values_stored_total", "tenant" => tenant.to_string()),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Live {
    tenant: Option<TenantId>,
    connections: u32,
    status: DeviceStatus,
    dirty: bool,
}

impl DeviceHub {
    /// A connection of the device opened. The state changes at once; the event-log entry
    /// is written in the background.
    pub fn connected(self: &Arc<Self>, ctx: &DeviceCtx, transport: &str) {
        let now = Utc::now();
        {
            let mut live = lock(&self.live);
            let l = live.entry(ctx.device).or_default();
            l.tenant = Some(ctx.tenant);
            l.connections += 1;
            l.status.online = true;
            l.status.last_connected_at = Some(now);
            l.status.last_seen_at = Some(now);
            l.dirty = true;
        }
        self.bus.publish(self.make_event(
            ctx,
            now,
            DeviceEventKind::Connected {
                transport: transport.to_owned(),
            },
        ));
        self.log_in_background(
            ctx,
            now,
            json!({"type": "connected", "transport": transport}),
        );
    }

    /// A connection of the device closed.
    pub fn disconnected(self: &Arc<Self>, ctx: &DeviceCtx, reason: &str) {
        let now = Utc::now();
        {
            let mut live = lock(&self.live);
            let l = live.entry(ctx.device).or_default();
            l.connections = l.connections.saturating_sub(1);
            l.status.online = l.connections > 0;
            l.status.last_disconnected_at = Some(now);
            l.dirty = true;
        }
        self.bus.publish(self.make_event(
            ctx,
            now,
            DeviceEventKind::Disconnected {
                reason: reason.to_owned(),
            },
        ));
        self.log_in_background(ctx, now, json!({"type": "disconnected", "reason": reason}));
    }

    fn log_in_background(self: &Arc<Self>, ctx: &DeviceCtx, at: DateTime<Utc>, entry: Json) {
        let hub = self.clone();
        let ctx = ctx.clone();
        // The timestamp is taken now, so entries keep their order whenever they land.
        let ts = self.log_ts(ctx.device, at.timestamp_micros());
        tokio::spawn(async move {
            if let Err(e) = hub.write_log(&ctx, EVENTS_SERIES, ts, entry).await {
                warn!(device = %ctx.device, error = %e, "could not write the device event log");
            }
        });
    }

    /// The device was heard from (kept in memory, written in batches).
    pub fn seen(&self, ctx: &DeviceCtx) {
        self.seen_at(ctx, Utc::now());
    }

    /// [`seen`](Self::seen) at a time the caller already read.
    pub(crate) fn seen_at(&self, ctx: &DeviceCtx, now: DateTime<Utc>) {
        let mut live = lock(&self.live);
        let l = live.entry(ctx.device).or_default();
        l.status.last_seen_at = Some(now);
        l.dirty = true;
    }

    /// The live status of a device, if it was active since the server started.
    pub fn live_status(&self, device: DeviceId) -> Option<DeviceStatus> {
        lock(&self.live).get(&device).map(|l| l.status.clone())
    }

    /// Writes changed connection state to the metadata store, in one batch.
    pub async fn flush_status(&self) {
        let updates: Vec<DeviceStatusUpdate> = {
            let mut live = lock(&self.live);
            let updates = live
                .iter_mut()
                .filter(|(_, l)| l.dirty)
                .map(|(id, l)| {
                    l.dirty = false;
                    DeviceStatusUpdate {
                        device_id: *id,
                        status: l.status.clone(),
                    }
                })
                .collect();
            // Devices that went away are kept until written, then forgotten.
            live.retain(|_, l| l.connections > 0 || l.dirty);
            updates
        };
        if updates.is_empty() {
            return;
        }
        if let Err(e) = self.meta.update_device_status(&updates).await {
            warn!(error = %e, count = updates.len(), "could not write device status; will retry");
            let mut live = lock(&self.live);
            for u in updates {
                let l = live.entry(u.device_id).or_default();
                if !l.dirty {
                    l.status = u.status;
                    l.dirty = true;
                }
            }
        }
    }

    /// A device called the platform (client-side RPC): announced for rules.
    pub fn client_rpc(&self, ctx: &DeviceCtx, method: &str, params: Json) {
        self.seen(ctx);
        self.bus.publish(self.make_event(
            ctx,
            Utc::now(),
            DeviceEventKind::ClientRpc {
                method: method.to_owned(),
                params,
            },
        ));
    }

    /// Devices connected, messages and values stored since start, for one tenant or all.
    pub(super) fn traffic_of(&self, tenant: Option<TenantId>) -> ironloom_core::command::Traffic {
        let wanted = |t: &TenantId| tenant.is_none_or(|x| x == *t);
        let connected_devices = lock(&self.live)
            .values()
            .filter(|l| l.connections > 0 && l.tenant.as_ref().is_some_and(wanted))
            .count() as u64;
        let (messages, values) = lock(&self.traffic)
            .iter()
            .filter(|(t, _)| wanted(t))
            .fold((0, 0), |(m, v), (_, t)| (m + t.messages, v + t.values));
        ironloom_core::command::Traffic {
            connected_devices,
            messages,
            values,
        }
    }
}
