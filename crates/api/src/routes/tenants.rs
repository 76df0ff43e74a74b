//! Tenants: the platform administrator manages them; everybody else sees their own.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::{double_option, page_request};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ironloom_core::entity::{NewTenant, Page, Resource, Tenant, TenantFilter, TenantPatch};
use ironloom_core::ids::TenantId;
use ironloom_core::peers::Change;
use ironloom_core::repo::Scope;
use ironloom_core::validate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_tenants, create_tenant))
        .routes(routes!(get_tenant, update_tenant, delete_tenant))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TenantQuery {
    /// Substring of code or name.
    q: Option<String>,
    enabled: Option<bool>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `name`, `code`, `created_at`, `updated_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List tenants (the platform administrator sees all, others their own).
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants", params(TenantQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Tenant>), (status = 400, body = ErrorBody)))]
async fn list_tenants(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<TenantQuery>,
) -> ApiResult<Json<Page<Tenant>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), None)?;
    match p.scope() {
        Scope::All => {
            let filter = TenantFilter {
                q: q.q,
                enabled: q.enabled,
            };
            Ok(Json(state.store.list_tenants(&filter, &page).await?))
        }
        Scope::Tenant(t) => {
            let tenant = state.store.get_tenant(t).await?;
            let items = if page.page == 1 { vec![tenant] } else { vec![] };
            Ok(Json(Page {
                items,
                total: 1,
                page: page.page,
                page_size: page.page_size,
            }))
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantInput {
    /// Short unique code, used at log-in: letters, digits, `_ - . : @`.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Most devices the tenant may register.
    #[serde(default)]
    pub max_devices: Option<u64>,
    /// Most model and algorithm calls a calendar month (UTC).
    #[serde(default)]
    pub max_model_calls: Option<u64>,
}

/// Create a tenant.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = TenantInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Tenant), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_tenant(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<TenantInput>,
) -> ApiResult<(StatusCode, Json<Tenant>)> {
    validate::identifier("code", &input.code, 64)?;
    validate::text("name", &input.name, validate::MAX_NAME_LEN)?;
    if let Some(d) = &input.description {
        validate::free_text("description", d, validate::MAX_DESCRIPTION_LEN)?;
    }
    let tenant = state
        .store
        .create_tenant(
            &p.actor(),
            NewTenant {
                code: input.code,
                name: input.name,
                description: input.description,
                max_devices: input.max_devices,
                max_model_calls: input.max_model_calls,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(tenant)))
}

fn visible(p: &Principal, id: TenantId) -> ApiResult<()> {
    if p.scope().allows(Some(id)) {
        Ok(())
    } else {
        Err(ApiError::not_found(Resource::Tenant))
    }
}

/// Get a tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "tenants", params(("id" = TenantId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Tenant), (status = 404, body = ErrorBody)))]
async fn get_tenant(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<TenantId>,
) -> ApiResult<Json<Tenant>> {
    visible(&p, id)?;
    Ok(Json(state.store.get_tenant(id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatchInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u64>)]
    pub max_devices: Option<Option<u64>>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u64>)]
    pub max_model_calls: Option<Option<u64>>,
}

/// Change a tenant; disabling it stops every log-in and API key of its users.
#[utoipa::path(patch, path = "/api/v1/tenants/{id}", tag = "tenants", params(("id" = TenantId, Path)),
    request_body = TenantPatchInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Tenant), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_tenant(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<TenantId>,
    ApiJson(input): ApiJson<TenantPatchInput>,
) -> ApiResult<Json<Tenant>> {
    visible(&p, id)?;
    if let Some(n) = &input.name {
        validate::text("name", n, validate::MAX_NAME_LEN)?;
    }
    if let Some(Some(d)) = &input.description {
        validate::free_text("description", d, validate::MAX_DESCRIPTION_LEN)?;
    }
    let patch = TenantPatch {
        name: input.name,
        description: input.description,
        enabled: input.enabled,
        max_devices: input.max_devices,
        max_model_calls: input.max_model_calls,
    };
    let updated = state.store.update_tenant(&p.actor(), id, patch).await?;
    // A changed quota applies to the next call (on every node).
    state.meter.forget_limit(id);
    state.changed(Change::Tenant { tenant: id });
    Ok(Json(updated))
}

/// Delete a tenant with all its users, keys, products, devices and groups.
#[utoipa::path(delete, path = "/api/v1/tenants/{id}", tag = "tenants", params(("id" = TenantId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_tenant(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<TenantId>,
) -> ApiResult<StatusCode> {
    visible(&p, id)?;
    state.store.delete_tenant(&p.actor(), id).await?;
    // Its identifiers went with it.
    state.resolver.forget_all();
    state.meter.forget_limit(id);
    state.changed(Change::Tenant { tenant: id });
    Ok(StatusCode::NO_CONTENT)
}
