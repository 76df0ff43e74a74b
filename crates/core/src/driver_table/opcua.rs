//! One OPC UA connection of the gateway: where the server is, how to secure the channel
//! and who to log in as, and which nodes feed which points. Deserialised from TOML or JSON
//! (unknown keys refused), then checked by [`OpcUaConfig::validate`]. The OPC UA driver
//! (`ironloom_opcua`) runs it.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::preprocess::Preprocess;

/// An OPC UA connection and the nodes read through it.
///
/// ```toml
/// endpoint = "opc.tcp://10.0.0.5:4840/"
/// security = "basic256sha256"
/// auth = { username = "gateway", password = "…" }
/// pki_dir = "/var/lib/ironloom/opcua-pki"
///
/// [[nodes]]
/// device = "pump1"
/// point = "flow"
/// node_id = "ns=2;s=Pump1.Flow"
/// deadband = { absolute = 0.5 }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpcUaConfig {
    /// A name for the connection (health reports, error messages); the gateway requires
    /// one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// `opc.tcp://host:port/path`, exactly as the server advertises the path.
    pub endpoint: String,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub auth: Auth,
    /// Where the client keeps its own certificate and private key (created on first use,
    /// under `own/` and `private/`) and the server certificates it trusts (`trusted/`) or
    /// rejected (`rejected/`).
    #[serde(default = "default_pki_dir")]
    pub pki_dir: PathBuf,
    /// Trust an unknown server certificate on first contact (it is then stored under
    /// `trusted/`). Off by default: with `basic256sha256` an unknown server is refused and
    /// its certificate put under `rejected/`, where an operator moves it to `trusted/` after
    /// checking it; otherwise anyone who can answer on the endpoint's address could
    /// pose as the server and collect the password.
    #[serde(default)]
    pub trust_server_certificate: bool,
    /// Longest wait for one request (read, write, connect step), in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The default publishing interval of subscriptions, for nodes that name none.
    #[serde(default = "default_publishing_interval_ms")]
    pub publishing_interval_ms: u64,
    #[serde(default)]
    pub reconnect: Reconnect,
    #[serde(default)]
    pub nodes: Vec<NodeConfig>,
    /// The product (key) of each sub-device, for sub-devices the platform does not know
    /// yet: `products = { "boiler-01" = "demo-boiler" }`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub products: std::collections::BTreeMap<String, String>,
}

/// How the secure channel is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// No signing, no encryption (policy None). For closed networks and tests.
    #[default]
    None,
    /// Policy Basic256Sha256, always with mode SignAndEncrypt.
    Basic256Sha256,
}

/// Who the session logs in as: `"anonymous"` or `{ username = "…", password = "…" }`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "AuthRepr", into = "AuthRepr")]
pub enum Auth {
    #[default]
    Anonymous,
    UserName {
        username: String,
        password: String,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Anonymous => f.write_str("Anonymous"),
            // The password never reaches a log line.
            Auth::UserName { username, .. } => f
                .debug_struct("UserName")
                .field("username", username)
                .field("password", &"***")
                .finish(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "\"anonymous\" or { username = \"…\", password = \"…\" }"
)]
enum AuthRepr {
    Word(String),
    User(UserPass),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPass {
    username: String,
    password: String,
}

impl TryFrom<AuthRepr> for Auth {
    type Error = String;
    fn try_from(r: AuthRepr) -> Result<Auth, String> {
        match r {
            AuthRepr::Word(w) if w == "anonymous" => Ok(Auth::Anonymous),
            AuthRepr::Word(w) => Err(format!(
                "unknown auth {w:?}: expected \"anonymous\" or {{ username, password }}"
            )),
            AuthRepr::User(u) => Ok(Auth::UserName {
                username: u.username,
                password: u.password,
            }),
        }
    }
}

impl From<Auth> for AuthRepr {
    fn from(a: Auth) -> AuthRepr {
        match a {
            Auth::Anonymous => AuthRepr::Word("anonymous".into()),
            Auth::UserName { username, password } => {
                AuthRepr::User(UserPass { username, password })
            }
        }
    }
}

/// Exponential back-off between connection attempts: the first wait is `min_ms`, each
/// failed attempt doubles it up to `max_ms`; a successful connection resets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reconnect {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            min_ms: 500,
            max_ms: 30_000,
        }
    }
}

