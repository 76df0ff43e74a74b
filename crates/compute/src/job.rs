//! Jobs over stored history: a model or algorithm bound to devices' properties over a
//! time range.
//!
//! A job reads its series a slice at a time (`slice_points`), aligned on the timestamps
//! of its first series input (the others contribute their last value at or before each
//! timestamp). A model that takes numbers is evaluated on every row; an algorithm over
//! series once over the whole range (at most [`MAX_SERIES`] rows) or once per window.
//! After each slice the job checks for cancellation, counts its calls against the
//! tenant's quota, writes back (through the ingest path) and saves its progress at most
//! once a second.

use crate::Deps;
use crate::live::refusal;
use chrono::Utc;
use ironloom_core::device::Reported;
use ironloom_core::entity::Actor;
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::{DeviceId, JobId, TenantId};
use ironloom_core::ingest::Origin;
use ironloom_core::model::{CallSource, Catalogue, Datum, MAX_SERIES, ModelCard, Shape};
use ironloom_core::model_run::{
    Conversion, Job, JobInput, JobSpec, JobStatus, MAX_RESULT_POINTS, check_job, numeric_property,
};
use ironloom_core::telemetry::{Micros, ScanQuery};
use ironloom_models::Library;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Values per derived write.
const WRITE_CHUNK: usize = 4096;
/// How often a running job's progress is saved.
const SAVE_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub(crate) struct Jobs {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    deps: Deps,
    config: crate::ComputeConfig,
    permits: Semaphore,
    /// Unfinished jobs: their tenant and their stop flag.
    active: Mutex<HashMap<JobId, (TenantId, Arc<AtomicBool>)>>,
    shutting_down: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn invalid(field: String, en: String, zh: String) -> Error {
    Error::Invalid(FieldError::new(field, FieldErrorKind::Other { en, zh }))
}

/// A series input, resolved: where it is read and how its values reach the port's unit.
#[derive(Debug, Clone)]
struct SeriesInput {
    port: usize,
    device: DeviceId,
    property: String,
    convert: Option<Conversion>,
}

/// Where outputs are written back, resolved: (output index, property, conversion).
#[derive(Debug, Clone)]
struct Target {
    device: DeviceId,
    outputs: Vec<(usize, String, Option<Conversion>)>,
}

impl Jobs {
    pub(crate) fn new(deps: Deps, config: crate::ComputeConfig) -> Jobs {
        Jobs {
            inner: Arc::new(Inner {
                permits: Semaphore::new(config.concurrent_jobs.max(1)),
                deps,
                config,
                active: Mutex::new(HashMap::new()),
                shutting_down: AtomicBool::new(false),
            }),
        }
    }

    pub(crate) async fn submit(
        &self,
        actor: &Actor,
        tenant: TenantId,
        spec: JobSpec,
    ) -> Result<Job, Error> {
        let deps = &self.inner.deps;
        let card = Library::get()
            .card(&spec.model)
            .ok_or_else(|| ironloom_core::model::ModelError::UnknownModel(spec.model.clone()))?;
        let constants = check_job(&spec, card)?;
        let mut series = Vec::new();
        for (port_index, port) in card.inputs.iter().enumerate() {
            let Some(JobInput::Series { device, property }) = spec.inputs.get(port.name) else {
                continue;
            };
            let unit = self
                .property_unit(tenant, *device, property, &format!("inputs.{}", port.name))
                .await?;
            series.push(SeriesInput {
                port: port_index,
                device: *device,
                property: property.clone(),
                convert: Conversion::between(port, unit.as_deref(), Some(port.unit))?,
            });
        }
        let target = match &spec.write_back {
            None => None,
            Some(wb) => {
                let mut outputs = Vec::new();
                for (name, property) in &wb.outputs {
                    let index = card
                        .outputs
                        .iter()
                        .position(|p| p.name == name)
                        .ok_or_else(|| ironloom_core::model::ModelError::UnknownOutput {
                            output: name.clone(),
                            known: card
                                .outputs
                                .iter()
                                .map(|p| p.name)
                                .collect::<Vec<_>>()
                                .join(", "),
                        })?;
                    let unit = self
                        .property_unit(tenant, wb.device, property, "write_back.outputs")
                        .await?;
                    let port = &card.outputs[index];
                    outputs.push((
                        index,
                        property.clone(),
                        Conversion::between(port, Some(port.unit), unit.as_deref())?,
                    ));
                }
                Some(Target {
                    device: wb.device,
                    outputs,
                })
            }
        };
        let unfinished = lock(&self.inner.active)
            .values()
            .filter(|(t, _)| *t == tenant)
            .count();
        if unfinished >= self.inner.config.jobs_per_tenant {
            return Err(Error::QuotaExceeded {
                what: ironloom_core::entity::Resource::ModelJob,
                limit: self.inner.config.jobs_per_tenant as u64,
            });
        }
        deps.meter.admit(&*deps.meta, tenant, 1).await?;
        let job = Job {
            id: JobId::new(),
            tenant_id: tenant,
            spec,
            status: JobStatus::Queued,
            progress: 0.0,
            points_read: 0,
            rows: 0,
            written: 0,
            error: None,
            result: None,
            created_by: actor.name.clone(),
            created_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 3),
            started_at: None,
            finished_at: None,
        };
        deps.meta.create_job(actor, &job).await?;
        let stop = Arc::new(AtomicBool::new(false));
        lock(&self.inner.active).insert(job.id, (tenant, stop.clone()));
        let run = Run {
            inner: self.inner.clone(),
            card,
            constants,
            series,
            target,
            job: job.clone(),
            stop,
            last_save: Instant::now(),
            refused: 0,
            first_refusal: None,
            skipped: 0,
        };
        tokio::spawn(run.go());
        Ok(job)
    }

    /// The unit of a device's numeric property (none for a product without a thing
    /// model); an error naming `field` when the device or property is unknown.
    async fn property_unit(
        &self,
        tenant: TenantId,
        device: DeviceId,
        property: &str,
        field: &str,
    ) -> Result<Option<String>, Error> {
        let meta = &self.inner.deps.meta;
        let d = match meta.get_device(tenant, device).await {
            Err(Error::NotFound(_)) => {
                return Err(Error::Invalid(FieldError::new(
                    field,
                    FieldErrorKind::UnknownReference(ironloom_core::entity::Resource::Device),
                )));
            }
            r => r?,
        };
        let p = meta.get_product(tenant, d.product_id).await?;
        if p.thing_model.properties.is_empty() {
            return Ok(None);
        }
        numeric_property(&p.thing_model, &p.product_key, property)
            .map(|u| u.map(str::to_string))
            .map_err(|e| {
                invalid(
                    field.to_string(),
                    e.message(ironloom_core::i18n::Locale::En),
                    e.message(ironloom_core::i18n::Locale::ZhCn),
                )
            })
    }

    pub(crate) async fn cancel(&self, tenant: TenantId, id: JobId) -> Result<(), Error> {
        // Another tenant's job answers as a missing one.
        let job = self.inner.deps.meta.get_job(tenant, id).await?;
        if job.status.is_finished() {
            return Err(invalid(
                "status".into(),
                format!("the job has already ended ({})", job.status.as_str()),
                format!("作业已结束（{}）", job.status.as_str()),
            ));
        }
        if let Some((_, stop)) = lock(&self.inner.active).get(&id) {
            stop.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Stops every job at its next slice, saved as interrupted; waits up to 10 s.
    pub(crate) async fn stop(&self) {
        self.inner.shutting_down.store(true, Ordering::Relaxed);
        for (_, stop) in lock(&self.inner.active).values() {
            stop.store(true, Ordering::Relaxed);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !lock(&self.inner.active).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One series being read a slice at a time.
struct Cursor {
    input: SeriesInput,
    points: Vec<(Micros, f64)>,
    pos: usize,
    next_from: Option<Micros>,
    last: f64,
}

/// Outputs gathered for the result: timestamps and one column per output.
struct Gathered {
    ts: Vec<Micros>,
    columns: Vec<Vec<f64>>,
    truncated: bool,
}

impl Gathered {
    fn new(outputs: usize) -> Gathered {
        Gathered {
            ts: Vec::new(),
            columns: vec![Vec::new(); outputs],
            truncated: false,
        }
    }

    fn push(&mut self, ts: Micros, values: &[f64]) {
        if self.ts.len() >= MAX_RESULT_POINTS {
            self.truncated = true;
            return;
        }
        self.ts.push(ts);
        for (c, v) in self.columns.iter_mut().zip(values) {
            c.push(*v);
        }
    }
}

fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

struct Run {
    inner: Arc<Inner>,
    card: &'static ModelCard,
    constants: Vec<Option<f64>>,
    series: Vec<SeriesInput>,
    target: Option<Target>,
    job: Job,
    stop: Arc<AtomicBool>,
    last_save: Instant,
    refused: u64,
    first_refusal: Option<Error>,
    skipped: u64,
}

impl Run {
    async fn go(mut self) {
        let inner = self.inner.clone();
        let permit = inner.permits.acquire().await;
        let deps = self.inner.deps.clone();
        self.job.status = JobStatus::Running;
        self.job.started_at = Some(chrono::SubsecRound::trunc_subsecs(Utc::now(), 3));
        if let Err(e) = deps.meta.save_job(&self.job).await {
            tracing::warn!(job = %self.job.id, error = %e, "job state not saved");
        }
        let algorithm = self.card.inputs.iter().any(|p| p.shape == Shape::Series);
        let window = self.job.spec.window_s.filter(|_| algorithm);
        // Row and window outputs gathered so far: kept in the result however the job ends.
        let mut gathered = Gathered::new(self.card.outputs.len());
        let outcome = if permit.is_err() {
            Err(Error::Storage {
                action: "run model job",
                detail: "the job runtime has stopped".into(),
            })
        } else if !algorithm {
            self.rows(&mut gathered).await
        } else if let Some(w) = window {
            self.windows(w, &mut gathered).await
        } else {
            self.whole().await
        };
        if !algorithm || window.is_some() {
            self.job.result = Some(self.outputs_json(&gathered, window.is_some()));
        }
        let stopped = self.stop.load(Ordering::Relaxed);
        self.job.status = match &outcome {
            Err(_) => JobStatus::Failed,
            Ok(()) if !stopped => JobStatus::Succeeded,
            Ok(()) if self.inner.shutting_down.load(Ordering::Relaxed) => JobStatus::Interrupted,
            Ok(()) => JobStatus::Cancelled,
        };
        if let Err(e) = &outcome {
            self.job.error = Some(refusal(e));
        } else if self.job.status == JobStatus::Succeeded {
            self.job.progress = 1.0;
        }
        if let (Some(result), Some(e)) = (self.job.result.as_mut(), &self.first_refusal) {
            result["refused"] = json!(self.refused);
            result["first_refusal"] = json!(refusal(e));
        }
        if let Some(result) = self.job.result.as_mut() {
            result["skipped_rows"] = json!(self.skipped);
        }
        self.job.finished_at = Some(chrono::SubsecRound::trunc_subsecs(Utc::now(), 3));
        if let Err(e) = deps.meta.save_job(&self.job).await {
            tracing::warn!(job = %self.job.id, error = %e, "final job state not saved");
        }
        lock(&self.inner.active).remove(&self.job.id);
    }

    fn range(&self) -> (Micros, Micros) {
        (
            self.job.spec.from.timestamp_micros(),
            self.job.spec.to.timestamp_micros(),
        )
    }

    fn cursors(&self) -> Vec<Cursor> {
        let (from, _) = self.range();
        self.series
            .iter()
            .map(|s| Cursor {
                input: s.clone(),
                points: Vec::new(),
                pos: 0,
                next_from: Some(from),
                last: f64::NAN,
            })
            .collect()
    }

    /// Reads the next slice of `c` when its points are used up; false at the range's end.
    async fn fill(&mut self, c: &mut Cursor) -> Result<bool, Error> {
        while c.pos >= c.points.len() {
            let Some(from) = c.next_from else {
                return Ok(false);
            };
            let (_, to) = self.range();
            let slice = self
                .inner
                .deps
                .store
                .scan(
                    self.job.tenant_id,
                    ScanQuery {
                        device: c.input.device,
                        property: c.input.property.clone(),
                        from,
                        to,
                        max_points: self.inner.config.slice_points,
                    },
                )
                .await?;
            self.job.points_read += slice.points.len() as u64;
            c.points.clear();
            c.pos = 0;
            c.next_from = slice.next_from;
            let convert = c.input.convert;
            c.points.extend(slice.points.iter().filter_map(|p| {
                p.value
                    .as_f64()
                    .map(|v| (p.ts, Conversion::apply(&convert, v)))
            }));
        }
        Ok(true)
    }

    /// The next slice of aligned rows: timestamps and one column per series input, or
    /// `None` at the end (or when the job is stopped).
    async fn next_rows(
        &mut self,
        cursors: &mut [Cursor],
    ) -> Result<Option<(Vec<Micros>, Vec<Vec<f64>>)>, Error> {
        if self.stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let Some((driver, others)) = cursors.split_first_mut() else {
            return Ok(None);
        };
        if !self.fill(driver).await? {
            return Ok(None);
        }
        let rows = std::mem::take(&mut driver.points);
        let start = driver.pos;
        driver.pos = 0;
        let mut ts = Vec::with_capacity(rows.len() - start);
        let mut columns = vec![Vec::with_capacity(rows.len() - start); 1 + others.len()];
        for &(t, v) in &rows[start..] {
            ts.push(t);
            columns[0].push(v);
            for (i, c) in others.iter_mut().enumerate() {
                loop {
                    if c.pos >= c.points.len() && !self.fill(c).await? {
                        break;
                    }
                    match c.points.get(c.pos) {
                        Some(&(pt, pv)) if pt <= t => {
                            c.last = pv;
                            c.pos += 1;
                        }
                        _ => break,
                    }
                }
                columns[i + 1].push(c.last);
            }
        }
        let (from, to) = self.range();
        if let Some(&t) = ts.last() {
            self.job.progress = ((t - from) as f64 / (to - from) as f64).clamp(0.0, 1.0);
        }
        Ok(Some((ts, columns)))
    }

    async fn save_now_and_then(&mut self) {
        if self.last_save.elapsed() >= SAVE_EVERY {
            self.last_save = Instant::now();
            if let Err(e) = self.inner.deps.meta.save_job(&self.job).await {
                tracing::warn!(job = %self.job.id, error = %e, "job progress not saved");
            }
        }
    }

    fn refuse(&mut self, e: Error) {
        self.refused += 1;
        if self.first_refusal.is_none() {
            self.first_refusal = Some(e);
        }
    }

    /// Counts `calls` against the quota before they are made.
    async fn admit(&self, calls: u64) -> Result<(), Error> {
        let deps = &self.inner.deps;
        deps.meter
            .admit(&*deps.meta, self.job.tenant_id, calls)
            .await
    }

    fn record(&self, calls: u64, errors: u64, started: Instant) {
        self.inner.deps.meter.record_many(
            self.job.tenant_id,
            self.card.id,
            CallSource::Job,
            calls,
            errors,
            started.elapsed().as_micros() as u64,
        );
    }

    /// Writes outputs back: `rows` of (timestamp, outputs in the card's order).
    async fn write_back(&mut self, rows: &[(Micros, Vec<f64>)]) -> Result<(), Error> {
        let Some(target) = self.target.clone() else {
            return Ok(());
        };
        let mut values = Vec::with_capacity(WRITE_CHUNK);
        for (i, (ts, out)) in rows.iter().enumerate() {
            for (index, property, convert) in &target.outputs {
                let v = Conversion::apply(convert, out[*index]);
                if v.is_finite() {
                    values.push(Reported::new(
                        property.clone(),
                        Some(ts.div_euclid(1000)),
                        number(v),
                    ));
                }
            }
            if values.len() >= WRITE_CHUNK || i + 1 == rows.len() {
                let outcome = self
                    .inner
                    .deps
                    .ingest
                    .ingest(
                        self.job.tenant_id,
                        target.device,
                        Origin::Job { job: self.job.id },
                        std::mem::take(&mut values),
                    )
                    .await
                    .map_err(|e| Error::Storage {
                        action: "write back job outputs",
                        detail: e.to_string(),
                    })?;
                self.job.written += outcome.stored;
            }
        }
        Ok(())
    }

    fn outputs_json(&self, g: &Gathered, only_scalar_ports: bool) -> Value {
        let mut outputs = serde_json::Map::new();
        for (i, port) in self.card.outputs.iter().enumerate() {
            if only_scalar_ports && port.shape == Shape::Series {
                continue;
            }
            outputs.insert(
                port.name.to_string(),
                json!({
                    "unit": port.unit,
                    "ts_ms": g.ts.iter().map(|t| t.div_euclid(1000)).collect::<Vec<_>>(),
                    "values": g.columns[i].iter().map(|v| number(*v)).collect::<Vec<_>>(),
                }),
            );
        }
        json!({"outputs": outputs, "truncated": g.truncated})
    }

    /// A model over numbers: one evaluation per aligned row.
    async fn rows(&mut self, gathered: &mut Gathered) -> Result<(), Error> {
        let model = Library::get()
            .model(self.card.id)
            .ok_or_else(|| ironloom_core::model::ModelError::UnknownModel(self.card.id.into()))?;
        let mut cursors = self.cursors();
        let mut args: Vec<f64> = self.constants.iter().map(|c| c.unwrap_or(0.0)).collect();
        let writes = self.target.is_some();
        while let Some((ts, columns)) = self.next_rows(&mut cursors).await? {
            self.admit(ts.len() as u64).await?;
            let started = Instant::now();
            let (mut calls, mut errors) = (0u64, 0u64);
            let mut out = Vec::new();
            for (r, t) in ts.iter().enumerate() {
                let mut complete = true;
                for (c, s) in self.series.iter().enumerate() {
                    args[s.port] = columns[c][r];
                    complete &= columns[c][r].is_finite();
                }
                if !complete {
                    self.skipped += 1;
                    continue;
                }
                calls += 1;
                match model.evaluate(&args) {
                    Ok(y) => {
                        gathered.push(*t, &y);
                        if writes {
                            out.push((*t, y));
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        self.refuse(e.into());
                    }
                }
            }
            self.record(calls, errors, started);
            self.job.rows += calls - errors;
            self.write_back(&out).await?;
            self.save_now_and_then().await;
        }
        Ok(())
    }

    /// The inputs of one evaluation of an algorithm over `columns`.
    fn data(&self, columns: Vec<Vec<f64>>) -> Vec<Datum> {
        let mut by_port: HashMap<usize, Vec<f64>> =
            self.series.iter().map(|s| s.port).zip(columns).collect();
        self.constants
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                Some(v) => Datum::Scalar(*v),
                None => Datum::Series(by_port.remove(&i).unwrap_or_default()),
            })
            .collect()
    }

    /// An algorithm over the whole range at once.
    async fn whole(&mut self) -> Result<(), Error> {
        let mut cursors = self.cursors();
        let mut ts = Vec::new();
        let mut columns = vec![Vec::new(); self.series.len()];
        while let Some((t, cols)) = self.next_rows(&mut cursors).await? {
            ts.extend(t);
            for (c, col) in columns.iter_mut().zip(cols) {
                c.extend(col);
            }
            if ts.len() > MAX_SERIES {
                return Err(invalid(
                    "window_s".into(),
                    format!(
                        "the range holds more than {MAX_SERIES} values: run the algorithm per window"
                    ),
                    format!("该范围超过 {MAX_SERIES} 个值：请按窗口运行算法"),
                ));
            }
            self.save_now_and_then().await;
        }
        if self.stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        if ts.is_empty() {
            return Err(invalid(
                "from".into(),
                "no stored values in the range".into(),
                "该范围内没有已存储的值".into(),
            ));
        }
        self.admit(1).await?;
        let started = Instant::now();
        let result = Library::get().evaluate_data(self.card.id, self.data(columns));
        self.record(1, u64::from(result.is_err()), started);
        let out = result?;
        self.job.rows = 1;
        let mut outputs = serde_json::Map::new();
        let mut back: Vec<(Micros, Vec<f64>)> = Vec::new();
        for (i, (port, d)) in self.card.outputs.iter().zip(&out).enumerate() {
            let v = match d {
                Datum::Scalar(v) => json!({"unit": port.unit, "value": number(*v)}),
                Datum::Series(s) if s.len() == ts.len() => {
                    if back.is_empty() {
                        back = ts.iter().map(|t| (*t, vec![f64::NAN; out.len()])).collect();
                    }
                    for (row, v) in back.iter_mut().zip(s) {
                        row.1[i] = *v;
                    }
                    let n = s.len().min(MAX_RESULT_POINTS);
                    json!({"unit": port.unit,
                        "ts_ms": ts[..n].iter().map(|t| t.div_euclid(1000)).collect::<Vec<_>>(),
                        "values": s[..n].iter().map(|v| number(*v)).collect::<Vec<_>>()})
                }
                Datum::Series(s) => {
                    let n = s.len().min(MAX_RESULT_POINTS);
                    json!({"unit": port.unit,
                        "values": s[..n].iter().map(|v| number(*v)).collect::<Vec<_>>()})
                }
                // Text models are refused when a job is checked.
                Datum::Text(t) => json!({"texts": t}),
            };
            outputs.insert(port.name.to_string(), v);
        }
        self.write_back(&back).await?;
        self.job.result = Some(json!({"outputs": outputs, "rows_in": ts.len(),
            "truncated": ts.len() > MAX_RESULT_POINTS}));
        Ok(())
    }

    /// An algorithm once per window; scalar outputs become series at the windows' starts.
    async fn windows(&mut self, window_s: u64, gathered: &mut Gathered) -> Result<(), Error> {
        let (from, _) = self.range();
        let width = i64::try_from(window_s)
            .ok()
            .and_then(|w| w.checked_mul(1_000_000))
            .unwrap_or(i64::MAX);
        let mut cursors = self.cursors();
        let mut current: Option<Micros> = None;
        let mut buf: Vec<Vec<f64>> = vec![Vec::new(); self.series.len()];
        let mut done: Vec<(Micros, Vec<f64>)> = Vec::new();
        while let Some((ts, cols)) = self.next_rows(&mut cursors).await? {
            for (r, t) in ts.iter().enumerate() {
                let w = from + (t - from) / width * width;
                if current != Some(w) {
                    if let Some(start) = current
                        && let Some(y) = self.window(std::mem::take(&mut buf)).await?
                    {
                        gathered.push(start, &y);
                        done.push((start, y));
                    }
                    buf = vec![Vec::new(); self.series.len()];
                    current = Some(w);
                }
                for (b, c) in buf.iter_mut().zip(&cols) {
                    b.push(c[r]);
                }
            }
            if done.len() >= 256 {
                self.write_back(&std::mem::take(&mut done)).await?;
            }
            self.save_now_and_then().await;
        }
        if let Some(start) = current
            && !self.stop.load(Ordering::Relaxed)
            && let Some(y) = self.window(std::mem::take(&mut buf)).await?
        {
            gathered.push(start, &y);
            done.push((start, y));
        }
        self.write_back(&done).await?;
        Ok(())
    }

    /// One window's evaluation: its scalar outputs (series outputs as NaN), or `None`
    /// when the algorithm refused this window.
    async fn window(&mut self, columns: Vec<Vec<f64>>) -> Result<Option<Vec<f64>>, Error> {
        self.admit(1).await?;
        let started = Instant::now();
        let result = Library::get().evaluate_data(self.card.id, self.data(columns));
        self.record(1, u64::from(result.is_err()), started);
        // Rows are the windows with a result (a refused window is counted in `refused`),
        // as for row-by-row jobs.
        self.job.rows += u64::from(result.is_ok());
        match result {
            Ok(out) => Ok(Some(
                out.iter()
                    .map(|d| match d {
                        Datum::Scalar(v) => *v,
                        Datum::Series(_) | Datum::Text(_) => f64::NAN,
                    })
                    .collect(),
            )),
            Err(e) => {
                self.refuse(e.into());
                Ok(None)
            }
        }
    }
}
