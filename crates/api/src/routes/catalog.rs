//! Enumerations the console's forms need, named in the caller's language.

use crate::AppState;
use crate::error::{ApiResult, RequestLocale};
use axum::Json;
use axum::extract::Extension;
use ironloom_core::auth::{Permission, Role};
use ironloom_core::industry::{DeviceCategory, Industry, Protocol};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(catalog))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub code: String,
    pub name: String,
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
    pub device_categories: Vec<Named>,
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
        device_categories: DeviceCategory::ALL
            .iter()
            .map(|c| Named {
                code: c.as_str().into(),
                name: c.name(locale).into(),
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
