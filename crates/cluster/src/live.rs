//! Live views across nodes. Only a partition's owner announces its devices' events, on
//! its own in-process bus; a console watching a device through another node must still see
//! them. Nothing is sent while nobody watches:
//!
//! - a node with live views of devices announces which (`il.lw`, a [`Wanted`] message:
//!   the full set, at once when it changes and every [`ANNOUNCE`] while not empty); the
//!   others keep each node's set for [`EXPIRY`];
//! - every node's relay consumes its bus for the tenants other nodes watch (an
//!   [`Interest`](ironloom_bus::Interest) naming no tenant while nobody watches, so the
//!   ingest path does not even build the events for it), and publishes the watched
//!   devices' events on `il.lv.{tenant}.{device}` in the ingest record's format;
//! - a node shows the events of the devices it watches to its live views only (its rules
//!   and apps never take another node's events).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use ironloom_bus::{Announce, DeviceEvent, DeviceEventKind, EventBus, LiveView, LocalBus, LogItem};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::sync::lock;
use ironloom_core::telemetry::DeviceBatch;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::error::ClusterError;
use crate::nats::subscribe;
use crate::peers::refused;
use crate::peers::wire::FROM_HEADER;
use crate::record::{self, EventItem, Item};

/// How often a node with live views repeats which devices it watches.
pub const ANNOUNCE: Duration = Duration::from_secs(3);
/// How long another node's announcement counts.
pub const EXPIRY: Duration = Duration::from_secs(10);
/// Where nodes announce what they watch.
pub const WANTED_SUBJECT: &str = "il.lw";
/// Most devices one announcement may name.
pub const MAX_WANTED: usize = 100_000;
/// Events the relay may fall behind by before the bus waits for it.
const QUEUE: usize = 4096;

/// Where a device's live events go between nodes.
pub fn live_subject(tenant: TenantId, device: DeviceId) -> String {
    format!("il.lv.{tenant}.{device}")
}

/// The devices a node watches (its full set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wanted {
    pub v: u32,
    pub from: String,
    pub devices: Vec<(TenantId, DeviceId)>,
}

/// A [`Wanted`] message, or why it is refused.
pub fn wanted(data: &[u8]) -> Result<Wanted, String> {
    if data.len() > crate::peers::wire::MAX_MESSAGE {
        return Err(format!("{} bytes is over the limit", data.len()));
    }
    let w: Wanted = serde_json::from_slice(data).map_err(|e| e.to_string())?;
    if w.v != crate::peers::wire::VERSION {
        return Err(format!("format version {} is not understood", w.v));
    }
    if w.from.is_empty() || !crate::config::is_name(&w.from) {
        return Err("not a node name".into());
    }
    if w.devices.len() > MAX_WANTED {
        return Err("too many devices".into());
    }
    Ok(w)
}

/// An event as it travels between nodes: an ingest record of one item.
pub fn encode_event(ev: &DeviceEvent) -> Option<Vec<u8>> {
    let item = match &ev.kind {
        DeviceEventKind::Telemetry { points, origin, .. } => Item::Batch(LogItem {
            batch: DeviceBatch {
                device: ev.device,
                product: None,
                points: points.clone(),
            },
            announce: Some(Announce {
                origin: *origin,
                arrived: ev.at.timestamp_micros(),
                device_name: ev.device_name.clone(),
                product_key: ev.product_key.clone(),
                values: points.len(),
            }),
        }),
        // Live views do not show client RPCs.
        DeviceEventKind::ClientRpc { .. } => return None,
        kind => Item::Event(EventItem {
            device: ev.device,
            device_name: ev.device_name.clone(),
            product_key: ev.product_key.clone(),
            at: ev.at,
            kind: kind.clone(),
        }),
    };
    let mut out = Vec::new();
    record::encode(ev.tenant, &[item], &mut out);
    Some(out)
}

/// The event in a relayed record of `device`; anything else is refused.
pub fn decode_event(device: DeviceId, data: &[u8]) -> Result<DeviceEvent, String> {
    let r = record::decode(data).map_err(|e| e.to_string())?;
    let [item] = <[Item; 1]>::try_from(r.items).map_err(|_| "not one item".to_string())?;
    let ev = match item {
        Item::Batch(LogItem {
            batch,
            announce: Some(a),
        }) => DeviceEvent {
            tenant: r.tenant,
            device: batch.device,
            device_name: a.device_name,
            product_key: a.product_key,
            at: DateTime::<Utc>::from_timestamp_micros(a.arrived).unwrap_or_default(),
            kind: DeviceEventKind::Telemetry {
                stored: batch.points.len() as u64,
                points: batch.points,
                origin: a.origin,
            },
            pos: None,
        },
        Item::Batch(_) => return Err("a batch without its announcement".into()),
        Item::Event(e) => DeviceEvent {
            tenant: r.tenant,
            device: e.device,
            device_name: e.device_name,
            product_key: e.product_key,
            at: e.at,
            kind: e.kind,
            pos: None,
        },
    };
    if ev.device != device {
        return Err("the subject names another device".into());
    }
    Ok(ev)
}

