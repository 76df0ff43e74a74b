//! Device log-in: access tokens, user name and password, Alibaba Alink signatures, client
//! certificates, with failed attempts counted per address and claimed device.

use std::net::IpAddr;

use ironloom_core::entity::{Device, DeviceCredentials};
use tracing::warn;

use super::{DeviceCtx, DeviceHub, ctx_of};
use crate::auth::{AlinkLogin, constant_time_eq};

/// How a device presents itself.
#[derive(Debug)]
pub enum Login<'a> {
    /// ThingsBoard access token.
    Token(&'a str),
    /// MQTT user name and password.
    Basic {
        username: &'a str,
        password: &'a str,
    },
    /// Alibaba Alink HMAC sign-in.
    Alink {
        login: AlinkLogin,
        password: &'a str,
    },
    /// A client certificate the TLS listener verified against its client CA, by its
    /// SHA-256 fingerprint: the device it is registered to, and no other.
    Certificate(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("unknown device or wrong credentials")]
    BadCredentials,
    #[error("too many failed log-ins; try again later")]
    Banned,
    #[error("the device store is unavailable")]
    Unavailable,
}

impl DeviceHub {
    /// Checks credentials; counts failures per address and claimed device, and refuses
    /// banned ones before looking anything up.
    pub async fn login(&self, login: Login<'_>, peer: IpAddr) -> Result<DeviceCtx, LoginError> {
        let claimed = match &login {
            Login::Token(t) => format!("token:{t}"),
            Login::Basic { username, .. } => format!("user:{username}"),
            Login::Alink { login, .. } => format!("{}/{}", login.product_key, login.device_name),
            Login::Certificate(f) => format!("x509:{f}"),
        };
        if self.guard.banned(peer, Some(&claimed)) {
            metrics::counter!("ironloom_device_logins_total", "outcome" => "banned").increment(1);
            return Err(LoginError::Banned);
        }
        let unavailable = |e: ironloom_core::error::Error| {
            warn!(error = %e, "device log-in could not read the store");
            LoginError::Unavailable
        };
        let found: Option<(Device, Option<DeviceCredentials>)> = match &login {
            Login::Token(t) if !t.is_empty() => self
                .meta
                .find_device_by_token(t)
                .await
                .map_err(unavailable)?
                .map(|d| (d, None)),
            Login::Token(_) => None,
            Login::Basic { username, password } => self
                .meta
                .find_device_by_username(username)
                .await
                .map_err(unavailable)?
                .filter(|(_, c)| constant_time_eq(c.password.as_bytes(), password.as_bytes()))
                .map(|(d, c)| (d, Some(c))),
            Login::Alink { login, password } => self
                .meta
                .find_device_by_product_key(&login.product_key, &login.device_name)
                .await
                .map_err(unavailable)?
                .filter(|(_, c)| !c.secret.is_empty() && login.verify(&c.secret, password))
                .map(|(d, c)| (d, Some(c))),
            Login::Certificate(f) => self
                .meta
                .find_device_by_x509(f)
                .await
                .map_err(unavailable)?
                .map(|d| (d, None)),
        };
        let Some((device, _)) = found else {
            self.guard.failed(peer, Some(&claimed));
            metrics::counter!("ironloom_device_logins_total", "outcome" => "refused").increment(1);
            return Err(LoginError::BadCredentials);
        };
        let product = self
            .product(device.tenant_id, device.product_id)
            .await
            .map_err(|_| LoginError::Unavailable)?;
        metrics::counter!("ironloom_device_logins_total", "outcome" => "accepted").increment(1);
        Ok(ctx_of(&device, &product.product_key))
    }
}
