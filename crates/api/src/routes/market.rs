//! The marketplace's developer side and its review: developer accounts (self-registration,
//! or a tenant's user who also develops), submissions (upload → automated checks with a
//! report → review queue), the reviewers' decisions (verify developers; approve a
//! submission, which the platform signs and releases on its channel, or reject it with
//! comments) and the signing keys (rotation, revocation). The store side, where tenants
//! find releases and install them, is `market_store`.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, BodyLimit, read_body};
use crate::params::page_request;
use crate::security::hash_password;
use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use ironloom_apps::checks::{
    FixtureRunner, StoreLimits, fixture_check, permissions_called, static_checks,
};
use ironloom_apps::signing::{self, KeyEncryptionKey};
use ironloom_core::auth::Role;
use ironloom_core::entity::{Actor, NewUser, Page, Resource};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::{DeveloperId, SubmissionId};
use ironloom_core::market::*;
use ironloom_core::validate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the marketplace needs besides the store: the key that seals the signing keys,
/// the runner of fixture tests and the store's limits.
pub struct Market {
    pub kek: KeyEncryptionKey,
    pub fixtures: Arc<dyn FixtureRunner>,
    pub limits: StoreLimits,
    /// The catalogue's index, rebuilt every few seconds.
    pub catalogue: super::market_catalogue::CatalogueCache,
    /// The platform's fee on orders, in basis points.
    pub fee_bp: i64,
    /// Requests to the developer API, counted per developer and month.
    pub calls: super::market_stats::ApiMeter,
}

impl Market {
    pub fn new(kek: KeyEncryptionKey, fixtures: Arc<dyn FixtureRunner>) -> Market {
        Market {
            kek,
            fixtures,
            limits: StoreLimits::default(),
            catalogue: Default::default(),
            fee_bp: ironloom_core::trade::DEFAULT_FEE_BP,
            calls: Default::default(),
        }
    }
}

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market")
            .field("limits", &self.limits)
            .finish()
    }
}

/// The calling developer's account, found by the authorisation middleware for routes of
/// `Access::Developer`.
#[derive(Debug, Clone)]
pub struct DeveloperCaller(pub Developer);

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(register_developer))
        .routes(routes!(my_developer, become_developer))
        .routes(routes!(my_submissions, submit))
        .routes(routes!(my_submission))
        .routes(routes!(withdraw))
        .routes(routes!(review_developers))
        .routes(routes!(review_developer))
        .routes(routes!(review_queue))
        .routes(routes!(review_submission))
        .routes(routes!(review_package))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(signing_keys))
        .routes(routes!(rotate_signing_key))
        .routes(routes!(revoke_signing_key))
}

pub(crate) fn market(state: &AppState) -> Result<&Market, Error> {
    state.market.as_deref().ok_or(Error::Overloaded(
        "the marketplace does not run in this process",
    ))
}

pub(crate) fn field(name: &str, en: impl Into<String>, zh: impl Into<String>) -> ApiError {
    FieldError::new(
        name,
        FieldErrorKind::Other {
            en: en.into(),
            zh: zh.into(),
        },
    )
    .into()
}

fn comment(name: &str, c: Option<String>, required: bool) -> ApiResult<Option<String>> {
    match c.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()) {
        None if required => Err(FieldError::new(name, FieldErrorKind::Required).into()),
        None => Ok(None),
        Some(c) if c.chars().count() > MAX_COMMENT_LEN => Err(field(
            name,
            format!("is longer than {MAX_COMMENT_LEN} characters"),
            format!("超过 {MAX_COMMENT_LEN} 个字符"),
        )),
        Some(c) => Ok(Some(c)),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Shown as the publisher of the developer's apps; unique.
    pub name: String,
    pub email: String,
    pub organisation: Option<String>,
    pub website: Option<String>,
}

