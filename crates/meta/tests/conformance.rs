//! The metadata store conformance suite: every check runs against SQLite and PostgreSQL.
//!
//! PostgreSQL: set `IRONLOOM_TEST_PG_URL` to a server URL (`scripts/pg-test-server.sh`
//! starts one and prints it); each test creates and drops its own database. Without the
//! variable the PostgreSQL tests are skipped, unless `IRONLOOM_REQUIRE_PG=1` (as in CI)
//! makes a missing server a failure.

// In tests a failed unwrap is a failed test, with the reason in the panic message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ironloom_core::auth::{Permission, Role};
use ironloom_core::command::*;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldErrorKind};
use ironloom_core::ids::*;
use ironloom_core::repo::{
    ApiKeyRepo, AttributeRepo, AuditRepo, CommandRepo, DeviceRepo, GroupRepo, MetaStore,
    ProductRepo, ProvisioningRepo, Scope, TenantRepo, UserRepo,
};
use ironloom_core::thing_model::ThingModel;
use ironloom_meta::{SqlStore, SqlStoreOptions};
use serde_json::json;

#[path = "conformance/apps.rs"]
mod apps;
use apps::apps_are_kept_per_tenant;
#[path = "conformance/cluster.rs"]
mod cluster;
#[path = "conformance/enterprise.rs"]
mod enterprise;
use enterprise::{
    device_activity_adds_up_per_month,
    enterprise_profiles_are_one_per_tenant_versioned_and_audited,
    platform_load_adds_up_per_node_and_minute,
};
#[path = "conformance/identifier_imports.rs"]
mod identifier_imports;
#[path = "conformance/identifiers.rs"]
mod identifiers;
#[path = "conformance/market.rs"]
mod market;
use cluster::{
    a_seal_racing_a_claim_is_whole_or_refused, a_stale_fence_seals_nothing,
    claims_bump_the_epoch_only_for_newer_lease_revisions,
    concurrent_claims_with_one_revision_let_one_win,
    replaced_segments_are_listed_for_gc_and_forgotten, rule_state_is_fenced,
    seals_record_segments_mark_replaced_ones_and_never_lower_the_mark,
    segments_are_found_by_tenant,
};
use identifier_imports::identifier_imports_are_a_tenants_and_count_each_chunk_once;
use identifiers::{
    identifiers_are_registered_under_a_tenants_prefixes, readers_are_granted_by_the_owner_only,
};
use market::{
    developer_counts_come_from_the_store, orders_post_balanced_ledger_transactions,
    reviews_are_one_per_tenant_and_stats_add_up,
    the_marketplace_keeps_developers_submissions_releases_and_keys,
};

/// A store on a fresh database, kept alive (and cleaned up) by the guard.
struct Fixture {
    store: SqlStore,
    _dir: Option<tempfile::TempDir>,
    drop_db: Option<(String, String)>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some((admin_url, db)) = self.drop_db.take() {
            // Best effort: a left-over test database is harmless.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::AnyConnection::connect(&admin_url).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

async fn sqlite() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open(
        &SqlStore::sqlite_url(dir.path()),
        &SqlStoreOptions::default(),
    )
    .await
    .unwrap();
    Some(Fixture {
        store,
        _dir: Some(dir),
        drop_db: None,
    })
}

async fn postgres() -> Option<Fixture> {
    let Ok(url) = std::env::var("IRONLOOM_TEST_PG_URL") else {
        if std::env::var("IRONLOOM_REQUIRE_PG").is_ok_and(|v| v == "1") {
            panic!("IRONLOOM_REQUIRE_PG=1 but IRONLOOM_TEST_PG_URL is not set");
        }
        eprintln!("skipped: IRONLOOM_TEST_PG_URL not set");
        return None;
    };
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let db = format!("ironloom_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&url)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = url.rsplit_once('/').expect("URL with a database name");
    let store = SqlStore::open(&format!("{base}/{db}"), &SqlStoreOptions::default())
        .await
        .unwrap();
    Some(Fixture {
        store,
        _dir: None,
        drop_db: Some((url, db)),
    })
}

macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test]
                async fn $name() {
                    let f = super::sqlite().await.unwrap();
                    assert_eq!(ironloom_core::repo::MetaStore::backend(&f.store), "sqlite");
                    super::$name(&f.store).await;
                }
            )+
        }
        mod postgres_backend {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(f) = super::postgres().await else { return };
                    assert_eq!(ironloom_core::repo::MetaStore::backend(&f.store), "postgres");
                    super::$name(&f.store).await;
                }
            )+
        }
    };
}

conformance!(
    tenants_are_created_listed_changed_and_deleted,
    tenant_codes_are_unique,
    users_are_unique_per_tenant,
    failed_logins_lock_the_account,
    api_keys_are_created_found_and_revoked,
    products_keep_their_thing_model,
    products_in_use_cannot_be_deleted,
    devices_have_tags_groups_and_attributes,
    device_lists_filter_sort_and_page,
    device_credentials_are_unique_platform_wide,
    a_client_certificate_is_one_device_platform_wide,
    bulk_create_is_all_or_nothing,
    device_quota_is_enforced,
    tenant_b_cannot_touch_tenant_a_data,
    every_change_is_audited,
    status_updates_are_batched,
    deleting_a_tenant_removes_its_data,
    stale_versions_are_refused,
    hostile_strings_are_stored_verbatim,
    commands_are_recorded_sent_finished_and_expired,
    attributes_are_kept_per_scope,
    provisioning_keys_are_unique_and_scoped,
    rules_are_versioned_and_scoped,
    alarms_are_raised_once_acknowledged_and_cleared,
    alarm_writes_from_a_log_position_happen_once,
    dashboards_are_versioned_shared_and_scoped,
    a_stale_version_changes_nothing,
    concurrent_changes_of_one_version_let_one_through,
    updates_audit_each_changed_field,
    model_usage_adds_up_per_month_and_stays_in_its_tenant,
    model_bindings_and_jobs_are_kept_per_tenant,
    apps_are_kept_per_tenant,
    claims_bump_the_epoch_only_for_newer_lease_revisions,
    concurrent_claims_with_one_revision_let_one_win,
    a_stale_fence_seals_nothing,
    seals_record_segments_mark_replaced_ones_and_never_lower_the_mark,
    rule_state_is_fenced,
    replaced_segments_are_listed_for_gc_and_forgotten,
    segments_are_found_by_tenant,
    a_seal_racing_a_claim_is_whole_or_refused,
    the_marketplace_keeps_developers_submissions_releases_and_keys,
    reviews_are_one_per_tenant_and_stats_add_up,
    orders_post_balanced_ledger_transactions,
    developer_counts_come_from_the_store,
    identifiers_are_registered_under_a_tenants_prefixes,
    identifier_imports_are_a_tenants_and_count_each_chunk_once,
    readers_are_granted_by_the_owner_only,
    enterprise_profiles_are_one_per_tenant_versioned_and_audited,
    device_activity_adds_up_per_month,
    platform_load_adds_up_per_node_and_minute,
);

pub(crate) fn actor() -> Actor {
    Actor {
        kind: ActorKind::User,
        id: Some("tester".into()),
        name: "tester".into(),
        tenant_id: None,
        ip: Some("10.0.0.9".into()),
    }
}

pub(crate) async fn tenant(s: &dyn MetaStore, code: &str) -> Tenant {
    s.create_tenant(
        &actor(),
        NewTenant {
            code: code.into(),
            name: format!("Tenant {code}"),
            description: None,
            max_devices: None,
            max_model_calls: None,
        },
    )
    .await
    .unwrap()
}

fn model() -> ThingModel {
    serde_json::from_value(json!({
        "properties": [
            {"identifier": "temp", "name": "温度", "access": "r", "data_type": {"type": "float", "min": -40.0, "max": 120.0, "unit": "°C"}},
            {"identifier": "speed", "name": "Speed", "access": "rw", "data_type": {"type": "int", "min": 0, "max": 3000}}
        ],
        "events": [{"identifier": "fault", "name": "Fault", "level": "error", "output": []}],
        "services": [{"identifier": "reset", "name": "Reset", "call_type": "sync"}]
    }))
    .unwrap()
}

pub(crate) async fn product(s: &dyn MetaStore, t: TenantId, name: &str) -> Product {
    s.create_product(
        &actor(),
        t,
        NewProduct {
            name: name.into(),
            product_key: format!("pk-{}", uuid::Uuid::new_v4().simple()),
            description: None,
            industry: Some(ironloom_core::industry::Industry::C),
            category: ironloom_core::industry::DeviceCategory::Operating,
            kind: None,
            protocol: ironloom_core::industry::Protocol::Mqtt,
            thing_model: model(),
            tm_extensions: JsonMap::new(),
        },
    )
    .await
    .unwrap()
}

async fn group(s: &dyn MetaStore, t: TenantId, name: &str) -> DeviceGroup {
    s.create_group(
        &actor(),
        t,
        NewDeviceGroup {
            name: name.into(),
            description: None,
        },
    )
    .await
    .unwrap()
}

fn creds(tag: &str) -> DeviceCredentials {
    let u = uuid::Uuid::new_v4().simple().to_string();
    DeviceCredentials {
        access_token: format!("tok-{tag}-{u}"),
        username: format!("user-{tag}-{u}"),
        password: "password-1".into(),
        secret: "secret-12345".into(),
        x509_fingerprint: None,
    }
}

pub(crate) fn new_device(product: ProductId, name: &str) -> NewDevice {
    NewDevice {
        product_id: product,
        name: name.into(),
        label: None,
        description: None,
        tags: vec![],
        groups: vec![],
        attributes: JsonMap::new(),
        credentials: creds(name),
    }
}

pub(crate) fn first_page<F: SortField>() -> PageRequest<F> {
    PageRequest {
        page: 1,
        page_size: 100,
        sort: Sort::default(),
    }
}

