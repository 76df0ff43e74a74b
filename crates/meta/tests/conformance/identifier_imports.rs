//! Identifier import jobs: kept per tenant (another tenant cannot read, cancel or delete
//! one), a chunk's identifiers and the job's position written together, cancelled and
//! finished jobs staying so, only finished jobs deleted.

use super::identifiers::{prefix, record};
use super::{actor, first_page, tenant};
use ironloom_core::entity::Resource;
use ironloom_core::error::Error;
use ironloom_core::identifier::*;
use ironloom_core::identifier_import::*;
use ironloom_core::market::LocalText;
use ironloom_core::repo::IdentifierRepo;
use ironloom_meta::SqlStore;

fn not_found<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::NotFound(Resource::IdImport)))
}

pub async fn identifier_imports_are_a_tenants_and_count_each_chunk_once(s: &SqlStore) {
    let a = tenant(s, "impa").await;
    let b = tenant(s, "impb").await;
    s.create_prefix(&actor(), &prefix(a.id, "88.200.1"))
        .await
        .unwrap();
    let template = Some(TemplateRef {
        id: "machinery-part".into(),
        version: "1.0".into(),
    });
    let job = IdImport::queued(a.id, ImportFormat::Csv, template.clone(), 1234, "tester");
    let made = s.create_import(&actor(), &job).await.unwrap();
    assert_eq!(made.state, ImportState::Queued);
    assert_eq!((made.total_bytes, made.template), (1234, template));
    assert!(made.started_at.is_none());

    // Another tenant sees nothing of it.
    assert!(not_found(s.get_import(b.id, job.id).await));
    assert!(not_found(s.cancel_import(&actor(), b.id, job.id).await));
    assert!(not_found(s.delete_import(&actor(), b.id, job.id).await));
    assert_eq!(s.list_imports(b.id, &first_page()).await.unwrap().total, 0);
    assert_eq!(s.list_imports(a.id, &first_page()).await.unwrap().total, 1);
    assert!(
        s.open_imports()
            .await
            .unwrap()
            .iter()
            .any(|j| j.id == job.id)
    );

    let running = s.start_import(job.id).await.unwrap();
    assert_eq!(running.state, ImportState::Running);
    let started = running.started_at.unwrap();
    // Started again (resumed after a stop): the first start is kept.
    assert_eq!(
        s.start_import(job.id).await.unwrap().started_at,
        Some(started)
    );

    // A chunk: two new, a repeat within it; an invalid row recorded.
    let rows = [
        record(a.id, "88.200.1", "I-1"),
        record(a.id, "88.200.1", "I-2"),
        record(a.id, "88.200.1", "I-1"),
    ];
    let error = ImportRowError {
        row: 5,
        message: LocalText::new("bad", "错误"),
    };
    let progress = ImportProgress {
        bytes_read: 600,
        row: 5,
        rows_read: 4,
        invalid: 1,
        errors: vec![error.clone()],
    };
    let (out, now) = s
        .import_chunk(a.id, job.id, &progress, &rows)
        .await
        .unwrap();
    assert_eq!(
        out,
        [
            BatchOutcome::Created,
            BatchOutcome::Created,
            BatchOutcome::Exists
        ]
    );
    assert_eq!(
        (now.created, now.existing, now.invalid, now.rows_read),
        (2, 1, 1, 4)
    );
    assert_eq!((now.bytes_read, now.row), (600, 5));
    assert_eq!(now.errors, [error]);
    assert!(s.get_identifier("88.200.1/I-2").await.unwrap().is_some());
    // Records of another tenant do not go in through this one's job, nor is the job moved.
    assert!(
        s.import_chunk(b.id, job.id, &progress, &[record(b.id, "88.200.1", "I-9")])
            .await
            .is_err()
    );
    assert!(s.get_identifier("88.200.1/I-9").await.unwrap().is_none());
    // At most 100 errors are kept.
    let many = ImportProgress {
        bytes_read: 900,
        row: 300,
        rows_read: 299,
        invalid: 250,
        errors: (0..250)
            .map(|i| ImportRowError {
                row: i,
                message: LocalText::new("bad", "错误"),
            })
            .collect(),
    };
    let (_, now) = s.import_chunk(a.id, job.id, &many, &[]).await.unwrap();
    assert_eq!((now.invalid, now.errors.len()), (250, MAX_IMPORT_ERRORS));
    assert_eq!(now.created, 2, "an empty chunk registers nothing");

    // A running job is not deleted; cancelled it stays so.
    assert!(matches!(
        s.delete_import(&actor(), a.id, job.id).await,
        Err(Error::Invalid(_))
    ));
    let cancelled = s.cancel_import(&actor(), a.id, job.id).await.unwrap();
    assert_eq!(cancelled.state, ImportState::Cancelled);
    assert!(cancelled.finished_at.is_some());
    assert!(matches!(
        s.cancel_import(&actor(), a.id, job.id).await,
        Err(Error::Invalid(_))
    ));
    let after = s
        .finish_import(job.id, ImportState::Done, None)
        .await
        .unwrap();
    assert_eq!(after.state, ImportState::Cancelled);
    assert!(
        !s.open_imports()
            .await
            .unwrap()
            .iter()
            .any(|j| j.id == job.id)
    );

    // A failed job keeps why, in both languages.
    let other = IdImport::queued(a.id, ImportFormat::Ndjson, None, 10, "tester");
    s.create_import(&actor(), &other).await.unwrap();
    let why = LocalText::new("no handle column", "缺少 handle 列");
    let failed = s
        .finish_import(other.id, ImportState::Failed, Some(&why))
        .await
        .unwrap();
    assert_eq!(failed.state, ImportState::Failed);
    assert_eq!(failed.failure, Some(why));
    assert_eq!(failed.format, ImportFormat::Ndjson);

    s.delete_import(&actor(), a.id, job.id).await.unwrap();
    assert!(not_found(s.get_import(a.id, job.id).await));
    assert_eq!(s.list_imports(a.id, &first_page()).await.unwrap().total, 1);
}
