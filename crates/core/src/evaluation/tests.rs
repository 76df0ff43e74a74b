//! The report's figures against a hand-counted fixture: two tenants of one enterprise, a
//! process-industry enterprise, a tenant without a profile.

use super::indicators::{Scoped, evaluate, industry_facts, region_facts};
use super::*;
use crate::enterprise::{EnterpriseKind, SizeClass};

fn profile(
    t: TenantId,
    code: &str,
    industry: &str,
    region: &str,
    size: SizeClass,
    process: bool,
) -> EnterpriseProfile {
    EnterpriseProfile {
        tenant_id: t,
        legal_name: format!("enterprise {code}"),
        credit_code: code.into(),
        industry: industry.into(),
        industry_mode: if process {
            IndustryMode::Process
        } else {
            IndustryMode::Discrete
        },
        kind: EnterpriseKind::Manufacturer,
        employees: Some(10),
        revenue: Some(10.0),
        assets: None,
        size_class: size,
        region: region.into(),
        park: None,
        updated_at: chrono::Utc::now(),
        updated_by: None,
        version: 1,
    }
}

fn tenant(id: TenantId, p: Option<EnterpriseProfile>, paying: bool, bytes: u64) -> TenantFacts {
    TenantFacts {
        id,
        code: id.to_string(),
        name: id.to_string(),
        profile: p,
        paying,
        stored_bytes: bytes,
    }
}

fn group(
    t: TenantId,
    c: DeviceCategory,
    kind: Option<&str>,
    r: u64,
    con: u64,
    man: u64,
    pts: u64,
) -> DeviceGroup {
    DeviceGroup {
        tenant_id: t,
        category: c,
        kind: kind.map(str::to_owned),
        registered: r,
        connected: con,
        managed: man,
        points: pts,
    }
}

fn fixture() -> (Facts, [TenantId; 4]) {
    let ids = [
        TenantId::new(),
        TenantId::new(),
        TenantId::new(),
        TenantId::new(),
    ];
    let [t1, t2, t3, t4] = ids;
    let months: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
    let facts = Facts {
        month: "2026-12".into(),
        tenants: vec![
            tenant(
                t1,
                Some(profile(
                    t1,
                    "914403001922038216",
                    "C3411",
                    "320583",
                    SizeClass::Small,
                    false,
                )),
                true,
                2_000_000_000_000,
            ),
            tenant(
                t2,
                Some(profile(
                    t2,
                    "914403001922038216",
                    "C34",
                    "320583",
                    SizeClass::Small,
                    false,
                )),
                false,
                0,
            ),
            tenant(
                t3,
                Some(profile(
                    t3,
                    "9144030071526726XG",
                    "C17",
                    "330106",
                    SizeClass::Large,
                    true,
                )),
                false,
                1_000_000_000_000,
            ),
            tenant(t4, None, true, 5),
        ],
        devices: vec![
            group(t1, DeviceCategory::Operating, Some("pump"), 10, 7, 2, 21),
            group(
                t1,
                DeviceCategory::Processing,
                Some("cnc_lathe"),
                5,
                5,
                0,
                15,
            ),
            group(t3, DeviceCategory::Processing, Some("loom"), 20, 12, 3, 60),
            group(t4, DeviceCategory::Other, None, 4, 4, 1, 8),
        ],
        models: vec![
            ModelFacts {
                id: "m1".into(),
                kind: ModelKind::Mechanism,
                industries: vec!["C34".into()],
                domains: vec![Domain::Design],
            },
            ModelFacts {
                id: "m2".into(),
                kind: ModelKind::Simulation,
                industries: vec!["C34".into(), "C17".into()],
                domains: vec![Domain::Production, Domain::Production],
            },
            ModelFacts {
                id: "m3".into(),
                kind: ModelKind::Algorithm,
                industries: vec!["C17".into(), "X99".into()],
                domains: vec![Domain::Production],
            },
        ],
        apps: vec![
            AppFacts {
                app_id: "a1".into(),
                industries: vec!["C34".into()],
                domains: vec![Domain::Production, Domain::Operations],
                first_party: true,
            },
            AppFacts {
                app_id: "a2".into(),
                industries: vec!["C17".into()],
                domains: vec![Domain::Design],
                first_party: false,
            },
        ],
        subscribers: vec![t1, t1, t3],
        calls: vec![
            (t1, "2026-10".into(), 100),
            (t3, "2026-11".into(), 50),
            (t1, "2026-12".into(), 30),
            (t4, "2025-01".into(), 999),
        ],
        months,
        developers: DeveloperMonth {
            month: "2026-12".into(),
            registered: 10,
            third_party: 3,
            sdk_developers: 4,
            sdk_calls: 70,
            ..Default::default()
        },
        load: None,
    };
    (facts, ids)
}