fn check_profile(p: &Profile) -> ApiResult<()> {
    validate::text("name", &p.name, validate::MAX_NAME_LEN)?;
    validate::email("email", &p.email)?;
    if let Some(o) = &p.organisation {
        validate::text("organisation", o, validate::MAX_NAME_LEN)?;
    }
    if let Some(w) = &p.website {
        validate::text("website", w, 256)?;
        if !(w.starts_with("https://") || w.starts_with("http://")) {
            return Err(field(
                "website",
                "must be an http:// or https:// address",
                "必须是 http:// 或 https:// 地址",
            ));
        }
    }
    Ok(())
}

fn new_developer(user: ironloom_core::ids::UserId, p: Profile) -> NewDeveloper {
    NewDeveloper {
        user_id: user,
        name: p.name.trim().to_string(),
        email: p.email,
        organisation: p.organisation,
        website: p.website,
        first_party: false,
        status: DeveloperStatus::Pending,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The log-in name (letters, digits, `-`, `_`, `.`); unique on the platform.
    pub username: String,
    pub password: String,
    #[serde(flatten)]
    pub profile: Profile,
}

/// Register as a developer (no account needed): makes a log-in of role `developer` and
/// its developer account, which a platform reviewer verifies before it may publish.
#[utoipa::path(post, path = "/api/v1/market/register", tag = "market",
    request_body = Registration,
    responses((status = 201, body = Developer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_developer(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<Registration>,
) -> ApiResult<(StatusCode, Json<Developer>)> {
    validate::identifier("username", &input.username, 64)?;
    validate::password("password", &input.password)?;
    check_profile(&input.profile)?;
    // A log-in name used anywhere would make log-in without a tenant ambiguous.
    if !state
        .store
        .find_users_by_username(&input.username)
        .await?
        .is_empty()
    {
        return Err(Error::AlreadyExists {
            resource: Resource::User,
            field: "username",
            value: input.username,
        }
        .into());
    }
    let actor = Actor::system("developer registration");
    let user = state
        .store
        .create_user(
            &actor,
            NewUser {
                tenant_id: None,
                username: input.username.clone(),
                display_name: Some(input.profile.name.clone()),
                email: Some(input.profile.email.clone()),
                role: Role::Developer,
                password_hash: hash_password(input.password).await?,
                password_change_required: false,
            },
        )
        .await?;
    match state
        .store
        .create_developer(&actor, new_developer(user.id, input.profile))
        .await
    {
        Ok(d) => Ok((StatusCode::CREATED, Json(d))),
        Err(e) => {
            // No log-in without its account: the name was taken, say.
            let _ = state
                .store
                .delete_user(&actor, ironloom_core::repo::Scope::All, user.id)
                .await;
            Err(e.into())
        }
    }
}

/// The caller's developer account.
#[utoipa::path(get, path = "/api/v1/market/developer", tag = "market",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Developer), (status = 403, body = ErrorBody)))]
async fn my_developer(
    Extension(DeveloperCaller(d)): Extension<DeveloperCaller>,
) -> Json<Developer> {
    Json(d)
}

/// Open a developer account for the caller (a tenant's user who also develops); a platform
/// reviewer verifies it.
#[utoipa::path(post, path = "/api/v1/market/developer", tag = "market", request_body = Profile,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Developer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn become_developer(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<Profile>,
) -> ApiResult<(StatusCode, Json<Developer>)> {
    check_profile(&input)?;
    if state.store.developer_of_user(p.user_id).await?.is_some() {
        return Err(Error::AlreadyExists {
            resource: Resource::Developer,
            field: "user_id",
            value: p.username.clone(),
        }
        .into());
    }
    let d = state
        .store
        .create_developer(&p.actor(), new_developer(p.user_id, input))
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubmissionQuery {
    status: Option<SubmissionStatus>,
    app_id: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    sort: Option<String>,
}

fn submission_page(
    q: SubmissionQuery,
    developer: Option<DeveloperId>,
) -> ApiResult<(
    SubmissionFilter,
    ironloom_core::entity::PageRequest<ironloom_core::entity::SubmissionSort>,
)> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("-created_at"))?;
    Ok((
        SubmissionFilter {
            developer_id: developer,
            status: q.status,
            app_id: q.app_id,
        },
        page,
    ))
}

/// The caller's submissions, newest first.
#[utoipa::path(get, path = "/api/v1/market/submissions", tag = "market", params(SubmissionQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Submission>)))]
async fn my_submissions(
    State(state): State<AppState>,
    Extension(DeveloperCaller(d)): Extension<DeveloperCaller>,
    ApiQuery(q): ApiQuery<SubmissionQuery>,
) -> ApiResult<Json<Page<Submission>>> {
    let (filter, page) = submission_page(q, Some(d.id))?;
    Ok(Json(state.store.list_submissions(&filter, &page).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubmitQuery {
    /// `stable` (default) or `beta`.
    channel: Option<Channel>,
    /// What changed in this version (else the package's CHANGELOG.md, if any).
    changelog: Option<String>,
}

/// Submit a package (the file as the body) for release. The automated checks run at once
/// in the background: poll the submission for its report. A submission that passes them
/// waits for a reviewer.
#[utoipa::path(post, path = "/api/v1/market/submissions", tag = "market", params(SubmitQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 202, body = Submission), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn submit(
    State(state): State<AppState>,
    Extension(DeveloperCaller(d)): Extension<DeveloperCaller>,
    Extension(crate::error::RequestLocale(locale)): Extension<crate::error::RequestLocale>,
    p: Principal,
    ApiQuery(q): ApiQuery<SubmitQuery>,
    mut req: Request,
) -> ApiResult<(StatusCode, Json<Submission>)> {
    let m = market(&state)?;
    if d.status != DeveloperStatus::Verified {
        return Err(field(
            "developer",
            format!(
                "the developer account is {}: a platform reviewer must verify it before it may submit",
                d.status.as_str()
            ),
            format!(
                "开发者账号状态为 {}：须经平台审核员认证后才能提交",
                d.status.as_str()
            ),
        ));
    }
    let changelog = comment("changelog", q.changelog, false)?;
    req.extensions_mut()
        .insert(BodyLimit(m.limits.max_package_bytes));
    let bytes = read_body(req).await?;
    // What identifies the submission comes from the package; everything else is checked
    // in the background, with a report.
    let limits = super::apps::host(&state)?.limits();
    let pkg = ironloom_apps::AppPackage::read(&bytes, &limits, None).map_err(|e| match e {
        ironloom_apps::PackageError::Invalid(problems) => {
            super::apps::refused(&problems, locale, "应用包")
        }
        other => Error::invalid(
            "package",
            FieldErrorKind::Other {
                en: other.to_string(),
                zh: "不是应用包（gzip 压缩的 tar 文件）".into(),
            },
        ),
    })?;
    let changelog = changelog.or_else(|| {
        pkg.files.get("CHANGELOG.md").map(|b| {
            String::from_utf8_lossy(b)
                .chars()
                .take(MAX_COMMENT_LEN)
                .collect()
        })
    });
    let sub = Submission::checking(
        &d,
        pkg.manifest.clone(),
        pkg.digest.clone(),
        bytes.len() as u64,
        q.channel.unwrap_or(Channel::Stable),
        changelog,
    );
    let stored = state
        .store
        .create_submission(&p.actor(), &sub, &bytes)
        .await?;
    tokio::spawn(run_checks(state.clone(), stored.id, bytes.to_vec()));
    Ok((StatusCode::ACCEPTED, Json(stored)))
}

/// Runs every automated check of a submission and stores the report.
pub async fn run_checks(state: AppState, id: SubmissionId, bytes: Vec<u8>) {
    let report = match check_report(&state, bytes).await {
        Ok(r) => r,
        Err(e) => {
            // The developer sees why instead of a submission checking for ever.
            tracing::warn!(submission = %id, error = %e, "submission checks could not run");
            CheckReport::new(
                vec![CheckResult {
                    id: "pipeline".into(),
                    title: LocalText::new("The checks could run", "检查流程可以运行"),
                    outcome: CheckOutcome::Failed,
                    details: vec![format!(
                        "the checks could not run: {}; submit the package again",
                        e.message(ironloom_core::i18n::Locale::En)
                    )],
                    took_ms: 0,
                }],
                0,
                chrono::Utc::now(),
            )
        }
    };
    if let Err(e) = state.store.finish_checks(id, &report).await {
        tracing::warn!(submission = %id, error = %e, "check report not stored");
    }
}

async fn check_report(state: &AppState, bytes: Vec<u8>) -> Result<CheckReport, Error> {
    let m = market(state)?;
    let host = super::apps::host(state)?.clone();
    let limits = m.limits;
    let t = std::time::Instant::now();
    let (mut checks, pkg) = tokio::task::spawn_blocking(move || {
        static_checks(&bytes, host.engine(), &host.limits(), &limits)
    })
    .await
    .map_err(|e| Error::storage("run submission checks", e))?;
    match pkg {
        Some(pkg) if checks.iter().all(|c| c.outcome != CheckOutcome::Failed) => {
            let (fixtures, denied) = fixture_check(&pkg, m.fixtures.as_ref(), &limits).await;
            permissions_called(&mut checks, &pkg, &denied);
            checks.push(fixtures);
        }
        _ => checks.push(CheckResult {
            id: "fixtures".into(),
            title: LocalText::new("Fixture tests pass in the sandbox", "沙箱中夹具测试通过"),
            outcome: CheckOutcome::Skipped,
            details: vec!["not run: an earlier check failed".into()],
            took_ms: 0,
        }),
    }
    Ok(CheckReport::new(
        checks,
        u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
        chrono::Utc::now(),
    ))
}

/// Submissions whose checks were cut short (the server stopped) run them again.
pub async fn resume_checks(state: AppState) {
    let filter = SubmissionFilter {
        status: Some(SubmissionStatus::Checking),
        ..Default::default()
    };
    let page = match page_request(Some(1), Some(100), None, None) {
        Ok(p) => p,
        Err(_) => return,
    };
    let Ok(open) = state.store.list_submissions(&filter, &page).await else {
        return;
    };
    for s in open.items {
        match state.store.submission_bytes(s.id).await {
            Ok(bytes) => run_checks(state.clone(), s.id, bytes).await,
            Err(e) => tracing::warn!(submission = %s.id, error = %e, "submission not read"),
        }
    }
}

async fn own_submission(
    state: &AppState,
    d: &Developer,
    id: SubmissionId,
) -> ApiResult<Submission> {
    let s = state.store.get_submission(id).await?;
    if s.developer_id != d.id {
        // Another developer's submission does not exist for this one.
        return Err(Error::NotFound(Resource::Submission).into());
    }
    Ok(s)
}

/// One of the caller's submissions, with its check report and the review's comments.
#[utoipa::path(get, path = "/api/v1/market/submissions/{id}", tag = "market",
    params(("id" = SubmissionId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Submission), (status = 404, body = ErrorBody)))]
async fn my_submission(
    State(state): State<AppState>,
    Extension(DeveloperCaller(d)): Extension<DeveloperCaller>,
    ApiPath(id): ApiPath<SubmissionId>,
) -> ApiResult<Json<Submission>> {
    Ok(Json(own_submission(&state, &d, id).await?))
}

/// Take a submission back before a decision.
#[utoipa::path(post, path = "/api/v1/market/submissions/{id}/withdraw", tag = "market",
    params(("id" = SubmissionId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Submission), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn withdraw(
    State(state): State<AppState>,
    Extension(DeveloperCaller(d)): Extension<DeveloperCaller>,
    p: Principal,
    ApiPath(id): ApiPath<SubmissionId>,
) -> ApiResult<Json<Submission>> {
    own_submission(&state, &d, id).await?;
    let s = state
        .store
        .close_submission(&p.actor(), id, SubmissionStatus::Withdrawn, None)
        .await?;
    Ok(Json(s))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeveloperQuery {
    status: Option<DeveloperStatus>,
    q: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    sort: Option<String>,
}

/// Developer accounts, for verification (`?status=pending` is the queue).
#[utoipa::path(get, path = "/api/v1/market/review/developers", tag = "market",
    params(DeveloperQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Developer>)))]
