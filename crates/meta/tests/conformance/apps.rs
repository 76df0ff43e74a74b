//! Apps in the metadata store: packages, installations, state, logs and usage, each
//! kept in its tenant.

use super::{actor, tenant};
use ironloom_core::app::AppManifest;
use ironloom_core::app_install::{
    AppLogEntry, AppPackageInfo, AppUsageRow, InstallationSpec, MAX_LOG_LINES,
};
use ironloom_core::entity::Resource;
use ironloom_core::error::Error;
use ironloom_core::ids::{InstallationId, TenantId};
use ironloom_core::repo::AppRepo;
use ironloom_meta::SqlStore;
use serde_json::json;

fn manifest(version: &str) -> AppManifest {
    serde_json::from_value(json!({
        "format": 1, "id": "oee.shift", "version": version,
        "name": {"en": "OEE", "zh-CN": "OEE"}, "description": {"en": "", "zh-CN": ""},
        "publisher": "Ironloom",
        "modules": [{"name": "main", "path": "modules/main.wasm"}]
    }))
    .unwrap()
}

pub(crate) fn package(t: TenantId, version: &str, digest: &str) -> AppPackageInfo {
    AppPackageInfo {
        tenant_id: t,
        app_id: "oee.shift".into(),
        version: version.into(),
        digest: digest.into(),
        size: 3,
        manifest: manifest(version),
        uploaded_by: "tester".into(),
        uploaded_at: chrono::Utc::now(),
    }
}

pub(crate) fn spec(name: &str, version: &str) -> InstallationSpec {
    InstallationSpec {
        name: name.into(),
        app_id: "oee.shift".into(),
        version: version.into(),
        config: json!({"shift_hours": 8}),
        grant: vec![],
        products: vec!["press".into()],
        enabled: true,
        edge: None,
    }
}

