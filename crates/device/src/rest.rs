//! The request/response device API that HTTP and CoAP share: ThingsBoard's paths
//! (`/api/v1/{token}/telemetry`, `attributes`, `attributes/updates`, `rpc`, `rpc/{id}`), plus
//! `events/{identifier}` for thing-model events. The transports map [`Status`] to their
//! codes; the meaning is the same on both.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironloom_core::i18n::Locale;
use serde_json::{Value as Json, json};
use tokio::sync::{mpsc, oneshot};

use crate::hub::downlink::{Delivery, Downlink, LinkGuard};
use crate::hub::{DeviceCtx, DeviceHub, IngestOutcome, Login, LoginError, Rejection};
use crate::payload::{self, Encoding};
use crate::tb;

/// Longest a device may wait in one poll for a command or an attribute update.
pub const MAX_POLL: Duration = Duration::from_secs(60);
/// Default poll wait when the device does not say.
pub const DEFAULT_POLL: Duration = Duration::from_secs(20);

/// What a path asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// POST telemetry.
    Telemetry,
    /// POST client attributes.
    PostAttributes,
    /// GET attributes (`clientKeys`, `sharedKeys`).
    GetAttributes,
    /// GET attributes/updates: wait for a shared-attribute change.
    AttributeUpdates,
    /// POST events/{identifier}.
    Event(String),
    /// GET rpc: wait for a command.
    PollCommand,
    /// POST rpc/{id}: the answer to a command.
    Answer(u32),
    /// POST rpc: a client-side RPC.
    ClientRpc,
}

impl Op {
    /// Reads the part of the path after the token, with the method.
    pub fn parse(post: bool, rest: &[&str]) -> Option<Op> {
        Some(match (post, rest) {
            (true, ["telemetry"]) => Op::Telemetry,
            (true, ["attributes"]) => Op::PostAttributes,
            (false, ["attributes"]) => Op::GetAttributes,
            (false, ["attributes", "updates"]) => Op::AttributeUpdates,
            (true, ["events", id]) if !id.is_empty() && id.len() <= 128 => {
                Op::Event((*id).to_owned())
            }
            (false, ["rpc"] | ["commands"]) => Op::PollCommand,
            (true, ["rpc", id] | ["commands", id]) => Op::Answer(id.parse().ok()?),
            (true, ["rpc"]) => Op::ClientRpc,
            _ => return None,
        })
    }
}

/// The outcome, independent of the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done (HTTP 200, CoAP 2.04 Changed / 2.05 Content).
    Ok,
    /// The request cannot be read or nothing in it was accepted (400 / 4.00).
    BadRequest,
    /// Unknown token (401 / 4.01).
    Unauthorized,
    /// Too many failed log-ins from this address (403 / 4.03).
    Banned,
    /// Not part of the device API (404 / 4.04).
    NotFound,
    /// Nothing came within the poll time (408 / 2.05 with an empty body on CoAP).
    Timeout,
    /// Could not be stored now; send again (503 / 5.03).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: Status,
    pub body: Option<Json>,
}

impl Reply {
    fn ok(body: Json) -> Reply {
        Reply {
            status: Status::Ok,
            body: Some(body),
        }
    }

    fn empty(status: Status) -> Reply {
        Reply { status, body: None }
    }

    fn error(status: Status, code: &str, en: &str, zh: &str) -> Reply {
        Reply {
            status,
            body: Some(json!({"code": code, "message": en, "message_zh": zh})),
        }
    }
}

fn outcome_reply(o: &IngestOutcome) -> Reply {
    let errors: Vec<Json> = o
        .refused
        .iter()
        .map(|r| {
            json!({
                "key": r.key,
                "code": r.reason.code(),
                "message": r.reason.message(Locale::En),
                "message_zh": r.reason.message(Locale::ZhCn),
            })
        })
        .collect();
    let mut body = json!({"stored": o.stored});
    if !errors.is_empty() {
        body["errors"] = Json::Array(errors);
    }
    Reply {
        status: if o.accepted() {
            Status::Ok
        } else {
            Status::BadRequest
        },
        body: Some(body),
    }
}

