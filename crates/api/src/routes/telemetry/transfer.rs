//! Telemetry in open formats over HTTP: export a selection over a range as CSV (streamed
//! while it is read) or Parquet (written to a temporary file of bounded size, then
//! streamed), and import a CSV body. The formats are `ironloom-tsdb-io`'s; the work runs
//! on the blocking pool.

use super::{check_device, invalid_query, selection, split_list, time_range};
use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, HttpFailure, RequestLocale};
use crate::extract::ApiQuery;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::Micros;
use ironloom_tsdb_io::import::{ImportMode, Input};
use ironloom_tsdb_io::{
    BlockingStore, ExportOptions, Format, ImportOptions, IoError, Precision, TimeFormat,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

/// Most series in one export.
const MAX_EXPORT_SERIES: usize = 100_000;
/// Largest Parquet export (it is written to a temporary file before it is sent).
const MAX_PARQUET_BYTES: u64 = 2 << 30;
/// Bytes per chunk of a streamed body.
const CHUNK: usize = 64 << 10;

type Chunk = Result<Bytes, std::io::Error>;

fn io_error(e: IoError) -> ApiError {
    match e {
        IoError::Store(e) => e.into(),
        IoError::Invalid(m) => invalid_query(m),
        IoError::OutputTooLarge(max) => invalid_query(format!(
            "the export would exceed {max} bytes: choose fewer series or a shorter range"
        )),
        other => Error::storage("telemetry export", other).into(),
    }
}

/// Sends what is written to a response body, a chunk at a time; fails once the client
/// has gone.
struct ChannelWriter {
    tx: mpsc::Sender<Chunk>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

fn body_of(rx: mpsc::Receiver<Chunk>) -> Body {
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|c| (c, rx))
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `csv` (default) or `parquet`.
    format: Option<String>,
    /// Comma-separated device ids; every device of the tenant with data when absent.
    devices: Option<String>,
    /// Comma-separated property names; all when absent.
    properties: Option<String>,
    /// Start (inclusive): RFC 3339 or epoch ms; default `to` minus one day.
    from: Option<String>,
    /// End (exclusive): RFC 3339 or epoch ms; default now.
    to: Option<String>,
    /// CSV timestamps: `rfc3339` (default, UTC, microseconds), `ms` or `us`.
    time: Option<String>,
}

fn file_time(us: Micros) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|d| d.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| us.to_string())
}

