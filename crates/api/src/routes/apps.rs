//! Industrial apps: packages uploaded to a tenant, installations (configuration, the
//! permissions granted, the products they see), their lifecycle (enable, disable,
//! upgrade keeping state, roll back, uninstall with or without data), manual runs, the
//! HTTP trigger, logs and usage. The runtime is `ironloom_apps::AppHost`.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody, RequestLocale};
use crate::extract::{ApiJson, ApiPath, ApiQuery, read_body};
use axum::Json;
use axum::extract::{Extension, Request, State};
use axum::http::StatusCode;
use ironloom_apps::{AppHost, InstallationStats, Invocation};
use ironloom_core::app::{AppManifest, Permission as AppPermission};
use ironloom_core::app_install::{
    AppInstallation, AppLogEntry, AppPackageInfo, AppUsageRow, InstallationSpec,
};
use ironloom_core::auth::Permission;
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{InstallationId, TenantId};
use ironloom_core::peers::Change;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest package accepted.
const MAX_PACKAGE_BYTES: usize = 32 << 20;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_packages, upload_package))
        .routes(routes!(delete_package))
        .routes(routes!(list_installations, install))
        .routes(routes!(get_installation, update_installation, uninstall))
        .routes(routes!(upgrade))
        .routes(routes!(rollback))
        .routes(routes!(run_installation))
        .routes(routes!(installation_logs))
        .routes(routes!(http_trigger))
        .routes(routes!(app_usage))
}

pub(crate) fn host(state: &AppState) -> Result<&AppHost, Error> {
    state
        .apps
        .as_ref()
        .ok_or(Error::Overloaded("no app runtime runs in this process"))
}

pub(crate) fn refused(problems: &[FieldError], locale: Locale, what_zh: &str) -> Error {
    let all: Vec<String> = problems.iter().map(|e| e.message(locale)).collect();
    let first = problems.first().map_or("package", |e| e.field.as_str());
    crate::error::document_refused(first, &all, what_zh)
}

/// What the installer must hold to grant an app a permission.
fn needed(p: &AppPermission) -> Option<Permission> {
    match p {
        AppPermission::ReadTelemetry => Some(Permission::TelemetryRead),
        AppPermission::WriteTelemetry => Some(Permission::TelemetryWrite),
        AppPermission::Alarms => Some(Permission::AlarmManage),
        AppPermission::Commands => Some(Permission::DeviceCommand),
        AppPermission::Models | AppPermission::Http { .. } => None,
    }
}

/// Checks a spec against its package's manifest, the products of the tenant and what the
/// installer may grant; every problem in one 422.
async fn check_spec(
    state: &AppState,
    p: &Principal,
    tenant: TenantId,
    spec: &InstallationSpec,
    locale: Locale,
) -> Result<AppManifest, Error> {
    let info = state
        .store
        .get_app_package_info(tenant, &spec.app_id, &spec.version)
        .await
        .map_err(|e| match e {
            Error::NotFound(r) => Error::invalid("version", FieldErrorKind::UnknownReference(r)),
            e => e,
        })?;
    let mut problems = spec.check(&info.manifest);
    for (i, g) in spec.grant.iter().enumerate() {
        if let Some(perm) = needed(g)
            && !p.can(perm)
        {
            problems.push(FieldError::new(
                format!("grant[{i}]"),
                FieldErrorKind::Other {
                    en: format!("granting {} needs your permission {perm}", g.as_str()),
                    zh: format!("授予 {} 需要您拥有权限 {perm}", g.as_str()),
                },
            ));
        }
    }
    for (i, key) in spec.products.iter().enumerate() {
        if state
            .store
            .find_product_by_key(tenant, key)
            .await?
            .is_none()
        {
            problems.push(FieldError::new(
                format!("products[{i}]"),
                FieldErrorKind::UnknownReference(ironloom_core::entity::Resource::Product),
            ));
        }
    }
    if problems.is_empty() {
        Ok(info.manifest)
    } else {
        Err(refused(&problems, locale, "应用安装"))
    }
}

/// An installation with what it did since this node started.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallationView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub installation: AppInstallation,
    #[schema(value_type = Object)]
    pub stats: InstallationStats,
    /// For an installation that runs on an edge gateway: `{"gateway", "reported"}`, the
    /// gateway's latest report on it (`running`, `invocations`, `errors`, `last_error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub edge_status: Option<Value>,
}

