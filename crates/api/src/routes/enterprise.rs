//! Enterprise profiles (企业画像): each tenant's administrator fills in the enterprise
//! behind the tenant; the platform administrator sees and corrects all of them. What the
//! report counts (size class, region names) is derived here, never typed in.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, RequestLocale};
use crate::extract::{ApiJson, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::extract::{Extension, State};
use ironloom_core::division;
use ironloom_core::enterprise::{
    EnterpriseProfile, IndustryMode, ProfileFilter, ProfileInput, ProfileView, SizeClass,
    check_profile,
};
use ironloom_core::entity::{Page, Resource};
use ironloom_core::error::Error;
use ironloom_core::ids::TenantId;
use ironloom_core::region::{self, Region};
use ironloom_core::repo::Scope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_profile, put_profile))
        .routes(routes!(check))
        .routes(routes!(list_profiles))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TenantParam {
    /// The tenant (platform administrator only; others always mean their own).
    tenant: Option<TenantId>,
}

/// The tenant a call is about: the caller's own, or for the platform administrator the one
/// named. A tenant user naming another tenant finds nothing.
fn target(p: &Principal, named: Option<TenantId>) -> ApiResult<TenantId> {
    match (p.scope(), named) {
        (Scope::Tenant(t), None) => Ok(t),
        (Scope::Tenant(t), Some(n)) if n == t => Ok(t),
        (Scope::Tenant(_), Some(_)) => Err(ApiError::not_found(Resource::Tenant)),
        (Scope::All, Some(n)) => Ok(n),
        (Scope::All, None) => {
            Err(Error::invalid("tenant", ironloom_core::error::FieldErrorKind::Required).into())
        }
    }
}

/// The tenant's enterprise profile; 404 until somebody fills it in.
#[utoipa::path(get, path = "/api/v1/enterprise-profile", tag = "enterprise", params(TenantParam),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ProfileView), (status = 404, body = ErrorBody)))]
async fn get_profile(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<TenantParam>,
) -> ApiResult<Json<ProfileView>> {
    let tenant = target(&p, q.tenant)?;
    state.store.get_tenant(tenant).await?;
    let profile = state
        .store
        .get_profile(tenant)
        .await?
        .ok_or(ApiError::not_found(Resource::EnterpriseProfile))?;
    Ok(Json(profile.view()))
}

/// Fill in or replace the tenant's enterprise profile. Every problem comes back in one 422;
/// the size class is derived from industry, employees, revenue and assets.
#[utoipa::path(put, path = "/api/v1/enterprise-profile", tag = "enterprise", params(TenantParam),
    request_body = ProfileInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ProfileView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_profile(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiQuery(q): ApiQuery<TenantParam>,
    ApiJson(input): ApiJson<ProfileInput>,
) -> ApiResult<Json<ProfileView>> {
    let tenant = target(&p, q.tenant)?;
    let input = normalised(input);
    let size = check_profile(&input)
        .map_err(|problems| crate::routes::apps::refused(&problems, locale, "企业画像"))?;
    let saved = state
        .store
        .put_profile(&p.actor(), tenant, &input, size, input.version)
        .await?;
    Ok(Json(saved.view()))
}

/// Codes as people type them: surrounding blanks and lower case do not matter.
fn normalised(mut input: ProfileInput) -> ProfileInput {
    input.credit_code = input.credit_code.trim().to_uppercase();
    input.industry = input.industry.trim().to_uppercase();
    input.region = input.region.trim().to_owned();
    input
}

/// One problem of a checked profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

/// What a profile would be: its problems, or what is derived from it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileCheck {
    pub problems: Vec<Problem>,
    pub size_class: Option<SizeClass>,
    pub is_sme: Option<bool>,
    pub division: Option<division::Division>,
    pub region_path: Vec<Region>,
}

/// Checks a profile without saving it (the console's form asks as one types).
#[utoipa::path(post, path = "/api/v1/enterprise-profile/check", tag = "enterprise",
    request_body = ProfileInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ProfileCheck)))]
async fn check(
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiJson(input): ApiJson<ProfileInput>,
) -> ApiResult<Json<ProfileCheck>> {
    let input = normalised(input);
    let (size, problems) = match check_profile(&input) {
        Ok(s) => (Some(s), Vec::new()),
        Err(p) => (None, p),
    };
    Ok(Json(ProfileCheck {
        problems: problems
            .iter()
            .map(|e| Problem {
                field: e.field.clone(),
                message: e.message(locale),
            })
            .collect(),
        size_class: size,
        is_sme: size.map(SizeClass::is_sme),
        division: division::division_of(&input.industry).copied(),
        region_path: region::path(&input.region).unwrap_or_default(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProfileQuery {
    /// Substring of the legal name or credit code.
    q: Option<String>,
    /// An industry code and all under it: `C`, `C34`, `C341`.
    industry: Option<String>,
    /// A region code and all under it: `320000` is all of Jiangsu.
    region: Option<String>,
    size_class: Option<SizeClass>,
    industry_mode: Option<IndustryMode>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `updated_at`, `legal_name`, `industry`, `region`; `-` prefix for descending.
    sort: Option<String>,
}

/// Every tenant's enterprise profile (platform administrator).
#[utoipa::path(get, path = "/api/v1/enterprise-profiles", tag = "enterprise", params(ProfileQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<EnterpriseProfile>), (status = 400, body = ErrorBody)))]
async fn list_profiles(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ProfileQuery>,
) -> ApiResult<Json<Page<EnterpriseProfile>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), None)?;
    let filter = ProfileFilter {
        q: q.q,
        industry: q.industry.map(|i| i.trim().to_uppercase()),
        region: q.region.map(|r| r.trim().to_owned()),
        size_class: q.size_class,
        industry_mode: q.industry_mode,
    };
    Ok(Json(state.store.list_profiles(&filter, &page).await?))
}
