//! placeholder
pub mod browse;
pub mod config;
pub mod convert;
pub mod driver;
pub mod error;
pub mod session;
pub mod sim;
