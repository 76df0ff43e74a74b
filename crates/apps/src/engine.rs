//! The wasmtime engine, compiled modules, and an installation's instance.

use crate::config::AppsConfig;
use crate::error::AppError;
use crate::host::{self, HostServices, LogLevel, LogLine, Scope};
use crate::wasi;
use ironloom_core::app::{Limits, MAX_MEMORY_MIB, Permission};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module,
    PoolingAllocationConfig, ResourceLimiter, Store, Trap, TypedFunc,
};

/// The epoch advances this often; wall-time deadlines are counted in these ticks.
const TICK: Duration = Duration::from_millis(2);

/// One engine per process: it compiles modules and keeps the instance pool.
#[derive(Debug)]
pub struct AppEngine {
    engine: Engine,
    linker: Arc<Linker<State>>,
    config: AppsConfig,
    stop: Arc<AtomicBool>,
}

impl Drop for AppEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl AppEngine {
    pub fn new(config: &AppsConfig) -> Result<AppEngine, AppError> {
        config.validate().map_err(AppError::Config)?;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(config.max_instances)
            .total_memories(config.max_instances)
            .total_tables(config.max_instances)
            .max_memory_size((MAX_MEMORY_MIB as usize) << 20);
        let mut c = Config::new();
        // Each pooled memory reserves only what an app may have (not wasmtime's 4 GiB
        // default), so a thousand slots stay within any address-space limit; accesses then
        // carry explicit bounds checks.
        c.memory_reservation(u64::from(MAX_MEMORY_MIB) << 20)
            .memory_guard_size(64 << 10)
            .memory_reservation_for_growth(0);
        c.consume_fuel(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&c).map_err(|e| AppError::StartEngine(e.to_string()))?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker)
            .and_then(|()| host::add_to_linker(&mut linker))
            .map_err(|e| AppError::StartEngine(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (e, s) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("apps-epoch".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    e.increment_epoch();
                }
            })
            .map_err(|e| AppError::StartEngine(e.to_string()))?;
        Ok(AppEngine {
            engine,
            linker: Arc::new(linker),
            config: config.clone(),
            stop,
        })
    }

    /// Compiles a module and checks that it imports only what the platform provides and
    /// exports what an app must.
    pub fn compile(&self, wasm: &[u8]) -> Result<AppModule, AppError> {
        if wasm.len() > self.config.max_module_bytes {
            return Err(AppError::ModuleTooLarge {
                size: wasm.len(),
                max: self.config.max_module_bytes,
            });
        }
        let module = Module::new(&self.engine, wasm)
            .map_err(|e| AppError::CompileModule(format!("{e:#}")))?;
        for import in module.imports() {
            let known = match import.module() {
                "ironloom" => ["log", "call"].contains(&import.name()),
                "wasi_snapshot_preview1" => wasi::PROVIDED.contains(&import.name()),
                _ => false,
            };
            if !known {
                return Err(AppError::UnknownImport {
                    module: import.module().into(),
                    name: import.name().into(),
                });
            }
        }
        for export in ["memory", "ironloom_alloc", "ironloom_on_event"] {
            if module.get_export(export).is_none() {
                return Err(AppError::MissingExport(export));
            }
        }
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| AppError::Instantiate(format!("{e:#}")))?;
        Ok(AppModule { pre: Arc::new(pre) })
    }

    /// An installation of a compiled module; it starts its instance on its first event.
    pub fn install(
        &self,
        module: &AppModule,
        scope: Scope,
        grant: Vec<Permission>,
        limits: Limits,
        services: Arc<dyn HostServices>,
    ) -> Installation {
        Installation {
            engine: self.engine.clone(),
            pre: module.pre.clone(),
            scope: Arc::new(scope),
            grant: grant.into(),
            limits,
            services,
            config: self.config.clone(),
            live: None,
        }
    }
}

/// A compiled, checked module, shared by every installation of one app version.
#[derive(Clone)]
pub struct AppModule {
    pre: Arc<InstancePre<State>>,
}

impl std::fmt::Debug for AppModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppModule")
    }
}

/// What the store of an instance carries: who it is, what it may do, what it logged.
pub(crate) struct State {
    pub(crate) scope: Arc<Scope>,
    pub(crate) grant: Arc<[Permission]>,
    pub(crate) services: Arc<dyn HostServices>,
    pub(crate) max_call_bytes: usize,
    pub(crate) host_calls: u64,
    /// Operations refused because the grant lacks their permission.
    pub(crate) denied: Vec<String>,
    /// What the app answered to an HTTP event (host operation `reply`).
    pub(crate) reply: Option<serde_json::Value>,
    pub(crate) started: Instant,
    memory_cap: usize,
    memory_refused: bool,
    max_log_bytes: usize,
    log_bytes: usize,
    logs: Vec<LogLine>,
    /// Unfinished lines of stdout and stderr.
    partial: [Vec<u8>; 2],
}

