//! Model bindings and jobs over history.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{BindingId, JobId, TenantId};
use ironloom_core::model_run::{
    BindingSpec, Job, JobStatus, MAX_BINDINGS_PER_TENANT, ModelBinding,
};
use ironloom_core::repo::{ModelRunRepo, Scope};
use serde_json::json;
use sqlx::any::AnyRow;

const BINDING_COLUMNS: &str = "id, tenant_id, document, created_at, updated_at";

fn binding_from_row(row: &AnyRow) -> Result<ModelBinding> {
    Ok(ModelBinding {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        spec: json(row, "document")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

const BINDINGS: Table<ModelBinding> = Table {
    name: "model_bindings",
    columns: BINDING_COLUMNS,
    decode: binding_from_row,
    resource: Resource::ModelBinding,
    read: "read model binding",
};

const JOB_COLUMNS: &str = "id, tenant_id, status, document, progress, points_read, rows_out, \
     written, error, result, created_by, created_at, started_at, finished_at";

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn unreadable(detail: String) -> Error {
    Error::Storage {
        action: "read model job",
        detail,
    }
}

fn job_from_row(row: &AnyRow) -> Result<Job> {
    let status = text(row, "status")?;
    Ok(Job {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        spec: json(row, "document")?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| unreadable(format!("unknown status {status:?}")))?,
        progress: int(row, "progress")? as f64 / 1e6,
        points_read: to_u64(int(row, "points_read")?),
        rows: to_u64(int(row, "rows_out")?),
        written: to_u64(int(row, "written")?),
        error: opt_text(row, "error")?
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(|e| unreadable(e.to_string()))?,
        result: opt_text(row, "result")?
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(|e| unreadable(e.to_string()))?,
        created_by: text(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        started_at: opt_ts(row, "started_at")?,
        finished_at: opt_ts(row, "finished_at")?,
    })
}

const JOBS: Table<Job> = Table {
    name: "model_jobs",
    columns: JOB_COLUMNS,
    decode: job_from_row,
    resource: Resource::ModelJob,
    read: "read model job",
};

fn progress_ppm(p: f64) -> i64 {
    (p.clamp(0.0, 1.0) * 1e6).round() as i64
}

fn opt_json<T: serde::Serialize>(v: &Option<T>) -> Result<Option<String>> {
    v.as_ref().map(to_json).transpose()
}

#[async_trait]
impl ModelRunRepo for SqlStore {
    async fn create_binding(
        &self,
        actor: &Actor,
        tenant: TenantId,
        spec: BindingSpec,
    ) -> Result<ModelBinding> {
        let mut tx = self.begin().await?;
        let mut n = Sql::new("SELECT COUNT(*) AS n FROM model_bindings WHERE tenant_id = ");
        n.bind(tenant.to_string());
        let have = count(
            &n.query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("count model bindings"))?,
        )?;
        if have >= MAX_BINDINGS_PER_TENANT as u64 {
            return Err(Error::QuotaExceeded {
                what: Resource::ModelBinding,
                limit: MAX_BINDINGS_PER_TENANT as u64,
            });
        }
        let now = truncate_ms(now());
        let b = ModelBinding {
            id: BindingId::new(),
            tenant_id: tenant,
            spec,
            created_at: now,
            updated_at: now,
        };
        let mut sql = Sql::new(
            "INSERT INTO model_bindings (id, tenant_id, name, product_key, enabled, document, created_at, updated_at) VALUES (",
        );
        sql.bind(b.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(b.spec.name.clone())
            .push(", ")
            .bind(b.spec.product_key.clone())
            .push(", ")
            .bind(b.spec.enabled)
            .push(", ")
            .bind(to_json(&b.spec)?)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create model binding", Resource::ModelBinding))
            .map_err(|e| with_value(e, "name", &b.spec.name))?;
        let details = json!({"name": b.spec.name, "product_key": b.spec.product_key,
            "model": b.spec.model, "enabled": b.spec.enabled});
        let entry = audit_entry(
            Some(tenant),
            "create",
            Resource::ModelBinding,
            b.id,
            details,
        );
        commit_audited(tx, actor, entry).await?;
        Ok(b)
    }

    async fn get_binding(&self, tenant: TenantId, id: BindingId) -> Result<ModelBinding> {
        self.get_row(&BINDINGS, Scope::Tenant(tenant), id).await
    }

    async fn list_bindings(
        &self,
        tenant: TenantId,
        product_key: Option<&str>,
    ) -> Result<Vec<ModelBinding>> {
        let mut sql = Sql::new(&format!(
            "SELECT {BINDING_COLUMNS} FROM model_bindings WHERE tenant_id = "
        ));
        sql.bind(tenant.to_string());
        if let Some(k) = product_key {
            sql.and("product_key =", k);
        }
        sql.push(" ORDER BY name");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list model bindings"))?;
        rows.iter().map(binding_from_row).collect()
    }

    async fn update_binding(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: BindingId,
        spec: BindingSpec,
    ) -> Result<ModelBinding> {
        let mut tx = self.begin().await?;
        let mut b = self
            .in_tenant(&mut tx, &BINDINGS, tenant, id, Lock::ForUpdate)
            .await?;
        let before = std::mem::replace(&mut b.spec, spec);
        b.updated_at = truncate_ms(now());
        let mut sql = Sql::new("UPDATE model_bindings SET name = ");
        sql.bind(b.spec.name.clone())
            .push(", product_key = ")
            .bind(b.spec.product_key.clone())
            .push(", enabled = ")
            .bind(b.spec.enabled)
            .push(", document = ")
            .bind(to_json(&b.spec)?)
            .push(", updated_at = ")
            .bind(b.updated_at)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("update model binding", Resource::ModelBinding))
            .map_err(|e| with_value(e, "name", &b.spec.name))?;
        let mut changes = Changes::default();
        changes.diff("name", &before.name, &b.spec.name);
        changes.diff("model", &before.model, &b.spec.model);
        changes.diff("enabled", &before.enabled, &b.spec.enabled);
        changes.diff("inputs", &before.inputs, &b.spec.inputs);
        changes.diff("outputs", &before.outputs, &b.spec.outputs);
        let entry = audit_entry(
            Some(tenant),
            "update",
            Resource::ModelBinding,
            id,
            changes.into(),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(b)
    }

    async fn delete_binding(&self, actor: &Actor, tenant: TenantId, id: BindingId) -> Result<()> {
        let mut tx = self.begin().await?;
        let b = self
            .in_tenant(&mut tx, &BINDINGS, tenant, id, Lock::ForUpdate)
            .await?;
        let mut sql = Sql::new("DELETE FROM model_bindings WHERE id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete model binding"))?;
        let details = json!({"name": b.spec.name, "model": b.spec.model});
        let entry = audit_entry(Some(tenant), "delete", Resource::ModelBinding, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(())
    }

    async fn enabled_bindings(&self) -> Result<Vec<ModelBinding>> {
        let mut sql = Sql::new(&format!(
            "SELECT {BINDING_COLUMNS} FROM model_bindings WHERE enabled = "
        ));
        sql.bind(true).push(" ORDER BY tenant_id, name");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read enabled model bindings"))?;
        rows.iter().map(binding_from_row).collect()
    }

    async fn create_job(&self, actor: &Actor, job: &Job) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(&format!(
            "INSERT INTO model_jobs (model, {JOB_COLUMNS}) VALUES ("
        ));
        sql.bind(job.spec.model.clone())
            .push(", ")
            .bind(job.id.to_string())
            .push(", ")
            .bind(job.tenant_id.to_string())
            .push(", ")
            .bind(job.status.as_str())
            .push(", ")
            .bind(to_json(&job.spec)?)
            .push(", ")
            .bind(progress_ppm(job.progress))
            .push(", ")
            .bind(to_i64(job.points_read))
            .push(", ")
            .bind(to_i64(job.rows))
            .push(", ")
            .bind(to_i64(job.written))
            .push(", ")
            .bind(opt_json(&job.error)?)
            .push(", ")
            .bind(opt_json(&job.result)?)
            .push(", ")
            .bind(job.created_by.clone())
            .push(", ")
            .bind(job.created_at)
            .push(", ")
            .bind(job.started_at)
            .push(", ")
            .bind(job.finished_at)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("create model job"))?;
        let details = json!({"model": job.spec.model, "from": job.spec.from, "to": job.spec.to,
            "write_back": job.spec.write_back.is_some()});
        let entry = audit_entry(
            Some(job.tenant_id),
            "create",
            Resource::ModelJob,
            job.id,
            details,
        );
        commit_audited(tx, actor, entry).await
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Job> {
        self.get_row(&JOBS, Scope::Tenant(tenant), id).await
    }

    async fn list_jobs(&self, tenant: TenantId, page: &PageRequest<JobSort>) -> Result<Page<Job>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        list_page(
            self.pool(),
            "model_jobs",
            JOB_COLUMNS,
            wh,
            page,
            job_from_row,
        )
        .await
    }

    async fn save_job(&self, job: &Job) -> Result<()> {
        let mut sql = Sql::new("UPDATE model_jobs SET status = ");
        sql.bind(job.status.as_str())
            .push(", progress = ")
            .bind(progress_ppm(job.progress))
            .push(", points_read = ")
            .bind(to_i64(job.points_read))
            .push(", rows_out = ")
            .bind(to_i64(job.rows))
            .push(", written = ")
            .bind(to_i64(job.written))
            .push(", error = ")
            .bind(opt_json(&job.error)?)
            .push(", result = ")
            .bind(opt_json(&job.result)?)
            .push(", started_at = ")
            .bind(job.started_at)
            .push(", finished_at = ")
            .bind(job.finished_at)
            .push(" WHERE id = ")
            .bind(job.id.to_string())
            .and("tenant_id =", job.tenant_id.to_string());
        sql.query()
            .execute(self.pool())
            .await
            .map_err(storage("save model job"))?;
        Ok(())
    }

    async fn interrupt_jobs(&self) -> Result<u64> {
        let mut sql = Sql::new("UPDATE model_jobs SET status = ");
        sql.bind(JobStatus::Interrupted.as_str())
            .push(", finished_at = ")
            .bind(truncate_ms(now()))
            .push(" WHERE status IN (")
            .bind(JobStatus::Queued.as_str())
            .push(", ")
            .bind(JobStatus::Running.as_str())
            .push(")");
        let done = sql
            .query()
            .execute(self.pool())
            .await
            .map_err(storage("mark interrupted model jobs"))?;
        Ok(done.rows_affected())
    }
}
