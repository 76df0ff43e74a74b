//! Edge gateway benchmark: `ironloom gateway` polling the Modbus simulator and forwarding
//! to `ironloom serve`, three separate processes; points per second per core, resident
//! memory, change-to-stored latency, and pymodbus reading the same registers as the peer.
//! See `README.md`.

pub mod api;
pub mod gwconfig;
pub mod health;
pub mod latency;
pub mod peer;
pub mod report;
