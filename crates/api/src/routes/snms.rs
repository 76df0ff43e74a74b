//! The secondary-node (二级节点) registration API of SNMS v3 and v5, as Teleinfo documents it
//! (`teleinfo-dev/id-guide`, `docs/dev-tools/snms`), for the clients written against
//! it: log-in, metadata templates and identifiers one by one and in batches of up to
//! 2000. Every answer is the envelope `{"message","status","data"}` with HTTP 200 (the
//! status says how it went: 1 success, -1 not logged in, -2 refused (the message says
//! why), -3 no permission, -4 internal error); messages in Chinese unless the request
//! asks for English (`Accept-Language: en`).
//!
//! One path: these map onto the same checks and store calls as `/api/v1/identifiers`
//! (`identifiers::record_of`, the batch code), with the SNMS rules on top (every value at
//! an index of the template, with its type; at most 255 characters). A token reaches only
//! its tenant's prefixes.
//!
//! - Log-in: `POST /identity/token {"username","password"}` with an Ironloom user of the
//!   tenant, named `user@tenantcode` (or just `user` when the name is unique), and the
//!   user's password; or any username and an API key (`ilk_…`) as the password. The token
//!   is sent as `Authorization: Bearer …` (an API key works there too).
//!   `POST /identity/token/v1` is the hashed variant, `password = sha256hex(
//!   sha256hex(secret) + "yyyy-MM-dd")`: user passwords are kept as argon2 hashes, from
//!   which that cannot be checked, so it takes API keys only, the username being the
//!   key's id (its UUID, or `ilk_` and the 32 hex digits its text starts with).
//! - Templates: an SNMS template is named by a prefix and a version; here it is the
//!   template whose id is the prefix (`88.101.5`, upper-cased like prefixes) at that
//!   version, owned by the tenant holding the prefix. Items map to fields: `idType` the
//!   value type, `name` the label, `idIndex` the index (2000 and up, the next free one when
//!   absent), `metadata.minLength`/`maxLength` the lengths, `required`, v5 `state` 0 a
//!   disabled field; the industry codes (GB/T 4754 门类 A, 大类 01, 中类 011, 小类 0111) are
//!   kept as one code (`A0111`); `type` 1 (主动标识载体) is an active-carrier template.
//!   Fields are public: what an SNMS identifier carries is what its node resolves.

use super::auth::{LoginRequest, log_in};
use super::identifiers::{
    BatchInput, IdentifierInput, Lookups, ReservedTypes, check_batch_size, delete_one, own_record,
    register_many, register_one, replace_values,
};
use crate::AppState;
use crate::authz::{CompatApi, KeyProof, Principal, compat_locale, key_principal};
use crate::error::{ApiError, HttpFailure};
use crate::extract::ClientIp;
use crate::security::{API_KEY_PREFIX, Claims, password_fingerprint};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Extension, Json, Router};
use chrono::Utc;
use ironloom_core::entity::Resource;
use ironloom_core::error::{AuthFailure, Error, FieldError, FieldErrorKind};
use ironloom_core::i18n::Locale;
use ironloom_core::identifier::{
    FIRST_FIELD_INDEX, FieldType, IdTemplate, IdentifierRecord, TEMPLATE_INDEX, TemplateField,
    TemplateRef,
};
use ironloom_core::ids::ApiKeyId;
use ironloom_core::market::LocalText;
use ironloom_identifiers::Handle;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The SNMS limits on a value's text, a handle, a template version and a value type.
const MAX_VALUE_CHARS: usize = 255;
const MAX_HANDLE_CHARS: usize = 255;
const MAX_VERSION_CHARS: usize = 128;
const MAX_TYPE_CHARS: usize = 128;

/// The SNMS API's credentials (a bearer token or API key) and refusals (the envelope).
pub const SNMS_API: CompatApi = CompatApi {
    presented: |r| crate::authz::presented_credential(r.headers()),
    refuse,
    default_locale: Locale::ZhCn,
};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/identity/token", post(token))
        .route("/identity/token/v1", post(token_hashed))
        .route(
            "/snms/api/v3/template",
            get(get_template_v3)
                .post(create_template)
                .delete(delete_template),
        )
        .route(
            "/snms/api/v5/template",
            get(get_template_v5)
                .post(create_template)
                .put(update_template)
                .delete(delete_template),
        )
        .route("/identityv2/data/detail", get(detail))
        .route("/identityv2/data", post(create).put(update).delete(remove))
        .route("/identityv2/data/batchCreate", post(batch_create))
        .route("/identityv2/data/batchUpdate", put(batch_update))
        .route("/identityv2/data/batchDelete", delete(batch_delete))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), SNMS_API),
            crate::authz::authorize_compat,
        ))
        .with_state(state)
}

