//! A certificate's SHA-256 fingerprint: how a device's client certificate is registered.
//! Read as `openssl x509 -noout -fingerprint -sha256` prints it, or as plain hex (colons,
//! case and the `sha256 Fingerprint=` prefix do not matter).

use std::fmt;
use std::str::FromStr;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

use crate::error::TlsError;

/// SHA-256 of a certificate's DER encoding. Shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertFingerprint(pub [u8; 32]);

impl CertFingerprint {
    pub fn of_der(der: &[u8]) -> CertFingerprint {
        CertFingerprint(Sha256::digest(der).into())
    }

    /// The fingerprint of the first certificate of a PEM text (a device's own certificate
    /// comes first in a chain).
    pub fn of_pem(pem: &str) -> Result<CertFingerprint, TlsError> {
        let der = CertificateDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| TlsError::Fingerprint(format!("no PEM certificate: {e}")))?;
        Ok(CertFingerprint::of_der(&der))
    }
}

impl fmt::Display for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertFingerprint({self})")
    }
}

impl FromStr for CertFingerprint {
    type Err = TlsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // As openssl prints it: `sha256 Fingerprint=AB:CD:…`.
        let s = s.rsplit_once('=').map_or(s, |(_, f)| f);
        let digits: String = s.trim().chars().filter(|c| *c != ':').collect();
        let mut out = [0u8; 32];
        hex::decode_to_slice(&digits, &mut out).map_err(|_| {
            TlsError::Fingerprint(
                "a SHA-256 fingerprint is 64 hex digits, with or without colons".into(),
            )
        })?;
        Ok(CertFingerprint(out))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn openssl_notation_and_plain_hex_are_the_same() {
        let f = CertFingerprint::of_der(b"certificate");
        let plain = f.to_string();
        assert_eq!(plain.len(), 64);
        assert_eq!(plain, plain.to_lowercase());
        let openssl: Vec<String> = f.0.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(openssl.join(":").parse::<CertFingerprint>().unwrap(), f);
        let printed = format!("sha256 Fingerprint={}", openssl.join(":"));
        assert_eq!(printed.parse::<CertFingerprint>().unwrap(), f);
        assert_eq!(plain.parse::<CertFingerprint>().unwrap(), f);
        for bad in [
            "",
            "abc",
            &plain[..62],
            &format!("{plain}00"),
            &"zz".repeat(32),
        ] {
            assert!(bad.parse::<CertFingerprint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn pem_fingerprint_is_of_the_first_certificate() {
        let a = rcgen::generate_simple_self_signed(vec!["a".into()]).unwrap();
        let b = rcgen::generate_simple_self_signed(vec!["b".into()]).unwrap();
        let chain = format!("{}{}", a.cert.pem(), b.cert.pem());
        assert_eq!(
            CertFingerprint::of_pem(&chain).unwrap(),
            CertFingerprint::of_der(a.cert.der())
        );
        assert!(CertFingerprint::of_pem("not pem").is_err());
    }
}
