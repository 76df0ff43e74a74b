//! Cluster mode's partition ownership, fencing, segment manifest and rule checkpoints.

use super::at_once;
use chrono::{Duration, Utc};
use ironloom_core::cluster::{ClusterStore, Fence, SegmentRow};
use ironloom_core::error::{Error, FieldErrorKind};
use ironloom_core::ids::{ProductId, TenantId};
use ironloom_meta::SqlStore;

fn seg(key: &str, partition: u32, tenant: TenantId, seqs: (u64, u64), epoch: u64) -> SegmentRow {
    SegmentRow {
        key: key.into(),
        partition,
        tenant,
        product: None,
        part_start: 1_767_225_600_000,
        part_width: 86_400_000,
        level: 0,
        min_seq: seqs.0,
        max_seq: seqs.1,
        min_ts: 1_767_225_600_000 + seqs.0 as i64,
        max_ts: 1_767_225_600_000 + seqs.1 as i64,
        bytes: 4096,
        epoch,
        replaced_at: None,
    }
}

fn keys(rows: &[SegmentRow]) -> Vec<&str> {
    rows.iter().map(|r| r.key.as_str()).collect()
}

fn is_fenced(r: &Result<(), Error>, partition: u32, epoch: u64, current: Option<u64>) -> bool {
    matches!(r, Err(Error::Fenced { fence, current: c })
        if *fence == Fence { partition, epoch } && *c == current)
}

pub async fn claims_bump_the_epoch_only_for_newer_lease_revisions(s: &SqlStore) {
    assert_eq!(s.partition(4).await.unwrap(), None);
    assert!(s.partitions().await.unwrap().is_empty());

    let before = Utc::now() - Duration::seconds(1);
    assert_eq!(s.claim_partition(4, "node-a", 5).await.unwrap(), Some(1));
    let row = s.partition(4).await.unwrap().unwrap();
    assert_eq!(
        (
            row.partition,
            row.epoch,
            row.owner.as_deref(),
            row.lease_rev
        ),
        (4, 1, Some("node-a"), 5)
    );
    assert_eq!((row.sealed_seq, row.latest_key), (0, None));
    assert!(row.updated_at > before);

    // An equal or older lease revision: someone holds a newer lease; nothing changes.
    for rev in [5, 4, 1, 0] {
        assert_eq!(
            s.claim_partition(4, "node-b", rev).await.unwrap(),
            None,
            "{rev}"
        );
    }
    let row = s.partition(4).await.unwrap().unwrap();
    assert_eq!(
        (row.epoch, row.owner.as_deref(), row.lease_rev),
        (1, Some("node-a"), 5)
    );

    // A newer revision takes over, and the epoch moves on.
    assert_eq!(s.claim_partition(4, "node-b", 9).await.unwrap(), Some(2));
    // The same node again, with a renewed lease after losing it: a new epoch too.
    assert_eq!(s.claim_partition(4, "node-b", 12).await.unwrap(), Some(3));
    let row = s.partition(4).await.unwrap().unwrap();
    assert_eq!(
        (row.epoch, row.owner.as_deref(), row.lease_rev),
        (3, Some("node-b"), 12)
    );

    // Partitions are counted apart.
    assert_eq!(s.claim_partition(0, "node-c", 1).await.unwrap(), Some(1));
    let all = s.partitions().await.unwrap();
    let listed: Vec<_> = all.iter().map(|p| (p.partition, p.epoch)).collect();
    assert_eq!(listed, vec![(0, 1), (4, 3)]);

    // Revisions past what BIGINT holds are refused, not wrapped.
    let too_big = s.claim_partition(4, "node-d", u64::MAX).await;
    assert!(
        matches!(&too_big, Err(Error::Invalid(e)) if e.field == "lease_rev"
            && matches!(e.kind, FieldErrorKind::OutOfRange { .. })),
        "{too_big:?}"
    );
    assert_eq!(s.partition(4).await.unwrap().unwrap().epoch, 3);
}

