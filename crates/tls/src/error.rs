//! What can go wrong with TLS settings and files; every message names the setting or file.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{0}")]
    Config(#[from] ironloom_core::units::InvalidConfig),
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a PEM file: {detail}", path.display())]
    ParsePem { path: PathBuf, detail: String },
    #[error("{}: no PEM certificate (BEGIN CERTIFICATE) in it", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{}: no PEM private key (BEGIN PRIVATE KEY, RSA or EC PRIVATE KEY) in it", path.display())]
    NoKey { path: PathBuf },
    #[error("{}: the private key cannot be used: {detail}", path.display())]
    LoadKey { path: PathBuf, detail: String },
    #[error("the private key in {} does not belong to the certificate in {}", key.display(), cert.display())]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("{}: {detail}", path.display())]
    BuildConfig { path: PathBuf, detail: String },
    #[error("{}: not a usable client CA: {detail}", path.display())]
    ClientCa { path: PathBuf, detail: String },
    #[error("not a certificate fingerprint: {0}")]
    Fingerprint(String),
}
