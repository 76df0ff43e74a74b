//! API keys: for machines and scripts. A key acts for its creator, limited to its scopes.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use crate::security::new_api_key;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use ironloom_core::auth::{Permission, PermissionSet, Role};
use ironloom_core::entity::{ApiKey, ApiKeyFilter, NewApiKey, Page, Resource};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::{ApiKeyId, UserId};
use ironloom_core::repo::Scope;
use ironloom_core::validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KeyQuery {
    q: Option<String>,
    /// Include revoked keys.
    #[serde(default)]
    include_revoked: bool,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `name`, `created_at`, `expires_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List API keys (the secret is never shown again after creation).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", params(KeyQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<ApiKey>)))]
async fn list_keys(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<KeyQuery>,
) -> ApiResult<Json<Page<ApiKey>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), None)?;
    let filter = ApiKeyFilter {
        tenant_id: None,
        q: q.q,
        include_revoked: q.include_revoked,
        created_by: own_keys_only(&p),
    };
    let scope = if filter.created_by.is_some() {
        Scope::All
    } else {
        p.scope()
    };
    Ok(Json(
        state.store.list_api_keys(scope, &filter, &page).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    pub name: String,
    /// What the key may do; a subset of the creator's permissions. Default: all of them.
    #[serde(default)]
    pub scopes: Option<Vec<Permission>>,
    /// When the key stops working; default never.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyCreated {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The key, shown only now. Send it as `X-API-Key` or `Authorization: Bearer`.
    pub key: String,
}

/// Create an API key.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", request_body = KeyInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = KeyCreated), (status = 422, body = ErrorBody)))]
async fn create_key(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<KeyInput>,
) -> ApiResult<(StatusCode, Json<KeyCreated>)> {
    validate::text("name", &input.name, validate::MAX_NAME_LEN)?;
    let scopes = match input.scopes {
        None => p.permissions,
        Some(s) => {
            let set = PermissionSet::of(&s);
            if !set.is_subset_of(p.permissions) {
                return Err(FieldError::new("scopes", FieldErrorKind::NotAllowed).into());
            }
            set
        }
    };
    if input.expires_at.is_some_and(|e| e <= chrono::Utc::now()) {
        return Err(FieldError::new(
            "expires_at",
            FieldErrorKind::Other {
                en: "must be in the future".into(),
                zh: "必须晚于当前时间".into(),
            },
        )
        .into());
    }
    let secret = new_api_key(ApiKeyId::new());
    let api_key = state
        .store
        .create_api_key(
            &p.actor(),
            NewApiKey {
                id: secret.id,
                tenant_id: p.tenant_id,
                name: input.name,
                prefix: secret.display_prefix,
                secret_hash: secret.secret_hash,
                scopes: scopes.to_vec(),
                expires_at: input.expires_at,
                created_by: p.user_id,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(KeyCreated {
            api_key,
            key: secret.full_key,
        }),
    ))
}

/// Get an API key.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = ApiKeyId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ApiKey), (status = 404, body = ErrorBody)))]
async fn get_key(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<Json<ApiKey>> {
    Ok(Json(visible_key(&state, &p, id).await?))
}

/// A caller outside every tenant but the platform administrator (a marketplace developer
/// or reviewer) sees only the keys it made.
fn own_keys_only(p: &Principal) -> Option<UserId> {
    (p.tenant_id.is_none() && p.role != Role::PlatformAdmin).then_some(p.user_id)
}

async fn visible_key(state: &AppState, p: &Principal, id: ApiKeyId) -> ApiResult<ApiKey> {
    match own_keys_only(p) {
        None => Ok(state.store.get_api_key(p.scope(), id).await?),
        Some(me) => {
            let key = state.store.get_api_key(Scope::All, id).await?;
            if key.created_by != me {
                return Err(Error::NotFound(Resource::ApiKey).into());
            }
            Ok(key)
        }
    }
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", params(("id" = ApiKeyId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ApiKey), (status = 404, body = ErrorBody)))]
async fn revoke_key(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<Json<ApiKey>> {
    let scope = match own_keys_only(&p) {
        Some(_) => {
            visible_key(&state, &p, id).await?;
            Scope::All
        }
        None => p.scope(),
    };
    Ok(Json(
        state.store.revoke_api_key(&p.actor(), scope, id).await?,
    ))
}
