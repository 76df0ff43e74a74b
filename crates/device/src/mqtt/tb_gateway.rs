//! ThingsBoard's gateway API over MQTT: one connection carries many sub-devices
//! (`v1/gateway/connect|disconnect|telemetry|attributes|attributes/request|rpc`).
//!
//! A gateway may speak only for devices of its own tenant whose product is reached through
//! a gateway (protocol `gateway`, `modbus_tcp`, `modbus_rtu` or `opc_ua`): it can never
//! impersonate a device that connects by itself. A sub-device it names that does not exist
//! is created when the message gives its type (`"type"`: product key or name) — as
//! ThingsBoard does; a type that names no product gets a product made for it where the
//! tenant allows it (see [`product_for_type`]); otherwise the message is refused with a
//! reason. Later messages, which name no type, use the one last connected with.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ironloom_core::auth::random_token;
use ironloom_core::command::CommandKind;
use ironloom_core::device::Reported;
use ironloom_core::entity::{DeviceCredentials, NewDevice, NewProduct, Product, ProductFilter};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::TenantId;
use ironloom_core::industry::{DeviceCategory, Protocol};
use ironloom_core::repo::MetaStore;
use ironloom_core::validate;
use ironloom_mqtt::{AckReason, InboundPublish, QoS, Verdict};
use serde_json::{Value as Json, json};

use super::{MqttDevice, MqttDevices, SubDevice, lock, message};
use crate::hub::downlink::{Delivery, Downlink, Sink};
use crate::hub::{DeviceCtx, IngestOutcome, Rejection, ctx_of, device_actor};
use crate::payload;
use crate::tb;

/// Most sub-devices one gateway connection may speak for at once.
pub const MAX_SUB_DEVICES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayTopic {
    Connect,
    Disconnect,
    Telemetry,
    Attributes,
    AttributeRequest,
    Rpc,
}

impl GatewayTopic {
    pub fn parse(topic: &str) -> Option<GatewayTopic> {
        Some(match topic {
            "v1/gateway/connect" => GatewayTopic::Connect,
            "v1/gateway/disconnect" => GatewayTopic::Disconnect,
            "v1/gateway/telemetry" => GatewayTopic::Telemetry,
            "v1/gateway/attributes" => GatewayTopic::Attributes,
            "v1/gateway/attributes/request" => GatewayTopic::AttributeRequest,
            "v1/gateway/rpc" => GatewayTopic::Rpc,
            _ => return None,
        })
    }
}

/// Protocols of products whose devices a gateway may speak for.
fn behind_gateway(p: Protocol) -> bool {
    matches!(
        p,
        Protocol::Gateway | Protocol::ModbusTcp | Protocol::ModbusRtu | Protocol::OpcUa
    )
}

fn refusal(text: String) -> Rejection {
    Rejection::Payload(text)
}

/// The downlink of a sub-device: through its gateway's connection. Parameter writes go as
/// ThingsBoard's IoT gateway takes them, shared-attribute updates (which it never answers:
/// the command succeeds once delivered), unless the gateway announced itself as Ironloom's
/// own, which takes them as `setProperties` RPCs and answers with per-property results.
fn sub_sink(devices: &MqttDevices, gateway: &MqttDevice, name: &str) -> Option<Sink> {
    let server = devices.server()?.clone();
    let ns = gateway.namespace.clone();
    let name = name.to_owned();
    let agent = gateway.gateway().ironloom_agent.clone();
    Some(Arc::new(move |d: &Downlink| {
        let (topic, body, delivery) = match d {
            Downlink::Command { command, .. }
                if command.kind == CommandKind::SetProperties && !agent.load(Ordering::Relaxed) =>
            {
                (
                    "v1/gateway/attributes",
                    json!({"device": name, "data": command.params}),
                    Delivery::SentUnanswered,
                )
            }
            Downlink::Command {
                command,
                request_id,
            } => (
                "v1/gateway/rpc",
                json!({"device": name, "data": {
                    "id": request_id,
                    "method": tb::rpc_method(command),
                    "params": command.params,
                }}),
                Delivery::Sent,
            ),
            Downlink::Attributes { set, deleted } => (
                "v1/gateway/attributes",
                json!({"device": name, "data": tb::attributes_update(set, deleted)}),
                Delivery::Sent,
            ),
        };
        let report = server.publish(
            &ns,
            message(
                topic.into(),
                body.to_string().into_bytes(),
                QoS::AtLeastOnce,
            ),
        );
        if report.online > 0 {
            delivery
        } else {
            Delivery::NotTaken
        }
    }))
}

