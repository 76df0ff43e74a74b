//! The device API over MQTT: ThingsBoard topics (`v1/devices/me/…`) and Alibaba Alink
//! topics (`/sys/{productKey}/{deviceName}/thing/…`), on the embedded server.
//!
//! Every device lives in its own namespace (`{tenant}/{device}`), so nothing it subscribes
//! to can reach another device's messages; on top of that, topic ACLs keep it to the
//! topics of the device API and, for Alink, to its own productKey and deviceName.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use bytes::Bytes;
use ironloom_core::device::Reported;
use ironloom_core::i18n::Locale;
use ironloom_mqtt::{
    AckReason, ConnectInfo, ConnectRefusal, DisconnectCause, Grant, InboundPublish, Message,
    MqttHooks, MqttServer, ProtocolVersion, QoS, SubscribeRefusal, Verdict,
};
use serde_json::{Value as Json, json};

use crate::auth::AlinkLogin;
use crate::downlink::{Downlink, LinkGuard, Sink};
use crate::hub::{DeviceCtx, DeviceHub, IngestOutcome, Login, LoginError, Rejection};
use crate::payload::{self, Encoding};
use crate::tb;
use ironloom_core::command::CommandKind;

/// Topics a ThingsBoard-style device may subscribe to.
const TB_SUBSCRIPTIONS: &[&str] = &[
    "v1/devices/me/attributes",
    "v1/devices/me/attributes/response/+",
    "v1/devices/me/rpc/request/+",
    "v1/devices/me/rpc/response/+",
    "v1/devices/me/errors",
    "v1/gateway/attributes",
    "v1/gateway/attributes/response",
    "v1/gateway/rpc",
];

/// ThingsBoard provisioning topics.
pub const PROVISION_REQUEST: &str = "/provision/request";
pub const PROVISION_RESPONSE: &str = "/provision/response";

/// Topic on which refusals are published to devices that subscribed to it (an Ironloom
/// extension; MQTT 5 clients also get reason codes).
pub const TB_ERRORS: &str = "v1/devices/me/errors";

/// Which device API a connection speaks, by how it logged in: commands go out in its
/// dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    ThingsBoard,
    Alink,
}

/// A device a gateway connection speaks for.
#[derive(Debug)]
pub(crate) struct SubDevice {
    pub ctx: DeviceCtx,
    pub _link: LinkGuard,
}

/// The per-connection context.
#[derive(Debug)]
pub struct MqttDevice {
    pub ctx: DeviceCtx,
    pub namespace: Arc<str>,
    pub version: ProtocolVersion,
    pub dialect: Dialect,
    /// The device's downlink while connected.
    link: Mutex<Option<LinkGuard>>,
    /// Sub-devices by name, when the device acts as a gateway.
    pub(crate) subs: Mutex<HashMap<String, SubDevice>>,
    /// A device without credentials yet, connected as `provision`: it may only ask for
    /// them (its `ctx` names no real device).
    pub provisioning: Option<std::net::IpAddr>,
    /// An application signed in with an API key (user name `apikey`): it may only
    /// subscribe to its tenant's `rules/…` topics, where rules republish.
    pub application: bool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The MQTT side of the device API: implements the server's hooks over the hub.
pub struct MqttDevices {
    hub: Arc<DeviceHub>,
    server: OnceLock<MqttServer<MqttDevices>>,
}

impl std::fmt::Debug for MqttDevices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttDevices").finish_non_exhaustive()
    }
}

/// The MQTT user name with which applications sign in (the password is an API key).
pub const APP_USERNAME: &str = "apikey";
/// Where rules republish, under the tenant's application namespace.
pub const RULES_TOPICS: &str = "rules/";

/// The namespace of a tenant's applications on the MQTT server.
pub fn app_namespace(tenant: ironloom_core::ids::TenantId) -> String {
    format!("app/{tenant}")
}

/// The namespace of a device on the MQTT server.
pub fn namespace(ctx: &DeviceCtx) -> String {
    format!("{}/{}", ctx.tenant, ctx.device)
}

impl MqttDevices {
    pub fn new(hub: Arc<DeviceHub>) -> Arc<MqttDevices> {
        Arc::new(MqttDevices {
            hub,
            server: OnceLock::new(),
        })
    }

