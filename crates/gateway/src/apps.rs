//! Apps at the edge: the installations the platform deployed to this gateway, run next to
//! the drivers with the platform's sandbox ([`AppEngine`]) and a host API served here
//! ([`host::EdgeServices`]).
//!
//! The platform pushes the apps document (shared attribute `gateway_apps`) and each
//! package as base64 parts (`gateway_app_part_{digest}_{n}`); parts the gateway lacks it
//! asks for. Each package is read with the platform's reader and limits, its digest and
//! manifest compared with the document, its main module compiled; the document and the
//! verified packages are kept on disk (`pushed-apps.json` beside the buffer, packages and
//! key–value state under `apps/`), so apps run offline and after a restart. What runs is
//! reported in the client attribute `gateway_apps_status`.
//!
//! Triggers: the drivers' samples after edge preprocessing (telemetry, the platform's event
//! JSON), cron schedules (UTC, checked every minute). Events queue per installation
//! ([`QUEUE`] at most; a full queue skips the event and counts it: forwarding data never
//! waits for an app) and run one at a time, on blocking threads.

pub(crate) mod host;
pub mod recent;
#[cfg(test)]
mod tests;

use host::EdgeServices;
use ironloom_apps::{
    AppEngine, AppPackage, AppsConfig, Installation, InstallationStats, PackageLimits,
};
use ironloom_apps::{Scope, telemetry_event, telemetry_point, wants_telemetry};
use ironloom_core::app::{AppManifest, Trigger, cron_matches};
use ironloom_core::edge_app::{
    APPS_ATTRIBUTE, EdgeApps, EdgeInstallation, MAX_EDGE_PACKAGE_BYTES, PART_PREFIX, part_key,
};
use ironloom_core::sync::lock;
use ironloom_drivers::Sample;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Events waiting per installation.
pub const QUEUE: usize = 1024;
/// The file in the buffer directory holding the last pushed apps document.
pub const PUSHED_APPS_FILE: &str = "pushed-apps.json";

/// One installation running here.
struct Running {
    def: EdgeInstallation,
    manifest: AppManifest,
    inst: Arc<Mutex<Installation>>,
    stats: Arc<Mutex<InstallationStats>>,
    events: mpsc::Sender<Value>,
    stop: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[derive(Default)]
struct Deployed {
    /// The last document received; applied, or waiting for package parts.
    doc: Option<EdgeApps>,
    /// Package parts received and not yet made into a package.
    parts: HashMap<String, String>,
    /// Whether `doc` waits for parts it asked for.
    waiting: bool,
    running: Vec<Arc<Running>>,
    /// Why installations of the document do not run, by id.
    failed: BTreeMap<String, String>,
    /// Problems of the last document received as a whole (then nothing of it was
    /// applied), and its version.
    refused: Vec<String>,
    refused_version: Option<u64>,
}

/// What handling pushed shared attributes asks of the uplink.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Report this status (`gateway_apps_status`).
    pub status: Option<Value>,
    /// Ask the platform for these shared attributes (missing package parts).
    pub request: Vec<String>,
}

/// The apps of this gateway.
pub struct EdgeRuntime {
    services: Arc<EdgeServices>,
    engine: Mutex<Option<Arc<AppEngine>>>,
    /// `{buffer dir}/pushed-apps.json`.
    pushed: PathBuf,
    /// `{buffer dir}/apps/packages`.
    packages: PathBuf,
    state: Mutex<Deployed>,
    /// What runs, for the triggers: swapped whole when a document is applied, so the
    /// drivers' samples never wait for a package being compiled.
    live: Mutex<Arc<Vec<Arc<Running>>>>,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for EdgeRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeRuntime").finish_non_exhaustive()
    }
}

fn b64(s: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("the package's parts are not base64: {e}"))
}

