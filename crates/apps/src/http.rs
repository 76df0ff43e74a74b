//! The host operation `http`: an app's outbound request. The installation's grant names
//! the hosts it may reach (checked in `host`); here the tenant's own list must also hold
//! the host, and unless `[apps] http_allow_private` says otherwise, a host that resolves to
//! a loopback, private, link-local or otherwise internal address is refused, so that an
//! app cannot reach the platform's own network. No redirects are followed.
//!
//! Request: `{"method"?: "GET", "url", "headers"?: {name: value}, "body"?: text | JSON}`.
//! Reply: `{"status", "headers": {"content-type"?}, "body"}` — the body as JSON when the
//! answer says it is JSON, else as text; at most `http_max_response_bytes`.

use crate::host::{HostError, Scope};
use crate::platform::PlatformServices;
use serde_json::{Value, json};
use std::net::IpAddr;

fn bad(msg: impl Into<String>) -> HostError {
    HostError::new("bad_request", msg)
}

/// Whether an address is internal: loopback, private, link-local, unspecified, shared
/// (100.64/10), unique-local or multicast.
pub(crate) fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| internal(IpAddr::V4(v4)))
        }
    }
}

pub(crate) async fn request(
    services: &PlatformServices,
    scope: &Scope,
    req: &Value,
) -> Result<Value, HostError> {
    let (client, max, allow_private) = services.http_client();
    let url = req
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("url is required (a string)"))?;
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(format!("url: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("url: only http and https"));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| bad("url: no host"))?
        .to_ascii_lowercase();
    let allowed = services
        .meta()
        .app_http_hosts(scope.tenant)
        .await
        .map_err(|e| HostError::new("unavailable", e.to_string()))?;
    if !allowed.contains(&host) {
        return Err(HostError::new(
            "permission_denied",
            format!("the tenant does not allow apps to reach {host} (app settings: HTTP hosts)"),
        ));
    }
    if !allow_private {
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addrs = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| HostError::new("unavailable", format!("{host}: {e}")))?;
        for a in addrs {
            if internal(a.ip()) {
                return Err(HostError::new(
                    "permission_denied",
                    format!("{host} resolves to an internal address ({})", a.ip()),
                ));
            }
        }
    }
    let method = req.get("method").and_then(Value::as_str).unwrap_or("GET");
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| bad("method: GET, POST, PUT, PATCH, DELETE or HEAD"))?;
    let mut rb = client.request(method, parsed);
    if let Some(h) = req.get("headers") {
        let h = h
            .as_object()
            .ok_or_else(|| bad("headers must be an object of name: value"))?;
        for (k, v) in h {
            let v = v
                .as_str()
                .ok_or_else(|| bad(format!("headers.{k} must be a string")))?;
            if k.eq_ignore_ascii_case("host") {
                return Err(bad("headers: host cannot be set"));
            }
            rb = rb.header(k.as_str(), v);
        }
    }
    rb = match req.get("body") {
        None | Some(Value::Null) => rb,
        Some(Value::String(s)) => rb.body(s.clone()),
        Some(v) => rb.json(v),
    };
    let mut res = rb
        .send()
        .await
        .map_err(|e| HostError::new("unavailable", format!("{host}: {e}")))?;
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| HostError::new("unavailable", format!("{host}: {e}")))?
    {
        if body.len() + chunk.len() > max {
            return Err(HostError::new(
                "too_large",
                format!("the answer from {host} is larger than {max} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let is_json = content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("application/json") || t.contains("+json"));
    let body = if is_json {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()))
    } else {
        Value::String(String::from_utf8_lossy(&body).into())
    };
    Ok(json!({"status": status, "headers": {"content-type": content_type}, "body": body}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(
                internal(a.parse().unwrap_or(IpAddr::from([1, 1, 1, 1]))),
                "{a}"
            );
        }
        for a in ["1.1.1.1", "203.0.113.9", "2606:4700::1111"] {
            assert!(
                !internal(a.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))),
                "{a}"
            );
        }
    }
}
