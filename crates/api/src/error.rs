//! API errors. A handler returns an [`ApiError`] without knowing the caller's language; the
//! response carries the error as an extension and [`render_errors`] (outermost middleware)
//! writes the body `{"code", "message"}` in the language of the request's `Accept-Language`.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ironloom_core::entity::Resource;
use ironloom_core::error::{AuthFailure, Error};
use ironloom_core::i18n::Locale;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// The error body of every failed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `not_found`, `invalid_input`.
    pub code: String,
    /// What went wrong, for people, in the request's language.
    pub message: String,
}

/// Errors the HTTP layer adds to the platform's own.
#[derive(Debug)]
pub enum HttpFailure {
    /// The body is not JSON (or not UTF-8).
    MalformedJson(String),
    /// The body could not be read to the end (the client broke off, bad chunking).
    UnreadableBody(String),
    /// JSON, but not the expected shape: wrong type, unknown or missing field.
    InvalidBody {
        path: String,
        detail: String,
    },
    PayloadTooLarge {
        limit: usize,
    },
    UnsupportedMediaType {
        expected: &'static str,
    },
    InvalidPath {
        detail: String,
    },
    InvalidQuery {
        detail: String,
    },
    NoRoute,
    MethodNotAllowed,
    /// A user session is needed (API keys cannot do this).
    UserSessionRequired,
    /// A developer account of the marketplace is needed.
    NotADeveloper,
}

#[derive(Debug, Clone)]
pub struct ApiError(Arc<Kind>);

#[derive(Debug)]
enum Kind {
    Core(Error),
    Http(HttpFailure),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(Arc::new(Kind::Core(e)))
    }
}

impl From<HttpFailure> for ApiError {
    fn from(e: HttpFailure) -> Self {
        ApiError(Arc::new(Kind::Http(e)))
    }
}

