//! Package signatures of the marketplace: ed25519 over a package's digest, made with the
//! platform's active signing key and checked against every key not revoked.
//!
//! What is signed: the bytes `ironloom-app-signature-v1\n{digest}` (the digest covers
//! every file of the package but `signature.json`, see [`crate::package::digest`]), so
//! changing any file, adding one or removing one breaks the signature. The private keys
//! are kept sealed (AES-256-GCM) under a key-encryption key the server derives from its
//! secret, so a copy of the metadata database alone cannot sign.

use crate::package::{AppPackage, Signature, pack};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ironloom_core::market::{KeyState, SealedSigningKey, SigningKey};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sha2::{Digest, Sha256};

/// The only algorithm.
pub const ALGORITHM: &str = "ed25519";
const CONTEXT: &[u8] = b"ironloom-app-signature-v1\n";

/// Why a package's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the package is not signed by the marketplace")]
    Unsigned,
    #[error("the package is signed with {0}, which is not supported (ed25519 only)")]
    Algorithm(String),
    #[error("the package is signed with key {0}, which this platform does not know")]
    UnknownKey(String),
    #[error("the package is signed with key {0}, which was revoked")]
    RevokedKey(String),
    #[error(
        "the signature does not match the package's contents: the package was changed after it was signed"
    )]
    Tampered,
    #[error("the signing key cannot be used: {0}")]
    Key(String),
}

impl SignatureError {
    /// The same, in Chinese.
    pub fn zh(&self) -> String {
        match self {
            SignatureError::Unsigned => "应用包没有应用市场的签名".into(),
            SignatureError::Algorithm(a) => {
                format!("应用包的签名算法 {a} 不受支持（仅支持 ed25519）")
            }
            SignatureError::UnknownKey(k) => format!("应用包由未知密钥 {k} 签名"),
            SignatureError::RevokedKey(k) => format!("应用包的签名密钥 {k} 已被吊销"),
            SignatureError::Tampered => "签名与应用包内容不符：应用包在签名后被篡改".into(),
            SignatureError::Key(e) => format!("签名密钥不可用：{e}"),
        }
    }
}

/// The key that seals the signing keys' private halves.
#[derive(Clone)]
pub struct KeyEncryptionKey([u8; 32]);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(…)")
    }
}

impl KeyEncryptionKey {
    /// Derived from a server secret (the token signing key's bytes).
    pub fn derive(secret: &[u8]) -> KeyEncryptionKey {
        let mut h = Sha256::new();
        h.update(b"ironloom marketplace signing keys v1\0");
        h.update(secret);
        KeyEncryptionKey(h.finalize().into())
    }

    fn aead(&self) -> Result<LessSafeKey, SignatureError> {
        UnboundKey::new(&AES_256_GCM, &self.0)
            .map(LessSafeKey::new)
            .map_err(|_| SignatureError::Key("not an AES-256 key".into()))
    }

    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SignatureError::Key("no randomness".into()))?;
        let mut buf = plain.to_vec();
        self.aead()?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .map_err(|_| SignatureError::Key("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SignatureError> {
        if sealed.len() < NONCE_LEN {
            return Err(SignatureError::Key("the sealed key is cut short".into()));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| SignatureError::Key("bad nonce".into()))?;
        let mut buf = body.to_vec();
        let plain = self
            .aead()?
            .open_in_place(nonce, Aad::empty(), &mut buf)
            .map_err(|_| {
                SignatureError::Key(
                    "it was sealed under another server secret (was the token key replaced?); \
                     rotate the signing key"
                        .into(),
                )
            })?;
        Ok(plain.to_vec())
    }
}

/// The id of a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public: &[u8]) -> String {
    hex::encode(Sha256::digest(public))[..16].to_string()
}

/// A new signing key, sealed; the store makes it the active one.
pub fn new_key(kek: &KeyEncryptionKey) -> Result<SealedSigningKey, SignatureError> {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| SignatureError::Key("key generation failed".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| SignatureError::Key("key generation failed".into()))?;
    let public = pair.public_key().as_ref();
    Ok(SealedSigningKey {
        key: SigningKey {
            key_id: key_id(public),
            algorithm: ALGORITHM.into(),
            public_key: B64.encode(public),
            state: KeyState::Active,
            created_at: chrono::Utc::now(),
            retired_at: None,
        },
        sealed_private: kek.seal(pkcs8.as_ref())?,
    })
}

fn message(digest: &str) -> Vec<u8> {
    let mut m = CONTEXT.to_vec();
    m.extend_from_slice(digest.as_bytes());
    m
}

/// The signature of a package with digest `digest`.
pub fn sign_digest(
    digest: &str,
    key: &SealedSigningKey,
    kek: &KeyEncryptionKey,
) -> Result<Signature, SignatureError> {
    let pkcs8 = kek.open(&key.sealed_private)?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| SignatureError::Key("not an ed25519 key".into()))?;
    Ok(Signature {
        algorithm: ALGORITHM.into(),
        key_id: key.key.key_id.clone(),
        signature: B64.encode(pair.sign(&message(digest)).as_ref()),
    })
}

