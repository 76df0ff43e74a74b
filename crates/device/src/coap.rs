//! The device API over CoAP (RFC 7252), ThingsBoard-compatible: the same paths as HTTP
//! (`/api/v1/{token}/telemetry` …). A confirmable request's acknowledgement carries the
//! answer, so it is sent only once the data is durable. `GET …/rpc` and
//! `GET …/attributes` with Observe stream commands and shared-attribute updates.
//!
//! Codes: writes answer 2.04 Changed, reads 2.05 Content (JSON, Content-Format 50); refusals
//! 4.00 with the reasons, unknown tokens 4.01, banned addresses 4.03, unknown paths 4.04,
//! storage trouble 5.03. A poll (`GET …/rpc` without Observe) waits at most
//! [`MAX_COAP_POLL`] and answers 2.05 with an empty payload when nothing came.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ironloom_coap::{CoapHandler, CoapReply, CoapRequest, CoapResponse, Method, ResponseCode};
use serde_json::Value as Json;
use tokio::sync::mpsc;

use crate::hub::DeviceHub;
use crate::payload::Encoding;
use crate::rest::{self, Op, Reply, Status};

/// CoAP Content-Format numbers (RFC 7252 §12.3, RFC 8949).
pub const CONTENT_FORMAT_JSON: u16 = 50;
pub const CONTENT_FORMAT_CBOR: u16 = 60;

/// Longest a non-observing poll waits (a CoAP client retransmits after about 2 s; the
/// server deduplicates, but clients give up after about 45 s).
pub const MAX_COAP_POLL: Duration = Duration::from_secs(5);

/// Notifications buffered per observation before further downlinks are refused.
const OBSERVE_BUFFER: usize = 16;

/// The CoAP handler of the device API.
pub struct CoapDevices {
    hub: Arc<DeviceHub>,
}

impl std::fmt::Debug for CoapDevices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoapDevices").finish_non_exhaustive()
    }
}

impl CoapDevices {
    pub fn new(hub: Arc<DeviceHub>) -> Arc<CoapDevices> {
        Arc::new(CoapDevices { hub })
    }
}

fn code(status: Status, write: bool) -> ResponseCode {
    match status {
        Status::Ok if write => ResponseCode::CHANGED,
        Status::Ok | Status::Timeout => ResponseCode::CONTENT,
        Status::BadRequest => ResponseCode::BAD_REQUEST,
        Status::Unauthorized => ResponseCode::UNAUTHORIZED,
        Status::Banned => ResponseCode::FORBIDDEN,
        Status::NotFound => ResponseCode::NOT_FOUND,
        Status::Unavailable => ResponseCode::SERVICE_UNAVAILABLE,
    }
}

fn json_response(code: ResponseCode, body: &Json) -> CoapResponse {
    CoapResponse::with_payload(code, Some(CONTENT_FORMAT_JSON), body.to_string())
}

fn respond(r: Reply, write: bool) -> CoapResponse {
    let c = code(r.status, write);
    match r.body {
        Some(b) if c.is_success() => json_response(c, &b),
        // Errors carry a diagnostic payload (RFC 7252 §5.5.2): the JSON text.
        Some(b) => CoapResponse::error(c, b.to_string()),
        None => CoapResponse::new(c),
    }
}

