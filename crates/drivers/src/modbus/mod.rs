//! Modbus TCP, RTU and RTU over TCP: point tables (`config`, defined with the other driver
//! tables in `ironloom_core::driver_table`), request planning (`plan`), register encodings
//! (`values`) and the polling driver (`client`).

pub mod client;
pub mod plan;
pub mod values;

pub use client::{DeviceStats, ModbusDriver};
pub use config::{Area, ConfigError, Connection, Device, Point, Transport, WriteFunction};
pub use ironloom_core::driver_table::modbus as config;
pub use values::{DataType, Encoding, Order};