pub async fn concurrent_claims_with_one_revision_let_one_win(s: &SqlStore) {
    const CLAIMS: usize = 6;
    // On a partition nobody claimed yet (the row is created by the claims themselves),
    // then on one that exists.
    for (rev, epoch) in [(7, 1), (8, 2)] {
        // Results come in the order the claims finished; each carries its node's number.
        let results = at_once(CLAIMS, |n| {
            let s = s.clone();
            async move {
                let got = s.claim_partition(11, &format!("node-{n}"), rev).await;
                got.map(|epoch| (n, epoch))
            }
        })
        .await;
        let won: Vec<_> = results
            .iter()
            .filter_map(|r| match r {
                Ok((n, Some(e))) => Some((*n, *e)),
                _ => None,
            })
            .collect();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Ok((_, None))))
            .count();
        assert_eq!(
            (won.len(), refused),
            (1, CLAIMS - 1),
            "rev {rev}: {results:?}"
        );
        assert_eq!(won[0].1, epoch, "{results:?}");
        let row = s.partition(11).await.unwrap().unwrap();
        assert_eq!(row.epoch, epoch);
        assert_eq!(row.lease_rev, rev);
        assert_eq!(row.owner, Some(format!("node-{}", won[0].0)));
    }
}

pub async fn a_stale_fence_seals_nothing(s: &SqlStore) {
    let t = TenantId::new();
    assert_eq!(s.claim_partition(2, "node-a", 1).await.unwrap(), Some(1));
    let old = Fence {
        partition: 2,
        epoch: 1,
    };
    s.seal(
        old,
        vec![seg("p2/a", 2, t, (1, 10), 1)],
        vec![],
        10,
        Some("l1".into()),
    )
    .await
    .unwrap();
    // node-b takes over; node-a has not noticed yet.
    assert_eq!(s.claim_partition(2, "node-b", 2).await.unwrap(), Some(2));

    let r = s
        .seal(
            old,
            vec![
                seg("p2/b", 2, t, (11, 20), 1),
                seg("p2/c", 2, t, (1, 20), 1),
            ],
            vec!["p2/a".into()],
            20,
            Some("l2".into()),
        )
        .await;
    assert!(is_fenced(&r, 2, 1, Some(2)), "{r:?}");
    assert_eq!(r.unwrap_err().code(), "fenced");
    // Nothing of it was written: no segment, no replacement, the marks unchanged.
    assert_eq!(keys(&s.segments(2).await.unwrap()), vec!["p2/a"]);
    assert_eq!(keys(&s.segments_of_tenant(t).await.unwrap()), vec!["p2/a"]);
    let row = s.partition(2).await.unwrap().unwrap();
    assert_eq!(
        (row.sealed_seq, row.latest_key.as_deref()),
        (10, Some("l1"))
    );

    // An epoch from the future is no better, nor is a partition nobody claimed.
    let ahead = Fence {
        partition: 2,
        epoch: 3,
    };
    let r = s.seal(ahead, vec![], vec![], 30, None).await;
    assert!(is_fenced(&r, 2, 3, Some(2)), "{r:?}");
    let nobody = Fence {
        partition: 3,
        epoch: 1,
    };
    let r = s
        .seal(nobody, vec![seg("p3/a", 3, t, (1, 5), 1)], vec![], 5, None)
        .await;
    assert!(is_fenced(&r, 3, 1, None), "{r:?}");
    assert!(s.segments(3).await.unwrap().is_empty());
    assert_eq!(s.partition(3).await.unwrap(), None);

    // The new owner's fence works.
    let new = Fence {
        partition: 2,
        epoch: 2,
    };
    s.seal(new, vec![seg("p2/d", 2, t, (11, 30), 2)], vec![], 30, None)
        .await
        .unwrap();
    assert_eq!(s.partition(2).await.unwrap().unwrap().sealed_seq, 30);
}

