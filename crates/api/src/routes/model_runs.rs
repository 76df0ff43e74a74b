//! Models on device data: live bindings on a product's messages, and jobs over stored
//! history (see `ironloom_core::model_run`). Bindings are checked against the model's
//! card and the product's thing model when saved; jobs against the card and the devices
//! when submitted, then run in the background with their progress kept.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ironloom_core::auth::Permission;
use ironloom_core::entity::{JobSort, Page, Resource};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::{BindingId, JobId, TenantId};
use ironloom_core::model::ModelError;
use ironloom_core::model_run::{
    BindingSpec, BindingStats, Job, JobSpec, ModelBinding, ModelRuns, plan_binding,
};
use ironloom_core::peers::Change;
use ironloom_core::validate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_bindings, create_binding))
        .routes(routes!(get_binding, update_binding, delete_binding))
        .routes(routes!(list_jobs, submit_job))
        .routes(routes!(get_job))
        .routes(routes!(cancel_job))
}

/// The runtime, or 503 where none runs (an API-only process).
fn runtime(state: &AppState) -> Result<&Arc<dyn ModelRuns>, Error> {
    state
        .runs
        .as_ref()
        .ok_or(Error::Overloaded("no model runtime runs in this process"))
}

/// Checks a binding against its model and product; every problem is an error naming
/// the field.
async fn check(state: &AppState, tenant: TenantId, spec: &BindingSpec) -> Result<(), Error> {
    validate::text("name", &spec.name, validate::MAX_NAME_LEN)?;
    let card = state
        .models
        .card(&spec.model)
        .ok_or_else(|| ModelError::UnknownModel(spec.model.clone()))?;
    let Some(product) = state
        .store
        .find_product_by_key(tenant, &spec.product_key)
        .await?
    else {
        return Err(Error::Invalid(FieldError::new(
            "product_key",
            FieldErrorKind::UnknownReference(Resource::Product),
        )));
    };
    plan_binding(spec, card, &product.thing_model)?;
    Ok(())
}

/// A binding with what it did since the platform started.
#[derive(Debug, Serialize, ToSchema)]
pub struct BindingView {
    #[serde(flatten)]
    pub binding: ModelBinding,
    pub stats: BindingStats,
}

fn view(state: &AppState, b: ModelBinding) -> BindingView {
    let stats = state
        .runs
        .as_ref()
        .map(|r| r.binding_stats(b.tenant_id, b.id))
        .unwrap_or_default();
    BindingView { binding: b, stats }
}

async fn reload(state: &AppState, tenant: TenantId) -> Result<(), Error> {
    if let Some(r) = &state.runs {
        r.reload_bindings().await?;
    }
    state.changed(Change::Bindings { tenant });
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BindingQuery {
    /// Only the bindings of this product.
    product_key: Option<String>,
}

/// List the tenant's model bindings (at most 200), by name, with their counters.
#[utoipa::path(get, path = "/api/v1/model-bindings", tag = "models", params(BindingQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<BindingView>)))]
async fn list_bindings(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<BindingQuery>,
) -> ApiResult<Json<Vec<BindingView>>> {
    let all = state
        .store
        .list_bindings(p.tenant()?, q.product_key.as_deref())
        .await?;
    Ok(Json(all.into_iter().map(|b| view(&state, b)).collect()))
}

/// Bind a model to a product: evaluated on every message of its devices that carries a
/// bound property, its outputs written as the devices' properties.
#[utoipa::path(post, path = "/api/v1/model-bindings", tag = "models", request_body = BindingSpec,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = BindingView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_binding(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(spec): ApiJson<BindingSpec>,
) -> ApiResult<(StatusCode, Json<BindingView>)> {
    let tenant = p.tenant()?;
    check(&state, tenant, &spec).await?;
    let b = state.store.create_binding(&p.actor(), tenant, spec).await?;
    reload(&state, tenant).await?;
    Ok((StatusCode::CREATED, Json(view(&state, b))))
}

#[utoipa::path(get, path = "/api/v1/model-bindings/{id}", tag = "models", params(("id" = BindingId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = BindingView), (status = 404, body = ErrorBody)))]
async fn get_binding(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<BindingId>,
) -> ApiResult<Json<BindingView>> {
    let b = state.store.get_binding(p.tenant()?, id).await?;
    Ok(Json(view(&state, b)))
}

/// Replace a binding (enable or disable it with `enabled`).
#[utoipa::path(put, path = "/api/v1/model-bindings/{id}", tag = "models", params(("id" = BindingId, Path)),
    request_body = BindingSpec, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = BindingView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_binding(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<BindingId>,
    ApiJson(spec): ApiJson<BindingSpec>,
) -> ApiResult<Json<BindingView>> {
    let tenant = p.tenant()?;
    // Another tenant's binding answers 404 before anything is checked.
    state.store.get_binding(tenant, id).await?;
    check(&state, tenant, &spec).await?;
    let b = state
        .store
        .update_binding(&p.actor(), tenant, id, spec)
        .await?;
    reload(&state, tenant).await?;
    Ok(Json(view(&state, b)))
}

#[utoipa::path(delete, path = "/api/v1/model-bindings/{id}", tag = "models", params(("id" = BindingId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_binding(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<BindingId>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    state.store.delete_binding(&p.actor(), tenant, id).await?;
    reload(&state, tenant).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    /// `created_at` (default, newest first with `-created_at`) or `status`.
    sort: Option<String>,
}

/// List the tenant's jobs over history.
#[utoipa::path(get, path = "/api/v1/model-jobs", tag = "models", params(JobQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Job>), (status = 400, body = ErrorBody)))]
async fn list_jobs(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> ApiResult<Json<Page<Job>>> {
    let page = page_request::<JobSort>(
        q.page,
        q.page_size,
        Some(q.sort.as_deref().unwrap_or("-created_at")),
        None,
    )?;
    Ok(Json(state.store.list_jobs(p.tenant()?, &page).await?))
}

/// Run a model or algorithm over stored history. Answers at once with the queued job;
/// follow it with `GET /api/v1/model-jobs/{id}`. Writing outputs back needs
/// `telemetry:write`.
#[utoipa::path(post, path = "/api/v1/model-jobs", tag = "models", request_body = JobSpec,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 202, body = Job), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn submit_job(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(spec): ApiJson<JobSpec>,
) -> ApiResult<(StatusCode, Json<Job>)> {
    let tenant = p.tenant()?;
    if spec.write_back.is_some() && !p.can(Permission::TelemetryWrite) {
        return Err(Error::Forbidden(Some(Permission::TelemetryWrite)).into());
    }
    let job = runtime(&state)?.submit(&p.actor(), tenant, spec).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// A job with its progress and, when done, its result.
#[utoipa::path(get, path = "/api/v1/model-jobs/{id}", tag = "models", params(("id" = JobId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Job), (status = 404, body = ErrorBody)))]
async fn get_job(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<JobId>,
) -> ApiResult<Json<Job>> {
    Ok(Json(state.store.get_job(p.tenant()?, id).await?))
}

/// Stop a queued or running job (it stops after its current slice, keeping what it
/// computed so far).
#[utoipa::path(post, path = "/api/v1/model-jobs/{id}/cancel", tag = "models", params(("id" = JobId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 202), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn cancel_job(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<JobId>,
) -> ApiResult<StatusCode> {
    runtime(&state)?.cancel(p.tenant()?, id).await?;
    Ok(StatusCode::ACCEPTED)
}