async fn views(state: &AppState, all: Vec<AppInstallation>) -> Vec<InstallationView> {
    let Some(tenant) = all.first().map(|i| i.tenant_id) else {
        return Vec::new();
    };
    let mut edge = super::edge_apps::edge_status(state, tenant, &all).await;
    all.into_iter()
        .map(|i| {
            let stats = state
                .apps
                .as_ref()
                .map(|h| h.stats(i.tenant_id, i.id))
                .unwrap_or_default();
            let edge_status = edge.remove(&i.id.to_string());
            InstallationView {
                installation: i,
                stats,
                edge_status,
            }
        })
        .collect()
}

async fn view(state: &AppState, i: AppInstallation) -> InstallationView {
    let mut v = views(state, vec![i]).await;
    // `views` answers one view per installation it is given.
    v.remove(0)
}

/// Pushes the apps document of every gateway an installation ran or runs on.
async fn push_edge(
    state: &AppState,
    p: &Principal,
    tenant: TenantId,
    before: Option<&InstallationSpec>,
    after: Option<&InstallationSpec>,
) -> Result<(), Error> {
    let gateways = super::edge_apps::touched(before, after);
    super::edge_apps::push_all(state, &p.actor(), tenant, &gateways).await
}

/// Pauses or restarts an installation for the marketplace (an expired or renewed
/// subscription), saying why in its log; `false` when it already was so.
pub(crate) async fn set_enabled(
    state: &AppState,
    actor: &ironloom_core::entity::Actor,
    tenant: TenantId,
    id: InstallationId,
    enabled: bool,
    why: &str,
) -> Result<bool, Error> {
    let before = state.store.get_installation(tenant, id).await?;
    if before.spec.enabled == enabled {
        return Ok(false);
    }
    let mut spec = before.spec.clone();
    spec.enabled = enabled;
    let action = if enabled { "enable" } else { "disable" };
    let i = state
        .store
        .update_installation(actor, tenant, id, spec, before.previous_version, action)
        .await?;
    state
        .store
        .add_app_logs(
            tenant,
            &i.spec.name,
            &[AppLogEntry {
                ts: chrono::Utc::now(),
                level: if enabled { "info" } else { "warn" }.into(),
                message: why.to_string(),
            }],
        )
        .await?;
    reload(state, tenant, id).await?;
    let gateways = super::edge_apps::touched(Some(&before.spec), Some(&i.spec));
    super::edge_apps::push_all(state, actor, tenant, &gateways).await?;
    Ok(true)
}

async fn reload(state: &AppState, tenant: TenantId, id: InstallationId) -> Result<(), Error> {
    if let Some(h) = &state.apps {
        h.reload(tenant, id).await?;
    }
    state.changed(Change::App {
        tenant,
        installation: id,
    });
    Ok(())
}

