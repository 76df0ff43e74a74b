//! Identifier resolution's records: prefixes unique platform-wide and per tenant, shipped
//! and tenant templates, identifiers registered in batches (existing ones reported, not
//! replaced), values kept byte for byte, tenants apart, links both ways.

use super::{actor, first_page, tenant};
use ironloom_core::entity::Resource;
use ironloom_core::error::Error;
use ironloom_core::identifier::*;
use ironloom_core::ids::TenantId;
use ironloom_core::market::LocalText;
use ironloom_core::repo::{IdentifierRepo, MetaStore};
use ironloom_identifiers::HandleValue;
use ironloom_meta::SqlStore;

pub fn prefix(t: TenantId, p: &str) -> IdPrefix {
    IdPrefix {
        prefix: p.into(),
        tenant_id: t,
        name: format!("plant {p}"),
        identifiers: 0,
        created_at: chrono::Utc::now(),
    }
}

pub fn record(t: TenantId, prefix: &str, suffix: &str) -> IdentifierRecord {
    let mut batch =
        HandleValue::new(2000, "batch_no", "B-2026-11 批次".as_bytes().to_vec()).unwrap();
    batch.timestamp = 1_765_000_000;
    let mut secret = HandleValue::new(2001, "cost", b"12.5".to_vec()).unwrap();
    secret.permissions.public_read = false;
    IdentifierRecord {
        handle: format!("{prefix}/{suffix}"),
        tenant_id: t,
        prefix: prefix.into(),
        template: Some(TemplateRef {
            id: "machinery-part".into(),
            version: "1.0".into(),
        }),
        values: vec![batch, secret],
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    }
}

fn template(t: Option<TenantId>, version: &str) -> IdTemplate {
    IdTemplate {
        id: "machinery-part".into(),
        version: version.into(),
        tenant_id: t,
        shipped: t.is_none(),
        name: LocalText::new("Machinery part", "机械零部件"),
        description: LocalText::new("", ""),
        industry: Some("C34".into()),
        active_carrier: false,
        fields: vec![TemplateField {
            name: "batch_no".into(),
            index: 2000,
            label: LocalText::new("Batch", "批次"),
            field_type: FieldType::String,
            required: true,
            public: true,
            max_len: Some(64),
            min_len: None,
            unit: None,
            disabled: false,
        }],
        created_at: chrono::Utc::now(),
    }
}

