//! Devices: registry, credentials, server-side attributes and bulk import from CSV.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, HttpFailure, RequestLocale};
use crate::extract::{ApiJson, ApiPath, ApiQuery, read_body};
use crate::params::{double_option, page_request};
use crate::security::random_token;
use axum::Json;
use axum::extract::{Extension, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::{DeviceId, GroupId, ProductId, TenantId};
use ironloom_core::peers::Change;
use ironloom_core::validate;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_devices, create_device))
        .routes(routes!(import_devices))
        .routes(routes!(get_device, update_device, delete_device))
        .routes(routes!(get_credentials))
        .routes(routes!(rotate_credentials))
        .routes(routes!(update_attributes))
}

/// Most server-side attributes on one device, and the largest encoded attribute set.
const MAX_ATTRIBUTES: usize = 256;
const MAX_ATTRIBUTES_BYTES: usize = 64 * 1024;
const MAX_GROUPS: usize = 64;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeviceQuery {
    /// Substring of name or label.
    q: Option<String>,
    product_id: Option<ProductId>,
    tag: Option<String>,
    group_id: Option<GroupId>,
    online: Option<bool>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `name`, `label`, `created_at`, `updated_at`, `last_seen_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List devices.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", params(DeviceQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Device>), (status = 400, body = ErrorBody)))]
async fn list_devices(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<DeviceQuery>,
) -> ApiResult<Json<Page<Device>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), None)?;
    if q.q.as_ref().is_some_and(|s| s.len() > 256) || q.tag.as_ref().is_some_and(|s| s.len() > 256)
    {
        return Err(HttpFailure::InvalidQuery {
            detail: "a filter value is too long".into(),
        }
        .into());
    }
    let filter = DeviceFilter {
        q: q.q,
        product_id: q.product_id,
        tag: q.tag,
        group_id: q.group_id,
        online: q.online,
    };
    let mut list = state
        .store
        .list_devices(p.tenant()?, &filter, &page)
        .await?;
    for d in &mut list.items {
        overlay_status(&state, d);
    }
    Ok(Json(list))
}

/// Connection state as this node holds it now, which is newer than the stored one (that is
/// written in batches every few seconds).
fn overlay_status(state: &AppState, d: &mut Device) {
    if let Some(live) = state.link.as_ref().and_then(|l| l.live_status(d.id)) {
        d.status = live;
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsInput {
    /// Default: generated.
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
    /// The device's X.509 client certificate (PEM); it is registered by its SHA-256
    /// fingerprint, and over mutual TLS the certificate alone logs the device in.
    #[serde(default)]
    pub x509_certificate: Option<String>,
    /// Or the certificate's SHA-256 fingerprint (64 hex digits, colons allowed, as
    /// `openssl x509 -noout -fingerprint -sha256` prints it). `null` removes it. When
    /// credentials are rotated without either, the certificate stays registered.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub x509_fingerprint: Option<Option<String>>,
}

impl CredentialsInput {
    /// Whether the input says anything about the X.509 certificate.
    fn names_certificate(&self) -> bool {
        self.x509_certificate.is_some() || self.x509_fingerprint.is_some()
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    /// Unique in the tenant; letters, digits, `_ - . : @`.
    pub name: String,
    pub product_id: ProductId,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub groups: Vec<GroupId>,
    /// Server-side attributes.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: JsonMap,
    /// Default: all generated.
    #[serde(default)]
    pub credentials: Option<CredentialsInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceWithCredentials {
    #[serde(flatten)]
    pub device: Device,
    pub credentials: DeviceCredentials,
}

fn check_credentials(c: &DeviceCredentials) -> Result<(), FieldError> {
    validate::identifier("credentials.access_token", &c.access_token, 128)?;
    validate::identifier("credentials.username", &c.username, 128)?;
    for (field, v) in [
        ("credentials.password", &c.password),
        ("credentials.secret", &c.secret),
    ] {
        if v.chars().count() < 8 {
            return Err(FieldError::new(field, FieldErrorKind::TooShort { min: 8 }));
        }
        validate::free_text(field, v, 128)?;
        if v.chars().any(char::is_whitespace) {
            return Err(FieldError::new(field, FieldErrorKind::ControlCharacters));
        }
    }
    Ok(())
}

/// Fills in whatever credentials were not given.
fn credentials(input: Option<CredentialsInput>) -> Result<DeviceCredentials, FieldError> {
    let input = input.unwrap_or_default();
    let c = DeviceCredentials {
        access_token: input.access_token.unwrap_or_else(|| random_token(20)),
        username: input
            .username
            .unwrap_or_else(|| format!("dev-{}", random_token(16))),
        password: input.password.unwrap_or_else(|| random_token(24)),
        secret: input.secret.unwrap_or_else(|| random_token(32)),
        x509_fingerprint: x509_fingerprint(input.x509_certificate, input.x509_fingerprint)?,
    };
    check_credentials(&c)?;
    Ok(c)
}

/// The fingerprint to register, as lower-case hex, from a certificate or a fingerprint.
fn x509_fingerprint(
    certificate: Option<String>,
    fingerprint: Option<Option<String>>,
) -> Result<Option<String>, FieldError> {
    use ironloom_tls::CertFingerprint;
    match (certificate, fingerprint.flatten()) {
        (Some(_), Some(_)) => Err(FieldError::new(
            "credentials.x509_fingerprint",
            FieldErrorKind::Other {
                en: "give the certificate or its fingerprint, not both".into(),
                zh: "证书与其指纹只需给出一个".into(),
            },
        )),
        (Some(pem), None) => CertFingerprint::of_pem(&pem)
            .map(|f| Some(f.to_string()))
            .map_err(|_| {
                FieldError::new(
                    "credentials.x509_certificate",
                    FieldErrorKind::Format {
                        expected: "a PEM certificate (-----BEGIN CERTIFICATE-----)",
                        expected_zh: "PEM 格式的证书（-----BEGIN CERTIFICATE-----）",
                    },
                )
            }),
        (None, Some(f)) => f
            .parse::<CertFingerprint>()
            .map(|f| Some(f.to_string()))
            .map_err(|_| {
                FieldError::new(
                    "credentials.x509_fingerprint",
                    FieldErrorKind::Format {
                        expected: "a SHA-256 fingerprint: 64 hex digits, colons allowed",
                        expected_zh: "SHA-256 指纹：64 位十六进制数字，可含冒号",
                    },
                )
            }),
        (None, None) => Ok(None),
    }
}

fn check_attributes(attrs: &JsonMap, field: &str) -> Result<(), FieldError> {
    if attrs.len() > MAX_ATTRIBUTES {
        return Err(FieldError::new(
            field,
            FieldErrorKind::TooMany {
                max: MAX_ATTRIBUTES,
            },
        ));
    }
    for k in attrs.keys() {
        validate::text(&format!("{field}.{k}"), k, 128)?;
    }
    let size = serde_json::to_vec(attrs)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_ATTRIBUTES_BYTES {
        return Err(FieldError::new(
            field,
            FieldErrorKind::TooLong {
                max: MAX_ATTRIBUTES_BYTES,
            },
        ));
    }
    Ok(())
}

fn check_device_fields(
    name: Option<&str>,
    label: Option<&str>,
    description: Option<&str>,
    tags: Option<&[String]>,
    groups: Option<&[GroupId]>,
) -> Result<(), FieldError> {
    if let Some(n) = name {
        validate::identifier("name", n, validate::MAX_NAME_LEN)?;
    }
    if let Some(l) = label {
        validate::text("label", l, validate::MAX_NAME_LEN)?;
    }
    if let Some(d) = description {
        validate::free_text("description", d, validate::MAX_DESCRIPTION_LEN)?;
    }
    if let Some(t) = tags {
        validate::tags("tags", t)?;
    }
    if groups.is_some_and(|g| g.len() > MAX_GROUPS) {
        return Err(FieldError::new(
            "groups",
            FieldErrorKind::TooMany { max: MAX_GROUPS },
        ));
    }
    Ok(())
}

/// Register a device. Its credentials are generated unless given, and returned.
#[utoipa::path(post, path = "/api/v1/devices", tag = "devices", request_body = DeviceInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = DeviceWithCredentials), (status = 403, description = "device quota reached", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_device(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<DeviceInput>,
) -> ApiResult<(StatusCode, Json<DeviceWithCredentials>)> {
    check_device_fields(
        Some(&input.name),
        input.label.as_deref(),
        input.description.as_deref(),
        Some(&input.tags),
        Some(&input.groups),
    )?;
    check_attributes(&input.attributes, "attributes")?;
    let creds = credentials(input.credentials)?;
    let new = NewDevice {
        product_id: input.product_id,
        name: input.name,
        label: input.label,
        description: input.description,
        tags: input.tags,
        groups: input.groups,
        attributes: input.attributes,
        credentials: creds.clone(),
    };
    let device = state
        .store
        .create_device(&p.actor(), p.tenant()?, new)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(DeviceWithCredentials {
            device,
            credentials: creds,
        }),
    ))
}

/// Get a device.
#[utoipa::path(get, path = "/api/v1/devices/{id}", tag = "devices", params(("id" = DeviceId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Device), (status = 404, body = ErrorBody)))]
async fn get_device(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<Device>> {
    let mut d = state.store.get_device(p.tenant()?, id).await?;
    overlay_status(&state, &mut d);
    Ok(Json(d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePatchInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub product_id: Option<ProductId>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub label: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub groups: Option<Vec<GroupId>>,
    /// Apply only if the device is still at this version (else 409).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Change a device.
#[utoipa::path(patch, path = "/api/v1/devices/{id}", tag = "devices", params(("id" = DeviceId, Path)),
    request_body = DevicePatchInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Device), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_device(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(input): ApiJson<DevicePatchInput>,
) -> ApiResult<Json<Device>> {
    check_device_fields(
        input.name.as_deref(),
        input.label.clone().flatten().as_deref(),
        input.description.clone().flatten().as_deref(),
        input.tags.as_deref(),
        input.groups.as_deref(),
    )?;
    let patch = DevicePatch {
        name: input.name,
        product_id: input.product_id,
        label: input.label,
        description: input.description,
        tags: input.tags,
        groups: input.groups,
        expected_version: input.version,
    };
    let tenant = p.tenant()?;
    state.devices.forget(tenant, id);
    let d = state
        .store
        .update_device(&p.actor(), tenant, id, patch)
        .await?;
    state.changed(Change::Device {
        tenant,
        device: id,
        close: false,
    });
    Ok(Json(d))
}

/// Delete a device.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "devices", params(("id" = DeviceId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_device(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    state.store.delete_device(&p.actor(), tenant, id).await?;
    state.devices.forget(tenant, id);
    state.changed(Change::Device {
        tenant,
        device: id,
        close: true,
    });
    Ok(StatusCode::NO_CONTENT)
}

/// Read a device's credentials.
#[utoipa::path(get, path = "/api/v1/devices/{id}/credentials", tag = "devices", params(("id" = DeviceId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DeviceCredentials), (status = 404, body = ErrorBody)))]
async fn get_credentials(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<Json<DeviceCredentials>> {
    Ok(Json(
        state.store.get_device_credentials(p.tenant()?, id).await?,
    ))
}

/// Replace a device's credentials (new ones are generated unless given); the old ones stop
/// working. The X.509 certificate stays registered unless the input names another one or
/// sets `x509_fingerprint` to `null`.
#[utoipa::path(post, path = "/api/v1/devices/{id}/credentials/rotate", tag = "devices", params(("id" = DeviceId, Path)),
    request_body = CredentialsInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DeviceCredentials), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn rotate_credentials(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(input): ApiJson<CredentialsInput>,
) -> ApiResult<Json<DeviceCredentials>> {
    let tenant = p.tenant()?;
    let keep_certificate = !input.names_certificate();
    let mut creds = credentials(Some(input))?;
    if keep_certificate {
        creds.x509_fingerprint = state
            .store
            .get_device_credentials(tenant, id)
            .await?
            .x509_fingerprint;
    }
    let creds = state
        .store
        .set_device_credentials(&p.actor(), tenant, id, creds)
        .await?;
    // Connections made with the old credentials end; a new log-in is checked afresh.
    state.changed(Change::Device {
        tenant,
        device: id,
        close: true,
    });
    Ok(Json(creds))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributesInput {
    /// Attributes to write.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub set: JsonMap,
    /// Attribute names to delete.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// Write or delete server-side attributes.
#[utoipa::path(patch, path = "/api/v1/devices/{id}/attributes", tag = "devices", params(("id" = DeviceId, Path)),
    request_body = AttributesInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Device), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_attributes(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    ApiJson(input): ApiJson<AttributesInput>,
) -> ApiResult<Json<Device>> {
    check_attributes(&input.set, "set")?;
    if input.remove.len() > MAX_ATTRIBUTES {
        return Err(FieldError::new(
            "remove",
            FieldErrorKind::TooMany {
                max: MAX_ATTRIBUTES,
            },
        )
        .into());
    }
    let tenant = p.tenant()?;
    // Check the size of the result, not only of the change.
    let current = state.store.get_device(tenant, id).await?;
    let mut after = current.attributes.clone();
    for k in &input.remove {
        after.remove(k);
    }
    after.extend(input.set.clone());
    check_attributes(&after, "attributes")?;
    let patch = AttributesPatch {
        set: input.set,
        remove: input.remove,
    };
    Ok(Json(
        state
            .store
            .update_device_attributes(&p.actor(), tenant, id, patch)
            .await?,
    ))
}

// -------------------------------------------------------------------------------------------
// Bulk import.

/// How a bulk import treats bad rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// Import every row or none (the default).
    #[default]
    Atomic,
    /// Import the good rows, report the bad ones.
    Partial,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    #[serde(default)]
    mode: ImportMode,
    /// Check every row and report, import nothing.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowError {
    /// Data row number, from 1 (the header is row 0); the file line is `row + 1`.
    pub row: usize,
    /// The column at fault, when one is.
    pub column: Option<String>,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedDevice {
    pub row: usize,
    pub id: DeviceId,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub mode: ImportMode,
    pub dry_run: bool,
    /// Data rows in the file.
    pub total_rows: usize,
    /// Rows that are valid (and, unless a dry run, imported).
    pub valid: usize,
    pub imported: usize,
    pub failed: usize,
    pub errors: Vec<RowError>,
    pub devices: Vec<ImportedDevice>,
}

const KNOWN_COLUMNS: &[&str] = &[
    "name",
    "product",
    "label",
    "description",
    "tags",
    "groups",
    "access_token",
    "username",
    "password",
    "secret",
];

/// Import devices from CSV.
///
/// The first line names the columns: `name` and `product` (product key, name or id) are
/// required; `label`, `description`, `tags` and `groups` (group names; both separated by
/// `;`), `access_token`, `username`, `password`, `secret` are optional (credentials are
/// generated when empty), and `attr:<key>` columns become server-side attributes (JSON
/// values where the cell parses as JSON, text otherwise). With `mode=atomic` (default)
/// nothing is imported if any row is bad (422 with the report); with `mode=partial` the
/// good rows are imported and the bad ones reported.
#[utoipa::path(post, path = "/api/v1/devices/import", tag = "devices", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ImportReport), (status = 422, description = "bad rows; nothing imported (atomic mode)", body = ImportReport),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn import_devices(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    mut req: Request,
) -> ApiResult<Response> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/csv");
    let ct = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(ct.as_str(), "text/csv" | "text/plain" | "application/csv") {
        return Err(HttpFailure::UnsupportedMediaType {
            expected: "text/csv",
        }
        .into());
    }
    req.extensions_mut()
        .insert(crate::extract::BodyLimit(state.settings.import_body_limit));
    let body = read_body(req).await?;
    let tenant = p.tenant()?;
    let mut importer = Importer::new(&state, tenant, locale).await?;
    let rows = importer.parse(&body, state.settings.import_max_rows)?;
    let rows = importer.drop_existing(rows).await?;
    importer.errors.sort_by_key(|e| e.row);
    let total_rows = importer.total_rows;
    let valid = rows.len();
    let mut report = ImportReport {
        mode: q.mode,
        dry_run: q.dry_run,
        total_rows,
        valid,
        imported: 0,
        failed: importer.errors.len(),
        errors: std::mem::take(&mut importer.errors),
        devices: Vec::new(),
    };
    let has_errors = !report.errors.is_empty();
    if q.dry_run || (has_errors && q.mode == ImportMode::Atomic) {
        report.failed = failed_rows(&report.errors);
        let status = if has_errors && q.mode == ImportMode::Atomic {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok((status, Json(report)).into_response());
    }
    let actor = p.actor();
    let (row_numbers, devices): (Vec<usize>, Vec<NewDevice>) = rows.into_iter().unzip();
    match state
        .store
        .create_devices(&actor, tenant, devices.clone())
        .await
    {
        Ok(created) => {
            for (row, d) in row_numbers.iter().zip(created) {
                report.devices.push(ImportedDevice {
                    row: *row,
                    id: d.id,
                    name: d.name,
                });
            }
        }
        Err(e @ Error::QuotaExceeded { .. }) => return Err(e.into()),
        Err(e) if q.mode == ImportMode::Atomic => {
            // A clash the checks could not see (a concurrent change): nothing was imported.
            let err = ApiError::from(e);
            report.errors.push(RowError {
                row: 0,
                column: None,
                code: err.code().into(),
                message: err.message(locale),
            });
            report.failed = failed_rows(&report.errors);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(report)).into_response());
        }
        Err(_) => {
            // Partial mode: find the rows at fault by importing one at a time.
            for (row, d) in row_numbers.iter().zip(devices) {
                match state.store.create_device(&actor, tenant, d).await {
                    Ok(created) => report.devices.push(ImportedDevice {
                        row: *row,
                        id: created.id,
                        name: created.name,
                    }),
                    Err(e) => {
                        let err = ApiError::from(e);
                        report.errors.push(RowError {
                            row: *row,
                            column: None,
                            code: err.code().into(),
                            message: err.message(locale),
                        });
                    }
                }
            }
        }
    }
    report.imported = report.devices.len();
    report.failed = failed_rows(&report.errors);
    Ok((StatusCode::OK, Json(report)).into_response())
}

fn failed_rows(errors: &[RowError]) -> usize {
    errors.iter().map(|e| e.row).collect::<HashSet<_>>().len()
}

/// Checks CSV rows against the tenant's products, groups and devices.
struct Importer<'a> {
    state: &'a AppState,
    tenant: TenantId,
    locale: Locale,
    products: HashMap<String, ProductId>,
    groups: HashMap<String, GroupId>,
    errors: Vec<RowError>,
    total_rows: usize,
}

impl<'a> Importer<'a> {
    async fn new(state: &'a AppState, tenant: TenantId, locale: Locale) -> ApiResult<Importer<'a>> {
        let mut products = HashMap::new();
        let mut page = PageRequest::<ProductSort> {
            page: 1,
            page_size: MAX_PAGE_SIZE,
            sort: Sort::default(),
        };
        loop {
            let batch = state
                .store
                .list_products(tenant, &ProductFilter::default(), &page)
                .await?;
            for p in &batch.items {
                products.insert(p.id.to_string(), p.id);
                products.insert(p.name.clone(), p.id);
                products.insert(p.product_key.clone(), p.id);
            }
            if u64::from(page.page) * u64::from(page.page_size) >= batch.total {
                break;
            }
            page.page += 1;
        }
        let mut groups = HashMap::new();
        let mut page = PageRequest::<GroupSort> {
            page: 1,
            page_size: MAX_PAGE_SIZE,
            sort: Sort::default(),
        };
        loop {
            let batch = state
                .store
                .list_groups(tenant, &GroupFilter::default(), &page)
                .await?;
            for g in &batch.items {
                groups.insert(g.name.clone(), g.id);
            }
            if u64::from(page.page) * u64::from(page.page_size) >= batch.total {
                break;
            }
            page.page += 1;
        }
        Ok(Importer {
            state,
            tenant,
            locale,
            products,
            groups,
            errors: Vec::new(),
            total_rows: 0,
        })
    }

    /// Reports rows naming a device that already exists.
    async fn drop_existing(
        &mut self,
        rows: Vec<(usize, NewDevice)>,
    ) -> ApiResult<Vec<(usize, NewDevice)>> {
        let mut out = Vec::with_capacity(rows.len());
        for (row, d) in rows {
            if self
                .state
                .store
                .find_device_by_name(self.tenant, &d.name)
                .await?
                .is_some()
            {
                let err = Error::AlreadyExists {
                    resource: Resource::Device,
                    field: "name",
                    value: d.name.clone(),
                };
                self.error(row, Some("name"), err.into());
            } else {
                out.push((row, d));
            }
        }
        Ok(out)
    }

    fn error(&mut self, row: usize, column: Option<&str>, err: ApiError) {
        self.errors.push(RowError {
            row,
            column: column.map(str::to_string),
            code: err.code().to_string(),
            message: err.message(self.locale),
        });
    }

    fn parse(&mut self, body: &[u8], max_rows: usize) -> ApiResult<Vec<(usize, NewDevice)>> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(body);
        let headers = reader.byte_headers().map_err(|e| csv_error(&e))?.clone();
        let headers: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_ascii_lowercase())
            .collect();
        for h in &headers {
            if !KNOWN_COLUMNS.contains(&h.as_str()) && !h.starts_with("attr:") {
                return Err(FieldError::new(
                    format!("column {h:?}"),
                    FieldErrorKind::OneOf {
                        allowed: KNOWN_COLUMNS
                            .iter()
                            .map(|c| c.to_string())
                            .chain(["attr:<key>".into()])
                            .collect(),
                    },
                )
                .into());
            }
        }
        let mut seen = HashSet::new();
        for required in ["name", "product"] {
            if !headers.iter().any(|h| h == required) {
                return Err(FieldError::new(
                    format!("column {required:?}"),
                    FieldErrorKind::Required,
                )
                .into());
            }
        }
        for h in &headers {
            if !seen.insert(h.clone()) {
                return Err(FieldError::new(
                    format!("column {h:?}"),
                    FieldErrorKind::Other {
                        en: "appears twice".into(),
                        zh: "重复出现".into(),
                    },
                )
                .into());
            }
        }
        let mut out = Vec::new();
        let mut names_in_file = HashSet::new();
        let mut creds_in_file = HashSet::new();
        for (i, record) in reader.byte_records().enumerate() {
            let row = i + 1;
            self.total_rows = row;
            if row > max_rows {
                return Err(
                    FieldError::new("file", FieldErrorKind::TooMany { max: max_rows }).into(),
                );
            }
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    self.error(row, None, csv_error(&e));
                    continue;
                }
            };
            let mut cells = HashMap::new();
            let mut bad_utf8 = None;
            for (h, v) in headers.iter().zip(record.iter()) {
                match std::str::from_utf8(v) {
                    Ok(s) => {
                        cells.insert(h.as_str(), s.to_string());
                    }
                    Err(_) => bad_utf8 = Some(h.clone()),
                }
            }
            if let Some(col) = bad_utf8 {
                let err = FieldError::new(
                    col.clone(),
                    FieldErrorKind::Format {
                        expected: "UTF-8 text",
                        expected_zh: "UTF-8 编码的文本",
                    },
                );
                self.error(row, Some(&col), err.into());
                continue;
            }
            match self.row(&cells, &mut names_in_file, &mut creds_in_file) {
                Ok(d) => out.push((row, d)),
                Err((col, err)) => self.error(row, col.as_deref(), err),
            }
        }
        Ok(out)
    }

    fn row(
        &self,
        cells: &HashMap<&str, String>,
        names: &mut HashSet<String>,
        creds: &mut HashSet<String>,
    ) -> Result<NewDevice, (Option<String>, ApiError)> {
        let col = |c: &str| Some(c.to_string());
        let get = |c: &str| cells.get(c).map(String::as_str).filter(|v| !v.is_empty());
        let name = get("name").ok_or_else(|| {
            (
                col("name"),
                FieldError::new("name", FieldErrorKind::Required).into(),
            )
        })?;
        let product = get("product").ok_or_else(|| {
            (
                col("product"),
                FieldError::new("product", FieldErrorKind::Required).into(),
            )
        })?;
        let product_id = *self.products.get(product).ok_or_else(|| {
            (
                col("product"),
                FieldError::new(
                    "product",
                    FieldErrorKind::UnknownReference(Resource::Product),
                )
                .into(),
            )
        })?;
        let split = |v: Option<&str>| -> Vec<String> {
            v.map(|s| {
                s.split(';')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default()
        };
        let tags = split(get("tags"));
        let mut groups = Vec::new();
        for g in split(get("groups")) {
            let id = self.groups.get(&g).ok_or_else(|| {
                (
                    col("groups"),
                    FieldError::new(
                        "groups",
                        FieldErrorKind::UnknownReference(Resource::DeviceGroup),
                    )
                    .into(),
                )
            })?;
            groups.push(*id);
        }
        let label = get("label").map(str::to_string);
        let description = get("description").map(str::to_string);
        check_device_fields(
            Some(name),
            label.as_deref(),
            description.as_deref(),
            Some(&tags),
            Some(&groups),
        )
        .map_err(|e| (Some(e.field.clone()), e.into()))?;
        if !names.insert(name.to_string()) {
            return Err((
                col("name"),
                FieldError::new(
                    "name",
                    FieldErrorKind::Other {
                        en: "appears more than once in the file".into(),
                        zh: "在文件中重复出现".into(),
                    },
                )
                .into(),
            ));
        }
        let mut attributes = JsonMap::new();
        for (h, v) in cells {
            if let Some(key) = h.strip_prefix("attr:")
                && !v.is_empty()
            {
                let value = serde_json::from_str(v)
                    .unwrap_or_else(|_| serde_json::Value::String(v.clone()));
                attributes.insert(key.to_string(), value);
            }
        }
        check_attributes(&attributes, "attributes").map_err(|e| (None, e.into()))?;
        let credentials = credentials(Some(CredentialsInput {
            access_token: get("access_token").map(str::to_string),
            username: get("username").map(str::to_string),
            password: get("password").map(str::to_string),
            secret: get("secret").map(str::to_string),
            ..CredentialsInput::default()
        }))
        .map_err(|e| {
            (
                Some(e.field.trim_start_matches("credentials.").to_string()),
                e.into(),
            )
        })?;
        for (c, v) in [
            ("access_token", &credentials.access_token),
            ("username", &credentials.username),
        ] {
            if !creds.insert(format!("{c}:{v}")) {
                return Err((
                    col(c),
                    FieldError::new(
                        c,
                        FieldErrorKind::Other {
                            en: "appears more than once in the file".into(),
                            zh: "在文件中重复出现".into(),
                        },
                    )
                    .into(),
                ));
            }
        }
        Ok(NewDevice {
            product_id,
            name: name.to_string(),
            label,
            description,
            tags,
            groups,
            attributes,
            credentials,
        })
    }
}

fn csv_error(e: &csv::Error) -> ApiError {
    FieldError::new(
        "csv",
        FieldErrorKind::Other {
            en: format!("malformed CSV: {e}"),
            zh: format!("CSV 格式错误：{e}"),
        },
    )
    .into()
}