async fn review_developers(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DeveloperQuery>,
) -> ApiResult<Json<Page<Developer>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), None)?;
    let filter = DeveloperFilter {
        status: q.status,
        q: q.q,
    };
    Ok(Json(state.store.list_developers(&filter, &page).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeveloperDecision {
    /// `verified`, `rejected` or `suspended`.
    pub status: DeveloperStatus,
    /// Required to reject or suspend.
    pub comment: Option<String>,
}

/// Verify, reject or suspend a developer account.
#[utoipa::path(post, path = "/api/v1/market/review/developers/{id}", tag = "market",
    params(("id" = DeveloperId, Path)), request_body = DeveloperDecision,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Developer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn review_developer(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeveloperId>,
    ApiJson(input): ApiJson<DeveloperDecision>,
) -> ApiResult<Json<Developer>> {
    if input.status == DeveloperStatus::Pending {
        return Err(field(
            "status",
            "must be verified, rejected or suspended",
            "必须是 verified、rejected 或 suspended",
        ));
    }
    let c = comment(
        "comment",
        input.comment,
        input.status != DeveloperStatus::Verified,
    )?;
    let d = state
        .store
        .review_developer(&p.actor(), id, input.status, c)
        .await?;
    Ok(Json(d))
}

/// Submissions for review (`?status=in_review`, the default, is the queue), oldest first.
#[utoipa::path(get, path = "/api/v1/market/review/submissions", tag = "market",
    params(SubmissionQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Submission>)))]
