//! The marketplace in the metadata store: developers, the first submitter owning an app
//! id, one waiting submission per version, releases made in one transaction with the
//! submission's approval, and one active signing key at a time.

use super::{actor, first_page, new_user};
use ironloom_core::auth::Role;
use ironloom_core::entity::Resource;
use ironloom_core::error::Error;
use ironloom_core::ids::{DeveloperId, SubmissionId};
use ironloom_core::market::*;
use ironloom_core::repo::{MarketRepo, UserRepo};
use ironloom_meta::SqlStore;
use serde_json::json;

async fn developer(s: &SqlStore, name: &str) -> Developer {
    let user = s
        .create_user(&actor(), new_user(None, name, Role::Developer))
        .await
        .unwrap();
    s.create_developer(
        &actor(),
        NewDeveloper {
            user_id: user.id,
            name: format!("{name} Ltd"),
            email: format!("{name}@example.com"),
            organisation: None,
            website: None,
            first_party: false,
            status: DeveloperStatus::Pending,
        },
    )
    .await
    .unwrap()
}

fn submission(d: &Developer, app: &str, version: &str) -> Submission {
    let at = chrono::Utc::now();
    Submission {
        id: SubmissionId::new(),
        developer_id: d.id,
        developer: d.name.clone(),
        app_id: app.into(),
        version: version.into(),
        channel: Channel::Stable,
        digest: format!("{app}-{version}"),
        size: 3,
        manifest: Some(
            serde_json::from_value(json!({
                "format": 1, "id": app, "version": version,
                "name": {"en": "X", "zh-CN": "X"}, "description": {"en": "", "zh-CN": ""},
                "publisher": d.name, "modules": [{"name": "main", "path": "modules/main.wasm"}]
            }))
            .unwrap(),
        ),
        changelog: Some("first".into()),
        status: SubmissionStatus::Checking,
        report: None,
        review_comment: None,
        reviewed_by: None,
        created_at: at,
        updated_at: at,
    }
}

fn release(s: &Submission, key: &str) -> Release {
    Release {
        app_id: s.app_id.clone(),
        version: s.version.clone(),
        channel: s.channel,
        developer_id: s.developer_id,
        developer: s.developer.clone(),
        submission_id: s.id,
        digest: s.digest.clone(),
        key_id: key.into(),
        size: 4,
        manifest: s.manifest.clone().unwrap(),
        changelog: s.changelog.clone(),
        released_at: chrono::Utc::now(),
    }
}

fn report(passed: bool) -> CheckReport {
    let outcome = if passed {
        CheckOutcome::Passed
    } else {
        CheckOutcome::Failed
    };
    CheckReport::new(
        vec![CheckResult {
            id: "fixtures".into(),
            title: LocalText::new("Fixtures", "夹具"),
            outcome,
            details: vec!["fixtures/a.json: passed".into()],
            took_ms: 5,
        }],
        5,
        chrono::Utc::now(),
    )
}

fn key(id: &str) -> SealedSigningKey {
    SealedSigningKey {
        key: SigningKey {
            key_id: id.into(),
            algorithm: "ed25519".into(),
            public_key: format!("pk-{id}"),
            state: KeyState::Active,
            created_at: chrono::Utc::now(),
            retired_at: None,
        },
        sealed_private: vec![1, 2, 3],
    }
}

/// A monthly plan (¥99) of an app, with a trial.
fn monthly_plan(app: &str, trial_days: i64) -> ironloom_core::trade::Plan {
    use ironloom_core::trade::*;
    Plan {
        id: ironloom_core::ids::PlanId::new(),
        app_id: app.into(),
        name: LocalText::new("Monthly", "包月"),
        kind: PlanKind::Monthly,
        price: 9900,
        included_calls: 0,
        price_per_1000_calls: 0,
        trial_days,
        active: true,
        created_at: chrono::Utc::now(),
    }
}

