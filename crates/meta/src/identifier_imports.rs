//! Identifier import jobs (`iir_imports`): their state and progress. A chunk's
//! identifiers and the job's new position are written in one transaction, so a job
//! resumed after a stop counts every row once. The `IdentifierRepo` methods call these.

use crate::SqlStore;
use crate::change::*;
use crate::identifiers::register_in;
use crate::sql::*;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldErrorKind, Result};
use ironloom_core::identifier::{BatchOutcome, IdentifierRecord, TemplateRef};
use ironloom_core::identifier_import::*;
use ironloom_core::ids::{IdImportId, TenantId};
use ironloom_core::market::LocalText;
use serde_json::json;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, format, template_id, template_version, state, total_bytes, \
    bytes_read, row_no, rows_read, created, existing, invalid, errors, failure, created_by, \
    created_at, started_at, finished_at";

/// The states a job still runs in, for SQL.
const OPEN: &str = "('queued', 'running')";

fn unsigned(row: &AnyRow, col: &str) -> Result<u64> {
    Ok(u64::try_from(int(row, col)?).unwrap_or(0))
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn import_from_row(row: &AnyRow) -> Result<IdImport> {
    let template = match (
        opt_text(row, "template_id")?,
        opt_text(row, "template_version")?,
    ) {
        (Some(id), Some(version)) => Some(TemplateRef { id, version }),
        _ => None,
    };
    let failure: Option<LocalText> = match opt_text(row, "failure")? {
        Some(t) => {
            Some(serde_json::from_str(&t).map_err(|e| Error::storage("decode import failure", e))?)
        }
        None => None,
    };
    let job = IdImport {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        format: enum_col(row, "format", ImportFormat::parse)?,
        template,
        state: enum_col(row, "state", ImportState::parse)?,
        total_bytes: unsigned(row, "total_bytes")?,
        bytes_read: unsigned(row, "bytes_read")?,
        row: unsigned(row, "row_no")?,
        rows_read: unsigned(row, "rows_read")?,
        created: unsigned(row, "created")?,
        existing: unsigned(row, "existing")?,
        invalid: unsigned(row, "invalid")?,
        errors: json(row, "errors")?,
        failure,
        created_by: text(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        started_at: opt_ts(row, "started_at")?,
        finished_at: opt_ts(row, "finished_at")?,
        rows_per_second: 0.0,
    };
    Ok(job.with_rate(now()))
}

async fn read_in(conn: &mut sqlx::AnyConnection, id: IdImportId) -> Result<IdImport> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM iir_imports WHERE id = "));
    sql.bind(id.to_string());
    sql.query()
        .fetch_optional(conn)
        .await
        .map_err(storage("read import"))?
        .ok_or(Error::NotFound(Resource::IdImport))
        .and_then(|r| import_from_row(&r))
}

/// The job, if it is the tenant's.
async fn own_in(
    conn: &mut sqlx::AnyConnection,
    tenant: TenantId,
    id: IdImportId,
) -> Result<IdImport> {
    match read_in(conn, id).await? {
        j if j.tenant_id == tenant => Ok(j),
        _ => Err(Error::NotFound(Resource::IdImport)),
    }
}

fn finished_already(job: &IdImport) -> Error {
    Error::invalid(
        "state",
        FieldErrorKind::Other {
            en: format!("the import is {} already", job.state.as_str()),
            zh: "导入任务已结束".into(),
        },
    )
}

pub(crate) async fn create(store: &SqlStore, actor: &Actor, job: &IdImport) -> Result<IdImport> {
    let mut tx = store.begin().await?;
    let at = truncate_ms(job.created_at);
    let mut sql = Sql::new(&format!("INSERT INTO iir_imports ({COLUMNS}) VALUES ("));
    sql.bind(job.id.to_string())
        .push(", ")
        .bind(job.tenant_id.to_string())
        .push(", ")
        .bind(job.format.as_str())
        .push(", ")
        .bind(job.template.as_ref().map(|t| t.id.clone()))
        .push(", ")
        .bind(job.template.as_ref().map(|t| t.version.clone()))
        .push(", ")
        .bind(ImportState::Queued.as_str())
        .push(", ")
        .bind(signed(job.total_bytes))
        .push(", 0, 0, 0, 0, 0, 0, '[]', NULL, ")
        .bind(job.created_by.clone())
        .push(", ")
        .bind(at.timestamp_millis())
        .push(", NULL, NULL)");
    sql.query()
        .execute(&mut *tx)
        .await
        .map_err(db_err("create import", Resource::IdImport))?;
    let stored = read_in(&mut tx, job.id).await?;
    let entry = audit_entry(
        Some(job.tenant_id),
        "import_start",
        Resource::IdImport,
        job.id,
        json!({"format": job.format.as_str(), "bytes": job.total_bytes,
            "template": job.template.as_ref().map(|t| format!("{}@{}", t.id, t.version))}),
    );
    commit_audited(tx, actor, entry).await?;
    Ok(stored)
}

pub(crate) async fn get(store: &SqlStore, tenant: TenantId, id: IdImportId) -> Result<IdImport> {
    let mut conn = store
        .pool()
        .acquire()
        .await
        .map_err(storage("read import"))?;
    own_in(&mut conn, tenant, id).await
}

pub(crate) async fn list(
    store: &SqlStore,
    tenant: TenantId,
    page: &PageRequest<IdImportSort>,
) -> Result<Page<IdImport>> {
    let mut wh = Sql::new(" WHERE tenant_id = ");
    wh.bind(tenant.to_string());
    list_page(
        store.pool(),
        "iir_imports",
        COLUMNS,
        wh,
        page,
        import_from_row,
    )
    .await
}

pub(crate) async fn open(store: &SqlStore) -> Result<Vec<IdImport>> {
    let sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM iir_imports WHERE state IN {OPEN} ORDER BY created_at, id"
    ));
    sql.query()
        .fetch_all(store.pool())
        .await
        .map_err(storage("list open imports"))?
        .iter()
        .map(import_from_row)
        .collect()
}