/// How long a sub-device that could not be connected is refused from memory, without
/// asking the store again (a gateway sends its data every poll).
const RETRY_REFUSED: Duration = Duration::from_secs(5);

/// A sub-device a gateway named but that could not be connected.
#[derive(Debug)]
pub(crate) struct Unconnected {
    /// The type it was connected with (ThingsBoard's `type`), for later messages, which
    /// name none.
    kind: Option<String>,
    refused: Rejection,
    at: Instant,
}

/// The context of a sub-device, connecting it (and creating it, given its type) if
/// needed.
async fn sub_device(
    devices: &MqttDevices,
    gateway: &MqttDevice,
    name: &str,
    kind: Option<&str>,
) -> Result<DeviceCtx, Rejection> {
    if let Some(s) = lock(&gateway.gateway().subs).get(name) {
        return Ok(s.ctx.clone());
    }
    let remembered = {
        let unconnected = lock(&gateway.gateway().unconnected);
        match unconnected.get(name) {
            Some(u) if kind.is_none() && u.at.elapsed() < RETRY_REFUSED => {
                return Err(u.refused.clone());
            }
            Some(u) => u.kind.clone(),
            None => None,
        }
    };
    let kind = kind.map(str::to_owned).or(remembered);
    match connect_sub_device(devices, gateway, name, kind.as_deref()).await {
        Ok(ctx) => {
            lock(&gateway.gateway().unconnected).remove(name);
            Ok(ctx)
        }
        Err(refused) => {
            let mut unconnected = lock(&gateway.gateway().unconnected);
            if unconnected.len() < MAX_SUB_DEVICES || unconnected.contains_key(name) {
                unconnected.insert(
                    name.to_owned(),
                    Unconnected {
                        kind,
                        refused: refused.clone(),
                        at: Instant::now(),
                    },
                );
            }
            Err(refused)
        }
    }
}

/// A product by key, else by name.
async fn find_product(
    meta: &Arc<dyn MetaStore>,
    tenant: TenantId,
    hint: &str,
) -> Result<Option<Product>, ironloom_core::error::Error> {
    if let Some(p) = meta.find_product_by_key(tenant, hint).await? {
        return Ok(Some(p));
    }
    let list = meta
        .list_products(
            tenant,
            &ProductFilter {
                q: Some(hint.to_owned()),
                ..Default::default()
            },
            &Default::default(),
        )
        .await?;
    Ok(list.items.into_iter().find(|p| p.name == hint))
}

/// The product made for a sub-device type that names none (ThingsBoard's `default`, or a
/// gateway's own types), as ThingsBoard makes a device profile for it: reached through
/// gateways, with an empty thing model (any key accepted), named after the type (and
/// keyed by it, when it is a valid key). Only where the tenant allows it: the gateway's
/// own product lets devices be created (its provisioning has `allow_create`).
async fn product_for_type(
    devices: &MqttDevices,
    gateway: &MqttDevice,
    kind: &str,
) -> Result<Product, Rejection> {
    let meta = devices.hub().meta();
    let tenant = gateway.ctx.tenant;
    let unavailable = |e: ironloom_core::error::Error| refusal(format!("not available: {e}"));
    let allowed = meta
        .get_provisioning(tenant, gateway.ctx.product)
        .await
        .map_err(unavailable)?
        .is_some_and(|p| p.allow_create);
    if !allowed {
        return Err(refusal(format!(
            "no product with key or name {kind:?}: create it, or let gateways of this \
             gateway's product create products for new types (its provisioning with \
             allow_create: PUT /api/v1/products/{}/provisioning)",
            gateway.ctx.product
        )));
    }
    if validate::text("type", kind, validate::MAX_NAME_LEN).is_err() {
        return Err(refusal(format!(
            "type {kind:?} cannot name a product (1 to {} characters of text)",
            validate::MAX_NAME_LEN
        )));
    }
    let product_key = if validate::identifier("product_key", kind, 64).is_ok() {
        kind.to_owned()
    } else {
        format!("pk{}", random_token(14))
    };
    let created = meta
        .create_product(
            &device_actor(&gateway.ctx),
            tenant,
            NewProduct {
                name: kind.to_owned(),
                product_key,
                description: Some(format!(
                    "made for sub-device type {kind:?} by gateway {}",
                    gateway.ctx.name
                )),
                industry: None,
                category: DeviceCategory::Other,
                kind: None,
                protocol: Protocol::Gateway,
                thing_model: Default::default(),
                tm_extensions: Default::default(),
            },
        )
        .await;
    match created {
        Ok(p) => Ok(p),
        // Made by another gateway meanwhile.
        Err(ironloom_core::error::Error::AlreadyExists { .. }) => find_product(meta, tenant, kind)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| refusal(format!("product {kind:?} could not be made"))),
        Err(e) => Err(refusal(format!("product {kind:?} not made: {e}"))),
    }
}