/// A pending order of ¥99 (fee ¥19.80) for a month of a plan, or (`usage`) for a month's
/// calls.
fn pending_order(
    tenant: ironloom_core::ids::TenantId,
    plan: &ironloom_core::trade::Plan,
    developer: DeveloperId,
    usage: Option<&str>,
) -> ironloom_core::trade::Order {
    use ironloom_core::trade::*;
    Order {
        id: ironloom_core::ids::OrderId::new(),
        tenant_id: tenant,
        app_id: plan.app_id.clone(),
        plan_id: plan.id,
        developer_id: developer,
        kind: if usage.is_some() {
            "usage"
        } else {
            "subscription"
        }
        .into(),
        usage_month: usage.map(str::to_string),
        description: "OEE".into(),
        quantity: 1,
        amount: 9900,
        currency: "CNY".into(),
        fee: 1980,
        status: OrderStatus::Pending,
        provider: "offline".into(),
        reference: "R1".into(),
        invoice_no: None,
        created_at: chrono::Utc::now(),
        paid_at: None,
        closed_at: None,
        note: None,
    }
}

pub async fn the_marketplace_keeps_developers_submissions_releases_and_keys(s: &SqlStore) {
    let a = developer(s, "alpha").await;
    let b = developer(s, "beta").await;
    assert_eq!(
        s.developer_of_user(a.user_id).await.unwrap().unwrap().id,
        a.id
    );
    // Names are unique.
    let dup = s
        .create_developer(
            &actor(),
            NewDeveloper {
                user_id: s
                    .create_user(&actor(), new_user(None, "gamma", Role::Developer))
                    .await
                    .unwrap()
                    .id,
                name: a.name.clone(),
                email: "g@example.com".into(),
                organisation: None,
                website: None,
                first_party: false,
                status: DeveloperStatus::Pending,
            },
        )
        .await;
    assert!(
        matches!(
            dup,
            Err(Error::AlreadyExists {
                resource: Resource::Developer,
                ..
            })
        ),
        "{dup:?}"
    );
    let pending = s
        .list_developers(
            &DeveloperFilter {
                status: Some(DeveloperStatus::Pending),
                q: Some("ALPHA".into()),
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!((pending.total, pending.items[0].id), (1, a.id));
    let v = s
        .review_developer(&actor(), a.id, DeveloperStatus::Verified, Some("ok".into()))
        .await
        .unwrap();
    assert_eq!(v.status, DeveloperStatus::Verified);
    assert_eq!(
        s.get_developer(a.id)
            .await
            .unwrap()
            .review_comment
            .as_deref(),
        Some("ok")
    );
    assert!(matches!(
        s.get_developer(DeveloperId::new()).await,
        Err(Error::NotFound(Resource::Developer))
    ));

    // The first submitter owns the app id; a version waits once.
    let s1 = s
        .create_submission(&actor(), &submission(&a, "acme.oee", "1.0.0"), b"pkg")
        .await
        .unwrap();
    assert_eq!(
        (s1.status, s1.developer.as_str()),
        (SubmissionStatus::Checking, "alpha Ltd")
    );
    assert_eq!(s.submission_bytes(s1.id).await.unwrap(), b"pkg");
    let theirs = s
        .create_submission(&actor(), &submission(&b, "acme.oee", "2.0.0"), b"x")
        .await;
    assert!(matches!(theirs, Err(Error::Invalid(_))), "{theirs:?}");
    let again = s
        .create_submission(&actor(), &submission(&a, "acme.oee", "1.0.0"), b"x")
        .await;
    assert!(
        matches!(
            again,
            Err(Error::AlreadyExists {
                resource: Resource::Submission,
                ..
            })
        ),
        "{again:?}"
    );

    // Checks, then the review.
    let failed = s
        .create_submission(&actor(), &submission(&a, "acme.oee", "1.0.1"), b"x")
        .await
        .unwrap();
    let f = s.finish_checks(failed.id, &report(false)).await.unwrap();
    assert_eq!(f.status, SubmissionStatus::CheckFailed);
    assert_eq!(
        f.report.unwrap().checks[0].details[0],
        "fixtures/a.json: passed"
    );
    let r = s.finish_checks(s1.id, &report(true)).await.unwrap();
    assert_eq!(r.status, SubmissionStatus::InReview);
    // A second report does not move it back.
    let r = s.finish_checks(s1.id, &report(false)).await.unwrap();
    assert_eq!(r.status, SubmissionStatus::InReview);
    let queue = s
        .list_submissions(
            &SubmissionFilter {
                status: Some(SubmissionStatus::InReview),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!((queue.total, queue.items[0].id), (1, s1.id));
    let mine = s
        .list_submissions(
            &SubmissionFilter {
                developer_id: Some(b.id),
                ..Default::default()
            },
            &first_page(),
        )
        .await
        .unwrap();
    assert_eq!(mine.total, 0);
    // Rejecting needs a submission in review.
    assert!(
        s.close_submission(&actor(), failed.id, SubmissionStatus::Rejected, None)
            .await
            .is_err()
    );

    // Keys: one active at a time.
    s.rotate_signing_key(&actor(), &key("k1")).await.unwrap();
    s.rotate_signing_key(&actor(), &key("k2")).await.unwrap();
    let keys = s.list_signing_keys().await.unwrap();
    let state = |id: &str| keys.iter().find(|k| k.key_id == id).unwrap().state;
    assert_eq!(
        (state("k1"), state("k2")),
        (KeyState::Retired, KeyState::Active)
    );
    assert_eq!(
        s.active_signing_key().await.unwrap().unwrap().key.key_id,
        "k2"
    );
    assert_eq!(
        s.active_signing_key()
            .await
            .unwrap()
            .unwrap()
            .sealed_private,
        vec![1, 2, 3]
    );

    // The release and the approval are one change.
    let rel = s
        .release_submission(
            &actor(),
            s1.id,
            &release(&s1, "k2"),
            b"signed",
            Some("fine".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        (rel.key_id.as_str(), rel.developer.as_str()),
        ("k2", "alpha Ltd")
    );
    assert_eq!(
        s.release_bytes("acme.oee", "1.0.0").await.unwrap(),
        b"signed"
    );
    assert_eq!(
        s.get_submission(s1.id).await.unwrap().status,
        SubmissionStatus::Released
    );
    let twice = s
        .release_submission(&actor(), s1.id, &release(&s1, "k2"), b"signed", None)
        .await;
    assert!(twice.is_err());
    let listed = s
        .list_releases(Some("acme.oee"), &first_page())
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(
        s.list_releases(Some("other"), &first_page())
            .await
            .unwrap()
            .total,
        0
    );
    // A released version cannot be submitted again.
    let again = s
        .create_submission(&actor(), &submission(&a, "acme.oee", "1.0.0"), b"x")
        .await;
    assert!(
        matches!(
            again,
            Err(Error::AlreadyExists {
                resource: Resource::Release,
                ..
            })
        ),
        "{again:?}"
    );

    let revoked = s.revoke_signing_key(&actor(), "k1").await.unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    assert!(revoked.retired_at.is_some());
    assert!(matches!(
        s.revoke_signing_key(&actor(), "nope").await,
        Err(Error::NotFound(Resource::SigningKey))
    ));
}

pub async fn reviews_are_one_per_tenant_and_stats_add_up(s: &SqlStore) {
    use ironloom_core::repo::ReviewRepo;
    let t1 = super::tenant(s, "rv1").await;
    let t2 = super::tenant(s, "rv2").await;
    let review = |t: ironloom_core::ids::TenantId, rating: u8| Review {
        app_id: "acme.oee".into(),
        tenant_id: t,
        rating,
        title: Some("ok".into()),
        body: None,
        author: "ta".into(),
        version: "1.0.0".into(),
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let first = s.put_review(&actor(), &review(t1.id, 5)).await.unwrap();
    let again = s.put_review(&actor(), &review(t1.id, 3)).await.unwrap();
    assert_eq!(
        again.created_at, first.created_at,
        "an edit keeps when it was written"
    );
    s.put_review(&actor(), &review(t2.id, 4)).await.unwrap();
    let list = s.list_reviews("acme.oee", &first_page()).await.unwrap();
    assert_eq!(list.total, 2);
    assert_eq!(
        s.review_of(t1.id, "acme.oee")
            .await
            .unwrap()
            .unwrap()
            .rating,
        3
    );
    let stats = s.app_stats().await.unwrap();
    let st = &stats["acme.oee"];
    assert_eq!((st.ratings, st.rating), (2, 3.5));
    assert!(!s.tenant_holds_app(t1.id, "acme.oee").await.unwrap());
    s.delete_review(&actor(), t1.id, "acme.oee").await.unwrap();
    assert!(matches!(
        s.delete_review(&actor(), t1.id, "acme.oee").await,
        Err(Error::NotFound(Resource::Review))
    ));
    assert_eq!(
        s.list_reviews("acme.oee", &first_page())
            .await
            .unwrap()
            .total,
        1
    );
}

pub async fn orders_post_balanced_ledger_transactions(s: &SqlStore) {
    use ironloom_core::repo::TradeRepo;
    use ironloom_core::trade::*;
    let t = super::tenant(s, "buyer").await;
    let d = developer(s, "seller").await;
    let plan = s
        .create_plan(&actor(), &monthly_plan("acme.oee", 7))
        .await
        .unwrap();
    assert_eq!(s.list_plans("acme.oee").await.unwrap().len(), 1);
    let order = |usage: Option<&str>| pending_order(t.id, &plan, d.id, usage);
    let sub = Subscription {
        tenant_id: t.id,
        app_id: "acme.oee".into(),
        plan_id: plan.id,
        status: SubscriptionStatus::Pending,
        period_end: None,
        trial_used: true,
        paused: vec![],
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let o = s
        .create_order(&actor(), &order(None), Some(&sub))
        .await
        .unwrap();
    let (paid, after) = s
        .pay_order(&actor(), o.id, Some(PlanKind::Monthly))
        .await
        .unwrap();
    assert!(paid.invoice_no.unwrap().starts_with("INV-"));
    let after = after.unwrap();
    assert_eq!(after.status, SubscriptionStatus::Active);
    assert!(after.period_end.unwrap() > chrono::Utc::now() + chrono::Duration::days(27));
    assert!(
        s.pay_order(&actor(), o.id, None).await.is_err(),
        "paid twice"
    );
    let sum = |b: &[Balance]| b.iter().map(|x| x.amount).sum::<i64>();
    let b = s.balances().await.unwrap();
    assert_eq!(sum(&b), 0);
    let bank = b.iter().find(|x| x.account == "platform:bank").unwrap();
    assert_eq!((bank.amount, bank.postings), (9900, 1));
    // Due: nothing yet; a usage order per tenant, app and month once.
    assert!(
        s.due_subscriptions(chrono::Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.due_subscriptions(chrono::Utc::now() + chrono::Duration::days(40))
            .await
            .unwrap()
            .len(),
        1
    );
    s.create_order(&actor(), &order(Some("2026-10")), None)
        .await
        .unwrap();
    assert!(
        s.create_order(&actor(), &order(Some("2026-10")), None)
            .await
            .is_err()
    );
    let (refunded, sub) = s
        .close_order(
            &actor(),
            o.id,
            OrderStatus::Refunded,
            Some("mistake".into()),
        )
        .await
        .unwrap();
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(sub.unwrap().status, SubscriptionStatus::Expired);
    let b = s.balances().await.unwrap();
    assert_eq!(sum(&b), 0);
    assert_eq!(
        s.list_orders(
            &OrderFilter {
                tenant: Some(t.id),
                ..Default::default()
            },
            &first_page()
        )
        .await
        .unwrap()
        .total,
        2
    );
    assert_eq!(
        s.list_postings(Some("platform:bank"), &first_page())
            .await
            .unwrap()
            .total,
        2
    );
    assert!(
        s.post_transaction("bad", &[("a".into(), 1), ("b".into(), -2)])
            .await
            .is_err(),
        "an unbalanced transaction is refused"
    );
    s.post_transaction("ok", &[("a".into(), 5), ("b".into(), -5)])
        .await
        .unwrap();
    assert_eq!(sum(&s.balances().await.unwrap()), 0);

    // Two months paid, the first refunded: one month is left and the subscription runs.
    let t2 = super::tenant(s, "buyer2").await;
    let sub2 = Subscription {
        tenant_id: t2.id,
        app_id: "acme.oee".into(),
        plan_id: plan.id,
        status: SubscriptionStatus::Pending,
        period_end: None,
        trial_used: true,
        paused: vec![],
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let first = s
        .create_order(
            &actor(),
            &pending_order(t2.id, &plan, d.id, None),
            Some(&sub2),
        )
        .await
        .unwrap();
    s.pay_order(&actor(), first.id, Some(PlanKind::Monthly))
        .await
        .unwrap();
    let second = s
        .create_order(&actor(), &pending_order(t2.id, &plan, d.id, None), None)
        .await
        .unwrap();
    let (_, two) = s
        .pay_order(&actor(), second.id, Some(PlanKind::Monthly))
        .await
        .unwrap();
    let two_months = two.unwrap().period_end.unwrap();
    let (_, left) = s
        .close_order(&actor(), first.id, OrderStatus::Refunded, Some("x".into()))
        .await
        .unwrap();
    let left = left.unwrap();
    assert_eq!(left.status, SubscriptionStatus::Active);
    assert_eq!(
        left.period_end.unwrap(),
        PlanKind::Monthly.period_start(two_months)
    );
    // Filters: the tenant's paid and refunded orders, of the app.
    let of = |status| OrderFilter {
        tenant: Some(t2.id),
        status: Some(status),
        app_id: Some("acme.oee".into()),
        ..Default::default()
    };
    for (status, n) in [
        (OrderStatus::Paid, 1),
        (OrderStatus::Refunded, 1),
        (OrderStatus::Pending, 0),
    ] {
        assert_eq!(
            s.list_orders(&of(status), &first_page())
                .await
                .unwrap()
                .total,
            n
        );
    }
    let other_app = OrderFilter {
        app_id: Some("other.app".into()),
        ..of(OrderStatus::Paid)
    };
    assert_eq!(
        s.list_orders(&other_app, &first_page())
            .await
            .unwrap()
            .total,
        0
    );
}

pub async fn developer_counts_come_from_the_store(s: &SqlStore) {
    use super::apps::{package, spec};
    use ironloom_core::app_install::AppUsageRow;
    use ironloom_core::developer_stats::DeveloperApiUsage;
    use ironloom_core::ids::OrderId;
    use ironloom_core::repo::{AppRepo, DeveloperStatsRepo, ReviewRepo, TradeRepo};
    use ironloom_core::trade::*;
    let d = developer(s, "counted").await;
    let idle = developer(s, "idle").await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let sub = s
        .create_submission(&actor(), &submission(&d, "oee.shift", "1.0.0"), b"pkg")
        .await
        .unwrap();
    s.finish_checks(sub.id, &report(true)).await.unwrap();
    s.rotate_signing_key(&actor(), &key("k1")).await.unwrap();
    s.release_submission(&actor(), sub.id, &release(&sub, "k1"), b"signed", None)
        .await
        .unwrap();

    // Developers with their apps; submissions since a time.
    let census = s.developer_census(None).await.unwrap();
    assert_eq!(census.len(), 2);
    let mine = census.iter().find(|c| c.id == d.id).unwrap();
    assert_eq!(mine.apps, ["oee.shift"]);
    assert!(!mine.first_party);
    assert!(
        census
            .iter()
            .find(|c| c.id == idle.id)
            .unwrap()
            .apps
            .is_empty()
    );
    let one = s.developer_census(Some(d.id)).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        (one[0].id, one[0].apps.as_slice()),
        (d.id, ["oee.shift".to_string()].as_slice())
    );
    let times = s.submission_times(before).await.unwrap();
    assert_eq!(times.len(), 1);
    assert_eq!(times[0].0, d.id);
    assert!(
        s.submission_times(chrono::Utc::now() + chrono::Duration::hours(1))
            .await
            .unwrap()
            .is_empty()
    );

    // API requests add up per developer and month.
    let api = |calls, key_calls| DeveloperApiUsage {
        developer_id: d.id,
        month: "2026-11".into(),
        calls,
        key_calls,
    };
    s.add_developer_api_usage(&[api(3, 1)]).await.unwrap();
    s.add_developer_api_usage(&[api(4, 4)]).await.unwrap();
    s.add_developer_api_usage(&[]).await.unwrap();
    assert_eq!(
        s.developer_api_usage(Some(d.id), "2026-01", "2026-12")
            .await
            .unwrap(),
        [api(7, 5)]
    );
    assert!(
        s.developer_api_usage(Some(idle.id), "2026-01", "2026-12")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.developer_api_usage(None, "2026-12", "2026-12")
            .await
            .unwrap()
            .is_empty()
    );

    // Use counts only in tenants that took the app from the store; an installation from
    // a tenant's own upload of the same id is not the store's.
    let from_store = super::tenant(s, "store-buyer").await;
    let own = super::tenant(s, "own-upload").await;
    let mut p = package(from_store.id, "1.0.0", "d1");
    p.uploaded_by = "market (ta)".into();
    s.put_app_package(&actor(), &p, b"x").await.unwrap();
    s.put_app_package(&actor(), &package(own.id, "1.0.0", "d1"), b"x")
        .await
        .unwrap();
    s.create_installation(&actor(), from_store.id, spec("line-1", "1.0.0"))
        .await
        .unwrap();
    s.create_installation(&actor(), own.id, spec("line-1", "1.0.0"))
        .await
        .unwrap();
    let row = |invocations, host_calls| AppUsageRow {
        month: "2026-11".into(),
        app_id: "oee.shift".into(),
        invocations,
        errors: 1,
        fuel: 10,
        wall_us: 10,
        host_calls,
    };
    s.add_app_usage(from_store.id, &[row(40, 120)])
        .await
        .unwrap();
    s.add_app_usage(own.id, &[row(1000, 1000)]).await.unwrap();
    let used = s
        .store_app_usage(Some(d.id), "2026-11", "2026-11")
        .await
        .unwrap();
    assert_eq!(used.len(), 1);
    assert_eq!(
        (used[0].invocations, used[0].errors, used[0].host_calls),
        (40, 1, 120)
    );
    assert!(
        s.store_app_usage(Some(idle.id), "2026-01", "2026-12")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.store_app_usage(None, "2026-11", "2026-11")
            .await
            .unwrap()
            .len(),
        1
    );
    let st = &s.app_stats().await.unwrap()["oee.shift"];
    assert_eq!(
        (st.tenants, st.installations, st.active_installations),
        (1, 1, 1)
    );
    assert_eq!(s.store_reach().await.unwrap(), (1, 1));

    // Earnings: the developer's share of a paid order, per app.
    let plan = s
        .create_plan(&actor(), &monthly_plan("oee.shift", 0))
        .await
        .unwrap();
    let order = pending_order(from_store.id, &plan, d.id, None);
    let o = s.create_order(&actor(), &order, None).await.unwrap();
    s.pay_order(&actor(), o.id, None).await.unwrap();
    let earned = s.developer_earnings(d.id).await.unwrap();
    assert_eq!(earned.len(), 1, "a paid order earns once");
    assert_eq!(
        (earned[0].app_id.as_str(), earned[0].amount),
        ("oee.shift", 7920)
    );
    assert!(s.developer_earnings(idle.id).await.unwrap().is_empty());
    // An unpaid order earns nothing; a refund takes the share back.
    let unpaid = Order {
        id: OrderId::new(),
        ..order.clone()
    };
    s.create_order(&actor(), &unpaid, None).await.unwrap();
    assert_eq!(s.developer_earnings(d.id).await.unwrap().len(), 1);
    s.close_order(&actor(), o.id, OrderStatus::Refunded, Some("x".into()))
        .await
        .unwrap();
    let earned = s.developer_earnings(d.id).await.unwrap();
    let amounts: Vec<i64> = earned.iter().map(|e| e.amount).collect();
    assert_eq!(amounts, [7920, -7920]);
}
