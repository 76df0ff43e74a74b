//! Identifier resolution (标识解析) over HTTP, for the tenant that registers: its prefixes
//! (a prefix belongs to one tenant platform-wide), metadata templates (the shipped ones
//! and its own, versioned), identifiers registered one by one or in batches of up to
//! 2000 (values in the Handle.Net REST JSON form, validated against the template), links
//! between identifiers and the trace along them. A handle in a path is one segment: its
//! `/` is sent as `%2F` (`/api/v1/identifiers/88.118.8%2FP-1`).
//!
//! Resolution for everybody (the Handle.Net REST API and the native protocol) is in
//! `handles`.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, RequestLocale};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use chrono::Utc;
use ironloom_core::entity::{Page, Resource};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::identifier::*;
use ironloom_core::ids::TenantId;
use ironloom_core::market::LocalText;
use ironloom_identifiers::{Handle, HandleValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most identifiers in one batch request (as the SNMS API allows).
pub const MAX_BATCH: usize = 2000;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_prefixes, create_prefix))
        .routes(routes!(delete_prefix))
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template))
        .routes(routes!(public_template))
        .routes(routes!(list_identifiers, register_identifier))
        .routes(routes!(register_batch))
        .routes(routes!(
            get_identifier,
            update_identifier,
            delete_identifier
        ))
        .routes(routes!(resolution_stats))
}

// ---------------------------------------------------------------------------------------
// Prefixes

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixInput {
    /// `88.118.8`, `86.1000.12`, `20.500.12345`: dot-separated segments.
    pub prefix: String,
    pub name: String,
}

/// The tenant's prefixes, with how many identifiers each holds.
#[utoipa::path(get, path = "/api/v1/identifier-prefixes", tag = "identifiers",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<IdPrefix>)))]
async fn list_prefixes(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<IdPrefix>>> {
    Ok(Json(state.store.list_prefixes(p.tenant()?).await?))
}

/// Take a prefix for the tenant: 409 `held_by_another_tenant` when another tenant holds
/// it, 409 `already_exists` when this one does.
#[utoipa::path(post, path = "/api/v1/identifier-prefixes", tag = "identifiers",
    request_body = PrefixInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = IdPrefix), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_prefix(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<PrefixInput>,
) -> ApiResult<(StatusCode, Json<IdPrefix>)> {
    let tenant = p.tenant()?;
    ironloom_identifiers::handle::check_prefix(&input.prefix).map_err(|e| {
        FieldError::new(
            "prefix",
            FieldErrorKind::Other {
                en: e.to_string(),
                zh: "前缀须为以点分隔的字母数字段（如 88.118.8）".into(),
            },
        )
    })?;
    ironloom_core::validate::text("name", &input.name, 128)?;
    let prefix = input.prefix.to_ascii_uppercase();
    match state.store.prefix_owner(&prefix).await? {
        Some(owner) if owner != tenant => {
            return Err(Error::HeldByAnotherTenant {
                resource: Resource::IdPrefix,
                value: prefix,
            }
            .into());
        }
        _ => {}
    }
    let made = state
        .store
        .create_prefix(
            &p.actor(),
            &IdPrefix {
                prefix,
                tenant_id: tenant,
                name: input.name.trim().to_string(),
                identifiers: 0,
                created_at: Utc::now(),
            },
        )
        .await?;
    state.resolver.forget_prefix(&made.prefix);
    Ok((StatusCode::CREATED, Json(made)))
}

