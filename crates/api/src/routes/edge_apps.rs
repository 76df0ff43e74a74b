//! Apps at the edge: an installation with `edge: {"gateway": …}` runs on that gateway
//! (`ironloom gateway`) instead of the platform. After every change of such an
//! installation (install, update, enable, disable, upgrade, rollback, uninstall) the
//! platform rebuilds the gateway's apps document ([`EdgeApps`]) and pushes it as the
//! gateway's shared attribute `gateway_apps`, the packages beside it as base64 parts
//! (`gateway_app_part_{digest}_{n}`), the way the driver document is pushed
//! (`gateway_config.rs`). The gateway reports what it runs in its client attribute
//! `gateway_apps_status`, shown with each installation and by
//! `GET /api/v1/devices/{id}/gateway-apps`.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use base64::Engine;
use ironloom_core::app_install::{AppInstallation, InstallationSpec, with_defaults};
use ironloom_core::auth::Permission;
use ironloom_core::command::AttributeScope;
use ironloom_core::edge_app::{
    APPS_ATTRIBUTE, APPS_STATUS_ATTRIBUTE, EdgeApps, EdgeInstallation, EdgeTarget,
    MAX_EDGE_INSTALLATIONS, MAX_EDGE_PACKAGE_BYTES, MAX_EDGE_TOTAL_BYTES, PART_CHARS, PART_PREFIX,
    part_key, parts_for,
};
use ironloom_core::entity::{Actor, Device};
use ironloom_core::error::{Error, FieldErrorKind};
use ironloom_core::ids::{DeviceId, TenantId};
use ironloom_core::repo::MetaStore;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_gateway_apps))
}

fn invalid(en: String, zh: String) -> Error {
    Error::invalid("edge.gateway", FieldErrorKind::Other { en, zh })
}