async fn review_queue(
    State(state): State<AppState>,
    ApiQuery(mut q): ApiQuery<SubmissionQuery>,
) -> ApiResult<Json<Page<Submission>>> {
    q.status = q.status.or(Some(SubmissionStatus::InReview));
    let sort = q.sort.take().unwrap_or_else(|| "created_at".into());
    q.sort = Some(sort);
    let (filter, page) = submission_page(q, None)?;
    Ok(Json(state.store.list_submissions(&filter, &page).await?))
}

/// A submission with its report, for the reviewer.
#[utoipa::path(get, path = "/api/v1/market/review/submissions/{id}", tag = "market",
    params(("id" = SubmissionId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Submission), (status = 404, body = ErrorBody)))]
async fn review_submission(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SubmissionId>,
) -> ApiResult<Json<Submission>> {
    Ok(Json(state.store.get_submission(id).await?))
}

/// The submitted package's bytes, for the reviewer to inspect.
#[utoipa::path(get, path = "/api/v1/market/review/submissions/{id}/package", tag = "market",
    params(("id" = SubmissionId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn review_package(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SubmissionId>,
) -> ApiResult<Response> {
    let s = state.store.get_submission(id).await?;
    let bytes = state.store.submission_bytes(id).await?;
    Ok(package_response(&s.app_id, &s.version, bytes))
}

pub(crate) fn package_response(app_id: &str, version: &str, bytes: Vec<u8>) -> Response {
    let name = format!("{app_id}-{version}.ilapp").replace(['"', '\\', '/'], "_");
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .body(Body::from(bytes))
        .unwrap_or_default()
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub comment: Option<String>,
}

/// Approve a submission in review: the platform signs the package with its active key
/// (making the first key if there is none) and releases it on the submission's channel.
#[utoipa::path(post, path = "/api/v1/market/review/submissions/{id}/approve", tag = "market",
    params(("id" = SubmissionId, Path)), request_body = Decision,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Release), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn approve(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(input): ApiJson<Decision>,
) -> ApiResult<(StatusCode, Json<Release>)> {
    let c = comment("comment", input.comment, false)?;
    let r = approve_submission(&state, &p.actor(), id, c).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Signs and releases a submission in review (the reviewer's approval, and the demo's).
pub async fn approve_submission(
    state: &AppState,
    actor: &Actor,
    id: SubmissionId,
    comment: Option<String>,
) -> ApiResult<Release> {
    let m = market(state)?;
    let sub = state.store.get_submission(id).await?;
    if sub.status != SubmissionStatus::InReview {
        return Err(field(
            "status",
            format!(
                "the submission is {}; only a submission in review can be approved",
                sub.status.as_str()
            ),
            format!(
                "该提交的状态为 {}，只有待审核的提交才能批准",
                sub.status.as_str()
            ),
        ));
    }
    let key = match state.store.active_signing_key().await? {
        Some(k) => k,
        None => {
            let k = signing::new_key(&m.kek).map_err(sign_error)?;
            state.store.rotate_signing_key(actor, &k).await?;
            k
        }
    };
    let bytes = state.store.submission_bytes(id).await?;
    let limits = super::apps::host(state)?.limits();
    let pkg = ironloom_apps::AppPackage::read(&bytes, &limits, None)
        .map_err(|e| Error::storage("read submitted package", e.to_string()))?;
    let signed = signing::sign_package(&pkg, &key, &m.kek).map_err(sign_error)?;
    let release = Release {
        app_id: sub.app_id.clone(),
        version: sub.version.clone(),
        channel: sub.channel,
        developer_id: sub.developer_id,
        developer: sub.developer.clone(),
        submission_id: id,
        digest: pkg.digest.clone(),
        key_id: key.key.key_id.clone(),
        size: signed.len() as u64,
        manifest: pkg.manifest,
        changelog: sub.changelog.clone(),
        released_at: chrono::Utc::now(),
    };
    let r = state
        .store
        .release_submission(actor, id, &release, &signed, comment)
        .await?;
    m.catalogue.invalidate();
    Ok(r)
}

fn sign_error(e: signing::SignatureError) -> ApiError {
    field("signature", e.to_string(), e.zh())
}

/// Reject a submission in review, saying why.
#[utoipa::path(post, path = "/api/v1/market/review/submissions/{id}/reject", tag = "market",
    params(("id" = SubmissionId, Path)), request_body = Decision,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Submission), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(input): ApiJson<Decision>,
) -> ApiResult<Json<Submission>> {
    let c = comment("comment", input.comment, true)?;
    let s = state
        .store
        .close_submission(&p.actor(), id, SubmissionStatus::Rejected, c)
        .await?;
    Ok(Json(s))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeys {
    pub keys: Vec<SigningKey>,
}

/// The platform's package signing keys (public halves): anyone may verify a package.
#[utoipa::path(get, path = "/api/v1/market/signing-keys", tag = "market",
    responses((status = 200, body = SigningKeys)))]
async fn signing_keys(State(state): State<AppState>) -> ApiResult<Json<SigningKeys>> {
    Ok(Json(SigningKeys {
        keys: state.store.list_signing_keys().await?,
    }))
}

/// Make a new signing key the active one; the old one is retired (what it signed still
/// verifies).
#[utoipa::path(post, path = "/api/v1/market/signing-keys/rotate", tag = "market",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = SigningKey)))]
async fn rotate_signing_key(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<(StatusCode, Json<SigningKey>)> {
    let m = market(&state)?;
    let k = signing::new_key(&m.kek).map_err(sign_error)?;
    let k = state.store.rotate_signing_key(&p.actor(), &k).await?;
    Ok((StatusCode::CREATED, Json(k)))
}

/// Revoke a signing key: every package it signed is refused from now on (releases signed
/// with it must be submitted and approved again).
#[utoipa::path(post, path = "/api/v1/market/signing-keys/{key_id}/revoke", tag = "market",
    params(("key_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = SigningKey), (status = 404, body = ErrorBody)))]
async fn revoke_signing_key(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(key_id): ApiPath<String>,
) -> ApiResult<Json<SigningKey>> {
    Ok(Json(
        state.store.revoke_signing_key(&p.actor(), &key_id).await?,
    ))
}