pub async fn seals_record_segments_mark_replaced_ones_and_never_lower_the_mark(s: &SqlStore) {
    let t = TenantId::new();
    let epoch = s.claim_partition(5, "node-a", 3).await.unwrap().unwrap();
    let fence = Fence {
        partition: 5,
        epoch,
    };
    let mut b = seg("p5/b", 5, t, (51, 100), epoch);
    b.product = Some(ProductId::new());
    // The largest values BIGINT holds come back as they went in.
    b.bytes = i64::MAX as u64;
    b.part_start = i64::MIN;
    let a = seg("p5/a", 5, t, (1, 50), epoch);
    s.seal(
        fence,
        vec![b.clone(), a.clone()],
        vec![],
        100,
        Some("latest/p005/1-1.dat".into()),
    )
    .await
    .unwrap();
    assert_eq!(s.segments(5).await.unwrap(), vec![a.clone(), b.clone()]);
    let row = s.partition(5).await.unwrap().unwrap();
    assert_eq!(
        (row.sealed_seq, row.latest_key.as_deref()),
        (100, Some("latest/p005/1-1.dat"))
    );

    // A compaction of a and b, recorded with a lower mark and no new snapshot: the mark
    // and the snapshot stay.
    let mut c = seg("p5/c", 5, t, (1, 100), epoch);
    c.level = 1;
    let before = Utc::now() - Duration::seconds(1);
    s.seal(
        fence,
        vec![c.clone()],
        vec!["p5/a".into(), "p5/b".into()],
        90,
        None,
    )
    .await
    .unwrap();
    assert_eq!(s.segments(5).await.unwrap(), vec![c.clone()]);
    let row = s.partition(5).await.unwrap().unwrap();
    assert_eq!(
        (row.sealed_seq, row.latest_key.as_deref()),
        (100, Some("latest/p005/1-1.dat"))
    );
    let all = s.segments_of_tenant(t).await.unwrap();
    assert_eq!(keys(&all), vec!["p5/a", "p5/c", "p5/b"]);
    for r in all.iter().filter(|r| r.key != "p5/c") {
        let at = r.replaced_at.expect("replaced");
        assert!(at > before && at <= Utc::now(), "{r:?}");
    }

    // A seal retried after its commit went unacknowledged changes nothing, and does not
    // bring replaced segments back.
    s.seal(
        fence,
        vec![c.clone(), a.clone()],
        vec!["p5/a".into(), "p5/b".into()],
        100,
        None,
    )
    .await
    .unwrap();
    assert_eq!(s.segments(5).await.unwrap(), vec![c.clone()]);
    assert_eq!(s.segments_of_tenant(t).await.unwrap(), all);

    // A higher mark moves it; a new snapshot replaces the key.
    s.seal(
        fence,
        vec![],
        vec![],
        150,
        Some("latest/p005/1-2.dat".into()),
    )
    .await
    .unwrap();
    let row = s.partition(5).await.unwrap().unwrap();
    assert_eq!(
        (row.sealed_seq, row.latest_key.as_deref()),
        (150, Some("latest/p005/1-2.dat"))
    );

    // Replacements reach only the fence's partition.
    let other = s.claim_partition(6, "node-a", 3).await.unwrap().unwrap();
    let other = Fence {
        partition: 6,
        epoch: other,
    };
    s.seal(other, vec![seg("p6/a", 6, t, (1, 9), 1)], vec![], 9, None)
        .await
        .unwrap();
    s.seal(fence, vec![], vec!["p6/a".into()], 150, None)
        .await
        .unwrap();
    assert_eq!(keys(&s.segments(6).await.unwrap()), vec!["p6/a"]);

    // A segment of another partition, or a value past BIGINT, is refused and nothing of
    // the seal is written.
    let r = s
        .seal(
            fence,
            vec![
                seg("p5/d", 5, t, (151, 160), epoch),
                seg("p6/x", 6, t, (1, 2), 1),
            ],
            vec![],
            160,
            None,
        )
        .await;
    assert!(matches!(r, Err(Error::Invalid(_))), "{r:?}");
    let mut huge = seg("p5/e", 5, t, (151, 160), epoch);
    huge.max_seq = u64::MAX;
    let r = s
        .seal(
            fence,
            vec![seg("p5/d", 5, t, (151, 160), epoch), huge],
            vec!["p5/c".into()],
            160,
            None,
        )
        .await;
    assert!(matches!(r, Err(Error::Invalid(_))), "{r:?}");
    assert_eq!(s.segments(5).await.unwrap(), vec![c]);
    assert_eq!(s.partition(5).await.unwrap().unwrap().sealed_seq, 150);
}

