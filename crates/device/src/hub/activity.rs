//! What each device delivers per month, added up as data is stored and written to the
//! metadata store in batches (`device_activity`): the evaluation report's connected
//! devices (delivered live data in the period) and data points (采集点, the properties
//! that delivered). Only data the device itself sent counts, not what rules, bindings or
//! apps derive for it.
//!
//! Property names are interned once per hub; a device keeps the sorted ids of the names
//! it delivered this month, so the per-point cost is one hash look-up and a binary search.

use chrono::{DateTime, Datelike, Utc};
use ironloom_core::activity::{ActivityDelta, month_of};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::sync::lock;
use ironloom_core::telemetry::PointIn;
use tracing::warn;

use super::{DeviceCtx, DeviceHub, FastMap};

#[derive(Debug, Default)]
pub(super) struct Activity {
    names: FastMap<Box<str>, u32>,
    by_id: Vec<Box<str>>,
    devices: FastMap<DeviceId, Month>,
    /// Months that ended (a device's first data of a new month) and wait to be written.
    ended: Vec<ActivityDelta>,
}

#[derive(Debug)]
struct Month {
    tenant: TenantId,
    month: String,
    messages: u64,
    points: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    /// Interned ids of the properties delivered this month, sorted.
    props: Vec<u32>,
    /// Something to write; the property set grew since the last write.
    dirty: bool,
    props_grew: bool,
}

impl Activity {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let id = self.by_id.len() as u32;
        self.by_id.push(name.into());
        self.names.insert(name.into(), id);
        id
    }
}

/// What a device's month holds that is not written yet (names looked up in `names`).
fn delta(names: &[Box<str>], device: DeviceId, m: &Month) -> ActivityDelta {
    ActivityDelta {
        tenant_id: m.tenant,
        device_id: device,
        month: m.month.clone(),
        messages: m.messages,
        points: m.points,
        first_at: m.first,
        last_at: m.last,
        properties: m.props_grew.then(|| {
            m.props
                .iter()
                .map(|&i| names[i as usize].to_string())
                .collect()
        }),
    }
}

impl DeviceHub {
    /// The interned ids of the points' property names (taken before the points go to the
    /// store, so no name is copied).
    pub(super) fn property_ids(&self, points: &[PointIn]) -> Vec<u32> {
        let mut a = lock(&self.activity);
        points.iter().map(|p| a.intern(&p.property)).collect()
    }

    /// Counts `messages` messages of the device with one stored value for each of `ids`
    /// (interned property names), arrived at `at`.
    pub(super) fn record_activity(
        &self,
        ctx: &DeviceCtx,
        at: DateTime<Utc>,
        messages: u64,
        ids: impl Iterator<Item = u32>,
    ) {
        let mut a = lock(&self.activity);
        let state = &mut *a;
        // Compared as numbers; the month's text is made only for a new entry.
        if let Some(m) = state.devices.get(&ctx.device)
            && (m.first.year(), m.first.month()) != (at.year(), at.month())
        {
            // The device's first data of a new month: the old one goes out as it was.
            if m.dirty {
                let d = delta(&state.by_id, ctx.device, m);
                state.ended.push(d);
            }
            state.devices.remove(&ctx.device);
        }
        let m = state.devices.entry(ctx.device).or_insert_with(|| Month {
            tenant: ctx.tenant,
            month: month_of(at),
            messages: 0,
            points: 0,
            first: at,
            last: at,
            props: Vec::new(),
            dirty: false,
            props_grew: false,
        });
        m.messages += messages;
        m.first = m.first.min(at);
        m.last = m.last.max(at);
        m.dirty = true;
        for id in ids {
            m.points += 1;
            if let Err(i) = m.props.binary_search(&id) {
                m.props.insert(i, id);
                m.props_grew = true;
            }
        }
    }

    /// Writes what was counted since the last write, in one batch. A failed write is
    /// counted again into the next one.
    pub async fn flush_activity(&self) {
        let rows: Vec<ActivityDelta> = {
            let mut a = lock(&self.activity);
            let mut rows = std::mem::take(&mut a.ended);
            let state = &mut *a;
            for (id, m) in state.devices.iter_mut().filter(|(_, m)| m.dirty) {
                rows.push(delta(&state.by_id, *id, m));
                m.messages = 0;
                m.points = 0;
                m.dirty = false;
                m.props_grew = false;
            }
            // Devices silent since an earlier month are forgotten (their month is written).
            let now = month_of(Utc::now());
            state.devices.retain(|_, m| m.month == now);
            rows
        };
        if rows.is_empty() {
            return;
        }
        if let Err(e) = self.meta.add_device_activity(&rows).await {
            warn!(error = %e, rows = rows.len(), "device activity not written; kept for the next write");
            let mut a = lock(&self.activity);
            for r in rows {
                a.restore(r);
            }
        }
    }
}

impl Activity {
    /// Puts an unwritten delta back.
    fn restore(&mut self, r: ActivityDelta) {
        match self.devices.get_mut(&r.device_id) {
            Some(m) if m.month == r.month => {
                m.messages += r.messages;
                m.points += r.points;
                m.first = m.first.min(r.first_at);
                m.last = m.last.max(r.last_at);
                m.dirty = true;
                m.props_grew |= r.properties.is_some();
            }
            _ => self.ended.push(r),
        }
    }
}