/// One node and the point it feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The sub-device the point belongs to.
    pub device: String,
    /// The thing-model property name.
    pub point: String,
    /// In the OPC UA string form: `ns=2;s=Pump1.Speed`, `i=2258`, `ns=3;g=…`, `ns=1;b=…`.
    pub node_id: String,
    #[serde(default)]
    pub mode: Mode,
    /// How often the server samples the value (subscribe), or how often it is read (poll).
    #[serde(default = "default_sampling_interval_ms")]
    pub sampling_interval_ms: u64,
    /// The subscription's publishing interval for this node; nodes sharing an interval
    /// share a subscription. Defaults to the connection's `publishing_interval_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishing_interval_ms: Option<u64>,
    /// Report a change only when it exceeds this (OPC UA DataChangeFilter); subscribe
    /// mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadband: Option<Deadband>,
    /// Whether platform commands may write the node.
    #[serde(default)]
    pub writable: bool,
    /// Range a write must stay in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Edge preprocessing of this node's samples (see [`Preprocess`]).
    #[serde(default, skip_serializing_if = "Preprocess::is_noop")]
    pub pre: Preprocess,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A monitored item in a subscription: the server reports changes.
    #[default]
    Subscribe,
    /// A Read every `sampling_interval_ms`.
    Poll,
}

/// `{ absolute = 0.5 }` (in the value's unit) or `{ percent = 2.0 }` (of the node's
/// EURange, which the server must provide).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Deadband {
    Absolute(f64),
    Percent(f64),
}

fn default_pki_dir() -> PathBuf {
    PathBuf::from("opcua-pki")
}
fn default_timeout_ms() -> u64 {
    5_000
}
fn default_publishing_interval_ms() -> u64 {
    1_000
}
fn default_sampling_interval_ms() -> u64 {
    1_000
}

/// Longest interval or timeout accepted: one day, far past any sensible value, and small
/// enough that durations built from it cannot overflow.
const MAX_MS: u64 = 86_400_000;

impl OpcUaConfig {
    /// A connection to `endpoint` with every default and no nodes yet.
    pub fn new(endpoint: impl Into<String>) -> OpcUaConfig {
        OpcUaConfig {
            name: String::new(),
            endpoint: endpoint.into(),
            security: Security::default(),
            auth: Auth::default(),
            pki_dir: default_pki_dir(),
            trust_server_certificate: false,
            timeout_ms: default_timeout_ms(),
            publishing_interval_ms: default_publishing_interval_ms(),
            reconnect: Reconnect::default(),
            nodes: Vec::new(),
            products: Default::default(),
        }
    }

