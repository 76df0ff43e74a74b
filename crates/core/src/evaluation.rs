//! The evaluation report (平台评价): the figures the platform criteria count, computed from
//! the platform's own records for one calendar month (UTC), and each quantitative criterion
//! of the seeds checked against them ([`indicators`]).
//!
//! The stores hand over [`Facts`] (grouped counts, not single records); [`Metrics::of`]
//! adds them up. Definitions:
//! - a **connected** device delivered values of its own in the month (运行参数 or 开关量:
//!   any stored telemetry); a **managed** device had a command or property write succeed
//!   in the month; **data points** (采集点) are the properties that delivered values, of
//!   devices of process-industry enterprises;
//! - a device's **industry** is its enterprise's GB/T 4754 division (from the tenant's
//!   profile); its **kind** and **category** are its product's;
//! - **enterprises** are distinct unified social credit codes among tenants' profiles;
//!   **SMEs** are the medium, small and micro ones; **paying** enterprises paid an order;
//! - **mechanism models** are the library's models of the three non-algorithm types;
//!   **algorithms** its data algorithms; **apps** the apps released in the store; an item
//!   counts for each division and domain it names;
//! - **subscribers** (订阅用户数) are tenants that took an app from the store;
//! - **average monthly calls** are model and algorithm calls over the twelve months ending
//!   with the report's month, divided by the months since the first month with calls.

pub mod indicators;

use crate::developer_stats::DeveloperMonth;
use crate::enterprise::{EnterpriseProfile, IndustryMode};
use crate::ids::TenantId;
use crate::industry::DeviceCategory;
use crate::load::LoadFigures;
use crate::model::{Domain, ModelKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// The kinds of cloud-hosted industrial software the criteria name (研发设计类、生产管理类、
/// 运营管理类, and enterprise management).
pub const CLOUD_SOFTWARE_DOMAINS: [Domain; 4] = [
    Domain::Design,
    Domain::Production,
    Domain::Operations,
    Domain::Management,
];

/// The languages apps and API clients are written in with this release: C, Rust and
/// AssemblyScript compiled to WebAssembly by `sdk/` and `ironloom app build`; Python and
/// TypeScript through the REST API clients of `clients/`. A fact of the release, like its
/// version, kept beside the code that makes it true.
pub const DEVELOPMENT_LANGUAGES: &[&str] = &["C", "Rust", "AssemblyScript", "Python", "TypeScript"];

/// The development tools of this release: the `ironloom app` commands (templates, build,
/// fixture tests in the sandbox, packaging as the store checks it), the three app SDKs,
/// the two API clients, and the console's rule flow editor (graphical development).
pub const DEVELOPMENT_TOOLS: &[&str] = &[
    "ironloom app new",
    "ironloom app build",
    "ironloom app test",
    "ironloom app pack",
    "C app SDK (sdk/c)",
    "Rust app SDK (sdk/rust)",
    "AssemblyScript app SDK (sdk/assemblyscript)",
    "Python API client (clients/python)",
    "TypeScript API client (clients/typescript)",
    "Rule flow editor (console, graphical)",
];

/// A tenant and the enterprise behind it (if its profile is filled in).
#[derive(Debug, Clone)]
pub struct TenantFacts {
    pub id: TenantId,
    pub code: String,
    pub name: String,
    pub profile: Option<EnterpriseProfile>,
    /// It paid at least one order in the store.
    pub paying: bool,
    /// Bytes of its telemetry stored.
    pub stored_bytes: u64,
}

/// Devices of one tenant, category and kind: how many are registered, connected and
/// managed in the month, and their data points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGroup {
    pub tenant_id: TenantId,
    pub category: DeviceCategory,
    pub kind: Option<String>,
    pub registered: u64,
    pub connected: u64,
    pub managed: u64,
    /// Properties that delivered values (summed over the group's connected devices).
    pub points: u64,
}

