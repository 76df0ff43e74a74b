//! Rules: versioned documents per tenant (see `ironloom_core::rule`). Saving checks the
//! document against itself and against the thing models of the products it watches;
//! every problem is named with its path and, inside an expression, its position.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ironloom_core::entity::{Page, RuleSort};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::{RuleId, TenantId};
use ironloom_core::rule::{Rule, RuleDoc, RuleProblem, RuleUpdate, RuleVersion};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_rules, create_rule))
        .routes(routes!(check_rule))
        .routes(routes!(get_rule, update_rule, delete_rule))
        .routes(routes!(rule_versions))
}

/// Every problem of a rule: its own, and those against the products it watches (unknown
/// products; expressions reading properties none of them has).
async fn problems(
    state: &AppState,
    tenant: TenantId,
    doc: &RuleDoc,
) -> ApiResult<Vec<RuleProblem>> {
    let mut out = Vec::new();
    let mut properties: Option<Vec<String>> = None;
    if !doc.source.products.is_empty() {
        let mut all = Vec::new();
        let mut schemaless = false;
        for (i, key) in doc.source.products.iter().enumerate() {
            match state.store.find_product_by_key(tenant, key).await? {
                None => out.push(RuleProblem {
                    path: format!("source.products[{i}]"),
                    position: None,
                    message: format!("no product with the key `{key}`"),
                }),
                Some(p) if p.thing_model.properties.is_empty() => schemaless = true,
                Some(p) => all.extend(p.thing_model.properties.into_iter().map(|p| p.identifier)),
            }
        }
        if !schemaless && out.is_empty() {
            properties = Some(all);
        }
    }
    out.extend(doc.check(properties.as_deref()));
    Ok(out)
}

fn refused(problems: &[RuleProblem]) -> Error {
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    FieldError::new(
        problems
            .first()
            .map_or("document".into(), |p| p.path.clone()),
        FieldErrorKind::Other {
            en: format!("{} problem(s): {}", problems.len(), all.join("; ")),
            zh: format!("规则有 {} 处问题：{}", problems.len(), all.join("；")),
        },
    )
    .into()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RuleQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    /// `name`, `created_at`, `updated_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List the tenant's rules.
#[utoipa::path(get, path = "/api/v1/rules", tag = "rules", params(RuleQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Rule>), (status = 400, body = ErrorBody)))]
async fn list_rules(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<RuleQuery>,
) -> ApiResult<Json<Page<Rule>>> {
    let page = page_request::<RuleSort>(q.page, q.page_size, q.sort.as_deref(), None)?;
    Ok(Json(state.store.list_rules(p.tenant()?, &page).await?))
}

/// Create a rule (version 1). A document with problems is refused with every one of them.
#[utoipa::path(post, path = "/api/v1/rules", tag = "rules", request_body = RuleDoc,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Rule), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(doc): ApiJson<RuleDoc>,
) -> ApiResult<(StatusCode, Json<Rule>)> {
    let tenant = p.tenant()?;
    let found = problems(&state, tenant, &doc).await?;
    if !found.is_empty() {
        return Err(refused(&found).into());
    }
    let r = state.store.create_rule(&p.actor(), tenant, doc).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// What a check found.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleCheck {
    /// Empty when the rule can be saved.
    pub problems: Vec<RuleProblem>,
}

/// Check a rule without saving it: every problem, with its path and position.
#[utoipa::path(post, path = "/api/v1/rules/check", tag = "rules", request_body = RuleDoc,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = RuleCheck), (status = 422, body = ErrorBody)))]
async fn check_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(doc): ApiJson<RuleDoc>,
) -> ApiResult<Json<RuleCheck>> {
    Ok(Json(RuleCheck {
        problems: problems(&state, p.tenant()?, &doc).await?,
    }))
}

/// A rule at its current version.
#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = RuleId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody)))]
async fn get_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
) -> ApiResult<Json<Rule>> {
    Ok(Json(state.store.get_rule(p.tenant()?, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// Apply only if the rule is still at this version (409 otherwise).
    version: Option<i64>,
}

/// Replace a rule's document (the next version; the old one stays in the history).
/// Enabling and disabling is a change of `enabled`, in force at once.
#[utoipa::path(put, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = RuleId, Path), VersionQuery),
    request_body = RuleDoc, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
    ApiQuery(q): ApiQuery<VersionQuery>,
    ApiJson(doc): ApiJson<RuleDoc>,
) -> ApiResult<Json<Rule>> {
    let tenant = p.tenant()?;
    // 404 before 422: another tenant's rule is not there to be checked against.
    state.store.get_rule(tenant, id).await?;
    let found = problems(&state, tenant, &doc).await?;
    if !found.is_empty() {
        return Err(refused(&found).into());
    }
    Ok(Json(
        state
            .store
            .update_rule(
                &p.actor(),
                tenant,
                id,
                RuleUpdate {
                    document: doc,
                    expected_version: q.version,
                },
            )
            .await?,
    ))
}

/// Delete a rule and its history.
#[utoipa::path(delete, path = "/api/v1/rules/{id}", tag = "rules", params(("id" = RuleId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_rule(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
) -> ApiResult<StatusCode> {
    state.store.delete_rule(&p.actor(), p.tenant()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of a rule, newest first.
#[utoipa::path(get, path = "/api/v1/rules/{id}/versions", tag = "rules", params(("id" = RuleId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<RuleVersion>), (status = 404, body = ErrorBody)))]
async fn rule_versions(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<RuleId>,
) -> ApiResult<Json<Vec<RuleVersion>>> {
    Ok(Json(state.store.rule_versions(p.tenant()?, id).await?))
}
