//! A Modbus connection's configuration: transport, timing, and the point table of each
//! device (unit) behind it. Deserialised from TOML (the gateway's file) or JSON (the
//! document stored in the platform); `check` finds every problem at once, each with its
//! place in the table.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::preprocess::Preprocess;

/// Largest register count one read may ask for (FC 3/4: 125) and bits (FC 1/2: 2000).
pub const MAX_READ_REGISTERS: u16 = 125;
pub const MAX_READ_BITS: u16 = 2000;
/// Largest register count of one FC 16 / FC 23 write.
pub const MAX_WRITE_REGISTERS: u16 = 123;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Modbus TCP (MBAP header), `address` = host:port.
    Tcp,
    /// Modbus RTU on a serial port, `serial` settings.
    Rtu,
    /// RTU frames (with CRC) carried over a TCP connection, e.g. by a serial server.
    RtuOverTcp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    #[default]
    None,
    Even,
    Odd,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Serial {
    /// E.g. `/dev/ttyUSB0`.
    pub port: String,
    #[serde(default = "default_baud")]
    pub baud: u32,
    #[serde(default = "default_data_bits")]
    pub data_bits: u8,
    #[serde(default)]
    pub parity: Parity,
    #[serde(default = "default_stop_bits")]
    pub stop_bits: u8,
}

fn default_baud() -> u32 {
    9600
}
fn default_data_bits() -> u8 {
    8
}
fn default_stop_bits() -> u8 {
    1
}

/// The four Modbus data areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// Read/write bits (FC 1; written with FC 5/15).
    Coil,
    /// Read-only bits (FC 2).
    Discrete,
    /// Read/write registers (FC 3; written with FC 6/16/23).
    Holding,
    /// Read-only registers (FC 4).
    Input,
}

impl Area {
    pub fn is_bits(self) -> bool {
        matches!(self, Area::Coil | Area::Discrete)
    }

    pub fn writable(self) -> bool {
        matches!(self, Area::Coil | Area::Holding)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Coil => "coil",
            Area::Discrete => "discrete",
            Area::Holding => "holding",
            Area::Input => "input",
        }
    }

    /// The read function code.
    pub fn read_function(self) -> u8 {
        match self {
            Area::Coil => 1,
            Area::Discrete => 2,
            Area::Holding => 3,
            Area::Input => 4,
        }
    }
}

/// Which function writes a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteFunction {
    /// FC 5 for coils, FC 6 for one register, FC 16 for more.
    #[default]
    Auto,
    /// FC 5 / FC 6.
    Single,
    /// FC 15 / FC 16.
    Multiple,
    /// FC 23: write and read back in one request (holding registers).
    ReadWrite,
}

/// What a point's registers or bits hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    Bool,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
    /// Text of `length` registers (two bytes each), NUL bytes at the end dropped.
    String,
    /// One bit (`bit` 0–15, 0 the least significant) of a register.
    Bit,
}

impl DataType {
    /// Registers the type takes (strings: their `length`); coils and inputs take 1 bit.
    pub fn registers(self, string_len: u16) -> u16 {
        match self {
            DataType::Bool | DataType::U16 | DataType::I16 | DataType::Bit => 1,
            DataType::U32 | DataType::I32 | DataType::F32 => 2,
            DataType::U64 | DataType::I64 | DataType::F64 => 4,
            DataType::String => string_len,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Bool => "bool",
            DataType::U16 => "u16",
            DataType::I16 => "i16",
            DataType::U32 => "u32",
            DataType::I32 => "i32",
            DataType::U64 => "u64",
            DataType::I64 => "i64",
            DataType::F32 => "f32",
            DataType::F64 => "f64",
            DataType::String => "string",
            DataType::Bit => "bit",
        }
    }

    /// Whether values of the type are integers (before scale and offset).
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            DataType::U16
                | DataType::I16
                | DataType::U32
                | DataType::I32
                | DataType::U64
                | DataType::I64
        )
    }
}

