//! How devices prove who they are, and the guard against guessing.
//!
//! Three ways in, as the device APIs Ironloom speaks define them:
//! - ThingsBoard access token: MQTT user name = the device's access token, no password (or
//!   the token in the HTTP/CoAP path);
//! - MQTT basic credentials: the device's user name and password;
//! - Alibaba Alink sign-in: client id `id|securemode=3,signmethod=hmacsha1,timestamp=…|`,
//!   user name `deviceName&productKey`, password = hex HMAC of the sorted parameters under
//!   the device secret.

use ironloom_core::sync::lock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};

/// Alink sign-in fields parsed from CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlinkLogin {
    /// The client id before the `|` parameters (signed as `clientId`).
    pub client_id: String,
    pub device_name: String,
    pub product_key: String,
    pub sign_method: SignMethod,
    pub timestamp: Option<String>,
    /// `_ss=1`: the device relies on the server to subscribe it to its topics (Alibaba's
    /// Link SDKs never subscribe by themselves).
    pub server_subscribes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignMethod {
    HmacMd5,
    HmacSha1,
    HmacSha256,
}

impl AlinkLogin {
    /// Parses an Alink CONNECT; `None` when the client id or user name is not in that form.
    pub fn parse(mqtt_client_id: &str, username: &str) -> Option<AlinkLogin> {
        let (client_id, rest) = mqtt_client_id.split_once('|')?;
        let params = rest.strip_suffix('|')?;
        let (device_name, product_key) = username.split_once('&')?;
        if device_name.is_empty() || product_key.is_empty() {
            return None;
        }
        let mut sign_method = SignMethod::HmacMd5; // Alink's default
        let mut timestamp = None;
        let mut server_subscribes = false;
        for kv in params.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=')?;
            match k.trim() {
                "signmethod" => {
                    sign_method = match v.trim().to_ascii_lowercase().as_str() {
                        "hmacmd5" => SignMethod::HmacMd5,
                        "hmacsha1" => SignMethod::HmacSha1,
                        "hmacsha256" | "sha256" => SignMethod::HmacSha256,
                        _ => return None,
                    }
                }
                "timestamp" => timestamp = Some(v.trim().to_owned()),
                "_ss" => server_subscribes = v.trim() == "1",
                // securemode, _v, ext, lan, gw …: SDK extras that do not enter the sign.
                _ => {}
            }
        }
        Some(AlinkLogin {
            client_id: client_id.to_owned(),
            device_name: device_name.to_owned(),
            product_key: product_key.to_owned(),
            sign_method,
            timestamp,
            server_subscribes,
        })
    }

    /// The string the device signed: parameters sorted by name, names and values run
    /// together.
    pub fn content(&self) -> String {
        let mut s = String::new();
        if !self.client_id.is_empty() {
            s.push_str("clientId");
            s.push_str(&self.client_id);
        }
        s.push_str("deviceName");
        s.push_str(&self.device_name);
        s.push_str("productKey");
        s.push_str(&self.product_key);
        if let Some(t) = &self.timestamp {
            s.push_str("timestamp");
            s.push_str(t);
        }
        s
    }

    /// Whether `password` is the signature of this login under `secret` (hex, any case).
    pub fn verify(&self, secret: &str, password: &str) -> bool {
        let expected = sign(
            self.sign_method,
            secret.as_bytes(),
            self.content().as_bytes(),
        );
        constant_time_eq(
            expected.as_bytes(),
            password.to_ascii_lowercase().as_bytes(),
        )
    }
}

/// Lower-case hex HMAC of `content` under `key`.
pub fn sign(method: SignMethod, key: &[u8], content: &[u8]) -> String {
    macro_rules! mac {
        ($d:ty) => {{
            // HMAC takes keys of any length.
            let mut m = match <Hmac<$d>>::new_from_slice(key) {
                Ok(m) => m,
                Err(_) => return String::new(),
            };
            m.update(content);
            hex::encode(m.finalize().into_bytes())
        }};
    }
    match method {
        SignMethod::HmacMd5 => mac!(md5::Md5),
        SignMethod::HmacSha1 => mac!(sha1::Sha1),
        SignMethod::HmacSha256 => mac!(sha2::Sha256),
    }
}

