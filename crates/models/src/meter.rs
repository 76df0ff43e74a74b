//! Metering of model and algorithm calls: every call — over the API, in a batch, a job,
//! a live binding or a rule — is counted per tenant, calendar month (UTC), model and path,
//! with the time spent evaluating, in memory on the call's path (a lock and a map
//! update, no I/O). The binary drains the counts into the relational store every few
//! seconds ([`Meter::take`], [`Meter::restore`] when the write fails) and at shutdown.
//!
//! Quotas: a tenant's calls this month are the stored ones, read once per tenant and
//! month ([`Meter::seed`]), plus every call recorded since. Counts on their way to the
//! store in that instant are in neither, so a quota may let a few calls more through.

use ironloom_core::ids::TenantId;
use ironloom_core::model::{CallSource, UsageRow};
use std::collections::HashMap;
use std::sync::Mutex;

/// `YYYY-MM` of a Unix time in seconds (UTC), by the civil-from-days algorithm (Howard
/// Hinnant, "chrono-Compatible Low-Level Date Algorithms").
pub fn month_of(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}")
}

/// The current month, `YYYY-MM` (UTC).
pub fn this_month() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    month_of(secs)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    calls: u64,
    errors: u64,
    cpu_us: u64,
}

type Key = (TenantId, String, String, CallSource);

#[derive(Debug, Default)]
struct State {
    /// Not yet stored.
    pending: HashMap<Key, Counts>,
    /// Calls of a tenant in a month, where known: stored when seeded, plus every call
    /// recorded since.
    totals: HashMap<(TenantId, String), u64>,
    /// Tenants' monthly limits as last read, and when.
    limits: HashMap<TenantId, (Option<u64>, std::time::Instant)>,
}

/// How long a tenant's quota is taken as read before it is read again.
const LIMIT_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The call counter (one per process).
#[derive(Debug, Default)]
pub struct Meter {
    state: Mutex<State>,
}