/// Connects a sub-device the gateway does not speak for yet.
async fn connect_sub_device(
    devices: &MqttDevices,
    gateway: &MqttDevice,
    name: &str,
    kind: Option<&str>,
) -> Result<DeviceCtx, Rejection> {
    if name.is_empty() || name.len() > 128 {
        return Err(refusal(
            "a sub-device needs a name of 1 to 128 bytes".into(),
        ));
    }
    if lock(&gateway.gateway().subs).len() >= MAX_SUB_DEVICES {
        return Err(refusal(format!(
            "a gateway may speak for at most {MAX_SUB_DEVICES} devices at once"
        )));
    }
    let hub = devices.hub();
    let meta = hub.meta();
    let tenant = gateway.ctx.tenant;
    let unavailable = |e: ironloom_core::error::Error| refusal(format!("not available: {e}"));
    let device = match meta
        .find_device_by_name(tenant, name)
        .await
        .map_err(unavailable)?
    {
        Some(d) => d,
        None => {
            let Some(kind) = kind else {
                return Err(refusal(format!(
                    "no device {name:?}: connect it with its product in \"type\" to create it"
                )));
            };
            let product = match find_product(meta, tenant, kind)
                .await
                .map_err(unavailable)?
            {
                Some(p) => p,
                None => product_for_type(devices, gateway, kind).await?,
            };
            if !behind_gateway(product.protocol) {
                return Err(refusal(format!(
                    "product {kind:?} is not reached through a gateway (protocol {})",
                    product.protocol.as_str()
                )));
            }
            let created = meta
                .create_device(
                    &device_actor(&gateway.ctx),
                    tenant,
                    NewDevice {
                        product_id: product.id,
                        name: name.to_owned(),
                        label: None,
                        description: Some(format!("created by gateway {}", gateway.ctx.name)),
                        tags: vec![],
                        groups: vec![],
                        attributes: Default::default(),
                        credentials: DeviceCredentials::generate(),
                    },
                )
                .await;
            match created {
                Ok(d) => d,
                // Created by someone else meanwhile.
                Err(ironloom_core::error::Error::AlreadyExists { .. }) => meta
                    .find_device_by_name(tenant, name)
                    .await
                    .map_err(unavailable)?
                    .ok_or_else(|| refusal(format!("device {name:?} could not be created")))?,
                Err(e) => return Err(refusal(format!("device {name:?} not created: {e}"))),
            }
        }
    };
    if device.id == gateway.ctx.device {
        return Err(refusal("a gateway cannot be its own sub-device".into()));
    }
    let product = hub
        .product(tenant, device.product_id)
        .await
        .map_err(unavailable)?;
    if !behind_gateway(product.protocol) {
        return Err(refusal(format!(
            "device {name:?} connects by itself (product protocol {}); a gateway may not speak for it",
            product.protocol.as_str()
        )));
    }
    let ctx = ctx_of(&device, &product.product_key);
    let Some(sink) = sub_sink(devices, gateway, name) else {
        return Err(refusal("the MQTT server is not ready".into()));
    };
    let link = hub.link(ctx.device, sink);
    let fresh = {
        let mut subs = lock(&gateway.gateway().subs);
        if subs.contains_key(name) {
            false
        } else {
            subs.insert(
                name.to_owned(),
                SubDevice {
                    ctx: ctx.clone(),
                    _link: link,
                },
            );
            true
        }
    };
    if fresh {
        hub.connected(&ctx, &format!("gateway {}", gateway.ctx.name));
        let hub = hub.clone();
        let c = ctx.clone();
        tokio::spawn(async move { hub.deliver_queued(c.tenant, c.device).await });
    }
    Ok(ctx)
}

fn device_name(v: &Json) -> Option<&str> {
    v.get("device").and_then(Json::as_str)
}