/// Byte and word order of multi-byte values. Orders name the bytes of a 32-bit value
/// `ABCD` (A most significant) as they appear in consecutive registers, and extend to 64
/// bits the same way:
/// - `ABCD`: registers in order, high byte first in each (big endian; Modbus's own order);
/// - `CDAB`: registers in reverse order, high byte first (word swap; common in PLCs);
/// - `BADC`: registers in order, low byte first (byte swap);
/// - `DCBA`: registers in reverse order, low byte first (little endian).
///
/// 16-bit types use only the byte part (`BADC` and `DCBA` swap the two bytes); strings
/// take the byte part per register and read the registers in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Order {
    #[default]
    ABCD,
    CDAB,
    BADC,
    DCBA,
}

impl Order {
    /// Whether the registers of a value come last word first.
    pub fn words_reversed(self) -> bool {
        matches!(self, Order::CDAB | Order::DCBA)
    }

    /// Whether the two bytes of each register come low byte first.
    pub fn bytes_swapped(self) -> bool {
        matches!(self, Order::BADC | Order::DCBA)
    }
}

/// One point of a device's table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// The thing-model property the point feeds.
    pub name: String,
    pub area: Area,
    /// 0-based protocol address (register or bit number).
    pub address: u16,
    /// Default: `bool` for coils and discrete inputs, `u16` for registers.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<DataType>,
    #[serde(default)]
    pub order: Order,
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default)]
    pub offset: f64,
    /// For `type = "bit"`: 0 (least significant) to 15.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit: Option<u8>,
    /// For `type = "string"`: registers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Overrides the connection's poll interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<u64>,
    #[serde(default)]
    pub writable: bool,
    /// Range a write must stay in (in engineering units, after scale and offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default)]
    pub write_function: WriteFunction,
    /// Edge preprocessing of this point's readings.
    #[serde(default, skip_serializing_if = "Preprocess::is_noop")]
    pub pre: Preprocess,
}

fn one() -> f64 {
    1.0
}

impl Point {
    pub fn data_type(&self) -> DataType {
        self.data_type.unwrap_or(if self.area.is_bits() {
            DataType::Bool
        } else {
            DataType::U16
        })
    }

    /// Registers (or bits) the point covers.
    pub fn width(&self) -> u16 {
        if self.area.is_bits() {
            1
        } else {
            self.data_type().registers(self.length.unwrap_or(1))
        }
    }
}

/// One device (unit, slave) behind a connection; a sub-device of the gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// The sub-device's name in the platform.
    pub name: String,
    /// The product (by key) a new sub-device is created with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Unit identifier (slave address): 1–247 on RTU, 0–255 on TCP.
    #[serde(default = "default_unit")]
    pub unit: u8,
    #[serde(default)]
    pub points: Vec<Point>,
}

fn default_unit() -> u8 {
    1
}

/// One Modbus connection (a PLC, a serial bus, a serial server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub name: String,
    pub transport: Transport,
    /// host:port, for `tcp` and `rtu_over_tcp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<Serial>,
    /// How long to wait for each answer.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// Default poll interval of the points.
    #[serde(default = "default_poll")]
    pub poll_interval_ms: u64,
    /// Merging limits: registers per read (≤ 125), bits per read (≤ 2000), and how many
    /// unused registers or bits between two points may be read over to merge them.
    #[serde(default = "default_max_registers")]
    pub max_registers: u16,
    #[serde(default = "default_max_bits")]
    pub max_bits: u16,
    #[serde(default)]
    pub max_gap: u16,
    /// Reconnect back-off, doubling from min to max.
    #[serde(default = "default_reconnect_min")]
    pub reconnect_min_ms: u64,
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max_ms: u64,
    #[serde(default)]
    pub devices: Vec<Device>,
}

fn default_timeout() -> u64 {
    1000
}
fn default_poll() -> u64 {
    1000
}
fn default_max_registers() -> u16 {
    MAX_READ_REGISTERS
}
fn default_max_bits() -> u16 {
    MAX_READ_BITS
}
fn default_reconnect_min() -> u64 {
    500
}
fn default_reconnect_max() -> u64 {
    30_000
}

/// Where in a connection's table a problem is: the device and point by position (to find
/// the line in the source) and by name (to say it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub device: Option<usize>,
    pub point: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Shortest poll interval accepted.
pub const MIN_POLL_MS: u64 = 10;

