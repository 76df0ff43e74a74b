//! ThingsBoard's device topics (`v1/devices/me/…`): telemetry, attributes and their
//! requests, server-side RPC answers and client-side RPC.

use std::sync::atomic::Ordering;

use ironloom_core::device::{GATEWAY_AGENT_ATTRIBUTE, Reported};
use ironloom_core::i18n::Locale;
use ironloom_mqtt::{AckReason, InboundPublish, Verdict};
use serde_json::{Value as Json, json};

use super::{MqttDevice, MqttDevices, Route, content_encoding};
use crate::hub::Rejection;
use crate::hub::downlink::Downlink;
use crate::{payload, tb};

/// Topics a ThingsBoard-style device may subscribe to.
const SUBSCRIPTIONS: &[&str] = &[
    "v1/devices/me/attributes",
    "v1/devices/me/attributes/response/+",
    "v1/devices/me/rpc/request/+",
    "v1/devices/me/rpc/response/+",
    "v1/devices/me/errors",
    "v1/gateway/attributes",
    "v1/gateway/attributes/response",
    "v1/gateway/rpc",
];

/// The filter a device subscribes to for server-side RPC (commands).
pub(super) const RPC_REQUESTS: &str = "v1/devices/me/rpc/request/+";

/// Topic on which refusals are published to devices that subscribed to it (an Ironloom
/// extension; MQTT 5 clients also get reason codes).
pub const ERRORS: &str = "v1/devices/me/errors";

/// What a ThingsBoard device topic asks for.
pub(super) enum TbRoute<'a> {
    Telemetry,
    Single(&'a str),
    Attributes,
    AttributeRequest(&'a str),
    RpcAnswer(u32),
    ClientRpc(&'a str),
}

/// One path segment: not empty, no `/`.
fn segment(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.contains('/')).then_some(s)
}

/// The route of a `v1/devices/me/…` topic; `None` for other topics.
pub(super) fn route(topic: &str) -> Option<Route<'_>> {
    let rest = topic.strip_prefix("v1/devices/me/")?;
    let r = match rest {
        "telemetry" => TbRoute::Telemetry,
        "attributes" => TbRoute::Attributes,
        _ => {
            let parsed = if let Some(id) = rest.strip_prefix("attributes/request/") {
                segment(id).map(TbRoute::AttributeRequest)
            } else if let Some(id) = rest.strip_prefix("rpc/response/") {
                id.parse().ok().map(TbRoute::RpcAnswer)
            } else if let Some(id) = rest.strip_prefix("rpc/request/") {
                segment(id).map(TbRoute::ClientRpc)
            } else if let Some(key) = rest.strip_prefix("telemetry/") {
                segment(key).map(TbRoute::Single)
            } else {
                None
            };
            return Some(parsed.map_or(Route::Unknown, Route::Tb));
        }
    };
    Some(Route::Tb(r))
}

/// Whether a device may subscribe to a filter of the ThingsBoard API.
pub(super) fn may_subscribe(filter: &str) -> bool {
    SUBSCRIPTIONS.contains(&filter)
}

/// A downlink as a ThingsBoard device receives it.
pub(super) fn downlink(d: &Downlink) -> (String, Json) {
    match d {
        Downlink::Command {
            command,
            request_id,
        } => (
            format!("v1/devices/me/rpc/request/{request_id}"),
            tb::rpc_request(command, None),
        ),
        Downlink::Attributes { set, deleted } => (
            "v1/devices/me/attributes".to_owned(),
            tb::attributes_update(set, deleted),
        ),
    }
}

impl MqttDevices {
    /// Handles a publish on a ThingsBoard device topic that is not telemetry: telemetry is
    /// read by [`gather`] and written with the rest of its batch.
    pub(super) async fn thingsboard(
        &self,
        client: &MqttDevice,
        route: TbRoute<'_>,
        p: &InboundPublish,
        source: &str,
    ) -> Verdict {
        let hub = self.hub();
        let ctx = &client.ctx;
        match route {
            // Read by `gather` before any waiting (`MqttDevices::handle`); never here.
            TbRoute::Telemetry | TbRoute::Single(_) => {
                Verdict::refused(AckReason::UnspecifiedError, "not handled")
            }
            TbRoute::Attributes => {
                let r = payload::decode(&p.payload, content_encoding(p))
                    .map_err(|e| Rejection::Payload(e.to_string()))
                    .and_then(|v| match v {
                        Json::Object(o) => Ok(o),
                        _ => Err(Rejection::Payload(
                            "attributes must be a JSON object".into(),
                        )),
                    });
                let r = match r {
                    Ok(values) => {
                        if values.contains_key(GATEWAY_AGENT_ATTRIBUTE) {
                            client
                                .gateway()
                                .ironloom_agent
                                .store(true, Ordering::Relaxed);
                        }
                        hub.client_attributes(ctx, values).await
                    }
                    Err(e) => Err(e),
                };
                match r {
                    Ok(()) => Verdict::accepted(),
                    Err(reason) => self.refuse(client, p, source, reason).await,
                }
            }
            TbRoute::AttributeRequest(id) => {
                let req = payload::decode(&p.payload, content_encoding(p)).unwrap_or(Json::Null);
                let (c, sh) = tb::attribute_keys(&req);
                let body = match hub
                    .requested_attributes(ctx, c.as_deref(), sh.as_deref())
                    .await
                {
                    Ok((client_attrs, shared)) => tb::attribute_response(client_attrs, shared),
                    Err(e) => json!({"error": e.message(Locale::En)}),
                };
                self.send(
                    &client.namespace,
                    format!("v1/devices/me/attributes/response/{id}"),
                    body.to_string().into_bytes(),
                );
                Verdict::accepted()
            }
            TbRoute::RpcAnswer(rid) => {
                let answer = payload::decode(&p.payload, content_encoding(p))
                    .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&p.payload).into()));
                if hub.command_answer(ctx, rid, tb::rpc_answer(answer)).await {
                    Verdict::accepted()
                } else {
                    Verdict {
                        ack: AckReason::NoMatchingSubscribers,
                        reason: Some("no command awaits this answer".into()),
                        route: false,
                    }
                }
            }
            TbRoute::ClientRpc(id) => {
                let req = payload::decode(&p.payload, content_encoding(p)).unwrap_or(Json::Null);
                let method = req.get("method").and_then(Json::as_str).unwrap_or("");
                let body = tb::builtin_client_rpc(method)
                    .unwrap_or_else(|| tb::unknown_client_rpc(method));
                hub.client_rpc(
                    ctx,
                    method,
                    req.get("params").cloned().unwrap_or(Json::Null),
                );
                self.send(
                    &client.namespace,
                    format!("v1/devices/me/rpc/response/{id}"),
                    body.to_string().into_bytes(),
                );
                Verdict::accepted()
            }
        }
    }
}

/// The values of a telemetry publish (`v1/devices/me/telemetry` or one key's topic), read
/// without waiting; `None` for the other routes.
pub(super) fn gather(
    route: &TbRoute<'_>,
    p: &InboundPublish,
) -> Option<Result<Vec<Reported>, payload::PayloadError>> {
    match route {
        TbRoute::Telemetry => Some(payload::telemetry(&p.payload, content_encoding(p))),
        TbRoute::Single(key) => Some(payload::single_value(key, &p.payload, content_encoding(p))),
        _ => None,
    }
}