impl State {
    pub(crate) fn push_log(&mut self, level: LogLevel, message: &str) {
        if self.log_bytes >= self.max_log_bytes {
            return;
        }
        self.log_bytes += message.len();
        if self.log_bytes >= self.max_log_bytes {
            self.logs.push(LogLine {
                level: LogLevel::Warn,
                message: format!("(logs cut at {} bytes)", self.max_log_bytes),
            });
            return;
        }
        self.logs.push(LogLine {
            level,
            message: message.to_string(),
        });
    }

    /// stdout and stderr become log lines, one per line of text.
    pub(crate) fn push_output(&mut self, level: LogLevel, bytes: &[u8]) {
        let i = usize::from(level != LogLevel::Info);
        let mut buf = std::mem::take(&mut self.partial[i]);
        buf.extend_from_slice(bytes);
        let mut rest = buf.as_slice();
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            self.push_log(level, &String::from_utf8_lossy(&rest[..nl]));
            rest = &rest[nl + 1..];
        }
        // A line without its end is kept, within the log budget.
        self.partial[i] = rest[..rest.len().min(self.max_log_bytes)].to_vec();
    }

    fn flush_output(&mut self) {
        for (i, level) in [LogLevel::Info, LogLevel::Warn].into_iter().enumerate() {
            let rest = std::mem::take(&mut self.partial[i]);
            if !rest.is_empty() {
                self.push_log(level, &String::from_utf8_lossy(&rest));
            }
        }
    }
}

impl ResourceLimiter for State {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.memory_refused = true;
            return Err(wasmtime::Error::msg("memory limit reached"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Why an invocation did not complete. The instance is dropped after each of these
/// (crash-only); the next event starts a fresh one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunError {
    /// The app used up its fuel (an endless loop, or too much work for one event).
    OutOfFuel { fuel: u64 },
    /// The invocation ran past its wall-time limit (host calls included).
    Timeout { ms: u32 },
    /// The app asked for more memory than its limit.
    MemoryLimit { mib: u32 },
    /// The app trapped (unreachable, out-of-bounds access, division by zero, exit …).
    Trap { message: String },
    /// The instance could not be started.
    Start { message: String },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::OutOfFuel { fuel } => write!(f, "stopped: used all its fuel ({fuel})"),
            RunError::Timeout { ms } => write!(f, "stopped: ran longer than {ms} ms"),
            RunError::MemoryLimit { mib } => write!(f, "stopped: needed more than {mib} MiB"),
            RunError::Trap { message } => write!(f, "trapped: {message}"),
            RunError::Start { message } => write!(f, "could not start: {message}"),
        }
    }
}

/// What one invocation did.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Invocation {
    /// The status `ironloom_on_event` returned (0 for success), or why it stopped.
    pub result: Result<i32, RunError>,
    pub logs: Vec<LogLine>,
    pub fuel: u64,
    pub host_calls: u64,
    /// Host operations refused for want of a permission (each once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denied: Vec<String>,
    /// The app's answer to an HTTP event, if it gave one.
    pub reply: Option<serde_json::Value>,
    pub elapsed: Duration,
    /// Whether this invocation started the instance.
    pub cold: bool,
}

struct Live {
    store: Store<State>,
    memory: wasmtime::Memory,
    alloc: TypedFunc<i32, i32>,
    on_event: TypedFunc<(i32, i32), i32>,
}

/// One app installed for one tenant: its grant, limits and (while it runs) its instance.
/// Invocations take `&mut self`: one at a time per installation.
pub struct Installation {
    engine: Engine,
    pre: Arc<InstancePre<State>>,
    scope: Arc<Scope>,
    grant: Arc<[Permission]>,
    limits: Limits,
    services: Arc<dyn HostServices>,
    config: AppsConfig,
    live: Option<Live>,
}

impl std::fmt::Debug for Installation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installation")
            .field("scope", &self.scope)
            .field("limits", &self.limits)
            .field("running", &self.live.is_some())
            .finish()
    }
}

impl Installation {
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Whether an instance is kept between events.
    pub fn is_running(&self) -> bool {
        self.live.is_some()
    }

    /// Drops the instance (its memory goes back to the pool); the next event starts anew.
    pub fn stop(&mut self) {
        self.live = None;
    }