/// Under the documented rule: accepted if anything was stored, with the first refusal as
/// the reason.
fn ok_or_refused(errors: &[(String, Rejection)], stored: u64) -> Verdict {
    match errors.first() {
        None => Verdict::accepted(),
        Some((name, r)) => {
            let more = if errors.len() > 1 {
                format!(" (and {} more)", errors.len() - 1)
            } else {
                String::new()
            };
            let reason = format!("{name}: {}{more}", r.message(Locale::En));
            if stored > 0 {
                Verdict {
                    ack: AckReason::Success,
                    reason: Some(reason),
                    route: false,
                }
            } else {
                Verdict::refused(AckReason::PayloadFormatInvalid, reason)
            }
        }
    }
}

/// Handles one publish on a gateway topic.
pub(crate) async fn handle(
    devices: &MqttDevices,
    gateway: &MqttDevice,
    topic: GatewayTopic,
    p: &InboundPublish,
) -> Verdict {
    let hub = devices.hub();
    let source = format!("mqtt:{}", p.topic);
    let body = match payload::decode(&p.payload, None) {
        Ok(v) => v,
        Err(e) => {
            let o = hub
                .refuse(&gateway.ctx, &source, Rejection::Payload(e.to_string()))
                .await;
            return refused(&o);
        }
    };
    let mut errors: Vec<(String, Rejection)> = Vec::new();
    let mut stored = 0u64;
    match topic {
        GatewayTopic::Connect => {
            let Some(name) = device_name(&body) else {
                errors.push((String::new(), refusal("\"device\" is missing".into())));
                return log_and_verdict(devices, gateway, &source, errors, stored).await;
            };
            let hint = body.get("type").and_then(Json::as_str);
            if let Err(e) = sub_device(devices, gateway, name, hint).await {
                errors.push((name.to_owned(), e));
            }
        }
        GatewayTopic::Disconnect => {
            if let Some(name) = device_name(&body) {
                lock(&gateway.gateway().unconnected).remove(name);
                let gone = lock(&gateway.gateway().subs).remove(name);
                if let Some(sub) = gone {
                    hub.disconnected(&sub.ctx, "gateway_disconnect");
                }
            }
        }
        GatewayTopic::Telemetry => {
            let Json::Object(per_device) = body else {
                errors.push((
                    String::new(),
                    refusal("telemetry must be an object of devices".into()),
                ));
                return log_and_verdict(devices, gateway, &source, errors, stored).await;
            };
            // Sub-devices resolved and payloads read one by one; then their writes go
            // out together, so the ingest queue merges them into one durable write.
            let mut writes = tokio::task::JoinSet::new();
            for (name, data) in per_device {
                let ctx = match sub_device(devices, gateway, &name, None).await {
                    Ok(c) => c,
                    Err(e) => {
                        errors.push((name, e));
                        continue;
                    }
                };
                let reported: Vec<Reported> = match payload::tb_telemetry(data) {
                    Ok(r) => r,
                    Err(e) => {
                        let o = hub
                            .refuse(&ctx, &source, Rejection::Payload(e.to_string()))
                            .await;
                        errors.extend(o.refused.into_iter().map(|r| (name.clone(), r.reason)));
                        continue;
                    }
                };
                let (hub, source) = (hub.clone(), source.clone());
                writes.spawn(async move { (name, hub.ingest(&ctx, &source, reported).await) });
            }
            let mut failure = None;
            while let Some(done) = writes.join_next().await {
                match done {
                    Ok((name, Ok(o))) => {
                        stored += o.stored;
                        errors.extend(o.refused.into_iter().map(|r| (name.clone(), r.reason)));
                    }
                    Ok((_, Err(e))) => failure = Some(e.to_string()),
                    Err(e) => failure = Some(e.to_string()),
                }
            }
            // Not all durable: no acknowledgement, so the gateway sends it again (what
            // was stored is stored once more, under the same timestamps).
            if let Some(e) = failure {
                return Verdict::refused(AckReason::ImplementationSpecificError, e);
            }
        }
        GatewayTopic::Attributes => {
            let Json::Object(per_device) = body else {
                errors.push((
                    String::new(),
                    refusal("attributes must be an object of devices".into()),
                ));
                return log_and_verdict(devices, gateway, &source, errors, stored).await;
            };
            for (name, data) in per_device {
                let r = match (sub_device(devices, gateway, &name, None).await, data) {
                    (Ok(ctx), Json::Object(values)) => hub.client_attributes(&ctx, values).await,
                    (Ok(_), _) => Err(refusal("attributes must be an object".into())),
                    (Err(e), _) => Err(e),
                };
                if let Err(e) = r {
                    errors.push((name, e));
                }
            }
        }
        GatewayTopic::AttributeRequest => {
            let id = body.get("id").cloned().unwrap_or(Json::Null);
            let name = device_name(&body).unwrap_or("").to_owned();
            let client_scope = body.get("client").and_then(Json::as_bool).unwrap_or(false);
            let keys: Option<Vec<String>> = match (body.get("keys"), body.get("key")) {
                (Some(Json::Array(a)), _) => Some(
                    a.iter()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect(),
                ),
                (_, Some(Json::String(k))) => Some(vec![k.clone()]),
                _ => None,
            };
            let answer = match sub_device(devices, gateway, &name, None).await {
                Ok(ctx) => {
                    let (c, s) = if client_scope {
                        (keys.as_deref(), Some(&[][..]))
                    } else {
                        (Some(&[][..]), keys.as_deref())
                    };
                    match hub.requested_attributes(&ctx, c, s).await {
                        Ok((client_attrs, shared)) => {
                            let values = if client_scope { client_attrs } else { shared };
                            match (body.get("key").and_then(Json::as_str), &values) {
                                (Some(k), Json::Object(o)) if body.get("keys").is_none() => {
                                    json!({"id": id, "device": name, "value": o.get(k)})
                                }
                                _ => json!({"id": id, "device": name, "values": values}),
                            }
                        }
                        Err(e) => json!({"id": id, "device": name, "error": e.message(Locale::En)}),
                    }
                }
                Err(e) => json!({"id": id, "device": name, "error": e.message(Locale::En)}),
            };
            devices.send(
                &gateway.namespace,
                "v1/gateway/attributes/response".into(),
                answer.to_string().into_bytes(),
            );
        }
        GatewayTopic::Rpc => {
            let name = device_name(&body).unwrap_or("").to_owned();
            let rid = body
                .get("id")
                .and_then(|v| match v {
                    Json::Number(n) => n.as_u64(),
                    Json::String(s) => s.parse().ok(),
                    _ => None,
                })
                .and_then(|n| u32::try_from(n).ok());
            let ctx = lock(&gateway.gateway().subs)
                .get(&name)
                .map(|s| s.ctx.clone());
            match (ctx, rid) {
                (Some(ctx), Some(rid)) => {
                    let data = body.get("data").cloned().unwrap_or(Json::Null);
                    if !hub.command_answer(&ctx, rid, tb::rpc_answer(data)).await {
                        return Verdict {
                            ack: AckReason::NoMatchingSubscribers,
                            reason: Some("no command awaits this answer".into()),
                            route: false,
                        };
                    }
                }
                _ => errors.push((
                    name,
                    refusal(
                        "an RPC answer needs a connected \"device\" and a numeric \"id\"".into(),
                    ),
                )),
            }
        }
    }
    log_and_verdict(devices, gateway, &source, errors, stored).await
}

