//! Identifier import jobs over HTTP: a file of identifiers (CSV as the console's batch
//! import reads it, or JSON Lines of identifier objects) uploaded as the request body,
//! streamed to the node's data directory and registered in the background with its
//! progress recorded (see `run`); listed, read, cancelled and deleted per tenant.

mod read;
mod run;

pub use run::resume as resume_identifier_imports;

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody, HttpFailure};
use crate::extract::{ApiPath, ApiQuery};
use crate::params::page_request;
use crate::routes::identifiers::usable_template;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use http_body_util::BodyExt;
use ironloom_core::entity::{IdImportSort, Page};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::identifier::TemplateRef;
use ironloom_core::identifier_import::{IdImport, ImportFormat};
use ironloom_core::ids::IdImportId;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_identifier_imports, upload_identifier_import))
        .routes(routes!(get_identifier_import, delete_identifier_import))
        .routes(routes!(cancel_identifier_import))
}

fn imports_dir(state: &AppState) -> Result<&Path, Error> {
    state
        .settings
        .identifier_import_dir
        .as_deref()
        .ok_or(Error::Overloaded(
            "no data directory for identifier imports",
        ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The template of rows that name none (CSV rows never do), with `template_version`.
    template_id: Option<String>,
    template_version: Option<String>,
}

/// Removes an upload's file unless the job was made (a failed or refused upload leaves
/// nothing behind).
struct Upload {
    path: PathBuf,
    kept: bool,
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.kept {
            // Best effort: a left-over file is only disk space.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Upload a file of identifiers to register in the background: `text/csv` (a `handle`
/// column and one per field of the template) or `application/x-ndjson` (one identifier
/// object per line, as `POST /api/v1/identifiers` takes it). Answers at once with the job;
/// follow it with `GET /api/v1/identifier-imports/{id}`.
#[utoipa::path(post, path = "/api/v1/identifier-imports", tag = "identifiers", params(UploadQuery),
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 202, body = IdImport), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_identifier_import(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> ApiResult<(StatusCode, Json<IdImport>)> {
    let tenant = p.tenant()?;
    let dir = imports_dir(&state)?.to_path_buf();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let format = match content_type.as_str() {
        "text/csv" => ImportFormat::Csv,
        "application/x-ndjson" | "application/jsonl" => ImportFormat::Ndjson,
        _ => {
            return Err(HttpFailure::UnsupportedMediaType {
                expected: "text/csv or application/x-ndjson",
            }
            .into());
        }
    };
    let template = match (q.template_id, q.template_version) {
        (Some(id), Some(version)) => {
            usable_template(&state, tenant, &id, &version)
                .await
                .map_err(|_| {
                    FieldError::new(
                        "template_id",
                        FieldErrorKind::UnknownReference(
                            ironloom_core::entity::Resource::IdTemplate,
                        ),
                    )
                })?;
            Some(TemplateRef { id, version })
        }
        (None, None) => None,
        _ => {
            return Err(FieldError::new(
                "template_version",
                FieldErrorKind::Other {
                    en: "give template_id and template_version together".into(),
                    zh: "template_id 与 template_version 须同时给出".into(),
                },
            )
            .into());
        }
    };
    let limit = state.settings.identifier_import_limit;
    crate::extract::refuse_declared_over(req.headers(), limit)?;
    let mut job = IdImport::queued(tenant, format, template, 0, &p.actor().name);
    let path = run::file_of(&dir, &job);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| Error::storage("store identifier import", e))?;
    }
    let mut upload = Upload {
        path: path.clone(),
        kept: false,
    };
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(|e| Error::storage("store identifier import", e))?;
    let mut body = req.into_body();
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| HttpFailure::UnreadableBody(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len() as u64;
        if total > limit as u64 {
            return Err(HttpFailure::PayloadTooLarge { limit }.into());
        }
        file.write_all(&data)
            .await
            .map_err(|e| Error::storage("store identifier import", e))?;
    }
    if total == 0 {
        return Err(FieldError::new("file", FieldErrorKind::Empty).into());
    }
    // On disk before the job says it is there: a restart resumes from the file.
    file.sync_all()
        .await
        .map_err(|e| Error::storage("store identifier import", e))?;
    drop(file);
    job.total_bytes = total;
    let made = state.store.create_import(&p.actor(), &job).await?;
    upload.kept = true;
    tokio::spawn(run::run(state.clone(), dir, made.clone()));
    Ok((StatusCode::ACCEPTED, Json(made)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportListQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    /// `created_at` (default, newest first: `-created_at`) or `finished_at`.
    sort: Option<String>,
}

/// The tenant's import jobs, newest first.
#[utoipa::path(get, path = "/api/v1/identifier-imports", tag = "identifiers", params(ImportListQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<IdImport>)))]
async fn list_identifier_imports(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ImportListQuery>,
) -> ApiResult<Json<Page<IdImport>>> {
    let page =
        page_request::<IdImportSort>(q.page, q.page_size, q.sort.as_deref(), Some("-created_at"))?;
    Ok(Json(state.store.list_imports(p.tenant()?, &page).await?))
}

/// One of the tenant's import jobs with its progress: bytes and rows read, identifiers
/// created, existing and invalid, the first 100 errors, rows per second.
#[utoipa::path(get, path = "/api/v1/identifier-imports/{id}", tag = "identifiers",
    params(("id" = IdImportId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = IdImport), (status = 404, body = ErrorBody)))]
async fn get_identifier_import(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<IdImportId>,
) -> ApiResult<Json<IdImport>> {
    Ok(Json(state.store.get_import(p.tenant()?, id).await?))
}

/// Cancel a queued or running job: it stops after the chunk it is at (what was
/// registered stays).
#[utoipa::path(post, path = "/api/v1/identifier-imports/{id}/cancel", tag = "identifiers",
    params(("id" = IdImportId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = IdImport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn cancel_identifier_import(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<IdImportId>,
) -> ApiResult<Json<IdImport>> {
    Ok(Json(
        state
            .store
            .cancel_import(&p.actor(), p.tenant()?, id)
            .await?,
    ))
}

/// Delete a finished job (done, failed or cancelled) and its file.
#[utoipa::path(delete, path = "/api/v1/identifier-imports/{id}", tag = "identifiers",
    params(("id" = IdImportId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn delete_identifier_import(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<IdImportId>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    let job = state.store.get_import(tenant, id).await?;
    state.store.delete_import(&p.actor(), tenant, id).await?;
    if let Ok(dir) = imports_dir(&state) {
        run::remove_file(&run::file_of(dir, &job)).await;
    }
    Ok(StatusCode::NO_CONTENT)
}
