//! The one ingest path: everything stored for a device — its telemetry from any
//! transport, its thing-model events, its error and event logs, and data the platform
//! derives for it — is checked against the product's thing model, written through the
//! merged durable write of [`queue`](super::queue), counted, and announced on the bus.

use chrono::Utc;
use ironloom_bus::{Announce, LogItem};
use ironloom_core::device::{DeviceEventKind, Reported, ValueRejection, points_from_reported};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::sync::lock;
use ironloom_core::telemetry::{DeviceBatch, Micros, PointIn, Quality, Value};
use serde_json::{Value as Json, json};
use tracing::warn;

use super::{
    DeviceCtx, DeviceHub, ERRORS_SERIES, EVENTS_SERIES, IngestError, IngestOutcome, Origin,
    Refused, Rejection,
};

/// What [`DeviceHub::prepare`] keeps of a device's messages for [`DeviceHub::settle_ingest`].
struct Prepared {
    arrived: chrono::DateTime<Utc>,
    /// The device's own values (the error-log entries follow them in the write).
    sent: usize,
    /// Per message: where its values start among them, and how many.
    spans: Vec<(usize, usize)>,
    outcomes: Vec<IngestOutcome>,
    watched_points: Option<Vec<PointIn>>,
    property_ids: Option<Vec<u32>>,
}

impl DeviceHub {
    /// A timestamp for a log entry of the device, unique among its entries.
    pub(super) fn log_ts(&self, device: DeviceId, at: Micros) -> Micros {
        // A time the device gave, ahead of ours: kept as given, and not allowed to move
        // the clock (which would make the arrival times after it collide).
        if at > Utc::now().timestamp_micros() + 1_000_000 {
            return at;
        }
        self.unique_ts(device, at)
    }

    /// [`log_ts`](Self::log_ts) for a time that is not ahead of the clock (the arrival
    /// time just taken): no second reading of the clock.
    fn unique_ts(&self, device: DeviceId, at: Micros) -> Micros {
        let mut clock = lock(&self.log_clock);
        let last = clock.entry(device).or_insert(0);
        if at > *last {
            *last = at;
            at
        } else if *last - at < 1_000_000 {
            // Entries within the same second keep their order one microsecond apart.
            *last += 1;
            *last
        } else {
            // An entry from the device's past, at its own timestamp: kept as given (two
            // events of one device in the same microsecond would share an entry).
            at
        }
    }

    fn error_points(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        refused: &[Refused],
        now: Micros,
    ) -> Vec<PointIn> {
        refused
            .iter()
            .map(|r| PointIn {
                property: ERRORS_SERIES.into(),
                ts: self.unique_ts(ctx.device, now),
                value: Value::Str(r.log_entry(source)),
                quality: Quality::Good,
            })
            .collect()
    }

    fn count_refused(ctx: &DeviceCtx, refused: &[Refused]) {
        for r in refused {
            metrics::counter!(
                "ironloom_device_rejected_values_total",
                "tenant" => ctx.tenant.to_string(),
                "code" => r.reason.code()
            )
            .increment(1);
        }
    }

    /// Writes points of the device through the ingest queue, durably.
    async fn store(
        &self,
        ctx: &DeviceCtx,
        points: Vec<PointIn>,
        announce: Option<Announce>,
    ) -> Result<ironloom_core::telemetry::WriteOutcome, ironloom_core::error::Error> {
        let batch = DeviceBatch {
            device: ctx.device,
            product: Some(ctx.product),
            points,
        };
        self.ingest_queue()
            .write(ctx.tenant, LogItem { batch, announce })
            .await
    }

    fn ingest_queue(&self) -> &super::queue::IngestQueue {
        self.ingest
            .get_or_init(|| super::queue::IngestQueue::start(self.log.clone()))
    }