// ---------------------------------------------------------------------------------------
// The envelope

const SUCCESS: i32 = 1;
const NOT_LOGGED_IN: i32 = -1;
const REFUSED: i32 = -2;
const NO_PERMISSION: i32 = -3;
const INTERNAL: i32 = -4;

fn envelope(status: i32, message: &str, data: Value) -> Response {
    (
        StatusCode::OK,
        Json(json!({"message": message, "status": status, "data": data})),
    )
        .into_response()
}

fn ok(data: Value) -> Response {
    envelope(SUCCESS, "success", data)
}

/// A refusal with the SNMS status its cause has.
fn refuse(e: &ApiError, locale: Locale) -> Response {
    let status = match e.status() {
        StatusCode::UNAUTHORIZED => NOT_LOGGED_IN,
        StatusCode::FORBIDDEN => NO_PERMISSION,
        s if s.is_server_error() => INTERNAL,
        _ => REFUSED,
    };
    envelope(status, &e.message(locale), Value::Null)
}

fn refused(locale: Locale, en: &str, zh: &str) -> Response {
    envelope(REFUSED, locale.pick(en, zh), Value::Null)
}

fn locale_of(headers: &HeaderMap) -> Locale {
    compat_locale(headers, Locale::ZhCn)
}

/// A request's language and JSON body; a malformed body refused in the envelope.
struct SnmsJson<T>(Locale, T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for SnmsJson<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let locale = locale_of(req.headers());
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| refuse(&HttpFailure::UnreadableBody(e.to_string()).into(), locale))?;
        serde_json::from_slice(&body)
            .map(|t| SnmsJson(locale, t))
            .map_err(|e| refuse(&HttpFailure::MalformedJson(e.to_string()).into(), locale))
    }
}

fn missing_parameter(locale: Locale, name: &str) -> Response {
    let text = match locale {
        Locale::ZhCn => format!("缺少必要的请求参数: {name}"),
        Locale::En => format!("missing required parameter: {name}"),
    };
    envelope(REFUSED, &text, Value::Null)
}

fn not_found(locale: Locale) -> Response {
    refused(locale, "identifier not found", "没有找到标识")
}

fn field_error(field: &str, en: String, zh: String) -> ApiError {
    FieldError::new(field, FieldErrorKind::Other { en, zh }).into()
}

// ---------------------------------------------------------------------------------------
// Log-in

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

fn bad_credentials(locale: Locale) -> Response {
    refused(locale, "wrong username or password!", "用户名/密码错误！")
}

/// A token for an API key the caller showed it holds: it acts as the key.
async fn key_token(state: &AppState, id: ApiKeyId, p: &Principal) -> Result<String, ApiError> {
    let (_, hash) = state
        .store
        .get_api_key_secret(id)
        .await?
        .ok_or(Error::Unauthenticated(AuthFailure::InvalidToken))?;
    let now = Utc::now();
    let ttl =
        chrono::Duration::from_std(state.settings.token_ttl).unwrap_or(chrono::Duration::hours(12));
    Ok(state.tokens.sign(&Claims {
        sub: p.user_id,
        tid: p.tenant_id,
        iat: now.timestamp(),
        exp: (now + ttl).timestamp(),
        pwd: password_fingerprint(&hash),
        key: Some(id),
    }))
}

