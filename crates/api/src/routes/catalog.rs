//! Enumerations the console's forms need, named in the caller's language.

use crate::AppState;
use crate::error::{ApiResult, RequestLocale};
use crate::extract::ApiQuery;
use axum::Json;
use axum::extract::Extension;
use ironloom_core::auth::{Permission, Role};
use ironloom_core::device_kind::KINDS;
use ironloom_core::division::DIVISIONS;
use ironloom_core::enterprise::SizeClass;
use ironloom_core::industry::{DeviceCategory, Industry, Protocol};
use ironloom_core::region::{self, Region};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(catalog)).routes(routes!(regions))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub code: String,
    pub name: String,
}

/// A device kind and the category it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindInfo {
    pub code: String,
    pub name: String,
    pub category: DeviceCategory,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleInfo {
    pub code: String,
    pub name: String,
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Catalog {
    /// GB/T 4754-2017 sections.
    pub industries: Vec<Named>,
    /// GB/T 4754-2017 divisions, as `C34`.
    pub divisions: Vec<Named>,
    /// Enterprise size classes.
    pub size_classes: Vec<Named>,
    pub device_categories: Vec<Named>,
    pub device_kinds: Vec<KindInfo>,
    pub protocols: Vec<String>,
    pub roles: Vec<RoleInfo>,
    pub permissions: Vec<Permission>,
}

/// Industries, device categories, protocols, roles and permissions.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Catalog)))]
async fn catalog(
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
) -> ApiResult<Json<Catalog>> {
    Ok(Json(Catalog {
        industries: Industry::ALL
            .iter()
            .map(|i| Named {
                code: i.code().into(),
                name: i.name(locale).into(),
            })
            .collect(),
        divisions: DIVISIONS
            .iter()
            .map(|d| Named {
                code: d.key(),
                name: d.name(locale).into(),
            })
            .collect(),
        size_classes: SizeClass::ALL
            .iter()
            .map(|c| Named {
                code: c.as_str().into(),
                name: c.name(locale).into(),
            })
            .collect(),
        device_categories: DeviceCategory::ALL
            .iter()
            .map(|c| Named {
                code: c.as_str().into(),
                name: c.name(locale).into(),
            })
            .collect(),
        device_kinds: KINDS
            .iter()
            .map(|k| KindInfo {
                code: k.code.into(),
                name: k.name(locale).into(),
                category: k.category,
            })
            .collect(),
        protocols: Protocol::ALL
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| RoleInfo {
                code: r.as_str().into(),
                name: r.name(locale).into(),
                permissions: r.permissions().to_vec(),
            })
            .collect(),
        permissions: Permission::ALL.to_vec(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegionQuery {
    /// A province's or city's GB/T 2260 code; absent: the provinces.
    parent: Option<String>,
}

/// China's administrative divisions under a province or city (GB/T 2260 codes).
#[utoipa::path(get, path = "/api/v1/catalog/regions", tag = "catalog", params(RegionQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Region>)))]
async fn regions(ApiQuery(q): ApiQuery<RegionQuery>) -> ApiResult<Json<Vec<Region>>> {
    Ok(Json(region::children(q.parent.as_deref())))
}
