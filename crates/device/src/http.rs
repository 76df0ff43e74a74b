//! The device API over HTTP, ThingsBoard-compatible: the access token is in the path
//! (`/api/v1/{token}/telemetry` …), no other credentials. The same operations are reachable
//! as `/api/v1/devices/{token}/…` for requests that carry no user credentials (no
//! `Authorization`, no `X-API-Key`); with them, those paths are the management API.
//!
//! A 2xx answer to a write means the data is durable. See [`crate::rest`] for what each
//! path does.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::hub::DeviceHub;
use crate::payload::Encoding;
use crate::rest::{self, Op, Reply, Status};

#[derive(Clone)]
struct DeviceHttp {
    hub: Arc<DeviceHub>,
    body_limit: usize,
}

/// The device routes. `body_limit` caps each request body.
pub fn router(hub: Arc<DeviceHub>, body_limit: usize) -> Router {
    let state = DeviceHttp { hub, body_limit };
    Router::new()
        .route("/api/v1/{token}/telemetry", post(serve))
        .route("/api/v1/{token}/attributes", get(serve).post(serve))
        .route("/api/v1/{token}/attributes/updates", get(serve))
        .route("/api/v1/{token}/events/{event}", post(serve))
        .route("/api/v1/{token}/rpc", get(serve).post(serve))
        .route("/api/v1/{token}/rpc/{id}", post(serve))
        .route("/api/v1/provision", post(provision))
        .with_state(state)
}

/// Rewrites `/api/v1/devices/{token}/{op}` to `/api/v1/{token}/{op}` when the request is a
/// device operation without user credentials. Must run before routing (wrap the router).
pub fn rewrite_device_path(req: &mut Request) {
    let path = req.uri().path();
    let Some(rest) = path.strip_prefix("/api/v1/devices/") else {
        return;
    };
    let headers = req.headers();
    if headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key") {
        return;
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let Some((token, ops)) = segments.split_first() else {
        return;
    };
    if token.is_empty() || Op::parse(req.method() == Method::POST, ops).is_none() {
        return;
    }
    let ops: Vec<&str> = ops
        .iter()
        .map(|s| if *s == "commands" { "rpc" } else { s })
        .collect();
    let mut new = format!("/api/v1/{token}/{}", ops.join("/"));
    if let Some(q) = req.uri().query() {
        new.push('?');
        new.push_str(q);
    }
    if let Ok(uri) = new.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
}

fn status_code(s: Status) -> StatusCode {
    match s {
        Status::Ok => StatusCode::OK,
        Status::BadRequest => StatusCode::BAD_REQUEST,
        Status::Unauthorized => StatusCode::UNAUTHORIZED,
        Status::Banned => StatusCode::FORBIDDEN,
        Status::NotFound => StatusCode::NOT_FOUND,
        Status::Timeout => StatusCode::REQUEST_TIMEOUT,
        Status::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn respond(r: Reply) -> Response {
    let code = status_code(r.status);
    let mut res = match r.body {
        Some(b) => (code, axum::Json(b)).into_response(),
        None => code.into_response(),
    };
    if r.status == Status::Unavailable {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    res
}

fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .take(32)
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding of a query component (`+` is a space); malformed escapes stay as sent.
fn decode(s: &str) -> String {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The client's address (loopback when the server was not given connection info).
fn peer_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip())
}

fn too_large(limit: usize) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        axum::Json(json!({
            "code": "payload_too_large",
            "message": format!("the body is larger than {limit} bytes"),
            "message_zh": format!("请求体超过 {limit} 字节"),
        })),
    )
        .into_response()
}

async fn serve(State(st): State<DeviceHttp>, req: Request) -> Response {
    let peer = peer_ip(&req);
    let post = req.method() == Method::POST;
    let path = req.uri().path().to_owned();
    let query = query_pairs(req.uri().query());
    let encoding = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Encoding::from_content_type);
    let segments: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
    let Some((token, rest)) = segments.split_first() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(op) = Op::parse(post, rest) else {
        return respond(Reply {
            status: Status::NotFound,
            body: Some(json!({"code": "no_route", "message": "not part of the device API"})),
        });
    };
    let body = match axum::body::to_bytes(req.into_body(), st.body_limit).await {
        Ok(b) => b,
        Err(_) => return too_large(st.body_limit),
    };
    let ctx = match rest::login(&st.hub, &percent_path(token), peer).await {
        Ok(c) => c,
        Err(r) => return respond(r),
    };
    respond(rest::handle(&st.hub, &ctx, "http", op, &body, encoding, &query).await)
}

/// `POST /api/v1/provision`: 200 with the credentials, 401 for unknown provisioning data,
/// 400 for other failures; the body says which (ThingsBoard's `status`).
async fn provision(State(st): State<DeviceHttp>, req: Request) -> Response {
    let peer = peer_ip(&req);
    let Ok(body) = axum::body::to_bytes(req.into_body(), st.body_limit).await else {
        return too_large(st.body_limit);
    };
    let request = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let answer = crate::hub::provision::provision(&st.hub, &request, peer).await;
    let code = match answer["status"].as_str() {
        Some("SUCCESS") => StatusCode::OK,
        Some("NOT_FOUND") => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    (code, axum::Json(answer)).into_response()
}

/// A path segment as sent may be percent-encoded.
fn percent_path(s: &str) -> String {
    decode(&s.replace('+', "%2B"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[test]
    fn query_components_are_decoded() {
        assert_eq!(
            query_pairs(Some("clientKeys=a%2Cb&sharedKeys=x+y&flag")),
            vec![
                ("clientKeys".to_owned(), "a,b".to_owned()),
                ("sharedKeys".to_owned(), "x y".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(percent_path("a+b%20c"), "a+b c");
    }

    #[test]
    fn device_paths_under_devices_are_rewritten_without_credentials() {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/devices/TOKEN/telemetry?x=1")
            .body(Body::empty())
            .unwrap_or_default();
        rewrite_device_path(&mut req);
        assert_eq!(req.uri().to_string(), "/api/v1/TOKEN/telemetry?x=1");
        let mut req = Request::builder()
            .method(Method::GET)
            .uri("/api/v1/devices/TOKEN/commands")
            .body(Body::empty())
            .unwrap_or_default();
        rewrite_device_path(&mut req);
        assert_eq!(req.uri().path(), "/api/v1/TOKEN/rpc");
        // With credentials, or for a management-only operation, nothing changes.
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/devices/ID/telemetry")
            .header(header::AUTHORIZATION, "Bearer x")
            .body(Body::empty())
            .unwrap_or_default();
        rewrite_device_path(&mut req);
        assert_eq!(req.uri().path(), "/api/v1/devices/ID/telemetry");
        let mut req = Request::builder()
            .method(Method::GET)
            .uri("/api/v1/devices/ID/events")
            .body(Body::empty())
            .unwrap_or_default();
        rewrite_device_path(&mut req);
        assert_eq!(req.uri().path(), "/api/v1/devices/ID/events");
    }
}