/// Compares secrets without leaking where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counts failed log-ins per source address and per device, and bans either for a while
/// after too many.
#[derive(Debug)]
pub struct LoginGuard {
    max_failures: u32,
    window: Duration,
    ban: Duration,
    by_ip: Mutex<HashMap<IpAddr, Failures>>,
    by_device: Mutex<HashMap<String, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
    banned_until: Option<Instant>,
}

/// Entries kept at most per map; the oldest windows are forgotten first.
const MAX_TRACKED: usize = 100_000;

impl LoginGuard {
    pub fn new(max_failures: u32, window: Duration, ban: Duration) -> LoginGuard {
        LoginGuard {
            max_failures,
            window,
            ban,
            by_ip: Mutex::new(HashMap::new()),
            by_device: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the address (or the named device) is banned right now.
    pub fn banned(&self, ip: IpAddr, device: Option<&str>) -> bool {
        let now = Instant::now();
        let check = |f: Option<&Failures>| {
            f.and_then(|f| f.banned_until)
                .is_some_and(|until| until > now)
        };
        check(lock(&self.by_ip).get(&ip))
            || device.is_some_and(|d| check(lock(&self.by_device).get(d)))
    }

    /// Records a failure; `device` is what the client claimed to be, when it named one.
    pub fn failed(&self, ip: IpAddr, device: Option<&str>) {
        let now = Instant::now();
        record(&mut lock(&self.by_ip), ip, now, self);
        if let Some(d) = device {
            record(&mut lock(&self.by_device), d.to_owned(), now, self);
        }
    }

    /// Failed attempts in the current window for an address.
    pub fn failures_for_ip(&self, ip: IpAddr) -> u32 {
        lock(&self.by_ip).get(&ip).map_or(0, |f| f.count)
    }

    /// Failed attempts in the current window for a device key (token, user name, or
    /// `productKey/deviceName`).
    pub fn failures_for_device(&self, device: &str) -> u32 {
        lock(&self.by_device).get(device).map_or(0, |f| f.count)
    }
}

fn record<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, Failures>,
    key: K,
    now: Instant,
    g: &LoginGuard,
) {
    if map.len() >= MAX_TRACKED {
        map.retain(|_, f| {
            now.saturating_duration_since(f.since) < g.window
                || f.banned_until.is_some_and(|u| u > now)
        });
        if map.len() >= MAX_TRACKED {
            map.clear();
        }
    }
    let f = map.entry(key).or_insert(Failures {
        count: 0,
        since: now,
        banned_until: None,
    });
    if now.saturating_duration_since(f.since) >= g.window {
        f.count = 0;
        f.since = now;
    }
    f.count += 1;
    if f.count >= g.max_failures {
        f.banned_until = Some(now + g.ban);
    }
}

/// Signs an application in with an API key (`ilk_<id>_<secret>`): the key must be valid,
/// unexpired and unrevoked, its creator enabled, and both the key's scopes and the
/// creator's role must allow `rule:read` (republished rule output is what it reads).
/// Returns the tenant.
pub async fn application_login(
    meta: &dyn ironloom_core::repo::MetaStore,
    key: &str,
) -> Result<ironloom_core::ids::TenantId, crate::hub::LoginError> {
    use crate::hub::LoginError;
    use ironloom_core::auth::{Permission, PermissionSet};
    use sha2::Digest;
    let bad = || LoginError::BadCredentials;
    let id = ironloom_core::auth::parse_api_key(key).ok_or_else(bad)?;
    let (api_key, hash) = meta
        .get_api_key_secret(id)
        .await
        .map_err(|_| LoginError::Unavailable)?
        .ok_or_else(bad)?;
    let presented = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    if !constant_time_eq(presented.as_bytes(), hash.as_bytes()) || api_key.revoked {
        return Err(bad());
    }
    if api_key.expires_at.is_some_and(|e| e <= chrono::Utc::now()) {
        return Err(bad());
    }
    let user = meta
        .get_user(ironloom_core::repo::Scope::All, api_key.created_by)
        .await
        .map_err(|_| bad())?;
    let allowed = user
        .role
        .permissions()
        .intersect(PermissionSet::of(&api_key.scopes))
        .contains(Permission::RuleRead);
    match (user.enabled, user.tenant_id, allowed) {
        (true, Some(t), true) => {
            let tenant = meta.get_tenant(t).await.map_err(|_| bad())?;
            if tenant.enabled { Ok(t) } else { Err(bad()) }
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alink_signatures_match_public_examples() {
        // Alibaba Cloud's own example (help doc 73742).
        let l = AlinkLogin::parse(
            "12345|securemode=3,signmethod=hmacsha1,timestamp=789|",
            "device&pk",
        )
        .unwrap();
        assert_eq!(
            l.content(),
            "clientId12345deviceNamedeviceproductKeypktimestamp789"
        );
        assert!(l.verify("secret", "FAFD82A3D602B37FB0FA8B7892F24A477F851A14"));
        assert!(!l.verify("secret2", "FAFD82A3D602B37FB0FA8B7892F24A477F851A14"));
        // A worked example published with all inputs.
        let l = AlinkLogin::parse(
            "SN1928339|securemode=3,signmethod=hmacsha1,timestamp=1539421321846|",
            "light1983432&a14Xib5kdYd",
        )
        .unwrap();
        assert!(l.verify(
            "oLyaKqVxtRvjH284LdhqVgVUx1UPy6zq",
            "b2488041f64f425016b467ee1c94959ebd592ad1"
        ));
        // Without a timestamp.
        let l = AlinkLogin::parse(
            "XP001|securemode=3,signmethod=hmacsha1|",
            "XP001&a1Ze3BcsQ5x",
        )
        .unwrap();
        assert!(l.verify(
            "amzS2Q9siGHpSVDVhvDV43661DmfdXtW",
            "cc4e388e7f1ea1e5bdaf15891b76f2dfcfeffb06"
        ));
    }

    #[test]
    fn sdk_extras_are_ignored_and_bad_forms_refused() {
        let l = AlinkLogin::parse(
            "pk.dn|timestamp=2524608000000,_v=sdk-c-3.0.1,securemode=3,signmethod=hmacsha256,lan=C|",
            "dn&pk",
        )
        .unwrap();
        assert_eq!(l.sign_method, SignMethod::HmacSha256);
        assert_eq!(l.timestamp.as_deref(), Some("2524608000000"));
        assert!(!l.server_subscribes);
        let sig = sign(SignMethod::HmacSha256, b"s3cret", l.content().as_bytes());
        assert!(l.verify("s3cret", &sig.to_uppercase()));
        assert!(AlinkLogin::parse("plain-client", "dn&pk").is_none());
        assert!(AlinkLogin::parse("c|signmethod=hmacsha512|", "dn&pk").is_none());
        assert!(AlinkLogin::parse("c|securemode=3|", "no-ampersand").is_none());
        assert!(AlinkLogin::parse("c|securemode=3|", "&pk").is_none());
        // The Link SDK for Python's client id: `_ss=1` asks the server to subscribe it.
        let l = AlinkLogin::parse(
            "pk&dn|securemode=3,signmethod=hmacsha1,ext=1,_ss=1,lan=Python,_v=1.2.13,timestamp=1|",
            "dn&pk",
        )
        .unwrap();
        assert!(l.server_subscribes);
        assert_eq!(l.client_id, "pk&dn");
        // Default sign method is hmacmd5.
        let l = AlinkLogin::parse("c||", "dn&pk").unwrap();
        assert_eq!(l.sign_method, SignMethod::HmacMd5);
        assert_eq!(
            sign(
                SignMethod::HmacMd5,
                b"secret",
                b"clientId12345deviceNamedeviceproductKeypktimestamp789"
            )
            .to_uppercase(),
            "14B198324FE55E1D3C88F2E705E201EE"
        );
    }

    #[test]
    fn repeated_failures_ban_the_address_and_the_device() {
        let g = LoginGuard::new(3, Duration::from_secs(60), Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..2 {
            g.failed(ip, Some("dev"));
        }
        assert!(!g.banned(ip, Some("dev")));
        g.failed(ip, Some("dev"));
        assert!(g.banned(ip, None));
        assert!(
            g.banned(other, Some("dev")),
            "the device is banned from anywhere"
        );
        assert!(!g.banned(other, Some("another")));
        assert_eq!(g.failures_for_ip(ip), 3);
        assert_eq!(g.failures_for_device("dev"), 3);
    }
}
