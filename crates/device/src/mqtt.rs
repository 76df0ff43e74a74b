//! The device API over MQTT, as a thin implementation of the embedded server's hooks over
//! the device hub.
//!
//! Layout: this file (who a connection is — its [`ClientRole`] — and the hooks, which
//! send each publish to its dialect), `thingsboard` (ThingsBoard device topics
//! `v1/devices/me/…`), `tb_gateway` (ThingsBoard gateway topics `v1/gateway/…`), `alink`
//! (Alibaba Alink topics `/sys/{productKey}/{deviceName}/thing/…`, NTP, custom topics).
//!
//! Every device lives in its own namespace (`{tenant}/{device}`), so nothing it subscribes
//! to can reach another device's messages; on top of that, topic ACLs keep it to the
//! topics of the device API and, for Alink, to its own productKey and deviceName.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use bytes::Bytes;
use ironloom_core::device::Reported;
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_mqtt::{
    AckReason, CertFingerprint, ConnectInfo, ConnectRefusal, DisconnectCause, Grant,
    InboundPublish, Message, MqttHooks, MqttServer, ProtocolVersion, QoS, SubscribeRefusal,
    Verdict,
};
use serde_json::{Value as Json, json};

use crate::auth::AlinkLogin;
use crate::hub::downlink::{Delivery, Downlink, LinkGuard, Sink};
use crate::hub::{Close, DeviceCtx, DeviceHub, IngestOutcome, Login, LoginError, Rejection};
use crate::payload::{self, Encoding};

mod alink;
pub mod tb_gateway;
mod thingsboard;

pub(crate) use ironloom_core::sync::lock;
pub use thingsboard::ERRORS as TB_ERRORS;

/// ThingsBoard provisioning topics.
pub const PROVISION_REQUEST: &str = "/provision/request";
pub const PROVISION_RESPONSE: &str = "/provision/response";
/// The MQTT user name with which applications sign in (the password is an API key).
pub const APP_USERNAME: &str = "apikey";
/// The MQTT user name of a device asking for its credentials (ThingsBoard provisioning).
pub const PROVISION_USERNAME: &str = "provision";
/// Where rules republish, under the tenant's application namespace.
pub const RULES_TOPICS: &str = "rules/";

/// Which device API a device speaks, by how it logged in: commands go out in its dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    ThingsBoard,
    Alink,
}

/// Who is on the other end of a connection; decides everything it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientRole {
    /// A device (or a gateway speaking for sub-devices), in the dialect it logged in with.
    Device(Dialect),
    /// A device without credentials yet, connected as `provision` from this address: it
    /// may only ask for them (its `ctx` names no real device).
    Provisioning(IpAddr),
    /// An application signed in with an API key: it may only subscribe to its tenant's
    /// `rules/…` topics, where rules republish.
    Application,
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
    /// The MQTT client id (a session of the same client id on another node ends when
    /// this one opens).
    pub client_id: Arc<str>,
    pub namespace: Arc<str>,
    pub version: ProtocolVersion,
    pub role: ClientRole,
    /// The device's downlink while connected.
    link: Mutex<Option<LinkGuard>>,
    /// What the device keeps as a gateway, made when it first acts as one: most devices
    /// never do, and every idle connection holds this context.
    gateway: OnceLock<Box<GatewayState>>,
}

/// What a device acting as a gateway keeps.
#[derive(Debug, Default)]
pub(crate) struct GatewayState {
    /// Sub-devices by name.
    pub subs: Mutex<HashMap<String, SubDevice>>,
    /// The gateway announced itself as Ironloom's own
    /// ([`GATEWAY_AGENT_ATTRIBUTE`](ironloom_core::device::GATEWAY_AGENT_ATTRIBUTE)).
    pub ironloom_agent: Arc<AtomicBool>,
    /// Sub-devices the gateway named that could not be connected, by name.
    pub unconnected: Mutex<HashMap<String, tb_gateway::Unconnected>>,
}