impl Meter {
    pub fn new() -> Meter {
        Meter::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one call (`ok` false for a refusal) that took `cpu_us` microseconds.
    pub fn record(&self, tenant: TenantId, model: &str, source: CallSource, ok: bool, cpu_us: u64) {
        self.record_many(tenant, model, source, 1, u64::from(!ok), cpu_us);
    }

    /// Counts `calls` calls at once (a batch), `errors` of them refused.
    pub fn record_many(
        &self,
        tenant: TenantId,
        model: &str,
        source: CallSource,
        calls: u64,
        errors: u64,
        cpu_us: u64,
    ) {
        if calls == 0 {
            return;
        }
        ironloom_core::load::count(ironloom_core::load::Path::ModelCalls, calls);
        let month = this_month();
        let tenant_label = tenant.to_string();
        metrics::counter!("ironloom_model_calls_total", "tenant" => tenant_label.clone(), "model" => model.to_string())
            .increment(calls);
        metrics::counter!("ironloom_model_cpu_microseconds_total", "tenant" => tenant_label, "model" => model.to_string())
            .increment(cpu_us);
        let mut s = self.state();
        if let Some(t) = s.totals.get_mut(&(tenant, month.clone())) {
            *t = t.saturating_add(calls);
        }
        let c = s
            .pending
            .entry((tenant, month, model.to_string(), source))
            .or_default();
        c.calls = c.calls.saturating_add(calls);
        c.errors = c.errors.saturating_add(errors);
        c.cpu_us = c.cpu_us.saturating_add(cpu_us);
    }

    /// The tenant's calls in `month`, when known (after [`seed`](Self::seed)).
    pub fn used(&self, tenant: TenantId, month: &str) -> Option<u64> {
        self.state()
            .totals
            .get(&(tenant, month.to_string()))
            .copied()
    }

    /// Sets what the store holds for the tenant's month; returns the calls in all.
    pub fn seed(&self, tenant: TenantId, month: &str, stored: u64) -> u64 {
        let mut s = self.state();
        let pending: u64 = s
            .pending
            .iter()
            .filter(|((t, m, _, _), _)| *t == tenant && m == month)
            .map(|(_, c)| c.calls)
            .sum();
        let total = stored.saturating_add(pending);
        s.totals.insert((tenant, month.to_string()), total);
        total
    }

    /// Takes every count not yet stored, by tenant.
    pub fn take(&self) -> Vec<(TenantId, Vec<UsageRow>)> {
        let pending = std::mem::take(&mut self.state().pending);
        let mut by_tenant: HashMap<TenantId, Vec<UsageRow>> = HashMap::new();
        for ((tenant, month, model, source), c) in pending {
            by_tenant.entry(tenant).or_default().push(UsageRow {
                month,
                model,
                source,
                calls: c.calls,
                errors: c.errors,
                cpu_us: c.cpu_us,
            });
        }
        by_tenant.into_iter().collect()
    }

    /// Puts back counts whose write failed (they go with the next one).
    pub fn restore(&self, tenant: TenantId, rows: Vec<UsageRow>) {
        let mut s = self.state();
        for r in rows {
            let c = s
                .pending
                .entry((tenant, r.month, r.model, r.source))
                .or_default();
            c.calls = c.calls.saturating_add(r.calls);
            c.errors = c.errors.saturating_add(r.errors);
            c.cpu_us = c.cpu_us.saturating_add(r.cpu_us);
        }
    }

    /// Refuses `calls` more calls of a tenant beyond its monthly quota. The limit is read
    /// at most every few seconds, the month's stored count once per tenant and month;
    /// the meter adds every call after it.
    pub async fn admit(
        &self,
        store: &dyn ironloom_core::repo::MetaStore,
        tenant: TenantId,
        calls: u64,
    ) -> ironloom_core::error::Result<()> {
        let cached = self
            .state()
            .limits
            .get(&tenant)
            .filter(|(_, at)| at.elapsed() < LIMIT_TTL)
            .map(|(l, _)| *l);
        let limit = match cached {
            Some(l) => l,
            None => {
                let l = store.get_tenant(tenant).await?.max_model_calls;
                self.state()
                    .limits
                    .insert(tenant, (l, std::time::Instant::now()));
                l
            }
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        let month = this_month();
        let used = match self.used(tenant, &month) {
            Some(u) => u,
            None => {
                let stored: u64 = store
                    .model_usage(tenant, &month, &month)
                    .await?
                    .iter()
                    .map(|r| r.calls)
                    .sum();
                self.seed(tenant, &month, stored)
            }
        };
        if used.saturating_add(calls) > limit {
            return Err(ironloom_core::model::ModelError::QuotaExhausted {
                limit,
                used,
                asked: calls,
                month,
            }
            .into());
        }
        Ok(())
    }

    /// Refuses `calls` more calls of a tenant beyond its quota as last read, without I/O:
    /// for callers that cannot wait (rule expressions). The limit and the month's count
    /// are kept fresh by [`admit`](Self::admit) (the API, jobs, bindings) and by [`flush`]
    /// for every tenant with calls, so a tenant that calls models only from rules is
    /// refused within a flush interval of reaching its quota.
    pub fn check_cached(
        &self,
        tenant: TenantId,
        calls: u64,
    ) -> Result<(), ironloom_core::model::ModelError> {
        let month = this_month();
        let s = self.state();
        let Some((Some(limit), _)) = s.limits.get(&tenant) else {
            return Ok(());
        };
        let Some(&used) = s.totals.get(&(tenant, month.clone())) else {
            return Ok(());
        };
        if used.saturating_add(calls) > *limit {
            return Err(ironloom_core::model::ModelError::QuotaExhausted {
                limit: *limit,
                used,
                asked: calls,
                month,
            });
        }
        Ok(())
    }

    /// Forgets a tenant's cached limit (after an administrator changed it).
    pub fn forget_limit(&self, tenant: TenantId) {
        self.state().limits.remove(&tenant);
    }

    /// Forgets the months before `month` (their totals are no longer needed).
    pub fn forget_before(&self, month: &str) {
        self.state().totals.retain(|(_, m), _| m.as_str() >= month);
    }
}

/// Model calls for rule expressions and live bindings: evaluates in the library and counts
/// each call (refused ones as refused) in the meter.
#[derive(Debug, Clone)]
pub struct MeteredCaller {
    meter: std::sync::Arc<Meter>,
}

impl MeteredCaller {
    pub fn new(meter: std::sync::Arc<Meter>) -> MeteredCaller {
        MeteredCaller { meter }
    }
}

impl ironloom_core::model::ModelCaller for MeteredCaller {
    fn call(
        &self,
        tenant: TenantId,
        source: CallSource,
        id: &str,
        output: &str,
        args: &[f64],
    ) -> Result<f64, ironloom_core::model::ModelError> {
        use ironloom_core::model::{Catalogue, ModelError};
        let library = crate::Library::get();
        let card = library
            .card(id)
            .ok_or_else(|| ModelError::UnknownModel(id.to_string()))?;
        let index = ironloom_core::model::positional(card, output, args.len())?;
        if let Err(e) = self.meter.check_cached(tenant, 1) {
            self.meter.record(tenant, card.id, source, false, 0);
            return Err(e);
        }
        let started = std::time::Instant::now();
        let result = library.evaluate(id, &ironloom_core::model::with_defaults(card, args));
        let us = started.elapsed().as_micros() as u64;
        self.meter
            .record(tenant, card.id, source, result.is_ok(), us);
        Ok(result?[index])
    }
}

/// Writes every pending count to the store (counts whose write fails are put back), and
/// refreshes the quota of every tenant that called, for [`Meter::check_cached`].
pub async fn flush(
    meter: &Meter,
    store: &dyn ironloom_core::repo::MetaStore,
) -> ironloom_core::error::Result<()> {
    let mut result = Ok(());
    for (tenant, rows) in meter.take() {
        if let Err(e) = store.add_model_usage(tenant, &rows).await {
            meter.restore(tenant, rows);
            result = Err(e);
        }
        // Over the quota already is an answer for the next call, not a failure here.
        if let Err(e @ ironloom_core::error::Error::Storage { .. }) =
            meter.admit(store, tenant, 0).await
        {
            result = Err(e);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_of_unix_times() {
        assert_eq!(month_of(0), "1970-01");
        // 2026-12-05T20:00:00Z and the last second of 2026-02.
        assert_eq!(month_of(1_796_500_800), "2026-12");
        assert_eq!(month_of(1_772_323_199), "2026-02");
        assert_eq!(month_of(1_772_323_200), "2026-03");
        // 2024-02-29 (leap day) and before the epoch.
        assert_eq!(month_of(1_709_164_800), "2024-02");
        assert_eq!(month_of(-1), "1969-12");
    }

    #[test]
    fn counts_are_taken_once_and_restored_on_failure() {
        let m = Meter::new();
        let (a, b) = (TenantId::new(), TenantId::new());
        m.record(a, "hx.lmtd", CallSource::Api, true, 10);
        m.record(a, "hx.lmtd", CallSource::Api, false, 5);
        m.record_many(a, "hx.lmtd", CallSource::Batch, 100, 3, 900);
        m.record(b, "steam.if97_psat_t", CallSource::Rule, true, 1);
        let mut taken = m.take();
        assert_eq!(taken.len(), 2);
        assert!(m.take().is_empty());
        taken.sort_by_key(|(t, _)| *t == b);
        let (t, mut rows) = taken.remove(0);
        assert_eq!(t, a);
        rows.sort_by_key(|r| r.source);
        assert_eq!((rows[0].calls, rows[0].errors, rows[0].cpu_us), (2, 1, 15));
        assert_eq!((rows[1].calls, rows[1].errors), (100, 3));
        m.restore(a, rows);
        let again = m.take();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].1.iter().map(|r| r.calls).sum::<u64>(), 102);
    }

    #[test]
    fn a_cached_quota_refuses_without_io() {
        let m = Meter::new();
        let a = TenantId::new();
        let month = this_month();
        // Nothing known: nothing refused.
        assert!(m.check_cached(a, 1).is_ok());
        m.state()
            .limits
            .insert(a, (Some(10), std::time::Instant::now()));
        m.seed(a, &month, 9);
        assert!(m.check_cached(a, 1).is_ok());
        m.record(a, "hx.lmtd", CallSource::Rule, true, 1);
        let e = m.check_cached(a, 1).unwrap_err();
        assert!(e.to_string().contains("10 model calls"), "{e}");
        // Another tenant is not affected.
        assert!(m.check_cached(TenantId::new(), 1).is_ok());
    }

    #[test]
    fn totals_are_stored_plus_recorded() {
        let m = Meter::new();
        let a = TenantId::new();
        let month = this_month();
        assert_eq!(m.used(a, &month), None);
        m.record(a, "hx.lmtd", CallSource::Api, true, 1);
        assert_eq!(m.seed(a, &month, 40), 41);
        m.record_many(a, "hx.lmtd", CallSource::Batch, 9, 0, 1);
        assert_eq!(m.used(a, &month), Some(50));
        let _ = m.take();
        assert_eq!(m.used(a, &month), Some(50));
        m.forget_before("9999-01");
        assert_eq!(m.used(a, &month), None);
    }
}
