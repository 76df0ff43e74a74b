//! Dashboards: a tenant's pages of widgets bound to devices (see
//! `ironloom_core::dashboard`), their data in one call for the viewer, and read-only links.
//!
//! Saving checks the document against itself and against the store: every device must be
//! the tenant's, and a device whose product has a thing model must have the properties.
//! The data call and the public link read only the (device, property) pairs the widgets
//! name, so a shared link shows nothing else of the tenant.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, HttpFailure};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ironloom_core::auth::Permission;
use ironloom_core::dashboard::{
    self, Dashboard, DashboardDoc, DashboardProblem, DashboardUpdate, Widget, WidgetKind,
};
use ironloom_core::entity::{DashboardSort, Page, Resource};
use ironloom_core::error::Error;
use ironloom_core::ids::{DashboardId, DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::{AggregateQuery, Aggregation, Selection, Value};
use ironloom_core::thing_model::DataType;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_dashboards, create_dashboard))
        .routes(routes!(get_dashboard, update_dashboard, delete_dashboard))
        .routes(routes!(share_dashboard, unshare_dashboard))
        .routes(routes!(dashboard_data))
        .routes(routes!(shared_dashboard))
        .routes(routes!(shared_dashboard_data))
}

/// Points a chart series has at most: the interval is the range divided by this.
pub const CHART_POINTS: i64 = 120;
/// Length of a share token (57 symbols each: about 187 bits).
const SHARE_TOKEN_LEN: usize = 32;