/// Log in with `user@tenantcode` and the password, or an API key as the password.
async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SnmsJson(locale, c): SnmsJson<Credentials>,
) -> Response {
    if c.password.starts_with(API_KEY_PREFIX) {
        let Some(id) = crate::security::parse_api_key(&c.password) else {
            return bad_credentials(locale);
        };
        let made = match key_principal(&state, id, KeyProof::Key(&c.password), ip).await {
            Ok(p) => key_token(&state, id, &p).await,
            Err(e) => Err(e),
        };
        return match made {
            Ok(token) => ok(json!({"token": token})),
            Err(e) if e.status() == StatusCode::UNAUTHORIZED => bad_credentials(locale),
            Err(e) => refuse(&e, locale),
        };
    }
    // `user@tenantcode` names the tenant, when a tenant has that code; otherwise the
    // whole name is the user's (unique across tenants, or refused as ambiguous).
    let mut req = LoginRequest {
        username: c.username.clone(),
        password: c.password,
        tenant: None,
    };
    if let Some((user, code)) = c.username.rsplit_once('@') {
        match state.store.find_tenant_by_code(code).await {
            Ok(Some(_)) => {
                req.username = user.to_string();
                req.tenant = Some(code.to_string());
            }
            Ok(None) => {}
            Err(e) => return refuse(&e.into(), locale),
        }
    }
    match log_in(&state, ip, req).await {
        Ok(done) => ok(json!({"token": done.token})),
        Err(e) if e.code() == "invalid_credentials" => bad_credentials(locale),
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
            refused(locale, &e.message(Locale::En), &e.message(Locale::ZhCn))
        }
        Err(e) => refuse(&e, locale),
    }
}

