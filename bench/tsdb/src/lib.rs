//! The time-series benchmark: a deterministic industrial IoT dataset, the [`target::Target`]
//! trait every benchmarked database implements, the peer databases, answer verification
//! and the report. The `tsdb-bench` binary runs it.

pub mod dataset;
pub mod encode;
pub mod ironloom;
pub mod ironloom_http;
pub mod peers;
pub mod report;
pub mod server;
pub mod target;
pub mod verify;