/// A model or algorithm of the library.
#[derive(Debug, Clone)]
pub struct ModelFacts {
    pub id: String,
    pub kind: ModelKind,
    pub industries: Vec<String>,
    pub domains: Vec<Domain>,
}

/// An app released in the store.
#[derive(Debug, Clone)]
pub struct AppFacts {
    pub app_id: String,
    pub industries: Vec<String>,
    pub domains: Vec<Domain>,
    /// Published by the platform's own developers.
    pub first_party: bool,
}

/// Everything the report counts, as the stores give it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `YYYY-MM`.
    pub month: String,
    pub tenants: Vec<TenantFacts>,
    pub devices: Vec<DeviceGroup>,
    pub models: Vec<ModelFacts>,
    pub apps: Vec<AppFacts>,
    /// Tenants that took an app from the store.
    pub subscribers: Vec<TenantId>,
    /// Model and algorithm calls per tenant and month, of the twelve months ending with
    /// `month`.
    pub calls: Vec<(TenantId, String, u64)>,
    /// The twelve months ending with `month`, oldest first.
    pub months: Vec<String>,
    /// The developer counts of the month.
    pub developers: DeveloperMonth,
    /// The platform's transactions of the month (none in a tenant's facts).
    pub load: Option<LoadFigures>,
}

impl Facts {
    /// The facts of the tenants `keep` accepts (their devices, calls, subscriptions and
    /// data); what the platform offers (models, apps, developers) stays whole.
    pub fn only(&self, keep: impl Fn(&TenantFacts) -> bool) -> Facts {
        let tenants: Vec<TenantFacts> = self.tenants.iter().filter(|t| keep(t)).cloned().collect();
        let ids: BTreeSet<TenantId> = tenants.iter().map(|t| t.id).collect();
        Facts {
            month: self.month.clone(),
            devices: self
                .devices
                .iter()
                .filter(|d| ids.contains(&d.tenant_id))
                .cloned()
                .collect(),
            models: self.models.clone(),
            apps: self.apps.clone(),
            subscribers: self
                .subscribers
                .iter()
                .filter(|t| ids.contains(t))
                .copied()
                .collect(),
            calls: self
                .calls
                .iter()
                .filter(|c| ids.contains(&c.0))
                .cloned()
                .collect(),
            months: self.months.clone(),
            developers: self.developers.clone(),
            load: self.load.clone(),
            tenants,
        }
    }
}

/// Which records a drill-down lists: a tenant's (tenant users see only their own), an
/// industry's or a region's enterprises', one category or kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordFilter {
    pub tenant: Option<TenantId>,
    /// A division or finer code; matches the enterprise profile's industry by prefix.
    pub industry: Option<String>,
    /// A region code; matches the profile's region by prefix (`region_prefix`).
    pub region: Option<String>,
    pub category: Option<DeviceCategory>,
    pub kind: Option<String>,
}

/// A tenant's record behind the calls or the subscribers: a model or algorithm's calls
/// of one month by one path, or an app the tenant took from the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantRecord {
    pub tenant_id: TenantId,
    pub tenant_code: String,
    /// The model or algorithm called, or the app taken.
    pub item: String,
    /// Calls: the path (`api`, `rule`, `live`, `job`, `batch`, `app`). Subscribers: the
    /// app's version.
    pub detail: String,
    /// Calls: their month (`YYYY-MM`).
    pub month: Option<String>,
    /// Calls: how many (errors among them in `errors`).
    pub count: u64,
    pub errors: u64,
    /// Subscribers: when the app was taken.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A device behind a connected or managed count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceRecord {
    pub device_id: crate::ids::DeviceId,
    pub device_name: String,
    pub tenant_id: TenantId,
    pub tenant_code: String,
    pub product_key: String,
    pub category: DeviceCategory,
    pub kind: Option<String>,
    /// Connected: messages and values it delivered in the month. Managed: commands that
    /// succeeded in the month.
    pub count: u64,
    pub values: u64,
    /// Connected: properties that delivered values.
    pub properties: u64,
    pub first_at: chrono::DateTime<chrono::Utc>,
    pub last_at: chrono::DateTime<chrono::Utc>,
}

