//! The evaluation report (平台评价) for machines and for the console: every figure of the
//! platform criteria computed from the platform's own records for one month, each
//! criterion with its floor and verdict, and the records behind each figure. The platform
//! administrator sees the whole platform; a tenant sees its own figures only.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, RequestLocale};
use crate::extract::{ApiJson, ApiQuery};
use crate::routes::evaluation_facts::facts;
use axum::Json;
use axum::extract::{Extension, State};
use chrono::{DateTime, NaiveDate, Utc};
use ironloom_core::developer_stats::{month_of, months_ending};
use ironloom_core::entity::Page;
use ironloom_core::error::{Error, FieldErrorKind};
use ironloom_core::evaluation::indicators::{
    IndicatorResult, PlatformClass, Scoped, evaluate, indicator_name, industry_facts, region_facts,
};
use ironloom_core::evaluation::{DeviceRecord, Metrics, RecordFilter, TenantRecord};
use ironloom_core::i18n::Locale;
use ironloom_core::ids::TenantId;
use ironloom_core::industry::DeviceCategory;
use ironloom_core::repo::Scope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(report))
        .routes(routes!(records))
        .routes(routes!(tenant_records))
        .routes(routes!(list_snapshots, post_snapshot))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `YYYY-MM` (UTC); default: this month.
    month: Option<String>,
    /// The division the industry classes are figured for (`C34`); default: the division
    /// with the most connected devices.
    industry: Option<String>,
    /// The region the regional classes are figured for (a GB/T 2260 code); default: the
    /// province with the most enterprises.
    region: Option<String>,
    /// Gather the figures now (the platform administrator); by default they may be up to
    /// `api.evaluation_max_age` old (see `computed_at`).
    #[serde(default)]
    fresh: bool,
}

/// A platform class's name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClassName {
    pub class: PlatformClass,
    pub name: String,
}

/// The report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub month: String,
    /// Read from the month's snapshot (computed soon after the month ended), not live.
    #[serde(default)]
    pub from_snapshot: bool,
    /// `platform` (the administrator) or `tenant` (a tenant's own figures, no criteria).
    pub scope: String,
    /// When the figures were gathered from the records.
    pub computed_at: DateTime<Utc>,
    /// How long gathering them took, in milliseconds.
    #[serde(default)]
    pub gathered_in_ms: u64,
    /// The platform version that computed it.
    pub version: String,
    pub metrics: Metrics,
    /// The region and division the regional and industry classes were figured for.
    pub region: Option<String>,
    pub region_metrics: Option<Metrics>,
    pub industry: Option<String>,
    pub industry_metrics: Option<Metrics>,
    pub classes: Vec<ClassName>,
    pub indicators: Vec<IndicatorResult>,
}

fn bad_month() -> ApiError {
    Error::invalid(
        "month",
        FieldErrorKind::Format {
            expected: "a month YYYY-MM",
            expected_zh: "月份 YYYY-MM",
        },
    )
    .into()
}

/// The month asked for (`YYYY-MM`, checked), or this one.
pub(crate) fn period(month: Option<&str>) -> ApiResult<String> {
    let month = month.map_or_else(|| month_of(Utc::now()), str::to_owned);
    if month.len() != 7 || NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_err() {
        return Err(bad_month());
    }
    Ok(month)
}

/// The evaluation report for a month: the figures, and (for the platform administrator)
/// every quantitative criterion of the seeds with its floor and verdict.
#[utoipa::path(get, path = "/api/v1/evaluation", tag = "evaluation", params(ReportQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Report), (status = 422, body = ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    p: Principal,
    Extension(RequestLocale(locale)): Extension<RequestLocale>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Report>> {
    let choice = Choice {
        industry: q.industry,
        region: q.region,
        fresh: q.fresh,
    };
    Ok(Json(
        report_for(&state, p.scope(), q.month.as_deref(), choice, locale).await?,
    ))
}