    /// Gives the hooks the server they serve (to publish replies and commands).
    pub fn attach(&self, server: MqttServer<MqttDevices>) {
        let _ = self.server.set(server);
    }

    pub fn server(&self) -> Option<&MqttServer<MqttDevices>> {
        self.server.get()
    }

    pub(crate) fn send(&self, ns: &str, topic: String, payload: Vec<u8>) {
        if let Some(s) = self.server.get() {
            s.publish(ns, message(topic, payload, QoS::AtMostOnce));
        }
    }

    pub(crate) fn hub(&self) -> &Arc<DeviceHub> {
        &self.hub
    }

    /// The downlink of a directly connected device: commands and shared attributes as
    /// publishes in its dialect. Taken only if the device subscribed to the topic.
    fn device_sink(&self, client: &MqttDevice) -> Option<Sink> {
        let server = self.server.get()?.clone();
        let ns = client.namespace.clone();
        let dialect = client.dialect;
        let sys = format!("/sys/{}/{}", client.ctx.product_key, client.ctx.name);
        Some(Arc::new(move |d: &Downlink| {
            let (topic, body) = match (d, dialect) {
                (
                    Downlink::Command {
                        command,
                        request_id,
                    },
                    Dialect::ThingsBoard,
                ) => (
                    format!("v1/devices/me/rpc/request/{request_id}"),
                    tb::rpc_request(command, None),
                ),
                (
                    Downlink::Command {
                        command,
                        request_id,
                    },
                    Dialect::Alink,
                ) => {
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
                    (
                        format!("{sys}/{path}"),
                        json!({
                            "id": request_id.to_string(),
                            "version": "1.0",
                            "params": command.params,
                            "method": method,
                        }),
                    )
                }
                (Downlink::Attributes { set, deleted }, Dialect::ThingsBoard) => (
                    "v1/devices/me/attributes".to_owned(),
                    tb::attributes_update(set, deleted),
                ),
                // Alink has no shared attributes; its devices get property writes.
                (Downlink::Attributes { .. }, Dialect::Alink) => return false,
            };
            let report = server.publish(
                &ns,
                message(topic, body.to_string().into_bytes(), QoS::AtLeastOnce),
            );
            report.online > 0
        }))
    }

    /// Publishes refusals on the error topic (delivered only if the device subscribed).
    fn publish_errors(&self, client: &MqttDevice, topic: &str, outcome: &IngestOutcome) {
        if outcome.refused.is_empty() {
            return;
        }
        let errors: Vec<Json> = outcome
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
        let body = json!({"topic": topic, "stored": outcome.stored, "errors": errors});
        self.send(
            &client.namespace,
            TB_ERRORS.into(),
            body.to_string().into_bytes(),
        );
    }
}

pub(crate) fn message(topic: String, payload: Vec<u8>, qos: QoS) -> Message {
    Message {
        topic: topic.into(),
        payload: Bytes::from(payload),
        qos,
        retain: false,
        props: None,
    }
}

/// The verdict for an ingest under the documented rule, with a reason string.
fn verdict(outcome: &IngestOutcome) -> Verdict {
    if outcome.accepted() {
        Verdict {
            ack: AckReason::Success,
            reason: outcome.summary(Locale::En),
            route: false,
        }
    } else {
        Verdict {
            ack: AckReason::PayloadFormatInvalid,
            reason: outcome.summary(Locale::En),
            route: false,
        }
    }
}

fn content_encoding(p: &InboundPublish) -> Option<Encoding> {
    p.props
        .as_ref()
        .and_then(|pr| pr.content_type.as_deref())
        .and_then(Encoding::from_content_type)
}

