//! Industrial apps: WebAssembly modules run next to the data in a sandbox.
//!
//! Layout: `engine` (the wasmtime engine with fuel, epoch deadlines, a memory cap and a
//! pooled instance allocator; compiled modules; an installation's instance and its
//! invocations), `wasi` (the WASI preview 1 calls an app gets: clocks, randomness, logs
//! through stdout/stderr — no files, no sockets, no environment), `host` (the host API of
//! module `ironloom`: logs and one `call` for every platform service, each checked
//! against the installation's grant before the platform sees it), `package` (the
//! one-file app package: reading it within limits, listing every problem; packing one),
//! `fixture` (recorded-fixture tests: the format, a tap recording host calls, the
//! comparison), `checks` (the marketplace's automated checks of a submitted package),
//! `signing` (the marketplace's ed25519 package signatures and sealed signing keys),
//! `config`, `error`.
//! The manifest type is `ironloom_core::app`.
//!
//! Invariants: an app never blocks the platform (fuel and a wall-clock deadline bound
//! every invocation, memory is capped per instance); a trap ends the instance, not the
//! installation (the next event gets a fresh one, crash-only); every host call names the
//! installation's tenant, and the permission it needs is checked here, not by the app.

pub mod checks;
pub mod config;
pub mod engine;
pub mod error;
pub mod fixture;
pub mod host;
mod http;
pub mod ops;
pub mod package;
pub mod platform;
pub mod runner;
pub mod signing;
mod wasi;

pub use config::AppsConfig;
pub use engine::{AppEngine, AppModule, Installation, Invocation, RunError};
pub use error::AppError;
pub use host::{HostError, HostOp, HostServices, LogLevel, LogLine, Scope};
pub use package::{AppPackage, PackageError, PackageLimits};
pub use platform::{Platform, PlatformServices};
pub use runner::{
    AppHost, InstallationStats, alarm_event, telemetry_event, telemetry_point, wants_telemetry,
};