pub async fn identifiers_are_registered_under_a_tenants_prefixes(s: &SqlStore) {
    let a = tenant(s, "ida").await;
    let b = tenant(s, "idb").await;
    s.create_prefix(&actor(), &prefix(a.id, "88.118.8"))
        .await
        .unwrap();
    s.create_prefix(&actor(), &prefix(a.id, "86.1000.12"))
        .await
        .unwrap();
    assert!(matches!(
        s.create_prefix(&actor(), &prefix(b.id, "88.118.8")).await,
        Err(Error::AlreadyExists {
            resource: Resource::IdPrefix,
            ..
        })
    ));
    assert_eq!(s.prefix_owner("88.118.8").await.unwrap(), Some(a.id));
    assert_eq!(s.prefix_owner("88.999").await.unwrap(), None);
    s.create_prefix(&actor(), &prefix(b.id, "88.200.1"))
        .await
        .unwrap();

    // Templates: shipped and a tenant's own, one version once.
    s.create_template(&actor(), &template(None, "1.0"))
        .await
        .unwrap();
    assert!(
        s.create_template(&actor(), &template(None, "1.0"))
            .await
            .is_err()
    );
    let mut own = template(Some(a.id), "a-1");
    own.id = "a-part".into();
    s.create_template(&actor(), &own).await.unwrap();
    // Versions of an id only by its owner: not another tenant, not over a shipped one.
    let mut theirs = own.clone();
    theirs.version = "b-1".into();
    theirs.tenant_id = Some(b.id);
    assert!(s.create_template(&actor(), &theirs).await.is_err());
    let mut over_shipped = template(Some(b.id), "9.9");
    over_shipped.shipped = false;
    assert!(s.create_template(&actor(), &over_shipped).await.is_err());
    let got = s.get_template("machinery-part", "1.0").await.unwrap();
    assert!(got.shipped && got.tenant_id.is_none());
    assert_eq!(got.fields, template(None, "1.0").fields);
    assert_eq!(s.list_templates(Some(a.id)).await.unwrap().len(), 2);
    assert_eq!(s.list_templates(Some(b.id)).await.unwrap().len(), 1);
    assert_eq!(s.list_templates(None).await.unwrap().len(), 1);
    // The owner adds versions.
    let mut next = own.clone();
    next.version = "a-2".into();
    s.create_template(&actor(), &next).await.unwrap();

    // A tenant's version changes in place (SNMS v5) and goes while no identifier names
    // it; not another tenant's, not a shipped one.
    let mut changed_t = next.clone();
    changed_t.fields[0].disabled = true;
    changed_t.description = LocalText::new("changed", "已改");
    assert!(matches!(
        s.update_template(&actor(), b.id, &changed_t).await,
        Err(Error::NotFound(Resource::IdTemplate))
    ));
    s.update_template(&actor(), a.id, &changed_t).await.unwrap();
    let got = s.get_template("a-part", "a-2").await.unwrap();
    assert!(got.fields[0].disabled && got.tenant_id == Some(a.id) && !got.shipped);
    assert_eq!(got.description.en, "changed");
    assert!(matches!(
        s.update_template(&actor(), a.id, &template(None, "1.0"))
            .await,
        Err(Error::NotFound(Resource::IdTemplate))
    ));
    assert!(matches!(
        s.delete_template(&actor(), b.id, "a-part", "a-2").await,
        Err(Error::NotFound(Resource::IdTemplate))
    ));
    assert!(matches!(
        s.delete_template(&actor(), a.id, "machinery-part", "1.0")
            .await,
        Err(Error::NotFound(Resource::IdTemplate))
    ));
    s.delete_template(&actor(), a.id, "a-part", "a-2")
        .await
        .unwrap();
    assert!(s.get_template("a-part", "a-2").await.is_err());
    let mut in_use = record(a.id, "86.1000.12", "T-1");
    in_use.template = Some(TemplateRef {
        id: "a-part".into(),
        version: "a-1".into(),
    });
    s.create_identifiers(&actor(), a.id, &[in_use])
        .await
        .unwrap();
    assert!(matches!(
        s.delete_template(&actor(), a.id, "a-part", "a-1").await,
        Err(Error::InUse { count: 1, .. })
    ));
    s.delete_identifier(&actor(), a.id, "86.1000.12/T-1")
        .await
        .unwrap();

    // A batch: new ones created, an existing and a repeated one reported, not replaced.
    let first = record(a.id, "88.118.8", "P-0001");
    let out = s
        .create_identifiers(&actor(), a.id, std::slice::from_ref(&first))
        .await
        .unwrap();
    assert_eq!(out, [BatchOutcome::Created]);
    let mut batch: Vec<IdentifierRecord> = (2..=450)
        .map(|i| record(a.id, "88.118.8", &format!("P-{i:04}")))
        .collect();
    let mut changed = first.clone();
    changed.values.truncate(1);
    batch.push(changed);
    batch.push(record(a.id, "88.118.8", "P-0002"));
    let out = s.create_identifiers(&actor(), a.id, &batch).await.unwrap();
    assert_eq!(
        out.iter().filter(|o| **o == BatchOutcome::Created).count(),
        449
    );
    assert_eq!(out[449], BatchOutcome::Exists);
    assert_eq!(out[450], BatchOutcome::Exists);
    let stored = s.get_identifier("88.118.8/P-0001").await.unwrap().unwrap();
    assert_eq!(
        stored.values, first.values,
        "values kept byte for byte, not replaced"
    );
    assert_eq!(stored.template, first.template);
    assert!(!stored.values[1].permissions.public_read);
    assert!(s.get_identifier("88.118.8/nope").await.unwrap().is_none());
    // Several at once: those that exist, the same records.
    let some = s
        .get_identifiers(&["88.118.8/nope".into(), "88.118.8/P-0001".into()])
        .await
        .unwrap();
    assert_eq!(some, vec![stored.clone()]);
    assert!(s.get_identifiers(&[]).await.unwrap().is_empty());
    // A resolving thread's own reader (SQLite on a file) reads the same records.
    match s.identifier_reader().unwrap() {
        Some(mut reader) => {
            assert_eq!(
                reader.identifier("88.118.8/P-0001").unwrap(),
                Some(stored.clone())
            );
            assert_eq!(reader.identifier("88.118.8/nope").unwrap(), None);
        }
        None => assert_eq!(s.backend(), "postgres"),
    }
    let too_many: Vec<String> = (0..=MAX_LOOKUP).map(|i| format!("88.118.8/X{i}")).collect();
    assert!(matches!(
        s.get_identifiers(&too_many).await,
        Err(Error::Invalid(_))
    ));
    // Another tenant's records cannot go in through this tenant.
    assert!(
        s.create_identifiers(&actor(), b.id, &[record(a.id, "88.118.8", "X")])
            .await
            .is_err()
    );

    // Lists: the tenant's own, by prefix, by text.
    let page = s
        .list_identifiers(a.id, Some("88.118.8"), None, &first_page())
        .await
        .unwrap();
    assert_eq!(page.total, 450);
    assert_eq!(page.items[0].handle, "88.118.8/P-0001");
    let found = s
        .list_identifiers(a.id, None, Some("p-04"), &first_page())
        .await
        .unwrap();
    assert_eq!(found.total, 51, "P-0400 … P-0450");
    assert_eq!(
        s.list_identifiers(b.id, None, None, &first_page())
            .await
            .unwrap()
            .total,
        0
    );
    let counts = s.list_prefixes(a.id).await.unwrap();
    assert_eq!(
        counts
            .iter()
            .map(|p| (p.prefix.as_str(), p.identifiers))
            .collect::<Vec<_>>(),
        [("86.1000.12", 0), ("88.118.8", 450)]
    );

    // Update and delete stay in the owner's tenant.
    let mut upd = stored.clone();
    upd.values[0].data = b"B-2".to_vec();
    upd.tenant_id = b.id;
    assert!(matches!(
        s.update_identifier(&actor(), &upd).await,
        Err(Error::NotFound(Resource::Identifier))
    ));
    upd.tenant_id = a.id;
    let after = s.update_identifier(&actor(), &upd).await.unwrap();
    assert_eq!(after.values[0].data, b"B-2");
    assert!(after.updated_at >= stored.updated_at);
    assert!(
        s.delete_identifier(&actor(), b.id, "88.118.8/P-0450")
            .await
            .is_err()
    );

    // Links: a component of another tenant's identifier, both directions.
    let part = record(b.id, "88.200.1", "MOTOR-7");
    s.create_identifiers(&actor(), b.id, &[part]).await.unwrap();
    let link = IdLink {
        parent: "88.118.8/P-0001".into(),
        child: "88.200.1/MOTOR-7".into(),
        kind: LinkKind::Component,
        tenant_id: a.id,
        created_at: chrono::Utc::now(),
    };
    s.add_link(&actor(), &link).await.unwrap();
    assert!(s.add_link(&actor(), &link).await.is_err(), "linked twice");
    let not_mine = IdLink {
        tenant_id: b.id,
        parent: "88.118.8/P-0002".into(),
        ..link.clone()
    };
    assert!(
        s.add_link(&actor(), &not_mine).await.is_err(),
        "only the parent's owner links"
    );
    let (children, parents) = s.links_of("88.118.8/P-0001").await.unwrap();
    assert_eq!((children.len(), parents.len()), (1, 0));
    assert_eq!(children[0].kind, LinkKind::Component);
    let (children, parents) = s.links_of("88.200.1/MOTOR-7").await.unwrap();
    assert_eq!((children.len(), parents.len()), (0, 1));

    // A prefix with identifiers stays; an empty one goes; another tenant's is not found.
    assert!(matches!(
        s.delete_prefix(&actor(), a.id, "88.118.8").await,
        Err(Error::InUse { .. })
    ));
    assert!(matches!(
        s.delete_prefix(&actor(), b.id, "88.118.8").await,
        Err(Error::NotFound(_))
    ));
    s.delete_prefix(&actor(), a.id, "86.1000.12").await.unwrap();
    s.delete_identifier(&actor(), a.id, "88.118.8/P-0001")
        .await
        .unwrap();
    assert_eq!(
        s.links_of("88.200.1/MOTOR-7").await.unwrap().1.len(),
        0,
        "its links went with it"
    );
    s.remove_link(&actor(), a.id, "88.118.8/P-0001", "x")
        .await
        .unwrap_err();

    // A tenant deleted takes its prefixes, identifiers and links with it.
    use ironloom_core::repo::TenantRepo;
    let c = tenant(s, "idc").await;
    s.create_prefix(&actor(), &prefix(c.id, "88.300"))
        .await
        .unwrap();
    s.create_identifiers(&actor(), c.id, &[record(c.id, "88.300", "K")])
        .await
        .unwrap();
    s.add_link(
        &actor(),
        &IdLink {
            parent: "88.300/K".into(),
            tenant_id: c.id,
            ..link.clone()
        },
    )
    .await
    .unwrap();
    s.delete_tenant(&actor(), c.id).await.unwrap();
    assert!(s.get_identifier("88.300/K").await.unwrap().is_none());
    assert_eq!(s.prefix_owner("88.300").await.unwrap(), None);
    assert_eq!(s.links_of("88.200.1/MOTOR-7").await.unwrap().1.len(), 0);

    // Resolution counts add up per identifier and month, and stay in their tenant.
    let count = |handle: &str, n| ResolutionCount {
        month: "2026-12".into(),
        handle: handle.into(),
        tenant_id: a.id,
        prefix: "88.118.8".into(),
        count: n,
    };
    s.add_resolutions(&[count("88.118.8/P-0002", 3), count("88.118.8/P-0003", 1)])
        .await
        .unwrap();
    s.add_resolutions(&[count("88.118.8/P-0002", 4)])
        .await
        .unwrap();
    s.add_resolutions(&[]).await.unwrap();
    // Many rows in one call (several statements), a repeat among them added up.
    let many: Vec<ResolutionCount> = (0..300)
        .map(|i| count(&format!("88.118.8/M-{i}"), 1))
        .chain([count("88.118.8/M-7", 2)])
        .collect();
    s.add_resolutions(&many).await.unwrap();
    let st = s.resolution_stats(a.id, "2026-12", 1).await.unwrap();
    assert_eq!(st.total, 8 + 302);
    assert_eq!(
        st.prefixes,
        [PrefixCount {
            prefix: "88.118.8".into(),
            count: 8 + 302
        }]
    );
    assert_eq!(st.top.len(), 1);
    assert_eq!(
        (st.top[0].handle.as_str(), st.top[0].count),
        ("88.118.8/P-0002", 7)
    );
    assert_eq!(
        s.resolution_stats(b.id, "2026-12", 10).await.unwrap().total,
        0
    );
    assert_eq!(
        s.resolution_stats(a.id, "2026-11", 10).await.unwrap().total,
        0
    );
}