/// The days a client anywhere may call today (`yyyy-MM-dd`): UTC's yesterday, today and
/// tomorrow, so a client at any offset (China's +08:00 among them) is matched.
fn dates_around(now: chrono::DateTime<Utc>) -> Vec<String> {
    [-1i64, 0, 1]
        .iter()
        .map(|d| {
            (now + chrono::Duration::days(*d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect()
}

/// The hashed log-in (API keys only): `password = sha256hex(sha256hex(key) + date)`.
async fn token_hashed(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SnmsJson(locale, c): SnmsJson<Credentials>,
) -> Response {
    if !state.settings.snms_hashed_login {
        return refused(
            locale,
            "the hashed log-in is off on this platform ([api] snms_hashed_login); log in at /identity/token",
            "本平台未开启哈希登录（[api] snms_hashed_login），请使用 /identity/token 登录",
        );
    }
    let name = c.username.trim();
    let Some(id) = name
        .strip_prefix(API_KEY_PREFIX)
        .unwrap_or(name)
        .parse::<ApiKeyId>()
        .ok()
    else {
        return bad_credentials(locale);
    };
    let dates = dates_around(Utc::now());
    let proof = KeyProof::DatedHash {
        sent: c.password.trim(),
        dates: &dates,
    };
    let made = match key_principal(&state, id, proof, ip).await {
        Ok(p) => key_token(&state, id, &p).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(token) => ok(json!({"token": token})),
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => bad_credentials(locale),
        Err(e) => refuse(&e, locale),
    }
}

// ---------------------------------------------------------------------------------------
// Templates

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TemplateBody {
    prefix: String,
    version: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    industry_category: Option<String>,
    #[serde(default)]
    industry_specific: Option<String>,
    #[serde(default)]
    industry_trade: Option<String>,
    #[serde(default)]
    industry_subclass: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    items: Vec<ItemBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemBody {
    #[serde(default)]
    name: String,
    id_type: String,
    /// Typed Integer in the documents, sent as a string in their example: both taken.
    #[serde(default)]
    id_index: Option<Value>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    state: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    min_length: Option<u32>,
    #[serde(default)]
    max_length: Option<u32>,
}

#[derive(Deserialize)]
struct TemplateKey {
    prefix: String,
    version: String,
}

/// The SNMS API versions, which differ in what a template shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SnmsVersion {
    V3,
    V5,
}

/// The template id an SNMS template (a prefix and a version) is kept under.
fn template_id(prefix: &str) -> String {
    prefix.trim().to_ascii_uppercase()
}

/// Whether the caller's tenant holds the prefix.
async fn holds(state: &AppState, p: &Principal, prefix: &str) -> Result<bool, ApiError> {
    let tenant = p.tenant()?;
    Ok(state
        .store
        .prefix_owner(&prefix.trim().to_ascii_uppercase())
        .await?
        == Some(tenant))
}

/// Whether the caller's tenant holds the prefix (else the refusal to send).
async fn check_prefix(
    state: &AppState,
    p: &Principal,
    prefix: &str,
    locale: Locale,
) -> Result<(), Response> {
    match holds(state, p, prefix).await {
        Ok(true) => Ok(()),
        Ok(false) => {
            let text = match locale {
                Locale::ZhCn => format!("无权操作：{prefix} 不是本企业的前缀"),
                Locale::En => format!("no permission: {prefix} is not one of your prefixes"),
            };
            Err(envelope(NO_PERMISSION, &text, Value::Null))
        }
        Err(e) => Err(refuse(&e, locale)),
    }
}

/// GB/T 4754 codes of four levels as one (`A` + `0111`): each level extends the one above.
fn industry_code(b: &TemplateBody) -> Option<String> {
    let category = b.industry_category.as_deref().unwrap_or("").trim();
    let digits = [
        &b.industry_subclass,
        &b.industry_trade,
        &b.industry_specific,
    ]
    .into_iter()
    .flatten()
    .map(|s| s.trim())
    .find(|s| !s.is_empty())
    .unwrap_or("");
    let code = format!("{category}{digits}");
    (!code.is_empty()).then_some(code)
}

/// The four levels of a kept industry code.
fn industry_levels(code: Option<&str>) -> [String; 4] {
    let code = code.unwrap_or("");
    let (category, digits) = match code.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => code.split_at(1),
        _ => ("", code),
    };
    let take = |n: usize| digits.get(..n).unwrap_or("").to_string();
    [category.to_string(), take(2), take(3), take(4)]
}

fn index_of_item(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|i| u32::try_from(i).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A template item as a field; its index given, or the next free one from 2000.
fn field_of_item(item: &ItemBody, taken: &[u32], at: &str) -> Result<TemplateField, ApiError> {
    let metadata = item.metadata.as_ref();
    if let Some(kind) = metadata.and_then(|m| m.kind.as_deref())
        && kind != "string"
    {
        return Err(field_error(
            &format!("{at}.metadata.type"),
            format!("only \"string\" is supported, not {kind:?}"),
            format!("仅支持 string 类型，不支持 {kind}"),
        ));
    }
    let index = match &item.id_index {
        None | Some(Value::Null) => (FIRST_FIELD_INDEX..)
            .find(|i| !taken.contains(i))
            .unwrap_or(FIRST_FIELD_INDEX),
        Some(v) => index_of_item(v).ok_or_else(|| {
            field_error(
                &format!("{at}.idIndex"),
                "must be an integer".into(),
                "须为整数".into(),
            )
        })?,
    };
    let label = if item.name.trim().is_empty() {
        item.id_type.trim()
    } else {
        item.name.trim()
    };
    Ok(TemplateField {
        name: item.id_type.trim().to_string(),
        index,
        label: LocalText::new(label, label),
        field_type: FieldType::String,
        required: item.required,
        public: true,
        max_len: metadata.and_then(|m| m.max_length),
        min_len: metadata.and_then(|m| m.min_length),
        unit: None,
        disabled: item.state == Some(0),
    })
}

fn template_of(
    b: &TemplateBody,
    tenant: ironloom_core::ids::TenantId,
) -> Result<IdTemplate, ApiError> {
    let name = match b.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => format!("{} {}", b.prefix.trim(), b.version.trim()),
    };
    ironloom_core::validate::text("name", &name, 128)?;
    let description = b.description.clone().unwrap_or_default();
    let mut fields: Vec<TemplateField> = Vec::with_capacity(b.items.len());
    for (i, item) in b.items.iter().enumerate() {
        let taken: Vec<u32> = fields.iter().map(|f| f.index).collect();
        fields.push(field_of_item(item, &taken, &format!("items[{i}]"))?);
    }
    let t = IdTemplate {
        id: template_id(&b.prefix),
        version: b.version.trim().to_string(),
        tenant_id: Some(tenant),
        shipped: false,
        name: LocalText::new(&name, &name),
        description: LocalText::new(&description, &description),
        industry: industry_code(b),
        active_carrier: b.kind == Some(1),
        fields,
        created_at: Utc::now(),
    };
    t.check()?;
    Ok(t)
}

/// A template as SNMS shows it.
fn template_json(t: &IdTemplate, prefix: &str, v: SnmsVersion) -> Value {
    let [category, specific, trade, subclass] = industry_levels(t.industry.as_deref());
    let items: Vec<Value> = t
        .fields
        .iter()
        .map(|f| {
            let mut metadata = json!({"type": "string"});
            if let Some(min) = f.min_len {
                metadata["minLength"] = json!(min);
            }
            if let Some(max) = f.max_len {
                metadata["maxLength"] = json!(max);
            }
            let mut item = json!({
                "name": f.label.zh,
                "idType": f.name,
                "metadata": metadata,
                "required": f.required,
            });
            if v == SnmsVersion::V5 {
                item["idIndex"] = json!(f.index);
                item["state"] = json!(if f.disabled { 0 } else { 1 });
            }
            item
        })
        .collect();
    json!({
        "prefix": prefix,
        "name": t.name.zh,
        "version": t.version,
        "industryCategory": category,
        "industrySpecific": specific,
        "industryTrade": trade,
        "industrySubclass": subclass,
        "type": if t.active_carrier { 1 } else { 2 },
        "description": t.description.zh,
        "items": items,
    })
}

async fn get_template_v3(
    state: State<AppState>,
    p: Extension<Principal>,
    headers: HeaderMap,
    q: Query<Vec<(String, String)>>,
) -> Response {
    show_template(state, p, headers, q, SnmsVersion::V3).await
}

async fn get_template_v5(
    state: State<AppState>,
    p: Extension<Principal>,
    headers: HeaderMap,
    q: Query<Vec<(String, String)>>,
) -> Response {
    show_template(state, p, headers, q, SnmsVersion::V5).await
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// One of the tenant's templates, by prefix and version.
async fn own_template(
    state: &AppState,
    p: &Principal,
    prefix: &str,
    version: &str,
) -> Result<IdTemplate, ApiError> {
    let t = state
        .store
        .get_template(&template_id(prefix), version)
        .await?;
    if t.tenant_id != Some(p.tenant()?) {
        return Err(Error::NotFound(Resource::IdTemplate).into());
    }
    Ok(t)
}

async fn show_template(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
    v: SnmsVersion,
) -> Response {
    let locale = locale_of(&headers);
    let Some(prefix) = param(&q, "prefix") else {
        return missing_parameter(locale, "prefix");
    };
    let Some(version) = param(&q, "version") else {
        return missing_parameter(locale, "version");
    };
    if let Err(r) = check_prefix(&state, &p, prefix, locale).await {
        return r;
    }
    match own_template(&state, &p, prefix, version).await {
        Ok(t) => ok(template_json(&t, prefix, v)),
        Err(e) => refuse(&e, locale),
    }
}

/// Make a template (v3: indices from 2000 in the items' order; v5: `idIndex`).
async fn create_template(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, b): SnmsJson<TemplateBody>,
) -> Response {
    if let Err(r) = check_prefix(&state, &p, &b.prefix, locale).await {
        return r;
    }
    let made = match p.tenant().and_then(|t| template_of(&b, t)) {
        Ok(t) => state
            .store
            .create_template(&p.actor(), &t)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match made {
        Ok(_) => ok(json!(true)),
        Err(e) => refuse(&e, locale),
    }
}

/// Change a template in place (v5): items matched by `idIndex` and `idType` are changed,
/// others added; none removed (`state` 0 disables one); the version stays.
async fn update_template(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, b): SnmsJson<TemplateBody>,
) -> Response {
    if let Err(r) = check_prefix(&state, &p, &b.prefix, locale).await {
        return r;
    }
    let done = async {
        let tenant = p.tenant()?;
        let mut t = own_template(&state, &p, &b.prefix, b.version.trim()).await?;
        for (i, item) in b.items.iter().enumerate() {
            let taken: Vec<u32> = t.fields.iter().map(|f| f.index).collect();
            let f = field_of_item(item, &taken, &format!("items[{i}]"))?;
            let same = t.fields.iter_mut().find(|o| {
                item.id_index.is_some()
                    && o.index == f.index
                    && o.name.eq_ignore_ascii_case(&f.name)
            });
            match same {
                Some(o) => {
                    o.label = f.label;
                    o.required = f.required;
                    o.max_len = f.max_len;
                    o.min_len = f.min_len;
                    if item.state.is_some() {
                        o.disabled = f.disabled;
                    }
                }
                None => t.fields.push(f),
            }
        }
        if let Some(n) = b.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            t.name = LocalText::new(n, n);
        }
        if let Some(d) = &b.description {
            t.description = LocalText::new(d, d);
        }
        if let Some(code) = industry_code(&b) {
            t.industry = Some(code);
        }
        if let Some(kind) = b.kind {
            t.active_carrier = kind == 1;
        }
        t.check()?;
        state.store.update_template(&p.actor(), tenant, &t).await?;
        Ok::<_, ApiError>(())
    };
    match done.await {
        Ok(()) => ok(json!(true)),
        Err(e) => refuse(&e, locale),
    }
}

async fn delete_template(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, k): SnmsJson<TemplateKey>,
) -> Response {
    if let Err(r) = check_prefix(&state, &p, &k.prefix, locale).await {
        return r;
    }
    let done = match p.tenant() {
        Ok(tenant) => state
            .store
            .delete_template(
                &p.actor(),
                tenant,
                &template_id(&k.prefix),
                k.version.trim(),
            )
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => ok(json!(true)),
        Err(e) => refuse(&e, locale),
    }
}

// ---------------------------------------------------------------------------------------
// Identifiers

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataBody {
    handle: String,
    #[serde(default)]
    template_version: Option<String>,
    #[serde(default)]
    value: Vec<Value>,
}

#[derive(Deserialize)]
struct HandleBody {
    handle: String,
}

/// An SNMS registration as this platform's, checked against the SNMS rules first: a
/// template version, and every value at an index of that template with its type, its
/// text at most 255 characters (the rest is `record_of`'s).
async fn input_of(
    state: &AppState,
    p: &Principal,
    b: DataBody,
    seen: &mut Lookups,
) -> Result<IdentifierInput, ApiError> {
    let handle = b.handle.trim().to_string();
    if handle.chars().count() > MAX_HANDLE_CHARS {
        return Err(FieldError::new(
            "handle",
            FieldErrorKind::TooLong {
                max: MAX_HANDLE_CHARS,
            },
        )
        .into());
    }
    let parsed = Handle::parse(&handle).map_err(|e| {
        field_error(
            "handle",
            e.to_string(),
            "标识须为 前缀/后缀（如 88.118.8/P-0001）".into(),
        )
    })?;
    let version = b
        .template_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| FieldError::new("templateVersion", FieldErrorKind::Required))?;
    if version.chars().count() > MAX_VERSION_CHARS {
        return Err(FieldError::new(
            "templateVersion",
            FieldErrorKind::TooLong {
                max: MAX_VERSION_CHARS,
            },
        )
        .into());
    }
    let template = TemplateRef {
        id: template_id(parsed.prefix()),
        version: version.to_string(),
    };
    let t = seen
        .template(state, p.tenant()?, &template)
        .await
        .map_err(|_| {
            field_error(
                "templateVersion",
                format!("the template {} {version} does not exist", template.id),
                format!("模板 {} {version} 不存在", template.id),
            )
        })?;
    let mut values = Vec::with_capacity(b.value.len());
    for (i, v) in b.value.into_iter().enumerate() {
        let at = format!("value[{i}]");
        let index = v.get("index").and_then(index_of_item);
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
        let text = match v.get("data") {
            Some(Value::Object(d)) => d.get("value").and_then(Value::as_str),
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        }
        .ok_or_else(|| FieldError::new(format!("{at}.data.value"), FieldErrorKind::Required))?;
        let Some(index) = index else {
            return Err(FieldError::new(format!("{at}.index"), FieldErrorKind::Required).into());
        };
        if kind.chars().count() > MAX_TYPE_CHARS {
            return Err(FieldError::new(
                format!("{at}.type"),
                FieldErrorKind::TooLong {
                    max: MAX_TYPE_CHARS,
                },
            )
            .into());
        }
        if text.chars().count() > MAX_VALUE_CHARS {
            return Err(FieldError::new(
                format!("{at}.data.value"),
                FieldErrorKind::TooLong {
                    max: MAX_VALUE_CHARS,
                },
            )
            .into());
        }
        // 1001 is refused by `record_of` with its own reason.
        if index != TEMPLATE_INDEX {
            match t.fields.iter().find(|f| f.index == index && !f.disabled) {
                None => {
                    return Err(field_error(
                        &format!("{at}.index"),
                        format!("illegal operation: index {index} is not in the template"),
                        format!("非法操作，索引{index}在模板中不存在"),
                    ));
                }
                Some(f) if !f.name.eq_ignore_ascii_case(kind) => {
                    return Err(field_error(
                        &format!("{at}.type"),
                        format!("the template has {} at index {index}, not {kind:?}", f.name),
                        format!("模板中索引{index}的类型为 {}，不是 {kind}", f.name),
                    ));
                }
                Some(_) => {}
            }
        }
        values.push(
            json!({"index": index, "type": kind, "data": {"format": "string", "value": text}}),
        );
    }
    Ok(IdentifierInput {
        handle,
        template: Some(template),
        values,
    })
}