/// What a topic asks for.
enum Route<'a> {
    TbTelemetry,
    TbSingle(&'a str),
    TbAttributes,
    TbAttributeRequest(&'a str),
    TbRpcAnswer(u32),
    TbClientRpc(&'a str),
    Gateway(crate::gateway::GatewayTopic),
    /// `…/thing/service/property/set_reply` or `…/thing/service/{id}_reply`.
    AlinkServiceReply,
    AlinkProperties,
    AlinkEvent(&'a str),
    AlinkNtp,
    Custom,
    /// Alink or ThingsBoard topic of another device.
    Foreign,
    Unknown,
}

fn route<'a>(ctx: &DeviceCtx, topic: &'a str) -> Route<'a> {
    if topic == "v1/devices/me/telemetry" {
        return Route::TbTelemetry;
    }
    if topic == "v1/devices/me/attributes" {
        return Route::TbAttributes;
    }
    if let Some(id) = topic.strip_prefix("v1/devices/me/attributes/request/") {
        return if id.is_empty() || id.contains('/') {
            Route::Unknown
        } else {
            Route::TbAttributeRequest(id)
        };
    }
    if let Some(id) = topic.strip_prefix("v1/devices/me/rpc/response/") {
        return id.parse().map_or(Route::Unknown, Route::TbRpcAnswer);
    }
    if let Some(id) = topic.strip_prefix("v1/devices/me/rpc/request/") {
        return if id.is_empty() || id.contains('/') {
            Route::Unknown
        } else {
            Route::TbClientRpc(id)
        };
    }
    if let Some(t) = crate::gateway::GatewayTopic::parse(topic) {
        return Route::Gateway(t);
    }
    if let Some(key) = topic.strip_prefix("v1/devices/me/telemetry/") {
        return if key.is_empty() || key.contains('/') {
            Route::Unknown
        } else {
            Route::TbSingle(key)
        };
    }
    if let Some(rest) = topic.strip_prefix("/sys/") {
        let mut parts = rest.splitn(3, '/');
        let (Some(pk), Some(dn), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Route::Unknown;
        };
        if pk != &*ctx.product_key || dn != &*ctx.name {
            return Route::Foreign;
        }
        if path == "thing/event/property/post" {
            return Route::AlinkProperties;
        }
        if path
            .strip_prefix("thing/service/")
            .and_then(|p| p.strip_suffix("_reply"))
            .is_some_and(|id| !id.is_empty())
        {
            return Route::AlinkServiceReply;
        }
        if let Some(id) = path
            .strip_prefix("thing/event/")
            .and_then(|p| p.strip_suffix("/post"))
            && !id.is_empty()
            && !id.contains('/')
        {
            return Route::AlinkEvent(id);
        }
        return Route::Unknown;
    }
    if let Some(rest) = topic.strip_prefix("/ext/ntp/") {
        return if rest == format!("{}/{}/request", ctx.product_key, ctx.name) {
            Route::AlinkNtp
        } else {
            Route::Foreign
        };
    }
    if let Some(rest) = topic.strip_prefix('/') {
        let mut parts = rest.splitn(4, '/');
        if let (Some(pk), Some(dn), Some("user"), Some(_)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            return if pk == &*ctx.product_key && dn == &*ctx.name {
                Route::Custom
            } else {
                Route::Foreign
            };
        }
    }
    Route::Unknown
}

/// Whether a device may subscribe to a filter.
fn may_subscribe(ctx: &DeviceCtx, filter: &str) -> bool {
    if TB_SUBSCRIPTIONS.contains(&filter) {
        return true;
    }
    let own_sys = format!("/sys/{}/{}/", ctx.product_key, ctx.name);
    let own_user = format!("/{}/{}/user/", ctx.product_key, ctx.name);
    let ntp = format!("/ext/ntp/{}/{}/response", ctx.product_key, ctx.name);
    (filter.starts_with(&own_sys) && filter.len() > own_sys.len())
        || (filter.starts_with(&own_user) && filter.len() > own_user.len())
        || filter == ntp
}

impl MqttDevices {
    async fn handle(
        &self,
        client: &MqttDevice,
        p: &InboundPublish,
        tb_batch: &mut Vec<(usize, Vec<Reported>)>,
        i: usize,
    ) -> Option<Verdict> {
        let hub = &self.hub;
        let ctx = &client.ctx;
        let source = format!("mqtt:{}", p.topic);
        match route(ctx, &p.topic) {
            Route::TbTelemetry => {
                match payload::decode(&p.payload, content_encoding(p))
                    .and_then(payload::tb_telemetry)
                {
                    Ok(r) => {
                        // Gathered: all telemetry of a batch goes in one durable write.
                        tb_batch.push((i, r));
                        None
                    }
                    Err(e) => {
                        let o = hub
                            .refuse(ctx, &source, Rejection::Payload(e.to_string()))
                            .await;
                        self.publish_errors(client, &p.topic, &o);
                        Some(verdict(&o))
                    }
                }
            }
            Route::TbSingle(key) => {
                match payload::single_value(key, &p.payload, content_encoding(p)) {
                    Ok(r) => {
                        tb_batch.push((i, r));
                        None
                    }
                    Err(e) => {
                        let o = hub
                            .refuse(ctx, &source, Rejection::Payload(e.to_string()))
                            .await;
                        self.publish_errors(client, &p.topic, &o);
                        Some(verdict(&o))
                    }
                }
            }
            Route::TbAttributes => {
                let r = payload::decode(&p.payload, content_encoding(p))
                    .map_err(|e| Rejection::Payload(e.to_string()))
                    .and_then(|v| match v {
                        Json::Object(o) => Ok(o),
                        _ => Err(Rejection::Payload(
                            "attributes must be a JSON object".into(),
                        )),
                    });
                let r = match r {
                    Ok(values) => hub.client_attributes(ctx, values).await,
                    Err(e) => Err(e),
                };
                Some(match r {
                    Ok(()) => Verdict::accepted(),
                    Err(reason) => {
                        let o = hub.refuse(ctx, &source, reason).await;
                        self.publish_errors(client, &p.topic, &o);
                        verdict(&o)
                    }
                })
            }
            Route::TbAttributeRequest(id) => {
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
                Some(Verdict::accepted())
            }
            Route::TbRpcAnswer(rid) => {
                let answer = payload::decode(&p.payload, content_encoding(p))
                    .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&p.payload).into()));
                if hub.command_answer(ctx, rid, tb::rpc_answer(answer)).await {
                    Some(Verdict::accepted())
                } else {
                    Some(Verdict {
                        ack: AckReason::NoMatchingSubscribers,
                        reason: Some("no command awaits this answer".into()),
                        route: false,
                    })
                }
            }
            Route::TbClientRpc(id) => {
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
                Some(Verdict::accepted())
            }
            Route::Gateway(t) => Some(crate::gateway::handle(self, client, t, p).await),
            Route::AlinkServiceReply => {
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
                    let o = hub
                        .refuse(
                            ctx,
                            &source,
                            Rejection::Payload("a reply needs a JSON object with an id".into()),
                        )
                        .await;
                    return Some(verdict(&o));
                };
                let code = reply.get("code").and_then(Json::as_u64).unwrap_or(200);
                let data = reply.get("data").cloned();
                let result = if code == 200 {
                    ironloom_core::command::CommandResult::succeeded(data)
                } else {
                    ironloom_core::command::CommandResult {
                        status: ironloom_core::command::CommandStatus::Failed,
                        response: Some(reply.clone()),
                        error: Some(format!(
                            "code {code}: {}",
                            reply.get("message").and_then(Json::as_str).unwrap_or("")
                        )),
                    }
                };
                hub.command_answer(ctx, rid, result).await;
                Some(Verdict::accepted())
            }
            Route::AlinkProperties => Some(self.alink_properties(client, p, &source).await),
            Route::AlinkEvent(id) => Some(self.alink_event(client, p, id, &source).await),
            Route::AlinkNtp => {
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
                Some(Verdict::accepted())
            }
            Route::Custom => Some(Verdict::routed()),
            Route::Foreign => {
                let o = hub.refuse(ctx, &source, Rejection::UnknownTopic).await;
                self.publish_errors(client, &p.topic, &o);
                Some(Verdict::refused(
                    AckReason::NotAuthorized,
                    "the topic belongs to another device",
                ))
            }
            Route::Unknown => {
                let o = hub.refuse(ctx, &source, Rejection::UnknownTopic).await;
                self.publish_errors(client, &p.topic, &o);
                Some(Verdict::refused(
                    AckReason::TopicNameInvalid,
                    Rejection::UnknownTopic.message(Locale::En),
                ))
            }
        }
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
                    .hub
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
            Ok(values) => match self.hub.ingest(ctx, source, values).await {
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
            Err(e) => self.hub.refuse(ctx, source, Rejection::Payload(e)).await,
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
                    .hub
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
        let outcome = match self.hub.event(ctx, source, id, time, value).await {
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

#[async_trait]
impl MqttHooks for MqttDevices {
    type Client = MqttDevice;

    async fn authenticate(
        &self,
        info: ConnectInfo<'_>,
    ) -> Result<Grant<MqttDevice>, ConnectRefusal> {
        if info.username == Some("provision") {
            // ThingsBoard provisioning: a namespace of its own, one topic in and one out.
            let ctx = DeviceCtx {
                tenant: ironloom_core::ids::TenantId::new(),
                device: ironloom_core::ids::DeviceId::new(),
                product: ironloom_core::ids::ProductId::new(),
                name: "provision".into(),
                product_key: "".into(),
            };
            let namespace: Arc<str> = format!("provision/{}", ctx.device).into();
            return Ok(Grant {
                namespace: namespace.clone(),
                metrics_label: "provisioning".into(),
                client: MqttDevice {
                    ctx,
                    namespace,
                    version: info.version,
                    dialect: Dialect::ThingsBoard,
                    link: Mutex::new(None),
                    subs: Mutex::new(HashMap::new()),
                    provisioning: Some(info.peer.ip()),
                    application: false,
                },
            });
        }
        if info.username == Some(APP_USERNAME) {
            let key = info.password.unwrap_or("");
            let tenant = crate::auth::application_login(self.hub.meta().as_ref(), key)
                .await
                .map_err(|e| match e {
                    LoginError::BadCredentials => ConnectRefusal::BadCredentials,
                    LoginError::Banned => ConnectRefusal::Banned,
                    LoginError::Unavailable => ConnectRefusal::ServerBusy,
                })?;
            let ctx = DeviceCtx {
                tenant,
                device: ironloom_core::ids::DeviceId::new(),
                product: ironloom_core::ids::ProductId::new(),
                name: "application".into(),
                product_key: "".into(),
            };
            let namespace: Arc<str> = app_namespace(tenant).into();
            return Ok(Grant {
                namespace: namespace.clone(),
                metrics_label: tenant.to_string().into(),
                client: MqttDevice {
                    ctx,
                    namespace,
                    version: info.version,
                    dialect: Dialect::ThingsBoard,
                    link: Mutex::new(None),
                    subs: Mutex::new(HashMap::new()),
                    provisioning: None,
                    application: true,
                },
            });
        }
        let mut dialect = Dialect::ThingsBoard;
        let login = match (info.username, info.password) {
            (Some(u), p) if AlinkLogin::parse(info.client_id, u).is_some() => {
                dialect = Dialect::Alink;
                Login::Alink {
                    login: AlinkLogin::parse(info.client_id, u)
                        .ok_or(ConnectRefusal::BadCredentials)?,
                    password: p.unwrap_or(""),
                }
            }
            (Some(u), None) | (Some(u), Some("")) => Login::Token(u),
            (Some(u), Some(p)) => Login::Basic {
                username: u,
                password: p,
            },
            (None, _) => return Err(ConnectRefusal::BadCredentials),
        };
        let ctx = self
            .hub
            .login(login, info.peer.ip())
            .await
            .map_err(|e| match e {
                LoginError::BadCredentials => ConnectRefusal::BadCredentials,
                LoginError::Banned => ConnectRefusal::Banned,
                LoginError::Unavailable => ConnectRefusal::ServerBusy,
            })?;
        let namespace: Arc<str> = namespace(&ctx).into();
        Ok(Grant {
            namespace: namespace.clone(),
            metrics_label: ctx.tenant.to_string().into(),
            client: MqttDevice {
                ctx,
                namespace,
                version: info.version,
                dialect,
                link: Mutex::new(None),
                subs: Mutex::new(HashMap::new()),
                provisioning: None,
                application: false,
            },
        })
    }

    fn check_subscribe(&self, client: &MqttDevice, filter: &str) -> Result<QoS, SubscribeRefusal> {
        if client.provisioning.is_some() {
            return if filter == PROVISION_RESPONSE {
                Ok(QoS::AtLeastOnce)
            } else {
                Err(SubscribeRefusal::NotAuthorized)
            };
        }
        if client.application {
            return if filter.starts_with(RULES_TOPICS) {
                Ok(QoS::AtLeastOnce)
            } else {
                Err(SubscribeRefusal::NotAuthorized)
            };
        }
        if may_subscribe(&client.ctx, filter) {
            Ok(QoS::AtLeastOnce)
        } else {
            Err(SubscribeRefusal::NotAuthorized)
        }
    }

    async fn publish(&self, client: &MqttDevice, batch: &[InboundPublish]) -> Vec<Verdict> {
        if client.application {
            return batch
                .iter()
                .map(|_| {
                    Verdict::refused(
                        AckReason::NotAuthorized,
                        "an application may only subscribe to rules/… topics",
                    )
                })
                .collect();
        }
        if let Some(peer) = client.provisioning {
            let mut verdicts = Vec::with_capacity(batch.len());
            for p in batch {
                if &*p.topic != PROVISION_REQUEST {
                    verdicts.push(Verdict::refused(
                        AckReason::NotAuthorized,
                        "a provisioning client may only publish /provision/request",
                    ));
                    continue;
                }
                let req = payload::decode(&p.payload, content_encoding(p)).unwrap_or(Json::Null);
                let answer = crate::provision::provision(&self.hub, &req, peer).await;
                self.send(
                    &client.namespace,
                    PROVISION_RESPONSE.into(),
                    answer.to_string().into_bytes(),
                );
                verdicts.push(Verdict::accepted());
            }
            return verdicts;
        }
        let mut verdicts: Vec<Option<Verdict>> = Vec::with_capacity(batch.len());
        let mut telemetry: Vec<(usize, Vec<Reported>)> = Vec::new();
        for (i, p) in batch.iter().enumerate() {
            let v = self.handle(client, p, &mut telemetry, i).await;
            verdicts.push(v);
        }
        if !telemetry.is_empty() {
            let (idx, messages): (Vec<usize>, Vec<Vec<Reported>>) = telemetry.into_iter().unzip();
            let source = "mqtt:v1/devices/me/telemetry";
            match self.hub.ingest_many(&client.ctx, source, messages).await {
                Ok(outcomes) => {
                    for (i, o) in idx.into_iter().zip(outcomes) {
                        self.publish_errors(client, &batch[i].topic, &o);
                        verdicts[i] = Some(verdict(&o));
                    }
                }
                Err(e) => {
                    tracing::warn!(device = %client.ctx.device, error = %e, "MQTT telemetry not stored");
                    for i in idx {
                        verdicts[i] = Some(Verdict::refused(
                            AckReason::ImplementationSpecificError,
                            "the data could not be stored; retry",
                        ));
                    }
                }
            }
        }
        verdicts
            .into_iter()
            .map(|v| {
                v.unwrap_or_else(|| Verdict::refused(AckReason::UnspecifiedError, "not handled"))
            })
            .collect()
    }

    fn connected(&self, client: &MqttDevice) {
        if client.provisioning.is_some() || client.application {
            return;
        }
        self.hub
            .connected(&client.ctx, &format!("mqtt {}", client.version.as_str()));
        if let Some(sink) = self.device_sink(client) {
            *lock(&client.link) = Some(self.hub.link(client.ctx.device, sink));
        }
    }

    fn subscribed(&self, client: &MqttDevice, filters: &[Arc<str>]) {
        if client.provisioning.is_some() || client.application {
            return;
        }
        // Queued commands go out once the device listens for them.
        let sys = format!("/sys/{}/{}/", client.ctx.product_key, client.ctx.name);
        let listens = filters
            .iter()
            .any(|f| &**f == "v1/devices/me/rpc/request/+" || f.starts_with(&sys));
        if listens {
            let hub = self.hub.clone();
            let ctx = client.ctx.clone();
            tokio::spawn(async move { hub.deliver_queued(ctx.tenant, ctx.device).await });
        }
    }

    fn disconnected(&self, client: &MqttDevice, cause: DisconnectCause) {
        if client.provisioning.is_some() || client.application {
            return;
        }
        lock(&client.link).take();
        for (_, sub) in lock(&client.subs).drain() {
            self.hub.disconnected(&sub.ctx, "gateway_disconnected");
        }
        self.hub.disconnected(&client.ctx, cause.as_str());
    }
}
