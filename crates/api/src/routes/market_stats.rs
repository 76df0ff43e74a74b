//! What the marketplace counts of its developers, over HTTP: a developer's own analytics
//! (its apps' installations, calls and revenue per month) and, for reviewers and the
//! platform administrator, the platform's developer counts (registered, active and
//! third-party developers, developers using the SDK and their calls per month) with the
//! store's subscribing tenants and installations. Definitions: `ironloom_core::developer_stats`.
//!
//! Requests to the developer API are counted here per developer and month
//! ([`ApiMeter`]), in memory, and stored every few seconds and at shutdown.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::routes::market::DeveloperCaller;
use axum::Json;
use axum::extract::{Extension, State};
use chrono::Utc;
use ironloom_core::developer_stats::*;
use ironloom_core::error::{FieldError, FieldErrorKind, Result};
use ironloom_core::ids::DeveloperId;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(developer_analytics))
        .routes(routes!(statistics))
}

/// Requests to the developer API not stored yet, per developer and month.
#[derive(Debug, Default)]
pub struct ApiMeter {
    pending: Mutex<HashMap<(DeveloperId, String), (u64, u64)>>,
}

impl ApiMeter {
    /// Counts one request of a developer (`with_key`: made with an API key).
    pub fn record(&self, developer: DeveloperId, with_key: bool) {
        let month = month_of(Utc::now());
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let e = p.entry((developer, month)).or_default();
        e.0 += 1;
        e.1 += u64::from(with_key);
    }

    fn take(&self) -> Vec<DeveloperApiUsage> {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        p.drain()
            .map(
                |((developer_id, month), (calls, key_calls))| DeveloperApiUsage {
                    developer_id,
                    month,
                    calls,
                    key_calls,
                },
            )
            .collect()
    }

    fn restore(&self, rows: Vec<DeveloperApiUsage>) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for r in rows {
            let e = p.entry((r.developer_id, r.month)).or_default();
            e.0 += r.calls;
            e.1 += r.key_calls;
        }
    }
}

/// Stores the developer API requests counted since the last time (put back when the
/// write fails, for the next).
pub async fn flush_developer_usage(state: &AppState) -> Result<()> {
    let Some(market) = &state.market else {
        return Ok(());
    };
    let rows = market.calls.take();
    if let Err(e) = state.store.add_developer_api_usage(&rows).await {
        market.calls.restore(rows);
        return Err(e);
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthsQuery {
    /// How many months, ending with this one (1–36, default 12).
    pub months: Option<u32>,
}

/// The months asked for, ending with this one.
fn months_of(q: &MonthsQuery) -> std::result::Result<Vec<String>, FieldError> {
    let n = q.months.unwrap_or(12);
    if !(1..=36).contains(&n) {
        return Err(FieldError::new(
            "months",
            FieldErrorKind::OutOfRange { min: 1, max: 36 },
        ));
    }
    Ok(months_ending(&month_of(Utc::now()), n as usize))
}

/// The calling developer's analytics: per app, the tenants that took it from the store,
/// its installations (active ones), ratings, and per month its calls, errors, SDK calls
/// and revenue (the developer's share, fen); with its developer API requests per month.
#[utoipa::path(get, path = "/api/v1/market/developer/analytics", tag = "market", params(MonthsQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DeveloperAnalytics), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn developer_analytics(
    State(state): State<AppState>,
    Extension(DeveloperCaller(d)): Extension<DeveloperCaller>,
    ApiQuery(q): ApiQuery<MonthsQuery>,
) -> ApiResult<Json<DeveloperAnalytics>> {
    let months = months_of(&q)?;
    // This request's own count is stored with the next flush: store what is pending so
    // the figures include everything up to now.
    flush_developer_usage(&state).await?;
    let me = state
        .store
        .developer_census(Some(d.id))
        .await?
        .into_iter()
        .next()
        .unwrap_or(DeveloperCensus {
            id: d.id,
            first_party: d.first_party,
            status: d.status,
            created_at: d.created_at,
            apps: Vec::new(),
        });
    let (first, last) = (&months[0], &months[months.len() - 1]);
    let stats = state.store.app_stats().await?;
    // Calls since the first month ever (for the totals), then cut to the months asked.
    let usage = state
        .store
        .store_app_usage(Some(d.id), "0000-00", last)
        .await?;
    let api = state
        .store
        .developer_api_usage(Some(d.id), first, last)
        .await?;
    let earnings = state.store.developer_earnings(d.id).await?;
    Ok(Json(ironloom_core::developer_stats::developer_analytics(
        &me, &months, &stats, &usage, &api, &earnings,
    )))
}

/// The platform's developer counts of `months` (oldest first), with the usage counted so
/// far written first.
pub(crate) async fn developer_months(
    state: &AppState,
    months: &[String],
) -> Result<DeveloperCounts> {
    flush_developer_usage(state).await?;
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(DeveloperCounts { months: Vec::new() });
    };
    let census = state.store.developer_census(None).await?;
    let since = chrono::NaiveDate::parse_from_str(&format!("{first}-01"), "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .unwrap_or_default();
    let submissions = state.store.submission_times(since).await?;
    let usage = state.store.store_app_usage(None, first, last).await?;
    let api = state.store.developer_api_usage(None, first, last).await?;
    Ok(developer_counts(
        &census,
        months,
        &submissions,
        &usage,
        &api,
    ))
}

/// The store's reach now: listed apps, tenants that took an app from the store
/// (订阅用户数), installations and subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreReach {
    /// Apps with a release in the store.
    pub apps: u64,
    /// Tenants that took at least one app from the store.
    pub subscribing_tenants: u64,
    pub installations: u64,
    pub active_installations: u64,
    /// Subscriptions to plans that run now (trial or active).
    pub running_subscriptions: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarketStatistics {
    pub developers: DeveloperCounts,
    pub store: StoreReach,
}

/// The platform's developer counts per month (registered, verified, third-party and their
/// share, active, developers using the SDK, SDK calls and developer API requests), with
/// the store's reach now.
#[utoipa::path(get, path = "/api/v1/market/statistics", tag = "market", params(MonthsQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = MarketStatistics), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn statistics(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<MonthsQuery>,
) -> ApiResult<Json<MarketStatistics>> {
    let months = months_of(&q)?;
    let developers = developer_months(&state, &months).await?;

    let stats = state.store.app_stats().await?;
    let (apps, subscribing_tenants) = state.store.store_reach().await?;
    let running_subscriptions = state
        .store
        .list_subscriptions(None)
        .await?
        .iter()
        .filter(|s| s.status.runs())
        .count() as u64;
    let store = StoreReach {
        apps,
        subscribing_tenants,
        installations: stats.values().map(|s| s.installations).sum(),
        active_installations: stats.values().map(|s| s.active_installations).sum(),
        running_subscriptions,
    };
    Ok(Json(MarketStatistics { developers, store }))
}