    /// Validates reported values against the product's thing model and stores the valid
    /// ones durably, with every refusal in the device's error log.
    pub async fn ingest(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        reported: Vec<Reported>,
    ) -> Result<IngestOutcome, IngestError> {
        let mut out = self.ingest_many(ctx, source, vec![reported]).await?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Several messages of one device in one durable write; one outcome per message.
    pub async fn ingest_many(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        messages: Vec<Vec<Reported>>,
    ) -> Result<Vec<IngestOutcome>, IngestError> {
        self.ingest_from(ctx, source, Origin::Device, messages)
            .await
    }

    async fn ingest_from(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        origin: Origin,
        messages: Vec<Vec<Reported>>,
    ) -> Result<Vec<IngestOutcome>, IngestError> {
        let product = self.product_of(ctx).await.map_err(IngestError::Product)?;
        let (prepared, item) = self.prepare(ctx, &product, source, origin, messages, Utc::now());
        let written = self
            .ingest_queue()
            .write(ctx.tenant, item)
            .await
            .map_err(IngestError::Store)?;
        self.settle_ingest(ctx, source, origin, prepared, written)
            .await
    }

    /// Messages of many devices of a tenant in one durable write: one outcome (or the
    /// device's own failure: unknown, or its product unreadable) per device, in order. A
    /// failure of the write itself fails the whole call: nothing of it was acknowledged.
    /// The work done per message is the same as [`ingest_many`](Self::ingest_many)'s; what
    /// is shared is the clock and the one write.
    pub async fn ingest_devices(
        &self,
        tenant: TenantId,
        origin: Origin,
        devices: Vec<(DeviceId, Vec<Reported>)>,
    ) -> Result<Vec<Result<IngestOutcome, IngestError>>, IngestError> {
        let source = origin.source();
        let arrived = Utc::now();
        let mut out: Vec<Result<IngestOutcome, IngestError>> = Vec::with_capacity(devices.len());
        // For each device still in the write: its context and what `prepare` kept.
        let mut pending: Vec<(usize, DeviceCtx, Prepared)> = Vec::with_capacity(devices.len());
        let mut items = Vec::with_capacity(devices.len());
        for (device, values) in devices {
            let ctx = match self.device_ctx(tenant, device).await {
                Ok(c) => c,
                Err(e) => {
                    out.push(Err(IngestError::Device(e)));
                    continue;
                }
            };
            let product = match self.product_of(&ctx).await {
                Ok(p) => p,
                Err(e) => {
                    out.push(Err(IngestError::Product(e)));
                    continue;
                }
            };
            let (prepared, item) =
                self.prepare(&ctx, &product, &source, origin, vec![values], arrived);
            items.push(item);
            pending.push((out.len(), ctx, prepared));
            out.push(Ok(IngestOutcome::default()));
        }
        if items.is_empty() {
            return Ok(out);
        }
        let written = self
            .ingest_queue()
            .write_many(tenant, items)
            .await
            .map_err(IngestError::Store)?;
        for ((at, ctx, prepared), written) in pending.into_iter().zip(written) {
            out[at] = self
                .settle_ingest(&ctx, &source, origin, prepared, written)
                .await
                .map(|mut o| o.pop().unwrap_or_default());
        }
        Ok(out)
    }

    /// Checks a device's messages against its product's thing model: the points to write
    /// (with the error-log entries of the refusals after the device's own values) and what
    /// [`settle_ingest`](Self::settle_ingest) needs once they are written.
    fn prepare(
        &self,
        ctx: &DeviceCtx,
        product: &ironloom_core::entity::Product,
        source: &str,
        origin: Origin,
        messages: Vec<Vec<Reported>>,
        arrived: chrono::DateTime<Utc>,
    ) -> (Prepared, LogItem) {
        // The clock is read once for the whole batch (arrival times, the device's last
        // contact, the event).
        let now = arrived.timestamp_micros();
        let mut all: Vec<PointIn> = Vec::new();
        // For each message: where its points start in `all`, and its refusals.
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(messages.len());
        let mut outcomes: Vec<IngestOutcome> = Vec::with_capacity(messages.len());
        for reported in messages {
            // Values without their own timestamp get the arrival time, unique per message
            // of the device: two messages in one batch (or one microsecond) must not
            // overwrite each other.
            let at = self.unique_ts(ctx.device, now);
            let (points, model_refused) = points_from_reported(&product.thing_model, reported, at);
            spans.push((all.len(), points.len()));
            if all.is_empty() {
                all = points;
            } else {
                all.extend(points);
            }
            outcomes.push(IngestOutcome {
                stored: 0,
                refused: model_refused
                    .into_iter()
                    .map(|r| Refused {
                        key: r.key,
                        reason: Rejection::Model(r.reason),
                    })
                    .collect(),
            });
        }
        let sent = all.len();
        // The values for the consumers that read this device (the rule engine, when a rule
        // reads it) and for live views; nobody else is told. When the log's reader
        // announces them (a cluster's partition owner), they travel with the item instead.
        let here = self.log.announces_here();
        let watched = here && self.bus.wants(ctx.tenant, &ctx.product_key, &ctx.name);
        let watched_points = watched.then(|| all.clone());
        let announce = (!here).then(|| Announce {
            origin,
            arrived: now,
            device_name: ctx.name.clone(),
            product_key: ctx.product_key.clone(),
            values: sent,
        });
        // The property of each of the device's own values, for its monthly activity.
        let property_ids = (origin == Origin::Device).then(|| self.property_ids(&all[..sent]));
        for o in &outcomes {
            all.extend(self.error_points(ctx, source, &o.refused, now));
        }
        let item = LogItem {
            batch: DeviceBatch {
                device: ctx.device,
                product: Some(ctx.product),
                points: all,
            },
            announce,
        };
        let prepared = Prepared {
            arrived,
            sent,
            spans,
            outcomes,
            watched_points,
            property_ids,
        };
        (prepared, item)
    }

    /// After the write: the store's refusals given back to the messages they came from
    /// (and logged), the device's activity, last contact and traffic counted, and the
    /// stored values announced to those watching the device.
    async fn settle_ingest(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        origin: Origin,
        prepared: Prepared,
        written: ironloom_core::telemetry::WriteOutcome,
    ) -> Result<Vec<IngestOutcome>, IngestError> {
        let Prepared {
            arrived,
            sent,
            spans,
            mut outcomes,
            mut watched_points,
            property_ids,
        } = prepared;
        // Store refusals among the device's values (the log entries are plain text and not
        // refused), given back to the message they came from.
        let mut store_refused: Vec<Refused> = Vec::new();
        if let Some(ids) = property_ids {
            let refused: std::collections::HashSet<usize> =
                written.rejected.iter().map(|r| r.index).collect();
            let stored_messages = spans
                .iter()
                .filter(|&&(start, len)| (start..start + len).any(|i| !refused.contains(&i)))
                .count() as u64;
            if stored_messages > 0 {
                let ids = ids
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| !refused.contains(i))
                    .map(|(_, id)| id);
                self.record_activity(ctx, arrived, stored_messages, ids);
                ironloom_core::load::count(
                    ironloom_core::load::Path::DeviceMessages,
                    stored_messages,
                );
            }
        }
        if let Some(points) = &mut watched_points
            && !written.rejected.is_empty()
        {
            let refused: std::collections::HashSet<usize> =
                written.rejected.iter().map(|r| r.index).collect();
            let mut i = 0;
            points.retain(|_| {
                i += 1;
                !refused.contains(&(i - 1))
            });
        }
        for r in written.rejected.into_iter().filter(|r| r.index < sent) {
            let m = spans
                .partition_point(|&(start, _)| start <= r.index)
                .saturating_sub(1);
            let refused = Refused {
                key: r.property,
                reason: Rejection::Store(r.reason),
            };
            store_refused.push(refused.clone());
            if let Some(o) = outcomes.get_mut(m) {
                o.refused.push(refused);
            }
        }
        let mut total = 0u64;
        for (o, &(_, len)) in outcomes.iter_mut().zip(&spans) {
            let refused_by_store = o
                .refused
                .iter()
                .filter(|r| matches!(r.reason, Rejection::Store(_)))
                .count();
            o.stored = (len - refused_by_store) as u64;
            total += o.stored;
            Self::count_refused(ctx, &o.refused);
        }
        if !store_refused.is_empty() {
            Box::pin(self.log_errors(ctx, source, &store_refused)).await;
        }
        self.seen_at(ctx, arrived);
        if total > 0 {
            {
                let stored = outcomes.iter().filter(|o| o.stored > 0).count() as u64;
                let mut t = lock(&self.traffic);
                let e = t
                    .entry(ctx.tenant)
                    .or_insert_with(|| super::live::TenantTraffic::new(ctx.tenant));
                e.messages += stored;
                e.values += total;
                e.stored.increment(total);
            }
            if let Some(points) = watched_points {
                let ev = self.make_event(
                    ctx,
                    arrived,
                    DeviceEventKind::Telemetry {
                        stored: total,
                        points,
                        origin,
                    },
                );
                match origin {
                    // Back-pressure reaches the device (or the job over history).
                    Origin::Device | Origin::Job { .. } => self.bus.publish_wait(ev).await,
                    // A consumer writing derived data must never wait for its own queue.
                    Origin::Rule { .. } | Origin::Binding { .. } | Origin::App { .. } => {
                        self.bus.publish(ev)
                    }
                }
            }
        }
        Ok(outcomes)
    }

