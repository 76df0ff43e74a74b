//! Users. Tenant administrators manage their tenant's users; the platform administrator
//! manages everybody. Nobody can grant a role they could not hold themselves.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::{double_option, page_request};
use crate::security::{hash_password, random_token};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ironloom_core::auth::Role;
use ironloom_core::entity::{NewUser, Page, Resource, User, UserFilter, UserPatch};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::{TenantId, UserId};
use ironloom_core::repo::Scope;
use ironloom_core::validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(unlock_user))
        .routes(routes!(reset_password))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Substring of user name, display name or e-mail.
    q: Option<String>,
    role: Option<Role>,
    enabled: Option<bool>,
    /// Platform administrator only: the users of one tenant.
    tenant_id: Option<TenantId>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `username`, `role`, `created_at`, `last_login_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<User>), (status = 400, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<Page<User>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), None)?;
    let filter = UserFilter {
        tenant_id: q.tenant_id.map(Some),
        q: q.q,
        role: q.role,
        enabled: q.enabled,
    };
    Ok(Json(
        state.store.list_users(p.scope(), &filter, &page).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub username: String,
    /// Leave out to have one generated (returned once in the answer).
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub role: Role,
    /// Platform administrator only: the tenant of a tenant user.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserCreated {
    #[serde(flatten)]
    pub user: User,
    /// The generated password, shown only now; absent when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}

/// Decides the tenant of a new or changed user and checks the caller may grant the role.
fn placement(
    p: &Principal,
    role: Role,
    requested: Option<TenantId>,
) -> ApiResult<Option<TenantId>> {
    let not_allowed = |f: &str| ApiError::from(FieldError::new(f, FieldErrorKind::NotAllowed));
    match p.scope() {
        Scope::All => match (role, requested) {
            // Developers register themselves (POST /api/v1/market/register).
            (Role::Developer, _) => Err(not_allowed("role")),
            (Role::PlatformAdmin | Role::Reviewer, None) => Ok(None),
            (Role::PlatformAdmin | Role::Reviewer, Some(_)) => Err(not_allowed("tenant_id")),
            (_, None) => Err(FieldError::new("tenant_id", FieldErrorKind::Required).into()),
            (_, Some(t)) => Ok(Some(t)),
        },
        Scope::Tenant(own) => {
            if !role.is_tenant_role() {
                return Err(not_allowed("role"));
            }
            match requested {
                None => Ok(Some(own)),
                Some(t) if t == own => Ok(Some(own)),
                // Another tenant's id is answered as if it did not exist.
                Some(_) => Err(FieldError::new(
                    "tenant_id",
                    FieldErrorKind::UnknownReference(Resource::Tenant),
                )
                .into()),
            }
        }
    }
}

fn check_profile(display_name: Option<&str>, email: Option<&str>) -> ApiResult<()> {
    if let Some(d) = display_name {
        validate::text("display_name", d, validate::MAX_NAME_LEN)?;
    }
    if let Some(e) = email {
        validate::email("email", e)?;
    }
    Ok(())
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = UserCreated), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<(StatusCode, Json<UserCreated>)> {
    validate::identifier("username", &input.username, 64)?;
    check_profile(input.display_name.as_deref(), input.email.as_deref())?;
    let tenant_id = placement(&p, input.role, input.tenant_id)?;
    if let Some(t) = tenant_id {
        // The platform admin may name any tenant, but it has to exist.
        state.store.get_tenant(t).await.map_err(|e| match e {
            Error::NotFound(_) => ApiError::from(FieldError::new(
                "tenant_id",
                FieldErrorKind::UnknownReference(Resource::Tenant),
            )),
            other => other.into(),
        })?;
    }
    let (password, generated) = match input.password {
        Some(pw) => {
            validate::password("password", &pw)?;
            (pw, None)
        }
        None => {
            let pw = random_token(16);
            (pw.clone(), Some(pw))
        }
    };
    let user = state
        .store
        .create_user(
            &p.actor(),
            NewUser {
                tenant_id,
                username: input.username,
                display_name: input.display_name,
                email: input.email,
                role: input.role,
                password_hash: hash_password(password).await?,
                password_change_required: generated.is_some(),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserCreated {
            user,
            generated_password: generated,
        }),
    ))
}

/// Get a user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.get_user(p.scope(), id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchInput {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Change a user's profile, role or whether they may log in.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = UserId, Path)),
    request_body = UserPatchInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(input): ApiJson<UserPatchInput>,
) -> ApiResult<Json<User>> {
    let current = state.store.get_user(p.scope(), id).await?;
    check_profile(
        input.display_name.clone().flatten().as_deref(),
        input.email.clone().flatten().as_deref(),
    )?;
    if let Some(role) = input.role {
        // A role change may not move the user across the platform/tenant line.
        if role.is_tenant_role() != current.role.is_tenant_role()
            || (role == Role::Developer) != (current.role == Role::Developer)
        {
            return Err(FieldError::new("role", FieldErrorKind::NotAllowed).into());
        }
        placement(&p, role, current.tenant_id)?;
    }
    // Locking oneself out (or demoting oneself) is a mistake, not an operation.
    if id == p.user_id {
        if input.enabled == Some(false) {
            return Err(FieldError::new("enabled", FieldErrorKind::NotAllowed).into());
        }
        if input.role.is_some_and(|r| r != current.role) {
            return Err(FieldError::new("role", FieldErrorKind::NotAllowed).into());
        }
    }
    let patch = UserPatch {
        display_name: input.display_name,
        email: input.email,
        role: input.role,
        enabled: input.enabled,
        ..Default::default()
    };
    Ok(Json(
        state
            .store
            .update_user(&p.actor(), p.scope(), id, patch)
            .await?,
    ))
}

/// Delete a user (and the API keys they created).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    if id == p.user_id {
        return Err(FieldError::new("id", FieldErrorKind::NotAllowed).into());
    }
    state.store.delete_user(&p.actor(), p.scope(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a lock-out after repeated failed log-ins.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = UserId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn unlock_user(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<User>> {
    let patch = UserPatch {
        unlock: true,
        ..Default::default()
    };
    Ok(Json(
        state
            .store
            .update_user(&p.actor(), p.scope(), id, patch)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// Leave out to have one generated (returned once).
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordReset {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}

/// Set a new password for a user (administrators); the user's sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = UserId, Path)),
    request_body = ResetPassword, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PasswordReset), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(input): ApiJson<ResetPassword>,
) -> ApiResult<Json<PasswordReset>> {
    state.store.get_user(p.scope(), id).await?;
    let (password, generated) = match input.password {
        Some(pw) => {
            validate::password("password", &pw)?;
            (pw, None)
        }
        None => {
            let pw = random_token(16);
            (pw.clone(), Some(pw))
        }
    };
    let patch = UserPatch {
        password_hash: Some(hash_password(password).await?),
        password_change_required: Some(true),
        unlock: true,
        ..Default::default()
    };
    state
        .store
        .update_user(&p.actor(), p.scope(), id, patch)
        .await?;
    Ok(Json(PasswordReset {
        generated_password: generated,
    }))
}