impl From<ironloom_core::error::FieldError> for ApiError {
    fn from(e: ironloom_core::error::FieldError) -> Self {
        Error::Invalid(e).into()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn not_found(r: Resource) -> Self {
        Error::NotFound(r).into()
    }

    pub fn status(&self) -> StatusCode {
        match &*self.0 {
            Kind::Core(e) => match e {
                Error::NotFound(_) => StatusCode::NOT_FOUND,
                Error::AlreadyExists { .. }
                | Error::VersionConflict { .. }
                | Error::InUse { .. }
                | Error::HeldByAnotherTenant { .. } => StatusCode::CONFLICT,
                Error::Invalid(_) | Error::ThingModel(_) | Error::Command(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                Error::DeviceOffline | Error::DeviceNotListening => StatusCode::CONFLICT,
                // Internal to cluster nodes; should one reach a client, it is a conflict.
                Error::Fenced { .. } => StatusCode::CONFLICT,
                Error::QuotaExceeded { .. } => StatusCode::FORBIDDEN,
                Error::Unauthenticated(AuthFailure::TenantRequired) => StatusCode::BAD_REQUEST,
                Error::Unauthenticated(AuthFailure::AccountLocked { .. }) => StatusCode::LOCKED,
                Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                Error::Forbidden(_) => StatusCode::FORBIDDEN,
                Error::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
                Error::Model(e) => match **e {
                    ironloom_core::model::ModelError::UnknownModel(_) => StatusCode::NOT_FOUND,
                    ironloom_core::model::ModelError::QuotaExhausted { .. } => {
                        StatusCode::TOO_MANY_REQUESTS
                    }
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                },
                Error::Storage { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Kind::Http(h) => match h {
                HttpFailure::MalformedJson(_) | HttpFailure::UnreadableBody(_) => {
                    StatusCode::BAD_REQUEST
                }
                HttpFailure::InvalidBody { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                HttpFailure::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                HttpFailure::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                HttpFailure::InvalidPath { .. } | HttpFailure::InvalidQuery { .. } => {
                    StatusCode::BAD_REQUEST
                }
                HttpFailure::NoRoute => StatusCode::NOT_FOUND,
                HttpFailure::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
                HttpFailure::UserSessionRequired | HttpFailure::NotADeveloper => {
                    StatusCode::FORBIDDEN
                }
            },
        }
    }

    pub fn code(&self) -> &'static str {
        match &*self.0 {
            Kind::Core(e) => e.code(),
            Kind::Http(h) => match h {
                HttpFailure::MalformedJson(_) => "malformed_json",
                HttpFailure::UnreadableBody(_) => "unreadable_body",
                HttpFailure::InvalidBody { .. } => "invalid_body",
                HttpFailure::PayloadTooLarge { .. } => "payload_too_large",
                HttpFailure::UnsupportedMediaType { .. } => "unsupported_media_type",
                HttpFailure::InvalidPath { .. } => "invalid_path",
                HttpFailure::InvalidQuery { .. } => "invalid_query",
                HttpFailure::NoRoute => "no_route",
                HttpFailure::MethodNotAllowed => "method_not_allowed",
                HttpFailure::UserSessionRequired => "user_session_required",
                HttpFailure::NotADeveloper => "not_a_developer",
            },
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        let zh = locale == Locale::ZhCn;
        match &*self.0 {
            Kind::Core(e) => e.message(locale),
            Kind::Http(h) => match h {
                HttpFailure::MalformedJson(d) => {
                    if zh {
                        format!("请求体不是有效的 JSON：{d}")
                    } else {
                        format!("the request body is not valid JSON: {d}")
                    }
                }
                HttpFailure::UnreadableBody(d) => {
                    if zh {
                        format!("无法读取请求体：{d}")
                    } else {
                        format!("the request body could not be read: {d}")
                    }
                }
                HttpFailure::InvalidBody { path, detail } => {
                    if zh {
                        format!("请求体字段 {path} 无效：{}", zh_serde(detail))
                    } else {
                        format!("invalid request body at {path}: {detail}")
                    }
                }
                HttpFailure::PayloadTooLarge { limit } => {
                    if zh {
                        format!("请求体过大（上限 {limit} 字节）")
                    } else {
                        format!("the request body is too large (limit {limit} bytes)")
                    }
                }
                HttpFailure::UnsupportedMediaType { expected } => {
                    if zh {
                        format!("不支持的内容类型，应为 {expected}")
                    } else {
                        format!("unsupported content type: send {expected}")
                    }
                }
                HttpFailure::InvalidPath { detail } => {
                    if zh {
                        format!("URL 路径参数无效：{detail}")
                    } else {
                        format!("invalid path parameter: {detail}")
                    }
                }
                HttpFailure::InvalidQuery { detail } => {
                    if zh {
                        format!("查询参数无效：{}", zh_serde(detail))
                    } else {
                        format!("invalid query parameter: {detail}")
                    }
                }
                HttpFailure::NoRoute => locale
                    .pick("no such API endpoint", "接口不存在")
                    .to_string(),
                HttpFailure::MethodNotAllowed => locale
                    .pick(
                        "this method is not allowed on this endpoint",
                        "该接口不支持此请求方法",
                    )
                    .to_string(),
                HttpFailure::UserSessionRequired => locale
                    .pick(
                        "this needs a logged-in user, not an API key",
                        "此操作需要用户登录，不能使用 API 密钥",
                    )
                    .to_string(),
                HttpFailure::NotADeveloper => locale
                    .pick(
                        "this needs a developer account: register at POST /api/v1/market/register \
                         or open one with POST /api/v1/market/developer",
                        "此操作需要开发者账号：请通过 POST /api/v1/market/register 注册，\
                         或通过 POST /api/v1/market/developer 开通",
                    )
                    .to_string(),
            },
        }
    }

    fn is_internal(&self) -> bool {
        matches!(&*self.0, Kind::Core(Error::Storage { .. }))
    }
}

/// serde's messages are English; keep them but say in Chinese what kind of problem it is.
fn zh_serde(detail: &str) -> String {
    let kind = if detail.starts_with("unknown field") {
        "未知字段"
    } else if detail.starts_with("missing field") {
        "缺少必填字段"
    } else if detail.starts_with("invalid type") {
        "类型错误"
    } else if detail.starts_with("unknown variant") {
        "取值不在允许范围内"
    } else {
        "格式错误"
    };
    format!("{kind}（{detail}）")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.is_internal() {
            tracing::error!(error = ?self.0, "request failed inside the platform");
        }
        let mut res = self.status().into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// The language of a request, resolved once by [`render_errors`].
#[derive(Debug, Clone, Copy)]
pub struct RequestLocale(pub Locale);

/// Outermost middleware: resolves the request's language and renders error bodies in it.
pub async fn render_errors(
    State(default): State<Locale>,
    mut req: Request,
    next: Next,
) -> Response {
    let locale = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Locale::from_accept_language)
        .unwrap_or(default);
    req.extensions_mut().insert(RequestLocale(locale));
    let mut res = next.run(req).await;
    let err = match res.extensions_mut().remove::<ApiError>() {
        Some(e) => Some(e),
        // Answers produced below our handlers (axum's 405) get a proper body too.
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED => {
            Some(ApiError::from(HttpFailure::MethodNotAllowed))
        }
        None => None,
    };
    if let Some(err) = err {
        let body = ErrorBody {
            code: err.code().to_string(),
            message: err.message(locale),
        };
        let status = res.status();
        let mut headers = std::mem::take(res.headers_mut());
        headers.remove(header::CONTENT_LENGTH);
        let mut out = (status, axum::Json(body)).into_response();
        for (k, v) in headers.iter() {
            if k != header::CONTENT_TYPE {
                out.headers_mut().insert(k.clone(), v.clone());
            }
        }
        out.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(locale.as_str()),
        );
        return out;
    }
    res
}

/// The 422 for a document with problems (a rule, a gateway's tables, a dashboard): the
/// first problem's path as the field, and every problem (`path: message`) in the message.
/// `what_zh` names the document in Chinese (`规则`).
pub fn document_refused(first_path: &str, problems: &[String], what_zh: &str) -> Error {
    ironloom_core::error::FieldError::new(
        first_path.to_string(),
        ironloom_core::error::FieldErrorKind::Other {
            en: format!("{} problem(s): {}", problems.len(), problems.join("; ")),
            zh: format!(
                "{what_zh}有 {} 处问题：{}",
                problems.len(),
                problems.join("；")
            ),
        },
    )
    .into()
}
