//! What the benchmark harnesses under `bench/` share, so that each keeps only what is its
//! own (its load, its peer, its report):
//!
//! - [`process`]: a child process (a server under test or a peer) logging to a file,
//!   killed when dropped, waited for (a log line, an HTTP endpoint, a TCP port) and
//!   stopped gracefully; free loopback ports.
//! - [`ironloom`]: `ironloom serve` on a private data directory with every listener (HTTP,
//!   MQTT, CoAP) on a free port, so a harness never collides with another instance; the
//!   binary's location and the log-ins of the REST API.
//! - [`procfs`]: CPU time, memory and open files of processes and of the machine, from
//!   `/proc`.
//! - [`machine`]: the facts a report names the machine by.
//! - [`stats`]: a latency histogram and nearest-rank percentiles.
//! - [`run`]: the options every harness takes (`--workdir`, `--keep`, `--json`,
//!   `--ironloom-bin`), the command line and start time for the report, writing the
//!   results, stopping cleanly on Ctrl-C, and number formats.
//!
//! A library crate rather than shared source files: the harnesses are separate crates
//! and binaries, and a crate is tested once, on its own.
//! `run-lib.sh` beside it is the same for the harnesses' `run.sh` scripts.

pub mod http;
pub mod ironloom;
pub mod machine;
pub mod process;
pub mod procfs;
pub mod run;
pub mod stats;