pub async fn rule_state_is_fenced(s: &SqlStore) {
    assert_eq!(s.rule_state(8).await.unwrap(), None);
    let fence = Fence {
        partition: 8,
        epoch: 1,
    };
    // Nobody claimed the partition yet.
    let r = s.save_rule_state(fence, 3, "{}".into()).await;
    assert!(is_fenced(&r, 8, 1, None), "{r:?}");
    assert_eq!(s.rule_state(8).await.unwrap(), None);

    assert_eq!(s.claim_partition(8, "node-a", 1).await.unwrap(), Some(1));
    let states = r#"{"dev-1":{"avg":[1.5,2]},"名称":"温度"}"#;
    s.save_rule_state(fence, 10, states.into()).await.unwrap();
    assert_eq!(s.rule_state(8).await.unwrap(), Some((10, states.into())));
    s.save_rule_state(fence, 20, "{\"n\":2}".into())
        .await
        .unwrap();
    assert_eq!(
        s.rule_state(8).await.unwrap(),
        Some((20, "{\"n\":2}".into()))
    );

    assert_eq!(s.claim_partition(8, "node-b", 2).await.unwrap(), Some(2));
    let r = s.save_rule_state(fence, 30, "{\"n\":3}".into()).await;
    assert!(is_fenced(&r, 8, 1, Some(2)), "{r:?}");
    assert_eq!(
        s.rule_state(8).await.unwrap(),
        Some((20, "{\"n\":2}".into()))
    );
    // Another partition's state is its own.
    assert_eq!(s.rule_state(9).await.unwrap(), None);

    let new = Fence {
        partition: 8,
        epoch: 2,
    };
    s.save_rule_state(new, 30, "{\"n\":3}".into())
        .await
        .unwrap();
    assert_eq!(
        s.rule_state(8).await.unwrap(),
        Some((30, "{\"n\":3}".into()))
    );
}