/// Export telemetry as CSV or Parquet.
///
/// Long format, one row per point: `device, property, ts, value, type, quality` in CSV;
/// `device, property, ts (TIMESTAMP(MICROS, UTC)), value_f64 | value_i64 | value_bool |
/// value_str, quality` in Parquet (see docs/export-import.md). CSV is streamed as it is
/// read; a failure after the first bytes aborts the transfer (the body is then
/// incomplete). Parquet is prepared in full first (at most 2 GiB).
#[utoipa::path(get, path = "/api/v1/telemetry/export", tag = "telemetry", params(ExportParams),
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "the file, as an attachment", content(
            (String = "text/csv"), (Vec<u8> = "application/vnd.apache.parquet"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn export_telemetry(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let tenant = p.tenant()?;
    let format = match q.format.as_deref() {
        None => Format::Csv,
        Some(f) => Format::parse(f).ok_or_else(|| invalid_query("format: csv or parquet"))?,
    };
    let time = match q.time.as_deref() {
        None => TimeFormat::Rfc3339,
        Some(t) => TimeFormat::parse(t).ok_or_else(|| invalid_query("time: rfc3339, ms or us"))?,
    };
    let (from, to) = time_range(q.from.as_deref(), q.to.as_deref())?;
    let devices = split_list(q.devices.as_deref())
        .iter()
        .map(|d| {
            d.parse::<DeviceId>()
                .map_err(|_| invalid_query(format!("devices: {d:?} is not a device id")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sel = selection(devices, split_list(q.properties.as_deref()))?;
    // Another tenant's device answers 404, as everywhere.
    for d in &sel.devices {
        check_device(&state, tenant, *d).await?;
    }
    let n = state.telemetry.series(tenant, sel.clone()).await?.len();
    if n > MAX_EXPORT_SERIES {
        return Err(invalid_query(format!(
            "the selection has {n} series; at most {MAX_EXPORT_SERIES}"
        )));
    }
    let filename = format!(
        "telemetry-{}-{}.{}",
        file_time(from),
        file_time(to),
        format.extension()
    );
    let store = BlockingStore {
        store: state.telemetry.clone(),
        runtime: tokio::runtime::Handle::current(),
    };
    let opts = ExportOptions {
        format,
        time,
        max_bytes: (format == Format::Parquet).then_some(MAX_PARQUET_BYTES),
        ..Default::default()
    };
    let (tx, rx) = mpsc::channel::<Chunk>(8);
    match format {
        Format::Csv => {
            tokio::task::spawn_blocking(move || {
                let mut w = ChannelWriter {
                    tx: tx.clone(),
                    buf: Vec::with_capacity(CHUNK),
                };
                let r = ironloom_tsdb_io::export(
                    &store,
                    tenant,
                    &sel,
                    from,
                    to,
                    &opts,
                    &mut w,
                    &mut |_| {},
                );
                if let Err(e) = r {
                    tracing::warn!(tenant = %tenant, error = %e, "telemetry export failed while streaming");
                    // An error item makes the server abort the body, so the client sees
                    // a broken transfer rather than a short file.
                    let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                }
            });
        }
        Format::Parquet => {
            let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, ApiError> {
                let file =
                    tempfile::tempfile().map_err(|e| Error::storage("telemetry export", e))?;
                let mut w = std::io::BufWriter::with_capacity(CHUNK, file);
                ironloom_tsdb_io::export(
                    &store,
                    tenant,
                    &sel,
                    from,
                    to,
                    &opts,
                    &mut w,
                    &mut |_| {},
                )
                .map_err(io_error)?;
                let mut file = w
                    .into_inner()
                    .map_err(|e| Error::storage("telemetry export", e.error()))?;
                file.rewind()
                    .map_err(|e| Error::storage("telemetry export", e))?;
                Ok(file)
            })
            .await
            .map_err(|e| Error::storage("telemetry export", e))??;
            tokio::task::spawn_blocking(move || {
                let mut file = file;
                loop {
                    let mut buf = vec![0u8; CHUNK];
                    let item = match file.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            buf.truncate(n);
                            Ok(Bytes::from(buf))
                        }
                        Err(e) => Err(e),
                    };
                    let failed = item.is_err();
                    if tx.blocking_send(item).is_err() || failed {
                        break;
                    }
                }
            });
        }
    }
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body_of(rx),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Unit of numeric timestamps: `auto` (column name `ts_ms` …, else magnitude), `s`,
    /// `ms`, `us`, `ns`.
    precision: Option<String>,
    /// Check every row and report; store nothing.
    #[serde(default)]
    dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRejectedRow {
    /// Line in the CSV body (the header is line 1).
    pub line: u64,
    /// Stable code: bad_timestamp, bad_value, bad_type, bad_quality, missing_field,
    /// unknown_device, wrong_field_count, record_too_long, invalid_utf8, or one of the
    /// engine's (not_finite, timestamp_out_of_window, type_mismatch, string_too_long,
    /// invalid_property).
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TelemetryImportResult {
    /// Data rows read.
    pub rows: u64,
    /// Points stored (in a dry run: rows that passed every check).
    pub accepted: u64,
    pub rejected: u64,
    pub rejected_by_code: BTreeMap<String, u64>,
    /// The first 100 rejected rows.
    pub examples: Vec<ImportRejectedRow>,
    pub dry_run: bool,
}

/// Import telemetry from a CSV body (`text/csv`, at most the import body limit).
///
/// Long format with a header: `device` (id or name), `property`, `ts` (RFC 3339, or a
/// number: `ts_ms`/`ts_us`/`ts_s` name the unit), `value`, optional `type` and `quality`.
/// Bad rows are counted and listed with their line; the others are stored. 200 when at
/// least one row was stored (or there were none), 422 when every row was refused.
#[utoipa::path(post, path = "/api/v1/telemetry/import", tag = "telemetry", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = TelemetryImportResult),
        (status = 422, body = TelemetryImportResult),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody)))]
pub(super) async fn import_telemetry(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiQuery(q): ApiQuery<ImportParams>,
    mut req: Request,
) -> ApiResult<Response> {
    let tenant = p.tenant()?;
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/csv")
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
    let precision = match q.precision.as_deref() {
        None => Precision::Auto,
        Some(p) => {
            Precision::parse(p).ok_or_else(|| invalid_query("precision: auto, s, ms, us or ns"))?
        }
    };
    req.extensions_mut()
        .insert(crate::extract::BodyLimit(state.settings.import_body_limit));
    let body = crate::extract::read_body(req).await?;
    let store = BlockingStore {
        store: state.telemetry.clone(),
        runtime: tokio::runtime::Handle::current(),
    };
    let meta = state.store.clone();
    let handle = tokio::runtime::Handle::current();
    let opts = ImportOptions {
        precision,
        mode: if q.dry_run {
            ImportMode::DryRun
        } else {
            ImportMode::Write
        },
        max_examples: 100,
        // The body is bounded already; a record may be as long as the body.
        max_record_bytes: state.settings.import_body_limit,
        locale,
        ..Default::default()
    };
    let report = tokio::task::spawn_blocking(move || {
        let mut resolve = |key: &str| -> Result<Option<(DeviceId, Option<ProductId>)>, Error> {
            handle.block_on(device(meta.as_ref(), tenant, key))
        };
        let len = body.len() as u64;
        ironloom_tsdb_io::import(
            Input::Csv {
                reader: Box::new(&body[..]),
                len: Some(len),
            },
            tenant,
            &mut resolve,
            &store,
            &opts,
            &mut |_| {},
        )
    })
    .await
    .map_err(|e| Error::storage("telemetry import", e))?;
    let report = match report {
        Ok(r) => r,
        Err(f) => {
            return Err(match f.error {
                IoError::ReadHeader(m) => HttpFailure::InvalidBody {
                    path: "header".into(),
                    detail: m,
                }
                .into(),
                other => io_error(other),
            });
        }
    };
    let status = if report.accepted == 0 && report.rows > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let out = TelemetryImportResult {
        rows: report.rows,
        accepted: report.accepted,
        rejected: report.rejected,
        rejected_by_code: report.rejected_by_code,
        examples: report
            .examples
            .into_iter()
            .map(|e| ImportRejectedRow {
                line: match e.location {
                    ironloom_tsdb_io::Location::Line(n) | ironloom_tsdb_io::Location::Row(n) => n,
                },
                code: e.code,
                message: e.message,
            })
            .collect(),
        dry_run: report.dry_run,
    };
    Ok((status, axum::Json(out)).into_response())
}

/// A device of the tenant by id or name.
async fn device(
    meta: &dyn ironloom_core::repo::MetaStore,
    tenant: TenantId,
    key: &str,
) -> Result<Option<(DeviceId, Option<ProductId>)>, Error> {
    let found = if let Ok(id) = key.parse::<DeviceId>() {
        match meta.get_device(tenant, id).await {
            Ok(d) => Some(d),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        }
    } else {
        meta.find_device_by_name(tenant, key).await?
    };
    Ok(found.map(|d| (d.id, Some(d.product_id))))
}