/// Whether the handle's prefix is the caller's (else the refusal to send).
async fn check_handle(
    state: &AppState,
    p: &Principal,
    handle: &str,
    locale: Locale,
) -> Result<(), Response> {
    let Ok(parsed) = Handle::parse(handle.trim()) else {
        return Err(refused(
            locale,
            "the identifier must be prefix/suffix",
            "标识须为 前缀/后缀",
        ));
    };
    match holds(state, p, parsed.prefix()).await {
        Ok(true) => Ok(()),
        Ok(false) => {
            let text = match locale {
                Locale::ZhCn => format!("无权操作：{} 不属于本企业的前缀", parsed.canonical()),
                Locale::En => format!(
                    "no permission: {} is not under one of your prefixes",
                    parsed.canonical()
                ),
            };
            Err(envelope(NO_PERMISSION, &text, Value::Null))
        }
        Err(e) => Err(refuse(&e, locale)),
    }
}

/// A handle's values as SNMS shows them: the template's version at 1001 first.
fn detail_json(r: &IdentifierRecord) -> Value {
    let mut values = Vec::with_capacity(r.values.len() + 1);
    if let Some(t) = &r.template {
        values.push(
            json!({"data": {"format": "string", "value": t.version}, "auth": "1",
            "index": TEMPLATE_INDEX, "type": "TEMPLATE"}),
        );
    }
    for v in &r.values {
        values.push(json!({
            "data": v.to_rest_json()["data"],
            // Reserved in the documents; here whether anyone resolving it sees it.
            "auth": if v.permissions.public_read { "1" } else { "0" },
            "index": v.index,
            "type": v.value_type,
        }));
    }
    json!({
        "code": "200",
        "prefix": r.prefix,
        "handle": r.handle,
        "templateVersion": r.template.as_ref().map(|t| t.version.clone()),
        "value": values,
    })
}

