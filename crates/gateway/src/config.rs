//! The gateway's configuration: a TOML file (`ironloom gateway --config FILE`), whose
//! driver sections the platform can replace with a document it pushes ([`Drivers`], the
//! shared attribute [`CONFIG_ATTRIBUTE`] of the gateway device), applied without a restart.
//!
//! Problems are reported all at once, each with where it is: the line in the TOML file,
//! or the path in the pushed document (`modbus[0].devices[1].points[2]`).

use std::path::PathBuf;

pub use ironloom_core::driver_table::{CONFIG_ATTRIBUTE, Drivers, Problem, STATUS_ATTRIBUTE};
use ironloom_core::units::{ByteSize, Duration as Humane};
use ironloom_drivers::modbus;
use serde::Deserialize;

use crate::buffer::DropPolicy;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    pub platform: Platform,
    #[serde(default)]
    pub buffer: BufferConfig,
    #[serde(default)]
    pub uplink: Uplink,
    #[serde(default)]
    pub modbus: Vec<modbus::Connection>,
    #[serde(default)]
    pub opcua: Vec<ironloom_opcua::OpcUaConfig>,
    #[serde(default)]
    pub computed: Vec<crate::computed::Computed>,
}

/// How to reach the platform.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// The platform's MQTT listener, host:port (1883, or 8883 with `tls`).
    pub mqtt: String,
    /// The gateway device's access token.
    pub token: String,
    #[serde(default)]
    pub tls: bool,
    /// PEM file of the CA that signed the platform's certificate (with `tls`); without
    /// it the system's roots are not consulted and the connection fails.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_keep_alive")]
    pub keep_alive: Humane,
    #[serde(default)]
    pub client_id: Option<String>,
}

fn default_keep_alive() -> Humane {
    Humane(std::time::Duration::from_secs(30))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BufferConfig {
    /// Directory of the store-and-forward buffer (and the last pushed configuration).
    #[serde(default = "default_buffer_dir")]
    pub dir: PathBuf,
    #[serde(default = "default_buffer_size")]
    pub max_size: ByteSize,
    #[serde(default)]
    pub policy: DropPolicy,
    /// Sync each append to disk before it counts as buffered.
    #[serde(default = "yes")]
    pub fsync: bool,
}

fn default_buffer_dir() -> PathBuf {
    PathBuf::from("gateway-data")
}
fn default_buffer_size() -> ByteSize {
    ByteSize(256 << 20)
}
fn yes() -> bool {
    true
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            dir: default_buffer_dir(),
            max_size: default_buffer_size(),
            policy: DropPolicy::default(),
            fsync: true,
        }
    }
}

/// Batching and flow of the uplink.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uplink {
    /// A message goes out when it holds this many points …
    #[serde(default = "default_batch_points")]
    pub batch_points: usize,
    /// … or when its oldest point waited this long.
    #[serde(default = "default_batch_delay")]
    pub batch_delay: Humane,
    /// Messages sent and not yet acknowledged, at most.
    #[serde(default = "default_in_flight")]
    pub in_flight: usize,
    /// How often the gateway reports its health (driver statistics, buffer).
    #[serde(default = "default_health")]
    pub health_interval: Humane,
}

fn default_batch_points() -> usize {
    5000
}
fn default_batch_delay() -> Humane {
    Humane(std::time::Duration::from_millis(200))
}
fn default_in_flight() -> usize {
    16
}
fn default_health() -> Humane {
    Humane(std::time::Duration::from_secs(10))
}

impl Default for Uplink {
    fn default() -> Self {
        Uplink {
            batch_points: default_batch_points(),
            batch_delay: default_batch_delay(),
            in_flight: default_in_flight(),
            health_interval: default_health(),
        }
    }
}

impl GatewayConfig {
    pub fn drivers(&self) -> Drivers {
        Drivers {
            version: None,
            modbus: self.modbus.clone(),
            opcua: self.opcua.clone(),
            computed: self.computed.clone(),
        }
    }
}

/// Spans of the tables in a TOML file, to name the line of a problem.
#[derive(Deserialize)]
struct Loc {
    #[serde(default)]
    modbus: Vec<toml::Spanned<LocConn>>,
    #[serde(default)]
    opcua: Vec<toml::Spanned<toml::Table>>,
    #[serde(default)]
    computed: Vec<toml::Spanned<toml::Table>>,
}
#[derive(Deserialize)]
struct LocConn {
    #[serde(default)]
    devices: Vec<toml::Spanned<LocDev>>,
}
#[derive(Deserialize)]
struct LocDev {
    #[serde(default)]
    points: Vec<toml::Spanned<toml::Table>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads and checks a gateway TOML file's text.
pub fn parse(text: &str) -> Result<GatewayConfig, Vec<Problem>> {
    let cfg: GatewayConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        vec![Problem {
            path: String::new(),
            line,
            message: e.message().to_owned(),
        }]
    })?;
    let mut problems = cfg.drivers().check();
    if cfg.platform.token.trim().is_empty() {
        problems.push(Problem {
            path: "platform.token".into(),
            line: None,
            message: "the gateway device's access token is empty".into(),
        });
    }
    if cfg.uplink.batch_points == 0 || cfg.uplink.in_flight == 0 {
        problems.push(Problem {
            path: "uplink".into(),
            line: None,
            message: "batch_points and in_flight must be at least 1".into(),
        });
    }
    if problems.is_empty() {
        return Ok(cfg);
    }
    // Name the lines: the deepest table a path reaches.
    if let Ok(loc) = toml::from_str::<Loc>(text) {
        for p in &mut problems {
            p.line = locate(&loc, &p.path).map(|o| line_of(text, o));
        }
    }
    Err(problems)
}