pub(crate) async fn apps_are_kept_per_tenant(s: &SqlStore) {
    let a = tenant(s, "apps-a").await.id;
    let b = tenant(s, "apps-b").await.id;
    // Packages: bytes kept; the same digest again is a no-op, another digest a conflict.
    let bytes = vec![0u8, 159, 146, 150, 255];
    let p1 = s
        .put_app_package(&actor(), &package(a, "1.0.0", "d1"), &bytes)
        .await
        .unwrap();
    assert_eq!(
        s.put_app_package(&actor(), &package(a, "1.0.0", "d1"), &bytes)
            .await
            .unwrap(),
        p1
    );
    assert!(matches!(
        s.put_app_package(&actor(), &package(a, "1.0.0", "other"), &bytes)
            .await,
        Err(Error::AlreadyExists {
            resource: Resource::AppPackage,
            ..
        })
    ));
    s.put_app_package(&actor(), &package(a, "1.1.0", "d2"), b"v2")
        .await
        .unwrap();
    let (info, got) = s.get_app_package(a, "oee.shift", "1.0.0").await.unwrap();
    assert_eq!((info, got), (p1.clone(), bytes.clone()));
    assert_eq!(
        s.get_app_package_info(a, "oee.shift", "1.0.0")
            .await
            .unwrap(),
        p1
    );
    assert!(
        s.get_app_package_info(b, "oee.shift", "1.0.0")
            .await
            .is_err()
    );
    assert_eq!(s.list_app_packages(a).await.unwrap().len(), 2);
    assert!(s.list_app_packages(b).await.unwrap().is_empty());
    assert!(matches!(
        s.get_app_package(b, "oee.shift", "1.0.0").await,
        Err(Error::NotFound(Resource::AppPackage))
    ));

    // Installations: only of a version the tenant holds; names unique per tenant.
    assert!(matches!(
        s.create_installation(&actor(), b, spec("line-1", "1.0.0"))
            .await,
        Err(Error::Invalid(_))
    ));
    let one = s
        .create_installation(&actor(), a, spec("line-1", "1.0.0"))
        .await
        .unwrap();
    assert!(matches!(
        s.create_installation(&actor(), a, spec("line-1", "1.1.0"))
            .await,
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(s.get_installation(a, one.id).await.unwrap(), one);
    assert!(matches!(
        s.get_installation(b, one.id).await,
        Err(Error::NotFound(Resource::AppInstallation))
    ));
    assert!(matches!(
        s.get_installation(a, InstallationId::new()).await,
        Err(Error::NotFound(_))
    ));
    // A version in use cannot be deleted.
    assert!(matches!(
        s.delete_app_package(&actor(), a, "oee.shift", "1.0.0")
            .await,
        Err(Error::InUse { .. })
    ));

    // Upgrade remembers the version to roll back to; the old one is then still in use.
    let up = s
        .update_installation(
            &actor(),
            a,
            one.id,
            spec("line-1", "1.1.0"),
            Some("1.0.0".into()),
            "upgrade",
        )
        .await
        .unwrap();
    assert_eq!(
        (up.spec.version.as_str(), up.previous_version.as_deref()),
        ("1.1.0", Some("1.0.0"))
    );
    assert!(
        s.delete_app_package(&actor(), a, "oee.shift", "1.0.0")
            .await
            .is_err()
    );
    let mut renamed = spec("line-2", "1.1.0");
    renamed.enabled = false;
    assert!(
        s.update_installation(&actor(), a, one.id, renamed, None, "update")
            .await
            .is_err()
    );
    // Another tenant cannot change it.
    assert!(
        s.update_installation(&actor(), b, one.id, spec("line-1", "1.0.0"), None, "update")
            .await
            .is_err()
    );
    let mut off = spec("line-1", "1.1.0");
    off.enabled = false;
    s.update_installation(&actor(), a, one.id, off, Some("1.0.0".into()), "disable")
        .await
        .unwrap();
    assert!(
        s.enabled_installations()
            .await
            .unwrap()
            .iter()
            .all(|i| i.id != one.id)
    );

    // State, per tenant and installation name.
    s.app_state_set(a, "line-1", "count", Some(&json!(3)))
        .await
        .unwrap();
    s.app_state_set(a, "line-1", "count", Some(&json!(4)))
        .await
        .unwrap();
    assert_eq!(
        s.app_state_get(a, "line-1", "count").await.unwrap(),
        Some(json!(4))
    );
    assert_eq!(s.app_state_get(b, "line-1", "count").await.unwrap(), None);
    let huge = json!("x".repeat(70_000));
    assert!(
        s.app_state_set(a, "line-1", "big", Some(&huge))
            .await
            .is_err()
    );
    s.app_state_set(a, "line-1", "gone", Some(&json!(1)))
        .await
        .unwrap();
    s.app_state_set(a, "line-1", "gone", None).await.unwrap();
    assert_eq!(s.app_state_get(a, "line-1", "gone").await.unwrap(), None);

    // Listed in key order, page by page, within the tenant.
    for k in ["b", "a", "c"] {
        s.app_state_set(a, "line-2", k, Some(&json!({"k": k})))
            .await
            .unwrap();
    }
    let page = s.app_state_list(a, "line-2", None, 2).await.unwrap();
    assert_eq!(
        page,
        vec![
            ("a".into(), json!({"k": "a"})),
            ("b".into(), json!({"k": "b"}))
        ]
    );
    let rest = s.app_state_list(a, "line-2", Some("b"), 2).await.unwrap();
    assert_eq!(rest, vec![("c".into(), json!({"k": "c"}))]);
    assert!(
        s.app_state_list(b, "line-2", None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // The hosts a tenant lets its apps reach: checked, sorted, per tenant, audited.
    assert!(s.app_http_hosts(a).await.unwrap().is_empty());
    let hosts = s
        .set_app_http_hosts(
            &actor(),
            a,
            &[
                "API.example.com".into(),
                "erp.local".into(),
                "erp.local".into(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        hosts,
        vec!["api.example.com".to_string(), "erp.local".into()]
    );
    assert_eq!(s.app_http_hosts(a).await.unwrap(), hosts);
    assert!(s.app_http_hosts(b).await.unwrap().is_empty());
    assert!(
        s.set_app_http_hosts(&actor(), a, &["http://x".into()])
            .await
            .is_err()
    );
    assert_eq!(s.app_http_hosts(a).await.unwrap(), hosts);

    // Logs: newest first, the oldest pruned beyond the limit.
    let line = |i: usize| AppLogEntry {
        ts: chrono::Utc::now(),
        level: "info".into(),
        message: format!("line {i}"),
    };
    let lines: Vec<AppLogEntry> = (0..MAX_LOG_LINES + 5).map(line).collect();
    s.add_app_logs(a, "line-1", &lines[..10]).await.unwrap();
    s.add_app_logs(a, "line-1", &lines[10..]).await.unwrap();
    let got = s.app_logs(a, "line-1", 5000).await.unwrap();
    assert_eq!(got.len(), MAX_LOG_LINES);
    assert_eq!(got[0].message, format!("line {}", MAX_LOG_LINES + 4));
    assert!(s.app_logs(b, "line-1", 10).await.unwrap().is_empty());

    // Uninstalling with its data keeps state and logs under the name; without, removes them.
    s.delete_installation(&actor(), a, one.id, true)
        .await
        .unwrap();
    assert_eq!(
        s.app_state_get(a, "line-1", "count").await.unwrap(),
        Some(json!(4))
    );
    let again = s
        .create_installation(&actor(), a, spec("line-1", "1.0.0"))
        .await
        .unwrap();
    s.delete_installation(&actor(), a, again.id, false)
        .await
        .unwrap();
    assert_eq!(s.app_state_get(a, "line-1", "count").await.unwrap(), None);
    assert!(s.app_logs(a, "line-1", 10).await.unwrap().is_empty());
    s.delete_app_package(&actor(), a, "oee.shift", "1.0.0")
        .await
        .unwrap();

    // Usage adds up per month and app.
    let row = |m: &str, n: u64| AppUsageRow {
        month: m.into(),
        app_id: "oee.shift".into(),
        invocations: n,
        errors: 1,
        fuel: 1000 * n,
        wall_us: 10 * n,
        host_calls: 2 * n,
    };
    s.add_app_usage(a, &[row("2026-11", 5), row("2026-12", 1)])
        .await
        .unwrap();
    s.add_app_usage(a, &[row("2026-12", 2)]).await.unwrap();
    let usage = s.app_usage(a, "2026-12", "2026-12").await.unwrap();
    assert_eq!(
        usage,
        vec![AppUsageRow {
            errors: 2,
            ..row("2026-12", 3)
        }]
    );
    assert!(
        s.app_usage(b, "2026-01", "2026-12")
            .await
            .unwrap()
            .is_empty()
    );
}
