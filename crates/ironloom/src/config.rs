//! Configuration: defaults < TOML file < `IRONLOOM__SECTION__KEY` environment variables <
//! command-line flags. Every section rejects unknown keys, so a typo is an error naming the
//! key rather than a silently ignored setting.

use serde::Deserialize;

pub use ironloom_core::units::{ByteSize, Duration, ListenAddr};
use ironloom_tls::TlsListenerConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where Ironloom keeps its files (metadata database, keys, later time series).
    pub data_dir: PathBuf,
    pub http: HttpConfig,
    pub meta: MetaConfig,
    pub auth: AuthConfig,
    pub api: ApiConfig,
    pub tsdb: ironloom_tsdb::config::TsdbConfig,
    /// The embedded MQTT server (device connectivity).
    pub mqtt: ironloom_mqtt::MqttConfig,
    /// The CoAP device API (UDP).
    pub coap: ironloom_coap::CoapConfig,
    /// Identifier resolution over the Handle protocol (UDP and TCP 2641).
    pub handle: ironloom_resolver::HandleConfig,
    /// The rule engine.
    pub rules: ironloom_rules::config::RuntimeConfig,
    /// Models on device data: live bindings and jobs over history.
    pub compute: ironloom_compute::ComputeConfig,
    /// Industrial apps: the WebAssembly sandbox's capacity.
    pub apps: ironloom_apps::AppsConfig,
    /// The device hub: log-in limits, caches, status writes.
    pub devices: ironloom_device::HubConfig,
    /// Cluster mode: several nodes on NATS JetStream and PostgreSQL (off by default).
    #[cfg(feature = "cluster")]
    pub cluster: ironloom_cluster::ClusterConfig,
    pub log: LogConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            http: HttpConfig::default(),
            meta: MetaConfig::default(),
            auth: AuthConfig::default(),
            api: ApiConfig::default(),
            tsdb: ironloom_tsdb::config::TsdbConfig::default(),
            mqtt: ironloom_mqtt::MqttConfig::default(),
            coap: ironloom_coap::CoapConfig::default(),
            handle: ironloom_resolver::HandleConfig::default(),
            rules: ironloom_rules::config::RuntimeConfig::default(),
            compute: ironloom_compute::ComputeConfig::default(),
            apps: ironloom_apps::AppsConfig::default(),
            devices: ironloom_device::HubConfig::default(),
            #[cfg(feature = "cluster")]
            cluster: ironloom_cluster::ClusterConfig::default(),
            log: LogConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Address of the plain HTTP server (API, console, metrics, device API, MQTT over
    /// WebSocket); empty: none (then `tls_addr` must be set). Port 0 picks a free port.
    pub addr: ListenAddr,
    /// HTTPS: the same application over TLS (`tls_addr`, `tls_cert`, `tls_key`, client
    /// certificates with `tls_client_ca` and `tls_client_auth`).
    #[serde(flatten)]
    pub tls: TlsListenerConfig,
    /// Largest JSON request body.
    pub body_limit: ByteSize,
    /// Largest bulk-import body (CSV), and of a line-protocol write (after gzip).
    pub import_body_limit: ByteSize,
    /// How long a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// The built web console (`index.html` and `assets/`). Empty: `console` beside the
    /// binary, else `console/dist` under the working directory.
    pub console_dir: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            addr: ListenAddr::on(SocketAddr::from(([127, 0, 0, 1], 8080))),
            tls: TlsListenerConfig::default(),
            body_limit: ByteSize(1 << 20),
            import_body_limit: ByteSize(16 << 20),
            request_timeout: Duration(std::time::Duration::from_secs(60)),
            shutdown_grace: Duration(std::time::Duration::from_secs(10)),
            console_dir: String::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetaConfig {
    /// `postgres://user:pass@host/db`; empty for the SQLite file in the data directory.
    pub url: String,
    pub max_connections: u32,
}

impl Default for MetaConfig {
    fn default() -> Self {
        MetaConfig {
            url: String::new(),
            max_connections: 8,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// How long a log-in lasts.
    pub token_ttl: Duration,
    /// Failed log-ins in a row that lock an account.
    pub lockout_threshold: u32,
    /// How long a locked account stays locked.
    pub lockout_duration: Duration,
    /// File with the token signing key; empty for `<data_dir>/secrets/token.key`
    /// (created on first start). Share it between nodes of a cluster.
    pub token_key_file: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            token_ttl: Duration(std::time::Duration::from_secs(12 * 3600)),
            lockout_threshold: 5,
            lockout_duration: Duration(std::time::Duration::from_secs(15 * 60)),
            token_key_file: String::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Language of messages when a request does not ask for one: `en` or `zh-CN`.
    pub default_locale: String,
    /// Most rows in one bulk import.
    pub import_max_rows: usize,
    /// Largest file of identifiers an import job takes (`POST /api/v1/identifier-imports`;
    /// kept in `<data_dir>/identifier-imports` while the job runs).
    pub identifier_import_limit: ByteSize,
    /// Serve the SNMS-compatible hashed log-in (`/identity/token/v1`); see
    /// docs/identifiers.md for what it costs.
    pub snms_hashed_login: bool,
    /// How old the platform's evaluation figures may be when the report is opened (older
    /// ones are shown while new ones are gathered; `?fresh=true` gathers them at once).
    pub evaluation_max_age: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            default_locale: "en".into(),
            import_max_rows: 10_000,
            identifier_import_limit: ByteSize(512 << 20),
            snms_hashed_login: false,
            evaluation_max_age: Duration(std::time::Duration::from_secs(60)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter, e.g. `info` or `info,ironloom_meta=debug`. `RUST_LOG` wins.
    pub level: String,
    /// `text` or `json`.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    ParseFile { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Settings given on the command line; they override everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub http_addr: Option<SocketAddr>,
    pub meta_url: Option<String>,
    pub mqtt_addr: Option<String>,
    pub coap_addr: Option<String>,
}

impl Config {
    /// Builds the configuration from a file (optional), the environment and flags.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut doc = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
                        path: path.into(),
                        source,
                    })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::ParseFile {
                        path: path.into(),
                        message: one_line(&e.to_string()),
                    })?
            }
            None => toml::Table::new(),
        };
        let mut env_names = Vec::new();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("IRONLOOM__") else {
                continue;
            };
            let keys: Vec<String> = rest.split("__").map(|k| k.to_ascii_lowercase()).collect();
            if keys.iter().any(String::is_empty) {
                return Err(ConfigError::Env {
                    name,
                    message: "empty key segment".into(),
                });
            }
            set_path(&mut doc, &keys, env_value(&value)).map_err(|message| ConfigError::Env {
                name: name.clone(),
                message,
            })?;
            env_names.push(name);
        }
        let mut config: Config = Config::deserialize(toml::Value::Table(doc)).map_err(|e| {
            let message = one_line(&e.to_string());
            match (file, env_names.is_empty()) {
                (Some(path), true) => ConfigError::ParseFile {
                    path: path.into(),
                    message,
                },
                _ => ConfigError::Invalid(message),
            }
        })?;
        if let Some(d) = &overrides.data_dir {
            config.data_dir = d.clone();
        }
        if let Some(a) = overrides.http_addr {
            config.http.addr = ListenAddr::on(a);
        }
        if let Some(u) = &overrides.meta_url {
            config.meta.url = u.clone();
        }
        if let Some(a) = &overrides.mqtt_addr {
            config.mqtt.addr = a
                .parse()
                .map_err(|e| ConfigError::Invalid(format!("--mqtt: {e}")))?;
        }
        if let Some(a) = &overrides.coap_addr {
            config.coap.addr = a
                .parse()
                .map_err(|e| ConfigError::Invalid(format!("--coap: {e}")))?;
        }
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid("data_dir must not be empty".into()));
        }
        #[cfg(feature = "cluster")]
        self.cluster
            .validate(&self.meta.url)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if ironloom_core::i18n::Locale::parse(&self.api.default_locale).is_none() {
            return Err(ConfigError::Invalid(format!(
                "api.default_locale must be \"en\" or \"zh-CN\", not {:?}",
                self.api.default_locale
            )));
        }
        if self.auth.lockout_threshold == 0 {
            return Err(ConfigError::Invalid(
                "auth.lockout_threshold must be at least 1".into(),
            ));
        }
        if self.auth.token_ttl.0 < std::time::Duration::from_secs(60) {
            return Err(ConfigError::Invalid(
                "auth.token_ttl must be at least 1m".into(),
            ));
        }
        if self.http.addr.0.is_none() && !self.http.tls.enabled() {
            return Err(ConfigError::Invalid(
                "http.addr and http.tls_addr are both empty: set at least one".into(),
            ));
        }
        self.http
            .tls
            .validate("http")
            .map_err(|e| ConfigError::Invalid(e.0))?;
        if self.http.body_limit.0 < 1024 {
            return Err(ConfigError::Invalid(
                "http.body_limit must be at least 1KiB".into(),
            ));
        }
        self.tsdb.options().map_err(|e| ConfigError::Invalid(e.0))?;
        self.mqtt
            .validate()
            .map_err(|e| ConfigError::Invalid(e.0))?;
        if self.coap.addr.0.is_some() {
            self.coap
                .validate()
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        self.devices
            .validate()
            .map_err(|e| ConfigError::Invalid(e.0))?;
        self.rules
            .validate()
            .map_err(|e| ConfigError::Invalid(e.0))?;
        self.compute
            .validate()
            .map_err(|e| ConfigError::Invalid(e.0))?;
        self.apps.validate().map_err(ConfigError::Invalid)?;
        if self.meta.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "meta.max_connections must be at least 1".into(),
            ));
        }
        let url = &self.meta.url;
        if !url.is_empty()
            && !url.starts_with("postgres://")
            && !url.starts_with("postgresql://")
            && !url.starts_with("sqlite:")
        {
            return Err(ConfigError::Invalid(
                "meta.url must be empty (SQLite in the data directory), postgres://… or sqlite:…"
                    .into(),
            ));
        }
        Ok(())
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An environment value as TOML when it parses as a TOML value (numbers, booleans,
/// arrays), else as a plain string.
fn env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.into()),
    }
}