/// The package with the platform's signature added (any signature it had is replaced).
pub fn sign_package(
    package: &AppPackage,
    key: &SealedSigningKey,
    kek: &KeyEncryptionKey,
) -> Result<Vec<u8>, SignatureError> {
    let sig = sign_digest(&package.digest, key, kek)?;
    let mut files = package.files.clone();
    let json = serde_json::to_vec_pretty(&sig).map_err(|e| SignatureError::Key(e.to_string()))?;
    files.insert("signature.json".into(), json);
    pack(&files).map_err(|e| SignatureError::Key(e.to_string()))
}

/// Checks a package's signature against the platform's keys; the key that signed it.
pub fn verify<'k>(
    package: &AppPackage,
    keys: &'k [SigningKey],
) -> Result<&'k SigningKey, SignatureError> {
    let sig = package.signature.as_ref().ok_or(SignatureError::Unsigned)?;
    if sig.algorithm != ALGORITHM {
        return Err(SignatureError::Algorithm(sig.algorithm.clone()));
    }
    let key = keys
        .iter()
        .find(|k| k.key_id == sig.key_id)
        .ok_or_else(|| SignatureError::UnknownKey(sig.key_id.clone()))?;
    if key.state == KeyState::Revoked {
        return Err(SignatureError::RevokedKey(key.key_id.clone()));
    }
    let public = B64
        .decode(&key.public_key)
        .map_err(|_| SignatureError::Key(format!("key {} is not base64", key.key_id)))?;
    let signature = B64
        .decode(&sig.signature)
        .map_err(|_| SignatureError::Tampered)?;
    UnparsedPublicKey::new(&ED25519, public)
        .verify(&message(&package.digest), &signature)
        .map_err(|_| SignatureError::Tampered)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::PackageLimits;
    use std::collections::BTreeMap;

    fn package(files: &BTreeMap<String, Vec<u8>>) -> AppPackage {
        AppPackage::read(&pack(files).unwrap(), &PackageLimits::default(), None).unwrap()
    }

    fn files() -> BTreeMap<String, Vec<u8>> {
        let manifest = serde_json::json!({
            "format": 1, "id": "acme.sig-test", "version": "1.0.0",
            "name": {"en": "Signature test", "zh-CN": "签名测试"},
            "description": {"en": "A test", "zh-CN": "测试"},
            "publisher": "ACME",
            "modules": [{"name": "main", "path": "modules/main.wasm"}]
        });
        BTreeMap::from([
            (
                "manifest.json".into(),
                serde_json::to_vec(&manifest).unwrap(),
            ),
            ("README.md".into(), b"# test".to_vec()),
            ("icon.svg".into(), b"<svg/>".to_vec()),
            ("modules/main.wasm".into(), b"\0asm\x01\0\0\0".to_vec()),
        ])
    }

    #[test]
    fn a_signed_package_verifies_and_any_change_is_found() {
        let kek = KeyEncryptionKey::derive(b"server secret");
        let key = new_key(&kek).unwrap();
        let keys = vec![key.key.clone()];
        let pkg = package(&files());
        let signed = sign_package(&pkg, &key, &kek).unwrap();
        let read = AppPackage::read(&signed, &PackageLimits::default(), None).unwrap();
        assert_eq!(read.digest, pkg.digest);
        assert_eq!(verify(&read, &keys).unwrap().key_id, key.key.key_id);

        // One byte of the module changed, with the old signature kept.
        let mut changed = read.files.clone();
        changed.insert("modules/main.wasm".into(), b"\0asm\x01\0\0\0\0".to_vec());
        changed.insert(
            "signature.json".into(),
            serde_json::to_vec(read.signature.as_ref().unwrap()).unwrap(),
        );
        let tampered = package(&changed);
        assert_eq!(verify(&tampered, &keys), Err(SignatureError::Tampered));
        // A file added.
        let mut added = changed.clone();
        added.insert("modules/main.wasm".into(), b"\0asm\x01\0\0\0".to_vec());
        added.insert("ui/extra.js".into(), b"steal()".to_vec());
        assert_eq!(
            verify(&package(&added), &keys),
            Err(SignatureError::Tampered)
        );
        // Unsigned, unknown and revoked keys.
        assert_eq!(verify(&pkg, &keys), Err(SignatureError::Unsigned));
        let other = new_key(&kek).unwrap();
        assert!(matches!(
            verify(&read, std::slice::from_ref(&other.key)),
            Err(SignatureError::UnknownKey(_))
        ));
        let mut revoked = key.key.clone();
        revoked.state = KeyState::Revoked;
        assert!(matches!(
            verify(&read, &[revoked]),
            Err(SignatureError::RevokedKey(_))
        ));
        // A retired key still verifies what it signed.
        let mut retired = key.key.clone();
        retired.state = KeyState::Retired;
        assert!(verify(&read, &[other.key.clone(), retired]).is_ok());
    }

    #[test]
    fn a_key_sealed_under_another_secret_cannot_sign() {
        let key = new_key(&KeyEncryptionKey::derive(b"one")).unwrap();
        let err = sign_digest("00", &key, &KeyEncryptionKey::derive(b"two")).unwrap_err();
        assert!(matches!(err, SignatureError::Key(_)), "{err}");
        // The sealed private half is not the PKCS#8 document in the clear.
        assert!(key.sealed_private.len() > 48);
    }
}