/// The figures of one division of GB/T 4754.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IndustryFigures {
    /// `C34`.
    pub industry: String,
    pub enterprises: u64,
    pub connected_devices: u64,
    pub process_points: u64,
    pub mechanism_models: u64,
    pub algorithms: u64,
    pub apps: u64,
}

/// The figures of one domain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DomainFigures {
    pub domain: Domain,
    pub mechanism_models: u64,
    pub algorithms: u64,
    pub apps: u64,
}

/// Devices of one category or kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceFigures {
    pub key: String,
    pub registered: u64,
    pub connected: u64,
    pub managed: u64,
}

/// Enterprises and devices of one province.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RegionFigures {
    /// The province's GB/T 2260 code.
    pub region: String,
    pub enterprises: u64,
    pub smes: u64,
    pub connected_devices: u64,
}

/// The report's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Metrics {
    pub month: String,
    pub registered_devices: u64,
    pub connected_devices: u64,
    /// Kinds with at least one connected device.
    pub connected_kinds: u64,
    pub managed_devices: u64,
    pub managed_kinds: u64,
    pub process_points: u64,
    pub by_category: Vec<DeviceFigures>,
    pub by_kind: Vec<DeviceFigures>,
    pub mechanism_models: u64,
    /// Non-algorithm model types with at least one model.
    pub mechanism_model_types: u64,
    pub algorithms: u64,
    pub apps: u64,
    pub third_party_apps: u64,
    /// Domains with at least one app (the app types the criteria count).
    pub app_domains: u64,
    /// Apps of the design, operations or management domains.
    pub design_management_apps: u64,
    /// Cloud-hosted industrial software (云化软件): apps released in the store for design,
    /// production, operations or enterprise management, and how many of those four kinds
    /// have one.
    pub cloud_software: u64,
    pub cloud_software_kinds: u64,
    /// The development languages and tools of this release ([`DEVELOPMENT_LANGUAGES`],
    /// [`DEVELOPMENT_TOOLS`]).
    pub development_languages: Vec<String>,
    pub development_tools: Vec<String>,
    pub subscribers: u64,
    pub average_monthly_calls: u64,
    pub calls_by_month: Vec<crate::developer_stats::MonthCount>,
    pub tenants: u64,
    pub enterprises: u64,
    /// Tenants without a profile (counted nowhere by industry or region).
    pub tenants_without_profile: u64,
    pub smes: u64,
    /// Per mille of enterprises that are SMEs.
    pub sme_share_permille: u64,
    pub paying_enterprises: u64,
    pub developers: DeveloperMonth,
    /// Per mille of registered developers that are third-party.
    pub third_party_share_permille: u64,
    pub stored_bytes: u64,
    /// The platform's transactions per second (peak, sustained, average) and their paths;
    /// absent from a tenant's figures.
    pub load: Option<LoadFigures>,
    pub industries: Vec<IndustryFigures>,
    pub domains: Vec<DomainFigures>,
    pub regions: Vec<RegionFigures>,
}

fn divisions(codes: &[String]) -> BTreeSet<String> {
    codes
        .iter()
        .filter_map(|c| crate::division::division_of(c).map(|d| d.key()))
        .collect()
}

/// The province's code of a region code (`320583` → `320000`).
fn province_of(region: &str) -> String {
    format!("{}0000", region.get(..2).unwrap_or(region))
}

fn permille(part: u64, whole: u64) -> u64 {
    (part * 1000).checked_div(whole).unwrap_or(0)
}