/// The report of a month for the caller: a month that ended is read from its snapshot
/// (as it was then, in the caller's language), unless another industry or region is asked
/// for, which is figured live, as is every tenant's own report.
pub(crate) async fn report_for(
    state: &AppState,
    scope: Scope,
    month: Option<&str>,
    choice: Choice,
    locale: Locale,
) -> ApiResult<Report> {
    let month = period(month)?;
    if scope == Scope::All
        && choice.industry.is_none()
        && choice.region.is_none()
        && month < month_of(Utc::now())
        && let Some(mut r) = snapshot(state, &month).await?
    {
        let zh = locale == Locale::ZhCn;
        for c in &mut r.classes {
            c.name = (if zh {
                c.class.names().1
            } else {
                c.class.names().0
            })
            .to_owned();
        }
        for i in &mut r.indicators {
            if let Some(name) = indicator_name(&i.id, zh) {
                i.name = name.to_owned();
            }
        }
        return Ok(r);
    }
    compute_report(state, scope, &month, &choice, locale).await
}

/// The industry and region the industry and regional classes are figured for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Choice {
    pub industry: Option<String>,
    pub region: Option<String>,
    /// Gather the figures now, not from the kept ones.
    pub fresh: bool,
}

/// The month's kept report, if there is one.
pub(crate) async fn snapshot(state: &AppState, month: &str) -> ApiResult<Option<Report>> {
    let Some((_, _, _, json)) = state
        .store
        .snapshots(month, month)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let mut r: Report = serde_json::from_str(&json)
        .map_err(|e| Error::storage("read evaluation snapshot", e.to_string()))?;
    r.from_snapshot = true;
    Ok(Some(r))
}

/// The report of `month` for `scope`, computed now.
pub(crate) async fn compute_report(
    state: &AppState,
    scope: Scope,
    month: &str,
    choice: &Choice,
    locale: Locale,
) -> ApiResult<Report> {
    let gathered = facts(state, scope, month, choice.fresh).await?;
    let facts = &*gathered.facts;
    let metrics = Metrics::of(facts);
    let zh = locale == Locale::ZhCn;
    let mut out = Report {
        month: month.to_owned(),
        from_snapshot: false,
        scope: if scope == Scope::All {
            "platform"
        } else {
            "tenant"
        }
        .into(),
        computed_at: gathered.at,
        gathered_in_ms: gathered.took_ms,
        version: env!("CARGO_PKG_VERSION").into(),
        region: None,
        region_metrics: None,
        industry: None,
        industry_metrics: None,
        classes: PlatformClass::ALL
            .iter()
            .map(|c| ClassName {
                class: *c,
                name: (if zh { c.names().1 } else { c.names().0 }).to_owned(),
            })
            .collect(),
        indicators: Vec::new(),
        metrics,
    };
    if scope != Scope::All {
        return Ok(out);
    }
    let region = match &choice.region {
        Some(r) => {
            ironloom_core::region::path(r)
                .map_err(|(en, zh)| Error::invalid("region", FieldErrorKind::Other { en, zh }))?;
            Some(r.clone())
        }
        None => out
            .metrics
            .regions
            .iter()
            .max_by_key(|r| (r.enterprises, r.connected_devices))
            .map(|r| r.region.clone()),
    };
    let industry = match &choice.industry {
        Some(i) => Some(
            ironloom_core::division::check_industry(&i.trim().to_uppercase())
                .map_err(|(en, zh)| Error::invalid("industry", FieldErrorKind::Other { en, zh }))?
                .key(),
        ),
        None => out
            .metrics
            .industries
            .iter()
            .filter(|i| i.enterprises > 0)
            .max_by_key(|i| (i.connected_devices, i.enterprises))
            .map(|i| i.industry.clone()),
    };
    let region_metrics = region
        .as_deref()
        .map(|r| Metrics::of(&region_facts(facts, r)));
    let industry_metrics = industry
        .as_deref()
        .map(|i| Metrics::of(&industry_facts(facts, i)));
    out.indicators = evaluate(
        &Scoped {
            platform: &out.metrics,
            region: region_metrics.as_ref().zip(region.as_deref()),
            industry: industry_metrics.as_ref().zip(industry.as_deref()),
        },
        zh,
    );
    out.region = region;
    out.region_metrics = region_metrics;
    out.industry = industry;
    out.industry_metrics = industry_metrics;
    Ok(out)
}