/// Every problem of a dashboard: its own; when it has none, the devices that are not the
/// tenant's and the properties their products do not have.
async fn problems(
    state: &AppState,
    tenant: TenantId,
    doc: &DashboardDoc,
) -> ApiResult<Vec<DashboardProblem>> {
    let mut out = doc.check();
    if !out.is_empty() {
        return Ok(out);
    }
    // Each device once; each product's properties once (None: no thing model, any name).
    let mut devices: HashMap<DeviceId, Option<ProductId>> = HashMap::new();
    let mut models: HashMap<ProductId, Option<HashSet<String>>> = HashMap::new();
    for (i, w) in doc.widgets.iter().enumerate() {
        for (j, id) in w.devices.iter().enumerate() {
            let product = match devices.get(id) {
                Some(p) => *p,
                None => {
                    let p = match state.store.get_device(tenant, *id).await {
                        Ok(d) => Some(d.product_id),
                        Err(Error::NotFound(_)) => None,
                        Err(e) => return Err(e.into()),
                    };
                    devices.insert(*id, p);
                    p
                }
            };
            let Some(product) = product else {
                out.push(DashboardProblem {
                    path: format!("widgets[{i}].devices[{j}]"),
                    message: format!("no device with the id {id}"),
                });
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(slot) = models.entry(product) {
                let p = state.store.get_product(tenant, product).await?;
                let props: HashSet<String> = p
                    .thing_model
                    .properties
                    .into_iter()
                    .map(|p| p.identifier)
                    .collect();
                slot.insert((!props.is_empty()).then_some(props));
            }
            if let Some(Some(props)) = models.get(&product) {
                for (k, name) in w.properties.iter().enumerate() {
                    if !props.contains(name) {
                        out.push(DashboardProblem {
                            path: format!("widgets[{i}].properties[{k}]"),
                            message: format!("the product of device {id} has no property `{name}`"),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}

fn refused(problems: &[DashboardProblem]) -> Error {
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let first = problems.first().map_or("document", |p| p.path.as_str());
    crate::error::document_refused(first, &all, "看板")
}

async fn checked(state: &AppState, tenant: TenantId, doc: &DashboardDoc) -> ApiResult<()> {
    let found = problems(state, tenant, doc).await?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(refused(&found).into())
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// Substring of the name or description.
    q: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `name` (default), `created_at`, `updated_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List the tenant's dashboards.
#[utoipa::path(get, path = "/api/v1/dashboards", tag = "dashboards", params(DashboardQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Dashboard>), (status = 400, body = ErrorBody)))]
async fn list_dashboards(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> ApiResult<Json<Page<Dashboard>>> {
    let page = page_request::<DashboardSort>(q.page, q.page_size, q.sort.as_deref(), None)?;
    Ok(Json(
        state
            .store
            .list_dashboards(p.tenant()?, q.q.as_deref(), &page)
            .await?,
    ))
}

/// Create a dashboard (version 1). A document with problems is refused with all of them.
#[utoipa::path(post, path = "/api/v1/dashboards", tag = "dashboards", request_body = DashboardDoc,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Dashboard), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_dashboard(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(doc): ApiJson<DashboardDoc>,
) -> ApiResult<(StatusCode, Json<Dashboard>)> {
    let tenant = p.tenant()?;
    checked(&state, tenant, &doc).await?;
    let d = state
        .store
        .create_dashboard(&p.actor(), tenant, doc)
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// A dashboard at its current version.
#[utoipa::path(get, path = "/api/v1/dashboards/{id}", tag = "dashboards", params(("id" = DashboardId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Dashboard), (status = 404, body = ErrorBody)))]
async fn get_dashboard(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DashboardId>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(state.store.get_dashboard(p.tenant()?, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// Apply only if the dashboard is still at this version (409 otherwise).
    version: Option<i64>,
}

/// Replace a dashboard's document (the next version).
#[utoipa::path(put, path = "/api/v1/dashboards/{id}", tag = "dashboards",
    params(("id" = DashboardId, Path), VersionQuery), request_body = DashboardDoc,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Dashboard), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_dashboard(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DashboardId>,
    ApiQuery(q): ApiQuery<VersionQuery>,
    ApiJson(doc): ApiJson<DashboardDoc>,
) -> ApiResult<Json<Dashboard>> {
    let tenant = p.tenant()?;
    // 404 before 422: another tenant's dashboard is not there to be checked.
    state.store.get_dashboard(tenant, id).await?;
    checked(&state, tenant, &doc).await?;
    let d = state
        .store
        .update_dashboard(
            &p.actor(),
            tenant,
            id,
            DashboardUpdate {
                document: doc,
                expected_version: q.version,
            },
        )
        .await?;
    Ok(Json(d))
}

/// Delete a dashboard (its link stops working).
#[utoipa::path(delete, path = "/api/v1/dashboards/{id}", tag = "dashboards", params(("id" = DashboardId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_dashboard(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DashboardId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_dashboard(&p.actor(), p.tenant()?, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Share a dashboard read-only: a new link token (an earlier link stops working). Anyone
/// with the link sees the dashboard and its widgets' data, and nothing else.
#[utoipa::path(post, path = "/api/v1/dashboards/{id}/share", tag = "dashboards", params(("id" = DashboardId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Dashboard), (status = 404, body = ErrorBody)))]
async fn share_dashboard(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DashboardId>,
) -> ApiResult<Json<Dashboard>> {
    let token = ironloom_core::auth::random_token(SHARE_TOKEN_LEN);
    Ok(Json(
        state
            .store
            .set_dashboard_share(&p.actor(), p.tenant()?, id, Some(token))
            .await?,
    ))
}

/// Stop sharing a dashboard: its link answers 404 from now on.
#[utoipa::path(delete, path = "/api/v1/dashboards/{id}/share", tag = "dashboards", params(("id" = DashboardId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Dashboard), (status = 404, body = ErrorBody)))]
async fn unshare_dashboard(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DashboardId>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(
        state
            .store
            .set_dashboard_share(&p.actor(), p.tenant()?, id, None)
            .await?,
    ))
}

// ---------------------------------------------------------------- data

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DataQuery {
    /// Seconds back from now the charts cover (default: the dashboard's `range_s`).
    range_s: Option<u32>,
}

/// A property a widget shows, as the device's thing model describes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PropertyInfo {
    pub identifier: String,
    pub name: String,
    /// Type, unit, range, enum and bool labels (absent for a product without a thing
    /// model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<DataType>,
}

/// A device a widget shows: only what the widgets need.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub online: bool,
    /// From the device's `latitude` and `longitude` attributes, for maps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// The properties the widgets show of this device.
    pub properties: Vec<PropertyInfo>,
}

/// The newest value of one (device, property) a widget shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatestPoint {
    pub device: DeviceId,
    pub property: String,
    /// Milliseconds since 1970.
    pub ts: i64,
    pub value: Value,
}

/// One line of a chart widget.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChartSeries {
    pub widget: String,
    pub device: DeviceId,
    pub property: String,
    /// `[window start ms, value or null]`, one per interval with data.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub points: Vec<(i64, Option<Value>)>,
}

/// Everything a dashboard's widgets show, in one answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardData {
    /// The range covered (ms) and the chart interval (ms).
    pub from: i64,
    pub to: i64,
    pub interval_ms: i64,
    pub devices: Vec<DeviceInfo>,
    /// Devices the widgets name that no longer exist.
    pub missing: Vec<DeviceId>,
    pub latest: Vec<LatestPoint>,
    pub series: Vec<ChartSeries>,
}

fn number(attrs: &serde_json::Map<String, serde_json::Value>, key: &str) -> Option<f64> {
    match attrs.get(key)? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|v: &f64| v.is_finite())
}

/// The chart interval for a range: a whole number of seconds, about [`CHART_POINTS`]
/// windows.
pub fn interval_for(range_ms: i64) -> i64 {
    let raw = (range_ms / CHART_POINTS).max(1000);
    (raw + 999) / 1000 * 1000
}

fn aggregation(w: &Widget) -> Aggregation {
    use ironloom_core::dashboard::ChartAgg;
    match w.agg.unwrap_or_default() {
        ChartAgg::Avg => Aggregation::Avg,
        ChartAgg::Min => Aggregation::Min,
        ChartAgg::Max => Aggregation::Max,
        ChartAgg::Last => Aggregation::Last,
    }
}

async fn data(
    state: &AppState,
    tenant: TenantId,
    doc: &DashboardDoc,
    range_s: Option<u32>,
) -> ApiResult<DashboardData> {
    let range_s = range_s.unwrap_or(doc.range_s);
    if !(dashboard::MIN_RANGE_S..=dashboard::MAX_RANGE_S).contains(&range_s) {
        return Err(HttpFailure::InvalidQuery {
            detail: format!(
                "range_s: between {} and {} seconds",
                dashboard::MIN_RANGE_S,
                dashboard::MAX_RANGE_S
            ),
        }
        .into());
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    let range_ms = i64::from(range_s) * 1000;
    let interval_ms = interval_for(range_ms);
    // Windows start on multiples of the interval; the first covers `from`.
    let from = (now_ms - range_ms).div_euclid(interval_ms) * interval_ms;
    let to = now_ms + 1;

    // The devices that are still there, and each one's properties as shown.
    let pairs = doc.pairs();
    let mut devices = Vec::new();
    let mut missing = Vec::new();
    let mut products = HashMap::new();
    for id in doc.devices() {
        let d = match state.store.get_device(tenant, id).await {
            Ok(d) => d,
            Err(Error::NotFound(_)) => {
                missing.push(id);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = products.entry(d.product_id) {
            let p = state.store.get_product(tenant, d.product_id).await?;
            slot.insert(p.thing_model.properties);
        }
        let model = products
            .get(&d.product_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let properties = pairs
            .iter()
            .filter(|(dev, _)| *dev == id)
            .map(
                |(_, name)| match model.iter().find(|p| &p.identifier == name) {
                    Some(p) => PropertyInfo {
                        identifier: name.clone(),
                        name: p.name.clone(),
                        data_type: Some(p.data_type.clone()),
                    },
                    None => PropertyInfo {
                        identifier: name.clone(),
                        name: name.clone(),
                        data_type: None,
                    },
                },
            )
            .collect();
        devices.push(DeviceInfo {
            id,
            latitude: number(&d.attributes, dashboard::LATITUDE_ATTRIBUTE),
            longitude: number(&d.attributes, dashboard::LONGITUDE_ATTRIBUTE),
            name: d.name,
            label: d.label,
            online: d.status.online,
            properties,
        });
    }
    let present: HashSet<DeviceId> = devices.iter().map(|d| d.id).collect();

    // Latest values of exactly the pairs shown.
    let wanted: HashSet<(DeviceId, &str)> = pairs
        .iter()
        .filter(|(d, _)| present.contains(d))
        .map(|(d, p)| (*d, p.as_str()))
        .collect();
    let mut latest = Vec::new();
    if !wanted.is_empty() {
        let mut names: Vec<String> = pairs.iter().map(|(_, p)| p.clone()).collect();
        names.sort_unstable();
        names.dedup();
        let got = state
            .telemetry
            .latest(
                tenant,
                Selection {
                    devices: present.iter().copied().collect(),
                    properties: names,
                },
            )
            .await?;
        latest = got
            .into_iter()
            .filter(|l| wanted.contains(&(l.device, l.property.as_str())))
            .map(|l| LatestPoint {
                device: l.device,
                property: l.property,
                ts: l.ts.div_euclid(1000),
                value: l.value,
            })
            .collect();
    }

    // Chart series, one aggregate query per chart.
    let mut series = Vec::new();
    for w in doc.widgets.iter().filter(|w| w.kind == WidgetKind::Chart) {
        let devs: Vec<DeviceId> = w
            .devices
            .iter()
            .copied()
            .filter(|d| present.contains(d))
            .collect();
        if devs.is_empty() {
            continue;
        }
        let res = state
            .telemetry
            .aggregate(
                tenant,
                AggregateQuery {
                    selection: Selection {
                        devices: devs,
                        properties: w.properties.clone(),
                    },
                    from: from * 1000,
                    to: to * 1000,
                    window: interval_ms * 1000,
                    aggregations: vec![aggregation(w)],
                },
            )
            .await?;
        series.extend(res.into_iter().map(|s| {
            ChartSeries {
                widget: w.id.clone(),
                device: s.device,
                property: s.property,
                points: s
                    .windows
                    .into_iter()
                    .map(|win| {
                        (
                            win.ts.div_euclid(1000),
                            win.values.into_iter().next().flatten(),
                        )
                    })
                    .collect(),
            }
        }));
    }
    Ok(DashboardData {
        from,
        to,
        interval_ms,
        devices,
        missing,
        latest,
        series,
    })
}

/// The data of every widget: the devices, the latest values of the properties shown, and
/// each chart's series over the range (about 120 intervals).
#[utoipa::path(get, path = "/api/v1/dashboards/{id}/data", tag = "dashboards",
    params(("id" = DashboardId, Path), DataQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DashboardData), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn dashboard_data(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<DashboardId>,
    ApiQuery(q): ApiQuery<DataQuery>,
) -> ApiResult<Json<DashboardData>> {
    // The data is telemetry: an API key scoped to dashboards alone does not read it.
    if !p.can(Permission::TelemetryRead) {
        return Err(Error::Forbidden(Some(Permission::TelemetryRead)).into());
    }
    let tenant = p.tenant()?;
    let d = state.store.get_dashboard(tenant, id).await?;
    Ok(Json(data(&state, tenant, &d.document, q.range_s).await?))
}

/// A shared dashboard as its link shows it: no ids of the tenant beyond its devices'.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedDashboard {
    pub document: DashboardDoc,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The dashboard behind a share link, and whether its tenant is still active.
async fn shared(state: &AppState, token: &str) -> ApiResult<Dashboard> {
    let not_found = || ApiError::from(Error::NotFound(Resource::Dashboard));
    if token.len() != SHARE_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(not_found());
    }
    let d = state
        .store
        .find_shared_dashboard(token)
        .await?
        .ok_or_else(not_found)?;
    // A disabled tenant's links stop working with the rest of it.
    let t = state.store.get_tenant(d.tenant_id).await?;
    if !t.enabled {
        return Err(not_found());
    }
    Ok(d)
}

/// A dashboard shared read-only, by its link's token. No log-in.
#[utoipa::path(get, path = "/api/v1/shared/dashboards/{token}", tag = "dashboards",
    params(("token" = String, Path)),
    responses((status = 200, body = SharedDashboard), (status = 404, body = ErrorBody)))]
async fn shared_dashboard(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Json<SharedDashboard>> {
    let d = shared(&state, &token).await?;
    Ok(Json(SharedDashboard {
        document: d.document,
        updated_at: d.updated_at,
    }))
}

/// The data of a shared dashboard's widgets (as `GET /dashboards/{id}/data`). No log-in.
#[utoipa::path(get, path = "/api/v1/shared/dashboards/{token}/data", tag = "dashboards",
    params(("token" = String, Path), DataQuery),
    responses((status = 200, body = DashboardData), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn shared_dashboard_data(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ApiQuery(q): ApiQuery<DataQuery>,
) -> ApiResult<Json<DashboardData>> {
    let d = shared(&state, &token).await?;
    Ok(Json(
        data(&state, d.tenant_id, &d.document, q.range_s).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_intervals_are_whole_seconds_near_120_points() {
        assert_eq!(interval_for(60_000), 1000);
        assert_eq!(interval_for(3_600_000), 30_000);
        assert_eq!(interval_for(86_400_000), 720_000);
        assert_eq!(interval_for(100_000), 1000);
        assert_eq!(interval_for(3_660_000), 31_000);
    }

    #[test]
    fn coordinates_come_from_numbers_or_numeric_text() {
        let attrs: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
            r#"{"latitude": 31.23, "longitude": "121.47", "bad": "east", "inf": "inf"}"#,
        )
        .unwrap_or_default();
        assert_eq!(number(&attrs, "latitude"), Some(31.23));
        assert_eq!(number(&attrs, "longitude"), Some(121.47));
        assert_eq!(number(&attrs, "bad"), None);
        assert_eq!(number(&attrs, "inf"), None);
        assert_eq!(number(&attrs, "absent"), None);
    }
}