/// Logs a device in by the token in its path.
pub async fn login(hub: &DeviceHub, token: &str, peer: IpAddr) -> Result<DeviceCtx, Reply> {
    hub.login(Login::Token(token), peer)
        .await
        .map_err(|e| match e {
            LoginError::BadCredentials => Reply::error(
                Status::Unauthorized,
                "invalid_token",
                "unknown device token",
                "设备令牌无效",
            ),
            LoginError::Banned => Reply::error(
                Status::Banned,
                "banned",
                "too many failed log-ins from this address; try again later",
                "该地址登录失败次数过多，请稍后再试",
            ),
            LoginError::Unavailable => Reply::error(
                Status::Unavailable,
                "unavailable",
                "the device store is unavailable; try again",
                "设备存储暂不可用，请重试",
            ),
        })
}

/// Handles one request of a logged-in device. `query` holds the query parameters
/// (`clientKeys`, `sharedKeys`, `timeout`, `ts`).
pub async fn handle(
    hub: &Arc<DeviceHub>,
    ctx: &DeviceCtx,
    transport: &str,
    op: Op,
    body: &[u8],
    encoding: Option<Encoding>,
    query: &[(String, String)],
) -> Reply {
    let source = format!("{transport}:{}", op_name(&op));
    let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let source_ref = source.as_str();
    let refuse = |e: String| async move {
        let o = hub.refuse(ctx, source_ref, Rejection::Payload(e)).await;
        outcome_reply(&o)
    };
    match op {
        Op::Telemetry => {
            let reported = match payload::decode(body, encoding).and_then(payload::tb_telemetry) {
                Ok(r) => r,
                Err(e) => return refuse(e.to_string()).await,
            };
            match hub.ingest(ctx, &source, reported).await {
                Ok(o) => outcome_reply(&o),
                Err(e) => unavailable(&e.to_string()),
            }
        }
        Op::PostAttributes => match payload::decode(body, encoding) {
            Ok(Json::Object(values)) => match hub.client_attributes(ctx, values).await {
                Ok(()) => Reply::ok(json!({})),
                Err(r) => {
                    let o = hub.refuse(ctx, &source, r).await;
                    outcome_reply(&o)
                }
            },
            Ok(_) => refuse("attributes must be a JSON object".into()).await,
            Err(e) => refuse(e.to_string()).await,
        },
        Op::GetAttributes => {
            let mut req = serde_json::Map::new();
            for k in ["clientKeys", "sharedKeys"] {
                if let Some(v) = q(k) {
                    req.insert(k.into(), Json::String(v.to_owned()));
                }
            }
            let (c, s) = tb::attribute_keys(&Json::Object(req));
            match hub
                .requested_attributes(ctx, c.as_deref(), s.as_deref())
                .await
            {
                Ok((client, shared)) => Reply::ok(tb::attribute_response(client, shared)),
                Err(e) => unavailable(&e.to_string()),
            }
        }
        Op::Event(id) => {
            let params = match payload::decode(body, encoding) {
                Ok(v @ Json::Object(_)) => v,
                Ok(_) => return refuse("event parameters must be a JSON object".into()).await,
                Err(e) => return refuse(e.to_string()).await,
            };
            let ts = match q("ts").map(str::parse::<i64>) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(_)) => {
                    return refuse("ts must be milliseconds since the epoch".into()).await;
                }
            };
            match hub.event(ctx, &source, &id, ts, params).await {
                Ok(o) => outcome_reply(&o),
                Err(e) => unavailable(&e.to_string()),
            }
        }
        Op::Answer(rid) => {
            let answer = payload::decode(body, encoding)
                .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(body).into()));
            if hub.command_answer(ctx, rid, tb::rpc_answer(answer)).await {
                Reply::ok(json!({}))
            } else {
                Reply::error(
                    Status::NotFound,
                    "no_such_request",
                    "no command awaits this answer (unknown id, already answered or timed out)",
                    "没有等待该应答的指令（编号未知、已应答或已超时）",
                )
            }
        }
        Op::ClientRpc => {
            let req = match payload::decode(body, encoding) {
                Ok(v) => v,
                Err(e) => return refuse(e.to_string()).await,
            };
            let method = req.get("method").and_then(Json::as_str).unwrap_or("");
            hub.client_rpc(
                ctx,
                method,
                req.get("params").cloned().unwrap_or(Json::Null),
            );
            Reply::ok(
                tb::builtin_client_rpc(method).unwrap_or_else(|| tb::unknown_client_rpc(method)),
            )
        }
        Op::PollCommand | Op::AttributeUpdates => {
            let wait = poll_time(q("timeout"));
            let commands = op == Op::PollCommand;
            let (_link, rx) = one_downlink(hub, ctx, commands);
            if commands {
                hub.deliver_queued(ctx.tenant, ctx.device).await;
            }
            hub.seen(ctx);
            match tokio::time::timeout(wait, rx).await {
                Ok(Ok(body)) => Reply::ok(body),
                _ => Reply::empty(Status::Timeout),
            }
        }
    }
}

