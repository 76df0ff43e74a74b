//! A gateway's driver document: the point tables an `ironloom gateway` runs, stored as
//! the device's shared attribute `gateway_config`, pushed to the gateway at once and
//! applied there without a restart. The document is checked before it is stored; the
//! gateway reports what it applied in its client attribute `gateway_config_status`.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use ironloom_core::command::AttributeScope;
use ironloom_core::driver_table::{CONFIG_ATTRIBUTE, Drivers, STATUS_ATTRIBUTE};
use ironloom_core::error::{Error, FieldErrorKind};
use ironloom_core::ids::DeviceId;
use ironloom_core::ids::TenantId;
use ironloom_core::industry::Protocol;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_config, put_config, delete_config))
}

/// The document in force on the platform and what the gateway last reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayConfigView {
    /// The driver document (`version`, `modbus`: connections with devices and points);
    /// absent when the gateway runs its own file.
    #[schema(value_type = Option<Object>)]
    pub document: Option<Value>,
    /// The gateway's report: `applied`, `version`, and `errors` when it refused.
    #[schema(value_type = Option<Object>)]
    pub status: Option<Value>,
}

pub(crate) async fn gateway_device(
    state: &AppState,
    tenant: TenantId,
    id: DeviceId,
) -> Result<(), Error> {
    let d = state.store.get_device(tenant, id).await?;
    let p = state.store.get_product(tenant, d.product_id).await?;
    if p.protocol != Protocol::Gateway {
        return Err(Error::invalid(
            "id",
            FieldErrorKind::Other {
                en: format!(
                    "device {} is not a gateway (its product's protocol is {})",
                    d.name,
                    p.protocol.as_str()
                ),
                zh: format!(
                    "设备 {} 不是网关（其产品协议为 {}）",
                    d.name,
                    p.protocol.as_str()
                ),
            },
        ));
    }
    Ok(())
}

async fn view(state: &AppState, tenant: TenantId, id: DeviceId) -> ApiResult<GatewayConfigView> {
    let pick = |attrs: Vec<ironloom_core::command::Attribute>, key: &str| {
        attrs.into_iter().find(|a| a.key == key).map(|a| a.value)
    };
    let keys = [CONFIG_ATTRIBUTE.to_owned()];
    let document = pick(
        state
            .store
            .get_attributes(tenant, id, AttributeScope::Shared, Some(&keys))
            .await?,
        CONFIG_ATTRIBUTE,
    );
    let keys = [STATUS_ATTRIBUTE.to_owned()];
    let status = pick(
        state
            .store
            .get_attributes(tenant, id, AttributeScope::Client, Some(&keys))
            .await?,
        STATUS_ATTRIBUTE,
    );
    Ok(GatewayConfigView { document, status })
}

/// A gateway's driver document and the gateway's report on it.
#[utoipa::path(get, path = "/api/v1/devices/{id}/gateway-config", tag = "devices",
    params(("id" = DeviceId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = GatewayConfigView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_config(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<GatewayConfigView>> {
    let tenant = p.tenant()?;
    gateway_device(&state, tenant, id).await?;
    Ok(Json(view(&state, tenant, id).await?))
}

/// Replaces a gateway's driver document; the gateway applies it without a restart. The
/// document is checked first: every problem is named with its path (422).
#[utoipa::path(put, path = "/api/v1/devices/{id}/gateway-config", tag = "devices",
    params(("id" = DeviceId, Path)), request_body = Object,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = GatewayConfigView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn put_config(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<GatewayConfigView>> {
    let tenant = p.tenant()?;
    gateway_device(&state, tenant, id).await?;
    let mut doc: Drivers = serde_json::from_value(body).map_err(|e| {
        Error::invalid(
            "body",
            FieldErrorKind::Other {
                en: format!("not a gateway driver document: {e}"),
                zh: format!("不是有效的网关驱动配置：{e}"),
            },
        )
    })?;
    let problems = doc.check();
    if let Some(first) = problems.first() {
        let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(crate::error::document_refused(&first.path, &all, "网关配置").into());
    }
    // Each stored document gets the next version, which the gateway reports back.
    let current = view(&state, tenant, id).await?;
    let last = current
        .document
        .as_ref()
        .and_then(|d| d.get("version"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    doc.version = Some(last + 1);
    let link = super::device_link::link(&state)?;
    let mut set = serde_json::Map::new();
    set.insert(
        CONFIG_ATTRIBUTE.into(),
        serde_json::to_value(&doc).unwrap_or(Value::Null),
    );
    link.set_shared_attributes(&p.actor(), tenant, id, set)
        .await?;
    Ok(Json(view(&state, tenant, id).await?))
}

/// Removes the pushed document: the gateway goes back to the drivers of its own file.
#[utoipa::path(delete, path = "/api/v1/devices/{id}/gateway-config", tag = "devices",
    params(("id" = DeviceId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = GatewayConfigView), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn delete_config(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<GatewayConfigView>> {
    let tenant = p.tenant()?;
    gateway_device(&state, tenant, id).await?;
    let link = super::device_link::link(&state)?;
    link.delete_shared_attributes(&p.actor(), tenant, id, vec![CONFIG_ATTRIBUTE.into()])
        .await?;
    Ok(Json(view(&state, tenant, id).await?))
}