impl Metrics {
    pub fn of(f: &Facts) -> Metrics {
        let mut m = Metrics {
            month: f.month.clone(),
            ..Default::default()
        };
        let profile: BTreeMap<TenantId, &EnterpriseProfile> = f
            .tenants
            .iter()
            .filter_map(|t| t.profile.as_ref().map(|p| (t.id, p)))
            .collect();
        let mut industries: BTreeMap<String, IndustryFigures> = BTreeMap::new();
        let mut regions: BTreeMap<String, RegionFigures> = BTreeMap::new();

        // Devices.
        let mut categories: BTreeMap<&'static str, DeviceFigures> = BTreeMap::new();
        let mut kinds: BTreeMap<String, DeviceFigures> = BTreeMap::new();
        for g in &f.devices {
            m.registered_devices += g.registered;
            m.connected_devices += g.connected;
            m.managed_devices += g.managed;
            let p = profile.get(&g.tenant_id);
            let process = p.is_some_and(|p| p.industry_mode == IndustryMode::Process);
            if process {
                m.process_points += g.points;
            }
            let c = categories
                .entry(g.category.as_str())
                .or_insert_with(|| DeviceFigures {
                    key: g.category.as_str().to_owned(),
                    ..Default::default()
                });
            c.registered += g.registered;
            c.connected += g.connected;
            c.managed += g.managed;
            let key = g.kind.clone().unwrap_or_default();
            let k = kinds.entry(key.clone()).or_insert_with(|| DeviceFigures {
                key,
                ..Default::default()
            });
            k.registered += g.registered;
            k.connected += g.connected;
            k.managed += g.managed;
            if let Some(p) = p {
                if let Some(d) = crate::division::division_of(&p.industry) {
                    let e = industries
                        .entry(d.key())
                        .or_insert_with(|| IndustryFigures {
                            industry: d.key(),
                            ..Default::default()
                        });
                    e.connected_devices += g.connected;
                    if process {
                        e.process_points += g.points;
                    }
                }
                let province = province_of(&p.region);
                regions
                    .entry(province.clone())
                    .or_insert_with(|| RegionFigures {
                        region: province,
                        ..Default::default()
                    })
                    .connected_devices += g.connected;
            }
        }
        // Devices without a kind are not a kind.
        m.connected_kinds = kinds
            .values()
            .filter(|k| !k.key.is_empty() && k.connected > 0)
            .count() as u64;
        m.managed_kinds = kinds
            .values()
            .filter(|k| !k.key.is_empty() && k.managed > 0)
            .count() as u64;
        m.by_category = DeviceCategory::ALL
            .iter()
            .map(|c| {
                categories.remove(c.as_str()).unwrap_or(DeviceFigures {
                    key: c.as_str().to_owned(),
                    ..Default::default()
                })
            })
            .collect();
        m.by_kind = kinds.into_values().collect();

        // Enterprises: one per credit code (two tenants of one enterprise count once).
        m.tenants = f.tenants.len() as u64;
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for t in &f.tenants {
            let Some(p) = &t.profile else {
                m.tenants_without_profile += 1;
                continue;
            };
            if !seen.insert(p.credit_code.as_str()) {
                continue;
            }
            m.enterprises += 1;
            let sme = p.size_class.is_sme();
            m.smes += u64::from(sme);
            m.paying_enterprises += u64::from(t.paying);
            if let Some(d) = crate::division::division_of(&p.industry) {
                industries
                    .entry(d.key())
                    .or_insert_with(|| IndustryFigures {
                        industry: d.key(),
                        ..Default::default()
                    })
                    .enterprises += 1;
            }
            let province = province_of(&p.region);
            let r = regions
                .entry(province.clone())
                .or_insert_with(|| RegionFigures {
                    region: province,
                    ..Default::default()
                });
            r.enterprises += 1;
            r.smes += u64::from(sme);
        }
        m.sme_share_permille = permille(m.smes, m.enterprises);

        // Models, algorithms and apps, by division and domain.
        let mut domains: BTreeMap<Domain, DomainFigures> = Domain::ALL
            .iter()
            .map(|d| {
                (
                    *d,
                    DomainFigures {
                        domain: *d,
                        ..Default::default()
                    },
                )
            })
            .collect();
        let mut types = BTreeSet::new();
        for x in &f.models {
            let algorithm = x.kind == ModelKind::Algorithm;
            if algorithm {
                m.algorithms += 1;
            } else {
                m.mechanism_models += 1;
                types.insert(x.kind.as_str());
            }
            for d in divisions(&x.industries) {
                let e = industries
                    .entry(d.clone())
                    .or_insert_with(|| IndustryFigures {
                        industry: d,
                        ..Default::default()
                    });
                if algorithm {
                    e.algorithms += 1;
                } else {
                    e.mechanism_models += 1;
                }
            }
            for d in x.domains.iter().collect::<BTreeSet<_>>() {
                if let Some(e) = domains.get_mut(d) {
                    if algorithm {
                        e.algorithms += 1;
                    } else {
                        e.mechanism_models += 1;
                    }
                }
            }
        }
        m.mechanism_model_types = types.len() as u64;
        let mut cloud_kinds: BTreeSet<Domain> = BTreeSet::new();
        for a in &f.apps {
            m.apps += 1;
            m.third_party_apps += u64::from(!a.first_party);
            let cloud: Vec<Domain> = a
                .domains
                .iter()
                .copied()
                .filter(|d| CLOUD_SOFTWARE_DOMAINS.contains(d))
                .collect();
            m.cloud_software += u64::from(!cloud.is_empty());
            cloud_kinds.extend(cloud);
            m.design_management_apps +=
                u64::from(a.domains.iter().any(|d| {
                    matches!(d, Domain::Design | Domain::Operations | Domain::Management)
                }));
            for d in divisions(&a.industries) {
                industries
                    .entry(d.clone())
                    .or_insert_with(|| IndustryFigures {
                        industry: d,
                        ..Default::default()
                    })
                    .apps += 1;
            }
            for d in a.domains.iter().collect::<BTreeSet<_>>() {
                if let Some(e) = domains.get_mut(d) {
                    e.apps += 1;
                }
            }
        }
        m.app_domains = domains.values().filter(|d| d.apps > 0).count() as u64;
        m.subscribers = f.subscribers.iter().collect::<BTreeSet<_>>().len() as u64;

        // Calls: the average over the months since the first with calls.
        let mut by_month: BTreeMap<&str, u64> = f.months.iter().map(|k| (k.as_str(), 0)).collect();
        for (_, month, n) in &f.calls {
            if let Some(c) = by_month.get_mut(month.as_str()) {
                *c += n;
            }
        }
        m.calls_by_month = by_month
            .iter()
            .map(|(k, v)| crate::developer_stats::MonthCount {
                month: (*k).to_owned(),
                count: *v,
            })
            .collect();
        let since_first: Vec<u64> = by_month.values().copied().skip_while(|c| *c == 0).collect();
        m.average_monthly_calls = since_first
            .iter()
            .sum::<u64>()
            .checked_div(since_first.len() as u64)
            .unwrap_or(0);

        m.developers = f.developers.clone();
        m.third_party_share_permille = permille(f.developers.third_party, f.developers.registered);
        m.cloud_software_kinds = cloud_kinds.len() as u64;
        m.development_languages = DEVELOPMENT_LANGUAGES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        m.development_tools = DEVELOPMENT_TOOLS.iter().map(|s| (*s).to_owned()).collect();
        m.stored_bytes = f.tenants.iter().map(|t| t.stored_bytes).sum();
        m.load = f.load.clone();
        m.industries = industries.into_values().collect();
        m.domains = domains.into_values().collect();
        m.regions = regions.into_values().collect();
        m
    }

    /// The figures of one division (zero when it has none).
    pub fn industry(&self, key: &str) -> IndustryFigures {
        self.industries
            .iter()
            .find(|i| i.industry == key)
            .cloned()
            .unwrap_or_else(|| IndustryFigures {
                industry: key.to_owned(),
                ..Default::default()
            })
    }
}

#[cfg(test)]
#[path = "evaluation/tests.rs"]
mod tests;