/// List the tenant's app packages (every uploaded version).
#[utoipa::path(get, path = "/api/v1/app-packages", tag = "apps",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Object>)))]
async fn list_packages(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<AppPackageInfo>>> {
    Ok(Json(state.store.list_app_packages(p.tenant()?).await?))
}

/// Upload an app package (the `.ilapp` file as the body, at most 32 MiB). It is read,
/// its manifest checked and its modules compiled; every problem is listed in the 422.
#[utoipa::path(post, path = "/api/v1/app-packages", tag = "apps",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Object), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_package(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    mut req: Request,
) -> ApiResult<(StatusCode, Json<AppPackageInfo>)> {
    let tenant = p.tenant()?;
    let host = host(&state)?;
    req.extensions_mut()
        .insert(crate::extract::BodyLimit(MAX_PACKAGE_BYTES));
    let bytes = read_body(req).await?;
    let pkg = match host.check_package(&bytes) {
        Ok(pkg) => pkg,
        Err(ironloom_apps::PackageError::Invalid(problems)) => {
            return Err(refused(&problems, locale, "应用包").into());
        }
        Err(e) => {
            return Err(Error::invalid(
                "package",
                FieldErrorKind::Other {
                    en: e.to_string(),
                    zh: "不是应用包（gzip 压缩的 tar 文件）".into(),
                },
            )
            .into());
        }
    };
    // A package that says the marketplace signed it must prove it: one changed after
    // signing is refused. (Private packages without a signature are the tenant's own.)
    if pkg.signature.is_some() {
        super::market_store::verify_signature(&state, &pkg).await?;
    }
    let info = AppPackageInfo {
        tenant_id: tenant,
        app_id: pkg.manifest.id.clone(),
        version: pkg.manifest.version.clone(),
        digest: pkg.digest.clone(),
        size: bytes.len() as u64,
        manifest: pkg.manifest,
        uploaded_by: p.username.clone(),
        uploaded_at: chrono::Utc::now(),
    };
    let stored = state
        .store
        .put_app_package(&p.actor(), &info, &bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Delete one version of a package (refused while an installation uses it or may roll
/// back to it).
#[utoipa::path(delete, path = "/api/v1/app-packages/{app_id}/{version}", tag = "apps",
    params(("app_id" = String, Path), ("version" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_package(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((app_id, version)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_app_package(&p.actor(), p.tenant()?, &app_id, &version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the tenant's installed apps, by name, with their counters.
#[utoipa::path(get, path = "/api/v1/app-installations", tag = "apps",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<InstallationView>)))]
async fn list_installations(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<InstallationView>>> {
    let all = state.store.list_installations(p.tenant()?).await?;
    Ok(Json(views(&state, all).await))
}

/// Install an app: a version the tenant uploaded, its configuration (checked against
/// the app's schema), the permissions granted (a subset of what the app asks, and only
/// what the installer may do) and the products whose devices it sees.
#[utoipa::path(post, path = "/api/v1/app-installations", tag = "apps",
    request_body = Object, security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = InstallationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn install(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiJson(spec): ApiJson<InstallationSpec>,
) -> ApiResult<(StatusCode, Json<InstallationView>)> {
    let v = create_installation(&state, &p, locale, spec).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Installs a package the tenant holds: the one path for the API and the store.
pub(crate) async fn create_installation(
    state: &AppState,
    p: &Principal,
    locale: Locale,
    mut spec: InstallationSpec,
) -> ApiResult<InstallationView> {
    let tenant = p.tenant()?;
    super::edge_apps::resolve(state, p, tenant, &mut spec).await?;
    check_spec(state, p, tenant, &spec, locale).await?;
    let i = state
        .store
        .create_installation(&p.actor(), tenant, spec)
        .await?;
    reload(state, tenant, i.id).await?;
    push_edge(state, p, tenant, None, Some(&i.spec)).await?;
    Ok(view(state, i).await)
}

#[utoipa::path(get, path = "/api/v1/app-installations/{id}", tag = "apps",
    params(("id" = InstallationId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = InstallationView), (status = 404, body = ErrorBody)))]
async fn get_installation(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<InstallationId>,
) -> ApiResult<Json<InstallationView>> {
    let i = state.store.get_installation(p.tenant()?, id).await?;
    Ok(Json(view(&state, i).await))
}

/// Change an installation's configuration, grant, products or `enabled` (the name and
/// version stay: use upgrade and rollback for the version).
#[utoipa::path(put, path = "/api/v1/app-installations/{id}", tag = "apps",
    params(("id" = InstallationId, Path)), request_body = Object,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = InstallationView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_installation(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiPath(id): ApiPath<InstallationId>,
    ApiJson(mut spec): ApiJson<InstallationSpec>,
) -> ApiResult<Json<InstallationView>> {
    let tenant = p.tenant()?;
    let before = state.store.get_installation(tenant, id).await?;
    super::edge_apps::resolve(&state, &p, tenant, &mut spec).await?;
    if spec.version != before.spec.version || spec.app_id != before.spec.app_id {
        return Err(Error::invalid(
            "version",
            FieldErrorKind::Other {
                en: "changes through upgrade or rollback".into(),
                zh: "请通过升级或回滚修改".into(),
            },
        )
        .into());
    }
    check_spec(&state, &p, tenant, &spec, locale).await?;
    let action = match (before.spec.enabled, spec.enabled) {
        (true, false) => "disable",
        (false, true) => "enable",
        _ => "update",
    };
    let i = state
        .store
        .update_installation(
            &p.actor(),
            tenant,
            id,
            spec,
            before.previous_version,
            action,
        )
        .await?;
    reload(&state, tenant, id).await?;
    push_edge(&state, &p, tenant, Some(&before.spec), Some(&i.spec)).await?;
    Ok(Json(view(&state, i).await))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UninstallQuery {
    /// Keep the installation's state and logs (an installation of the same name finds
    /// them again). Default false.
    #[serde(default)]
    keep_data: bool,
}

/// Uninstall an app, with or without its data (state and logs).
#[utoipa::path(delete, path = "/api/v1/app-installations/{id}", tag = "apps",
    params(("id" = InstallationId, Path), UninstallQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn uninstall(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<InstallationId>,
    ApiQuery(q): ApiQuery<UninstallQuery>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    let before = state.store.get_installation(tenant, id).await?;
    state
        .store
        .delete_installation(&p.actor(), tenant, id, q.keep_data)
        .await?;
    reload(&state, tenant, id).await?;
    push_edge(&state, &p, tenant, Some(&before.spec), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeRequest {
    /// A version of the same app the tenant uploaded.
    pub version: String,
    /// A new configuration; the current one when absent.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
    /// A new grant (`[{"kind": "read_telemetry"}, …]`); the current one when absent.
    #[schema(value_type = Option<Vec<Object>>)]
    pub grant: Option<Vec<AppPermission>>,
}

/// Upgrade (or downgrade) to another version, keeping the state; the current version is
/// kept to roll back to.
#[utoipa::path(post, path = "/api/v1/app-installations/{id}/upgrade", tag = "apps",
    params(("id" = InstallationId, Path)), request_body = UpgradeRequest,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = InstallationView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upgrade(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiPath(id): ApiPath<InstallationId>,
    ApiJson(req): ApiJson<UpgradeRequest>,
) -> ApiResult<Json<InstallationView>> {
    let tenant = p.tenant()?;
    let before = state.store.get_installation(tenant, id).await?;
    let mut spec = before.spec.clone();
    spec.version = req.version;
    if let Some(c) = req.config {
        spec.config = c;
    }
    if let Some(g) = req.grant {
        spec.grant = g;
    }
    switch_version(&state, &p, locale, before, spec, "upgrade").await
}

/// Moves an installation to `spec`'s version, remembering the one it leaves.
async fn switch_version(
    state: &AppState,
    p: &Principal,
    locale: Locale,
    before: AppInstallation,
    mut spec: InstallationSpec,
    action: &str,
) -> ApiResult<Json<InstallationView>> {
    let (tenant, id) = (before.tenant_id, before.id);
    super::edge_apps::resolve(state, p, tenant, &mut spec).await?;
    check_spec(state, p, tenant, &spec, locale).await?;
    let i = state
        .store
        .update_installation(
            &p.actor(),
            tenant,
            id,
            spec,
            Some(before.spec.version.clone()),
            action,
        )
        .await?;
    reload(state, tenant, id).await?;
    push_edge(state, p, tenant, Some(&before.spec), Some(&i.spec)).await?;
    Ok(Json(view(state, i).await))
}

/// Return to the version before the last upgrade (its configuration must still fit).
#[utoipa::path(post, path = "/api/v1/app-installations/{id}/rollback", tag = "apps",
    params(("id" = InstallationId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = InstallationView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rollback(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiPath(id): ApiPath<InstallationId>,
) -> ApiResult<Json<InstallationView>> {
    let tenant = p.tenant()?;
    let before = state.store.get_installation(tenant, id).await?;
    let Some(previous) = before.previous_version.clone() else {
        return Err(Error::invalid(
            "version",
            FieldErrorKind::Other {
                en: "there is no earlier version to roll back to".into(),
                zh: "没有可回滚的早期版本".into(),
            },
        )
        .into());
    };
    let mut spec = before.spec.clone();
    spec.version = previous;
    switch_version(&state, &p, locale, before, spec, "rollback").await
}

/// Run an installation now on an event (any JSON; `{"kind": "manual"}` when empty) and
/// answer what it did: its status or why it stopped, its logs, fuel and time.
#[utoipa::path(post, path = "/api/v1/app-installations/{id}/run", tag = "apps",
    params(("id" = InstallationId, Path)), request_body = Object,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn run_installation(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<InstallationId>,
    req: Request,
) -> ApiResult<Json<Invocation>> {
    let tenant = p.tenant()?;
    state.store.get_installation(tenant, id).await?;
    let body = read_body(req).await?;
    let mut event: Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| crate::error::HttpFailure::MalformedJson(e.to_string()))?
    };
    if let Some(o) = event.as_object_mut() {
        o.entry("kind").or_insert_with(|| "manual".into());
    }
    Ok(Json(host(&state)?.run(tenant, id, event).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Newest lines first; at most 1000 (default 200).
    limit: Option<usize>,
}

/// The installation's newest log lines (what it logged, and why runs failed).
#[utoipa::path(get, path = "/api/v1/app-installations/{id}/logs", tag = "apps",
    params(("id" = InstallationId, Path), LogQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Object>), (status = 404, body = ErrorBody)))]
async fn installation_logs(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<InstallationId>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<Json<Vec<AppLogEntry>>> {
    let tenant = p.tenant()?;
    let i = state.store.get_installation(tenant, id).await?;
    let lines = state
        .store
        .app_logs(tenant, &i.spec.name, q.limit.unwrap_or(200).min(1000))
        .await?;
    Ok(Json(lines))
}

/// The HTTP trigger: a POST to `/api/v1/apps/{id}/http/{path}` runs an installation whose
/// manifest declares the path, with `{"kind": "http", "path", "body"}`; the answer is
/// what the app passed to the host operation `reply` (`{"status", "body"}`), or 204.
#[utoipa::path(post, path = "/api/v1/apps/{id}/http/{path}", tag = "apps",
    params(("id" = InstallationId, Path), ("path" = String, Path)), request_body = Object,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Object), (status = 204), (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn http_trigger(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, path)): ApiPath<(InstallationId, String)>,
    req: Request,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let tenant = p.tenant()?;
    let i = state.store.get_installation(tenant, id).await?;
    let info = state
        .store
        .get_app_package_info(tenant, &i.spec.app_id, &i.spec.version)
        .await?;
    let declared = info
        .manifest
        .triggers
        .iter()
        .any(|t| matches!(t, ironloom_core::app::Trigger::Http { path: p } if *p == path));
    if !declared {
        return Err(Error::NotFound(ironloom_core::entity::Resource::AppInstallation).into());
    }
    let body = read_body(req).await?;
    // An empty body is no body; anything else must be JSON (the app gets it parsed).
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| crate::error::HttpFailure::MalformedJson(e.to_string()))?
    };
    let event = serde_json::json!({"kind": "http", "path": path, "body": body});
    let out = host(&state)?.run(tenant, id, event).await?;
    if let Err(e) = &out.result {
        return Ok((
            StatusCode::BAD_GATEWAY,
            Json(serde_json::json!({"code": "app_failed", "message": e.to_string()})),
        )
            .into_response());
    }
    Ok(match out.reply {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(r) => {
            let status = r
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .and_then(|s| StatusCode::from_u16(s).ok())
                .filter(|s| !s.is_informational())
                .unwrap_or(StatusCode::OK);
            (status, Json(r.get("body").cloned().unwrap_or(Value::Null))).into_response()
        }
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// First month, `YYYY-MM` (default: this month).
    from: Option<String>,
    /// Last month, `YYYY-MM` (default: `from`).
    to: Option<String>,
}

/// Apps' use per month: invocations, failures, fuel, time and host calls.
#[utoipa::path(get, path = "/api/v1/app-usage", tag = "apps", params(UsageQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Object>)))]
async fn app_usage(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> ApiResult<Json<Vec<AppUsageRow>>> {
    let month_ok = |m: &str| {
        m.len() == 7
            && m.as_bytes()[4] == b'-'
            && m[..4].parse::<u16>().is_ok()
            && m[5..].parse::<u8>().is_ok_and(|v| (1..=12).contains(&v))
    };
    let from = q.from.unwrap_or_else(ironloom_models::meter::this_month);
    let to = q.to.unwrap_or_else(|| from.clone());
    for (field, v) in [("from", &from), ("to", &to)] {
        if !month_ok(v) {
            return Err(Error::invalid(
                field,
                FieldErrorKind::Format {
                    expected: "a month YYYY-MM",
                    expected_zh: "月份 YYYY-MM",
                },
            )
            .into());
        }
    }
    Ok(Json(state.store.app_usage(p.tenant()?, &from, &to).await?))
}
