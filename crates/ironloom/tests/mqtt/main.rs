//! `ironloom serve` as a process with devices on MQTT: Eclipse Paho over TCP and WebSocket
//! (`paho`), a SIGKILL under MQTT load (`crash`), and commands, attributes and device logs
//! through the REST API (`commands`), cluster mode (`cluster`, and devices' sessions,
//! commands and live data across its nodes: `cluster_sessions`), the edge gateway (`gateway`) and apps deployed to it
//! (`edge_apps`). Values are checked through the REST
//! API, as a user would read them.

// Test code: a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[cfg(feature = "cluster")]
mod cluster;
#[cfg(feature = "cluster")]
mod cluster_alarms;
#[cfg(feature = "cluster")]
mod cluster_faults;
#[cfg(feature = "cluster")]
mod cluster_sessions;
mod commands;
mod crash;
mod demo_store;
mod drain;
mod edge_apps;
mod evaluation;
mod gateway;
mod identifier_apis;
mod identifier_imports;
mod identifier_resolvers;
mod identifiers;
mod influx;
mod linkkit;
mod live;
mod market;
mod market_trade;
mod paho;
mod rules;
mod tb_gateway;
mod tls;