    /// Records refusals that did not come from an ingest (unreadable payloads, unknown
    /// topics) in the device's error log.
    pub async fn log_errors(&self, ctx: &DeviceCtx, source: &str, refused: &[Refused]) {
        if refused.is_empty() {
            return;
        }
        let now = Utc::now().timestamp_micros();
        let points = self.error_points(ctx, source, refused, now);
        let r = self.store(ctx, points, None).await;
        if let Err(e) = r {
            warn!(device = %ctx.device, error = %e, "could not write the device error log");
        }
    }

    /// A refusal of a whole message: logged, counted.
    pub async fn refuse(&self, ctx: &DeviceCtx, source: &str, reason: Rejection) -> IngestOutcome {
        let refused = vec![Refused {
            key: String::new(),
            reason,
        }];
        Self::count_refused(ctx, &refused);
        self.log_errors(ctx, source, &refused).await;
        IngestOutcome { stored: 0, refused }
    }

    /// Stores a thing-model event in the device's event log.
    pub async fn event(
        &self,
        ctx: &DeviceCtx,
        source: &str,
        identifier: &str,
        ts_ms: Option<i64>,
        params: Json,
    ) -> Result<IngestOutcome, IngestError> {
        let product = self.product_of(ctx).await.map_err(IngestError::Product)?;
        let model = &product.thing_model;
        let def = model.events.iter().find(|e| e.identifier == identifier);
        if def.is_none() && !model.events.is_empty() {
            return Ok(self.refuse(ctx, source, Rejection::UnknownEvent).await);
        }
        if let (Some(def), Json::Object(fields)) = (def, &params) {
            for (k, v) in fields {
                let checked = match def.output.iter().find(|f| &f.identifier == k) {
                    None => Err(ValueRejection::UnknownProperty),
                    Some(f) => f.data_type.check_value(v).map_err(ValueRejection::Invalid),
                };
                if let Err(reason) = checked {
                    return Ok(self.refuse(ctx, source, Rejection::Model(reason)).await);
                }
            }
        }
        let now = Utc::now().timestamp_micros();
        let at = match ts_ms {
            Some(ms) if (0..=253_402_300_799_999).contains(&ms) => ms * 1000,
            Some(_) => {
                return Ok(self
                    .refuse(ctx, source, Rejection::Model(ValueRejection::BadTimestamp))
                    .await);
            }
            None => now,
        };
        let entry = json!({
            "type": "event",
            "event": identifier,
            "level": def.map(|d| d.level.as_str()),
            "params": params,
        });
        self.write_log(ctx, EVENTS_SERIES, at, entry)
            .await
            .map_err(IngestError::Store)?;
        self.seen(ctx);
        self.bus
            .publish_wait(self.make_event(
                ctx,
                Utc::now(),
                DeviceEventKind::Event {
                    identifier: identifier.to_owned(),
                    params,
                },
            ))
            .await;
        Ok(IngestOutcome {
            stored: 1,
            refused: Vec::new(),
        })
    }

