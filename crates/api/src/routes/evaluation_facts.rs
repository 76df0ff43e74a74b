//! What the evaluation report counts ([`Facts`]), gathered from the stores, and the
//! platform's facts kept in memory so the report opens at once on a large platform.
//!
//! Gathering the platform's facts groups every device, its month's activity and commands,
//! every tenant's profile and stored bytes: seconds at a million devices. So the platform's
//! facts of a month are kept for [`ApiSettings::evaluation_max_age`](crate::ApiSettings):
//! a request within that age is answered from them (any industry or region chosen is
//! figured from them in memory); an older copy is still answered at once while one
//! gathering runs in the background for the next request (never two at a time); the first
//! request of a month, and a request that asks for fresh figures, waits for a gathering. A
//! report says when its facts were gathered and how long that took. A tenant's own facts
//! are few and always gathered on request.

use crate::AppState;
use crate::error::ApiResult;
use crate::routes::market_stats::developer_months;
use chrono::{DateTime, Utc};
use ironloom_core::developer_stats::months_ending;
use ironloom_core::enterprise::EnterpriseProfile;
use ironloom_core::entity::{PageRequest, TenantFilter, TenantSort};
use ironloom_core::evaluation::{Facts, ModelFacts, TenantFacts};
use ironloom_core::ids::TenantId;
use ironloom_core::load::LoadFigures;
use ironloom_core::repo::Scope;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Facts and when they were gathered.
#[derive(Debug, Clone)]
pub(crate) struct Gathered {
    pub facts: Arc<Facts>,
    pub at: DateTime<Utc>,
    /// How long gathering them took.
    pub took_ms: u64,
}

/// Months whose platform facts are kept (the current one and a few looked at).
const KEPT_MONTHS: usize = 4;

/// The platform's facts per month, kept between requests (one per [`AppState`]).
#[derive(Debug, Default)]
pub struct FactsCache {
    kept: std::sync::Mutex<BTreeMap<String, Gathered>>,
    /// One gathering of the platform's facts at a time.
    gathering: tokio::sync::Mutex<()>,
    /// A background gathering is under way.
    refreshing: AtomicBool,
}

impl FactsCache {
    fn get(&self, month: &str) -> Option<Gathered> {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(month)
            .cloned()
    }

    fn put(&self, month: &str, g: Gathered) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.insert(month.to_owned(), g);
        while kept.len() > KEPT_MONTHS {
            // The month gathered longest ago goes.
            let oldest = kept
                .iter()
                .min_by_key(|(_, g)| g.at)
                .map(|(m, _)| m.clone());
            if let Some(m) = oldest {
                kept.remove(&m);
            }
        }
    }
}

/// The facts of `month` (`YYYY-MM`) for `scope`: a tenant's gathered now; the platform's
/// from the cache as described above (`fresh`: gathered now whatever the cache holds).
pub(crate) async fn facts(
    state: &AppState,
    scope: Scope,
    month: &str,
    fresh: bool,
) -> ApiResult<Gathered> {
    if scope != Scope::All {
        return gather_timed(state, scope, month).await;
    }
    let cache = &state.evaluation;
    let max_age = chrono::Duration::from_std(state.settings.evaluation_max_age)
        .unwrap_or(chrono::Duration::MAX);
    // A zero age keeps nothing: every report gathers (one at a time).
    if max_age.is_zero() {
        return gather_kept(state, month, None).await;
    }
    if !fresh && let Some(g) = cache.get(month) {
        if Utc::now() - g.at >= max_age && !cache.refreshing.swap(true, Ordering::AcqRel) {
            let (state, month) = (state.clone(), month.to_owned());
            tokio::spawn(async move {
                if let Err(e) = gather_kept(&state, &month, None).await {
                    tracing::warn!(error = ?e, %month, "evaluation facts not refreshed");
                }
                state.evaluation.refreshing.store(false, Ordering::Release);
            });
        }
        return Ok(g);
    }
    let started = Utc::now();
    gather_kept(state, month, (!fresh).then_some(started)).await
}

/// Gathers the platform's facts and keeps them, one gathering at a time; a caller that
/// waited while another gathered facts newer than `newer_than` takes those.
async fn gather_kept(
    state: &AppState,
    month: &str,
    newer_than: Option<DateTime<Utc>>,
) -> ApiResult<Gathered> {
    let cache = &state.evaluation;
    let _one = cache.gathering.lock().await;
    if let Some(since) = newer_than
        && let Some(g) = cache.get(month)
        && g.at >= since
    {
        return Ok(g);
    }
    let g = gather_timed(state, Scope::All, month).await?;
    cache.put(month, g.clone());
    Ok(g)
}