fn locate(loc: &Loc, path: &str) -> Option<usize> {
    let idx = |seg: &str, name: &str| -> Option<usize> {
        seg.strip_prefix(name)?
            .strip_prefix('[')?
            .strip_suffix(']')?
            .parse()
            .ok()
    };
    let mut segs = path.split('.');
    let first = segs.next()?;
    if let Some(i) = idx(first, "opcua") {
        return Some(loc.opcua.get(i)?.span().start);
    }
    if let Some(i) = idx(first, "computed") {
        return Some(loc.computed.get(i)?.span().start);
    }
    let c = loc.modbus.get(idx(first, "modbus")?)?;
    let Some(seg) = segs.next() else {
        return Some(c.span().start);
    };
    let d = c.get_ref().devices.get(idx(seg, "devices")?)?;
    let Some(seg) = segs.next() else {
        return Some(d.span().start);
    };
    let p = d.get_ref().points.get(idx(seg, "points")?)?;
    Some(p.span().start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[platform]
mqtt = "127.0.0.1:1883"
token = "gw-token"

[buffer]
dir = "/tmp/gw"
max_size = "64 MiB"
policy = "drop_newest"

[[modbus]]
name = "line1"
transport = "tcp"
address = "10.0.0.5:502"

[[modbus.devices]]
name = "pump-1"
product = "pump"
unit = 1

[[modbus.devices.points]]
name = "flow"
area = "holding"
address = 0
type = "f32"
pre = { deadband = 0.5, heartbeat_ms = 60000 }

[[modbus.devices.points]]
name = "speed_set"
area = "holding"
address = 4
writable = true
max = 3000
"#;

    #[test]
    fn a_good_file_reads_with_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.buffer.max_size.0, 64 << 20);
        assert_eq!(c.buffer.policy, DropPolicy::DropNewest);
        assert_eq!(c.uplink.batch_points, 5000);
        assert_eq!(c.modbus[0].devices[0].points.len(), 2);
        assert_eq!(c.modbus[0].devices[0].points[0].pre.deadband, Some(0.5));
    }

    #[test]
    fn problems_name_their_line() {
        // Overlapping addresses in the second point (its table starts on line 29).
        let bad = GOOD.replace("address = 4", "address = 1");
        let e = parse(&bad).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        let line = bad
            .lines()
            .position(|l| l.contains("name = \"speed_set\""))
            .unwrap();
        // The table header is the line before its first key.
        assert_eq!(e[0].line, Some(line), "{e:?}");
        assert!(
            e[0].to_string().starts_with(&format!("line {line}: ")),
            "{}",
            e[0]
        );
        assert!(e[0].message.contains("overlap point `flow`"), "{}", e[0]);
        // A syntax error or an unknown key: toml's own line.
        let e = parse(&GOOD.replace("unit = 1", "unit = 1\nspeed = 9")).unwrap_err();
        assert!(e[0].message.contains("unknown field `speed`"), "{e:?}");
        assert_eq!(e[0].line, Some(20));
        // Impossible addresses and a device in two connections.
        let two = format!(
            "{GOOD}\n[[modbus]]\nname = \"line2\"\ntransport = \"tcp\"\naddress = \"h:1\"\n[[modbus.devices]]\nname = \"pump-1\"\n[[modbus.devices.points]]\nname = \"x\"\narea = \"input\"\naddress = 65535\ntype = \"f64\"\n"
        );
        let e = parse(&two).unwrap_err();
        let text: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("beyond 65535")), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.contains("also behind modbus[0].devices[0]")),
            "{text:?}"
        );
        assert!(e.iter().all(|p| p.line.is_some()), "{e:?}");
    }
}

#[cfg(test)]
mod example {
    #[test]
    fn the_shipped_example_is_valid() {
        // Read at run time: a test binary may be reused from a checkout elsewhere.
        let path = format!(
            "{}/../../config/gateway.example.toml",
            std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo")
        );
        let text = std::fs::read_to_string(path).unwrap();
        let c = super::parse(&text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.modbus.len(), 2);
        assert_eq!(c.modbus[0].devices[0].points.len(), 8);
        assert_eq!(c.computed.len(), 1);
        // An expression over a point the device does not have: its line and position.
        let bad = text.replace("flow * outlet_pressure", "flow * outlet_presure");
        let e = super::parse(&bad).unwrap_err();
        let line = bad.lines().position(|l| l == "[[computed]]").unwrap() + 1;
        assert_eq!(e[0].line, Some(line), "{e:?}");
        assert!(
            e[0].message
                .contains("at position 7: `outlet_presure` is not a point of `pump-01`"),
            "{e:?}"
        );
    }
}
