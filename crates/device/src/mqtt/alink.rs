//! Alibaba Alink topics: properties and events posted under
//! `/sys/{productKey}/{deviceName}/thing/…`, replies to services and property writes,
//! NTP (`/ext/ntp/…`) and custom topics (`/{productKey}/{deviceName}/user/…`). A device
//! reaches only topics with its own productKey and deviceName.

use std::sync::Arc;

use ironloom_core::command::{CommandKind, CommandResult, CommandStatus};
use ironloom_core::i18n::Locale;
use ironloom_mqtt::{AckReason, InboundPublish, Verdict};
use serde_json::{Value as Json, json};

use super::{MqttDevice, MqttDevices, Route, content_encoding, verdict};
use crate::hub::downlink::Downlink;
use crate::hub::{DeviceCtx, Rejection};
use crate::payload;

/// What an Alink topic asks for.
pub(super) enum AlinkRoute<'a> {
    /// `…/thing/service/property/set_reply` or `…/thing/service/{id}_reply`.
    ServiceReply,
    Properties,
    Event(&'a str),
    Ntp,
}

/// The route of an Alink topic (`/sys/…`, `/ext/ntp/…`, `/{pk}/{dn}/user/…`); `None`
/// for other topics.
pub(super) fn route<'a>(ctx: &DeviceCtx, topic: &'a str) -> Option<Route<'a>> {
    if let Some(rest) = topic.strip_prefix("/sys/") {
        let mut parts = rest.splitn(3, '/');
        let (Some(pk), Some(dn), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Some(Route::Unknown);
        };
        if pk != &*ctx.product_key || dn != &*ctx.name {
            return Some(Route::Foreign);
        }
        if path == "thing/event/property/post" {
            return Some(Route::Alink(AlinkRoute::Properties));
        }
        if path
            .strip_prefix("thing/service/")
            .and_then(|p| p.strip_suffix("_reply"))
            .is_some_and(|id| !id.is_empty())
        {
            return Some(Route::Alink(AlinkRoute::ServiceReply));
        }
        if let Some(id) = path
            .strip_prefix("thing/event/")
            .and_then(|p| p.strip_suffix("/post"))
            && !id.is_empty()
            && !id.contains('/')
        {
            return Some(Route::Alink(AlinkRoute::Event(id)));
        }
        return Some(Route::Unknown);
    }
    if let Some(rest) = topic.strip_prefix("/ext/ntp/") {
        return Some(
            if rest == format!("{}/{}/request", ctx.product_key, ctx.name) {
                Route::Alink(AlinkRoute::Ntp)
            } else {
                Route::Foreign
            },
        );
    }
    let rest = topic.strip_prefix('/')?;
    let mut parts = rest.splitn(4, '/');
    if let (Some(pk), Some(dn), Some("user"), Some(_)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    {
        return Some(if pk == &*ctx.product_key && dn == &*ctx.name {
            Route::Custom
        } else {
            Route::Foreign
        });
    }
    None
}

/// The device's own topic prefix under `/sys/`.
pub(super) fn sys_prefix(ctx: &DeviceCtx) -> String {
    format!("/sys/{}/{}/", ctx.product_key, ctx.name)
}

/// What a device signing in with `_ss=1` is subscribed to by the server: its own `/sys/…`
/// topics (replies, property sets, service calls) and its NTP answers.
pub(super) fn server_subscriptions(ctx: &DeviceCtx) -> Vec<Arc<str>> {
    vec![
        format!("{}#", sys_prefix(ctx)).into(),
        format!("/ext/ntp/{}/{}/response", ctx.product_key, ctx.name).into(),
    ]
}

/// Whether a device may subscribe to a filter of its own Alink topics.
pub(super) fn may_subscribe(ctx: &DeviceCtx, filter: &str) -> bool {
    let own_sys = sys_prefix(ctx);
    let own_user = format!("/{}/{}/user/", ctx.product_key, ctx.name);
    let ntp = format!("/ext/ntp/{}/{}/response", ctx.product_key, ctx.name);
    (filter.starts_with(&own_sys) && filter.len() > own_sys.len())
        || (filter.starts_with(&own_user) && filter.len() > own_user.len())
        || filter == ntp
}

/// A downlink as an Alink device receives it, under `sys` (`/sys/{pk}/{dn}`). Alink has
/// no shared attributes (its devices get property writes): `None`.
pub(super) fn downlink(sys: &str, d: &Downlink) -> Option<(String, Json)> {
    let Downlink::Command {
        command,
        request_id,
    } = d
    else {
        return None;
    };
    let (path, method) = match command.kind {
        CommandKind::SetProperties => (
            "thing/service/property/set".to_owned(),
            "thing.service.property.set".to_owned(),
        ),
        CommandKind::Call => (
            format!("thing/service/{}", command.method),
            format!("thing.service.{}", command.method),
        ),
    };
    Some((
        format!("{sys}/{path}"),
        json!({
            "id": request_id.to_string(),
            "version": "1.0",
            "params": command.params,
            "method": method,
        }),
    ))
}

impl MqttDevices {
    /// Handles one publish on an Alink topic of the device.
    pub(super) async fn alink(
        &self,
        client: &MqttDevice,
        route: AlinkRoute<'_>,
        p: &InboundPublish,
        source: &str,
    ) -> Verdict {
        match route {
            AlinkRoute::Properties => self.alink_properties(client, p, source).await,
            AlinkRoute::Event(id) => self.alink_event(client, p, id, source).await,
            AlinkRoute::ServiceReply => self.alink_service_reply(client, p, source).await,
            AlinkRoute::Ntp => {
                let ctx = &client.ctx;
                let sent = payload::decode(&p.payload, None)
                    .ok()
                    .and_then(|v| v.get("deviceSendTime").cloned())
                    .unwrap_or(Json::Null);
                let now = chrono::Utc::now().timestamp_millis().to_string();
                let body =
                    json!({"deviceSendTime": sent, "serverRecvTime": now, "serverSendTime": now});
                self.send(
                    &client.namespace,
                    format!("/ext/ntp/{}/{}/response", ctx.product_key, ctx.name),
                    body.to_string().into_bytes(),
                );
                Verdict::accepted()
            }
        }
    }