pub async fn replaced_segments_are_listed_for_gc_and_forgotten(s: &SqlStore) {
    let t = TenantId::new();
    let epoch = s.claim_partition(1, "node-a", 1).await.unwrap().unwrap();
    let fence = Fence {
        partition: 1,
        epoch,
    };
    s.seal(
        fence,
        vec![
            seg("p1/a", 1, t, (1, 5), epoch),
            seg("p1/b", 1, t, (6, 9), epoch),
        ],
        vec![],
        9,
        None,
    )
    .await
    .unwrap();
    let before = Utc::now() - Duration::seconds(1);
    assert!(
        s.replaced_segments(Utc::now() + Duration::seconds(1))
            .await
            .unwrap()
            .is_empty()
    );

    s.seal(
        fence,
        vec![seg("p1/c", 1, t, (1, 9), epoch)],
        vec!["p1/a".into()],
        9,
        None,
    )
    .await
    .unwrap();
    // Not yet past the grace period; then past it.
    assert!(s.replaced_segments(before).await.unwrap().is_empty());
    let garbage = s
        .replaced_segments(Utc::now() + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(keys(&garbage), vec!["p1/a"]);

    // Forgetting removes the rows named (unknown keys are no error).
    let forgotten = s
        .forget_segments(vec!["p1/a".into(), "p1/nothing".into()])
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    assert!(
        s.replaced_segments(Utc::now() + Duration::seconds(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(keys(&s.segments(1).await.unwrap()), vec!["p1/c", "p1/b"]);
    assert_eq!(s.forget_segments(vec![]).await.unwrap(), 0);

    // Many keys at once (more than one statement's worth).
    let many: Vec<SegmentRow> = (0..1200)
        .map(|i| seg(&format!("p1/m{i:04}"), 1, t, (100 + i, 100 + i), epoch))
        .collect();
    let many_keys: Vec<String> = many.iter().map(|r| r.key.clone()).collect();
    s.seal(fence, many, vec![], 1300, None).await.unwrap();
    s.seal(fence, vec![], many_keys.clone(), 1300, None)
        .await
        .unwrap();
    assert_eq!(keys(&s.segments(1).await.unwrap()), vec!["p1/c", "p1/b"]);
    let garbage = s
        .replaced_segments(Utc::now() + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(garbage.len(), 1200);
    assert_eq!(s.forget_segments(many_keys).await.unwrap(), 1200);
    assert_eq!(
        keys(&s.segments_of_tenant(t).await.unwrap()),
        vec!["p1/c", "p1/b"]
    );
}

pub async fn segments_are_found_by_tenant(s: &SqlStore) {
    let (t1, t2) = (TenantId::new(), TenantId::new());
    let mut fences = Vec::new();
    for p in [3, 0] {
        let epoch = s.claim_partition(p, "node-a", 1).await.unwrap().unwrap();
        fences.push(Fence {
            partition: p,
            epoch,
        });
    }
    for f in &fences {
        let p = f.partition;
        s.seal(
            *f,
            vec![
                seg(&format!("t1/p{p}/b"), p, t1, (20, 30), f.epoch),
                seg(&format!("t2/p{p}/a"), p, t2, (1, 10), f.epoch),
                seg(&format!("t1/p{p}/a"), p, t1, (1, 10), f.epoch),
            ],
            vec![],
            30,
            None,
        )
        .await
        .unwrap();
    }
    s.seal(fences[0], vec![], vec!["t1/p3/a".into()], 30, None)
        .await
        .unwrap();

    // Live and replaced alike, by partition and sequence, and only the tenant's.
    let of_t1 = s.segments_of_tenant(t1).await.unwrap();
    assert_eq!(
        keys(&of_t1),
        vec!["t1/p0/a", "t1/p0/b", "t1/p3/a", "t1/p3/b"]
    );
    assert!(of_t1.iter().all(|r| r.tenant == t1));
    assert!(of_t1[2].replaced_at.is_some());
    assert_eq!(
        keys(&s.segments_of_tenant(t2).await.unwrap()),
        vec!["t2/p0/a", "t2/p3/a"]
    );
    assert!(
        s.segments_of_tenant(TenantId::new())
            .await
            .unwrap()
            .is_empty()
    );

    // Deleting a tenant's objects: forget them, and the other tenant keeps its own.
    let gone = s
        .forget_segments(of_t1.iter().map(|r| r.key.clone()).collect())
        .await
        .unwrap();
    assert_eq!(gone, 4);
    assert!(s.segments_of_tenant(t1).await.unwrap().is_empty());
    assert_eq!(keys(&s.segments(3).await.unwrap()), vec!["t2/p3/a"]);
}

pub async fn a_seal_racing_a_claim_is_whole_or_refused(s: &SqlStore) {
    let t = TenantId::new();
    for round in 1..=8_u64 {
        let fence = Fence {
            partition: 7,
            epoch: s
                .claim_partition(7, "node-a", 2 * round - 1)
                .await
                .unwrap()
                .unwrap(),
        };
        let key = format!("p7/{round}");
        let seal = {
            let (s, key) = (s.clone(), key.clone());
            tokio::spawn(async move {
                let segment = seg(&key, 7, t, (round, round), fence.epoch);
                s.seal(fence, vec![segment], vec![], round, None).await
            })
        };
        let claim = {
            let s = s.clone();
            tokio::spawn(async move { s.claim_partition(7, "node-b", 2 * round).await })
        };
        let (sealed, claimed) = (seal.await.unwrap(), claim.await.unwrap());
        assert_eq!(claimed.unwrap(), Some(fence.epoch + 1));
        let recorded = s
            .segments_of_tenant(t)
            .await
            .unwrap()
            .iter()
            .any(|r| r.key == key);
        let mark = s.partition(7).await.unwrap().unwrap().sealed_seq;
        match sealed {
            // The seal committed before the claim: all of it.
            Ok(()) => assert!(recorded && mark == round, "round {round}"),
            // The claim committed first: none of it.
            Err(Error::Fenced { current, .. }) => {
                assert_eq!(current, Some(fence.epoch + 1));
                assert!(!recorded && mark < round, "round {round}");
            }
            Err(e) => panic!("round {round}: {e:?}"),
        }
    }
}