/// Devices a node watches.
type Watched = HashSet<(TenantId, DeviceId)>;

/// One node's side of live views across the cluster.
#[derive(Debug)]
pub struct LiveRelay {
    name: String,
    client: async_nats::Client,
    local: Arc<LocalBus>,
    /// Devices watched here, with how many views each.
    watched: Mutex<HashMap<(TenantId, DeviceId), usize>>,
    changed: Notify,
    /// Devices other nodes watch, by node, with when that expires.
    remote: Mutex<HashMap<String, (Watched, Instant)>>,
    interest: ironloom_bus::Interest,
}

/// Ends a view's interest when dropped.
struct Watch {
    relay: Arc<LiveRelay>,
    key: (TenantId, DeviceId),
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut w = lock(&self.relay.watched);
        if let Some(n) = w.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                w.remove(&self.key);
            }
        }
        drop(w);
        self.relay.changed.notify_one();
    }
}

impl LiveRelay {
    /// Subscribes and starts the relay's tasks (until `shutdown`).
    pub async fn start(
        client: async_nats::Client,
        name: &str,
        local: Arc<LocalBus>,
        shutdown: CancellationToken,
    ) -> Result<Arc<LiveRelay>, ClusterError> {
        let wants = subscribe(&client, WANTED_SUBJECT.into()).await?;
        let events = subscribe(&client, "il.lv.*.*".into()).await?;
        let consumer = local.consume("cluster-live", QUEUE);
        let relay = Arc::new(LiveRelay {
            name: name.to_owned(),
            client,
            local,
            watched: Mutex::new(HashMap::new()),
            changed: Notify::new(),
            remote: Mutex::new(HashMap::new()),
            interest: consumer.interest.clone(),
        });
        relay.set_interest();
        tokio::spawn(relay.clone().announce(shutdown.clone()));
        tokio::spawn(relay.clone().listen(wants, events, shutdown.clone()));
        tokio::spawn(relay.clone().forward(consumer.events, shutdown));
        Ok(relay)
    }

    /// A live view of the device that brings its events from whichever node owns it.
    pub fn watch(self: &Arc<Self>, tenant: TenantId, device: DeviceId) -> LiveView {
        *lock(&self.watched).entry((tenant, device)).or_insert(0) += 1;
        self.changed.notify_one();
        let guard = Watch {
            relay: self.clone(),
            key: (tenant, device),
        };
        LiveView::new(self.local.watch(), Some(Box::new(guard)))
    }