impl MqttDevice {
    fn new(ctx: DeviceCtx, info: &ConnectInfo<'_>, namespace: Arc<str>, role: ClientRole) -> Self {
        MqttDevice {
            ctx,
            client_id: info.client_id.into(),
            version: info.version,
            namespace,
            role,
            link: Mutex::new(None),
            gateway: OnceLock::new(),
        }
    }

    /// Its state as a gateway, made on first use.
    pub(crate) fn gateway(&self) -> &GatewayState {
        self.gateway.get_or_init(Box::default)
    }

    fn is_device(&self) -> bool {
        matches!(self.role, ClientRole::Device(_))
    }
}

/// The MQTT side of the device API: implements the server's hooks over the hub.
pub struct MqttDevices {
    hub: Arc<DeviceHub>,
    server: OnceLock<MqttServer<MqttDevices>>,
    /// Tenants' metrics labels, one copy per tenant rather than one per connection.
    labels: Mutex<HashMap<TenantId, Arc<str>>>,
}

impl std::fmt::Debug for MqttDevices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttDevices").finish_non_exhaustive()
    }
}

/// The namespace of a tenant's applications on the MQTT server.
pub fn app_namespace(tenant: TenantId) -> String {
    format!("app/{tenant}")
}

/// The namespace of a device on the MQTT server.
pub fn namespace(ctx: &DeviceCtx) -> String {
    device_namespace(ctx.tenant, ctx.device)
}

fn device_namespace(tenant: TenantId, device: DeviceId) -> String {
    format!("{tenant}/{device}")
}

/// What a topic asks for, by dialect.
enum Route<'a> {
    Tb(thingsboard::TbRoute<'a>),
    Gateway(tb_gateway::GatewayTopic),
    Alink(alink::AlinkRoute<'a>),
    /// A custom topic of the device: routed to whoever subscribed.
    Custom,
    /// A topic of another device.
    Foreign,
    Unknown,
}

fn route<'a>(ctx: &DeviceCtx, topic: &'a str) -> Route<'a> {
    thingsboard::route(topic)
        .or_else(|| tb_gateway::GatewayTopic::parse(topic).map(Route::Gateway))
        .or_else(|| alink::route(ctx, topic))
        .unwrap_or(Route::Unknown)
}

/// A context naming no real device, for connections that are not devices.
fn no_device(tenant: TenantId, name: &str) -> DeviceCtx {
    DeviceCtx {
        tenant,
        device: DeviceId::new(),
        product: ProductId::new(),
        name: name.into(),
        product_key: "".into(),
    }
}

fn refusal(e: LoginError) -> ConnectRefusal {
    match e {
        LoginError::BadCredentials => ConnectRefusal::BadCredentials,
        LoginError::Banned => ConnectRefusal::Banned,
        LoginError::Unavailable => ConnectRefusal::ServerBusy,
    }
}

impl MqttDevices {
    pub fn new(hub: Arc<DeviceHub>) -> Arc<MqttDevices> {
        Arc::new(MqttDevices {
            hub,
            server: OnceLock::new(),
            labels: Mutex::new(HashMap::new()),
        })
    }

    /// The tenant's metrics label (every connection holds it).
    fn label(&self, tenant: TenantId) -> Arc<str> {
        lock(&self.labels)
            .entry(tenant)
            .or_insert_with(|| tenant.to_string().into())
            .clone()
    }

