//! PEM files into a rustls server configuration.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use sha2::{Digest, Sha256};

use crate::config::{ClientAuth, TlsListenerConfig};
use crate::error::TlsError;
use crate::fingerprint::CertFingerprint;

/// The contents of a listener's files, read together.
pub(crate) struct Files {
    cert: Vec<u8>,
    key: Vec<u8>,
    client_ca: Option<Vec<u8>>,
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::ReadFile {
        path: path.into(),
        source,
    })
}

impl Files {
    pub(crate) fn read(s: &TlsListenerConfig) -> Result<Files, TlsError> {
        Ok(Files {
            cert: read(&s.cert)?,
            key: read(&s.key)?,
            client_ca: match s.client_auth {
                ClientAuth::Off => None,
                ClientAuth::Optional | ClientAuth::Required => Some(read(&s.client_ca)?),
            },
        })
    }

    /// One digest of all the contents, to tell whether anything changed.
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [Some(&self.cert), Some(&self.key), self.client_ca.as_ref()] {
            let part = part.map_or(&[][..], |p| p.as_slice());
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }
}

/// A configuration ready for handshakes, and the fingerprint of the certificate it serves.
pub(crate) struct Loaded {
    pub config: Arc<ServerConfig>,
    pub fingerprint: CertFingerprint,
}

fn pem_error(path: &Path, e: pem::Error) -> TlsError {
    TlsError::ParsePem {
        path: path.into(),
        detail: e.to_string(),
    }
}

pub(crate) fn build(s: &TlsListenerConfig, f: &Files) -> Result<Loaded, TlsError> {
    let chain = CertificateDer::pem_slice_iter(&f.cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(&s.cert, e))?;
    let Some(leaf) = chain.first() else {
        return Err(TlsError::NoCertificate {
            path: s.cert.clone(),
        });
    };
    let fingerprint = CertFingerprint::of_der(leaf);
    let key = PrivateKeyDer::from_pem_slice(&f.key).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: s.key.clone(),
        },
        e => pem_error(&s.key, e),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::BuildConfig {
            path: s.cert.clone(),
            detail: e.to_string(),
        })?;
    let builder = match &f.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let ca_error = |detail: String| TlsError::ClientCa {
                path: s.client_ca.clone(),
                detail,
            };
            let mut roots = rustls::RootCertStore::empty();
            for der in CertificateDer::pem_slice_iter(ca) {
                let der = der.map_err(|e| pem_error(&s.client_ca, e))?;
                roots.add(der).map_err(|e| ca_error(e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(TlsError::NoCertificate {
                    path: s.client_ca.clone(),
                });
            }
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
            let verifier = match s.client_auth {
                ClientAuth::Optional => verifier.allow_unauthenticated(),
                ClientAuth::Off | ClientAuth::Required => verifier,
            };
            let verifier = verifier.build().map_err(|e| ca_error(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder.with_single_cert(chain, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
            cert: s.cert.clone(),
            key: s.key.clone(),
        },
        rustls::Error::General(detail) => TlsError::LoadKey {
            path: s.key.clone(),
            detail,
        },
        other => TlsError::BuildConfig {
            path: s.cert.clone(),
            detail: other.to_string(),
        },
    })?;
    Ok(Loaded {
        config: Arc::new(config),
        fingerprint,
    })
}