    /// Checks the connection settings and every node entry; errors name the key, or the
    /// node entry by index and node id.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_connection()?;
        if self.nodes.is_empty() {
            return invalid("nodes is empty: list at least one node to read");
        }
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let at = || format!("nodes[{i}] (node_id {:?})", n.node_id);
            check_node_id(&n.node_id).map_err(|e| format!("{}: {e}", at()))?;
            if n.device.trim().is_empty() || n.point.trim().is_empty() {
                return invalid(format!("{}: device and point must not be empty", at()));
            }
            if let Some(first) = seen.insert((&n.device, &n.point), i) {
                return invalid(format!(
                    "{}: device {:?} point {:?} is already fed by nodes[{first}] (node_id {:?})",
                    at(),
                    n.device,
                    n.point,
                    self.nodes[first].node_id
                ));
            }
            if !(1..=MAX_MS).contains(&n.sampling_interval_ms) {
                return invalid(format!(
                    "{}: sampling_interval_ms must be from 1 to {MAX_MS}",
                    at()
                ));
            }
            if let Some(p) = n.publishing_interval_ms
                && !(1..=MAX_MS).contains(&p)
            {
                return invalid(format!(
                    "{}: publishing_interval_ms must be from 1 to {MAX_MS}",
                    at()
                ));
            }
            if let Err(m) = n.pre.check() {
                return invalid(format!("{}: pre: {m}", at()));
            }
            if let (Some(lo), Some(hi)) = (n.min, n.max)
                && (lo > hi || lo.is_nan() || hi.is_nan())
            {
                return invalid(format!("{}: min {lo} is above max {hi}", at()));
            }
            match n.deadband {
                Some(_) if n.mode == Mode::Poll => {
                    return invalid(format!(
                        "{}: deadband applies to mode = \"subscribe\" only",
                        at()
                    ));
                }
                Some(Deadband::Absolute(v)) if !(v.is_finite() && v >= 0.0) => {
                    return invalid(format!(
                        "{}: deadband.absolute must be a finite number >= 0",
                        at()
                    ));
                }
                Some(Deadband::Percent(v)) if !(0.0..=100.0).contains(&v) => {
                    return invalid(format!("{}: deadband.percent must be from 0 to 100", at()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks what a connection needs, without the nodes (browsing needs no nodes).
    pub fn validate_connection(&self) -> Result<(), String> {
        let rest = self
            .endpoint
            .strip_prefix("opc.tcp://")
            .ok_or_else(|| format!("endpoint {:?} must start with opc.tcp://", self.endpoint))?;
        let host_port = rest.split('/').next().unwrap_or_default();
        if host_port.is_empty() {
            return invalid(format!("endpoint {:?} has no host", self.endpoint));
        }
        if let Auth::UserName { username, .. } = &self.auth
            && username.is_empty()
        {
            return invalid("auth.username must not be empty");
        }
        if !(1..=MAX_MS).contains(&self.timeout_ms) {
            return invalid(format!("timeout_ms must be from 1 to {MAX_MS}"));
        }
        if !(1..=MAX_MS).contains(&self.publishing_interval_ms) {
            return invalid(format!("publishing_interval_ms must be from 1 to {MAX_MS}"));
        }
        let r = self.reconnect;
        if r.min_ms == 0 || r.min_ms > r.max_ms || r.max_ms > MAX_MS {
            return invalid(format!(
                "reconnect: need 1 <= min_ms <= max_ms <= {MAX_MS} (got min_ms {}, max_ms {})",
                r.min_ms, r.max_ms
            ));
        }
        if self.pki_dir.as_os_str().is_empty() {
            return invalid("pki_dir must not be empty");
        }
        Ok(())
    }
}

/// Checks the OPC UA string form of a node id (`ns=2;s=Pump1.Speed`, OPC 10000-6
/// §5.3.1.10): an optional `ns=<u16>;`, then `i=<u32>`, `s=<text>`, `g=<GUID>` or
/// `b=<base64>`, the identifier not empty and on one line. The drivers parse it with the
/// OPC UA stack (`ironloom_opcua::config::parse_node_id`), which accepts exactly these.
pub fn check_node_id(s: &str) -> Result<(), String> {
    let fail = || {
        format!(
            "invalid node id {s:?}: expected ns=<index>;<i|s|g|b>=<identifier>, e.g. ns=2;s=Pump1.Speed"
        )
    };
    let rest = match s.strip_prefix("ns=") {
        Some(r) => {
            let (ns, rest) = r.split_once(';').ok_or_else(fail)?;
            if ns.is_empty()
                || !ns.bytes().all(|b| b.is_ascii_digit())
                || ns.parse::<u16>().is_err()
            {
                return Err(fail());
            }
            rest
        }
        None => s,
    };
    let (kind, id) = rest.split_at_checked(2).ok_or_else(fail)?;
    if id.is_empty() || id.contains('\n') {
        return Err(fail());
    }
    let ok = match kind {
        "i=" => id.parse::<u32>().is_ok(),
        "s=" => true,
        "g=" => uuid::Uuid::from_str(id).is_ok(),
        "b=" => base64::engine::general_purpose::STANDARD.decode(id).is_ok(),
        _ => false,
    };
    if ok { Ok(()) } else { Err(fail()) }
}

fn invalid<T>(m: impl Into<String>) -> Result<T, String> {
    Err(m.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const TOML: &str = r#"
        endpoint = "opc.tcp://127.0.0.1:4840/"
        security = "basic256sha256"
        auth = { username = "op", password = "pw" }
        pki_dir = "/tmp/pki"
        trust_server_certificate = true
        timeout_ms = 2000
        reconnect = { min_ms = 100, max_ms = 5000 }

        [[nodes]]
        device = "pump1"
        point = "flow"
        node_id = "ns=2;s=Pump1.Flow"
        sampling_interval_ms = 250
        publishing_interval_ms = 500
        deadband = { absolute = 0.5 }

        [[nodes]]
        device = "pump1"
        point = "speed_setpoint"
        node_id = "ns=2;s=Pump1.SpeedSetpoint"
        mode = "poll"
        writable = true
    "#;

    #[test]
    fn parses_toml_with_defaults() {
        let c: OpcUaConfig = toml::from_str(TOML).unwrap();
        c.validate().unwrap();
        assert_eq!(c.security, Security::Basic256Sha256);
        assert_eq!(
            c.auth,
            Auth::UserName {
                username: "op".into(),
                password: "pw".into()
            }
        );
        assert_eq!(c.nodes[0].deadband, Some(Deadband::Absolute(0.5)));
        assert_eq!(c.nodes[1].mode, Mode::Poll);
        assert_eq!(c.nodes[1].sampling_interval_ms, 1000);
        assert_eq!(c.nodes[1].publishing_interval_ms, None);
        assert!(c.nodes[1].writable && !c.nodes[0].writable);
        assert_eq!(c.publishing_interval_ms, 1000);
        assert!(
            !format!("{c:?}").contains("pw\""),
            "password leaked into Debug"
        );
    }

    #[test]
    fn parses_json_and_round_trips() {
        let c: OpcUaConfig = toml::from_str(TOML).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        let back: OpcUaConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let anon: OpcUaConfig = serde_json::from_str(
            r#"{"endpoint":"opc.tcp://h:1/","auth":"anonymous","nodes":[
                {"device":"d","point":"p","node_id":"i=2258","deadband":{"percent":2.5}}]}"#,
        )
        .unwrap();
        assert_eq!(anon.auth, Auth::Anonymous);
        assert_eq!(anon.security, Security::None);
        assert_eq!(anon.nodes[0].deadband, Some(Deadband::Percent(2.5)));
        anon.validate().unwrap();
    }

    #[test]
    fn rejects_unknown_keys_and_bad_enums() {
        let err = |s: &str| toml::from_str::<OpcUaConfig>(s).unwrap_err().to_string();
        assert!(err("endpoint = \"opc.tcp://h:1/\"\nsecurty = \"none\"").contains("securty"));
        assert!(err("endpoint = \"opc.tcp://h:1/\"\nsecurity = \"basic128\"").contains("basic128"));
        let e = err("endpoint = \"opc.tcp://h:1/\"\nauth = \"guest\"");
        assert!(e.contains("anonymous"), "{e}");
        let e = err("endpoint = \"opc.tcp://h:1/\"\nauth = { username = \"a\" }");
        assert!(e.contains("username"), "{e}");
        let e = err(
            "endpoint = \"opc.tcp://h:1/\"\n[[nodes]]\ndevice=\"d\"\npoint=\"p\"\nnode_id=\"i=1\"\nmode=\"stream\"",
        );
        assert!(e.contains("stream"), "{e}");
        let e = err(
            "endpoint = \"opc.tcp://h:1/\"\n[[nodes]]\ndevice=\"d\"\npoint=\"p\"\nnode_id=\"i=1\"\ndeadband={relative=1.0}",
        );
        assert!(e.contains("relative"), "{e}");
    }

    #[test]
    fn the_documented_example_is_valid() {
        let doc = std::fs::read_to_string(
            std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"))
                .join("../../docs/opcua.md"),
        )
        .unwrap();
        let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
        let end = start + doc[start..].find("```").unwrap();
        let c: OpcUaConfig = toml::from_str(&doc[start..end]).unwrap();
        c.validate().unwrap();
        assert_eq!(c.nodes.len(), 2);
    }

    fn with_nodes(nodes: &[(&str, &str, &str)]) -> OpcUaConfig {
        let mut c = OpcUaConfig::new("opc.tcp://127.0.0.1:4840/");
        for (d, p, n) in nodes {
            c.nodes.push(NodeConfig {
                device: (*d).into(),
                point: (*p).into(),
                node_id: (*n).into(),
                mode: Mode::Subscribe,
                sampling_interval_ms: 100,
                publishing_interval_ms: None,
                deadband: None,
                writable: false,
                min: None,
                max: None,
                pre: Default::default(),
            });
        }
        c
    }

    #[test]
    fn validation_names_the_offending_node() {
        let e = with_nodes(&[("d", "a", "ns=2;s=A"), ("d", "b", "ns=2;x=B")])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("nodes[1]") && e.contains("ns=2;x=B"), "{e}");
        let e = with_nodes(&[("d", "a", "ns=2;s=A"), ("d", "a", "ns=2;s=B")])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("nodes[1]") && e.contains("ns=2;s=B") && e.contains("nodes[0]"),
            "{e}"
        );
        let e = with_nodes(&[]).validate().unwrap_err().to_string();
        assert!(e.contains("nodes is empty"), "{e}");
        let e = with_nodes(&[("d", "a", "")])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("nodes[0]"), "{e}");
        let mut c = with_nodes(&[("d", "a", "ns=2;s=A")]);
        c.nodes[0].mode = Mode::Poll;
        c.nodes[0].deadband = Some(Deadband::Absolute(1.0));
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("nodes[0]") && e.contains("deadband"), "{e}");
        c.nodes[0].mode = Mode::Subscribe;
        c.nodes[0].deadband = Some(Deadband::Percent(120.0));
        assert!(c.validate().is_err());
        c.nodes[0].deadband = Some(Deadband::Percent(10.0));
        c.nodes[0].sampling_interval_ms = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("sampling_interval_ms")
        );
    }

    #[test]
    fn node_ids_are_checked_without_the_stack() {
        for ok in [
            "ns=2;s=Pump1.Speed",
            "i=2258",
            "ns=1;g=72962b91-fa75-4ae6-8d28-b404dc7daf63",
            "ns=1;b=AQI=",
        ] {
            assert!(check_node_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ns=70000;i=1",
            "i=x",
            "s=",
            "s=a\nb",
            "b=!!",
            "g=1-2",
            "ns=2;x=B",
        ] {
            let e = check_node_id(bad).unwrap_err();
            assert!(e.contains("invalid node id"), "{e}");
        }
    }

    #[test]
    fn validation_checks_the_connection() {
        let mut c = with_nodes(&[("d", "a", "ns=2;s=A")]);
        c.validate().unwrap();
        c.endpoint = "http://h:1/".into();
        assert!(c.validate().unwrap_err().to_string().contains("opc.tcp://"));
        c.endpoint = "opc.tcp:///x".into();
        assert!(c.validate().unwrap_err().to_string().contains("no host"));
        c.endpoint = "opc.tcp://h:1/".into();
        c.reconnect = Reconnect {
            min_ms: 10_000,
            max_ms: 1_000,
        };
        assert!(c.validate().unwrap_err().to_string().contains("reconnect"));
        c.reconnect = Reconnect::default();
        c.timeout_ms = 0;
        assert!(c.validate().unwrap_err().to_string().contains("timeout_ms"));
        c.timeout_ms = 1000;
        c.auth = Auth::UserName {
            username: String::new(),
            password: "x".into(),
        };
        assert!(c.validate().unwrap_err().to_string().contains("username"));
    }
}
