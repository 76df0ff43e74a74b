//! Credentials: argon2 password hashes, HS256-signed session tokens (JWT) and API keys.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use ironloom_core::error::{AuthFailure, Error};
use ironloom_core::ids::{ApiKeyId, TenantId, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

pub use ironloom_core::auth::random_token;

type HmacSha256 = Hmac<Sha256>;

/// Hashes a password with argon2id (default parameters: 19 MiB, 2 passes). Runs on the
/// blocking pool because it takes tens of milliseconds on purpose.
pub async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h: PasswordHash| h.to_string())
            .map_err(|e| Error::storage("hash password", e))
    })
    .await
    .map_err(|e| Error::storage("hash password", e))?
}

/// Checks a password against a stored hash. With `None` it still does the work of a check,
/// so an unknown user name takes as long to refuse as a wrong password.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && hash != DUMMY_HASH
    })
    .await
    .unwrap_or(false)
}

// An argon2id hash of a random string nobody knows, used to spend the same time on
// unknown users.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3c8Q2K1kT2y0nG5k3t0m6m1HqYy5s1Q5m0Zk2b8aG1E";

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// The user's tenant (absent for platform users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<TenantId>,
    pub iat: i64,
    pub exp: i64,
    /// A fingerprint of the password hash: changing the password ends every session.
    /// For a token standing for an API key, of the key's hash.
    pub pwd: String,
    /// The API key this token stands for (issued by the SNMS API's log-in to a caller
    /// that proved it holds the key): it acts as that key, with its scopes, and ends with
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<ApiKeyId>,
}

/// Signs and checks session tokens with a secret key.
#[derive(Clone)]
pub struct TokenSigner {
    key: Vec<u8>,
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSigner(..)")
    }
}

impl TokenSigner {
    /// `key` must be at least 32 bytes of secret randomness.
    pub fn new(key: Vec<u8>) -> Self {
        TokenSigner { key }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        #[allow(clippy::expect_used)]
        HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length")
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    /// Checks the signature (in constant time) and the expiry.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, Error> {
        let invalid = Error::Unauthenticated(AuthFailure::InvalidToken);
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid);
        };
        let header_json = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| Error::Unauthenticated(AuthFailure::InvalidToken))?;
        let header_value: serde_json::Value = serde_json::from_slice(&header_json)
            .map_err(|_| Error::Unauthenticated(AuthFailure::InvalidToken))?;
        // Only HS256: a token that names another algorithm ("none") is refused outright.
        if header_value.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(invalid);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| Error::Unauthenticated(AuthFailure::InvalidToken))?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| Error::Unauthenticated(AuthFailure::InvalidToken))?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Error::Unauthenticated(AuthFailure::InvalidToken))?;
        let claims: Claims = serde_json::from_slice(&payload)
            .map_err(|_| Error::Unauthenticated(AuthFailure::InvalidToken))?;
        if claims.exp <= now {
            return Err(Error::Unauthenticated(AuthFailure::TokenExpired));
        }
        Ok(claims)
    }
}

/// A short fingerprint of a password hash for [`Claims::pwd`].
pub fn password_fingerprint(hash: &str) -> String {
    let digest = Sha256::digest(hash.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..9])
}

pub fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub use ironloom_core::auth::{API_KEY_PREFIX, parse_api_key};

/// A freshly made key; `full_key` is shown to the user once and never stored.
pub struct NewKeySecret {
    pub id: ApiKeyId,
    pub full_key: String,
    pub display_prefix: String,
    pub secret_hash: String,
}

impl fmt::Debug for NewKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKeySecret")
            .field("id", &self.id)
            .field("display_prefix", &self.display_prefix)
            .finish()
    }
}

pub fn new_api_key(id: ApiKeyId) -> NewKeySecret {
    let secret = random_token(40);
    let full_key = format!("{API_KEY_PREFIX}{}_{secret}", id.as_uuid().simple());
    NewKeySecret {
        id,
        display_prefix: full_key.chars().take(12).collect(),
        secret_hash: sha256_hex(&full_key),
        full_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: UserId::new(),
            tid: None,
            iat: 0,
            exp,
            pwd: "x".into(),
            key: None,
        }
    }

    #[test]
    fn tokens_verify_and_expire() {
        let s = TokenSigner::new(vec![7; 32]);
        let c = claims(100);
        let t = s.sign(&c);
        assert_eq!(s.verify(&t, 50).unwrap(), c);
        assert_eq!(s.verify(&t, 100).unwrap_err().code(), "token_expired");
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let s = TokenSigner::new(vec![7; 32]);
        let t = s.sign(&claims(100));
        let other = TokenSigner::new(vec![8; 32]);
        assert_eq!(other.verify(&t, 0).unwrap_err().code(), "invalid_token");
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(1 << 40)).unwrap());
        parts[1] = &forged;
        assert_eq!(
            s.verify(&parts.join("."), 0).unwrap_err().code(),
            "invalid_token"
        );
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(1 << 40)).unwrap())
        );
        assert!(s.verify(&none_alg, 0).is_err());
        for junk in ["", "a.b", "a.b.c.d", "...", "💥.💥.💥"] {
            assert!(s.verify(junk, 0).is_err(), "{junk}");
        }
    }

    #[test]
    fn api_keys_parse_back() {
        let id = ApiKeyId::new();
        let k = new_api_key(id);
        assert_eq!(parse_api_key(&k.full_key), Some(id));
        assert_eq!(k.secret_hash, sha256_hex(&k.full_key));
        assert!(parse_api_key("ilk_nothex_x").is_none());
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd"));
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2_hash() {
        // If it stopped parsing, unknown users would be refused without the argon2 work,
        // and the time taken would tell which user names exist.
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
    }

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let h = hash_password("s3cret-pass".into()).await.unwrap();
        assert!(verify_password("s3cret-pass".into(), Some(h.clone())).await);
        assert!(!verify_password("wrong".into(), Some(h)).await);
        assert!(!verify_password("anything".into(), None).await);
    }
}
