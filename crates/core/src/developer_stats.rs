//! What the marketplace counts of its developers: each developer's analytics (its apps'
//! installations, calls and revenue, month by month) and the platform's developer counts
//! (registered, verified, active and third-party developers, developers using the SDK
//! and their calls per month).
//!
//! Definitions, per calendar month (UTC, `YYYY-MM`):
//! - **calls** of an app: its invocations in the tenants that took it from the store;
//! - **SDK calls** of a developer: the host-function calls its apps made through the app
//!   SDK in those tenants, plus the requests it made to the developer API (the portal,
//!   the CLI and the generated clients);
//! - a developer is **active** in a month when it submitted a package, called the
//!   developer API, or one of its apps was invoked;
//! - a developer **uses the SDK** in a month when it has SDK calls in it;
//! - **third-party** developers are all but the platform's own (first-party) ones.
//!
//! The store keeps the raw counts; the functions here only add them up, so they are the
//! same on every backend.

use crate::ids::DeveloperId;
use crate::market::DeveloperStatus;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// A developer as counted: who, since when, which apps it owns.
#[derive(Debug, Clone)]
pub struct DeveloperCensus {
    pub id: DeveloperId,
    pub first_party: bool,
    pub status: DeveloperStatus,
    pub created_at: DateTime<Utc>,
    pub apps: Vec<String>,
}

/// Requests a developer made to the developer API in a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeveloperApiUsage {
    pub developer_id: DeveloperId,
    pub month: String,
    pub calls: u64,
    /// Of those, made with an API key (the CLI, CI, the generated clients).
    pub key_calls: u64,
}

/// An app's use in a month, summed over the tenants that took it from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreAppUsage {
    pub app_id: String,
    pub month: String,
    pub invocations: u64,
    pub errors: u64,
    pub host_calls: u64,
}

/// A developer's share of a paid order of one of its apps (at its payment), or the share
/// taken back by a refund (at the refund).
#[derive(Debug, Clone)]
pub struct Earning {
    pub app_id: String,
    pub posted_at: DateTime<Utc>,
    /// The developer's share (fen): positive when paid, negative when refunded.
    pub amount: i64,
}

/// A month's figures of a developer (or of one of its apps).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MonthFigures {
    pub month: String,
    pub calls: u64,
    pub errors: u64,
    pub sdk_calls: u64,
    /// The developer's share of orders paid in the month less refunds made in it (fen).
    pub revenue: i64,
}

/// One app of a developer: where it runs now, and its months.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AppAnalytics {
    pub app_id: String,
    /// Tenants that took it from the store (订阅用户数).
    pub tenants: u64,
    /// Installations from the store, in all tenants.
    pub installations: u64,
    /// Of those, the enabled ones.
    pub active_installations: u64,
    pub ratings: u64,
    pub rating: f64,
    /// Calls and revenue since the first month counted.
    pub calls_total: u64,
    pub revenue_total: i64,
    /// The months asked for, oldest first (months without use are zero).
    pub months: Vec<MonthFigures>,
}

/// A developer's analytics.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeveloperAnalytics {
    pub developer_id: DeveloperId,
    pub apps: Vec<AppAnalytics>,
    /// All its apps together, and its developer API requests, per month, oldest first.
    pub months: Vec<MonthFigures>,
    pub api_calls: Vec<MonthCount>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MonthCount {
    pub month: String,
    pub count: u64,
}

/// The platform's developer counts in a month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeveloperMonth {
    pub month: String,
    /// Developer accounts that existed at the month's end.
    pub registered: u64,
    /// Of those, verified now.
    pub verified: u64,
    /// Of the registered, the third-party ones.
    pub third_party: u64,
    /// `third_party / registered` (0 without developers).
    pub third_party_share: f64,
    pub active: u64,
    /// Developers with SDK calls in the month.
    pub sdk_developers: u64,
    pub sdk_calls: u64,
    /// Of the SDK calls, the developer API requests.
    pub api_calls: u64,
}

/// The platform's developer counts, month by month, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeveloperCounts {
    pub months: Vec<DeveloperMonth>,
}

/// `YYYY-MM` of a time.
pub fn month_of(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", t.year(), t.month())
}

/// The `n` months ending with `last` (`YYYY-MM`), oldest first; empty when `last` is not
/// a month.
pub fn months_ending(last: &str, n: usize) -> Vec<String> {
    let Some((y, m)) = last
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m))
    else {
        return Vec::new();
    };
    let start = y * 12 + m as i32 - 1 - (n as i32 - 1);
    (start..start + n as i32)
        .map(|i| format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1))
        .collect()
}

fn month_index(months: &[String]) -> HashMap<&str, usize> {
    months
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect()
}

fn empty_months(months: &[String]) -> Vec<MonthFigures> {
    months
        .iter()
        .map(|m| MonthFigures {
            month: m.clone(),
            ..Default::default()
        })
        .collect()
}

