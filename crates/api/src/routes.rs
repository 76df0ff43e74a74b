//! One module per resource; each `register`s its handlers on the OpenAPI router.

pub mod alarms;
pub mod api_keys;
pub mod app_panels;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod dashboards;
pub mod device_link;
pub mod devices;
pub mod edge_apps;
pub mod gateway_config;
pub mod groups;
pub mod market;
pub mod market_catalogue;
pub mod market_stats;
pub mod market_store;
pub mod market_trade;
pub mod model_runs;
pub mod models;
pub mod products;
pub mod rules;
pub mod system;
pub mod telemetry;
pub mod tenants;
pub mod users;