pub(crate) async fn start(store: &SqlStore, id: IdImportId) -> Result<IdImport> {
    let mut tx = store.begin().await?;
    let mut sql =
        Sql::new("UPDATE iir_imports SET state = 'running', started_at = COALESCE(started_at, ");
    sql.bind(now().timestamp_millis())
        .push(") WHERE id = ")
        .bind(id.to_string())
        .push(&format!(" AND state IN {OPEN}"));
    sql.query()
        .execute(&mut *tx)
        .await
        .map_err(storage("start import"))?;
    let job = read_in(&mut tx, id).await?;
    tx.commit().await.map_err(storage("start import"))?;
    Ok(job)
}

pub(crate) async fn chunk(
    store: &SqlStore,
    tenant: TenantId,
    id: IdImportId,
    progress: &ImportProgress,
    records: &[IdentifierRecord],
) -> Result<(Vec<BatchOutcome>, IdImport)> {
    let mut tx = store.begin().await?;
    let outcomes = register_in(&mut tx, store.backend_kind(), tenant, records).await?;
    let created = outcomes
        .iter()
        .filter(|o| **o == BatchOutcome::Created)
        .count() as u64;
    let existing = outcomes.len() as u64 - created;
    let errors: Vec<&ImportRowError> = progress.errors.iter().take(MAX_IMPORT_ERRORS).collect();
    let mut sql = Sql::new("UPDATE iir_imports SET bytes_read = ");
    sql.bind(signed(progress.bytes_read))
        .push(", row_no = ")
        .bind(signed(progress.row))
        .push(", rows_read = ")
        .bind(signed(progress.rows_read))
        .push(", invalid = ")
        .bind(signed(progress.invalid))
        .push(", errors = ")
        .bind(to_json(&errors)?)
        .push(", created = created + ")
        .bind(signed(created))
        .push(", existing = existing + ")
        .bind(signed(existing))
        .push(" WHERE id = ")
        .bind(id.to_string())
        .and("tenant_id =", tenant.to_string());
    let n = sql
        .query()
        .execute(&mut *tx)
        .await
        .map_err(storage("record import progress"))?
        .rows_affected();
    if n == 0 {
        // The job was deleted (its tenant removed): nothing of the chunk is kept.
        return Err(Error::NotFound(Resource::IdImport));
    }
    let job = read_in(&mut tx, id).await?;
    tx.commit()
        .await
        .map_err(storage("record import progress"))?;
    Ok((outcomes, job))
}