/// A developer's analytics over `months` from the store's counts: `stats` per app (its
/// installations and ratings), `usage` of its apps, its `api` requests and `earnings`.
pub fn developer_analytics(
    developer: &DeveloperCensus,
    months: &[String],
    stats: &HashMap<String, crate::market::AppStats>,
    usage: &[StoreAppUsage],
    api: &[DeveloperApiUsage],
    earnings: &[Earning],
) -> DeveloperAnalytics {
    let index = month_index(months);
    let mut apps: BTreeMap<&str, AppAnalytics> = developer
        .apps
        .iter()
        .map(|a| {
            let s = stats.get(a).cloned().unwrap_or_default();
            let row = AppAnalytics {
                app_id: a.clone(),
                tenants: s.tenants,
                installations: s.installations,
                active_installations: s.active_installations,
                ratings: s.ratings,
                rating: s.rating,
                months: empty_months(months),
                ..Default::default()
            };
            (a.as_str(), row)
        })
        .collect();
    for u in usage {
        let Some(app) = apps.get_mut(u.app_id.as_str()) else {
            continue;
        };
        app.calls_total += u.invocations;
        if let Some(&i) = index.get(u.month.as_str()) {
            let m = &mut app.months[i];
            m.calls += u.invocations;
            m.errors += u.errors;
            m.sdk_calls += u.host_calls;
        }
    }
    for e in earnings {
        let Some(app) = apps.get_mut(e.app_id.as_str()) else {
            continue;
        };
        app.revenue_total += e.amount;
        if let Some(&i) = index.get(month_of(e.posted_at).as_str()) {
            app.months[i].revenue += e.amount;
        }
    }
    let mut total = empty_months(months);
    for app in apps.values() {
        for (t, m) in total.iter_mut().zip(&app.months) {
            t.calls += m.calls;
            t.errors += m.errors;
            t.sdk_calls += m.sdk_calls;
            t.revenue += m.revenue;
        }
    }
    let mut api_calls: Vec<MonthCount> = months
        .iter()
        .map(|m| MonthCount {
            month: m.clone(),
            count: 0,
        })
        .collect();
    for a in api.iter().filter(|a| a.developer_id == developer.id) {
        if let Some(&i) = index.get(a.month.as_str()) {
            api_calls[i].count += a.calls;
            total[i].sdk_calls += a.calls;
        }
    }
    DeveloperAnalytics {
        developer_id: developer.id,
        apps: apps.into_values().collect(),
        months: total,
        api_calls,
    }
}

