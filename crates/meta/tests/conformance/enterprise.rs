//! Enterprise profiles: one per tenant, replaced whole with a version check, audited field
//! by field, listed with prefix filters, gone with their tenant. Devices' monthly activity
//! adds up across writes.

use crate::{actor, tenant};
use ironloom_core::enterprise::*;
use ironloom_core::entity::{AuditFilter, AuditSort, PageRequest, ProfileSort, Resource};
use ironloom_core::error::Error;
use ironloom_core::repo::{AuditRepo, EnterpriseRepo, Scope, TenantRepo};
use ironloom_meta::SqlStore;

fn input(name: &str, code: &str, industry: &str, region: &str) -> ProfileInput {
    ProfileInput {
        legal_name: name.into(),
        credit_code: code.into(),
        industry: industry.into(),
        industry_mode: IndustryMode::Discrete,
        kind: EnterpriseKind::Manufacturer,
        employees: Some(350),
        revenue: Some(8000.25),
        assets: None,
        region: region.into(),
        park: Some("  昆山经济技术开发区 ".into()),
        version: None,
    }
}

pub async fn enterprise_profiles_are_one_per_tenant_versioned_and_audited(s: &SqlStore) {
    let a = tenant(s, "enta").await;
    let b = tenant(s, "entb").await;
    assert_eq!(s.get_profile(a.id).await.unwrap(), None);
    let mut ia = input(
        "苏州精工机械有限公司",
        "914403001922038216",
        "C3411",
        "320583",
    );
    let size = check_profile(&ia).unwrap();
    let p = s
        .put_profile(&actor(), a.id, &ia, size, None)
        .await
        .unwrap();
    assert_eq!((p.version, p.size_class), (1, SizeClass::Medium));
    assert_eq!(p.park.as_deref(), Some("昆山经济技术开发区"));
    assert_eq!(p.revenue, Some(8000.25));
    assert_eq!(s.get_profile(a.id).await.unwrap().unwrap(), p);
    // A change made to an old copy is refused; one made to the stored version goes in.
    ia.employees = Some(1200);
    ia.revenue = Some(50000.0);
    let size = check_profile(&ia).unwrap();
    assert!(matches!(
        s.put_profile(&actor(), a.id, &ia, size, Some(7)).await,
        Err(Error::VersionConflict { actual: 1, .. })
    ));
    let p2 = s
        .put_profile(&actor(), a.id, &ia, size, Some(1))
        .await
        .unwrap();
    assert_eq!((p2.version, p2.size_class), (2, SizeClass::Large));
    let ib = input("杭州织造有限公司", "9144030071526726XG", "C17", "330100");
    let size = check_profile(&ib).unwrap();
    s.put_profile(&actor(), b.id, &ib, size, None)
        .await
        .unwrap();

    // The audit log names each changed field.
    let audit = s
        .list_audit(
            Scope::Tenant(a.id),
            &AuditFilter {
                resource: Some(Resource::EnterpriseProfile),
                ..Default::default()
            },
            &PageRequest::<AuditSort>::default(),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 2);
    let update = audit.items.iter().find(|e| e.action == "update").unwrap();
    assert_eq!(update.details["employees"]["from"], 350);
    assert_eq!(update.details["size_class"]["to"], "large");
    assert!(
        update.details.get("credit_code").is_none(),
        "{:?}",
        update.details
    );

    // Lists filter by industry and region prefixes, size and name.
    let list = |f: ProfileFilter| async move {
        s.list_profiles(&f, &PageRequest::<ProfileSort>::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|p| p.legal_name)
            .collect::<Vec<_>>()
    };
    assert_eq!(list(ProfileFilter::default()).await.len(), 2);
    let by_industry = |i: &str| ProfileFilter {
        industry: Some(i.into()),
        ..Default::default()
    };
    assert_eq!(list(by_industry("C34")).await, ["苏州精工机械有限公司"]);
    assert_eq!(list(by_industry("C")).await.len(), 2);
    assert!(list(by_industry("C3%")).await.is_empty());
    let by_region = |r: &str| ProfileFilter {
        region: Some(r.into()),
        ..Default::default()
    };
    assert_eq!(list(by_region("320000")).await, ["苏州精工机械有限公司"]);
    assert_eq!(list(by_region("330000")).await, ["杭州织造有限公司"]);
    let small = ProfileFilter {
        size_class: Some(SizeClass::Large),
        ..Default::default()
    };
    assert_eq!(list(small).await, ["苏州精工机械有限公司"]);
    let q = ProfileFilter {
        q: Some("726XG".into()),
        ..Default::default()
    };
    assert_eq!(list(q).await, ["杭州织造有限公司"]);

    // A tenant's deletion takes its profile.
    s.delete_tenant(&actor(), b.id).await.unwrap();
    assert_eq!(list(ProfileFilter::default()).await.len(), 1);
}