async fn tenants_are_created_listed_changed_and_deleted(s: &SqlStore) {
    let a = tenant(s, "acme").await;
    let b = tenant(s, "beta-works").await;
    assert_eq!(s.get_tenant(a.id).await.unwrap(), a);
    assert_eq!(
        s.find_tenant_by_code("beta-works")
            .await
            .unwrap()
            .unwrap()
            .id,
        b.id
    );
    let page = s
        .list_tenants(
            &TenantFilter {
                q: Some("ACME".into()),
                enabled: None,
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].id, a.id);
    let changed = s
        .update_tenant(
            &actor(),
            a.id,
            TenantPatch {
                enabled: Some(false),
                max_devices: Some(Some(5)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!changed.enabled);
    assert_eq!(changed.max_devices, Some(5));
    assert_eq!(changed.version, 2);
    let enabled = s
        .list_tenants(
            &TenantFilter {
                q: None,
                enabled: Some(true),
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(
        enabled.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![b.id]
    );
    s.delete_tenant(&actor(), a.id).await.unwrap();
    assert!(matches!(
        s.get_tenant(a.id).await,
        Err(Error::NotFound(Resource::Tenant))
    ));
    assert!(matches!(
        s.delete_tenant(&actor(), a.id).await,
        Err(Error::NotFound(_))
    ));
}

async fn tenant_codes_are_unique(s: &SqlStore) {
    tenant(s, "dup").await;
    let err = s
        .create_tenant(
            &actor(),
            NewTenant {
                code: "dup".into(),
                name: "x".into(),
                description: None,
                max_devices: None,
                max_model_calls: None,
            },
        )
        .await
        .unwrap_err();
    match err {
        Error::AlreadyExists {
            resource: Resource::Tenant,
            field: "code",
            value,
        } => assert_eq!(value, "dup"),
        other => panic!("{other:?}"),
    }
}

pub(crate) fn new_user(t: Option<TenantId>, name: &str, role: Role) -> NewUser {
    NewUser {
        tenant_id: t,
        username: name.into(),
        display_name: None,
        email: None,
        role,
        password_hash: "$argon2id$fake".into(),
        password_change_required: false,
    }
}

async fn users_are_unique_per_tenant(s: &SqlStore) {
    let a = tenant(s, "a").await;
    let b = tenant(s, "b").await;
    let ua = s
        .create_user(&actor(), new_user(Some(a.id), "li.lei", Role::Engineer))
        .await
        .unwrap();
    s.create_user(&actor(), new_user(Some(b.id), "li.lei", Role::Viewer))
        .await
        .unwrap();
    let err = s
        .create_user(&actor(), new_user(Some(a.id), "li.lei", Role::Viewer))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::AlreadyExists {
                field: "username",
                ..
            }
        ),
        "{err:?}"
    );
    s.create_user(&actor(), new_user(None, "root", Role::PlatformAdmin))
        .await
        .unwrap();
    let err = s
        .create_user(&actor(), new_user(None, "root", Role::PlatformAdmin))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { .. }),
        "platform user names are unique too: {err:?}"
    );
    assert_eq!(s.count_platform_admins().await.unwrap(), 1);
    assert_eq!(s.find_users_by_username("li.lei").await.unwrap().len(), 2);
    let found = s
        .find_user_credentials(Some(a.id), "li.lei")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.id, ua.id);
    assert_eq!(found.password_hash, "$argon2id$fake");
    assert_eq!(s.get_user_credentials(ua.id).await.unwrap(), found);
    assert!(matches!(
        s.get_user_credentials(UserId::new()).await,
        Err(Error::NotFound(Resource::User))
    ));
    assert!(
        s.find_user_credentials(None, "li.lei")
            .await
            .unwrap()
            .is_none()
    );
    // Scopes: tenant B cannot see A's user.
    assert!(matches!(
        s.get_user(Scope::Tenant(b.id), ua.id).await,
        Err(Error::NotFound(_))
    ));
    let listed = s
        .list_users(Scope::Tenant(a.id), &UserFilter::default(), &first_page())
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    let all = s
        .list_users(Scope::All, &UserFilter::default(), &first_page())
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    let platform = s
        .list_users(
            Scope::All,
            &UserFilter {
                tenant_id: Some(None),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(platform.total, 1);
    let changed = s
        .update_user(
            &actor(),
            Scope::Tenant(a.id),
            ua.id,
            UserPatch {
                role: Some(Role::Operator),
                email: Some(Some("l@x.cn".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.role, Role::Operator);
    assert!(matches!(
        s.update_user(&actor(), Scope::Tenant(b.id), ua.id, UserPatch::default())
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.delete_user(&actor(), Scope::Tenant(b.id), ua.id).await,
        Err(Error::NotFound(_))
    ));
    s.delete_user(&actor(), Scope::Tenant(a.id), ua.id)
        .await
        .unwrap();
}

async fn failed_logins_lock_the_account(s: &SqlStore) {
    let a = tenant(s, "lock").await;
    let u = s
        .create_user(&actor(), new_user(Some(a.id), "bob", Role::Viewer))
        .await
        .unwrap();
    let fail = LoginOutcome::Failure {
        threshold: 3,
        lock_for: chrono::Duration::minutes(10),
    };
    let after1 = s.record_login(&actor(), u.id, fail).await.unwrap();
    assert_eq!(after1.failed_logins, 1);
    assert!(after1.locked_until.is_none());
    s.record_login(&actor(), u.id, fail).await.unwrap();
    let locked = s.record_login(&actor(), u.id, fail).await.unwrap();
    assert!(locked.locked_until.unwrap() > chrono::Utc::now() + chrono::Duration::minutes(9));
    let ok = s
        .record_login(&actor(), u.id, LoginOutcome::Success)
        .await
        .unwrap();
    assert_eq!(ok.failed_logins, 0);
    assert!(ok.locked_until.is_none() && ok.last_login_at.is_some());
    let audit = s
        .list_audit(
            Scope::All,
            &AuditFilter {
                resource_id: Some(u.id.to_string()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    for a in ["login_failed", "account_locked", "login"] {
        assert!(actions.contains(&a), "{actions:?}");
    }
}

async fn api_keys_are_created_found_and_revoked(s: &SqlStore) {
    let a = tenant(s, "keys").await;
    let b = tenant(s, "other").await;
    let u = s
        .create_user(&actor(), new_user(Some(a.id), "svc", Role::Engineer))
        .await
        .unwrap();
    let id = ApiKeyId::new();
    let key = s
        .create_api_key(
            &actor(),
            NewApiKey {
                id,
                tenant_id: Some(a.id),
                name: "ci".into(),
                prefix: "ilk_0123".into(),
                secret_hash: "abc".into(),
                scopes: vec![Permission::DeviceRead, Permission::ProductRead],
                expires_at: Some(chrono::Utc::now() + chrono::Duration::days(1)),
                created_by: u.id,
            },
        )
        .await
        .unwrap();
    assert_eq!(key.id, id);
    let (found, hash) = s.get_api_key_secret(id).await.unwrap().unwrap();
    assert_eq!(found, key);
    assert_eq!(hash, "abc");
    assert!(matches!(
        s.get_api_key(Scope::Tenant(b.id), id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.revoke_api_key(&actor(), Scope::Tenant(b.id), id).await,
        Err(Error::NotFound(_))
    ));
    s.touch_api_key(id, chrono::Utc::now()).await.unwrap();
    assert!(
        s.get_api_key(Scope::Tenant(a.id), id)
            .await
            .unwrap()
            .last_used_at
            .is_some()
    );
    let revoked = s
        .revoke_api_key(&actor(), Scope::Tenant(a.id), id)
        .await
        .unwrap();
    assert!(revoked.revoked);
    let active = s
        .list_api_keys(Scope::Tenant(a.id), &ApiKeyFilter::default(), &first_page())
        .await
        .unwrap();
    assert_eq!(active.total, 0);
    let all = s
        .list_api_keys(
            Scope::Tenant(a.id),
            &ApiKeyFilter {
                include_revoked: true,
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(all.total, 1);
}

async fn products_keep_their_thing_model(s: &SqlStore) {
    let a = tenant(s, "prod").await;
    let p = product(s, a.id, "Pump 泵").await;
    let got = s.get_product(a.id, p.id).await.unwrap();
    assert_eq!(got, p);
    assert_eq!(got.thing_model, model());
    // Stored natively as a WoT Thing Model document.
    let doc = got.wot_document();
    assert_eq!(doc["@type"], json!("tm:ThingModel"));
    assert_eq!(doc["title"], json!("Pump 泵"));
    assert!(doc["properties"]["temp"].is_object());
    assert_eq!(
        s.find_product_by_key(a.id, &p.product_key)
            .await
            .unwrap()
            .unwrap()
            .id,
        p.id
    );
    let mut ext = JsonMap::new();
    ext.insert(
        "links".into(),
        json!([{"rel": "type", "href": "https://example.com/pump.tm.json"}]),
    );
    let mut m = model();
    m.properties.truncate(1);
    let changed = s
        .update_product(
            &actor(),
            a.id,
            p.id,
            ProductPatch {
                thing_model: Some(m.clone()),
                tm_extensions: Some(ext.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.version, 2);
    let got = s.get_product(a.id, p.id).await.unwrap();
    assert_eq!(got.thing_model, m);
    assert_eq!(got.tm_extensions, ext);
    let listed = s
        .list_products(
            a.id,
            &ProductFilter {
                q: Some("泵".into()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    let err = s
        .create_product(
            &actor(),
            a.id,
            NewProduct {
                name: "Pump 泵".into(),
                product_key: "another".into(),
                description: None,
                industry: None,
                category: Default::default(),
                kind: None,
                protocol: Default::default(),
                thing_model: ThingModel::default(),
                tm_extensions: JsonMap::new(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { field: "name", .. }),
        "{err:?}"
    );
}

async fn products_in_use_cannot_be_deleted(s: &SqlStore) {
    let a = tenant(s, "inuse").await;
    let p = product(s, a.id, "Motor").await;
    let d = s
        .create_device(&actor(), a.id, new_device(p.id, "m1"))
        .await
        .unwrap();
    assert!(matches!(
        s.delete_product(&actor(), a.id, p.id).await,
        Err(Error::InUse {
            resource: Resource::Product,
            by: Resource::Device,
            count: 1
        })
    ));
    s.delete_device(&actor(), a.id, d.id).await.unwrap();
    s.delete_product(&actor(), a.id, p.id).await.unwrap();
    assert!(matches!(
        s.get_product(a.id, p.id).await,
        Err(Error::NotFound(_))
    ));
}

async fn devices_have_tags_groups_and_attributes(s: &SqlStore) {
    let a = tenant(s, "dev").await;
    let p = product(s, a.id, "Boiler").await;
    let g1 = group(s, a.id, "Line 1").await;
    let g2 = s
        .create_group(
            &actor(),
            a.id,
            NewDeviceGroup {
                name: "Line 2".into(),
                description: Some("二号线".into()),
            },
        )
        .await
        .unwrap();
    let mut nd = new_device(p.id, "boiler-1");
    nd.tags = vec!["steam".into(), "critical".into()];
    nd.groups = vec![g2.id, g1.id, g1.id];
    nd.attributes.insert("floor".into(), json!(2));
    let d = s.create_device(&actor(), a.id, nd).await.unwrap();
    let mut expected_groups = vec![g1.id, g2.id];
    expected_groups.sort();
    assert_eq!(d.groups, expected_groups);
    let got = s.get_device(a.id, d.id).await.unwrap();
    assert_eq!(got, d);
    assert_eq!(s.get_group(a.id, g1.id).await.unwrap().device_count, 1);
    let updated = s
        .update_device_attributes(
            &actor(),
            a.id,
            d.id,
            AttributesPatch {
                set: serde_json::from_value(json!({"room": "B-2", "max_pressure": 1.25})).unwrap(),
                remove: vec!["floor".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(updated.attributes.clone()),
        json!({"room": "B-2", "max_pressure": 1.25})
    );
    let changed = s
        .update_device(
            &actor(),
            a.id,
            d.id,
            DevicePatch {
                tags: Some(vec!["steam".into()]),
                groups: Some(vec![g1.id]),
                label: Some(Some("一号锅炉".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.tags, vec!["steam".to_string()]);
    assert_eq!(changed.groups, vec![g1.id]);
    let by_tag = s
        .list_devices(
            a.id,
            &DeviceFilter {
                tag: Some("critical".into()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(by_tag.total, 0);
    s.delete_group(&actor(), a.id, g1.id).await.unwrap();
    assert!(s.get_device(a.id, d.id).await.unwrap().groups.is_empty());
    assert_eq!(
        s.find_device_by_name(a.id, "boiler-1")
            .await
            .unwrap()
            .unwrap()
            .id,
        d.id
    );
}

async fn device_lists_filter_sort_and_page(s: &SqlStore) {
    let a = tenant(s, "list").await;
    let p1 = product(s, a.id, "P1").await;
    let p2 = product(s, a.id, "P2").await;
    let g = group(s, a.id, "G").await;
    for i in 0..25 {
        let mut nd = new_device(
            if i % 2 == 0 { p1.id } else { p2.id },
            &format!("dev-{i:02}"),
        );
        if i % 5 == 0 {
            nd.tags = vec!["five".into()];
            nd.groups = vec![g.id];
        }
        s.create_device(&actor(), a.id, nd).await.unwrap();
    }
    let req = |page, size, sort: &str| PageRequest::<DeviceSort> {
        page,
        page_size: size,
        sort: Sort::parse(sort).unwrap(),
    };
    let page1 = s
        .list_devices(a.id, &DeviceFilter::default(), &req(1, 10, "-name"))
        .await
        .unwrap();
    assert_eq!(page1.total, 25);
    assert_eq!(page1.items.len(), 10);
    assert_eq!(page1.items[0].name, "dev-24");
    let page3 = s
        .list_devices(a.id, &DeviceFilter::default(), &req(3, 10, "-name"))
        .await
        .unwrap();
    assert_eq!(page3.items.len(), 5);
    assert_eq!(page3.items[4].name, "dev-00");
    let beyond = s
        .list_devices(a.id, &DeviceFilter::default(), &req(9, 10, "name"))
        .await
        .unwrap();
    assert!(beyond.items.is_empty() && beyond.total == 25);
    let p1_only = s
        .list_devices(
            a.id,
            &DeviceFilter {
                product_id: Some(p1.id),
                ..Default::default()
            },
            &req(1, 100, "name"),
        )
        .await
        .unwrap();
    assert_eq!(p1_only.total, 13);
    let tagged = s
        .list_devices(
            a.id,
            &DeviceFilter {
                tag: Some("five".into()),
                ..Default::default()
            },
            &req(1, 100, "name"),
        )
        .await
        .unwrap();
    assert_eq!(
        tagged
            .items
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
        ["dev-00", "dev-05", "dev-10", "dev-15", "dev-20"]
    );
    let grouped = s
        .list_devices(
            a.id,
            &DeviceFilter {
                group_id: Some(g.id),
                ..Default::default()
            },
            &req(1, 100, "name"),
        )
        .await
        .unwrap();
    assert_eq!(grouped.total, 5);
    let q = s
        .list_devices(
            a.id,
            &DeviceFilter {
                q: Some("DEV-1".into()),
                ..Default::default()
            },
            &req(1, 100, "name"),
        )
        .await
        .unwrap();
    assert_eq!(q.total, 10);
    // LIKE wildcards in the search text are taken literally.
    let wild = s
        .list_devices(
            a.id,
            &DeviceFilter {
                q: Some("%".into()),
                ..Default::default()
            },
            &req(1, 100, "name"),
        )
        .await
        .unwrap();
    assert_eq!(wild.total, 0);
    let offline = s
        .list_devices(
            a.id,
            &DeviceFilter {
                online: Some(false),
                ..Default::default()
            },
            &req(1, 1, "last_seen_at"),
        )
        .await
        .unwrap();
    assert_eq!(offline.total, 25);
    assert_eq!(s.count_devices(a.id).await.unwrap(), 25);
}

async fn device_credentials_are_unique_platform_wide(s: &SqlStore) {
    let a = tenant(s, "c1").await;
    let b = tenant(s, "c2").await;
    let pa = product(s, a.id, "P").await;
    let pb = product(s, b.id, "P").await;
    let mut nd = new_device(pa.id, "d");
    nd.credentials.access_token = "shared-token".into();
    let d = s.create_device(&actor(), a.id, nd).await.unwrap();
    let mut clash = new_device(pb.id, "d");
    clash.credentials.access_token = "shared-token".into();
    let err = s.create_device(&actor(), b.id, clash).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::AlreadyExists {
                field: "access_token",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        s.find_device_by_token("shared-token")
            .await
            .unwrap()
            .unwrap()
            .id,
        d.id
    );
    assert!(s.find_device_by_token("nope").await.unwrap().is_none());
    let old = s.get_device_credentials(a.id, d.id).await.unwrap();
    let (found, found_creds) = s
        .find_device_by_username(&old.username)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found_creds), (d.id, old.clone()));
    let (found, found_creds) = s
        .find_device_by_product_key(&pa.product_key, "d")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found_creds), (d.id, old.clone()));
    // The same device name under another tenant's product is another device.
    assert!(
        s.find_device_by_product_key(&pb.product_key, "d")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.find_device_by_product_key("no-such-key", "d")
            .await
            .unwrap()
            .is_none()
    );
    let new = creds("rotated");
    s.set_device_credentials(&actor(), a.id, d.id, new.clone())
        .await
        .unwrap();
    assert_eq!(s.get_device_credentials(a.id, d.id).await.unwrap(), new);
    assert!(
        s.find_device_by_token("shared-token")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        s.get_device_credentials(b.id, d.id).await,
        Err(Error::NotFound(_))
    ));
}

async fn a_client_certificate_is_one_device_platform_wide(s: &SqlStore) {
    let a = tenant(s, "x1").await;
    let b = tenant(s, "x2").await;
    let pa = product(s, a.id, "P").await;
    let pb = product(s, b.id, "P").await;
    let fingerprint = "ab".repeat(32);
    let mut nd = new_device(pa.id, "d");
    nd.credentials.x509_fingerprint = Some(fingerprint.clone());
    let d = s.create_device(&actor(), a.id, nd).await.unwrap();
    // Devices without a certificate do not clash with each other.
    let other = s
        .create_device(&actor(), b.id, new_device(pb.id, "e"))
        .await
        .unwrap();
    let owner = || async {
        s.find_device_by_x509(&fingerprint)
            .await
            .unwrap()
            .map(|d| d.id)
    };
    assert_eq!(owner().await, Some(d.id));
    assert_eq!(
        s.get_device_credentials(a.id, d.id)
            .await
            .unwrap()
            .x509_fingerprint,
        Some(fingerprint.clone())
    );
    // Another tenant's device cannot take the certificate, neither when created nor
    // when its credentials are replaced.
    let mut clash = new_device(pb.id, "d");
    clash.credentials.x509_fingerprint = Some(fingerprint.clone());
    let err = s.create_device(&actor(), b.id, clash).await.unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyExists { field: "x509_fingerprint", value, .. } if *value == fingerprint),
        "{err:?}"
    );
    let mut taken = creds("taken");
    taken.x509_fingerprint = Some(fingerprint.clone());
    let err = s
        .set_device_credentials(&actor(), b.id, other.id, taken)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::AlreadyExists {
                field: "x509_fingerprint",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(owner().await, Some(d.id));
    // Once the first device lets it go, the certificate is nobody's.
    s.set_device_credentials(&actor(), a.id, d.id, creds("released"))
        .await
        .unwrap();
    assert_eq!(owner().await, None);
}

async fn bulk_create_is_all_or_nothing(s: &SqlStore) {
    let a = tenant(s, "bulk").await;
    let p = product(s, a.id, "P").await;
    let ok = s
        .create_devices(
            &actor(),
            a.id,
            (0..50)
                .map(|i| new_device(p.id, &format!("b{i}")))
                .collect(),
        )
        .await
        .unwrap();
    assert_eq!(ok.len(), 50);
    let mut batch: Vec<NewDevice> = (50..60)
        .map(|i| new_device(p.id, &format!("b{i}")))
        .collect();
    batch.push(new_device(p.id, "b3"));
    assert!(s.create_devices(&actor(), a.id, batch).await.is_err());
    assert_eq!(s.count_devices(a.id).await.unwrap(), 50);
}

async fn device_quota_is_enforced(s: &SqlStore) {
    let a = tenant(s, "quota").await;
    s.update_tenant(
        &actor(),
        a.id,
        TenantPatch {
            max_devices: Some(Some(3)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let p = product(s, a.id, "P").await;
    s.create_devices(
        &actor(),
        a.id,
        (0..2).map(|i| new_device(p.id, &format!("q{i}"))).collect(),
    )
    .await
    .unwrap();
    let too_many: Vec<NewDevice> = (2..4).map(|i| new_device(p.id, &format!("q{i}"))).collect();
    assert!(matches!(
        s.create_devices(&actor(), a.id, too_many).await,
        Err(Error::QuotaExceeded { limit: 3, .. })
    ));
    s.create_device(&actor(), a.id, new_device(p.id, "q2"))
        .await
        .unwrap();
    assert!(matches!(
        s.create_device(&actor(), a.id, new_device(p.id, "q3"))
            .await,
        Err(Error::QuotaExceeded { .. })
    ));
}

async fn tenant_b_cannot_touch_tenant_a_data(s: &SqlStore) {
    let a = tenant(s, "ta").await;
    let b = tenant(s, "tb").await;
    let pa = product(s, a.id, "PA").await;
    let pb = product(s, b.id, "PB").await;
    let ga = group(s, a.id, "GA").await;
    let da = s
        .create_device(&actor(), a.id, new_device(pa.id, "da"))
        .await
        .unwrap();
    // Reads.
    assert!(matches!(
        s.get_product(b.id, pa.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.get_device(b.id, da.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.get_group(b.id, ga.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(s.find_device_by_name(b.id, "da").await.unwrap().is_none());
    assert!(
        s.find_product_by_key(b.id, &pa.product_key)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.list_devices(b.id, &DeviceFilter::default(), &first_page())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        s.list_products(b.id, &ProductFilter::default(), &first_page())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        s.list_groups(b.id, &GroupFilter::default(), &first_page())
            .await
            .unwrap()
            .total,
        0
    );
    // Changes.
    assert!(matches!(
        s.update_product(&actor(), b.id, pa.id, ProductPatch::default())
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.update_device(&actor(), b.id, da.id, DevicePatch::default())
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.update_device_attributes(&actor(), b.id, da.id, AttributesPatch::default())
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.set_device_credentials(&actor(), b.id, da.id, creds("x"))
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.update_group(&actor(), b.id, ga.id, DeviceGroupPatch::default())
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.delete_product(&actor(), b.id, pa.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.delete_device(&actor(), b.id, da.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.delete_group(&actor(), b.id, ga.id).await,
        Err(Error::NotFound(_))
    ));
    // References across tenants are refused even though the rows exist.
    let err = s
        .create_device(&actor(), b.id, new_device(pa.id, "sneaky"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f.kind == FieldErrorKind::UnknownReference(Resource::Product)),
        "{err:?}"
    );
    let mut nd = new_device(pb.id, "sneaky2");
    nd.groups = vec![ga.id];
    let err = s.create_device(&actor(), b.id, nd).await.unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f.kind == FieldErrorKind::UnknownReference(Resource::DeviceGroup)),
        "{err:?}"
    );
    let db = s
        .create_device(&actor(), b.id, new_device(pb.id, "db"))
        .await
        .unwrap();
    let err = s
        .update_device(
            &actor(),
            b.id,
            db.id,
            DevicePatch {
                product_id: Some(pa.id),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    // A's objects are unchanged.
    assert_eq!(s.get_device(a.id, da.id).await.unwrap(), da);
    // Audit scoping.
    let b_audit = s
        .list_audit(Scope::Tenant(b.id), &AuditFilter::default(), &first_page())
        .await
        .unwrap();
    assert!(b_audit.items.iter().all(|e| e.tenant_id == Some(b.id)));
}

async fn every_change_is_audited(s: &SqlStore) {
    let a = tenant(s, "audit").await;
    let p = product(s, a.id, "P").await;
    let d = s
        .create_device(&actor(), a.id, new_device(p.id, "d1"))
        .await
        .unwrap();
    s.update_device(
        &actor(),
        a.id,
        d.id,
        DevicePatch {
            label: Some(Some("L".into())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    s.delete_device(&actor(), a.id, d.id).await.unwrap();
    let page = PageRequest::<AuditSort> {
        page: 1,
        page_size: 100,
        sort: Sort::parse("-at").unwrap(),
    };
    let entries = s
        .list_audit(
            Scope::Tenant(a.id),
            &AuditFilter {
                resource: Some(Resource::Device),
                ..Default::default()
            },
            &page,
        )
        .await
        .unwrap();
    let actions: Vec<&str> = entries.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["delete", "update", "create"]);
    let upd = &entries.items[1];
    assert_eq!(upd.actor, actor());
    assert_eq!(upd.resource_id.as_deref(), Some(d.id.to_string().as_str()));
    assert_eq!(upd.details["label"]["to"], json!("L"));
    let products = s
        .list_audit(
            Scope::Tenant(a.id),
            &AuditFilter {
                resource: Some(Resource::Product),
                action: Some("create".into()),
                ..Default::default()
            },
            &page,
        )
        .await
        .unwrap();
    assert_eq!(products.total, 1);
}

async fn status_updates_are_batched(s: &SqlStore) {
    let a = tenant(s, "status").await;
    let p = product(s, a.id, "P").await;
    let d1 = s
        .create_device(&actor(), a.id, new_device(p.id, "s1"))
        .await
        .unwrap();
    let d2 = s
        .create_device(&actor(), a.id, new_device(p.id, "s2"))
        .await
        .unwrap();
    let now =
        chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis()).unwrap();
    let online = DeviceStatus {
        online: true,
        last_seen_at: Some(now),
        last_connected_at: Some(now),
        last_disconnected_at: None,
    };
    s.update_device_status(&[
        DeviceStatusUpdate {
            device_id: d1.id,
            status: online.clone(),
        },
        DeviceStatusUpdate {
            device_id: d2.id,
            status: DeviceStatus::default(),
        },
    ])
    .await
    .unwrap();
    assert_eq!(s.get_device(a.id, d1.id).await.unwrap().status, online);
    let on = s
        .list_devices(
            a.id,
            &DeviceFilter {
                online: Some(true),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(
        on.items.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![d1.id]
    );
    s.update_device_status(&[]).await.unwrap();
}

async fn deleting_a_tenant_removes_its_data(s: &SqlStore) {
    let a = tenant(s, "gone").await;
    let keep = tenant(s, "stays").await;
    let p = product(s, a.id, "P").await;
    let pk = product(s, keep.id, "P").await;
    let g = group(s, a.id, "G").await;
    let mut nd = new_device(p.id, "d");
    nd.groups = vec![g.id];
    nd.tags = vec!["t".into()];
    let d = s.create_device(&actor(), a.id, nd).await.unwrap();
    let dk = s
        .create_device(&actor(), keep.id, new_device(pk.id, "d"))
        .await
        .unwrap();
    let u = s
        .create_user(&actor(), new_user(Some(a.id), "u", Role::Viewer))
        .await
        .unwrap();
    let creds_a = s.get_device_credentials(a.id, d.id).await.unwrap();
    s.delete_tenant(&actor(), a.id).await.unwrap();
    assert!(
        s.find_device_by_token(&creds_a.access_token)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        s.get_user(Scope::All, u.id).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(s.get_device(keep.id, dk.id).await.unwrap(), dk);
    // The audit trail of the deleted tenant survives.
    let trail = s
        .list_audit(
            Scope::All,
            &AuditFilter {
                tenant_id: Some(Some(a.id)),
                action: Some("delete".into()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(trail.total, 1);
}

async fn stale_versions_are_refused(s: &SqlStore) {
    let a = tenant(s, "ver").await;
    let p = product(s, a.id, "P").await;
    s.update_product(
        &actor(),
        a.id,
        p.id,
        ProductPatch {
            name: Some("P2".into()),
            expected_version: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let err = s
        .update_product(
            &actor(),
            a.id,
            p.id,
            ProductPatch {
                name: Some("P3".into()),
                expected_version: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::VersionConflict { actual: 2, .. }),
        "{err:?}"
    );
    let d = s
        .create_device(&actor(), a.id, new_device(p.id, "d"))
        .await
        .unwrap();
    let err = s
        .update_device(
            &actor(),
            a.id,
            d.id,
            DevicePatch {
                expected_version: Some(7),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::VersionConflict { actual: 1, .. }),
        "{err:?}"
    );
}

async fn hostile_strings_are_stored_verbatim(s: &SqlStore) {
    let hostile = [
        "'; DROP TABLE devices; --",
        "\" OR 1=1 --",
        "<script>alert('x')</script>",
        "Robert'); DELETE FROM tenants;--",
        "😀 泵 \\ % _ $1 ?",
    ];
    let a = tenant(s, "hostile").await;
    let p = product(s, a.id, "P").await;
    for (i, h) in hostile.iter().enumerate() {
        let mut nd = new_device(p.id, &format!("h{i}"));
        nd.label = Some(h.to_string());
        nd.description = Some(h.repeat(50));
        nd.tags = vec![h.to_string()];
        nd.attributes.insert(h.to_string(), json!(h));
        let d = s.create_device(&actor(), a.id, nd).await.unwrap();
        let got = s.get_device(a.id, d.id).await.unwrap();
        assert_eq!(got.label.as_deref(), Some(*h));
        assert_eq!(got.attributes[*h], json!(h));
        let found = s
            .list_devices(
                a.id,
                &DeviceFilter {
                    tag: Some(h.to_string()),
                    ..Default::default()
                },
                &first_page(),
            )
            .await
            .unwrap();
        assert_eq!(found.total, 1, "{h}");
        let searched = s
            .list_devices(
                a.id,
                &DeviceFilter {
                    q: Some(h.to_string()),
                    ..Default::default()
                },
                &first_page(),
            )
            .await
            .unwrap();
        assert_eq!(searched.total, 1, "{h}");
    }
    assert_eq!(s.count_devices(a.id).await.unwrap(), hostile.len() as u64);
}

fn new_command(device: DeviceId, expires_in_ms: Option<i64>) -> NewCommand {
    NewCommand {
        device_id: device,
        kind: CommandKind::SetProperties,
        method: SET_PROPERTIES_METHOD.into(),
        params: json!({"speed": 100}),
        one_way: false,
        timeout_ms: 5000,
        expires_at: expires_in_ms.map(|ms| chrono::Utc::now() + chrono::Duration::milliseconds(ms)),
    }
}

async fn commands_are_recorded_sent_finished_and_expired(s: &SqlStore) {
    let a = tenant(s, "cmd-a").await;
    let b = tenant(s, "cmd-b").await;
    let p = product(s, a.id, "P").await;
    let d = s
        .create_device(&actor(), a.id, new_device(p.id, "c1"))
        .await
        .unwrap();
    // A command for a device of another tenant is refused.
    let e = s
        .create_command(&actor(), b.id, new_command(d.id, None))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Resource::Device)), "{e:?}");

    let c = s
        .create_command(&actor(), a.id, new_command(d.id, Some(60_000)))
        .await
        .unwrap();
    assert_eq!(c.status, CommandStatus::Queued);
    assert_eq!(s.get_command(a.id, c.id).await.unwrap(), c);
    assert!(matches!(
        s.get_command(b.id, c.id).await,
        Err(Error::NotFound(Resource::Command))
    ));
    let queued = s.queued_commands(a.id, d.id).await.unwrap();
    assert_eq!(queued.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c.id]);
    assert!(s.queued_commands(b.id, d.id).await.unwrap().is_empty());

    assert!(s.mark_command_sent(c.id, chrono::Utc::now()).await.unwrap());
    assert!(!s.mark_command_sent(c.id, chrono::Utc::now()).await.unwrap());
    assert!(s.queued_commands(a.id, d.id).await.unwrap().is_empty());
    let done = s
        .finish_command(c.id, CommandResult::succeeded(Some(json!({"speed": 100}))))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, CommandStatus::Succeeded);
    assert_eq!(done.response, Some(json!({"speed": 100})));
    assert!(done.completed_at.is_some());
    // A late second answer changes nothing.
    assert!(
        s.finish_command(c.id, CommandResult::failed(CommandStatus::Failed, "late"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(s.get_command(a.id, c.id).await.unwrap(), done);

    // Expiry: a queued command past its expiry ends as expired, once.
    let old = s
        .create_command(&actor(), a.id, new_command(d.id, Some(-1000)))
        .await
        .unwrap();
    let fresh = s
        .create_command(&actor(), a.id, new_command(d.id, Some(600_000)))
        .await
        .unwrap();
    assert_eq!(
        s.queued_commands(a.id, d.id)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![fresh.id]
    );
    let expired = s.expire_commands(chrono::Utc::now()).await.unwrap();
    assert_eq!(
        expired.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![old.id]
    );
    assert_eq!(expired[0].status, CommandStatus::Expired);
    assert!(
        s.expire_commands(chrono::Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    // Sent and never answered, long after its timeout (as after a restart): timed out.
    assert!(
        s.mark_command_sent(fresh.id, chrono::Utc::now() - chrono::Duration::minutes(10))
            .await
            .unwrap()
    );
    let timed_out = s.expire_commands(chrono::Utc::now()).await.unwrap();
    assert_eq!(timed_out.len(), 1);
    assert_eq!(timed_out[0].status, CommandStatus::TimedOut);

    // Lists: filtered by device and status, tenant-scoped.
    let all = s
        .list_commands(a.id, &CommandFilter::default(), &first_page())
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    let expired_only = s
        .list_commands(
            a.id,
            &CommandFilter {
                device_id: Some(d.id),
                status: Some(CommandStatus::Expired),
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(expired_only.items.len(), 1);
    assert_eq!(
        s.list_commands(b.id, &CommandFilter::default(), &first_page())
            .await
            .unwrap()
            .total,
        0
    );
    // Every command is audited when created and when it ended.
    let audit = s
        .list_audit(
            Scope::Tenant(a.id),
            &AuditFilter {
                resource: Some(Resource::Command),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "command").count(), 3);
    assert_eq!(
        actions.iter().filter(|a| **a == "command_result").count(),
        3
    );
    // Deleting the device removes its commands.
    s.delete_device(&actor(), a.id, d.id).await.unwrap();
    assert!(matches!(
        s.get_command(a.id, c.id).await,
        Err(Error::NotFound(Resource::Command))
    ));
}

async fn attributes_are_kept_per_scope(s: &SqlStore) {
    let a = tenant(s, "attr-a").await;
    let b = tenant(s, "attr-b").await;
    let p = product(s, a.id, "P").await;
    let d = s
        .create_device(&actor(), a.id, new_device(p.id, "a1"))
        .await
        .unwrap();
    let map = |v: serde_json::Value| v.as_object().unwrap().clone();
    s.set_attributes(
        &actor(),
        a.id,
        d.id,
        AttributeScope::Client,
        map(json!({"fw": "1.0", "model": "X1"})),
    )
    .await
    .unwrap();
    s.set_attributes(
        &actor(),
        a.id,
        d.id,
        AttributeScope::Shared,
        map(json!({"interval": 5, "fw": {"target": "2.0"}})),
    )
    .await
    .unwrap();
    // Replaced, not merged; scopes are apart.
    s.set_attributes(
        &actor(),
        a.id,
        d.id,
        AttributeScope::Client,
        map(json!({"fw": "1.1"})),
    )
    .await
    .unwrap();
    let client = s
        .get_attributes(a.id, d.id, AttributeScope::Client, None)
        .await
        .unwrap();
    let kv: Vec<(String, serde_json::Value)> =
        client.into_iter().map(|a| (a.key, a.value)).collect();
    assert_eq!(
        kv,
        vec![("fw".into(), json!("1.1")), ("model".into(), json!("X1"))]
    );
    let some = s
        .get_attributes(
            a.id,
            d.id,
            AttributeScope::Shared,
            Some(&["fw".to_string(), "missing".to_string()]),
        )
        .await
        .unwrap();
    assert_eq!(some.len(), 1);
    assert_eq!(some[0].value, json!({"target": "2.0"}));
    // Tenant B sees and changes nothing.
    assert!(matches!(
        s.get_attributes(b.id, d.id, AttributeScope::Client, None)
            .await,
        Err(Error::NotFound(Resource::Device))
    ));
    assert!(
        s.set_attributes(
            &actor(),
            b.id,
            d.id,
            AttributeScope::Shared,
            map(json!({"x": 1}))
        )
        .await
        .is_err()
    );
    assert!(
        s.delete_attributes(
            &actor(),
            b.id,
            d.id,
            AttributeScope::Shared,
            &["interval".into()]
        )
        .await
        .is_err()
    );
    // Bad values are refused before anything is written.
    let e = s
        .set_attributes(
            &actor(),
            a.id,
            d.id,
            AttributeScope::Client,
            map(json!({"ok": 1, "bad": null})),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Invalid(_)), "{e:?}");
    let removed = s
        .delete_attributes(
            &actor(),
            a.id,
            d.id,
            AttributeScope::Shared,
            &["interval".into(), "nope".into()],
        )
        .await
        .unwrap();
    assert_eq!(removed, vec!["interval".to_string()]);
    assert_eq!(
        s.get_attributes(a.id, d.id, AttributeScope::Shared, None)
            .await
            .unwrap()
            .len(),
        1
    );
    // Shared changes are audited; client reports are not.
    let audit = s
        .list_audit(
            Scope::Tenant(a.id),
            &AuditFilter {
                resource_id: Some(d.id.to_string()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"set_shared_attributes"), "{actions:?}");
    assert!(actions.contains(&"delete_shared_attributes"), "{actions:?}");
    assert_eq!(actions.iter().filter(|a| a.contains("shared")).count(), 2);
}

async fn provisioning_keys_are_unique_and_scoped(s: &SqlStore) {
    let a = tenant(s, "prov-a").await;
    let b = tenant(s, "prov-b").await;
    let pa = product(s, a.id, "PA").await;
    let pb = product(s, b.id, "PB").await;
    let new = |key: &str| NewProvisioning {
        provision_key: key.into(),
        provision_secret: "secret-secret-secret".into(),
        allow_create: true,
    };
    assert_eq!(s.get_provisioning(a.id, pa.id).await.unwrap(), None);
    let set = s
        .set_provisioning(&actor(), a.id, pa.id, Some(new("key-a")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set.provision_key, "key-a");
    assert_eq!(
        s.get_provisioning(a.id, pa.id).await.unwrap(),
        Some(set.clone())
    );
    let (t, found) = s.find_provisioning("key-a").await.unwrap().unwrap();
    assert_eq!((t, found), (a.id, set));
    // Keys are unique platform-wide; another tenant's product is not reachable.
    let e = s
        .set_provisioning(&actor(), b.id, pb.id, Some(new("key-a")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::AlreadyExists {
                field: "provision_key",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(matches!(
        s.set_provisioning(&actor(), b.id, pa.id, Some(new("key-b")))
            .await,
        Err(Error::NotFound(Resource::Product))
    ));
    assert_eq!(s.get_provisioning(b.id, pa.id).await.unwrap(), None);
    // Replaced, then removed.
    s.set_provisioning(&actor(), a.id, pa.id, Some(new("key-a2")))
        .await
        .unwrap();
    assert!(s.find_provisioning("key-a").await.unwrap().is_none());
    s.set_provisioning(&actor(), a.id, pa.id, None)
        .await
        .unwrap();
    assert!(s.find_provisioning("key-a2").await.unwrap().is_none());
    // Audited without the secret.
    let audit = s
        .list_audit(
            Scope::Tenant(a.id),
            &AuditFilter {
                action: Some("set_provisioning".into()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 3);
    assert!(!audit.items[0].details.to_string().contains("secret-secret"));
}

fn rule_doc(name: &str, enabled: bool, threshold: i64) -> ironloom_core::rule::RuleDoc {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "enabled": enabled,
        "source": {"products": ["P"]},
        "condition": {"expr": format!("temp > {threshold}")},
        "actions": [{"type": "alarm", "alarm_type": "hot", "severity": "major"}],
    }))
    .unwrap()
}

async fn rules_are_versioned_and_scoped(s: &SqlStore) {
    use ironloom_core::repo::RuleRepo;
    use ironloom_core::rule::RuleUpdate;
    let a = tenant(s, "rules-a").await;
    let b = tenant(s, "rules-b").await;
    let r = s
        .create_rule(&actor(), a.id, rule_doc("Overheat", true, 80))
        .await
        .unwrap();
    assert_eq!(r.version, 1);
    // Names are unique per tenant, not platform-wide.
    assert!(matches!(
        s.create_rule(&actor(), a.id, rule_doc("Overheat", true, 1))
            .await,
        Err(Error::AlreadyExists { .. })
    ));
    s.create_rule(&actor(), b.id, rule_doc("Overheat", false, 1))
        .await
        .unwrap();
    let got = s.get_rule(a.id, r.id).await.unwrap();
    assert_eq!(got, r);
    // Changes keep the history; a stale version is refused.
    let r2 = s
        .update_rule(
            &actor(),
            a.id,
            r.id,
            RuleUpdate {
                document: rule_doc("Overheat", false, 90),
                expected_version: Some(1),
            },
        )
        .await
        .unwrap();
    assert_eq!(r2.version, 2);
    assert!(!r2.document.enabled);
    assert!(matches!(
        s.update_rule(
            &actor(),
            a.id,
            r.id,
            RuleUpdate {
                document: rule_doc("Overheat", true, 70),
                expected_version: Some(1),
            },
        )
        .await,
        Err(Error::VersionConflict { actual: 2, .. })
    ));
    let versions = s.rule_versions(a.id, r.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(
        versions[1].document.condition.expr.as_deref(),
        Some("temp > 80")
    );
    assert_eq!(versions[0].actor, actor().name);
    let page = s.list_rules(a.id, &first_page()).await.unwrap();
    assert_eq!((page.total, page.items.len()), (1, 1));
    // Only enabled rules, of every tenant, for the engine: neither A's (now disabled) nor
    // B's (created disabled).
    let enabled = s.enabled_rules().await.unwrap();
    assert!(
        enabled
            .iter()
            .all(|x| x.tenant_id != a.id && x.tenant_id != b.id),
        "{enabled:?}"
    );
    s.update_rule(
        &actor(),
        a.id,
        r.id,
        RuleUpdate {
            document: rule_doc("Overheat", true, 90),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    assert!(
        s.enabled_rules()
            .await
            .unwrap()
            .iter()
            .any(|x| x.id == r.id)
    );
    // Tenant B sees nothing of A's rule.
    assert!(matches!(
        s.get_rule(b.id, r.id).await,
        Err(Error::NotFound(Resource::Rule))
    ));
    assert!(matches!(
        s.rule_versions(b.id, r.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.update_rule(
            &actor(),
            b.id,
            r.id,
            RuleUpdate {
                document: rule_doc("stolen", true, 0),
                expected_version: None,
            },
        )
        .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.delete_rule(&actor(), b.id, r.id).await,
        Err(Error::NotFound(_))
    ));
    // Deleted with its versions; audited.
    s.delete_rule(&actor(), a.id, r.id).await.unwrap();
    assert!(matches!(
        s.get_rule(a.id, r.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.rule_versions(a.id, r.id).await,
        Err(Error::NotFound(_))
    ));
    let audit = s
        .list_audit(
            Scope::Tenant(a.id),
            &AuditFilter {
                resource: Some(Resource::Rule),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "update").count(),
        2,
        "{actions:?}"
    );
    assert!(
        actions.contains(&"create") && actions.contains(&"delete"),
        "{actions:?}"
    );
    // A tenant's deletion takes its rules along.
    s.delete_tenant(&actor(), b.id).await.unwrap();
    assert!(
        s.enabled_rules()
            .await
            .unwrap()
            .iter()
            .all(|x| x.tenant_id != b.id)
    );
}

fn dashboard_doc(name: &str, device: DeviceId) -> ironloom_core::dashboard::DashboardDoc {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "description": "产线 <script>'; DROP TABLE dashboards; --",
        "widgets": [{"id": "t", "kind": "value", "devices": [device], "properties": ["temp"],
                     "x": 0, "y": 0, "w": 6, "h": 4}],
    }))
    .unwrap()
}

async fn dashboards_are_versioned_shared_and_scoped(s: &SqlStore) {
    use ironloom_core::dashboard::DashboardUpdate;
    use ironloom_core::repo::DashboardRepo;
    let a = tenant(s, "dash-a").await;
    let b = tenant(s, "dash-b").await;
    let dev = DeviceId::new();
    let d = s
        .create_dashboard(&actor(), a.id, dashboard_doc("Line 1", dev))
        .await
        .unwrap();
    assert_eq!((d.version, d.share_token.as_deref()), (1, None));
    assert_eq!(s.get_dashboard(a.id, d.id).await.unwrap(), d);
    // Names are unique per tenant only.
    assert!(matches!(
        s.create_dashboard(&actor(), a.id, dashboard_doc("Line 1", dev))
            .await,
        Err(Error::AlreadyExists { field: "name", .. })
    ));
    let other = s
        .create_dashboard(&actor(), b.id, dashboard_doc("Line 1", dev))
        .await
        .unwrap();
    s.create_dashboard(&actor(), a.id, dashboard_doc("Boilers", dev))
        .await
        .unwrap();
    // Lists: the tenant's own, searched, sorted by name by default.
    let page = s.list_dashboards(a.id, None, &first_page()).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(
        page.items
            .iter()
            .map(|d| d.document.name.as_str())
            .collect::<Vec<_>>(),
        ["Boilers", "Line 1"]
    );
    let page = s
        .list_dashboards(a.id, Some("line"), &first_page())
        .await
        .unwrap();
    assert_eq!((page.total, page.items[0].id), (1, d.id));
    // The hostile description is kept verbatim.
    assert_eq!(
        page.items[0].document.description.as_deref(),
        Some("产线 <script>'; DROP TABLE dashboards; --")
    );
    // Versioned changes; a stale version is refused.
    let mut doc = dashboard_doc("Line 1 (east)", dev);
    doc.widgets[0].w = 12;
    let d2 = s
        .update_dashboard(
            &actor(),
            a.id,
            d.id,
            DashboardUpdate {
                document: doc.clone(),
                expected_version: Some(1),
            },
        )
        .await
        .unwrap();
    assert_eq!((d2.version, d2.document.widgets[0].w), (2, 12));
    assert!(matches!(
        s.update_dashboard(
            &actor(),
            a.id,
            d.id,
            DashboardUpdate {
                document: doc.clone(),
                expected_version: Some(1),
            },
        )
        .await,
        Err(Error::VersionConflict { actual: 2, .. })
    ));
    // Renaming onto another dashboard's name is a conflict.
    assert!(matches!(
        s.update_dashboard(
            &actor(),
            a.id,
            d.id,
            DashboardUpdate {
                document: dashboard_doc("Boilers", dev),
                expected_version: None,
            },
        )
        .await,
        Err(Error::AlreadyExists { field: "name", .. })
    ));
    // Sharing: found by token from anywhere; a new token retires the old; unsharing ends it.
    let shared = s
        .set_dashboard_share(&actor(), a.id, d.id, Some("tok-one".into()))
        .await
        .unwrap();
    assert_eq!(shared.share_token.as_deref(), Some("tok-one"));
    assert_eq!(
        s.find_shared_dashboard("tok-one")
            .await
            .unwrap()
            .map(|x| x.id),
        Some(d.id)
    );
    s.set_dashboard_share(&actor(), a.id, d.id, Some("tok-two".into()))
        .await
        .unwrap();
    assert!(s.find_shared_dashboard("tok-one").await.unwrap().is_none());
    assert!(s.find_shared_dashboard("").await.unwrap().is_none());
    // A token is unique platform-wide.
    assert!(matches!(
        s.set_dashboard_share(&actor(), b.id, other.id, Some("tok-two".into()))
            .await,
        Err(Error::AlreadyExists {
            field: "share_token",
            ..
        })
    ));
    // Tenant B can neither see nor change nor share nor delete A's dashboard.
    assert!(matches!(
        s.get_dashboard(b.id, d.id).await,
        Err(Error::NotFound(Resource::Dashboard))
    ));
    assert!(matches!(
        s.update_dashboard(
            &actor(),
            b.id,
            d.id,
            DashboardUpdate {
                document: doc.clone(),
                expected_version: None,
            },
        )
        .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.set_dashboard_share(&actor(), b.id, d.id, None).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.delete_dashboard(&actor(), b.id, d.id).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(
        s.list_dashboards(b.id, None, &first_page())
            .await
            .unwrap()
            .total,
        1
    );
    s.set_dashboard_share(&actor(), a.id, d.id, None)
        .await
        .unwrap();
    assert!(s.find_shared_dashboard("tok-two").await.unwrap().is_none());
    // Deleted; every change audited, without the token.
    s.delete_dashboard(&actor(), a.id, d.id).await.unwrap();
    assert!(matches!(
        s.get_dashboard(a.id, d.id).await,
        Err(Error::NotFound(_))
    ));
    let audit = s
        .list_audit(
            Scope::Tenant(a.id),
            &AuditFilter {
                resource: Some(Resource::Dashboard),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    let mut actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "create", "create", "delete", "reshare", "share", "unshare", "update"
        ]
    );
    assert!(
        !serde_json::to_string(&audit.items)
            .unwrap()
            .contains("tok-"),
        "the audit log must not hold share tokens"
    );
    // A shared dashboard goes with its tenant.
    s.set_dashboard_share(&actor(), b.id, other.id, Some("tok-b".into()))
        .await
        .unwrap();
    s.delete_tenant(&actor(), b.id).await.unwrap();
    assert!(s.find_shared_dashboard("tok-b").await.unwrap().is_none());
}

/// A partition's new owner re-runs events its predecessor's rules handled: a raise or
/// clear from a log position at or before the last recorded for the device and type
/// changes nothing, whichever node sends it, even at the same time.
async fn alarm_writes_from_a_log_position_happen_once(s: &SqlStore) {
    use ironloom_core::alarm::{AlarmFilter, NewAlarm};
    use ironloom_core::device::LogPos;
    use ironloom_core::repo::AlarmRepo;
    use ironloom_core::rule::Severity;
    let a = tenant(s, "alarm-src-a").await;
    let b = tenant(s, "alarm-src-b").await;
    let p = product(s, a.id, "P").await;
    let d = s
        .create_device(&actor(), a.id, new_device(p.id, "press"))
        .await
        .unwrap();
    let at = |seq: u64| LogPos {
        log: u64::MAX - 7, // above i64::MAX: stored by its bits
        partition: 3,
        seq,
    };
    let raise = |pos: LogPos| NewAlarm {
        device_id: d.id,
        alarm_type: "overload".into(),
        severity: Severity::Major,
        details: serde_json::json!({}),
        rule_id: None,
        at: chrono::Utc::now(),
        source: Some(pos),
    };
    let history = || async {
        s.list_alarms(
            a.id,
            &AlarmFilter {
                alarm_type: Some("overload".into()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap()
        .items
    };
    // Raised at 100, cleared at 110, raised again at 120 (the first owner).
    let (first, new) = s.raise_alarm(a.id, raise(at(100))).await.unwrap().unwrap();
    assert!(new);
    let now = chrono::Utc::now();
    assert!(
        s.clear_alarm_by_type(a.id, d.id, "overload", now, Some(at(110)))
            .await
            .unwrap()
            .is_some()
    );
    let (second, new) = s.raise_alarm(a.id, raise(at(120))).await.unwrap().unwrap();
    assert!(new && second.id != first.id);
    // A new owner re-runs 100..=120: nothing is raised, cleared or counted again.
    assert!(s.raise_alarm(a.id, raise(at(100))).await.unwrap().is_none());
    assert!(
        s.clear_alarm_by_type(a.id, d.id, "overload", now, Some(at(110)))
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.raise_alarm(a.id, raise(at(120))).await.unwrap().is_none());
    let alarms = history().await;
    assert_eq!(alarms.len(), 2);
    let active: Vec<_> = alarms.iter().filter(|x| x.active).collect();
    assert_eq!(
        (active.len(), active[0].id, active[0].count),
        (1, second.id, 1)
    );
    // What follows is applied; so is a position of another log (a new cluster).
    let (again, new) = s.raise_alarm(a.id, raise(at(121))).await.unwrap().unwrap();
    assert!(!new && again.count == 2);
    let mut other_log = at(5);
    other_log.log = 1;
    assert!(
        s.clear_alarm_by_type(a.id, d.id, "overload", now, Some(other_log))
            .await
            .unwrap()
            .is_some()
    );
    // Two nodes sending one event at once: one write, one repeat.
    let (x, y) = tokio::join!(
        s.raise_alarm(a.id, raise(at(200))),
        s.raise_alarm(a.id, raise(at(200)))
    );
    let written = [x.unwrap(), y.unwrap()];
    assert_eq!(written.iter().filter(|w| w.is_some()).count(), 1);
    assert_eq!(history().await.iter().filter(|x| x.active).count(), 1);
    // Another tenant cannot probe or touch the device's record.
    assert!(matches!(
        s.raise_alarm(b.id, raise(at(300))).await,
        Err(Error::NotFound(Resource::Device))
    ));
    assert!(matches!(
        s.clear_alarm_by_type(b.id, d.id, "overload", now, Some(at(300)))
            .await,
        Err(Error::NotFound(Resource::Device))
    ));
    assert!(s.raise_alarm(a.id, raise(at(300))).await.unwrap().is_some());
}

async fn alarms_are_raised_once_acknowledged_and_cleared(s: &SqlStore) {
    use ironloom_core::alarm::{AlarmFilter, NewAlarm};
    use ironloom_core::repo::AlarmRepo;
    use ironloom_core::rule::Severity;
    let a = tenant(s, "alarms-a").await;
    let b = tenant(s, "alarms-b").await;
    let p = product(s, a.id, "P").await;
    let d = s
        .create_device(&actor(), a.id, new_device(p.id, "boiler"))
        .await
        .unwrap();
    let raise = |sev: Severity, t: i64| NewAlarm {
        device_id: d.id,
        alarm_type: "overheat".into(),
        severity: sev,
        details: serde_json::json!({"temp": t}),
        rule_id: None,
        at: chrono::Utc::now(),
        source: None,
    };
    let (first, new) = s
        .raise_alarm(a.id, raise(Severity::Minor, 85))
        .await
        .unwrap()
        .unwrap();
    assert!(new && first.active && !first.acknowledged && first.count == 1);
    // Repeats update the one active alarm.
    let (again, new) = s
        .raise_alarm(a.id, raise(Severity::Critical, 99))
        .await
        .unwrap()
        .unwrap();
    assert!(!new);
    assert_eq!(
        (again.id, again.count, again.severity),
        (first.id, 2, Severity::Critical)
    );
    assert_eq!(again.details["temp"], 99);
    // Another type is another alarm.
    let mut other = raise(Severity::Warning, 0);
    other.alarm_type = "low_water".into();
    let (low, _) = s.raise_alarm(a.id, other).await.unwrap().unwrap();
    let c = s.alarm_counts(a.id).await.unwrap();
    assert_eq!((c.critical, c.warning, c.unacknowledged), (1, 1, 2));
    // Acknowledged with a comment (twice is fine), then cleared by the rule.
    let acked = s
        .ack_alarm(&actor(), a.id, first.id, Some("on it".into()))
        .await
        .unwrap();
    assert!(acked.acknowledged && acked.active);
    assert_eq!(acked.ack_comment.as_deref(), Some("on it"));
    assert_eq!(
        s.ack_alarm(&actor(), a.id, first.id, None)
            .await
            .unwrap()
            .ack_comment
            .as_deref(),
        Some("on it")
    );
    let cleared = s
        .clear_alarm_by_type(a.id, d.id, "overheat", chrono::Utc::now(), None)
        .await
        .unwrap()
        .unwrap();
    assert!(!cleared.active && cleared.end_ts.is_some());
    assert_eq!(cleared.clear_by.as_deref(), Some("rule"));
    assert!(
        s.clear_alarm_by_type(a.id, d.id, "overheat", chrono::Utc::now(), None)
            .await
            .unwrap()
            .is_none()
    );
    // Raised again after clearing: a new alarm; the old one stays in the history.
    let (next, new) = s
        .raise_alarm(a.id, raise(Severity::Major, 90))
        .await
        .unwrap()
        .unwrap();
    assert!(new && next.id != first.id);
    let history = s
        .list_alarms(
            a.id,
            &AlarmFilter {
                alarm_type: Some("overheat".into()),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(history.total, 2);
    let active = s
        .list_alarms(
            a.id,
            &AlarmFilter {
                active: Some(true),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(active.total, 2); // overheat (new) and low_water
    // Cleared by a user, with a comment; audited.
    let c = s
        .clear_alarm(&actor(), a.id, low.id, Some("refilled".into()))
        .await
        .unwrap();
    assert_eq!(
        (c.active, c.clear_comment.as_deref()),
        (false, Some("refilled"))
    );
    let huge = "x".repeat(5000);
    assert!(matches!(
        s.ack_alarm(&actor(), a.id, next.id, Some(huge)).await,
        Err(Error::Invalid(_))
    ));
    // Tenant B sees and changes nothing; cannot raise on A's device.
    assert!(matches!(
        s.get_alarm(b.id, first.id).await,
        Err(Error::NotFound(Resource::Alarm))
    ));
    assert!(matches!(
        s.ack_alarm(&actor(), b.id, next.id, None).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.clear_alarm(&actor(), b.id, next.id, None).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.raise_alarm(b.id, raise(Severity::Major, 1)).await,
        Err(Error::NotFound(Resource::Device))
    ));
    assert_eq!(
        s.list_alarms(b.id, &AlarmFilter::default(), &first_page())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(s.alarm_counts(b.id).await.unwrap(), Default::default());
}

/// The audit records of one object, newest first.
async fn audit_of(s: &SqlStore, tenant: TenantId, id: impl ToString) -> Vec<AuditEntry> {
    let page = PageRequest::<AuditSort> {
        page: 1,
        page_size: 100,
        sort: Sort::parse("-at").unwrap(),
    };
    let filter = AuditFilter {
        resource_id: Some(id.to_string()),
        ..Default::default()
    };
    s.list_audit(Scope::Tenant(tenant), &filter, &page)
        .await
        .unwrap()
        .items
}

/// One object of each versioned kind in a tenant of its own, and a group for the device.
#[derive(Debug, Clone)]
struct Versioned {
    tenant: Tenant,
    group: DeviceGroup,
    product: Product,
    device: Device,
    rule: ironloom_core::rule::Rule,
    dashboard: ironloom_core::dashboard::Dashboard,
}

const VERSIONED: [Resource; 4] = [
    Resource::Product,
    Resource::Device,
    Resource::Rule,
    Resource::Dashboard,
];

impl Versioned {
    async fn create(s: &SqlStore, code: &str) -> Versioned {
        use ironloom_core::repo::{DashboardRepo, RuleRepo};
        let tenant = tenant(s, code).await;
        let t = tenant.id;
        let group = group(s, t, "G").await;
        let product = product(s, t, "P").await;
        let device = s
            .create_device(&actor(), t, new_device(product.id, "d"))
            .await
            .unwrap();
        let rule = s
            .create_rule(&actor(), t, rule_doc("R", true, 80))
            .await
            .unwrap();
        let dashboard = s
            .create_dashboard(&actor(), t, dashboard_doc("D", device.id))
            .await
            .unwrap();
        Versioned {
            tenant,
            group,
            product,
            device,
            rule,
            dashboard,
        }
    }

    fn id(&self, what: Resource) -> String {
        match what {
            Resource::Product => self.product.id.to_string(),
            Resource::Device => self.device.id.to_string(),
            Resource::Rule => self.rule.id.to_string(),
            Resource::Dashboard => self.dashboard.id.to_string(),
            other => panic!("{other:?} is not versioned"),
        }
    }

    /// Changes the object of kind `what` (`n` tells callers' changes apart) if it is still
    /// at version `expected`; its new version.
    async fn change(
        &self,
        s: &SqlStore,
        what: Resource,
        n: usize,
        expected: Option<i64>,
    ) -> Result<i64, Error> {
        use ironloom_core::dashboard::DashboardUpdate;
        use ironloom_core::repo::{DashboardRepo, RuleRepo};
        use ironloom_core::rule::RuleUpdate;
        let (actor, t) = (actor(), self.tenant.id);
        match what {
            Resource::Product => {
                let patch = ProductPatch {
                    name: Some(format!("P-{n}")),
                    description: Some(Some("changed".into())),
                    expected_version: expected,
                    ..Default::default()
                };
                let p = s.update_product(&actor, t, self.product.id, patch).await?;
                Ok(p.version)
            }
            Resource::Device => {
                // Tags and groups live in tables of their own.
                let patch = DevicePatch {
                    name: Some(format!("d-{n}")),
                    tags: Some(vec![format!("t-{n}")]),
                    groups: Some(vec![self.group.id]),
                    expected_version: expected,
                    ..Default::default()
                };
                let d = s.update_device(&actor, t, self.device.id, patch).await?;
                Ok(d.version)
            }
            Resource::Rule => {
                let update = RuleUpdate {
                    document: rule_doc(&format!("R-{n}"), false, 90),
                    expected_version: expected,
                };
                let r = s.update_rule(&actor, t, self.rule.id, update).await?;
                Ok(r.version)
            }
            Resource::Dashboard => {
                let update = DashboardUpdate {
                    document: dashboard_doc(&format!("D-{n}"), self.device.id),
                    expected_version: expected,
                };
                let d = s
                    .update_dashboard(&actor, t, self.dashboard.id, update)
                    .await?;
                Ok(d.version)
            }
            other => panic!("{other:?} is not versioned"),
        }
    }

    /// Each object as stored now.
    async fn reread(&self, s: &SqlStore) -> Versioned {
        use ironloom_core::repo::{DashboardRepo, RuleRepo};
        let t = self.tenant.id;
        Versioned {
            tenant: s.get_tenant(t).await.unwrap(),
            group: s.get_group(t, self.group.id).await.unwrap(),
            product: s.get_product(t, self.product.id).await.unwrap(),
            device: s.get_device(t, self.device.id).await.unwrap(),
            rule: s.get_rule(t, self.rule.id).await.unwrap(),
            dashboard: s.get_dashboard(t, self.dashboard.id).await.unwrap(),
        }
    }
}

async fn a_stale_version_changes_nothing(s: &SqlStore) {
    use ironloom_core::repo::RuleRepo;
    let o = Versioned::create(s, "stale").await;
    let mut audit_before = Vec::new();
    for what in VERSIONED {
        audit_before.push(audit_of(s, o.tenant.id, o.id(what)).await);
    }
    for what in VERSIONED {
        // One version behind, and one ahead.
        for expected in [0, 2] {
            let e = o.change(s, what, 1, Some(expected)).await.unwrap_err();
            assert!(
                matches!(e, Error::VersionConflict { resource, actual: 1 } if resource == what),
                "{what:?}: {e:?}"
            );
        }
    }
    let now = o.reread(s).await;
    assert_eq!(
        (&now.product, &now.device, &now.rule, &now.dashboard),
        (&o.product, &o.device, &o.rule, &o.dashboard)
    );
    assert_eq!(now.group.device_count, 0);
    assert_eq!(
        s.rule_versions(o.tenant.id, o.rule.id).await.unwrap().len(),
        1
    );
    for (what, before) in VERSIONED.into_iter().zip(&audit_before) {
        assert_eq!(&audit_of(s, o.tenant.id, o.id(what)).await, before);
        assert_eq!(before.len(), 1, "{what:?}: {before:?}");
    }
    // The right version goes through.
    for what in VERSIONED {
        assert_eq!(o.change(s, what, 1, Some(1)).await.unwrap(), 2, "{what:?}");
    }
}

async fn concurrent_changes_of_one_version_let_one_through(s: &SqlStore) {
    use ironloom_core::repo::RuleRepo;
    const WRITERS: usize = 6;
    let o = Versioned::create(s, "race").await;
    for what in VERSIONED {
        let results = at_once(WRITERS, |n| {
            let (s, o) = (s.clone(), o.clone());
            async move { o.change(&s, what, n, Some(1)).await }
        })
        .await;
        // One goes through; the others, which read the object before it committed, are
        // refused as stale (not failed some other way).
        let won = results.iter().filter(|r| matches!(r, Ok(2))).count();
        let stale = results
            .iter()
            .filter(|r| matches!(r, Err(Error::VersionConflict { actual: 2, .. })))
            .count();
        assert_eq!((won, stale), (1, WRITERS - 1), "{what:?}: {results:?}");
        let audit = audit_of(s, o.tenant.id, o.id(what)).await;
        assert_eq!(audit.len(), 2, "{what:?}: {audit:?}");
    }
    assert_eq!(
        s.rule_versions(o.tenant.id, o.rule.id).await.unwrap().len(),
        2
    );
}

/// Runs `n` changes at once, each on a task of its own, and collects their results.
async fn at_once<T, Fut>(n: usize, change: impl Fn(usize) -> Fut) -> Vec<Result<T, Error>>
where
    T: Send + 'static,
    Fut: std::future::Future<Output = Result<T, Error>> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        tasks.spawn(change(i));
    }
    tasks.join_all().await
}

async fn updates_audit_each_changed_field(s: &SqlStore) {
    use ironloom_core::dashboard::DashboardUpdate;
    use ironloom_core::repo::{DashboardRepo, RuleRepo};
    use ironloom_core::rule::RuleUpdate;
    let a = tenant(s, "fields").await;
    let last_details = |id: String| async move {
        let entries = audit_of(s, a.id, &id).await;
        assert!(entries[0].action.starts_with("update"), "{entries:?}");
        entries[0].details.clone()
    };

    let t = s
        .update_tenant(
            &actor(),
            a.id,
            TenantPatch {
                max_devices: Some(Some(5)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((t.version, t.max_devices), (a.version + 1, Some(5)));
    assert!(t.updated_at >= a.updated_at);
    assert_eq!(
        last_details(a.id.to_string()).await,
        json!({"max_devices": {"from": null, "to": 5}})
    );

    let u = s
        .create_user(&actor(), new_user(Some(a.id), "u", Role::Viewer))
        .await
        .unwrap();
    let u2 = s
        .update_user(
            &actor(),
            Scope::Tenant(a.id),
            u.id,
            UserPatch {
                role: Some(Role::TenantAdmin),
                password_hash: Some("new-hash".into()),
                unlock: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((u2.version, u2.role), (2, Role::TenantAdmin));
    let d = last_details(u.id.to_string()).await;
    assert_eq!(
        d,
        json!({
            "role": {"from": Role::Viewer, "to": Role::TenantAdmin},
            "password": "changed",
            "unlocked": true,
        })
    );
    assert!(!d.to_string().contains("new-hash"));

    let g = group(s, a.id, "G").await;
    s.update_group(
        &actor(),
        a.id,
        g.id,
        DeviceGroupPatch {
            description: Some(Some("east".into())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        last_details(g.id.to_string()).await,
        json!({"description": {"from": null, "to": "east"}})
    );

    let p = product(s, a.id, "P").await;
    let p2 = s
        .update_product(
            &actor(),
            a.id,
            p.id,
            ProductPatch {
                name: Some("P2".into()),
                thing_model: Some(ThingModel::default()),
                expected_version: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(p2.version, 2);
    assert_eq!(
        last_details(p.id.to_string()).await,
        json!({
            "name": {"from": "P", "to": "P2"},
            "thing_model": {
                "properties": {"from": 2, "to": 0},
                "events": {"from": 1, "to": 0},
                "services": {"from": 1, "to": 0},
            },
            "version": 2,
        })
    );

    let dev = s
        .create_device(&actor(), a.id, new_device(p.id, "d"))
        .await
        .unwrap();
    let dev2 = s
        .update_device(
            &actor(),
            a.id,
            dev.id,
            DevicePatch {
                tags: Some(vec!["b".into(), "a".into()]),
                groups: Some(vec![g.id, g.id]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((dev2.version, dev2.groups.clone()), (2, vec![g.id]));
    assert_eq!(
        last_details(dev.id.to_string()).await,
        json!({
            "tags": {"from": [], "to": ["b", "a"]},
            "groups": {"from": [], "to": [g.id]},
        })
    );
    let mut set = JsonMap::new();
    set.insert("floor".into(), json!(3));
    let dev3 = s
        .update_device_attributes(
            &actor(),
            a.id,
            dev.id,
            AttributesPatch {
                set,
                remove: vec!["absent".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(dev3.version, 3);
    assert_eq!(
        last_details(dev.id.to_string()).await,
        json!({"floor": {"from": null, "to": 3}})
    );

    let r = s
        .create_rule(&actor(), a.id, rule_doc("R", true, 80))
        .await
        .unwrap();
    s.update_rule(
        &actor(),
        a.id,
        r.id,
        RuleUpdate {
            document: rule_doc("R", false, 90),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    // The name did not change: only what did is recorded.
    assert_eq!(
        last_details(r.id.to_string()).await,
        json!({"enabled": {"from": true, "to": false}, "version": 2})
    );

    let dash = s
        .create_dashboard(&actor(), a.id, dashboard_doc("D", dev.id))
        .await
        .unwrap();
    let mut doc = dashboard_doc("D2", dev.id);
    doc.widgets.clear();
    s.update_dashboard(
        &actor(),
        a.id,
        dash.id,
        DashboardUpdate {
            document: doc,
            expected_version: Some(1),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        last_details(dash.id.to_string()).await,
        json!({
            "from": {"name": "D", "widgets": 1},
            "to": {"name": "D2", "widgets": 0},
            "version": 2,
        })
    );
}

async fn model_usage_adds_up_per_month_and_stays_in_its_tenant(s: &SqlStore) {
    use ironloom_core::model::{CallSource, UsageRow};
    use ironloom_core::repo::UsageRepo;
    let a = tenant(s, "usage-a").await.id;
    let b = tenant(s, "usage-b").await.id;
    let row = |month: &str, model: &str, source, calls, errors, cpu_us| UsageRow {
        month: month.into(),
        model: model.into(),
        source,
        calls,
        errors,
        cpu_us,
    };
    s.add_model_usage(
        a,
        &[
            row("2026-11", "hx.lmtd", CallSource::Api, 3, 1, 40),
            row("2026-12", "hx.lmtd", CallSource::Api, 5, 0, 70),
            row("2026-12", "hx.lmtd", CallSource::Batch, 1000, 2, 9000),
        ],
    )
    .await
    .unwrap();
    // Adding again adds up; nothing at all is fine.
    s.add_model_usage(a, &[row("2026-12", "hx.lmtd", CallSource::Api, 2, 1, 30)])
        .await
        .unwrap();
    s.add_model_usage(a, &[]).await.unwrap();
    s.add_model_usage(
        b,
        &[row(
            "2026-12",
            "steam.if97_psat_t",
            CallSource::Rule,
            7,
            0,
            7,
        )],
    )
    .await
    .unwrap();
    let dec = s.model_usage(a, "2026-12", "2026-12").await.unwrap();
    assert_eq!(
        dec,
        vec![
            row("2026-12", "hx.lmtd", CallSource::Api, 7, 1, 100),
            row("2026-12", "hx.lmtd", CallSource::Batch, 1000, 2, 9000),
        ]
    );
    let both = s.model_usage(a, "2026-01", "2026-12").await.unwrap();
    assert_eq!(both.len(), 3);
    assert_eq!(both[0].month, "2026-11");
    // Tenant b sees only its own.
    let theirs = s.model_usage(b, "2026-01", "2026-12").await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].model, "steam.if97_psat_t");
    // A huge count is kept, not wrapped.
    s.add_model_usage(
        b,
        &[row("2026-12", "x.y", CallSource::Job, u64::MAX / 4, 0, 1)],
    )
    .await
    .unwrap();
    let big = s.model_usage(b, "2026-12", "2026-12").await.unwrap();
    assert_eq!(
        big.iter().find(|r| r.model == "x.y").unwrap().calls,
        u64::MAX / 4
    );
}

async fn model_bindings_and_jobs_are_kept_per_tenant(s: &SqlStore) {
    use ironloom_core::model_run::{BindingSpec, Job, JobSpec, JobStatus};
    use ironloom_core::repo::ModelRunRepo;
    let a = tenant(s, "runs-a").await.id;
    let b = tenant(s, "runs-b").await.id;
    let spec = |name: &str, product: &str, enabled: bool| -> BindingSpec {
        serde_json::from_value(json!({"name": name, "product_key": product,
            "model": "pump.hydraulic_power", "inputs": {"Q": {"property": "flow"}, "H": 30},
            "outputs": {"P": "power"}, "enabled": enabled}))
        .unwrap()
    };
    let one = s
        .create_binding(&actor(), a, spec("one", "pk1", true))
        .await
        .unwrap();
    s.create_binding(&actor(), a, spec("two", "pk2", false))
        .await
        .unwrap();
    s.create_binding(&actor(), b, spec("one", "pk1", true))
        .await
        .unwrap();
    // Names are unique per tenant.
    let dup = s
        .create_binding(&actor(), a, spec("one", "pk3", true))
        .await;
    assert!(matches!(dup, Err(Error::AlreadyExists { .. })), "{dup:?}");
    assert_eq!(s.get_binding(a, one.id).await.unwrap(), one);
    assert!(matches!(
        s.get_binding(b, one.id).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(s.list_bindings(a, None).await.unwrap().len(), 2);
    assert_eq!(
        s.list_bindings(a, Some("pk2")).await.unwrap()[0].spec.name,
        "two"
    );
    let changed = s
        .update_binding(&actor(), a, one.id, spec("one", "pk1", false))
        .await
        .unwrap();
    assert!(!changed.spec.enabled);
    assert!(matches!(
        s.update_binding(&actor(), b, one.id, spec("x", "pk1", true))
            .await,
        Err(Error::NotFound(_))
    ));
    let enabled = s.enabled_bindings().await.unwrap();
    assert!(enabled.iter().all(|x| x.spec.enabled));
    assert!(enabled.iter().any(|x| x.tenant_id == b));
    assert!(!enabled.iter().any(|x| x.tenant_id == a));
    assert!(matches!(
        s.delete_binding(&actor(), b, one.id).await,
        Err(Error::NotFound(_))
    ));
    s.delete_binding(&actor(), a, one.id).await.unwrap();
    assert_eq!(s.list_bindings(a, None).await.unwrap().len(), 1);
    assert!(!audit_of(s, a, one.id).await.is_empty());

    let job_spec: JobSpec = serde_json::from_value(json!({"model": "stats.describe",
        "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z",
        "inputs": {"x": {"device": DeviceId::new(), "property": "t"}}}))
    .unwrap();
    let mut job = Job {
        id: ironloom_core::ids::JobId::new(),
        tenant_id: a,
        spec: job_spec,
        status: JobStatus::Queued,
        progress: 0.0,
        points_read: 0,
        rows: 0,
        written: 0,
        error: None,
        result: None,
        created_by: "admin".into(),
        created_at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3),
        started_at: None,
        finished_at: None,
    };
    s.create_job(&actor(), &job).await.unwrap();
    assert_eq!(s.get_job(a, job.id).await.unwrap(), job);
    assert!(matches!(
        s.get_job(b, job.id).await,
        Err(Error::NotFound(_))
    ));
    job.status = JobStatus::Running;
    job.progress = 0.25;
    job.points_read = 1 << 40;
    job.started_at = Some(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3));
    job.result = Some(json!({"mean": {"value": 1.5, "unit": ""}}));
    s.save_job(&job).await.unwrap();
    assert_eq!(s.get_job(a, job.id).await.unwrap(), job);
    // A stopped platform leaves no job running.
    assert!(s.interrupt_jobs().await.unwrap() >= 1);
    let got = s.get_job(a, job.id).await.unwrap();
    assert_eq!(got.status, JobStatus::Interrupted);
    assert!(got.finished_at.is_some());
    let page = s.list_jobs(a, &first_page()).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(s.list_jobs(b, &first_page()).await.unwrap().total, 0);
}