/// The gateway device named (or identified) in `target`, if it is one of the tenant's
/// gateways; any other tenant's device is simply not found.
async fn gateway(state: &AppState, tenant: TenantId, target: &str) -> Result<Device, Error> {
    let by_id = match target.parse::<DeviceId>() {
        Ok(id) => match state.store.get_device(tenant, id).await {
            Ok(d) => Some(d),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        Err(_) => None,
    };
    let device = match by_id {
        Some(d) => d,
        None => state
            .store
            .find_device_by_name(tenant, target)
            .await?
            .ok_or_else(|| {
                invalid(
                    format!("no gateway device {target} in this tenant"),
                    format!("本租户没有网关设备 {target}"),
                )
            })?,
    };
    super::gateway_config::gateway_device(state, tenant, device.id).await?;
    Ok(device)
}

/// Checks where an installation is to run and stores the gateway by name: the installer
/// must be allowed to configure devices (`device:write`), the gateway must be one of the
/// tenant's, and the package small enough for a gateway.
pub(crate) async fn resolve(
    state: &AppState,
    p: &Principal,
    tenant: TenantId,
    spec: &mut InstallationSpec,
) -> Result<(), Error> {
    let Some(target) = spec.edge.as_mut() else {
        return Ok(());
    };
    if !p.can(Permission::DeviceWrite) {
        return Err(Error::Forbidden(Some(Permission::DeviceWrite)));
    }
    let device = gateway(state, tenant, &target.gateway).await?;
    target.gateway = device.name;
    let info = state
        .store
        .get_app_package_info(tenant, &spec.app_id, &spec.version)
        .await?;
    if info.size > MAX_EDGE_PACKAGE_BYTES {
        return Err(invalid(
            format!(
                "the package {} {} has {} bytes; a gateway takes packages of at most {MAX_EDGE_PACKAGE_BYTES} bytes",
                info.app_id, info.version, info.size
            ),
            format!(
                "应用包 {} {} 有 {} 字节；网关只接受不超过 {MAX_EDGE_PACKAGE_BYTES} 字节的应用包",
                info.app_id, info.version, info.size
            ),
        ));
    }
    if !spec.enabled {
        return Ok(());
    }
    // What the gateway runs besides: the whole must fit one gateway before it is stored.
    let gateway = spec
        .edge
        .as_ref()
        .map(|e| e.gateway.as_str())
        .unwrap_or_default();
    let mut count = 1;
    let mut digests = HashMap::from([(info.digest.clone(), info.size)]);
    for other in state.store.list_installations(tenant).await? {
        let there = other
            .spec
            .edge
            .as_ref()
            .is_some_and(|e| e.gateway == gateway);
        if !there || !other.spec.enabled || other.spec.name == spec.name {
            continue;
        }
        count += 1;
        let i = state
            .store
            .get_app_package_info(tenant, &other.spec.app_id, &other.spec.version)
            .await?;
        digests.insert(i.digest, i.size);
    }
    let total: u64 = digests.values().sum();
    if count > MAX_EDGE_INSTALLATIONS || total > MAX_EDGE_TOTAL_BYTES {
        return Err(invalid(
            format!(
                "the gateway {gateway} would run {count} installations with {total} bytes of packages; one gateway runs at most {MAX_EDGE_INSTALLATIONS} with {MAX_EDGE_TOTAL_BYTES} bytes"
            ),
            format!(
                "网关 {gateway} 将运行 {count} 个应用、应用包共 {total} 字节；一台网关最多运行 {MAX_EDGE_INSTALLATIONS} 个、共 {MAX_EDGE_TOTAL_BYTES} 字节"
            ),
        ));
    }
    Ok(())
}

/// The gateways whose apps document an installation change touches (before and after).
pub(crate) fn touched(
    before: Option<&InstallationSpec>,
    after: Option<&InstallationSpec>,
) -> Vec<String> {
    let mut out = BTreeSet::new();
    for s in [before, after].into_iter().flatten() {
        if let Some(EdgeTarget { gateway }) = &s.edge {
            out.insert(gateway.clone());
        }
    }
    out.into_iter().collect()
}

/// Rebuilds and pushes the apps document of each gateway in `gateways`.
pub(crate) async fn push_all(
    state: &AppState,
    actor: &Actor,
    tenant: TenantId,
    gateways: &[String],
) -> Result<(), Error> {
    for g in gateways {
        if let Some(device) = state.store.find_device_by_name(tenant, g).await? {
            push(state, actor, tenant, &device).await?;
        }
    }
    Ok(())
}

fn shared_keys(attrs: &[ironloom_core::command::Attribute]) -> BTreeSet<String> {
    attrs.iter().map(|a| a.key.clone()).collect()
}

/// What to push to a gateway: the package parts it lacks, its apps document, and the
/// parts no installation uses any more.
#[derive(Debug)]
pub struct GatewayAppsPush {
    pub parts: Vec<(String, Value)>,
    pub document: Value,
    pub stale: Vec<String>,
}

/// Builds the gateway's document from the tenant's enabled installations deployed to it,
/// with the next version, and the package parts to push beside it.
pub async fn plan(
    store: &dyn MetaStore,
    tenant: TenantId,
    device: &Device,
) -> Result<GatewayAppsPush, Error> {
    let mut doc = EdgeApps::default();
    let mut packages: HashMap<String, (String, String)> = HashMap::new();
    for i in store.list_installations(tenant).await? {
        let on_this = i
            .spec
            .edge
            .as_ref()
            .is_some_and(|e| e.gateway == device.name);
        if !on_this || !i.spec.enabled {
            continue;
        }
        let info = store
            .get_app_package_info(tenant, &i.spec.app_id, &i.spec.version)
            .await?;
        packages.insert(
            info.digest.clone(),
            (i.spec.app_id.clone(), i.spec.version.clone()),
        );
        doc.installations.push(EdgeInstallation {
            id: i.id.to_string(),
            name: i.spec.name.clone(),
            app_id: i.spec.app_id.clone(),
            version: i.spec.version.clone(),
            digest: info.digest.clone(),
            size: info.size,
            parts: parts_for(info.size),
            config: with_defaults(&i.spec.config, &info.manifest.config_schema),
            grant: i.spec.grant.clone(),
            products: i.spec.products.clone(),
            triggers: info.manifest.triggers.clone(),
        });
    }
    let problems = doc.check();
    if !problems.is_empty() {
        let more = if doc.installations.len() > MAX_EDGE_INSTALLATIONS {
            "已超过网关可运行的应用数量"
        } else {
            "网关无法容纳这些应用包"
        };
        return Err(invalid(
            problems.join("; "),
            format!("{more}：{}", problems.join("; ")),
        ));
    }
    let current = store
        .get_attributes(tenant, device.id, AttributeScope::Shared, None)
        .await?;
    let have = shared_keys(&current);
    let last = current
        .iter()
        .find(|a| a.key == APPS_ATTRIBUTE)
        .and_then(|a| a.value.get("version"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    doc.version = last + 1;
    let mut wanted = BTreeSet::new();
    let mut parts = Vec::new();
    for inst in &doc.installations {
        for n in 0..inst.parts {
            wanted.insert(part_key(&inst.digest, n));
        }
        if (0..inst.parts).all(|n| have.contains(&part_key(&inst.digest, n))) {
            continue;
        }
        let Some((app, version)) = packages.remove(&inst.digest) else {
            continue;
        };
        let (_, bytes) = store.get_app_package(tenant, &app, &version).await?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        for (n, chunk) in b64.as_bytes().chunks(PART_CHARS).enumerate() {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            parts.push((
                part_key(&inst.digest, n),
                Value::String(String::from_utf8_lossy(chunk).into_owned()),
            ));
        }
    }
    let stale = have
        .into_iter()
        .filter(|k| k.starts_with(PART_PREFIX) && !wanted.contains(k))
        .collect();
    Ok(GatewayAppsPush {
        parts,
        document: serde_json::to_value(&doc).unwrap_or(Value::Null),
        stale,
    })
}

/// Pushes the parts the gateway lacks (one attribute each, so no push grows large), then
/// the document, then removes parts no longer used.
async fn push(
    state: &AppState,
    actor: &Actor,
    tenant: TenantId,
    device: &Device,
) -> Result<(), Error> {
    let plan = plan(state.store.as_ref(), tenant, device).await?;
    let link = super::device_link::link(state)
        .map_err(|_| Error::Overloaded("device connectivity is not running on this node"))?;
    for (key, value) in plan.parts {
        let mut set = serde_json::Map::new();
        set.insert(key, value);
        link.set_shared_attributes(actor, tenant, device.id, set)
            .await?;
    }
    let mut set = serde_json::Map::new();
    set.insert(APPS_ATTRIBUTE.into(), plan.document);
    link.set_shared_attributes(actor, tenant, device.id, set)
        .await?;
    if !plan.stale.is_empty() {
        link.delete_shared_attributes(actor, tenant, device.id, plan.stale)
            .await?;
    }
    Ok(())
}

/// What the gateway last reported, keyed by the gateway's name.
async fn status_of(state: &AppState, tenant: TenantId, gateway: &str) -> Option<Value> {
    let device = state
        .store
        .find_device_by_name(tenant, gateway)
        .await
        .ok()??;
    let keys = [APPS_STATUS_ATTRIBUTE.to_owned()];
    state
        .store
        .get_attributes(tenant, device.id, AttributeScope::Client, Some(&keys))
        .await
        .ok()?
        .into_iter()
        .find(|a| a.key == APPS_STATUS_ATTRIBUTE)
        .map(|a| a.value)
}

/// The gateway's report on each of these installations that runs at the edge:
/// `{"gateway", "reported": {…the gateway's entry…} | null}`.
pub(crate) async fn edge_status(
    state: &AppState,
    tenant: TenantId,
    installations: &[AppInstallation],
) -> HashMap<String, Value> {
    let mut reports: HashMap<String, Option<Value>> = HashMap::new();
    let mut out = HashMap::new();
    for i in installations {
        let Some(EdgeTarget { gateway }) = &i.spec.edge else {
            continue;
        };
        if !reports.contains_key(gateway) {
            let s = status_of(state, tenant, gateway).await;
            reports.insert(gateway.clone(), s);
        }
        let id = i.id.to_string();
        let reported = reports
            .get(gateway)
            .and_then(Option::as_ref)
            .and_then(|s| s.get("installations"))
            .and_then(Value::as_array)
            .and_then(|l| l.iter().find(|e| e["id"] == id.as_str()))
            .cloned();
        out.insert(
            id,
            serde_json::json!({"gateway": gateway, "reported": reported}),
        );
    }
    out
}

/// The apps document in force for a gateway (without the package parts) and its report.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayAppsView {
    /// `{"version", "installations": [{"id", "name", "app_id", "version", "digest",
    /// "size", "parts", "config", "grant", "products", "triggers"}…]}`; absent when no
    /// app was ever deployed to it.
    #[schema(value_type = Option<Object>)]
    pub document: Option<Value>,
    /// The gateway's report: `applied`, `version`, `installations` (each with `running`,
    /// `invocations`, `errors`, `last_error`), `errors` when it refused.
    #[schema(value_type = Option<Object>)]
    pub status: Option<Value>,
}

/// The apps a gateway runs: the document the platform pushed and the gateway's report.
#[utoipa::path(get, path = "/api/v1/devices/{id}/gateway-apps", tag = "devices",
    params(("id" = DeviceId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = GatewayAppsView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_gateway_apps(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<GatewayAppsView>> {
    let tenant = p.tenant()?;
    super::gateway_config::gateway_device(&state, tenant, id).await?;
    let keys = [APPS_ATTRIBUTE.to_owned()];
    let document = state
        .store
        .get_attributes(tenant, id, AttributeScope::Shared, Some(&keys))
        .await?
        .into_iter()
        .find(|a| a.key == APPS_ATTRIBUTE)
        .map(|a| a.value);
    let device = state.store.get_device(tenant, id).await?;
    let status = status_of(&state, tenant, &device.name).await;
    Ok(Json(GatewayAppsView { document, status }))
}