/// Give a prefix up (refused while identifiers are registered under it).
#[utoipa::path(delete, path = "/api/v1/identifier-prefixes/{prefix}", tag = "identifiers",
    params(("prefix" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_prefix(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(prefix): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_prefix(&p.actor(), p.tenant()?, &prefix)
        .await?;
    state.resolver.forget_prefix(&prefix);
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Templates

/// Makes the shipped templates the store does not have yet (at start).
pub async fn ship_identifier_templates(state: &AppState) -> Result<(), Error> {
    let actor = ironloom_core::entity::Actor::system("identifier templates");
    for t in shipped_templates() {
        match state.store.get_template(&t.id, &t.version).await {
            Ok(_) => {}
            Err(Error::NotFound(_)) => match state.store.create_template(&actor, &t).await {
                Ok(_) | Err(Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The shipped templates and the tenant's own.
#[utoipa::path(get, path = "/api/v1/identifier-templates", tag = "identifiers",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<IdTemplate>)))]
async fn list_templates(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<IdTemplate>>> {
    Ok(Json(state.store.list_templates(Some(p.tenant()?)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub id: String,
    pub version: String,
    pub name: LocalText,
    #[serde(default = "no_description")]
    pub description: LocalText,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub active_carrier: bool,
    pub fields: Vec<TemplateField>,
}

fn no_description() -> LocalText {
    LocalText::new("", "")
}

/// A new template, or a new version of one of the tenant's templates (a version once
/// made does not change).
#[utoipa::path(post, path = "/api/v1/identifier-templates", tag = "identifiers",
    request_body = TemplateInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = IdTemplate), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_template(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<(StatusCode, Json<IdTemplate>)> {
    let tenant = p.tenant()?;
    for (field, text) in [("name.en", &input.name.en), ("name.zh-CN", &input.name.zh)] {
        ironloom_core::validate::text(field, text, 128)?;
    }
    let t = IdTemplate {
        id: input.id,
        version: input.version,
        tenant_id: Some(tenant),
        shipped: false,
        name: input.name,
        description: input.description,
        industry: input.industry,
        active_carrier: input.active_carrier,
        fields: input.fields,
        created_at: Utc::now(),
    };
    t.check()?;
    let made = state.store.create_template(&p.actor(), &t).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// One version of a template the tenant may use.
#[utoipa::path(get, path = "/api/v1/identifier-templates/{id}/{version}", tag = "identifiers",
    params(("id" = String, Path), ("version" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = IdTemplate), (status = 404, body = ErrorBody)))]
async fn get_template(
    State(state): State<AppState>,
    p: Principal,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<IdTemplate>> {
    Ok(Json(
        usable_template(&state, p.tenant()?, &id, &version).await?,
    ))
}

/// The public fields of a template version, for anybody showing a resolved identifier
/// (its values' labels and units): the identifier names its template at index 1001.
/// Fields that are not public are left out.
#[utoipa::path(get, path = "/api/v1/shared/identifier-templates/{id}/{version}", tag = "identifiers",
    params(("id" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = IdTemplate), (status = 404, body = ErrorBody)))]
async fn public_template(
    State(state): State<AppState>,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<IdTemplate>> {
    let mut t = state.store.get_template(&id, &version).await?;
    t.fields.retain(|f| f.public);
    Ok(Json(t))
}

/// A template the tenant may register with: shipped, or its own.
pub(crate) async fn usable_template(
    state: &AppState,
    tenant: TenantId,
    id: &str,
    version: &str,
) -> ApiResult<IdTemplate> {
    let t = state.store.get_template(id, version).await?;
    if t.tenant_id.is_some_and(|o| o != tenant) {
        return Err(Error::NotFound(Resource::IdTemplate).into());
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------
// Identifiers

/// An identifier as the API shows it: its values in the Handle.Net REST JSON form.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierView {
    pub handle: String,
    pub prefix: String,
    pub template: Option<TemplateRef>,
    /// `[{"index", "type", "data": {"format", "value"}, "ttl", "timestamp", "permissions"}]`.
    #[schema(value_type = Vec<Object>)]
    pub values: Vec<Value>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl From<&IdentifierRecord> for IdentifierView {
    fn from(r: &IdentifierRecord) -> Self {
        IdentifierView {
            handle: r.handle.clone(),
            prefix: r.prefix.clone(),
            template: r.template.clone(),
            values: r.values.iter().map(HandleValue::to_rest_json).collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IdentifierQuery {
    prefix: Option<String>,
    /// Handles containing this text.
    q: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `handle` (default), `created_at`, `updated_at`, `-` for descending.
    sort: Option<String>,
}

/// The tenant's identifiers.
#[utoipa::path(get, path = "/api/v1/identifiers", tag = "identifiers", params(IdentifierQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<IdentifierView>)))]
async fn list_identifiers(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<IdentifierQuery>,
) -> ApiResult<Json<Page<IdentifierView>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("handle"))?;
    let found = state
        .store
        .list_identifiers(p.tenant()?, q.prefix.as_deref(), q.q.as_deref(), &page)
        .await?;
    Ok(Json(Page {
        items: found.items.iter().map(IdentifierView::from).collect(),
        total: found.total,
        page: found.page,
        page_size: found.page_size,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifierInput {
    /// `prefix/suffix` under one of the tenant's prefixes.
    pub handle: String,
    /// The template the values follow (id and version), if any.
    #[serde(default)]
    pub template: Option<TemplateRef>,
    /// Values in the Handle.Net REST form; `data` may be a bare string. A value of a
    /// template field is public when the field says so; others are public unless they
    /// say `"permissions"` without public read.
    #[schema(value_type = Vec<Object>)]
    pub values: Vec<Value>,
}

/// What a request has looked up already: whether each prefix is the tenant's, and the
/// templates (a batch of 2000 reads each once).
#[derive(Default)]
pub(crate) struct Lookups {
    prefixes: std::collections::HashMap<String, bool>,
    templates: std::collections::HashMap<(String, String), IdTemplate>,
}

impl Lookups {
    /// A template the tenant may register with, read once per request.
    pub(crate) async fn template(
        &mut self,
        state: &AppState,
        tenant: TenantId,
        t: &TemplateRef,
    ) -> ApiResult<&IdTemplate> {
        use std::collections::hash_map::Entry;
        // Borrowed, not copied: an import job checks a million rows with one template.
        match self.templates.entry((t.id.clone(), t.version.clone())) {
            Entry::Occupied(e) => Ok(e.into_mut()),
            Entry::Vacant(e) => {
                Ok(e.insert(usable_template(state, tenant, &t.id, &t.version).await?))
            }
        }
    }
}

/// Which of the resolution system's own (`HS_`) types a registration may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReservedTypes {
    /// None (this API: ownership is the prefix's tenant, not an `HS_ADMIN` value).
    Refused,
    /// `HS_ADMIN` only, kept as sent, for the Handle.Net REST API: its clients (pyhandle,
    /// CNRI's tools) put one in every record they register and send it back when they
    /// change one, so refusing it would refuse them. It is kept as data, it grants
    /// nothing here (who may change a record is still its prefix's tenant), and it names
    /// no secret. Keys (`HS_SECKEY`, `HS_PUBKEY`) and site values stay refused: the
    /// former would be published to every resolver, the latter would redirect them.
    AdminKept,
}

/// Checks an input and makes the record (not stored): the handle under one of the
/// tenant's prefixes, the values well formed and unique by index, the template's rules.
pub(crate) async fn record_of(
    state: &AppState,
    tenant: TenantId,
    input: IdentifierInput,
    at: &str,
    seen: &mut Lookups,
    reserved: ReservedTypes,
) -> ApiResult<IdentifierRecord> {
    let field = |f: &str| {
        if at.is_empty() {
            f.to_string()
        } else {
            format!("{at}.{f}")
        }
    };
    let handle = Handle::parse(input.handle.trim()).map_err(|e| {
        FieldError::new(
            field("handle"),
            FieldErrorKind::Other {
                en: e.to_string(),
                zh: "标识须为 前缀/后缀（如 88.118.8/P-0001）".into(),
            },
        )
    })?;
    let prefix = handle.prefix().to_ascii_uppercase();
    let mine = match seen.prefixes.get(&prefix) {
        Some(m) => *m,
        None => {
            let m = state.store.prefix_owner(&prefix).await? == Some(tenant);
            seen.prefixes.insert(prefix.clone(), m);
            m
        }
    };
    if !mine {
        return Err(FieldError::new(
            field("handle"),
            FieldErrorKind::Other {
                en: format!("{prefix} is not one of your prefixes"),
                zh: format!("{prefix} 不是本租户的前缀"),
            },
        )
        .into());
    }
    if input.values.len() > MAX_VALUES {
        return Err(
            FieldError::new(field("values"), FieldErrorKind::TooMany { max: MAX_VALUES }).into(),
        );
    }
    let template = match &input.template {
        Some(t) => Some(seen.template(state, tenant, t).await?),
        None => None,
    };
    let now = u32::try_from(Utc::now().timestamp()).unwrap_or(u32::MAX);
    let mut values = Vec::with_capacity(input.values.len());
    let mut seen = std::collections::HashSet::new();
    for (i, v) in input.values.iter().enumerate() {
        let mut value = HandleValue::from_rest_json(v).map_err(|e| {
            FieldError::new(
                field(&format!("values[{i}]")),
                FieldErrorKind::Other {
                    en: e.to_string(),
                    zh: "值的格式不对（index、type、data）".into(),
                },
            )
        })?;
        let kept = reserved == ReservedTypes::AdminKept
            && value.reserved_type() == Some(ironloom_identifiers::handle::ReservedType::Admin);
        if value.is_reserved_type() && !kept {
            // HS_ values are the resolution system's own.
            return Err(FieldError::new(
                field(&format!("values[{i}].type")),
                FieldErrorKind::Other {
                    en: "HS_ types are reserved for the resolution system".into(),
                    zh: "HS_ 开头的类型为解析系统保留".into(),
                },
            )
            .into());
        }
        if value.index == TEMPLATE_INDEX {
            return Err(FieldError::new(
                field(&format!("values[{i}].index")),
                FieldErrorKind::Other {
                    en: "index 1001 holds the template reference".into(),
                    zh: "索引 1001 用于模板引用".into(),
                },
            )
            .into());
        }
        if !seen.insert(value.index) {
            return Err(FieldError::new(
                field(&format!("values[{i}].index")),
                FieldErrorKind::Other {
                    en: format!("index {} is used twice", value.index),
                    zh: format!("索引 {} 重复", value.index),
                },
            )
            .into());
        }
        if let Some(f) = template.and_then(|t| t.field_of(&value.value_type)) {
            value.permissions.public_read = f.public;
        }
        if value.timestamp == 0 {
            value.timestamp = now;
        }
        values.push(value);
    }
    if let Some(t) = &template {
        t.validate(&values).map_err(|e| FieldError {
            field: field(&e.field),
            ..e
        })?;
    }
    values.sort_by_key(|v| v.index);
    let at_time = Utc::now();
    Ok(IdentifierRecord {
        handle: format!("{prefix}/{}", handle.suffix()),
        tenant_id: tenant,
        prefix,
        template: input.template,
        values,
        created_at: at_time,
        updated_at: at_time,
    })
}

/// Register an identifier.
#[utoipa::path(post, path = "/api/v1/identifiers", tag = "identifiers",
    request_body = IdentifierInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = IdentifierView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register_identifier(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<IdentifierInput>,
) -> ApiResult<(StatusCode, Json<IdentifierView>)> {
    let record = register_one(&state, &p, input, ReservedTypes::Refused).await?;
    Ok((StatusCode::CREATED, Json(IdentifierView::from(&record))))
}

/// Checks and registers one identifier (`AlreadyExists` when it exists).
pub(crate) async fn register_one(
    state: &AppState,
    p: &Principal,
    input: IdentifierInput,
    reserved: ReservedTypes,
) -> ApiResult<IdentifierRecord> {
    let tenant = p.tenant()?;
    let record = record_of(state, tenant, input, "", &mut Default::default(), reserved).await?;
    let out = state
        .store
        .create_identifiers(&p.actor(), tenant, std::slice::from_ref(&record))
        .await?;
    state.resolver.forget(&record.handle);
    if out.first() == Some(&BatchOutcome::Exists) {
        return Err(Error::AlreadyExists {
            resource: Resource::Identifier,
            field: "handle",
            value: record.handle,
        }
        .into());
    }
    Ok(record)
}

/// Refuses a batch of none or more than [`MAX_BATCH`] items.
pub(crate) fn check_batch_size(n: usize) -> ApiResult<()> {
    if n == 0 || n > MAX_BATCH {
        return Err(FieldError::new(
            "items",
            FieldErrorKind::OutOfRange {
                min: 1,
                max: MAX_BATCH as i64,
            },
        )
        .into());
    }
    Ok(())
}

/// What one item of a batch came to.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem {
    pub handle: String,
    /// `created`, `exists` or `invalid`.
    pub outcome: String,
    /// Why an item was refused.
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub created: u64,
    pub existing: u64,
    pub invalid: u64,
    pub items: Vec<BatchItem>,
}

/// Register up to 2000 identifiers; each is checked on its own (an invalid one is
/// reported and the others registered), one that exists is reported and left as it is.
#[utoipa::path(post, path = "/api/v1/identifier-batches", tag = "identifiers",
    request_body = Vec<IdentifierInput>, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = BatchResult), (status = 422, body = ErrorBody)))]
async fn register_batch(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiJson(inputs): ApiJson<Vec<IdentifierInput>>,
) -> ApiResult<Json<BatchResult>> {
    let items = inputs.into_iter().map(BatchInput::Input).collect();
    Ok(Json(
        register_many(&state, &p, locale, items, &mut Lookups::default()).await?,
    ))
}

/// An item of a batch: to register, or refused already by the API it came through (the
/// SNMS API's own rules), with the handle it named.
pub(crate) enum BatchInput {
    Input(IdentifierInput),
    Refused { handle: String, error: ApiError },
}

/// Registers up to [`MAX_BATCH`] identifiers, each checked on its own (through
/// [`record_of`]), in one store call; the outcome of each in the caller's language.
pub(crate) async fn register_many(
    state: &AppState,
    p: &Principal,
    locale: ironloom_core::i18n::Locale,
    inputs: Vec<BatchInput>,
    seen: &mut Lookups,
) -> ApiResult<BatchResult> {
    let tenant = p.tenant()?;
    check_batch_size(inputs.len())?;
    let mut items = Vec::with_capacity(inputs.len());
    let mut records = Vec::with_capacity(inputs.len());
    let mut slots = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        let (handle, made) = match input {
            BatchInput::Input(input) => (
                input.handle.clone(),
                record_of(
                    state,
                    tenant,
                    input,
                    &format!("[{i}]"),
                    seen,
                    ReservedTypes::Refused,
                )
                .await,
            ),
            BatchInput::Refused { handle, error } => (handle, Err(error)),
        };
        match made {
            Ok(r) => {
                slots.push(Some(records.len()));
                items.push(BatchItem {
                    handle: r.handle.clone(),
                    outcome: String::new(),
                    error: None,
                });
                records.push(r);
            }
            Err(e) => {
                slots.push(None);
                items.push(BatchItem {
                    handle,
                    outcome: "invalid".into(),
                    error: Some(e.message(locale)),
                });
            }
        }
    }
    let outcomes = if records.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .create_identifiers(&p.actor(), tenant, &records)
            .await?
    };
    for r in &records {
        state.resolver.forget(&r.handle);
    }
    let (mut created, mut existing) = (0, 0);
    for (item, slot) in items.iter_mut().zip(&slots) {
        if let Some(k) = slot {
            item.outcome = match outcomes.get(*k) {
                Some(BatchOutcome::Created) => {
                    created += 1;
                    "created"
                }
                _ => {
                    existing += 1;
                    "exists"
                }
            }
            .into();
        }
    }
    let invalid = items.len() as u64 - created - existing;
    Ok(BatchResult {
        created,
        existing,
        invalid,
        items,
    })
}

/// One of the tenant's identifiers with all its values.
pub(crate) async fn own_record(
    state: &AppState,
    tenant: TenantId,
    handle: &str,
) -> ApiResult<IdentifierRecord> {
    let handle = Handle::parse(handle)
        .map_err(|_| Error::NotFound(Resource::Identifier))?
        .canonical();
    match state.store.get_identifier(&handle).await? {
        Some(r) if r.tenant_id == tenant => Ok(r),
        _ => Err(Error::NotFound(Resource::Identifier).into()),
    }
}

/// One of the tenant's identifiers, with every value (public or not).
#[utoipa::path(get, path = "/api/v1/identifiers/{handle}", tag = "identifiers",
    params(("handle" = String, Path, description = "prefix/suffix with the slash as %2F")),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = IdentifierView), (status = 404, body = ErrorBody)))]
async fn get_identifier(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<Json<IdentifierView>> {
    let r = own_record(&state, p.tenant()?, &handle).await?;
    Ok(Json(IdentifierView::from(&r)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifierUpdate {
    #[serde(default)]
    pub template: Option<TemplateRef>,
    #[schema(value_type = Vec<Object>)]
    pub values: Vec<Value>,
}

/// Replace an identifier's values (and template).
#[utoipa::path(put, path = "/api/v1/identifiers/{handle}", tag = "identifiers",
    params(("handle" = String, Path)), request_body = IdentifierUpdate,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = IdentifierView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_identifier(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(handle): ApiPath<String>,
    ApiJson(input): ApiJson<IdentifierUpdate>,
) -> ApiResult<Json<IdentifierView>> {
    let old = own_record(&state, p.tenant()?, &handle).await?;
    let stored = replace_values(
        &state,
        &p,
        &old,
        input.template,
        input.values,
        ReservedTypes::Refused,
    )
    .await?;
    Ok(Json(IdentifierView::from(&stored)))
}

/// Checks and stores new values (and template) for one of the tenant's identifiers.
pub(crate) async fn replace_values(
    state: &AppState,
    p: &Principal,
    old: &IdentifierRecord,
    template: Option<TemplateRef>,
    values: Vec<Value>,
    reserved: ReservedTypes,
) -> ApiResult<IdentifierRecord> {
    let mut record = record_of(
        state,
        p.tenant()?,
        IdentifierInput {
            handle: old.handle.clone(),
            template,
            values,
        },
        "",
        &mut Default::default(),
        reserved,
    )
    .await?;
    record.created_at = old.created_at;
    let stored = state.store.update_identifier(&p.actor(), &record).await?;
    state.resolver.forget(&stored.handle);
    Ok(stored)
}

/// Delete one of the tenant's identifiers (and the links it is the parent of).
#[utoipa::path(delete, path = "/api/v1/identifiers/{handle}", tag = "identifiers",
    params(("handle" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_identifier(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(handle): ApiPath<String>,
) -> ApiResult<StatusCode> {
    delete_one(&state, &p, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one of the tenant's identifiers (`NotFound` for any other).
pub(crate) async fn delete_one(state: &AppState, p: &Principal, handle: &str) -> ApiResult<()> {
    let tenant = p.tenant()?;
    let r = own_record(state, tenant, handle).await?;
    state
        .store
        .delete_identifier(&p.actor(), tenant, &r.handle)
        .await?;
    state.resolver.forget(&r.handle);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Resolution counts

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// `YYYY-MM` (default: this month).
    month: Option<String>,
    /// How many of the most resolved identifiers (1–100, default 20).
    top: Option<u32>,
}

/// The tenant's resolutions in a month (REST and the Handle protocol): per prefix, and
/// its most resolved identifiers.
#[utoipa::path(get, path = "/api/v1/identifier-stats", tag = "identifiers", params(StatsQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ResolutionStats), (status = 422, body = ErrorBody)))]
async fn resolution_stats(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<ResolutionStats>> {
    let month = q
        .month
        .unwrap_or_else(|| ironloom_core::developer_stats::month_of(Utc::now()));
    if chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_err() {
        return Err(FieldError::new(
            "month",
            FieldErrorKind::Format {
                expected: "YYYY-MM",
                expected_zh: "YYYY-MM",
            },
        )
        .into());
    }
    let top = q.top.unwrap_or(20);
    if !(1..=100).contains(&top) {
        return Err(FieldError::new("top", FieldErrorKind::OutOfRange { min: 1, max: 100 }).into());
    }
    // What this node counted and has not stored yet is included.
    state.resolver.meter().flush(state.store.as_ref()).await?;
    Ok(Json(
        state
            .store
            .resolution_stats(p.tenant()?, &month, top)
            .await?,
    ))
}
