//! Ironloom's device-facing edge: how devices log in, what their messages mean, and how
//! their data reaches durable storage.
//!
//! Layout: `auth` (access tokens, basic credentials, Alibaba Alink HMAC sign-in, the
//! failed-login guard), `payload` (ThingsBoard and Alink payloads, JSON and CBOR, into the
//! internal model of `ironloom_core::device`), `hub` (transport-independent: log-in,
//! validation against the thing model, the one ingest path, error and event logs, live
//! status, commands; a folder of small modules), `mqtt` (the device API on the embedded
//! MQTT server, one module per dialect), `http` and `coap` (the device API over HTTP and
//! CoAP, sharing `rest`), `config` (the `[devices]` section).
//!
//! Invariants: a message is acknowledged only after `hub` returned, and `hub` returns only
//! after the time-series store made the accepted values durable. Every refused value is
//! answered (reason code, reply or error topic), counted, and written to the device's
//! error log; nothing is dropped silently. A device can only reach its own topics. Data
//! the platform derives for a device (rules; later models and apps) enters through the
//! same path ([`ironloom_bus::Ingest`]), and everything stored is announced on the bus.
//!
//! Departure from ARCHITECTURE.md: the device API sits in this "edge" crate (like `api`),
//! depending on the protocol crates, because the topic dialects are the device API, not
//! the protocol.

pub mod auth;
pub mod coap;
pub mod config;
pub mod http;
pub mod hub;
pub mod mqtt;
pub mod payload;
pub mod rest;
pub mod tb;

pub use config::HubConfig;
pub use hub::{DeviceCtx, DeviceHub, IngestOutcome, downlink, provision};
pub use mqtt::MqttDevices;