pub(crate) async fn finish(
    store: &SqlStore,
    id: IdImportId,
    state: ImportState,
    failure: Option<&LocalText>,
) -> Result<IdImport> {
    let mut tx = store.begin().await?;
    let mut sql = Sql::new("UPDATE iir_imports SET state = ");
    sql.bind(state.as_str())
        .push(", failure = ")
        .bind(failure.map(to_json).transpose()?)
        .push(", finished_at = ")
        .bind(now().timestamp_millis())
        .push(" WHERE id = ")
        .bind(id.to_string())
        .push(&format!(" AND state IN {OPEN}"));
    let n = sql
        .query()
        .execute(&mut *tx)
        .await
        .map_err(storage("finish import"))?
        .rows_affected();
    let job = read_in(&mut tx, id).await?;
    if n == 0 {
        // Cancelled (and audited) meanwhile.
        tx.commit().await.map_err(storage("finish import"))?;
        return Ok(job);
    }
    let entry = audit_entry(
        Some(job.tenant_id),
        "import_finish",
        Resource::IdImport,
        id,
        json!({"state": state.as_str(), "rows": job.rows_read, "created": job.created,
            "existing": job.existing, "invalid": job.invalid,
            "failure": failure.map(|f| f.en.clone())}),
    );
    commit_audited(tx, &Actor::system("identifier import"), entry).await?;
    Ok(job)
}

pub(crate) async fn cancel(
    store: &SqlStore,
    actor: &Actor,
    tenant: TenantId,
    id: IdImportId,
) -> Result<IdImport> {
    let mut tx = store.begin().await?;
    let mut sql = Sql::new("UPDATE iir_imports SET state = 'cancelled', finished_at = ");
    sql.bind(now().timestamp_millis())
        .push(" WHERE id = ")
        .bind(id.to_string())
        .and("tenant_id =", tenant.to_string())
        .push(&format!(" AND state IN {OPEN}"));
    let n = sql
        .query()
        .execute(&mut *tx)
        .await
        .map_err(storage("cancel import"))?
        .rows_affected();
    let job = own_in(&mut tx, tenant, id).await?;
    if n == 0 {
        return Err(finished_already(&job));
    }
    let entry = audit_entry(
        Some(tenant),
        "import_cancel",
        Resource::IdImport,
        id,
        json!({"rows": job.rows_read, "created": job.created}),
    );
    commit_audited(tx, actor, entry).await?;
    Ok(job)
}

pub(crate) async fn delete(
    store: &SqlStore,
    actor: &Actor,
    tenant: TenantId,
    id: IdImportId,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let job = own_in(&mut tx, tenant, id).await?;
    if !job.state.is_finished() {
        return Err(Error::invalid(
            "state",
            FieldErrorKind::Other {
                en: "the import is still running: cancel it first".into(),
                zh: "导入任务仍在进行，请先取消".into(),
            },
        ));
    }
    let mut sql = Sql::new("DELETE FROM iir_imports WHERE id = ");
    sql.bind(id.to_string())
        .and("tenant_id =", tenant.to_string());
    sql.query()
        .execute(&mut *tx)
        .await
        .map_err(storage("delete import"))?;
    let entry = audit_entry(Some(tenant), "delete", Resource::IdImport, id, json!({}));
    commit_audited(tx, actor, entry).await
}