impl Connection {
    /// Every problem of the configuration, in table order.
    pub fn check(&self) -> Vec<ConfigError> {
        let mut errs = Vec::new();
        let mut at = |device: Option<usize>, point: Option<usize>, message: String| {
            errs.push(ConfigError {
                device,
                point,
                message,
            })
        };
        let conn = &self.name;
        if conn.trim().is_empty() {
            at(None, None, "a Modbus connection needs a name".into());
        }
        match self.transport {
            Transport::Tcp | Transport::RtuOverTcp => match &self.address {
                None => at(
                    None,
                    None,
                    format!("connection `{conn}`: `address` (host:port) is missing"),
                ),
                Some(a) if !a.contains(':') => at(
                    None,
                    None,
                    format!("connection `{conn}`: address `{a}` has no port (host:port)"),
                ),
                _ => {}
            },
            Transport::Rtu => match &self.serial {
                None => at(
                    None,
                    None,
                    format!("connection `{conn}`: `serial` (port, baud …) is missing for RTU"),
                ),
                Some(s) => {
                    if s.port.is_empty() {
                        at(
                            None,
                            None,
                            format!("connection `{conn}`: serial port is empty"),
                        );
                    }
                    if !(5..=8).contains(&s.data_bits) || !(1..=2).contains(&s.stop_bits) {
                        at(
                            None,
                            None,
                            format!("connection `{conn}`: data_bits must be 5–8 and stop_bits 1–2"),
                        );
                    }
                    if s.baud == 0 {
                        at(
                            None,
                            None,
                            format!("connection `{conn}`: baud must be above 0"),
                        );
                    }
                }
            },
        }
        if self.timeout_ms == 0 || self.timeout_ms > 60_000 {
            at(
                None,
                None,
                format!("connection `{conn}`: timeout_ms must be 1–60000"),
            );
        }
        if self.poll_interval_ms < MIN_POLL_MS {
            at(
                None,
                None,
                format!("connection `{conn}`: poll_interval_ms must be at least {MIN_POLL_MS}"),
            );
        }
        if !(1..=MAX_READ_REGISTERS).contains(&self.max_registers)
            || !(1..=MAX_READ_BITS).contains(&self.max_bits)
        {
            at(
                None,
                None,
                format!(
                    "connection `{conn}`: max_registers must be 1–{MAX_READ_REGISTERS} and max_bits 1–{MAX_READ_BITS}"
                ),
            );
        }
        if self.reconnect_min_ms == 0 || self.reconnect_min_ms > self.reconnect_max_ms {
            at(
                None,
                None,
                format!("connection `{conn}`: need 0 < reconnect_min_ms ≤ reconnect_max_ms"),
            );
        }
        let mut device_names = HashSet::new();
        let mut units = HashMap::new();
        for (di, d) in self.devices.iter().enumerate() {
            let dev = &d.name;
            if let Err(e) = crate::validate::identifier("name", dev, 128) {
                at(
                    Some(di),
                    None,
                    format!("device `{dev}`: {}", e.message(crate::i18n::Locale::En)),
                );
            }
            if !device_names.insert(dev.as_str()) {
                at(Some(di), None, format!("device `{dev}` appears twice"));
            }
            if let Some(other) = units.insert(d.unit, dev.as_str()) {
                at(
                    Some(di),
                    None,
                    format!("device `{dev}` has unit {}, as `{other}` has", d.unit),
                );
            }
            if self.transport == Transport::Rtu && !(1..=247).contains(&d.unit) {
                at(
                    Some(di),
                    None,
                    format!("device `{dev}`: an RTU unit must be 1–247, not {}", d.unit),
                );
            }
            self.check_points(di, d, &mut at);
        }
        errs
    }

