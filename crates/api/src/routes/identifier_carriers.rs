//! Identifier carriers (标识载体) over HTTP: an identifier's QR code or Data Matrix as SVG
//! or PNG, holding its resolution URL (`{base}/{prefix}/{suffix}`: the console's public
//! resolution page by default), and printable label sheets (A4, 3 × 8 labels) for many.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ironloom_core::entity::Resource;
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_identifiers::Handle;
use ironloom_identifiers::carrier::{Carrier, Label, SheetLayout, Symbology, label_sheets};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(carrier))
        .routes(routes!(labels))
        .routes(routes!(detect_scheme))
}

/// Most identifiers on one request for label sheets.
const MAX_LABELS: usize = 240;

fn symbology(s: Option<&str>) -> Result<Symbology, FieldError> {
    match s.unwrap_or("qr") {
        "qr" => Ok(Symbology::Qr),
        "datamatrix" => Ok(Symbology::DataMatrix),
        _ => Err(FieldError::new(
            "symbology",
            FieldErrorKind::OneOf {
                allowed: vec!["qr".into(), "datamatrix".into()],
            },
        )),
    }
}

/// The base of resolution URLs: given, or the console's resolution page on the host the
/// request came to.
fn base_of(given: Option<&str>, headers: &HeaderMap) -> Result<String, FieldError> {
    if let Some(b) = given {
        if !(b.starts_with("https://") || b.starts_with("http://")) || b.len() > 512 {
            return Err(FieldError::new(
                "base",
                FieldErrorKind::Format {
                    expected: "an http(s) URL of at most 512 characters",
                    expected_zh: "不超过 512 个字符的 http(s) 网址",
                },
            ));
        }
        return Ok(b.trim_end_matches('/').to_string());
    }
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.len() <= 255 && !h.contains(['/', ' ', '@']))
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    Ok(format!("{scheme}://{host}/r"))
}

fn carrier_error(e: ironloom_identifiers::error::CarrierError) -> FieldError {
    FieldError::new(
        "payload",
        FieldErrorKind::Other {
            en: e.to_string(),
            zh: "无法生成该载体（内容过长或参数不对）".into(),
        },
    )
}