/// One of the tenant's identifiers with all its values.
async fn detail(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let locale = locale_of(&headers);
    let Some(handle) = param(&q, "handle") else {
        return missing_parameter(locale, "handle");
    };
    if let Err(r) = check_handle(&state, &p, handle, locale).await {
        return r;
    }
    match p.tenant() {
        Ok(tenant) => match own_record(&state, tenant, handle).await {
            Ok(r) => ok(detail_json(&r)),
            Err(e) if e.status() == StatusCode::NOT_FOUND => not_found(locale),
            Err(e) => refuse(&e, locale),
        },
        Err(e) => refuse(&e, locale),
    }
}

/// Register an identifier.
async fn create(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, b): SnmsJson<DataBody>,
) -> Response {
    if let Err(r) = check_handle(&state, &p, &b.handle, locale).await {
        return r;
    }
    let done = match input_of(&state, &p, b, &mut Lookups::default()).await {
        Ok(input) => register_one(&state, &p, input, ReservedTypes::Refused).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => ok(json!(true)),
        Err(e) if e.code() == "already_exists" => {
            refused(locale, "the identifier exists already", "标识已存在")
        }
        Err(e) => refuse(&e, locale),
    }
}

/// Replace one of the tenant's identifiers' values.
async fn update(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, b): SnmsJson<DataBody>,
) -> Response {
    if let Err(r) = check_handle(&state, &p, &b.handle, locale).await {
        return r;
    }
    match update_one(&state, &p, b, &mut Lookups::default()).await {
        Ok(()) => ok(json!(true)),
        Err(e) if e.status() == StatusCode::NOT_FOUND => not_found(locale),
        Err(e) => refuse(&e, locale),
    }
}