pub async fn device_activity_adds_up_per_month(s: &SqlStore) {
    use ironloom_core::activity::ActivityDelta;
    use ironloom_core::repo::{ActivityRepo, DeviceRepo};
    let t = tenant(s, "acta").await;
    let other = tenant(s, "actb").await;
    let p = crate::product(s, t.id, "pumps").await;
    let d = s
        .create_device(&actor(), t.id, crate::new_device(p.id, "pump-1"))
        .await
        .unwrap();
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap();
    let delta = |m: u64, p: u64, from: i64, to: i64, props: Option<&[&str]>| ActivityDelta {
        tenant_id: t.id,
        device_id: d.id,
        month: "2026-12".into(),
        messages: m,
        points: p,
        first_at: at(from),
        last_at: at(to),
        properties: props.map(|x| x.iter().map(|s| s.to_string()).collect()),
    };
    s.add_device_activity(&[delta(2, 5, 2000, 3000, Some(&["flow", "head"]))])
        .await
        .unwrap();
    // A later write: counts add, the range widens, the sets merge, an unchanged set stays.
    s.add_device_activity(&[
        delta(1, 1, 1000, 1500, Some(&["power"])),
        delta(3, 3, 4000, 5000, None),
    ])
    .await
    .unwrap();
    let m = s
        .device_month(t.id, d.id, "2026-12")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((m.messages, m.points), (6, 9));
    assert_eq!((m.first_at, m.last_at), (at(1000), at(5000)));
    assert_eq!(m.properties, ["flow", "head", "power"]);
    assert!(
        s.device_month(t.id, d.id, "2026-11")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.device_month(other.id, d.id, "2026-12")
            .await
            .unwrap()
            .is_none()
    );
    // The report's grouped counts (sums read as integers on both backends): the month's
    // connected device with its three data points; the other tenant has none.
    use ironloom_core::repo::{EvaluationRepo, UsageRepo};
    let groups = s.device_groups("2026-12", None).await.unwrap();
    let g = groups.iter().find(|g| g.tenant_id == t.id).unwrap();
    assert_eq!((g.registered, g.connected, g.points), (1, 1, 3));
    assert!(
        s.device_groups("2026-12", Some(other.id))
            .await
            .unwrap()
            .is_empty()
    );
    let filter = |tenant| ironloom_core::evaluation::RecordFilter {
        tenant,
        ..Default::default()
    };
    let page = s
        .connected_devices("2026-12", &filter(Some(t.id)), 1, 10)
        .await
        .unwrap();
    assert_eq!((page.total, page.items[0].properties), (1, 3));
    // Managed: the device's commands that succeeded in this month, counted as they end
    // (a failed one is not), and counted again alike from the commands.
    use ironloom_core::command::{CommandResult, CommandStatus};
    use ironloom_core::repo::CommandRepo;
    let this_month = ironloom_core::developer_stats::month_of(chrono::Utc::now());
    for ok in [true, true, false] {
        let c = s
            .create_command(&actor(), t.id, crate::new_command(d.id, None))
            .await
            .unwrap();
        let result = if ok {
            CommandResult::succeeded(None)
        } else {
            CommandResult::failed(CommandStatus::Failed, "no")
        };
        s.finish_command(c.id, result).await.unwrap().unwrap();
    }
    let managed = || async {
        let groups = s.device_groups(&this_month, Some(t.id)).await.unwrap();
        let page = s
            .managed_devices(&this_month, &filter(None), 1, 10)
            .await
            .unwrap();
        (
            groups.iter().map(|g| g.managed).sum::<u64>(),
            page.total,
            page.items.first().map(|r| (r.device_id, r.count)),
        )
    };
    assert_eq!(managed().await, (1, 1, Some((d.id, 2))));
    assert_eq!(s.recount_managed_devices().await.unwrap(), 1);
    assert_eq!(managed().await, (1, 1, Some((d.id, 2))));
    let row = |model: &str, calls: u64| ironloom_core::model::UsageRow {
        month: "2026-12".into(),
        model: model.into(),
        source: ironloom_core::model::CallSource::Api,
        calls,
        errors: 0,
        cpu_us: 10,
    };
    s.add_model_usage(t.id, &[row("hx.lmtd", 4), row("pump.affinity", 5)])
        .await
        .unwrap();
    s.add_model_usage(other.id, &[row("hx.lmtd", 7)])
        .await
        .unwrap();
    let calls = s
        .model_calls("2026-01", "2026-12", Some(t.id))
        .await
        .unwrap();
    assert_eq!(calls, [(t.id, "2026-12".to_string(), 9)]);
    assert_eq!(
        s.model_calls("2026-01", "2026-12", None)
            .await
            .unwrap()
            .len(),
        2
    );
    // The calls' records: per tenant, month, model and path; the tenant's own, paged.
    let page = s
        .call_records("2026-01", "2026-12", &filter(Some(t.id)), 1, 1)
        .await
        .unwrap();
    assert_eq!((page.total, page.items.len()), (2, 1));
    let r = &page.items[0];
    assert_eq!(
        (
            r.item.as_str(),
            r.detail.as_str(),
            r.month.as_deref(),
            r.count
        ),
        ("hx.lmtd", "api", Some("2026-12"), 4)
    );
    assert_eq!(
        s.call_records("2026-01", "2026-12", &filter(None), 1, 10)
            .await
            .unwrap()
            .total,
        3
    );
    assert_eq!(
        s.call_records("2025-01", "2025-12", &filter(None), 1, 10)
            .await
            .unwrap()
            .total,
        0
    );
    // No app was taken from the store.
    let subs = s.subscriber_records(&filter(None), 1, 10).await.unwrap();
    assert_eq!(subs.total, 0);
    // The device's deletion takes its months.
    s.delete_device(&actor(), t.id, d.id).await.unwrap();
    assert!(
        s.device_month(t.id, d.id, "2026-12")
            .await
            .unwrap()
            .is_none()
    );
}

