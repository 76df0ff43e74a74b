//! ThingsBoard device provisioning: a device that knows its product's provisioning key and
//! secret obtains its own access token — over MQTT (user name `provision`, publish
//! `/provision/request`, answer on `/provision/response`), HTTP or CoAP
//! (`POST /api/v1/provision`).
//!
//! Request: `{"deviceName": "pump-7", "provisionDeviceKey": "…", "provisionDeviceSecret":
//! "…"}`, optionally `"credentialsType": "ACCESS_TOKEN", "token": "…"` to choose the
//! token. Answer: `{"status": "SUCCESS", "credentialsType": "ACCESS_TOKEN",
//! "credentialsValue": "<token>"}`, or `{"status": "NOT_FOUND" | "FAILURE", "errorMsg": …}`.
//! Wrong keys and secrets count as failed log-ins of the address (and ban it like them).

use std::net::IpAddr;

use ironloom_core::entity::{
    Actor, ActorKind, AttributesPatch, DeviceCredentials, NewDevice, ProductProvisioning,
};
use ironloom_core::ids::TenantId;
use serde_json::{Value as Json, json};

use super::DeviceHub;
use crate::auth::constant_time_eq;

/// Server attribute set on a pre-registered device once it was provisioned.
pub const PROVISIONED_ATTRIBUTE: &str = "provisioned";

fn not_found(msg: &str) -> Json {
    json!({"status": "NOT_FOUND", "errorMsg": msg})
}

fn failure(msg: &str) -> Json {
    json!({"status": "FAILURE", "errorMsg": msg})
}

fn success(token: &str) -> Json {
    json!({"status": "SUCCESS", "credentialsType": "ACCESS_TOKEN", "credentialsValue": token})
}

fn field<'a>(v: &'a Json, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Json::as_str).filter(|s| !s.is_empty())
}

fn valid_name(s: &str) -> bool {
    s.len() <= 128
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '@'))
}

fn valid_token(s: &str) -> bool {
    (8..=128).contains(&s.len()) && s.chars().all(|c| c.is_ascii_graphic())
}

/// Handles one provisioning request from `peer`.
pub async fn provision(hub: &DeviceHub, req: &Json, peer: IpAddr) -> Json {
    let (Some(name), Some(key), Some(secret)) = (
        field(req, "deviceName"),
        field(req, "provisionDeviceKey"),
        field(req, "provisionDeviceSecret"),
    ) else {
        return failure("deviceName, provisionDeviceKey and provisionDeviceSecret are required");
    };
    if let Some(t) = field(req, "credentialsType")
        && t != "ACCESS_TOKEN"
    {
        return failure("only credentialsType ACCESS_TOKEN is supported");
    }
    let claimed = format!("provision:{key}");
    if hub.guard.banned(peer, Some(&claimed)) {
        return failure("too many failed attempts; try again later");
    }
    let found = match hub.meta().find_provisioning(key).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "provisioning could not read the store");
            return failure("the platform is unavailable; try again");
        }
    };
    let Some((tenant, p)) =
        found.filter(|(_, p)| constant_time_eq(p.provision_secret.as_bytes(), secret.as_bytes()))
    else {
        hub.guard.failed(peer, Some(&claimed));
        metrics::counter!("ironloom_device_provisioning_total", "outcome" => "refused")
            .increment(1);
        return not_found("Provision data was not found!");
    };
    if !valid_name(name) {
        return failure("deviceName must be at most 128 letters, digits or _ - . : @");
    }
    let token = field(req, "token");
    if token.is_some_and(|t| !valid_token(t)) {
        return failure("token must be 8 to 128 printable characters without spaces");
    }
    let r = if p.allow_create {
        create(hub, tenant, &p, name, token).await
    } else {
        claim(hub, tenant, &p, name).await
    };
    metrics::counter!(
        "ironloom_device_provisioning_total",
        "outcome" => if r["status"] == "SUCCESS" { "provisioned" } else { "failed" }
    )
    .increment(1);
    r
}

fn actor(name: &str, tenant: TenantId) -> Actor {
    Actor {
        kind: ActorKind::Device,
        id: None,
        name: format!("provisioning {name}"),
        tenant_id: Some(tenant),
        ip: None,
    }
}

/// A new device of the product.
async fn create(
    hub: &DeviceHub,
    tenant: TenantId,
    p: &ProductProvisioning,
    name: &str,
    token: Option<&str>,
) -> Json {
    let meta = hub.meta();
    match meta.find_device_by_name(tenant, name).await {
        Ok(None) => {}
        Ok(Some(_)) => return failure("a device of that name exists already"),
        Err(_) => return failure("the platform is unavailable; try again"),
    }
    let mut credentials = DeviceCredentials::generate();
    if let Some(t) = token {
        credentials.access_token = t.to_owned();
    }
    let created = meta
        .create_device(
            &actor(name, tenant),
            tenant,
            NewDevice {
                product_id: p.product_id,
                name: name.to_owned(),
                label: None,
                description: Some("created by provisioning".into()),
                tags: vec![],
                groups: vec![],
                attributes: Default::default(),
                credentials: credentials.clone(),
            },
        )
        .await;
    match created {
        Ok(_) => success(&credentials.access_token),
        Err(ironloom_core::error::Error::AlreadyExists {
            field: "access_token",
            ..
        }) => failure("that token is taken; choose another or let the platform choose"),
        Err(ironloom_core::error::Error::AlreadyExists { .. }) => {
            failure("a device of that name exists already")
        }
        Err(ironloom_core::error::Error::QuotaExceeded { .. }) => {
            failure("the tenant's device quota is reached")
        }
        Err(e) => {
            tracing::warn!(error = %e, "provisioning could not create the device");
            failure("the device could not be created")
        }
    }
}

/// A device registered beforehand gets its credentials, once.
async fn claim(hub: &DeviceHub, tenant: TenantId, p: &ProductProvisioning, name: &str) -> Json {
    // Check and mark under one lock: of simultaneous claims only the first succeeds.
    // (Within this node; nodes sharing a PostgreSQL store each serialise their own.)
    let _claiming = hub.provision_claims.lock().await;
    let meta = hub.meta();
    let device = match meta.find_device_by_name(tenant, name).await {
        Ok(Some(d)) if d.product_id == p.product_id => d,
        Ok(_) => return not_found("no device of that name is waiting to be provisioned"),
        Err(_) => return failure("the platform is unavailable; try again"),
    };
    if device.attributes.get(PROVISIONED_ATTRIBUTE) == Some(&Json::Bool(true)) {
        return failure("the device was provisioned already");
    }
    let creds = match meta.get_device_credentials(tenant, device.id).await {
        Ok(c) => c,
        Err(_) => return failure("the platform is unavailable; try again"),
    };
    let mut set = serde_json::Map::new();
    set.insert(PROVISIONED_ATTRIBUTE.into(), Json::Bool(true));
    if meta
        .update_device_attributes(
            &actor(name, tenant),
            tenant,
            device.id,
            AttributesPatch {
                set,
                remove: vec![],
            },
        )
        .await
        .is_err()
    {
        return failure("the platform is unavailable; try again");
    }
    success(&creds.access_token)
}