/// Readers granted values that are not public: scopes only the owner's, once each, taken
/// back only by the owner, listed with the reader's code.
pub async fn readers_are_granted_by_the_owner_only(s: &SqlStore) {
    use ironloom_core::repo::IdentifierGrantRepo;
    let a = tenant(s, "gra").await;
    let b = tenant(s, "grb").await;
    let c = tenant(s, "grc").await;
    s.create_prefix(&actor(), &prefix(a.id, "88.321.1"))
        .await
        .unwrap();
    s.create_prefix(&actor(), &prefix(b.id, "88.321.2"))
        .await
        .unwrap();
    s.create_identifiers(&actor(), a.id, &[record(a.id, "88.321.1", "X-1")])
        .await
        .unwrap();
    let grant = |owner: TenantId, scope: &str, reader: &ironloom_core::entity::Tenant| IdGrant {
        scope: scope.into(),
        tenant_id: owner,
        reader_tenant_id: reader.id,
        reader: reader.code.clone(),
        created_at: chrono::Utc::now(),
    };
    let g = s
        .grant_reader(&actor(), &grant(a.id, "88.321.1", &b))
        .await
        .unwrap();
    assert_eq!((g.scope.as_str(), g.reader.as_str()), ("88.321.1", "grb"));
    s.grant_reader(&actor(), &grant(a.id, "88.321.1/X-1", &c))
        .await
        .unwrap();
    assert!(matches!(
        s.grant_reader(&actor(), &grant(a.id, "88.321.1", &b)).await,
        Err(Error::AlreadyExists { .. })
    ));
    // Another tenant's prefix or identifier, one that does not exist, oneself: refused.
    for (owner, scope, reader) in [
        (a.id, "88.321.2", &c),
        (b.id, "88.321.1/X-1", &c),
        (a.id, "88.321.1/NOPE", &c),
        (a.id, "88.321.1", &a),
    ] {
        assert!(
            matches!(
                s.grant_reader(&actor(), &grant(owner, scope, reader)).await,
                Err(Error::Invalid(_))
            ),
            "{scope}"
        );
    }
    let all = s.list_grants(a.id).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all[1].covers("88.321.1/X-1", "88.321.1"));
    assert!(!all[1].covers("88.321.1/X-2", "88.321.1"));
    assert!(all[0].covers("88.321.1/X-2", "88.321.1"));
    assert_eq!(s.grants_to(a.id, b.id).await.unwrap().len(), 1);
    assert!(s.grants_to(b.id, a.id).await.unwrap().is_empty());
    assert!(s.list_grants(b.id).await.unwrap().is_empty());
    // Only the owner takes a grant back.
    assert!(matches!(
        s.revoke_reader(&actor(), b.id, "88.321.1", b.id).await,
        Err(Error::NotFound(Resource::IdGrant))
    ));
    s.revoke_reader(&actor(), a.id, "88.321.1", b.id)
        .await
        .unwrap();
    assert!(s.grants_to(a.id, b.id).await.unwrap().is_empty());
}