/// The platform's transactions per node and minute: rows of a node and minute add up and
/// keep the larger peak; the peak second sums the nodes of a minute, the busiest hour sums
/// its minutes; minutes outside the range are not counted.
pub async fn platform_load_adds_up_per_node_and_minute(s: &SqlStore) {
    use ironloom_core::load::LoadRow;
    use ironloom_core::repo::EvaluationRepo;
    let row = |minute: i64, transactions: u64, peak: u64| LoadRow {
        minute,
        transactions,
        peak,
        device_messages: transactions - 1,
        api_writes: 1,
        model_calls: 0,
    };
    let hour = 29_000_000 * 60; // a Unix minute at the start of an hour
    s.add_load("n1", &[row(hour, 100, 10), row(hour + 1, 50, 4)])
        .await
        .unwrap();
    // The same minute again (a write before it ended): added, the larger peak kept.
    s.add_load("n1", &[row(hour, 30, 12)]).await.unwrap();
    s.add_load("n2", &[row(hour, 40, 5), row(hour + 60, 500, 9)])
        .await
        .unwrap();
    s.add_load("n1", &[]).await.unwrap();
    let f = s.load_figures(hour, hour + 120).await.unwrap();
    assert_eq!(f.transactions, 100 + 30 + 50 + 40 + 500);
    assert_eq!(f.api_writes, 5);
    assert_eq!(f.device_messages, 720 - 5);
    // Minute `hour`: n1's 12 and n2's 5.
    assert_eq!(f.peak_tps, 17);
    // The first hour has 220, the second 500.
    assert_eq!(f.busiest_hour, 500);
    assert!((f.sustained_tps - 500.0 / 3600.0).abs() < 1e-9);
    let first = s.load_figures(hour, hour + 60).await.unwrap();
    assert_eq!((first.transactions, first.busiest_hour), (220, 220));
    let none = s.load_figures(0, 60).await.unwrap();
    assert_eq!((none.transactions, none.peak_tps), (0, 0));
}