    async fn alink_service_reply(
        &self,
        client: &MqttDevice,
        p: &InboundPublish,
        source: &str,
    ) -> Verdict {
        let ctx = &client.ctx;
        let reply = payload::decode(&p.payload, content_encoding(p)).ok();
        let rid = reply
            .as_ref()
            .and_then(|r| r.get("id"))
            .and_then(|id| match id {
                Json::String(s) => s.parse::<u32>().ok(),
                Json::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                _ => None,
            });
        let (Some(reply), Some(rid)) = (reply, rid) else {
            let o = self
                .hub()
                .refuse(
                    ctx,
                    source,
                    Rejection::Payload("a reply needs a JSON object with an id".into()),
                )
                .await;
            return verdict(&o);
        };
        let code = reply.get("code").and_then(Json::as_u64).unwrap_or(200);
        let data = reply.get("data").cloned();
        let result = if code == 200 {
            CommandResult::succeeded(data)
        } else {
            CommandResult {
                status: CommandStatus::Failed,
                response: Some(reply.clone()),
                error: Some(format!(
                    "code {code}: {}",
                    reply.get("message").and_then(Json::as_str).unwrap_or("")
                )),
            }
        };
        self.hub().command_answer(ctx, rid, result).await;
        Verdict::accepted()
    }

    async fn alink_properties(
        &self,
        client: &MqttDevice,
        p: &InboundPublish,
        source: &str,
    ) -> Verdict {
        let ctx = &client.ctx;
        let reply_topic = format!("{}_reply", p.topic);
        let req = match payload::decode(&p.payload, content_encoding(p))
            .and_then(payload::alink_request)
        {
            Ok(r) => r,
            Err(e) => {
                let o = self
                    .hub()
                    .refuse(ctx, source, Rejection::Payload(e.to_string()))
                    .await;
                self.send(
                    &client.namespace,
                    reply_topic,
                    payload::alink_reply("", 460, &e.to_string(), None, json!({})),
                );
                return verdict(&o);
            }
        };
        let outcome = match payload::alink_properties(req.params).map_err(|e| e.to_string()) {
            Ok(values) => match self.hub().ingest(ctx, source, values).await {
                Ok(o) => o,
                Err(e) => {
                    if req.wants_reply {
                        self.send(
                            &client.namespace,
                            reply_topic,
                            payload::alink_reply(
                                &req.id,
                                500,
                                "internal error",
                                req.method.as_deref(),
                                json!({}),
                            ),
                        );
                    }
                    return Verdict::refused(AckReason::ImplementationSpecificError, e.to_string());
                }
            },
            Err(e) => self.hub().refuse(ctx, source, Rejection::Payload(e)).await,
        };
        if req.wants_reply {
            // Like Alibaba Cloud: code 200 when something was stored, with a message per
            // refused key in `data`; the first refusal's code when nothing was.
            let data: serde_json::Map<String, Json> = outcome
                .refused
                .iter()
                .filter(|r| !r.key.is_empty())
                .map(|r| (r.key.clone(), Json::String(r.reason.message(Locale::En))))
                .collect();
            let (code, message) = if outcome.accepted() {
                (200, "success".to_owned())
            } else {
                let first = &outcome.refused[0].reason;
                (first.alink_code(), first.message(Locale::En))
            };
            self.send(
                &client.namespace,
                reply_topic,
                payload::alink_reply(
                    &req.id,
                    code,
                    &message,
                    req.method.as_deref(),
                    Json::Object(data),
                ),
            );
        }
        verdict(&outcome)
    }

    async fn alink_event(
        &self,
        client: &MqttDevice,
        p: &InboundPublish,
        id: &str,
        source: &str,
    ) -> Verdict {
        let ctx = &client.ctx;
        let reply_topic = format!("{}_reply", p.topic);
        let req = match payload::decode(&p.payload, content_encoding(p))
            .and_then(payload::alink_request)
        {
            Ok(r) => r,
            Err(e) => {
                let o = self
                    .hub()
                    .refuse(ctx, source, Rejection::Payload(e.to_string()))
                    .await;
                return verdict(&o);
            }
        };
        let (value, time) = match &req.params {
            Json::Object(o) => (
                o.get("value")
                    .cloned()
                    .unwrap_or(Json::Object(Default::default())),
                o.get("time").and_then(|t| {
                    t.as_i64()
                        .or_else(|| t.as_str().and_then(|s| s.parse().ok()))
                }),
            ),
            _ => (Json::Null, None),
        };
        let outcome = match self.hub().event(ctx, source, id, time, value).await {
            Ok(o) => o,
            Err(e) => {
                return Verdict::refused(AckReason::ImplementationSpecificError, e.to_string());
            }
        };
        if req.wants_reply {
            let (code, message) = match outcome.refused.first() {
                None => (200, "success".to_owned()),
                Some(r) => (r.reason.alink_code(), r.reason.message(Locale::En)),
            };
            self.send(
                &client.namespace,
                reply_topic,
                payload::alink_reply(&req.id, code, &message, req.method.as_deref(), json!({})),
            );
        }
        verdict(&outcome)
    }
}