/// The platform's developer counts over `months`: every developer, the times of their
/// submissions, their apps' use in the store's tenants and their API requests.
pub fn developer_counts(
    census: &[DeveloperCensus],
    months: &[String],
    submissions: &[(DeveloperId, DateTime<Utc>)],
    usage: &[StoreAppUsage],
    api: &[DeveloperApiUsage],
) -> DeveloperCounts {
    let index = month_index(months);
    let owner: HashMap<&str, DeveloperId> = census
        .iter()
        .flat_map(|d| d.apps.iter().map(move |a| (a.as_str(), d.id)))
        .collect();
    let mut active: Vec<HashSet<DeveloperId>> = vec![HashSet::new(); months.len()];
    let mut sdk: Vec<HashMap<DeveloperId, u64>> = vec![HashMap::new(); months.len()];
    let mut api_total = vec![0u64; months.len()];
    for (d, at) in submissions {
        if let Some(&i) = index.get(month_of(*at).as_str()) {
            active[i].insert(*d);
        }
    }
    for u in usage {
        let (Some(&i), Some(&d)) = (index.get(u.month.as_str()), owner.get(u.app_id.as_str()))
        else {
            continue;
        };
        if u.invocations > 0 {
            active[i].insert(d);
        }
        if u.host_calls > 0 {
            *sdk[i].entry(d).or_default() += u.host_calls;
        }
    }
    for a in api {
        let Some(&i) = index.get(a.month.as_str()) else {
            continue;
        };
        if a.calls > 0 {
            active[i].insert(a.developer_id);
            *sdk[i].entry(a.developer_id).or_default() += a.calls;
            api_total[i] += a.calls;
        }
    }
    let months = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            // Registered by the month's end: created in it or before.
            let registered: Vec<&DeveloperCensus> = census
                .iter()
                .filter(|d| month_of(d.created_at).as_str() <= m.as_str())
                .collect();
            let third_party = registered.iter().filter(|d| !d.first_party).count() as u64;
            let n = registered.len() as u64;
            DeveloperMonth {
                month: m.clone(),
                registered: n,
                verified: registered
                    .iter()
                    .filter(|d| d.status == DeveloperStatus::Verified)
                    .count() as u64,
                third_party,
                third_party_share: if n > 0 {
                    third_party as f64 / n as f64
                } else {
                    0.0
                },
                active: active[i].len() as u64,
                sdk_developers: sdk[i].len() as u64,
                sdk_calls: sdk[i].values().sum(),
                api_calls: api_total[i],
            }
        })
        .collect();
    DeveloperCounts { months }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn dev(
        first_party: bool,
        status: DeveloperStatus,
        created: DateTime<Utc>,
        apps: &[&str],
    ) -> DeveloperCensus {
        DeveloperCensus {
            id: DeveloperId::new(),
            first_party,
            status,
            created_at: created,
            apps: apps.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn usage(app: &str, month: &str, invocations: u64, host_calls: u64) -> StoreAppUsage {
        StoreAppUsage {
            app_id: app.into(),
            month: month.into(),
            invocations,
            errors: invocations / 10,
            host_calls,
        }
    }

    #[test]
    fn months_run_back_across_years() {
        assert_eq!(
            months_ending("2026-02", 3),
            ["2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(months_ending("2026-12", 1), ["2026-12"]);
        assert_eq!(months_ending("2026-13", 2), Vec::<String>::new());
        assert_eq!(months_ending("x", 2), Vec::<String>::new());
        assert_eq!(month_of(at(2026, 1, 31)), "2026-01");
    }

    #[test]
    fn counts_registered_third_party_active_and_sdk_use_per_month() {
        let ours = dev(
            true,
            DeveloperStatus::Verified,
            at(2026, 9, 1),
            &["ironloom.oee"],
        );
        let acme = dev(
            false,
            DeveloperStatus::Verified,
            at(2026, 10, 5),
            &["acme.pump"],
        );
        let idle = dev(false, DeveloperStatus::Pending, at(2026, 11, 20), &[]);
        let census = vec![ours.clone(), acme.clone(), idle.clone()];
        let months = months_ending("2026-11", 3);
        let submissions = vec![(acme.id, at(2026, 10, 6)), (idle.id, at(2026, 11, 21))];
        let use_ = vec![
            usage("ironloom.oee", "2026-10", 100, 400),
            usage("acme.pump", "2026-11", 50, 0),
            // An app nobody owns (a tenant's own upload) counts for no developer.
            usage("tenant.own", "2026-11", 9, 9),
            // Outside the months asked for.
            usage("acme.pump", "2026-08", 7, 7),
        ];
        let api = vec![DeveloperApiUsage {
            developer_id: acme.id,
            month: "2026-11".into(),
            calls: 30,
            key_calls: 10,
        }];
        let c = developer_counts(&census, &months, &submissions, &use_, &api);
        let m: Vec<(u64, u64, u64, u64, u64, u64)> = c
            .months
            .iter()
            .map(|m| {
                (
                    m.registered,
                    m.verified,
                    m.third_party,
                    m.active,
                    m.sdk_developers,
                    m.sdk_calls,
                )
            })
            .collect();
        assert_eq!(
            m,
            [
                (1, 1, 0, 0, 0, 0),
                (2, 2, 1, 2, 1, 400),
                (3, 2, 2, 2, 1, 30)
            ]
        );
        assert_eq!(c.months[2].api_calls, 30);
        assert!((c.months[2].third_party_share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(c.months[0].third_party_share, 0.0);
    }

    #[test]
    fn analytics_add_up_apps_months_and_revenue() {
        let acme = dev(
            false,
            DeveloperStatus::Verified,
            at(2026, 10, 5),
            &["acme.a", "acme.b"],
        );
        let months = months_ending("2026-11", 2);
        let mut stats = HashMap::new();
        stats.insert(
            "acme.a".to_string(),
            crate::market::AppStats {
                tenants: 2,
                installations: 3,
                active_installations: 2,
                ratings: 1,
                rating: 4.0,
            },
        );
        let use_ = vec![
            usage("acme.a", "2026-10", 10, 20),
            usage("acme.a", "2026-11", 30, 60),
            usage("acme.b", "2026-11", 5, 0),
            usage("acme.a", "2026-01", 1000, 0),
            usage("other.app", "2026-11", 99, 99),
        ];
        let earnings = vec![
            Earning {
                app_id: "acme.a".into(),
                posted_at: at(2026, 10, 7),
                amount: 7920,
            },
            Earning {
                app_id: "acme.a".into(),
                posted_at: at(2026, 11, 7),
                amount: 7920,
            },
            Earning {
                app_id: "acme.a".into(),
                posted_at: at(2026, 11, 9),
                amount: -7920,
            },
            Earning {
                app_id: "acme.b".into(),
                posted_at: at(2026, 11, 9),
                amount: 100,
            },
        ];
        let api = vec![DeveloperApiUsage {
            developer_id: acme.id,
            month: "2026-11".into(),
            calls: 4,
            key_calls: 4,
        }];
        let a = developer_analytics(&acme, &months, &stats, &use_, &api, &earnings);
        assert_eq!(a.apps.len(), 2);
        let first = &a.apps[0];
        assert_eq!(
            (
                first.tenants,
                first.installations,
                first.active_installations
            ),
            (2, 3, 2)
        );
        assert_eq!(first.calls_total, 1040);
        assert_eq!(first.revenue_total, 7920);
        assert_eq!(first.months[0].calls, 10);
        assert_eq!(first.months[1].revenue, 0);
        assert_eq!(a.apps[1].installations, 0);
        let totals: Vec<(u64, u64, i64)> = a
            .months
            .iter()
            .map(|m| (m.calls, m.sdk_calls, m.revenue))
            .collect();
        assert_eq!(totals, [(10, 20, 7920), (35, 64, 100)]);
        assert_eq!(a.api_calls[1].count, 4);
    }
}
