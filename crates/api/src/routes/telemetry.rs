//! Telemetry: write points, read history (paged), aggregates over windows, latest values,
//! storage statistics and retention policies; export and import files (`transfer`). Everything is scoped to the caller's tenant;
//! a device of another tenant answers 404.
//!
//! Times: query parameters `from` / `to` take RFC 3339 (`2026-01-01T00:00:00Z`) or
//! milliseconds since the epoch; `ts` in bodies and responses is in milliseconds unless
//! `precision=us` (microseconds) or `precision=s` is given.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, HttpFailure, RequestLocale};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Encoded, Encoding};
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ironloom_core::entity::{NewAuditEntry, Resource};
use ironloom_core::error::Error;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::{
    AggregateQuery, Aggregation, DeviceBatch, HistoryQuery, Micros, Order, PointIn, Quality,
    RetentionPolicy, Selection, StorageStats, Value,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod latest;
mod transfer;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(device_history, write_device_telemetry))
        .routes(routes!(write_many))
        .routes(routes!(transfer::export_telemetry))
        .routes(routes!(transfer::import_telemetry))
        .routes(routes!(device_aggregate))
        .routes(routes!(latest::device_latest))
        .routes(routes!(device_stream))
        .routes(routes!(aggregate_many))
        .routes(routes!(latest::latest_many))
        .routes(routes!(latest::latest_columns))
        .routes(routes!(storage_stats))
        .routes(routes!(get_retention, set_retention))
}

/// Most points in one write request.
const MAX_WRITE_POINTS: usize = 100_000;
/// Most devices or properties named in one query.
const MAX_SELECTION: usize = 10_000;

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    S,
    #[default]
    Ms,
    Us,
}

impl Precision {
    fn factor(self) -> i64 {
        match self {
            Precision::S => 1_000_000,
            Precision::Ms => 1_000,
            Precision::Us => 1,
        }
    }
    fn out(self, us: Micros) -> i64 {
        us.div_euclid(self.factor())
    }
    fn input(self, t: i64) -> Result<Micros, ApiError> {
        t.checked_mul(self.factor())
            .ok_or_else(|| invalid_query("ts: out of range"))
    }
}

fn invalid_query(detail: impl Into<String>) -> ApiError {
    HttpFailure::InvalidQuery {
        detail: detail.into(),
    }
    .into()
}

/// RFC 3339 or epoch milliseconds.
fn parse_time(name: &str, s: &str) -> Result<Micros, ApiError> {
    if let Ok(ms) = s.parse::<i64>() {
        return ms
            .checked_mul(1000)
            .ok_or_else(|| invalid_query(format!("{name}: out of range")));
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp_micros())
        .map_err(|_| {
            invalid_query(format!(
                "{name}: must be RFC 3339 (2026-01-01T00:00:00Z) or milliseconds since 1970"
            ))
        })
}

/// `5m`, `1h`, `30s`, `1d`, `500ms`.
fn parse_interval(s: &str) -> Result<Micros, ApiError> {
    let bad = || invalid_query("interval: must look like 30s, 5m, 1h or 1d");
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let unit_us = match unit {
        "ms" => 1_000,
        "s" => 1_000_000,
        "m" | "min" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        _ => return Err(bad()),
    };
    let v = n.checked_mul(unit_us).ok_or_else(bad)?;
    if v <= 0 {
        return Err(bad());
    }
    Ok(v)
}

fn split_list(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect()
    })
    .unwrap_or_default()
}

/// A selection within the size limits.
fn selection(devices: Vec<DeviceId>, properties: Vec<String>) -> Result<Selection, ApiError> {
    if devices.len() > MAX_SELECTION || properties.len() > MAX_SELECTION {
        return Err(invalid_query(format!(
            "devices, properties: at most {MAX_SELECTION} each"
        )));
    }
    Ok(Selection {
        devices,
        properties,
    })
}

fn time_range(from: Option<&str>, to: Option<&str>) -> Result<(Micros, Micros), ApiError> {
    let to = match to {
        Some(t) => parse_time("to", t)?,
        None => chrono::Utc::now().timestamp_micros() + 1,
    };
    let from = match from {
        Some(f) => parse_time("from", f)?,
        None => to - 86_400_000_000,
    };
    if from >= to {
        return Err(invalid_query("from: must be before to"));
    }
    Ok((from, to))
}

