//! The audit log: who changed what, when, from where.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody, HttpFailure};
use crate::extract::ApiQuery;
use crate::params::page_request;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use ironloom_core::entity::{AuditEntry, AuditFilter, Page, Resource};
use ironloom_core::ids::TenantId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// `tenant`, `user`, `api_key`, `product`, `device`, `device_group`, `session`.
    resource: Option<Resource>,
    resource_id: Option<String>,
    /// `create`, `update`, `delete`, `login`, `login_failed`, `account_locked`, `revoke`,
    /// `rotate_credentials`, `update_attributes`.
    action: Option<String>,
    actor_id: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    /// Platform administrator only: one tenant's entries.
    tenant_id: Option<TenantId>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `at` or `-at` (default: newest first).
    sort: Option<String>,
}

/// Read the audit log (newest first).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<AuditEntry>), (status = 400, body = ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("-at"))?;
    if q.resource_id.as_ref().is_some_and(|s| s.len() > 128)
        || q.action.as_ref().is_some_and(|s| s.len() > 64)
        || q.actor_id.as_ref().is_some_and(|s| s.len() > 128)
    {
        return Err(HttpFailure::InvalidQuery {
            detail: "a filter value is too long".into(),
        }
        .into());
    }
    let filter = AuditFilter {
        tenant_id: q.tenant_id.map(Some),
        resource: q.resource,
        resource_id: q.resource_id,
        action: q.action,
        actor_id: q.actor_id,
        since: q.since,
        until: q.until,
    };
    Ok(Json(
        state.store.list_audit(p.scope(), &filter, &page).await?,
    ))
}