/// Keeps the report of the month before the current one, once it is over (a node checks
/// every hour; a month already kept stays as it was). The month it kept, if any.
pub async fn keep_last_month(state: &AppState) -> ApiResult<Option<String>> {
    let now = Utc::now();
    let last = months_ending(&month_of(now), 2)
        .into_iter()
        .next()
        .unwrap_or_default();
    if !state.store.snapshots(&last, &last).await?.is_empty() {
        return Ok(None);
    }
    take_snapshot(state, &last, false).await?;
    Ok(Some(last))
}

/// Computes and keeps the platform's report of `month` (replacing a kept one when
/// `replace`).
pub(crate) async fn take_snapshot(
    state: &AppState,
    month: &str,
    replace: bool,
) -> ApiResult<Report> {
    let month = period(Some(month))?;
    let r = compute_report(
        state,
        Scope::All,
        &month,
        &Choice {
            fresh: true,
            ..Default::default()
        },
        Locale::En,
    )
    .await?;
    let json = serde_json::to_string(&r)
        .map_err(|e| Error::storage("keep evaluation snapshot", e.to_string()))?;
    state
        .store
        .put_snapshot(&month, r.computed_at, &r.version, &json, replace)
        .await?;
    Ok(r)
}

/// A month's kept figures, for trends.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotSummary {
    pub month: String,
    pub computed_at: DateTime<Utc>,
    pub version: String,
    pub connected_devices: u64,
    pub managed_devices: u64,
    pub registered_devices: u64,
    pub enterprises: u64,
    pub apps: u64,
    pub subscribers: u64,
    pub average_monthly_calls: u64,
    pub developers: u64,
    /// Criteria met, of all figured.
    pub met: u64,
    pub criteria: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SnapshotQuery {
    /// First month (`YYYY-MM`); default: 24 months before `to`.
    from: Option<String>,
    /// Last month; default: this month.
    to: Option<String>,
}