/// Forwards JSON bodies as notifications until either side goes away; holds the link.
/// The link goes the moment the observation ends (the client deregistered, or left a
/// confirmable notification unacknowledged, RFC 7641 §4.5), not at the next downlink:
/// until then the device would count as listening and a command would be handed to the
/// gone observer, marked sent and left to time out instead of waiting in the queue.
fn notifications(
    link: crate::hub::downlink::LinkGuard,
    mut rx: mpsc::Receiver<Json>,
) -> mpsc::Receiver<CoapResponse> {
    let (tx, out) = mpsc::channel(OBSERVE_BUFFER);
    tokio::spawn(async move {
        let _link = link;
        loop {
            let body = tokio::select! {
                () = tx.closed() => break,
                body = rx.recv() => body,
            };
            let Some(body) = body else { break };
            if tx
                .send(json_response(ResponseCode::CONTENT, &body))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    out
}

#[async_trait]
impl CoapHandler for CoapDevices {
    async fn handle(&self, req: CoapRequest) -> CoapReply {
        let segments: Vec<&str> = req.path.iter().map(String::as_str).collect();
        if segments == ["api", "v1", "provision"] && req.method == Method::Post {
            let request = serde_json::from_slice(&req.payload).unwrap_or(Json::Null);
            let answer = crate::hub::provision::provision(&self.hub, &request, req.peer.ip()).await;
            let code = match answer["status"].as_str() {
                Some("SUCCESS") => ResponseCode::CHANGED,
                Some("NOT_FOUND") => ResponseCode::UNAUTHORIZED,
                _ => ResponseCode::BAD_REQUEST,
            };
            return if code.is_success() {
                json_response(code, &answer).into()
            } else {
                CoapResponse::error(code, answer.to_string()).into()
            };
        }
        let (token, rest) = match segments.as_slice() {
            ["api", "v1", token, rest @ ..] if !token.is_empty() => (*token, rest),
            _ => {
                return CoapResponse::error(ResponseCode::NOT_FOUND, "not part of the device API")
                    .into();
            }
        };
        let write = matches!(req.method, Method::Post | Method::Put);
        let Some(op) = Op::parse(write, rest) else {
            return CoapResponse::error(ResponseCode::NOT_FOUND, "not part of the device API")
                .into();
        };
        let encoding = match req.content_format {
            None => None,
            Some(CONTENT_FORMAT_JSON) => Some(Encoding::Json),
            Some(CONTENT_FORMAT_CBOR) => Some(Encoding::Cbor),
            Some(other) => {
                return CoapResponse::error(
                    ResponseCode::UNSUPPORTED_CONTENT_FORMAT,
                    format!("content format {other} is not JSON (50) or CBOR (60)"),
                )
                .into();
            }
        };
        let ctx = match rest::login(&self.hub, token, req.peer.ip()).await {
            Ok(c) => c,
            Err(r) => return respond(r, write).into(),
        };
        let mut query: Vec<(String, String)> = req
            .query
            .iter()
            .take(32)
            .map(|q| {
                let (k, v) = q.split_once('=').unwrap_or((q, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let observing = req.observe == Some(0);
        match (&op, observing) {
            (Op::PollCommand, true) => {
                let (link, rx) = rest::downlink_stream(&self.hub, &ctx, true, OBSERVE_BUFFER);
                let updates = notifications(link, rx);
                let hub = self.hub.clone();
                let c = ctx.clone();
                // Queued commands follow the registration's response.
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    hub.deliver_queued(c.tenant, c.device).await;
                });
                self.hub.seen(&ctx);
                CoapReply::Observe {
                    first: CoapResponse::new(ResponseCode::CONTENT),
                    updates,
                }
            }
            (Op::GetAttributes, true) => {
                let (link, rx) = rest::downlink_stream(&self.hub, &ctx, false, OBSERVE_BUFFER);
                let first = rest::handle(&self.hub, &ctx, "coap", op, &[], encoding, &query).await;
                CoapReply::Observe {
                    first: respond(first, false),
                    updates: notifications(link, rx),
                }
            }
            _ => {
                if matches!(op, Op::PollCommand | Op::AttributeUpdates) {
                    let wait = rest::poll_time(
                        query
                            .iter()
                            .find(|(k, _)| k == "timeout")
                            .map(|(_, v)| v.as_str()),
                    )
                    .min(MAX_COAP_POLL);
                    query.retain(|(k, _)| k != "timeout");
                    query.push(("timeout".into(), wait.as_millis().to_string()));
                }
                let r =
                    rest::handle(&self.hub, &ctx, "coap", op, &req.payload, encoding, &query).await;
                respond(r, write).into()
            }
        }
    }
}