fn refused(o: &IngestOutcome) -> Verdict {
    Verdict::refused(
        AckReason::PayloadFormatInvalid,
        o.summary(Locale::En).unwrap_or_default(),
    )
}

/// Refusals about sub-devices go to the gateway's error log and error topic.
async fn log_and_verdict(
    devices: &MqttDevices,
    gateway: &MqttDevice,
    source: &str,
    errors: Vec<(String, Rejection)>,
    stored: u64,
) -> Verdict {
    if errors.is_empty() {
        return Verdict::accepted();
    }
    let refused: Vec<crate::hub::Refused> = errors
        .iter()
        .map(|(name, r)| crate::hub::Refused {
            key: name.clone(),
            reason: r.clone(),
        })
        .collect();
    devices
        .hub()
        .log_errors(&gateway.ctx, source, &refused)
        .await;
    let body = json!({
        "topic": source.trim_start_matches("mqtt:"),
        "errors": errors.iter().map(|(name, r)| json!({
            "device": name,
            "code": r.code(),
            "message": r.message(Locale::En),
            "message_zh": r.message(Locale::ZhCn),
        })).collect::<Vec<_>>(),
    });
    devices.send(
        &gateway.namespace,
        super::TB_ERRORS.into(),
        body.to_string().into_bytes(),
    );
    ok_or_refused(&errors, stored)
}
