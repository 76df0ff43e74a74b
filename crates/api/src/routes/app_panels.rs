//! What the console shows of an installation besides its record: its key–value state
//! (what the app keeps for its panels) and its panels' pages, from the installed version's
//! package; and the tenant's app settings (the hosts its apps may reach over HTTP). A panel page is served with a content-security policy that sandboxes it
//! (scripts only, no same origin, no network), so an app's page never acts as the user.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use ironloom_apps::{AppPackage, PackageLimits};
use ironloom_core::entity::Resource;
use ironloom_core::error::Error;
use ironloom_core::ids::InstallationId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The policy a panel page runs under: inline scripts and styles, images from data: URLs,
/// nothing fetched, no same origin (so no cookies or storage of the console).
pub const PANEL_POLICY: &str = "sandbox allow-scripts; default-src 'none'; \
    script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:";

/// Most state entries one page returns.
const MAX_PAGE: usize = 1000;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(installation_state))
        .routes(routes!(panel_page))
        .routes(routes!(get_settings, put_settings))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StateQuery {
    /// Keys after this one (the previous page's `next`).
    after: Option<String>,
    /// At most 1000 (default 200).
    limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateEntry {
    pub key: String,
    #[schema(value_type = Object)]
    pub value: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatePage {
    pub items: Vec<StateEntry>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// The installation's key–value state, in key order (what the app keeps for its panels).
#[utoipa::path(get, path = "/api/v1/app-installations/{id}/state", tag = "apps",
    params(("id" = InstallationId, Path), StateQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = StatePage), (status = 404, body = ErrorBody)))]
async fn installation_state(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<InstallationId>,
    ApiQuery(q): ApiQuery<StateQuery>,
) -> ApiResult<Json<StatePage>> {
    let tenant = p.tenant()?;
    let i = state.store.get_installation(tenant, id).await?;
    let limit = q.limit.unwrap_or(200).clamp(1, MAX_PAGE);
    let rows = state
        .store
        .app_state_list(tenant, &i.spec.name, q.after.as_deref(), limit)
        .await?;
    let next = (rows.len() == limit)
        .then(|| rows.last().map(|r| r.0.clone()))
        .flatten();
    let items = rows
        .into_iter()
        .map(|(key, value)| StateEntry { key, value })
        .collect();
    Ok(Json(StatePage { items, next }))
}

/// A panel's page (HTML) of the installed version, sandboxed by its content-security
/// policy; the console shows it in a sandboxed frame and posts the state to it.
#[utoipa::path(get, path = "/api/v1/app-installations/{id}/panels/{panel}", tag = "apps",
    params(("id" = InstallationId, Path), ("panel" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ErrorBody)))]
async fn panel_page(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, panel)): ApiPath<(InstallationId, String)>,
) -> ApiResult<Response> {
    let tenant = p.tenant()?;
    let i = state.store.get_installation(tenant, id).await?;
    let (_, bytes) = state
        .store
        .get_app_package(tenant, &i.spec.app_id, &i.spec.version)
        .await?;
    let package = AppPackage::read(&bytes, &PackageLimits::default(), None)
        .map_err(|_| Error::NotFound(Resource::AppPackage))?;
    let entry = package
        .manifest
        .panels
        .iter()
        .find(|x| x.id == panel)
        .ok_or(Error::NotFound(Resource::AppPackage))?;
    let html = package
        .files
        .get(&entry.entry)
        .ok_or(Error::NotFound(Resource::AppPackage))?
        .clone();
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PANEL_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        html,
    )
        .into_response())
}

/// The tenant's app settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// Hosts the tenant's apps may reach over HTTP (each app also needs them granted).
    pub http_hosts: Vec<String>,
}

/// The tenant's app settings.
#[utoipa::path(get, path = "/api/v1/app-settings", tag = "apps",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = AppSettings)))]
async fn get_settings(State(state): State<AppState>, p: Principal) -> ApiResult<Json<AppSettings>> {
    let tenant = p.tenant()?;
    let http_hosts = state.store.app_http_hosts(tenant).await?;
    Ok(Json(AppSettings { http_hosts }))
}

/// Replace the tenant's app settings (audited).
#[utoipa::path(put, path = "/api/v1/app-settings", tag = "apps", request_body = AppSettings,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = AppSettings), (status = 422, body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<AppSettings>,
) -> ApiResult<Json<AppSettings>> {
    let tenant = p.tenant()?;
    let http_hosts = state
        .store
        .set_app_http_hosts(&p.actor(), tenant, &body.http_hosts)
        .await?;
    Ok(Json(AppSettings { http_hosts }))
}