impl EdgeRuntime {
    pub(crate) fn new(services: Arc<EdgeServices>, buffer_dir: &std::path::Path) -> EdgeRuntime {
        EdgeRuntime {
            runtime: services.runtime.clone(),
            services,
            engine: Mutex::new(None),
            pushed: buffer_dir.join(PUSHED_APPS_FILE),
            packages: buffer_dir.join("apps").join("packages"),
            state: Mutex::new(Deployed::default()),
            live: Mutex::default(),
        }
    }

    /// The engine, started on first use (a gateway without apps pays nothing for it).
    fn engine(&self) -> Result<Arc<AppEngine>, String> {
        let mut e = lock(&self.engine);
        if let Some(e) = e.as_ref() {
            return Ok(e.clone());
        }
        let config = AppsConfig {
            max_instances: 64,
            workers: 2,
            ..AppsConfig::default()
        };
        let engine = Arc::new(AppEngine::new(&config).map_err(|e| e.to_string())?);
        *e = Some(engine.clone());
        Ok(engine)
    }

    /// Runs the document the platform pushed last (from disk), also while offline.
    pub fn load_saved(&self) {
        let Ok(bytes) = std::fs::read(&self.pushed) else {
            return;
        };
        match serde_json::from_slice::<EdgeApps>(&bytes) {
            Ok(doc) => {
                let out = self.apply(doc);
                tracing::info!(status = %out.status.unwrap_or_default(), "gateway: apps of the last pushed document");
            }
            Err(e) => tracing::warn!(error = %e, "gateway: the saved apps document is unreadable"),
        }
    }

