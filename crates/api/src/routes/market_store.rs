//! The marketplace's store side: released apps for tenants to find, and taking one into a
//! tenant (the signature is verified first; a package changed after signing is refused),
//! then installing it through the same path as any installation, with the permissions the
//! installer consented to as the grant. Upgrade and rollback of an installation from the
//! store are the installation's own (`/app-installations/{id}/upgrade`, `…/rollback`)
//! once the tenant holds the other version.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, RequestLocale};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use crate::routes::apps::InstallationView;
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use ironloom_apps::signing;
use ironloom_core::app::Permission as AppPermission;
use ironloom_core::app_install::{AppPackageInfo, InstallationSpec};
use ironloom_core::entity::Page;
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::market::Release;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_releases))
        .routes(routes!(get_release))
        .routes(routes!(release_package))
        .routes(routes!(acquire))
        .routes(routes!(install_release))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReleaseQuery {
    app_id: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    sort: Option<String>,
}

/// Released apps, newest first (of one app with `app_id`).
#[utoipa::path(get, path = "/api/v1/market/releases", tag = "market", params(ReleaseQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Release>)))]
async fn list_releases(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReleaseQuery>,
) -> ApiResult<Json<Page<Release>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("-released_at"))?;
    Ok(Json(
        state
            .store
            .list_releases(q.app_id.as_deref(), &page)
            .await?,
    ))
}

/// One release.
#[utoipa::path(get, path = "/api/v1/market/releases/{app_id}/{version}", tag = "market",
    params(("app_id" = String, Path), ("version" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Release), (status = 404, body = ErrorBody)))]
async fn get_release(
    State(state): State<AppState>,
    ApiPath((app_id, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<Release>> {
    Ok(Json(state.store.get_release(&app_id, &version).await?))
}

/// The signed package of a release (to install elsewhere, or to check its signature).
#[utoipa::path(get, path = "/api/v1/market/releases/{app_id}/{version}/package", tag = "market",
    params(("app_id" = String, Path), ("version" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn release_package(
    State(state): State<AppState>,
    ApiPath((app_id, version)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let bytes = state.store.release_bytes(&app_id, &version).await?;
    Ok(super::market::package_response(&app_id, &version, bytes))
}

/// Checks a package's marketplace signature against the platform's keys: the error a
/// tampered, unknown or revoked package is refused with.
pub(crate) async fn verify_signature(
    state: &AppState,
    pkg: &ironloom_apps::AppPackage,
) -> ApiResult<()> {
    let keys = state.store.list_signing_keys().await?;
    signing::verify(pkg, &keys).map(|_| ()).map_err(|e| {
        FieldError::new(
            "signature.json",
            FieldErrorKind::Other {
                en: e.to_string(),
                zh: e.zh(),
            },
        )
        .into()
    })
}

/// Takes a release into the caller's tenant: verifies its signature and keeps it as one
/// of the tenant's packages (the same bytes again: no change).
async fn take(state: &AppState, p: &Principal, release: &Release) -> ApiResult<AppPackageInfo> {
    let tenant = p.tenant()?;
    super::market_trade::may_run(state, tenant, &release.app_id).await?;
    let host = super::apps::host(state)?;
    let bytes = state
        .store
        .release_bytes(&release.app_id, &release.version)
        .await?;
    let pkg = host.check_package(&bytes).map_err(|e| {
        ApiError::from(Error::invalid(
            "package",
            FieldErrorKind::Other {
                en: format!("the released package does not read: {e}"),
                zh: format!("发布的应用包无法读取：{e}"),
            },
        ))
    })?;
    verify_signature(state, &pkg).await?;
    if pkg.digest != release.digest {
        return Err(Error::invalid(
            "package",
            FieldErrorKind::Other {
                en: "the released package is not the one that was approved".into(),
                zh: "发布的应用包与审核通过的不一致".into(),
            },
        )
        .into());
    }
    let info = AppPackageInfo {
        tenant_id: tenant,
        app_id: pkg.manifest.id.clone(),
        version: pkg.manifest.version.clone(),
        digest: pkg.digest.clone(),
        size: bytes.len() as u64,
        manifest: pkg.manifest,
        uploaded_by: format!("market ({})", p.username),
        uploaded_at: chrono::Utc::now(),
    };
    Ok(state
        .store
        .put_app_package(&p.actor(), &info, &bytes)
        .await?)
}

/// Take a release into the tenant (signature verified) without installing it: to upgrade
/// an installation to it, or to roll back to it later.
#[utoipa::path(post, path = "/api/v1/market/releases/{app_id}/{version}/acquire", tag = "market",
    params(("app_id" = String, Path), ("version" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn acquire(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((app_id, version)): ApiPath<(String, String)>,
) -> ApiResult<(StatusCode, Json<AppPackageInfo>)> {
    let release = state.store.get_release(&app_id, &version).await?;
    Ok((StatusCode::CREATED, Json(take(&state, &p, &release).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreInstall {
    /// The installation's name, unique in the tenant.
    pub name: String,
    /// The permissions the installer consents to, each one the app asks for (the consent
    /// screen); nothing more is granted.
    #[schema(value_type = Vec<Object>)]
    pub grant: Vec<AppPermission>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Option<Value>,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub edge: Option<ironloom_core::edge_app::EdgeTarget>,
}

fn yes() -> bool {
    true
}

/// Install a release into the caller's tenant: the signature is verified, the package
/// kept, and the installation made with the permissions consented to.
#[utoipa::path(post, path = "/api/v1/market/releases/{app_id}/{version}/install", tag = "market",
    params(("app_id" = String, Path), ("version" = String, Path)), request_body = StoreInstall,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = InstallationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn install_release(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiPath((app_id, version)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<StoreInstall>,
) -> ApiResult<(StatusCode, Json<InstallationView>)> {
    let v = install_from_store(&state, &p, locale, app_id, version, input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Installs a release into the caller's tenant (the store's install, and the demo's).
pub async fn install_from_store(
    state: &AppState,
    p: &Principal,
    locale: ironloom_core::i18n::Locale,
    app_id: String,
    version: String,
    input: StoreInstall,
) -> ApiResult<InstallationView> {
    let release = state.store.get_release(&app_id, &version).await?;
    take(state, p, &release).await?;
    let spec = InstallationSpec {
        name: input.name,
        app_id,
        version,
        config: input
            .config
            .unwrap_or_else(|| Value::Object(Default::default())),
        grant: input.grant,
        products: input.products,
        enabled: input.enabled,
        edge: input.edge,
    };
    let v = super::apps::create_installation(state, p, locale, spec).await?;
    if let Ok(m) = super::market::market(state) {
        m.catalogue.invalidate();
    }
    Ok(v)
}