    fn check_points(
        &self,
        di: usize,
        d: &Device,
        at: &mut impl FnMut(Option<usize>, Option<usize>, String),
    ) {
        let dev = &d.name;
        let mut names = HashSet::new();
        // (area, first, last, bit) of every point so far, to find overlaps.
        let mut spans: Vec<(Area, u32, u32, Option<u8>, usize)> = Vec::new();
        for (pi, p) in d.points.iter().enumerate() {
            let mut err = |m: String| {
                at(
                    Some(di),
                    Some(pi),
                    format!("device `{dev}`, point `{}`: {m}", p.name),
                )
            };
            if !crate::thing_model::is_identifier(&p.name) {
                err("the name must be a property identifier (letters, digits and _, not starting with a digit, at most 64)".into());
            }
            if !names.insert(p.name.as_str()) {
                err("the name appears twice in this device".into());
            }
            let t = p.data_type();
            if p.area.is_bits() && t != DataType::Bool {
                err(format!(
                    "a {} point holds one bit; its type must be bool, not {}",
                    p.area.as_str(),
                    t.as_str()
                ));
            }
            if !p.area.is_bits() && t == DataType::Bool {
                // A register as a boolean: non-zero is true. Allowed.
            }
            match (t, p.bit) {
                (DataType::Bit, None) => err("type bit needs `bit` (0–15)".into()),
                (DataType::Bit, Some(b)) if b > 15 => err(format!("bit {b} is beyond 15")),
                (DataType::Bit, _) => {}
                (_, Some(_)) => err("`bit` is only for type bit".into()),
                _ => {}
            }
            match (t, p.length) {
                (DataType::String, None) => err("type string needs `length` (registers)".into()),
                (DataType::String, Some(0)) => err("a string needs a length of at least 1".into()),
                (DataType::String, _) => {}
                (_, Some(_)) => err("`length` is only for type string".into()),
                _ => {}
            }
            let width = u32::from(p.width());
            let last = u32::from(p.address) + width.max(1) - 1;
            if last > 65_535 {
                err(format!(
                    "address {} with {width} registers ends at {last}, beyond 65535",
                    p.address
                ));
            }
            let limit = if p.area.is_bits() {
                self.max_bits
            } else {
                self.max_registers
            };
            if width > u32::from(limit) {
                err(format!(
                    "{width} registers do not fit one read of at most {limit}"
                ));
            }
            if !(p.scale.is_finite() && p.scale != 0.0 && p.offset.is_finite()) {
                err("scale must be a finite number other than 0, offset a finite number".into());
            }
            if (p.scale != 1.0 || p.offset != 0.0)
                && matches!(t, DataType::Bool | DataType::Bit | DataType::String)
            {
                err(format!(
                    "scale and offset do not apply to type {}",
                    t.as_str()
                ));
            }
            if let Some(ms) = p.poll_interval_ms
                && ms < MIN_POLL_MS
            {
                err(format!("poll_interval_ms must be at least {MIN_POLL_MS}"));
            }
            if p.writable && !p.area.writable() {
                err(format!("a {} point cannot be written", p.area.as_str()));
            }
            if let (Some(lo), Some(hi)) = (p.min, p.max)
                && lo > hi
            {
                err(format!("min {lo} is above max {hi}"));
            }
            if p.min.is_some_and(|v| !v.is_finite()) || p.max.is_some_and(|v| !v.is_finite()) {
                err("min and max must be finite numbers".into());
            }
            match p.write_function {
                WriteFunction::Auto => {}
                WriteFunction::Single if !p.area.is_bits() && width != 1 => err(format!(
                    "write_function single (FC 6) writes one register; this point has {width}"
                )),
                WriteFunction::ReadWrite if p.area != Area::Holding => {
                    err("write_function read_write (FC 23) is for holding registers".into())
                }
                _ => {}
            }
            if !p.area.is_bits() && p.writable && width > u32::from(MAX_WRITE_REGISTERS) {
                err(format!(
                    "{width} registers do not fit one write of at most {MAX_WRITE_REGISTERS}"
                ));
            }
            if let Err(m) = p.pre.check() {
                err(format!("pre: {m}"));
            }
            let first = u32::from(p.address);
            let bit = (t == DataType::Bit).then(|| p.bit.unwrap_or(0));
            for (area, f, l, b, other) in &spans {
                let overlap = *area == p.area && first <= *l && *f <= last;
                // Bit points may share a register with other bit points, not the bit.
                let shared_bits = matches!((b, bit), (Some(x), Some(y)) if x != &y);
                if overlap && !shared_bits {
                    err(format!(
                        "{} {}–{last} overlap point `{}` ({} {f}–{l})",
                        p.area.as_str(),
                        first,
                        d.points[*other].name,
                        area.as_str()
                    ));
                    break;
                }
            }
            spans.push((p.area, first, last, bit, pi));
        }
    }
}