    pub(super) async fn write_log(
        &self,
        ctx: &DeviceCtx,
        series: &str,
        at: Micros,
        entry: Json,
    ) -> Result<(), ironloom_core::error::Error> {
        let ts = self.log_ts(ctx.device, at);
        self.store(
            ctx,
            vec![PointIn {
                property: series.into(),
                ts,
                value: Value::Str(entry.to_string()),
                quality: Quality::Good,
            }],
            None,
        )
        .await
        .map(|_| ())
    }
}

#[async_trait::async_trait]
impl ironloom_bus::Ingest for DeviceHub {
    async fn ingest(
        &self,
        tenant: TenantId,
        device: DeviceId,
        origin: Origin,
        values: Vec<Reported>,
    ) -> Result<IngestOutcome, IngestError> {
        let ctx = self
            .device_ctx(tenant, device)
            .await
            .map_err(IngestError::Device)?;
        let mut out = self
            .ingest_from(&ctx, &origin.source(), origin, vec![values])
            .await?;
        Ok(out.pop().unwrap_or_default())
    }

    async fn ingest_devices(
        &self,
        tenant: TenantId,
        origin: Origin,
        devices: Vec<(DeviceId, Vec<Reported>)>,
    ) -> Result<Vec<Result<IngestOutcome, IngestError>>, IngestError> {
        DeviceHub::ingest_devices(self, tenant, origin, devices).await
    }
}