async fn gather_timed(state: &AppState, scope: Scope, month: &str) -> ApiResult<Gathered> {
    let at = Utc::now();
    let t0 = Instant::now();
    let facts = gather(state, scope, month).await?;
    Ok(Gathered {
        facts: Arc::new(facts),
        at,
        took_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// Every tenant (or the caller's), with profiles, payments and stored data.
async fn tenants(state: &AppState, scope: Scope) -> ApiResult<Vec<TenantFacts>> {
    let mut all = Vec::new();
    match scope {
        Scope::Tenant(t) => all.push(state.store.get_tenant(t).await?),
        Scope::All => {
            let mut page = PageRequest::<TenantSort> {
                page: 1,
                page_size: 1000,
                ..Default::default()
            };
            loop {
                let p = state
                    .store
                    .list_tenants(&TenantFilter::default(), &page)
                    .await?;
                let n = p.items.len();
                all.extend(p.items);
                if n < page.page_size as usize {
                    break;
                }
                page.page += 1;
            }
        }
    }
    // A tenant's report reads its own profile only.
    let profiles: Vec<EnterpriseProfile> = match scope {
        Scope::All => state.store.all_profiles().await?,
        Scope::Tenant(t) => state.store.get_profile(t).await?.into_iter().collect(),
    };
    let profiles: BTreeMap<TenantId, EnterpriseProfile> =
        profiles.into_iter().map(|p| (p.tenant_id, p)).collect();
    let paying: BTreeSet<TenantId> = state.store.paying_tenants().await?.into_iter().collect();
    let ids: Vec<TenantId> = all.iter().map(|t| t.id).collect();
    let stored: BTreeMap<TenantId, u64> = match state.telemetry.stats_many(&ids).await {
        Ok(s) => s
            .into_iter()
            .map(|s| (s.tenant, s.bytes + s.wal_bytes))
            .collect(),
        Err(e) => {
            // The report still answers; its stored bytes say 0 and the log says why.
            tracing::warn!(error = %e, "tenants' stored data not read for the evaluation report");
            BTreeMap::new()
        }
    };
    Ok(all
        .into_iter()
        .map(|t| TenantFacts {
            id: t.id,
            profile: profiles.get(&t.id).cloned(),
            paying: paying.contains(&t.id),
            stored_bytes: stored.get(&t.id).copied().unwrap_or(0),
            code: t.code,
            name: t.name,
        })
        .collect())
}

/// What the stores hold for the month, for the caller's scope.
async fn gather(state: &AppState, scope: Scope, month: &str) -> ApiResult<Facts> {
    // This node's model calls counted so far are written first (the others write theirs
    // every few seconds).
    ironloom_models::meter::flush(&state.meter, &*state.store).await?;
    let months = months_ending(month, 12);
    let (first, last) = (months[0].clone(), months[months.len() - 1].clone());
    let developers = developer_months(state, &months)
        .await?
        .months
        .into_iter()
        .last()
        .unwrap_or_default();
    let tenant = match scope {
        Scope::All => None,
        Scope::Tenant(t) => Some(t),
    };
    // The platform's transactions are the platform's figure, not a tenant's.
    let load = match scope {
        Scope::All => Some(load_of(state, month).await?),
        Scope::Tenant(_) => None,
    };
    let facts = Facts {
        month: month.to_owned(),
        tenants: tenants(state, scope).await?,
        devices: state.store.device_groups(month, tenant).await?,
        models: ironloom_models::models()
            .map(|m| ModelFacts {
                id: m.card.id.to_owned(),
                kind: m.card.kind,
                industries: m.card.industries.iter().map(|s| (*s).to_owned()).collect(),
                domains: m.card.domains.to_vec(),
            })
            .collect(),
        apps: state.store.released_apps().await?,
        subscribers: state.store.store_subscribers().await?,
        calls: state.store.model_calls(&first, &last, tenant).await?,
        months,
        developers,
        load,
    };
    Ok(match scope {
        Scope::All => facts,
        // A tenant's figures are its own: its devices, calls, subscriptions.
        Scope::Tenant(t) => facts.only(|x| x.id == t),
    })
}

/// The platform's transactions of `month` (`YYYY-MM`, checked by the caller), with the
/// average over the seconds the month has had.
async fn load_of(state: &AppState, month: &str) -> ApiResult<LoadFigures> {
    let start = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|e| ironloom_core::error::Error::storage("read the month", e.to_string()))?;
    let end = start
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(start);
    let secs = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp()
    };
    let (from, to) = (secs(start), secs(end));
    let mut load = state.store.load_figures(from / 60, to / 60).await?;
    let elapsed = Utc::now().timestamp().min(to) - from;
    if elapsed > 0 {
        load.average_tps = load.transactions as f64 / elapsed as f64;
    }
    Ok(load)
}