#[test]
fn devices_enterprises_models_apps_and_calls_add_up() {
    let (f, _) = fixture();
    let m = Metrics::of(&f);
    assert_eq!(
        (m.registered_devices, m.connected_devices, m.managed_devices),
        (39, 28, 6)
    );
    // Devices without a kind are counted, but are no kind.
    assert_eq!((m.connected_kinds, m.managed_kinds), (3, 2));
    // Only the process-industry enterprise's properties are data points.
    assert_eq!(m.process_points, 60);
    let cat = |k: &str| m.by_category.iter().find(|c| c.key == k).unwrap().clone();
    assert_eq!(
        (cat("processing").registered, cat("processing").connected),
        (25, 17)
    );
    assert_eq!(cat("mobile").registered, 0);
    // Two tenants of one enterprise are one enterprise; the tenant without a profile none.
    assert_eq!(
        (m.tenants, m.enterprises, m.tenants_without_profile),
        (4, 2, 1)
    );
    assert_eq!(
        (m.smes, m.sme_share_permille, m.paying_enterprises),
        (1, 500, 1)
    );
    let c34 = m.industry("C34");
    assert_eq!(
        (
            c34.enterprises,
            c34.connected_devices,
            c34.mechanism_models,
            c34.apps
        ),
        (1, 12, 2, 1)
    );
    let c17 = m.industry("C17");
    assert_eq!(
        (
            c17.connected_devices,
            c17.process_points,
            c17.mechanism_models,
            c17.algorithms
        ),
        (12, 60, 1, 1)
    );
    assert!(m.industries.iter().all(|i| i.industry != "X99"));
    let js = m.regions.iter().find(|r| r.region == "320000").unwrap();
    assert_eq!((js.enterprises, js.smes, js.connected_devices), (1, 1, 12));
    assert_eq!(
        (m.mechanism_models, m.mechanism_model_types, m.algorithms),
        (2, 2, 1)
    );
    let production = m
        .domains
        .iter()
        .find(|d| d.domain == Domain::Production)
        .unwrap();
    assert_eq!(
        (
            production.mechanism_models,
            production.algorithms,
            production.apps
        ),
        (1, 1, 1)
    );
    assert_eq!(
        (
            m.apps,
            m.third_party_apps,
            m.app_domains,
            m.design_management_apps
        ),
        (2, 1, 3, 2)
    );
    // Cloud-hosted software: both apps (a1 once though it names two kinds), of three kinds
    // (production, operations, design).
    assert_eq!((m.cloud_software, m.cloud_software_kinds), (2, 3));
    assert_eq!(m.development_languages.len(), 5);
    assert!(m.development_tools.len() >= 2);
    assert_eq!(m.subscribers, 2);
    // 180 calls over the three months since the first with calls; a call outside the
    // twelve months is not counted.
    assert_eq!(m.average_monthly_calls, 60);
    assert_eq!(m.calls_by_month.len(), 12);
    assert_eq!(m.third_party_share_permille, 300);
    assert_eq!(m.stored_bytes, 3_000_000_000_005);
}

#[test]
fn classes_read_the_platform_a_region_or_a_division() {
    let (f, [t1, _, t3, _]) = fixture();
    let platform = Metrics::of(&f);
    let region = Metrics::of(&region_facts(&f, "320000"));
    let industry = Metrics::of(&industry_facts(&f, "C17"));
    assert_eq!(
        (
            region.connected_devices,
            region.enterprises,
            region.subscribers
        ),
        (12, 1, 1)
    );
    assert_eq!(region.stored_bytes, 2_000_000_000_000);
    assert_eq!(
        (industry.connected_devices, industry.process_points),
        (12, 60)
    );
    let only_t3 = f.only(|t| t.id == t3);
    assert!(only_t3.devices.iter().all(|d| d.tenant_id == t3));
    assert!(only_t3.calls.iter().all(|c| c.0 == t3) && !only_t3.subscribers.contains(&t1));

    let scoped = Scoped {
        platform: &platform,
        region: None,
        industry: None,
    };
    let all = evaluate(&scoped, false);
    assert!(
        all.iter()
            .all(|r| !r.id.starts_with("regional.") && !r.id.starts_with("industry."))
    );
    let get = |rs: &[indicators::IndicatorResult], id: &str| {
        rs.iter().find(|r| r.id == id).unwrap().clone()
    };
    let r = get(&all, "cross.connected_devices");
    assert_eq!((r.value, r.floor, r.pass), (28.0, 5000.0, false));
    assert_eq!(
        r.alternative,
        Some(indicators::Alternative {
            value: 60.0,
            floor: 30000.0
        })
    );
    assert_eq!(r.records.as_deref(), Some("connected_devices"));
    assert_eq!(get(&all, "cross.third_party_share").value, 300.0);
    assert!(get(&all, "cross.third_party_share").pass);
    assert!(get(&all, "jx.comprehensive.managed_kinds").pass);
    assert_eq!(get(&all, "jx.enterprise.connected_share").value, 717.0);
    assert!(get(&all, "jx.enterprise.connected_share").pass);

    let scoped = Scoped {
        platform: &platform,
        region: Some((&region, "320000")),
        industry: Some((&industry, "C17")),
    };
    let zh = evaluate(&scoped, true);
    let r = get(&zh, "regional.connected_devices");
    assert_eq!((r.value, r.name.as_str()), (12.0, "区域内连接工业设备数"));
    assert_eq!(get(&zh, "regional.stored_data").value, 2.0);
    // An industry's models and apps are those of the platform naming its division.
    assert_eq!(get(&zh, "industry.mechanism_models").value, 1.0);
    assert_eq!(get(&zh, "industry.algorithms").value, 1.0);
    assert_eq!(get(&zh, "industry.apps").value, 1.0);
    assert_eq!(
        get(&zh, "industry.connected_devices").alternative,
        Some(indicators::Alternative {
            value: 60.0,
            floor: 5000.0
        })
    );
}

#[test]
fn the_catalogue_names_each_criterion_once_with_its_seed() {
    let c = indicators::catalogue();
    let mut ids: Vec<_> = c.iter().map(|i| i.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), c.len());
    for i in &c {
        assert!(
            i.seed.starts_with("002 ") || i.seed.starts_with("004 "),
            "{}",
            i.id
        );
        assert!(
            i.floor > 0.0 && !i.name_zh.is_empty() && !i.name_en.is_empty(),
            "{}",
            i.id
        );
    }
}
