//! Device groups.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::{double_option, page_request};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ironloom_core::entity::{DeviceGroup, DeviceGroupPatch, GroupFilter, NewDeviceGroup, Page};
use ironloom_core::ids::GroupId;
use ironloom_core::validate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_groups, create_group)).routes(routes!(
        get_group,
        update_group,
        delete_group
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GroupQuery {
    q: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `name`, `created_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List device groups.
#[utoipa::path(get, path = "/api/v1/device-groups", tag = "device-groups", params(GroupQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<DeviceGroup>)))]
async fn list_groups(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<GroupQuery>,
) -> ApiResult<Json<Page<DeviceGroup>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), None)?;
    Ok(Json(
        state
            .store
            .list_groups(p.tenant()?, &GroupFilter { q: q.q }, &page)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// Create a device group.
#[utoipa::path(post, path = "/api/v1/device-groups", tag = "device-groups", request_body = GroupInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = DeviceGroup), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_group(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<GroupInput>,
) -> ApiResult<(StatusCode, Json<DeviceGroup>)> {
    validate::text("name", &input.name, validate::MAX_NAME_LEN)?;
    if let Some(d) = &input.description {
        validate::free_text("description", d, validate::MAX_DESCRIPTION_LEN)?;
    }
    let g = state
        .store
        .create_group(
            &p.actor(),
            p.tenant()?,
            NewDeviceGroup {
                name: input.name,
                description: input.description,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(g)))
}

/// Get a device group.
#[utoipa::path(get, path = "/api/v1/device-groups/{id}", tag = "device-groups", params(("id" = GroupId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DeviceGroup), (status = 404, body = ErrorBody)))]
async fn get_group(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<GroupId>,
) -> ApiResult<Json<DeviceGroup>> {
    Ok(Json(state.store.get_group(p.tenant()?, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatchInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

/// Change a device group.
#[utoipa::path(patch, path = "/api/v1/device-groups/{id}", tag = "device-groups", params(("id" = GroupId, Path)),
    request_body = GroupPatchInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DeviceGroup), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_group(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<GroupId>,
    ApiJson(input): ApiJson<GroupPatchInput>,
) -> ApiResult<Json<DeviceGroup>> {
    if let Some(n) = &input.name {
        validate::text("name", n, validate::MAX_NAME_LEN)?;
    }
    if let Some(Some(d)) = &input.description {
        validate::free_text("description", d, validate::MAX_DESCRIPTION_LEN)?;
    }
    let patch = DeviceGroupPatch {
        name: input.name,
        description: input.description,
    };
    Ok(Json(
        state
            .store
            .update_group(&p.actor(), p.tenant()?, id, patch)
            .await?,
    ))
}

/// Delete a device group (its devices stay).
#[utoipa::path(delete, path = "/api/v1/device-groups/{id}", tag = "device-groups", params(("id" = GroupId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_group(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<GroupId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_group(&p.actor(), p.tenant()?, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