    /// Gives the hooks the server they serve (to publish replies and commands), and lets
    /// the hub end connections on it.
    pub fn attach(self: &Arc<Self>, server: MqttServer<MqttDevices>) {
        // Weak: the server holds these hooks, which hold the hub.
        let hooks = Arc::downgrade(self);
        self.hub.on_close(Arc::new(move |what: Close<'_>| {
            let Some(server) = hooks.upgrade().and_then(|h| h.server.get().cloned()) else {
                return;
            };
            match what {
                Close::Device { tenant, device } => {
                    server.kick(&device_namespace(tenant, device));
                }
                Close::Session {
                    tenant,
                    device,
                    client_id,
                    at,
                } => {
                    server.take_over(&device_namespace(tenant, device), client_id, at.into());
                }
            }
        }));
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
    fn device_sink(&self, client: &MqttDevice, dialect: Dialect) -> Option<Sink> {
        // Held for as long as the device is connected: only shared pointers, the Alink
        // topic prefix made when something is sent.
        let server = self.server.get()?.clone();
        let ns = client.namespace.clone();
        let (product_key, name) = (client.ctx.product_key.clone(), client.ctx.name.clone());
        Some(Arc::new(move |d: &Downlink| {
            let out = match dialect {
                Dialect::ThingsBoard => Some(thingsboard::downlink(d)),
                Dialect::Alink => alink::downlink(&format!("/sys/{product_key}/{name}"), d),
            };
            let Some((topic, body)) = out else {
                return Delivery::NotTaken;
            };
            let report = server.publish(
                &ns,
                message(topic, body.to_string().into_bytes(), QoS::AtLeastOnce),
            );
            (report.online > 0).into()
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

    /// Refuses a whole publish: logged, published on the error topic, answered.
    async fn refuse(
        &self,
        client: &MqttDevice,
        p: &InboundPublish,
        source: &str,
        reason: Rejection,
    ) -> Verdict {
        let o = self.hub.refuse(&client.ctx, source, reason).await;
        self.publish_errors(client, &p.topic, &o);
        verdict(&o)
    }

    /// One publish of a device. Telemetry is gathered into `telemetry` for one durable
    /// write of the whole batch and answered later (`None`). Telemetry is read here
    /// without waiting; every other route (and a refusal) waits on a future of its own,
    /// boxed: otherwise the largest of them would be part of every telemetry message's
    /// future (the hooks' boxed publish future is allocated per batch).
    async fn handle(
        &self,
        client: &MqttDevice,
        p: &InboundPublish,
        telemetry: &mut Vec<(usize, Vec<Reported>)>,
        i: usize,
    ) -> Option<Verdict> {
        let source = || format!("mqtt:{}", p.topic);
        let route = route(&client.ctx, &p.topic);
        if let Route::Tb(r) = &route
            && let Some(gathered) = thingsboard::gather(r, p)
        {
            return match gathered {
                Ok(r) => {
                    telemetry.push((i, r));
                    None
                }
                Err(e) => {
                    let reason = Rejection::Payload(e.to_string());
                    Some(Box::pin(self.refuse(client, p, &source(), reason)).await)
                }
            };
        }
        Box::pin(self.handle_other(client, p, route, &source())).await
    }

    /// A publish that is not telemetry.
    async fn handle_other(
        &self,
        client: &MqttDevice,
        p: &InboundPublish,
        route: Route<'_>,
        source: &str,
    ) -> Option<Verdict> {
        match route {
            Route::Tb(r) => Some(self.thingsboard(client, r, p, source).await),
            Route::Gateway(t) => Some(tb_gateway::handle(self, client, t, p).await),
            Route::Alink(r) => Some(self.alink(client, r, p, source).await),
            Route::Custom => Some(Verdict::routed()),
            Route::Foreign => {
                self.refuse(client, p, source, Rejection::UnknownTopic)
                    .await;
                Some(Verdict::refused(
                    AckReason::NotAuthorized,
                    "the topic belongs to another device",
                ))
            }
            Route::Unknown => {
                self.refuse(client, p, source, Rejection::UnknownTopic)
                    .await;
                Some(Verdict::refused(
                    AckReason::TopicNameInvalid,
                    Rejection::UnknownTopic.message(Locale::En),
                ))
            }
        }
    }

    /// Publishes of a device: each to its dialect, all telemetry in one durable write.
    async fn device_publish(&self, client: &MqttDevice, batch: &[InboundPublish]) -> Vec<Verdict> {
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

    /// Publishes of a device asking for its credentials: only `/provision/request`.
    async fn provisioning_publish(
        &self,
        client: &MqttDevice,
        peer: IpAddr,
        batch: &[InboundPublish],
    ) -> Vec<Verdict> {
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
            let answer = crate::hub::provision::provision(&self.hub, &req, peer).await;
            self.send(
                &client.namespace,
                PROVISION_RESPONSE.into(),
                answer.to_string().into_bytes(),
            );
            verdicts.push(Verdict::accepted());
        }
        verdicts
    }
}

impl MqttDevices {
    /// A client that presented a verified certificate is the device the certificate is
    /// registered to, whatever its user name says, and needs no password; a certificate
    /// registered to no device is refused. The Alink dialect is kept when the client id
    /// and user name are an Alink sign-in of that very device.
    async fn certificate_login(
        &self,
        info: &ConnectInfo<'_>,
        cert: CertFingerprint,
    ) -> Result<Grant<MqttDevice>, ConnectRefusal> {
        let fingerprint = cert.to_string();
        let ctx = self
            .hub
            .login(Login::Certificate(&fingerprint), info.peer.ip())
            .await
            .map_err(|e| match e {
                LoginError::BadCredentials => ConnectRefusal::NotAuthorized,
                e => refusal(e),
            })?;
        let alink = info
            .username
            .and_then(|u| AlinkLogin::parse(info.client_id, u));
        let (dialect, subscriptions) = match alink {
            None => (Dialect::ThingsBoard, vec![]),
            Some(a) if *a.product_key == *ctx.product_key && *a.device_name == *ctx.name => {
                let subscriptions = if a.server_subscribes {
                    alink::server_subscriptions(&ctx)
                } else {
                    vec![]
                };
                (Dialect::Alink, subscriptions)
            }
            Some(_) => return Err(ConnectRefusal::NotAuthorized),
        };
        let namespace: Arc<str> = namespace(&ctx).into();
        Ok(Grant {
            namespace: namespace.clone(),
            metrics_label: self.label(ctx.tenant),
            client: MqttDevice::new(ctx, info, namespace, ClientRole::Device(dialect)),
            subscriptions,
        })
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
    let ack = if outcome.accepted() {
        AckReason::Success
    } else {
        AckReason::PayloadFormatInvalid
    };
    Verdict {
        ack,
        reason: outcome.summary(Locale::En),
        route: false,
    }
}

fn content_encoding(p: &InboundPublish) -> Option<Encoding> {
    p.props
        .as_ref()
        .and_then(|pr| pr.content_type.as_deref())
        .and_then(Encoding::from_content_type)
}

#[async_trait]
impl MqttHooks for MqttDevices {
    type Client = MqttDevice;

    async fn authenticate(
        &self,
        info: ConnectInfo<'_>,
    ) -> Result<Grant<MqttDevice>, ConnectRefusal> {
        if let Some(cert) = info.listener.client_cert() {
            return self.certificate_login(&info, cert).await;
        }
        if info.username == Some(PROVISION_USERNAME) {
            // ThingsBoard provisioning: a namespace of its own, one topic in and one out.
            let ctx = no_device(TenantId::new(), PROVISION_USERNAME);
            let namespace: Arc<str> = format!("provision/{}", ctx.device).into();
            let role = ClientRole::Provisioning(info.peer.ip());
            return Ok(Grant {
                namespace: namespace.clone(),
                metrics_label: "provisioning".into(),
                client: MqttDevice::new(ctx, &info, namespace, role),
                subscriptions: vec![],
            });
        }
        if info.username == Some(APP_USERNAME) {
            let key = info.password.unwrap_or("");
            let tenant = crate::auth::application_login(self.hub.meta().as_ref(), key)
                .await
                .map_err(refusal)?;
            let namespace: Arc<str> = app_namespace(tenant).into();
            let ctx = no_device(tenant, "application");
            return Ok(Grant {
                namespace: namespace.clone(),
                metrics_label: self.label(tenant),
                client: MqttDevice::new(ctx, &info, namespace, ClientRole::Application),
                subscriptions: vec![],
            });
        }
        let mut dialect = Dialect::ThingsBoard;
        let mut server_subscribes = false;
        let login = match (info.username, info.password) {
            (Some(u), p) if AlinkLogin::parse(info.client_id, u).is_some() => {
                dialect = Dialect::Alink;
                let login =
                    AlinkLogin::parse(info.client_id, u).ok_or(ConnectRefusal::BadCredentials)?;
                server_subscribes = login.server_subscribes;
                Login::Alink {
                    login,
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
            .map_err(refusal)?;
        let namespace: Arc<str> = namespace(&ctx).into();
        let subscriptions = if server_subscribes {
            alink::server_subscriptions(&ctx)
        } else {
            vec![]
        };
        Ok(Grant {
            namespace: namespace.clone(),
            metrics_label: self.label(ctx.tenant),
            client: MqttDevice::new(ctx, &info, namespace, ClientRole::Device(dialect)),
            subscriptions,
        })
    }

    fn check_subscribe(&self, client: &MqttDevice, filter: &str) -> Result<QoS, SubscribeRefusal> {
        let allowed = match client.role {
            ClientRole::Provisioning(_) => filter == PROVISION_RESPONSE,
            ClientRole::Application => filter.starts_with(RULES_TOPICS),
            ClientRole::Device(_) => {
                thingsboard::may_subscribe(filter) || alink::may_subscribe(&client.ctx, filter)
            }
        };
        if allowed {
            Ok(QoS::AtLeastOnce)
        } else {
            Err(SubscribeRefusal::NotAuthorized)
        }
    }

    async fn publish(&self, client: &MqttDevice, batch: &[InboundPublish]) -> Vec<Verdict> {
        match client.role {
            ClientRole::Device(_) => self.device_publish(client, batch).await,
            // Boxed: a rare and large future, kept out of every device message's.
            ClientRole::Provisioning(peer) => {
                Box::pin(self.provisioning_publish(client, peer, batch)).await
            }
            ClientRole::Application => batch
                .iter()
                .map(|_| {
                    Verdict::refused(
                        AckReason::NotAuthorized,
                        "an application may only subscribe to rules/… topics",
                    )
                })
                .collect(),
        }
    }

    fn connected(&self, client: &MqttDevice) {
        let ClientRole::Device(dialect) = client.role else {
            return;
        };
        self.hub
            .connected(&client.ctx, &format!("mqtt {}", client.version.as_str()));
        self.hub.session_opened(&client.ctx, &client.client_id);
        if let Some(sink) = self.device_sink(client, dialect) {
            *lock(&client.link) = Some(self.hub.link(client.ctx.device, sink));
        }
    }

    fn subscribed(&self, client: &MqttDevice, filters: &[Arc<str>]) {
        if !client.is_device() {
            return;
        }
        // Queued commands go out once the device listens for them.
        let sys = alink::sys_prefix(&client.ctx);
        let listens = filters
            .iter()
            .any(|f| &**f == thingsboard::RPC_REQUESTS || f.starts_with(&sys));
        if listens {
            let hub = self.hub.clone();
            let ctx = client.ctx.clone();
            tokio::spawn(async move { hub.deliver_queued(ctx.tenant, ctx.device).await });
        }
    }

    fn disconnected(&self, client: &MqttDevice, cause: DisconnectCause) {
        if !client.is_device() {
            return;
        }
        lock(&client.link).take();
        if let Some(gateway) = client.gateway.get() {
            for (_, sub) in lock(&gateway.subs).drain() {
                self.hub.disconnected(&sub.ctx, "gateway_disconnected");
            }
        }
        self.hub.disconnected(&client.ctx, cause.as_str());
    }
}