/// The kept monthly reports' main figures, oldest first (the platform's; a tenant gets
/// none).
#[utoipa::path(get, path = "/api/v1/evaluation/snapshots", tag = "evaluation", params(SnapshotQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<SnapshotSummary>), (status = 422, body = ErrorBody)))]
async fn list_snapshots(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<SnapshotQuery>,
) -> ApiResult<Json<Vec<SnapshotSummary>>> {
    // The kept reports are the platform's; a tenant has none of its own.
    if p.scope() != Scope::All {
        return Ok(Json(Vec::new()));
    }
    let to = period(q.to.as_deref())?;
    let from = match q.from {
        Some(f) => period(Some(&f))?,
        None => months_ending(&to, 24)
            .into_iter()
            .next()
            .unwrap_or_default(),
    };
    let mut out = Vec::new();
    for (month, computed_at, version, json) in state.store.snapshots(&from, &to).await? {
        let r: Report = serde_json::from_str(&json)
            .map_err(|e| Error::storage("read evaluation snapshot", e.to_string()))?;
        let m = &r.metrics;
        out.push(SnapshotSummary {
            month,
            computed_at,
            version,
            connected_devices: m.connected_devices,
            managed_devices: m.managed_devices,
            registered_devices: m.registered_devices,
            enterprises: m.enterprises,
            apps: m.apps,
            subscribers: m.subscribers,
            average_monthly_calls: m.average_monthly_calls,
            developers: m.developers.registered,
            met: r.indicators.iter().filter(|i| i.pass).count() as u64,
            criteria: r.indicators.len() as u64,
        });
    }
    Ok(Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotInput {
    /// The month to keep (`YYYY-MM`); a month kept before is computed again.
    pub month: String,
}

/// Computes a month's report now and keeps it (platform administrator): the month just
/// ended is kept by itself every hour; this one takes any month again.
#[utoipa::path(post, path = "/api/v1/evaluation/snapshots", tag = "evaluation",
    request_body = SnapshotInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Report), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_snapshot(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SnapshotInput>,
) -> ApiResult<Json<Report>> {
    Ok(Json(take_snapshot(&state, &input.month, true).await?))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecordList {
    ConnectedDevices,
    ManagedDevices,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    /// Which records: `connected_devices` or `managed_devices`.
    list: RecordList,
    month: Option<String>,
    /// Only this tenant's (the platform administrator; a tenant sees its own anyway).
    tenant: Option<TenantId>,
    industry: Option<String>,
    region: Option<String>,
    category: Option<DeviceCategory>,
    kind: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
}

/// The records behind a figure of the report: which devices were connected (with what
/// they delivered) or managed (with the commands that succeeded) in the month.
#[utoipa::path(get, path = "/api/v1/evaluation/records", tag = "evaluation", params(RecordQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<DeviceRecord>), (status = 422, body = ErrorBody)))]
async fn records(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<RecordQuery>,
) -> ApiResult<Json<Page<DeviceRecord>>> {
    let month = period(q.month.as_deref())?;
    let tenant = match p.scope() {
        Scope::Tenant(t) => Some(t),
        Scope::All => q.tenant,
    };
    let filter = RecordFilter {
        tenant,
        industry: q.industry.map(|i| i.trim().to_uppercase()),
        region: q.region,
        category: q.category,
        kind: q.kind,
    };
    let page = q.page.unwrap_or(1).max(1);
    let size = q.page_size.unwrap_or(50).clamp(1, 500);
    let out = match q.list {
        RecordList::ConnectedDevices => {
            state
                .store
                .connected_devices(&month, &filter, page, size)
                .await?
        }
        RecordList::ManagedDevices => {
            state
                .store
                .managed_devices(&month, &filter, page, size)
                .await?
        }
    };
    Ok(Json(out))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TenantRecordList {
    /// Model and algorithm calls per tenant, month, model and path, over the twelve months
    /// ending with the month (what the average monthly calls count).
    ModelCalls,
    /// Apps tenants took from the store (the subscribers).
    Subscribers,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TenantRecordQuery {
    /// Which records: `model_calls` or `subscribers`.
    list: TenantRecordList,
    month: Option<String>,
    /// Only this tenant's (the platform administrator; a tenant sees its own anyway).
    tenant: Option<TenantId>,
    industry: Option<String>,
    region: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
}

/// The tenants' records behind the calls and the subscribers: which tenant called which
/// model how often in which month and by which path, which tenant took which app.
#[utoipa::path(get, path = "/api/v1/evaluation/tenant-records", tag = "evaluation", params(TenantRecordQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<TenantRecord>), (status = 422, body = ErrorBody)))]
async fn tenant_records(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<TenantRecordQuery>,
) -> ApiResult<Json<Page<TenantRecord>>> {
    let month = period(q.month.as_deref())?;
    let filter = RecordFilter {
        tenant: match p.scope() {
            Scope::Tenant(t) => Some(t),
            Scope::All => q.tenant,
        },
        industry: q.industry.map(|i| i.trim().to_uppercase()),
        region: q.region,
        category: None,
        kind: None,
    };
    let page = q.page.unwrap_or(1).max(1);
    let size = q.page_size.unwrap_or(50).clamp(1, 500);
    let out = match q.list {
        TenantRecordList::ModelCalls => {
            let months = months_ending(&month, 12);
            let first = months.first().cloned().unwrap_or_default();
            state
                .store
                .call_records(&first, &month, &filter, page, size)
                .await?
        }
        TenantRecordList::Subscribers => {
            state.store.subscriber_records(&filter, page, size).await?
        }
    };
    Ok(Json(out))
}