fn set_path(doc: &mut toml::Table, keys: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = keys.split_last().ok_or("no key")?;
    let mut table = doc;
    for k in parents {
        let entry = table
            .entry(k.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("{k} is not a section"))?;
    }
    table.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_file_in_config_dir_parses() {
        let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"))
            .join("../../config");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let gateway = path
                .file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with("gateway"));
            if path.extension().is_some_and(|e| e == "toml") && gateway {
                // `ironloom gateway`'s files.
                let text = std::fs::read_to_string(&path).unwrap();
                ironloom_gateway::config::parse(&text)
                    .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
                n += 1;
            } else if path.extension().is_some_and(|e| e == "toml") {
                Config::load(Some(&path), Vec::new(), &Overrides::default())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                n += 1;
            }
        }
        assert!(n >= 1, "no config files found in {}", dir.display());
    }

    #[test]
    fn example_config_matches_the_defaults() {
        let path = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"))
            .join("../../config/ironloom.example.toml");
        let c = Config::load(Some(&path), Vec::new(), &Overrides::default()).unwrap();
        let d = Config::default();
        assert_eq!(c.http.addr, d.http.addr);
        assert_eq!(c.http.tls, d.http.tls);
        assert_eq!(c.mqtt, d.mqtt);
        assert_eq!(c.http.body_limit, d.http.body_limit);
        assert_eq!(c.auth.token_ttl, d.auth.token_ttl);
        assert_eq!(c.auth.lockout_threshold, d.auth.lockout_threshold);
        assert_eq!(c.data_dir, d.data_dir);
        assert_eq!(c.rules.queue, d.rules.queue);
        assert_eq!(c.rules.checkpoint_interval, d.rules.checkpoint_interval);
        assert_eq!(c.rules.webhook_backoff, d.rules.webhook_backoff);
        assert_eq!(c.rules.webhook_max_backoff, d.rules.webhook_max_backoff);
        assert_eq!(c.rules.webhook_timeout, d.rules.webhook_timeout);
        assert_eq!(c.rules.alarm_repeat_interval, d.rules.alarm_repeat_interval);
        assert_eq!(c.devices.product_ttl, d.devices.product_ttl);
        assert_eq!(c.devices.status_flush, d.devices.status_flush);
        assert_eq!(c.devices.login_max_failures, d.devices.login_max_failures);
        assert_eq!(c.devices.login_window, d.devices.login_window);
        assert_eq!(c.devices.login_ban, d.devices.login_ban);
    }

    #[test]
    fn precedence_is_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "data_dir = \"/from/file\"\n[http]\naddr = \"127.0.0.1:1\"\n[auth]\nlockout_threshold = 3\n").unwrap();
        let e = env(&[
            ("IRONLOOM__HTTP__ADDR", "127.0.0.1:2"),
            ("IRONLOOM__AUTH__TOKEN_TTL", "2h"),
            ("OTHER", "x"),
        ]);
        let c = Config::load(Some(&file), e.clone(), &Overrides::default()).unwrap();
        assert_eq!(c.http.addr.0.unwrap().port(), 2);
        assert_eq!(c.auth.lockout_threshold, 3);
        assert_eq!(c.auth.token_ttl.0.as_secs(), 7200);
        assert_eq!(c.data_dir, PathBuf::from("/from/file"));
        let flags = Overrides {
            http_addr: Some("127.0.0.1:3".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::load(Some(&file), e, &flags).unwrap();
        assert_eq!(c.http.addr.0.unwrap().port(), 3);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let e = Config::load(
            None,
            env(&[("IRONLOOM__HTTP__ADRR", "x")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("adrr"), "{e}");
        let e = Config::load(
            None,
            env(&[("IRONLOOM__AUTH__TOKEN_TTL", "forever")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("forever"), "{e}");
        let e = Config::load(
            None,
            env(&[("IRONLOOM__API__DEFAULT_LOCALE", "fr")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("default_locale"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[http\naddr = 1").unwrap();
        let e = Config::load(Some(&file), Vec::new(), &Overrides::default()).unwrap_err();
        assert!(
            e.to_string().contains("bad.toml") && !e.to_string().contains('\n'),
            "{e}"
        );
    }

    #[test]
    fn the_mqtt_section_is_the_servers_own_config() {
        let c = Config::load(
            None,
            env(&[
                ("IRONLOOM__MQTT__MAX_KEEP_ALIVE", "30m"),
                ("IRONLOOM__MQTT__MAX_PACKET_SIZE", "32768"),
                ("IRONLOOM__MQTT__TLS_ADDR", "127.0.0.1:8883"),
                ("IRONLOOM__MQTT__TLS_CERT", "/etc/ironloom/server.crt"),
                ("IRONLOOM__MQTT__TLS_KEY", "/etc/ironloom/server.key"),
            ]),
            &Overrides {
                mqtt_addr: Some(String::new()),
                ..Overrides::default()
            },
        )
        .unwrap();
        assert_eq!(c.mqtt.max_keep_alive, 1800);
        assert_eq!(c.mqtt.max_packet_size, 32 * 1024);
        assert_eq!(c.mqtt.addr.0, None);
        assert_eq!(c.mqtt.tls.addr.0.unwrap().port(), 8883);
        for (vars, flag, word) in [
            (
                vec![("IRONLOOM__MQTT__RATE_BURST", "0")],
                None,
                "mqtt.rate_limit",
            ),
            (
                vec![
                    ("IRONLOOM__MQTT__TLS_ADDR", "127.0.0.1:0"),
                    ("IRONLOOM__MQTT__TLS_CERT", "c"),
                    ("IRONLOOM__MQTT__TLS_KEY", "k"),
                    ("IRONLOOM__MQTT__TLS_CLIENT_AUTH", "required"),
                ],
                None,
                "mqtt.tls_client_ca",
            ),
            (vec![], Some("somewhere"), "--mqtt"),
        ] {
            let flags = Overrides {
                mqtt_addr: flag.map(str::to_string),
                ..Overrides::default()
            };
            let e = Config::load(None, env(&vars), &flags)
                .unwrap_err()
                .to_string();
            assert!(e.contains(word), "{word} in {e}");
        }
    }

    #[test]
    fn units_parse() {
        assert_eq!("1MiB".parse::<ByteSize>().unwrap().0, 1 << 20);
        assert_eq!("512".parse::<ByteSize>().unwrap().0, 512);
        assert!("1 lightyear".parse::<ByteSize>().is_err());
        assert_eq!("15m".parse::<Duration>().unwrap().0.as_secs(), 900);
        assert_eq!("250ms".parse::<Duration>().unwrap().0.as_millis(), 250);
        assert!("m".parse::<Duration>().is_err());
        assert!("99999999999999999999d".parse::<Duration>().is_err());
    }
}