async fn update_one(
    state: &AppState,
    p: &Principal,
    b: DataBody,
    seen: &mut Lookups,
) -> Result<(), ApiError> {
    let old = own_record(state, p.tenant()?, &b.handle).await?;
    let input = input_of(state, p, b, seen).await?;
    replace_values(
        state,
        p,
        &old,
        input.template,
        input.values,
        ReservedTypes::Refused,
    )
    .await?;
    Ok(())
}

async fn remove(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, b): SnmsJson<HandleBody>,
) -> Response {
    if let Err(r) = check_handle(&state, &p, &b.handle, locale).await {
        return r;
    }
    match delete_one(&state, &p, b.handle.trim()).await {
        Ok(()) => ok(json!(true)),
        Err(e) if e.status() == StatusCode::NOT_FOUND => not_found(locale),
        Err(e) => refuse(&e, locale),
    }
}

/// Register up to 2000 identifiers: each reported `success` or why not; the envelope
/// says success whatever the items came to.
async fn batch_create(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, bodies): SnmsJson<Vec<DataBody>>,
) -> Response {
    // `register_many` refuses more than 2000.
    let mut seen = Lookups::default();
    let mut inputs = Vec::with_capacity(bodies.len());
    for b in bodies {
        let handle = b.handle.clone();
        inputs.push(match input_of(&state, &p, b, &mut seen).await {
            Ok(input) => BatchInput::Input(input),
            Err(error) => BatchInput::Refused { handle, error },
        });
    }
    match register_many(&state, &p, locale, inputs, &mut seen).await {
        Ok(done) => {
            let items: Vec<Value> = done
                .items
                .iter()
                .map(|i| {
                    let msg = match i.outcome.as_str() {
                        "created" => "success".to_string(),
                        "exists" => locale
                            .pick("the identifier exists already", "标识已存在")
                            .to_string(),
                        _ => i.error.clone().unwrap_or_default(),
                    };
                    json!({"handle": i.handle, "msg": msg})
                })
                .collect();
            ok(Value::Array(items))
        }
        Err(e) => refuse(&e, locale),
    }
}

