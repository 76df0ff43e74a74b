//! MQTT ingest benchmark: a load generator for many devices (throughput, publish-to-PUBACK
//! latency, idle connections) and the harness that runs it against Ironloom and mosquitto
//! in one run. See `README.md`.

pub mod broker;
pub mod conn;
pub mod idle;
pub mod ironloom;
pub mod load;
pub mod packet;
pub mod report;
pub mod third_party;