fn unavailable(detail: &str) -> Reply {
    tracing::warn!(error = %detail, "device request not served");
    Reply::error(
        Status::Unavailable,
        "unavailable",
        "the data could not be stored now; send it again",
        "数据暂时无法保存，请重新发送",
    )
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Telemetry => "telemetry",
        Op::PostAttributes | Op::GetAttributes => "attributes",
        Op::AttributeUpdates => "attributes/updates",
        Op::Event(_) => "events",
        Op::PollCommand | Op::ClientRpc => "rpc",
        Op::Answer(_) => "rpc/answer",
    }
}

/// The poll time asked for (`timeout` in ms), capped.
pub fn poll_time(asked: Option<&str>) -> Duration {
    asked
        .and_then(|t| t.parse::<u64>().ok())
        .map_or(DEFAULT_POLL, Duration::from_millis)
        .min(MAX_POLL)
}

/// The body a polling or observing device gets for a downlink of the kind it waits for
/// (commands, or attribute updates); `None` for the other kind.
fn downlink_body(d: &Downlink, commands: bool) -> Option<Json> {
    match d {
        Downlink::Command {
            command,
            request_id,
        } if commands => Some(tb::rpc_request(command, Some(*request_id))),
        Downlink::Attributes { set, deleted } if !commands => {
            Some(tb::attributes_update(set, deleted))
        }
        _ => None,
    }
}

/// A link that takes one downlink of the kind (commands, or attribute updates) and hands
/// its body over.
fn one_downlink(
    hub: &Arc<DeviceHub>,
    ctx: &DeviceCtx,
    commands: bool,
) -> (LinkGuard, oneshot::Receiver<Json>) {
    let (tx, rx) = oneshot::channel();
    let slot = Mutex::new(Some(tx));
    let link = hub.link(
        ctx.device,
        Arc::new(move |d: &Downlink| {
            let Some(body) = downlink_body(d, commands) else {
                return Delivery::NotTaken;
            };
            let Some(tx) = ironloom_core::sync::lock(&slot).take() else {
                return Delivery::NotTaken;
            };
            tx.send(body).is_ok().into()
        }),
    );
    (link, rx)
}

/// A link that streams downlinks of the kind, for CoAP Observe. Full buffers refuse (the
/// command stays queued or fails as the caller chose).
pub fn downlink_stream(
    hub: &Arc<DeviceHub>,
    ctx: &DeviceCtx,
    commands: bool,
    buffer: usize,
) -> (LinkGuard, mpsc::Receiver<Json>) {
    let (tx, rx) = mpsc::channel(buffer);
    let link = hub.link(
        ctx.device,
        Arc::new(move |d: &Downlink| {
            let Some(body) = downlink_body(d, commands) else {
                return Delivery::NotTaken;
            };
            tx.try_send(body).is_ok().into()
        }),
    );
    (link, rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_operations() {
        assert_eq!(Op::parse(true, &["telemetry"]), Some(Op::Telemetry));
        assert_eq!(Op::parse(false, &["telemetry"]), None);
        assert_eq!(Op::parse(false, &["rpc"]), Some(Op::PollCommand));
        assert_eq!(Op::parse(false, &["commands"]), Some(Op::PollCommand));
        assert_eq!(Op::parse(true, &["rpc", "12"]), Some(Op::Answer(12)));
        assert_eq!(Op::parse(true, &["rpc", "x"]), None);
        assert_eq!(Op::parse(true, &["rpc"]), Some(Op::ClientRpc));
        assert_eq!(
            Op::parse(true, &["events", "overheat"]),
            Some(Op::Event("overheat".into()))
        );
        assert_eq!(Op::parse(true, &["events", ""]), None);
        assert_eq!(
            Op::parse(false, &["attributes", "updates"]),
            Some(Op::AttributeUpdates)
        );
        assert_eq!(Op::parse(true, &["a", "b", "c"]), None);
    }

    #[test]
    fn poll_times_are_capped() {
        assert_eq!(poll_time(None), DEFAULT_POLL);
        assert_eq!(poll_time(Some("500")), Duration::from_millis(500));
        assert_eq!(poll_time(Some("99999999")), MAX_POLL);
        assert_eq!(poll_time(Some("junk")), DEFAULT_POLL);
    }
}