/// One of the tenant's identifiers, canonical.
async fn own_handle(state: &AppState, p: &Principal, handle: &str) -> ApiResult<Handle> {
    let h = Handle::parse(handle).map_err(|_| Error::NotFound(Resource::Identifier))?;
    match state.store.get_identifier(&h.canonical()).await? {
        Some(r) if Some(r.tenant_id) == p.tenant_id => {
            Handle::parse(&r.handle).map_err(|_| Error::NotFound(Resource::Identifier).into())
        }
        _ => Err(Error::NotFound(Resource::Identifier).into()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CarrierQuery {
    /// `qr` (default) or `datamatrix`.
    symbology: Option<String>,
    /// `svg` (default) or `png`.
    format: Option<String>,
    /// Pixels per module of a PNG (1–32, default 8).
    module_px: Option<u32>,
    /// The base of the resolution URL (default: this host's `/r`).
    base: Option<String>,
}

/// An identifier's QR code or Data Matrix holding its resolution URL.
#[utoipa::path(get, path = "/api/v1/identifiers/{handle}/carrier", tag = "identifiers",
    params(("handle" = String, Path), CarrierQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "image/svg+xml or image/png"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn carrier(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    ApiPath(handle): ApiPath<String>,
    ApiQuery(q): ApiQuery<CarrierQuery>,
) -> ApiResult<Response> {
    let handle = own_handle(&state, &p, &handle).await?;
    let sym = symbology(q.symbology.as_deref())?;
    let base = base_of(q.base.as_deref(), &headers)?;
    let module_px = q.module_px.unwrap_or(8);
    if !(1..=32).contains(&module_px) {
        return Err(
            FieldError::new("module_px", FieldErrorKind::OutOfRange { min: 1, max: 32 }).into(),
        );
    }
    let c = Carrier::handle_url(sym, &base, &handle)
        .map_err(carrier_error)?
        .with_module_px(module_px);
    let format = q.format.as_deref().unwrap_or("svg");
    let (mime, body) = match format {
        "svg" => (
            "image/svg+xml",
            c.svg().map_err(carrier_error)?.into_bytes(),
        ),
        "png" => ("image/png", c.png().map_err(carrier_error)?),
        _ => {
            return Err(FieldError::new(
                "format",
                FieldErrorKind::OneOf {
                    allowed: vec!["svg".into(), "png".into()],
                },
            )
            .into());
        }
    };
    // Saved as `88.118.8_P-0001-qr.png`: what a file name cannot hold becomes `_`.
    let stem: String = handle
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let kind = if matches!(sym, ironloom_identifiers::Symbology::Qr) {
        "qr"
    } else {
        "datamatrix"
    };
    let disposition = format!("inline; filename=\"{stem}-{kind}.{format}\"");
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, max-age=300".into()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'".into(),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelsInput {
    /// The tenant's identifiers, one label each (at most 240).
    pub handles: Vec<String>,
    /// `qr` (default) or `datamatrix`.
    #[serde(default)]
    pub symbology: Option<String>,
    #[serde(default)]
    pub base: Option<String>,
    /// A line under each identifier on its label (a product name).
    #[serde(default)]
    pub line: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabelSheets {
    /// One SVG document per A4 page (3 × 8 labels of 63.5 × 33.9 mm, Avery L7159).
    pub pages: Vec<String>,
}

/// Printable label sheets for identifiers of the tenant.
#[utoipa::path(post, path = "/api/v1/identifier-labels", tag = "identifiers",
    request_body = LabelsInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = LabelSheets), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn labels(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    ApiJson(input): ApiJson<LabelsInput>,
) -> ApiResult<Json<LabelSheets>> {
    if input.handles.is_empty() || input.handles.len() > MAX_LABELS {
        return Err(FieldError::new(
            "handles",
            FieldErrorKind::OutOfRange {
                min: 1,
                max: MAX_LABELS as i64,
            },
        )
        .into());
    }
    let sym = symbology(input.symbology.as_deref())?;
    let base = base_of(input.base.as_deref(), &headers)?;
    if let Some(l) = &input.line {
        ironloom_core::validate::text("line", l, 64)?;
    }
    let mut labels = Vec::with_capacity(input.handles.len());
    for h in &input.handles {
        let handle = own_handle(&state, &p, h).await?;
        let c = Carrier::handle_url(sym, &base, &handle)
            .map_err(carrier_error)?
            .without_caption();
        let mut lines = vec![handle.as_str().to_string()];
        lines.extend(input.line.clone());
        labels.push(Label::new(c, lines));
    }
    let pages = label_sheets(&SheetLayout::default(), &labels).map_err(carrier_error)?;
    Ok(Json(LabelSheets { pages }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectInput {
    /// What a scanner read or a person typed.
    pub text: String,
}

/// What a string was recognised as.
#[derive(Debug, Serialize, ToSchema)]
pub struct DetectedScheme {
    /// `handle`, `oid`, `gs1`, `ecode` or `vaa`.
    pub scheme: String,
    /// The kind within the scheme: `handle`, `resolution_url`, `digital_link`, `gtin`,
    /// `sscc`, `element_string`, `oid`, `ecode`, `vaa`.
    pub kind: String,
    /// The canonical form.
    pub canonical: String,
    /// The handle to resolve here, when it names one (a handle or a resolution URL).
    pub handle: Option<String>,
}

/// Tell which identifier scheme a scanned or typed string is (Handle/IIR, OID, GS1 keys,
/// element strings and Digital Link URIs, Ecode, VAA), with its canonical form; 422 with
/// the reason when it is none of them (a wrong check digit, say).
#[utoipa::path(post, path = "/api/v1/identifier-detect", tag = "identifiers",
    request_body = DetectInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DetectedScheme), (status = 422, body = ErrorBody)))]
async fn detect_scheme(
    _p: Principal,
    ApiJson(input): ApiJson<DetectInput>,
) -> ApiResult<Json<DetectedScheme>> {
    use ironloom_identifiers::{Detected, Scheme};
    let d = ironloom_identifiers::detect(&input.text).map_err(|e| {
        FieldError::new(
            "text",
            FieldErrorKind::Other {
                en: e.to_string(),
                zh: "无法识别为标识（Handle、OID、GS1、Ecode 或 VAA），或校验位不对".into(),
            },
        )
    })?;
    let scheme = match d.scheme() {
        Scheme::Handle => "handle",
        Scheme::Oid => "oid",
        Scheme::Gs1 => "gs1",
        Scheme::Ecode => "ecode",
        Scheme::Vaa => "vaa",
    };
    let (kind, handle) = match &d {
        Detected::DigitalLink(_) => ("digital_link", None),
        Detected::ResolutionUrl { handle } => ("resolution_url", Some(handle.canonical())),
        Detected::Handle(h) => ("handle", Some(h.canonical())),
        Detected::Gtin(_) => ("gtin", None),
        Detected::Sscc(_) => ("sscc", None),
        Detected::ElementString(_) => ("element_string", None),
        Detected::Oid(_) => ("oid", None),
        Detected::Ecode(_) => ("ecode", None),
        Detected::Vaa(_) => ("vaa", None),
    };
    Ok(Json(DetectedScheme {
        scheme: scheme.into(),
        kind: kind.into(),
        canonical: d.canonical(),
        handle,
    }))
}