    fn start(&self) -> Result<Live, RunError> {
        let state = State {
            scope: self.scope.clone(),
            grant: self.grant.clone(),
            services: self.services.clone(),
            max_call_bytes: self.config.max_call_bytes,
            host_calls: 0,
            denied: Vec::new(),
            reply: None,
            started: Instant::now(),
            memory_cap: (self.limits.memory_mib as usize) << 20,
            memory_refused: false,
            max_log_bytes: self.config.max_log_bytes,
            log_bytes: 0,
            logs: Vec::new(),
            partial: [Vec::new(), Vec::new()],
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s as &mut dyn ResourceLimiter);
        self.arm(&mut store)
            .map_err(|e| RunError::Start { message: e })?;
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.classify(&store, &e))?;
        let func = |name: &str| RunError::Start {
            message: format!("{name} has the wrong signature"),
        };
        let alloc = instance
            .get_typed_func::<i32, i32>(&mut store, "ironloom_alloc")
            .map_err(|_| func("ironloom_alloc"))?;
        let on_event = instance
            .get_typed_func::<(i32, i32), i32>(&mut store, "ironloom_on_event")
            .map_err(|_| func("ironloom_on_event"))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| func("memory"))?;
        // A reactor (C's `-mexec-model=reactor`) runs its constructors here.
        if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
            init.call(&mut store, ())
                .map_err(|e| self.classify(&store, &e))?;
        }
        Ok(Live {
            store,
            memory,
            alloc,
            on_event,
        })
    }

    /// Gives the store this invocation's fuel and deadline.
    fn arm(&self, store: &mut Store<State>) -> Result<(), String> {
        store
            .set_fuel(self.limits.fuel)
            .map_err(|e| e.to_string())?;
        let ticks = (u64::from(self.limits.timeout_ms) * 1000)
            .div_ceil(u64::try_from(TICK.as_micros()).unwrap_or(1000))
            .max(1);
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        Ok(())
    }

    fn classify(&self, store: &Store<State>, e: &wasmtime::Error) -> RunError {
        if store.data().memory_refused {
            return RunError::MemoryLimit {
                mib: self.limits.memory_mib,
            };
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => RunError::OutOfFuel {
                fuel: self.limits.fuel,
            },
            Some(Trap::Interrupt) => RunError::Timeout {
                ms: self.limits.timeout_ms,
            },
            _ => RunError::Trap {
                message: format!("{e:#}"),
            },
        }
    }

    /// Runs the app on one event (JSON bytes handed to `ironloom_on_event`).
    pub fn invoke(&mut self, event: &[u8]) -> Invocation {
        let t0 = Instant::now();
        let cold = self.live.is_none();
        let mut live = match self.live.take() {
            Some(l) => l,
            None => match self.start() {
                Ok(l) => l,
                Err(e) => {
                    return Invocation {
                        result: Err(e),
                        logs: Vec::new(),
                        fuel: 0,
                        host_calls: 0,
                        denied: Vec::new(),
                        reply: None,
                        elapsed: t0.elapsed(),
                        cold,
                    };
                }
            },
        };
        let result = self.run(&mut live, event);
        let fuel = self
            .limits
            .fuel
            .saturating_sub(live.store.get_fuel().unwrap_or(0));
        let state = live.store.data_mut();
        state.flush_output();
        let logs = std::mem::take(&mut state.logs);
        state.log_bytes = 0;
        let host_calls = std::mem::take(&mut state.host_calls);
        let denied = std::mem::take(&mut state.denied);
        let reply = state.reply.take();
        if result.is_ok() {
            self.live = Some(live);
        }
        Invocation {
            result,
            logs,
            fuel,
            host_calls,
            denied,
            reply,
            elapsed: t0.elapsed(),
            cold,
        }
    }

    fn run(&self, live: &mut Live, event: &[u8]) -> Result<i32, RunError> {
        self.arm(&mut live.store)
            .map_err(|message| RunError::Start { message })?;
        let len = i32::try_from(event.len()).map_err(|_| RunError::Trap {
            message: "event too large".into(),
        })?;
        let ptr = live
            .alloc
            .call(&mut live.store, len)
            .map_err(|e| self.classify(&live.store, &e))?;
        let written = usize::try_from(ptr)
            .ok()
            .filter(|_| ptr != 0)
            .and_then(|p| live.memory.write(&mut live.store, p, event).ok());
        if written.is_none() {
            return Err(RunError::Trap {
                message: "ironloom_alloc returned no usable memory for the event".into(),
            });
        }
        live.on_event
            .call(&mut live.store, (ptr, len))
            .map_err(|e| self.classify(&live.store, &e))
    }
}
