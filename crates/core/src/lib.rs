//! Ironloom's domain: the types every other crate speaks.
//!
//! Layout: `ids` (newtype identifiers), `i18n` (locales), `thing_model` (products'
//! property/event/service definitions, stored as W3C WoT Thing Models, converted to and from
//! Alibaba TSL), `industry` (GB/T 4754 sections, device categories), `auth` (roles,
//! permissions and the matrix between them), `entity` (tenants, users, products, devices …),
//! `cluster` (cluster mode's partition ownership, fencing and segment manifest), `peers`
//! (what the device edge asks of and answers to the other nodes of a cluster),
//! `driver_table` (the point tables an edge gateway runs, as
//! the platform stores and checks them), `error` (stable error codes with zh/en messages) and `repo` (the traits storage backends
//! implement).
//!
//! Invariants: no I/O and no async runtime here; every repository call that touches tenant
//! data takes the tenant id, so scoping cannot be forgotten by a caller.

pub mod activity;
pub mod alarm;
pub mod app;
pub mod app_install;
pub mod auth;
pub mod cluster;
pub mod command;
pub mod dashboard;
pub mod developer_stats;
pub mod device;
pub mod device_kind;
pub mod division;
pub mod driver_table;
pub mod edge_app;
pub mod enterprise;
pub mod entity;
pub mod error;
pub mod evaluation;
pub mod expr;
pub mod i18n;
pub mod identifier;
pub mod identifier_import;
pub mod ids;
pub mod industry;
pub mod ingest;
pub mod load;
pub mod market;
pub mod model;
pub mod model_run;
pub mod peers;
pub mod quantity;
pub mod region;
pub mod repo;
pub mod rule;
pub mod search;
pub mod sync;
pub mod telemetry;
pub mod thing_model;
pub mod trade;
pub mod units;
pub mod validate;