    /// Tells the other nodes what this node watches: at once on a change, then every
    /// [`ANNOUNCE`] while it watches anything (one empty announcement after the last view).
    async fn announce(self: Arc<Self>, shutdown: CancellationToken) {
        let mut last_empty = true;
        loop {
            let devices: Vec<(TenantId, DeviceId)> = lock(&self.watched).keys().copied().collect();
            if !(devices.is_empty() && last_empty) {
                last_empty = devices.is_empty();
                let body = Wanted {
                    v: crate::peers::wire::VERSION,
                    from: self.name.clone(),
                    devices,
                };
                let body = crate::peers::wire::encode(&body);
                if let Err(e) = self.client.publish(WANTED_SUBJECT, body).await {
                    tracing::warn!(error = %e, "could not announce the devices watched here");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.changed.notified() => {}
                _ = tokio::time::sleep(ANNOUNCE) => {}
            }
        }
    }

    /// Takes other nodes' announcements and the events relayed for this node's views.
    async fn listen(
        self: Arc<Self>,
        mut wants: async_nats::Subscriber,
        mut events: async_nats::Subscriber,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                m = wants.next() => match m {
                    Some(m) => self.on_wanted(&m.payload),
                    None => return,
                },
                m = events.next() => match m {
                    Some(m) => self.on_event(&m),
                    None => return,
                },
                _ = tick.tick() => {
                    let now = Instant::now();
                    let expired = {
                        let mut r = lock(&self.remote);
                        let before = r.len();
                        r.retain(|_, (_, until)| *until > now);
                        r.len() != before
                    };
                    if expired {
                        self.set_interest();
                    }
                }
            }
        }
    }

    fn on_wanted(&self, data: &[u8]) {
        let w = match wanted(data) {
            Ok(w) => w,
            Err(e) => {
                refused("live-wanted");
                tracing::warn!(error = %e, "refused an announcement of watched devices");
                return;
            }
        };
        if w.from == self.name {
            return;
        }
        {
            let mut r = lock(&self.remote);
            if w.devices.is_empty() {
                r.remove(&w.from);
            } else {
                r.insert(
                    w.from,
                    (w.devices.into_iter().collect(), Instant::now() + EXPIRY),
                );
            }
        }
        self.set_interest();
    }

    /// The relay consumes exactly the tenants other nodes watch devices of.
    fn set_interest(&self) {
        let tenants: HashSet<TenantId> = lock(&self.remote)
            .values()
            .flat_map(|(d, _)| d.iter().map(|(t, _)| *t))
            .collect();
        self.interest.set_tenants(tenants);
    }

    fn on_event(&self, m: &async_nats::Message) {
        let from = m.headers.as_ref().and_then(|h| h.get(FROM_HEADER));
        if from.is_some_and(|f| f.as_str() == self.name) {
            return;
        }
        let mut tokens = m.subject.split('.').skip(2);
        let (Some(Ok(tenant)), Some(Ok(device))) = (
            tokens.next().map(str::parse::<TenantId>),
            tokens.next().map(str::parse::<DeviceId>),
        ) else {
            refused("live-event");
            return;
        };
        if !lock(&self.watched).contains_key(&(tenant, device)) {
            return;
        }
        match decode_event(device, &m.payload) {
            Ok(ev) if ev.tenant == tenant => self.local.publish_live(ev),
            Ok(_) => refused("live-event"),
            Err(e) => {
                refused("live-event");
                tracing::warn!(error = %e, subject = %m.subject, "refused a relayed live event");
            }
        }
    }

    /// Publishes the events of devices other nodes watch.
    async fn forward(
        self: Arc<Self>,
        mut events: tokio::sync::mpsc::Receiver<DeviceEvent>,
        shutdown: CancellationToken,
    ) {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(FROM_HEADER, self.name.as_str());
        loop {
            let ev = tokio::select! {
                _ = shutdown.cancelled() => return,
                ev = events.recv() => match ev {
                    Some(ev) => ev,
                    None => return,
                },
            };
            let key = (ev.tenant, ev.device);
            let wanted = lock(&self.remote).values().any(|(d, _)| d.contains(&key));
            if !wanted {
                continue;
            }
            let Some(body) = encode_event(&ev) else {
                continue;
            };
            let subject = live_subject(ev.tenant, ev.device);
            if let Err(e) = self
                .client
                .publish_with_headers(subject, headers.clone(), body.into())
                .await
            {
                tracing::warn!(error = %e, "could not relay a live event");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ironloom_core::ingest::Origin;
    use ironloom_core::telemetry::{PointIn, Quality, Value};

    fn event(kind: DeviceEventKind) -> DeviceEvent {
        DeviceEvent {
            tenant: TenantId::new(),
            device: DeviceId::new(),
            device_name: "d".into(),
            product_key: "p".into(),
            at: DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            kind,
            pos: None,
        }
    }

    #[test]
    fn events_survive_the_relay() {
        let ev = event(DeviceEventKind::Telemetry {
            stored: 2,
            points: vec![
                PointIn {
                    property: "t".into(),
                    ts: 5,
                    value: Value::F64(1.5),
                    quality: Quality::Good,
                },
                PointIn {
                    property: "s".into(),
                    ts: 5,
                    value: Value::Str("x".into()),
                    quality: Quality::Good,
                },
            ],
            origin: Origin::Device,
        });
        let bytes = encode_event(&ev).unwrap();
        assert_eq!(decode_event(ev.device, &bytes).unwrap(), ev);
        let ev = event(DeviceEventKind::Connected {
            transport: "mqtt 5".into(),
        });
        let bytes = encode_event(&ev).unwrap();
        assert_eq!(decode_event(ev.device, &bytes).unwrap(), ev);
        // Another device than the subject's, damage, truncation: refused, no panic.
        assert!(decode_event(DeviceId::new(), &bytes).is_err());
        for cut in 0..bytes.len() {
            assert!(decode_event(ev.device, &bytes[..cut]).is_err());
        }
        let mut bad = bytes.clone();
        bad[10] ^= 0x40;
        assert!(decode_event(ev.device, &bad).is_err());
        assert!(
            encode_event(&event(DeviceEventKind::ClientRpc {
                method: "m".into(),
                params: serde_json::Value::Null
            }))
            .is_none()
        );
    }

    #[test]
    fn bad_announcements_are_refused() {
        let ok = serde_json::json!({"v": 1, "from": "n1", "devices": [[TenantId::new(), DeviceId::new()]]});
        assert_eq!(wanted(ok.to_string().as_bytes()).unwrap().devices.len(), 1);
        for bad in [
            serde_json::json!({"v": 2, "from": "n1", "devices": []}),
            serde_json::json!({"v": 1, "from": "", "devices": []}),
            serde_json::json!({"v": 1, "from": "a b", "devices": []}),
            serde_json::json!({"v": 1, "from": "n1", "devices": [["x", "y"]]}),
            serde_json::json!({"v": 1, "from": "n1", "devices": [], "more": 1}),
        ] {
            assert!(wanted(bad.to_string().as_bytes()).is_err(), "{bad}");
        }
        assert!(wanted(b"\x00\x01").is_err());
        assert!(wanted(&vec![b' '; crate::peers::wire::MAX_MESSAGE + 1]).is_err());
    }
}
