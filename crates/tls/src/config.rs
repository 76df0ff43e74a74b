//! The TLS settings of one listener, as they appear in its section (`[http]`, `[mqtt]`):
//! flattened into it with the `tls_` prefix, so every listener is configured the same way.

use std::path::PathBuf;

use ironloom_core::units::{Duration, InvalidConfig, ListenAddr};
use serde::Deserialize;

/// How often the files are checked for a new certificate by default.
pub const DEFAULT_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether clients must present a certificate (mutual TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// No client certificate is asked for.
    #[default]
    Off,
    /// Clients may present one; if they do, it must be signed by the client CA.
    Optional,
    /// Clients must present one signed by the client CA, or the handshake fails.
    Required,
}

/// One listener's TLS settings. Flattened into a section, so it does not refuse unknown
/// keys itself: the section does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TlsListenerConfig {
    /// Where the TLS listener listens; empty: no TLS listener.
    #[serde(rename = "tls_addr")]
    pub addr: ListenAddr,
    /// PEM file with the certificate chain, the server's own certificate first.
    #[serde(rename = "tls_cert")]
    pub cert: PathBuf,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    #[serde(rename = "tls_key")]
    pub key: PathBuf,
    /// PEM file with the CA certificates that sign client certificates; needed when
    /// `client_auth` is not `off`.
    #[serde(rename = "tls_client_ca")]
    pub client_ca: PathBuf,
    #[serde(rename = "tls_client_auth")]
    pub client_auth: ClientAuth,
    /// How often the files are checked for changes (new connections then get the new
    /// certificate); `0s`: only on SIGHUP.
    #[serde(rename = "tls_reload_interval")]
    pub reload_interval: Duration,
}

impl Default for TlsListenerConfig {
    fn default() -> Self {
        TlsListenerConfig {
            addr: ListenAddr::default(),
            cert: PathBuf::new(),
            key: PathBuf::new(),
            client_ca: PathBuf::new(),
            client_auth: ClientAuth::Off,
            reload_interval: Duration(DEFAULT_RELOAD_INTERVAL),
        }
    }
}

impl TlsListenerConfig {
    /// Whether a TLS listener is configured.
    pub fn enabled(&self) -> bool {
        self.addr.0.is_some()
    }

    /// Checks the settings of section `section` (for the messages, e.g. `mqtt`); says
    /// nothing about the files, which are read when the listener starts.
    pub fn validate(&self, section: &str) -> Result<(), InvalidConfig> {
        let invalid = |m: String| Err(InvalidConfig(m));
        let empty = |p: &PathBuf| p.as_os_str().is_empty();
        if !self.enabled() {
            return Ok(());
        }
        if empty(&self.cert) || empty(&self.key) {
            return invalid(format!(
                "{section}.tls_addr needs {section}.tls_cert and {section}.tls_key (PEM files)"
            ));
        }
        match (self.client_auth, empty(&self.client_ca)) {
            (ClientAuth::Off, false) => {
                return invalid(format!(
                    "{section}.tls_client_ca is set but {section}.tls_client_auth is off; \
                     set it to \"optional\" or \"required\""
                ));
            }
            (ClientAuth::Optional | ClientAuth::Required, true) => {
                return invalid(format!(
                    "{section}.tls_client_auth needs {section}.tls_client_ca (the PEM file of \
                     the CA that signs client certificates)"
                ));
            }
            _ => {}
        }
        let r = self.reload_interval.0;
        if !r.is_zero() && r < std::time::Duration::from_secs(1) {
            return invalid(format!(
                "{section}.tls_reload_interval must be at least 1s, or 0s for SIGHUP only"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> TlsListenerConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn disabled_by_default_and_valid() {
        let c = TlsListenerConfig::default();
        assert!(!c.enabled());
        c.validate("mqtt").unwrap();
        assert_eq!(parse(""), c);
    }

    #[test]
    fn keys_carry_the_tls_prefix() {
        let c = parse(
            "tls_addr = \"127.0.0.1:0\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n\
             tls_client_ca = \"ca.pem\"\ntls_client_auth = \"required\"\n\
             tls_reload_interval = \"30s\"",
        );
        assert!(c.enabled());
        assert_eq!(c.client_auth, ClientAuth::Required);
        assert_eq!(c.reload_interval.0.as_secs(), 30);
        c.validate("http").unwrap();
    }

    #[test]
    fn incomplete_settings_are_named() {
        let on = "tls_addr = \"127.0.0.1:0\"\n";
        for (text, words) in [
            ("", vec!["http.tls_addr", "http.tls_cert"]),
            (
                "tls_cert = \"c\"\ntls_key = \"k\"\ntls_client_auth = \"optional\"",
                vec!["http.tls_client_auth", "http.tls_client_ca"],
            ),
            (
                "tls_cert = \"c\"\ntls_key = \"k\"\ntls_client_ca = \"ca\"",
                vec!["http.tls_client_ca", "off"],
            ),
            (
                "tls_cert = \"c\"\ntls_key = \"k\"\ntls_reload_interval = \"10ms\"",
                vec!["http.tls_reload_interval"],
            ),
        ] {
            let e = parse(&format!("{on}{text}"))
                .validate("http")
                .unwrap_err()
                .to_string();
            for w in words {
                assert!(e.contains(w), "{w} in {e}");
            }
        }
        let e = toml::from_str::<TlsListenerConfig>("tls_client_auth = \"sometimes\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("sometimes"), "{e}");
    }
}
