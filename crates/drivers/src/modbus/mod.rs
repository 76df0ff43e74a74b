//! Modbus TCP, RTU and RTU over TCP: point tables (`config`), request planning (`plan`),
//! register encodings (`values`) and the polling driver (`client`).

pub mod client;
pub mod config;
pub mod plan;
pub mod values;

pub use client::{DeviceStats, ModbusDriver};
pub use config::{Area, ConfigError, Connection, Device, Point, Transport, WriteFunction};
pub use values::{DataType, Encoding, Order};