    /// Handles shared attributes from the platform (an update or the answer to a request):
    /// package parts are kept, a new apps document applied once its packages are complete.
    pub fn on_shared(&self, shared: &Map<String, Value>) -> Outcome {
        let mut got_parts = false;
        {
            let mut st = lock(&self.state);
            for (k, v) in shared {
                if k.starts_with(PART_PREFIX)
                    && let Some(s) = v.as_str()
                {
                    st.parts.insert(k.clone(), s.to_owned());
                    got_parts = true;
                }
            }
        }
        let doc = match shared.get(APPS_ATTRIBUTE) {
            Some(v) => match serde_json::from_value::<EdgeApps>(v.clone()) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::warn!(error = %e, "gateway: pushed apps document refused");
                    let mut st = lock(&self.state);
                    st.refused = vec![format!("not an apps document: {e}")];
                    st.refused_version = v.get("version").and_then(Value::as_u64);
                    return Outcome {
                        status: Some(status_of(&st, st.refused_version)),
                        request: Vec::new(),
                    };
                }
            },
            // Parts arriving for a document that waits for them.
            None if got_parts => {
                let st = lock(&self.state);
                st.doc.clone().filter(|_| st.waiting)
            }
            None => None,
        };
        match doc {
            Some(doc) => self.apply(doc),
            None => Outcome::default(),
        }
    }

    /// The platform removed the apps document: nothing runs any more.
    pub fn on_deleted(&self) -> Outcome {
        self.apply(EdgeApps::default())
    }

    /// What runs, for the periodic report; `None` when no document ever came.
    pub fn status(&self) -> Option<Value> {
        let st = lock(&self.state);
        if !st.refused.is_empty() {
            return Some(status_of(&st, st.refused_version));
        }
        let doc = st.doc.as_ref()?;
        Some(status_of(&st, Some(doc.version)))
    }

    fn package_bytes(
        &self,
        st: &Deployed,
        inst: &EdgeInstallation,
    ) -> Result<Vec<u8>, Vec<String>> {
        if let Ok(b) = std::fs::read(self.packages.join(format!("{}.ilapp", inst.digest))) {
            return Ok(b);
        }
        let keys: Vec<String> = (0..inst.parts).map(|n| part_key(&inst.digest, n)).collect();
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| !st.parts.contains_key(*k))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let text: String = keys
            .iter()
            .filter_map(|k| st.parts.get(k))
            .map(String::as_str)
            .collect();
        // A part set that does not decode is a package problem, reported by the reader.
        Ok(b64(&text).unwrap_or_default())
    }

    /// Verifies a package against its entry in the document and compiles its main module.
    fn verify(
        &self,
        inst: &EdgeInstallation,
        bytes: &[u8],
    ) -> Result<(AppManifest, ironloom_apps::AppModule), String> {
        if bytes.len() as u64 > MAX_EDGE_PACKAGE_BYTES {
            return Err(format!(
                "the package has {} bytes, a gateway takes at most {MAX_EDGE_PACKAGE_BYTES}",
                bytes.len()
            ));
        }
        let pkg = AppPackage::read(bytes, &PackageLimits::default(), None)
            .map_err(|e| format!("the package was refused: {e}"))?;
        if pkg.digest != inst.digest {
            return Err(format!(
                "the package's digest is {}, the document says {}",
                pkg.digest, inst.digest
            ));
        }
        let m = pkg.manifest.clone();
        if m.id != inst.app_id || m.version != inst.version || m.triggers != inst.triggers {
            return Err(format!(
                "the package is {} {}, the document says {} {} (with the same triggers)",
                m.id, m.version, inst.app_id, inst.version
            ));
        }
        let wasm = pkg.module("main").ok_or("the package has no main module")?;
        let module = self.engine()?.compile(wasm).map_err(|e| e.to_string())?;
        Ok((m, module))
    }

    /// Applies a document: packages verified and kept, installations started or stopped.
    fn apply(&self, doc: EdgeApps) -> Outcome {
        let problems = doc.check();
        let mut st = lock(&self.state);
        if !problems.is_empty() {
            tracing::warn!(
                count = problems.len(),
                "gateway: pushed apps document refused"
            );
            st.refused = problems;
            st.refused_version = Some(doc.version);
            return Outcome {
                status: Some(status_of(&st, Some(doc.version))),
                request: Vec::new(),
            };
        }
        st.refused.clear();
        st.doc = Some(doc.clone());
        let mut packages = Vec::new();
        let mut missing = Vec::new();
        for inst in &doc.installations {
            match self.package_bytes(&st, inst) {
                Ok(b) => packages.push(b),
                Err(keys) => missing.extend(keys),
            }
        }
        st.waiting = !missing.is_empty();
        if st.waiting {
            missing.sort();
            missing.dedup();
            return Outcome {
                status: None,
                request: missing,
            };
        }
        let mut failed = BTreeMap::new();
        let mut running = Vec::new();
        for (inst, bytes) in doc.installations.iter().zip(packages) {
            if let Some(r) = st.running.iter().find(|r| r.def == *inst) {
                running.push(r.clone());
                continue;
            }
            match self.verify(inst, &bytes) {
                Ok((manifest, module)) => {
                    let path = self.packages.join(format!("{}.ilapp", inst.digest));
                    if !path.exists() {
                        let tmp = path.with_extension("tmp");
                        let kept = std::fs::create_dir_all(&self.packages)
                            .and_then(|()| std::fs::write(&tmp, &bytes))
                            .and_then(|()| std::fs::rename(&tmp, &path));
                        if let Err(e) = kept {
                            tracing::warn!(error = %e, "gateway: app package not kept on disk");
                        }
                    }
                    match self.start(inst, manifest, &module) {
                        Ok(r) => running.push(r),
                        Err(e) => {
                            failed.insert(inst.id.clone(), e);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(installation = %inst.name, error = %e, "gateway: app not started");
                    // A damaged copy on disk is fetched again with the next document.
                    let _ =
                        std::fs::remove_file(self.packages.join(format!("{}.ilapp", inst.digest)));
                    failed.insert(inst.id.clone(), e);
                }
            }
        }
        *lock(&self.live) = Arc::new(running.clone());
        st.running = running;
        st.failed = failed;
        st.parts.clear();
        if let Ok(b) = serde_json::to_vec(&doc) {
            let tmp = self.pushed.with_extension("tmp");
            if std::fs::write(&tmp, b).is_ok() {
                let _ = std::fs::rename(&tmp, &self.pushed);
            }
        }
        self.forget_unused_packages(&doc);
        tracing::info!(
            version = doc.version,
            running = st.running.len(),
            failed = st.failed.len(),
            "gateway: apps applied"
        );
        Outcome {
            status: Some(status_of(&st, Some(doc.version))),
            request: Vec::new(),
        }
    }

    fn forget_unused_packages(&self, doc: &EdgeApps) {
        let Ok(dir) = std::fs::read_dir(&self.packages) else {
            return;
        };
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let used = doc
                .installations
                .iter()
                .any(|i| name == format!("{}.ilapp", i.digest));
            if !used {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// Starts an installation: its instance, its queue and the task that runs its events.
    fn start(
        &self,
        def: &EdgeInstallation,
        manifest: AppManifest,
        module: &ironloom_apps::AppModule,
    ) -> Result<Arc<Running>, String> {
        let scope = Scope {
            // The gateway's own scope: the platform's tenant is not known here, and every
            // call is answered from this gateway's devices.
            tenant: ironloom_core::ids::TenantId(uuid::Uuid::nil()),
            installation: def.id.clone(),
            name: def.name.clone(),
            app: def.app_id.clone(),
            version: def.version.clone(),
            products: def.products.clone(),
            config: def.config.clone(),
        };
        let services: Arc<dyn ironloom_apps::HostServices> = self.services.clone();
        let inst =
            self.engine()?
                .install(module, scope, def.grant.clone(), manifest.limits, services);
        let inst = Arc::new(Mutex::new(inst));
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(Mutex::new(InstallationStats {
            loaded: true,
            ..InstallationStats::default()
        }));
        let stop = self.services.cancel.child_token();
        self.runtime.spawn(run_events(
            inst.clone(),
            rx,
            stats.clone(),
            def.name.clone(),
            stop.clone(),
        ));
        Ok(Arc::new(Running {
            def: def.clone(),
            manifest,
            inst,
            stats,
            events: tx,
            stop,
        }))
    }

    fn offer(r: &Running, event: &Value) {
        if lock(&r.stats).skip(chrono::Utc::now()) {
            return;
        }
        if r.events.try_send(event.clone()).is_err() {
            lock(&r.stats).skipped += 1;
        }
    }

    /// The drivers' samples after preprocessing: kept in the recent-values window and
    /// handed to the installations whose telemetry triggers want them.
    pub fn observe(&self, samples: &[Sample]) {
        let running = lock(&self.live).clone();
        if running.is_empty() {
            return;
        }
        let mut by_device: BTreeMap<&str, Vec<(&str, i64, Value)>> = BTreeMap::new();
        {
            let mut recent = lock(&self.services.recent);
            for s in samples {
                let Some(v) = &s.value else { continue };
                let v = crate::agent::json_of(v);
                recent.add(&s.device, &s.point, s.ts_ms, v.clone());
                by_device
                    .entry(&s.device)
                    .or_default()
                    .push((&s.point, s.ts_ms, v));
            }
        }
        // The products of just the devices read, looked up once.
        let products: HashMap<&str, String> = {
            let routes = lock(&self.services.routes);
            by_device
                .keys()
                .filter_map(|d| Some((*d, routes.products.get(*d)?.clone()?)))
                .collect()
        };
        for (device, points) in by_device {
            let Some(product) = products.get(device) else {
                continue;
            };
            let mut event = None;
            for r in running.iter() {
                if !r.def.products.contains(product)
                    || !wants_telemetry(&r.manifest, points.iter().map(|p| p.0))
                {
                    continue;
                }
                let ev = event.get_or_insert_with(|| {
                    let pts = points
                        .iter()
                        .map(|(p, ts, v)| telemetry_point(p, *ts, v))
                        .collect();
                    telemetry_event(device, product, pts)
                });
                Self::offer(r, ev);
            }
        }
    }

    /// Runs an installation now on `event` (a manual run the platform asks for), after the
    /// event it may be running; the answer is the invocation, as a run on the platform
    /// answers it.
    pub async fn run_now(&self, id: &str, event: Value) -> Value {
        let running = lock(&self.live).iter().find(|r| r.def.id == id).cloned();
        let Some(r) = running else {
            return json!({"error": format!("installation {id} does not run on this gateway")});
        };
        let Ok(bytes) = serde_json::to_vec(&event) else {
            return json!({"error": "the event is not JSON"});
        };
        let inst = r.inst.clone();
        match tokio::task::spawn_blocking(move || lock(&inst).invoke(&bytes)).await {
            Ok(out) => {
                log_invocation(&r.def.name, &out, lock(&r.stats).note(&out));
                serde_json::to_value(&out).unwrap_or_default()
            }
            Err(e) => json!({"error": format!("the run failed: {e}")}),
        }
    }

    /// Runs the schedules, every minute (UTC), until `cancel`.
    pub async fn schedule(self: Arc<Self>, cancel: CancellationToken) {
        loop {
            let now = chrono::Utc::now();
            let wait = 60 - u64::from(chrono::Timelike::second(&now));
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(std::time::Duration::from_secs(wait.max(1))) => {}
            }
            self.due(chrono::Utc::now());
        }
    }

    /// Hands the schedule event of minute `at` to the installations whose cron matches it.
    fn due(&self, at: chrono::DateTime<chrono::Utc>) {
        let running = lock(&self.live).clone();
        for r in running.iter() {
            for t in &r.manifest.triggers {
                if let Trigger::Schedule { cron } = t
                    && cron_matches(cron, &at)
                {
                    let ev = json!({"kind": "schedule", "cron": cron, "at": at.timestamp_millis()});
                    Self::offer(r, &ev);
                }
            }
        }
    }
}

/// The report: the document's version, whether all of it runs, and each installation.
fn status_of(st: &Deployed, version: Option<u64>) -> Value {
    if !st.refused.is_empty() {
        return json!({"applied": false, "version": version, "errors": st.refused});
    }
    let Some(doc) = &st.doc else {
        return json!({"applied": false, "version": version});
    };
    let installations: Vec<Value> = doc
        .installations
        .iter()
        .map(|i| {
            let running = st.running.iter().find(|r| r.def.id == i.id);
            let stats = running.map(|r| lock(&r.stats).clone()).unwrap_or_default();
            json!({"id": i.id, "name": i.name, "app_id": i.app_id, "version": i.version,
                "running": running.is_some(), "error": st.failed.get(&i.id),
                "invocations": stats.invocations, "errors": stats.errors,
                "last_error": stats.last_error, "last_run": stats.last_run,
                "skipped": stats.skipped, "paused_until": stats.paused_until})
        })
        .collect();
    json!({"applied": st.failed.is_empty(), "version": doc.version,
        "installations": installations})
}

/// Runs an installation's events in arrival order, one at a time, on a blocking thread.
async fn run_events(
    inst: Arc<Mutex<Installation>>,
    mut rx: mpsc::Receiver<Value>,
    stats: Arc<Mutex<InstallationStats>>,
    name: String,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            () = stop.cancelled() => return,
            e = rx.recv() => match e {
                Some(e) => e,
                None => return,
            },
        };
        let Ok(bytes) = serde_json::to_vec(&event) else {
            continue;
        };
        let i = inst.clone();
        let Ok(out) = tokio::task::spawn_blocking(move || lock(&i).invoke(&bytes)).await else {
            return;
        };
        log_invocation(&name, &out, lock(&stats).note(&out));
    }
}

/// Writes what an invocation did to the gateway's log (app lines at DEBUG, failures at WARN).
fn log_invocation(name: &str, out: &ironloom_apps::Invocation, pause: Option<std::time::Duration>) {
    for l in &out.logs {
        tracing::debug!(installation = %name, level = ?l.level, message = %l.message, "app log");
    }
    match &out.result {
        Ok(0) => {}
        Ok(code) => tracing::warn!(installation = %name, code, "gateway app returned a failure"),
        Err(e) => tracing::warn!(installation = %name, error = %e, "gateway app stopped"),
    }
    if let Some(p) = pause {
        tracing::warn!(installation = %name, seconds = p.as_secs(), "gateway app paused after repeated stops");
    }
}
