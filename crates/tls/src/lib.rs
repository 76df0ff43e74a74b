//! TLS for every Ironloom listener: HTTPS (the REST API, the console, the HTTP device API
//! and MQTT over WebSocket at `/mqtt`) and MQTT over TLS.
//!
//! Every listener takes the same settings, [`TlsListenerConfig`] (`tls_addr`, `tls_cert`,
//! `tls_key`, `tls_client_ca`, `tls_client_auth`, `tls_reload_interval` in its section),
//! and turns them into a [`ServerTls`]: the rustls configuration in use, swapped for a new
//! one when the files change (polled) or when asked ([`ServerTls::reload`], on SIGHUP).
//! The whole configuration is swapped rather than only the certificate, so a new client
//! CA takes effect the same way as a new certificate.
//!
//! Layout: `config` (the settings and their checks), `error` ([`TlsError`]: every message
//! names the file), `load` (PEM files into a rustls server configuration), `server`
//! ([`ServerTls`]: the current configuration, reloads, handshakes with a deadline),
//! `fingerprint` ([`CertFingerprint`], the SHA-256 of a certificate, by which devices are
//! registered for client-certificate log-in). Certificates for tests are made by
//! `ironloom-testkit` (feature `tls`).
//!
//! Invariants:
//! - A handshake uses the configuration that was current when it began; a reload never
//!   touches established connections.
//! - A reload that fails (a file missing or unreadable, bad PEM, a key that does not
//!   belong to the certificate) changes nothing: the configuration in use stays, and the
//!   error is logged once for each new content of the files.
//! - A client certificate is reported only once rustls has verified it against the
//!   listener's client CA; without a client CA, no client certificate is asked for.
//! - The crypto provider is always `ring`.

mod config;
mod error;
mod fingerprint;
mod load;
mod server;

pub use config::{ClientAuth, DEFAULT_RELOAD_INTERVAL, TlsListenerConfig};
pub use error::TlsError;
pub use fingerprint::CertFingerprint;
pub use server::{HandshakeError, Reload, ServerTls, client_certificate};
pub use tokio_rustls::server::TlsStream;