/// Replace the values of up to 2000 of the tenant's identifiers, each reported.
async fn batch_update(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, bodies): SnmsJson<Vec<DataBody>>,
) -> Response {
    if let Err(e) = check_batch_size(bodies.len()) {
        return refuse(&e, locale);
    }
    let mut seen = Lookups::default();
    let mut items = Vec::with_capacity(bodies.len());
    for b in bodies {
        let handle = b.handle.clone();
        let msg = match update_one(&state, &p, b, &mut seen).await {
            Ok(()) => "success".to_string(),
            Err(e) if e.status() == StatusCode::NOT_FOUND => locale
                .pick("identifier not found", "没有找到标识")
                .to_string(),
            Err(e) => e.message(locale),
        };
        items.push(json!({"handle": handle, "msg": msg}));
    }
    ok(Value::Array(items))
}

/// Delete up to 2000 of the tenant's identifiers, each reported with a code.
async fn batch_delete(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    SnmsJson(locale, handles): SnmsJson<Vec<String>>,
) -> Response {
    if let Err(e) = check_batch_size(handles.len()) {
        return refuse(&e, locale);
    }
    let mut items = Vec::with_capacity(handles.len());
    for handle in handles {
        let item = match delete_one(&state, &p, handle.trim()).await {
            Ok(()) => json!({"handle": handle, "code": SUCCESS, "msg": "success"}),
            // Another tenant's identifier is not found, as in every tenant's view.
            Err(e) if e.status() == StatusCode::NOT_FOUND => json!({"handle": handle,
                "code": REFUSED, "msg": locale.pick("identifier not found", "标识不存在")}),
            Err(e) => json!({"handle": handle, "code": REFUSED, "msg": e.message(locale)}),
        };
        items.push(item);
    }
    ok(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industry_codes_keep_their_four_levels() {
        let b: TemplateBody = serde_json::from_value(json!({"prefix": "88.101.5", "version": "1",
            "industryCategory": "A", "industrySpecific": "01", "industryTrade": "011",
            "industrySubclass": "0111"}))
        .unwrap_or_else(|e| panic!("{e}"));
        let code = industry_code(&b);
        assert_eq!(code.as_deref(), Some("A0111"));
        assert_eq!(industry_levels(code.as_deref()), ["A", "01", "011", "0111"]);
        assert_eq!(industry_levels(Some("C34")), ["C", "34", "", ""]);
        assert_eq!(industry_levels(None), ["", "", "", ""]);
    }

    #[test]
    fn the_hashed_log_in_matches_the_documents_vector() {
        // teleinfo-dev/id-guide's example: password 123456 on 2019-08-15.
        let inner = crate::security::sha256_hex("123456");
        assert_eq!(
            crate::security::sha256_hex(&format!("{inner}2019-08-15")),
            "58e2c92c46485fdbc35fdcd0814d6c0f000cad5aa156848ca5edaf29406b7661"
        );
        let at = chrono::DateTime::parse_from_rfc3339("2019-08-15T20:00:00Z")
            .unwrap_or_else(|e| panic!("{e}"))
            .with_timezone(&Utc);
        assert_eq!(dates_around(at), ["2019-08-14", "2019-08-15", "2019-08-16"]);
    }
}