fn parse_aggregations(s: &[String]) -> Result<Vec<Aggregation>, ApiError> {
    if s.is_empty() {
        return Ok(vec![Aggregation::Avg]);
    }
    s.iter()
        .map(|a| {
            Aggregation::parse(a).ok_or_else(|| {
                invalid_query(format!(
                    "agg: {a:?} is not one of min, max, avg, sum, count, first, last, stddev, \
                     median, pNN (e.g. p95)"
                ))
            })
        })
        .collect()
}

/// The device's product, or 404 when the device is not the tenant's.
async fn check_device(state: &AppState, tenant: TenantId, id: DeviceId) -> ApiResult<ProductId> {
    if let Some(p) = state.devices.get(tenant, id) {
        return Ok(p);
    }
    let product = state.store.get_device(tenant, id).await?.product_id;
    state.devices.put(tenant, id, product);
    Ok(product)
}

// ---------------------------------------------------------------- write

/// One point in a write request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    pub property: String,
    /// Timestamp in the request's precision; the server's clock when absent.
    pub ts: Option<i64>,
    pub value: Value,
    #[serde(default)]
    pub quality: Quality,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteInput {
    pub points: Vec<PointInput>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PrecisionQuery {
    /// `s`, `ms` (default) or `us`.
    precision: Option<Precision>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedOut {
    /// Position of the point in `points`.
    pub index: usize,
    pub property: String,
    /// Stable code: not_finite, timestamp_out_of_window, type_mismatch, string_too_long,
    /// invalid_property.
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteResult {
    pub accepted: u64,
    pub rejected: Vec<RejectedOut>,
}

/// Write points of a device.
///
/// Points are validated one by one: a refused point (NaN, a timestamp outside the accepted
/// window, a type other than the series', an over-long string or property name) is listed
/// in `rejected` and the others are stored. The answer is 200 when at least one point was
/// stored (or none was sent), 422 when every point was refused. Accepted points are in the
/// write-ahead log when the answer is sent.
#[utoipa::path(post, path = "/api/v1/devices/{id}/telemetry", tag = "telemetry",
    params(("id" = DeviceId, Path), PrecisionQuery), request_body = WriteInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = WriteResult), (status = 422, body = WriteResult),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn write_device_telemetry(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiPath(id): ApiPath<DeviceId>,
    ApiQuery(q): ApiQuery<PrecisionQuery>,
    ApiJson(body): ApiJson<WriteInput>,
) -> ApiResult<Response> {
    let tenant = p.tenant()?;
    let precision = q.precision.unwrap_or_default();
    let (status, accepted, rejected) =
        write_points(&state, tenant, locale, precision, vec![(id, body.points)]).await?;
    Ok((
        status,
        Json(WriteResult {
            accepted,
            rejected: rejected
                .into_iter()
                .map(|r| RejectedOut {
                    index: r.index,
                    property: r.property,
                    code: r.code,
                    message: r.message,
                })
                .collect(),
        }),
    )
        .into_response())
}

/// Points of one device in a write naming many devices.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePointsInput {
    pub device: DeviceId,
    pub points: Vec<PointInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteManyInput {
    pub devices: Vec<DevicePointsInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedManyOut {
    /// Position of the device in `devices`.
    pub device_index: usize,
    /// Position of the point in that device's `points`.
    pub index: usize,
    pub property: String,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteManyResult {
    pub accepted: u64,
    pub rejected: Vec<RejectedManyOut>,
}

/// Write points of many devices in one request (gateways, bulk loaders).
///
/// Every device must belong to the caller's tenant, or nothing is written and the answer is
/// 404 naming the first unknown device. Points are then validated one by one as for a
/// single device; the answer is 200 when at least one point was stored (or none was sent),
/// 422 when every point was refused. Accepted points are in the write-ahead log when the
/// answer is sent.
#[utoipa::path(post, path = "/api/v1/telemetry", tag = "telemetry",
    params(PrecisionQuery), request_body = WriteManyInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = WriteManyResult), (status = 422, body = WriteManyResult),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn write_many(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiQuery(q): ApiQuery<PrecisionQuery>,
    ApiJson(body): ApiJson<WriteManyInput>,
) -> ApiResult<Response> {
    let tenant = p.tenant()?;
    let precision = q.precision.unwrap_or_default();
    let devices = body
        .devices
        .into_iter()
        .map(|d| (d.device, d.points))
        .collect();
    let (status, accepted, rejected) =
        write_points(&state, tenant, locale, precision, devices).await?;
    Ok((status, Json(WriteManyResult { accepted, rejected })).into_response())
}

/// Checks that every device is the tenant's, writes the points of all of them in one call
/// and maps the engine's rejections back to (device, point) positions, sorted. 200 when a
/// point was stored or none was sent, 422 when every point was refused.
async fn write_points(
    state: &AppState,
    tenant: TenantId,
    locale: ironloom_core::i18n::Locale,
    precision: Precision,
    devices: Vec<(DeviceId, Vec<PointInput>)>,
) -> ApiResult<(StatusCode, u64, Vec<RejectedManyOut>)> {
    if devices.iter().map(|(_, p)| p.len()).sum::<usize>() > MAX_WRITE_POINTS {
        return Err(Error::invalid(
            "points",
            ironloom_core::error::FieldErrorKind::TooMany {
                max: MAX_WRITE_POINTS,
            },
        )
        .into());
    }
    let now = chrono::Utc::now().timestamp_micros();
    let mut batches = Vec::with_capacity(devices.len());
    let mut starts = Vec::with_capacity(devices.len());
    let mut sent = 0usize;
    for (device, points) in devices {
        let product = check_device(state, tenant, device).await?;
        starts.push(sent);
        sent += points.len();
        let points = points
            .into_iter()
            .map(|pt| {
                Ok(PointIn {
                    property: pt.property,
                    ts: match pt.ts {
                        Some(t) => precision.input(t)?,
                        None => now,
                    },
                    value: pt.value,
                    quality: pt.quality,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        batches.push(DeviceBatch {
            device,
            product: Some(product),
            points,
        });
    }
    let outcome = state.telemetry.write(tenant, batches).await?;
    let status = if outcome.accepted == 0 && sent > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut rejected: Vec<RejectedManyOut> = outcome
        .rejected
        .into_iter()
        .map(|r| {
            // The device whose points span the global index.
            let d = starts.partition_point(|&s| s <= r.index).saturating_sub(1);
            RejectedManyOut {
                device_index: d,
                index: r.index - starts.get(d).copied().unwrap_or(0),
                code: r.reason.code(),
                message: r.reason.message(locale),
                property: r.property,
            }
        })
        .collect();
    rejected.sort_by_key(|r| (r.device_index, r.index));
    Ok((status, outcome.accepted, rejected))
}

// ---------------------------------------------------------------- history

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// Comma-separated property names; all of the device's when absent.
    properties: Option<String>,
    /// Start (inclusive): RFC 3339 or epoch ms; default `to` minus one day.
    from: Option<String>,
    /// End (exclusive): RFC 3339 or epoch ms; default now.
    to: Option<String>,
    /// `asc` (default) or `desc`.
    order: Option<Order>,
    /// Points per page, 1–10000, default 1000.
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    precision: Option<Precision>,
    /// `points` (default): one object per point; `columns`: per property, arrays of
    /// timestamps and values (and qualities unless all are good), for charts and bulk
    /// reads.
    layout: Option<Layout>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    #[default]
    Points,
    Columns,
}

/// One property's points of a page, as columns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnsOut {
    pub property: String,
    pub ts: Vec<i64>,
    pub values: Vec<Value>,
    /// Present when some point is not `good`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<Vec<Quality>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PointOut {
    pub property: String,
    pub ts: i64,
    pub value: Value,
    pub quality: Quality,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    /// The points (`layout=points`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<PointOut>>,
    /// The points by property (`layout=columns`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series: Option<Vec<ColumnsOut>>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Raw points of a device over a time range, in pages.
#[utoipa::path(get, path = "/api/v1/devices/{id}/telemetry", tag = "telemetry",
    params(("id" = DeviceId, Path), HistoryParams),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content((HistoryOut = "application/json"), (HistoryOut = "application/cbor"))), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn device_history(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    enc: Encoding,
    ApiQuery(q): ApiQuery<HistoryParams>,
) -> ApiResult<Encoded<HistoryOut>> {
    let tenant = p.tenant()?;
    check_device(&state, tenant, id).await?;
    let (from, to) = time_range(q.from.as_deref(), q.to.as_deref())?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(invalid_query("limit: must be between 1 and 10000"));
    }
    let selection = selection(vec![id], split_list(q.properties.as_deref()))?;
    let precision = q.precision.unwrap_or_default();
    let layout = q.layout.unwrap_or_default();
    let q = HistoryQuery {
        selection,
        from,
        to,
        order: q.order.unwrap_or_default(),
        limit,
        cursor: q.cursor,
    };
    if layout == Layout::Columns {
        let page = state.telemetry.history_columns(tenant, q).await?;
        return Ok(Encoded(
            enc,
            HistoryOut {
                points: None,
                series: Some(
                    page.series
                        .into_iter()
                        .map(|c| ColumnsOut {
                            property: c.property,
                            ts: c.ts.into_iter().map(|t| precision.out(t)).collect(),
                            values: c.values,
                            quality: c.quality,
                        })
                        .collect(),
                ),
                next_cursor: page.next_cursor,
            },
        ));
    }
    let page = state.telemetry.history(tenant, q).await?;
    Ok(Encoded(
        enc,
        HistoryOut {
            points: Some(
                page.points
                    .into_iter()
                    .map(|p| PointOut {
                        property: p.property,
                        ts: precision.out(p.ts),
                        value: p.value,
                        quality: p.quality,
                    })
                    .collect(),
            ),
            series: None,
            next_cursor: page.next_cursor,
        },
    ))
}

// ---------------------------------------------------------------- aggregates

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AggregateParams {
    properties: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// Window length: `30s`, `5m`, `1h`, `1d` … (windows are aligned to the epoch).
    interval: String,
    /// Comma-separated: min, max, avg, sum, count, first, last, stddev, median, p95 …
    /// (default avg).
    agg: Option<String>,
    precision: Option<Precision>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WindowOut {
    /// Window start.
    pub ts: i64,
    /// One value per requested aggregation, in order (null when undefined).
    pub values: Vec<Option<Value>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesAggregateOut {
    pub device: DeviceId,
    pub property: String,
    pub windows: Vec<WindowOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AggregateOut {
    /// The aggregations, in the order of each window's `values`.
    pub aggregations: Vec<String>,
    pub series: Vec<SeriesAggregateOut>,
}

async fn run_aggregate(
    state: &AppState,
    tenant: TenantId,
    q: AggregateQuery,
    precision: Precision,
) -> ApiResult<AggregateOut> {
    let names = q.aggregations.iter().map(Aggregation::name).collect();
    let res = state.telemetry.aggregate(tenant, q).await?;
    Ok(AggregateOut {
        aggregations: names,
        series: res
            .into_iter()
            .map(|s| SeriesAggregateOut {
                device: s.device,
                property: s.property,
                windows: s
                    .windows
                    .into_iter()
                    .map(|w| WindowOut {
                        ts: precision.out(w.ts),
                        values: w.values,
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// Aggregates of a device's properties over fixed windows.
#[utoipa::path(get, path = "/api/v1/devices/{id}/telemetry/aggregate", tag = "telemetry",
    params(("id" = DeviceId, Path), AggregateParams),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content((AggregateOut = "application/json"), (AggregateOut = "application/cbor"))), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn device_aggregate(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
    enc: Encoding,
    ApiQuery(q): ApiQuery<AggregateParams>,
) -> ApiResult<Encoded<AggregateOut>> {
    let tenant = p.tenant()?;
    check_device(&state, tenant, id).await?;
    let (from, to) = time_range(q.from.as_deref(), q.to.as_deref())?;
    let interval = parse_interval(&q.interval)?;
    let aggs = parse_aggregations(&split_list(q.agg.as_deref()))?;
    let selection = selection(vec![id], split_list(q.properties.as_deref()))?;
    let precision = q.precision.unwrap_or_default();
    let q = AggregateQuery {
        selection,
        from,
        to,
        window: interval,
        aggregations: aggs,
    };
    Ok(Encoded(
        enc,
        run_aggregate(&state, tenant, q, precision).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManyAggregateInput {
    /// Devices; every device of the tenant with data when empty or absent.
    #[serde(default)]
    pub devices: Vec<DeviceId>,
    /// Properties; all of each device's when empty or absent.
    #[serde(default)]
    pub properties: Vec<String>,
    /// RFC 3339 or epoch ms.
    pub from: String,
    pub to: String,
    pub interval: String,
    #[serde(default)]
    pub aggregations: Vec<String>,
    #[serde(default)]
    pub precision: Precision,
}

/// Aggregates over many devices at once.
#[utoipa::path(post, path = "/api/v1/telemetry/aggregate", tag = "telemetry",
    request_body = ManyAggregateInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content((AggregateOut = "application/json"), (AggregateOut = "application/cbor"))), (status = 400, body = ErrorBody)))]
async fn aggregate_many(
    State(state): State<AppState>,
    p: Principal,
    enc: Encoding,
    ApiJson(body): ApiJson<ManyAggregateInput>,
) -> ApiResult<Encoded<AggregateOut>> {
    let tenant = p.tenant()?;
    let (from, to) = time_range(Some(&body.from), Some(&body.to))?;
    let interval = parse_interval(&body.interval)?;
    let aggs = parse_aggregations(&body.aggregations)?;
    let selection = selection(body.devices, body.properties)?;
    let q = AggregateQuery {
        selection,
        from,
        to,
        window: interval,
        aggregations: aggs,
    };
    Ok(Encoded(
        enc,
        run_aggregate(&state, tenant, q, body.precision).await?,
    ))
}

// ---------------------------------------------------------------- live

/// One live event of a device (`GET /api/v1/devices/{id}/telemetry/stream`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveOut {
    /// Values stored from one message: their timestamp (ms) and values by property.
    Telemetry {
        ts: i64,
        #[schema(value_type = Object)]
        values: serde_json::Map<String, serde_json::Value>,
    },
    Connected {
        ts: i64,
        transport: String,
    },
    Disconnected {
        ts: i64,
        reason: String,
    },
    /// A thing-model event the device reported.
    Event {
        ts: i64,
        identifier: String,
        #[schema(value_type = Object)]
        params: serde_json::Value,
    },
}

fn live_out(ev: &ironloom_core::device::DeviceEvent) -> Vec<LiveOut> {
    use ironloom_core::device::DeviceEventKind as K;
    let ts = ev.at.timestamp_millis();
    match &ev.kind {
        K::Telemetry { points, .. } => {
            // One event per message: points of one message share their timestamp.
            let mut out: Vec<(i64, serde_json::Map<String, serde_json::Value>)> = Vec::new();
            for p in points {
                if out.last().is_none_or(|(t, _)| *t != p.ts) {
                    out.push((p.ts, serde_json::Map::new()));
                }
                if let Some((_, values)) = out.last_mut() {
                    values.insert(
                        p.property.clone(),
                        serde_json::to_value(&p.value).unwrap_or_default(),
                    );
                }
            }
            out.into_iter()
                .map(|(t, values)| LiveOut::Telemetry {
                    ts: t.div_euclid(1_000),
                    values,
                })
                .collect()
        }
        K::Connected { transport } => vec![LiveOut::Connected {
            ts,
            transport: transport.clone(),
        }],
        K::Disconnected { reason } => vec![LiveOut::Disconnected {
            ts,
            reason: reason.clone(),
        }],
        K::Event { identifier, params } => vec![LiveOut::Event {
            ts,
            identifier: identifier.clone(),
            params: params.clone(),
        }],
        K::ClientRpc { .. } => Vec::new(),
    }
}

/// A device's data as it arrives, as server-sent events: `telemetry` (values stored from
/// one message), `connected`, `disconnected`, `event` (thing-model events), and `lagged`
/// (this reader fell behind and missed N device events). A comment every 15 s keeps
/// proxies from closing the stream.
#[utoipa::path(get, path = "/api/v1/devices/{id}/telemetry/stream", tag = "telemetry",
    params(("id" = DeviceId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "`text/event-stream` of the device's live events", body = LiveOut, content_type = "text/event-stream"),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn device_stream(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DeviceId>,
) -> ApiResult<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let tenant = p.tenant()?;
    check_device(&state, tenant, id).await?;
    let events = state.bus.as_ref().ok_or(ApiError::from(Error::Overloaded(
        "device connectivity is not running on this node",
    )))?;
    let rx = events.watch_device(tenant, id);
    let pending: std::collections::VecDeque<Event> = Default::default();
    let stream =
        futures_util::stream::unfold((rx, pending), move |(mut rx, mut pending)| async move {
            loop {
                if let Some(e) = pending.pop_front() {
                    return Some((Ok(e), (rx, pending)));
                }
                match rx.events.recv().await {
                    Ok(ev) if ev.tenant == tenant && ev.device == id => {
                        for out in live_out(&ev) {
                            let name = match &out {
                                LiveOut::Telemetry { .. } => "telemetry",
                                LiveOut::Connected { .. } => "connected",
                                LiveOut::Disconnected { .. } => "disconnected",
                                LiveOut::Event { .. } => "event",
                            };
                            let data = serde_json::to_string(&out).unwrap_or_default();
                            pending.push_back(Event::default().event(name).data(data));
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => {
                        pending.push_back(Event::default().event("lagged").data(n.to_string()));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

// ---------------------------------------------------------------- stats, retention

/// Storage used by the caller's tenant: series, points and bytes (for metering).
#[utoipa::path(get, path = "/api/v1/telemetry/stats", tag = "telemetry",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = StorageStats)))]
async fn storage_stats(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<StorageStats>> {
    Ok(Json(state.telemetry.stats(p.tenant()?).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionOut {
    /// Absent: the tenant's default for every product without its own policy.
    pub product_id: Option<ProductId>,
    /// Days kept; absent: forever.
    pub keep_days: Option<f64>,
}

/// The tenant's retention policies.
#[utoipa::path(get, path = "/api/v1/telemetry/retention", tag = "telemetry",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<RetentionOut>)))]
async fn get_retention(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<RetentionOut>>> {
    let v = state.telemetry.retention(p.tenant()?).await?;
    Ok(Json(
        v.into_iter()
            .map(|r| RetentionOut {
                product_id: r.product,
                keep_days: r.keep.map(|d| d.as_secs_f64() / 86_400.0),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionInput {
    /// A product of the tenant; absent for the tenant's default.
    pub product_id: Option<ProductId>,
    /// Days to keep (1–36500); null removes the policy (keep forever, or the default).
    pub keep_days: Option<u32>,
}

/// Set how long telemetry is kept, for the tenant or one product. Data older than that is
/// dropped a whole partition (one day by default) at a time, at once and then continuously.
#[utoipa::path(put, path = "/api/v1/telemetry/retention", tag = "telemetry",
    request_body = RetentionInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn set_retention(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<RetentionInput>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    if let Some(days) = body.keep_days
        && !(1..=36_500).contains(&days)
    {
        return Err(Error::invalid(
            "keep_days",
            ironloom_core::error::FieldErrorKind::OutOfRange {
                min: 1,
                max: 36_500,
            },
        )
        .into());
    }
    if let Some(product) = body.product_id {
        state
            .store
            .get_product(tenant, product)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::invalid(
                    "product_id",
                    ironloom_core::error::FieldErrorKind::UnknownReference(Resource::Product),
                ),
                other => other,
            })?;
    }
    state
        .telemetry
        .set_retention(RetentionPolicy {
            tenant,
            product: body.product_id,
            keep: body
                .keep_days
                .map(|d| Duration::from_secs(d as u64 * 86_400)),
        })
        .await?;
    state
        .store
        .append_audit(
            &p.actor(),
            NewAuditEntry {
                tenant_id: Some(tenant),
                action: "update".into(),
                resource: Resource::Retention,
                resource_id: body.product_id.map(|p| p.to_string()),
                details: serde_json::json!({ "keep_days": body.keep_days }),
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
