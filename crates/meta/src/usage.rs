//! Model and algorithm usage counts.

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::TenantId;
use ironloom_core::model::{CallSource, UsageRow};
use ironloom_core::repo::UsageRepo;

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[async_trait]
impl UsageRepo for SqlStore {
    async fn add_model_usage(&self, tenant: TenantId, rows: &[UsageRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for r in rows {
            let mut sql = Sql::new(
                "INSERT INTO model_usage (tenant_id, month, model, source, calls, errors, cpu_us) VALUES (",
            );
            sql.bind(tenant.to_string())
                .push(", ")
                .bind(r.month.clone())
                .push(", ")
                .bind(r.model.clone())
                .push(", ")
                .bind(r.source.as_str())
                .push(", ")
                .bind(to_i64(r.calls))
                .push(", ")
                .bind(to_i64(r.errors))
                .push(", ")
                .bind(to_i64(r.cpu_us))
                .push(
                    ") ON CONFLICT (tenant_id, month, model, source) DO UPDATE SET \
                     calls = model_usage.calls + excluded.calls, \
                     errors = model_usage.errors + excluded.errors, \
                     cpu_us = model_usage.cpu_us + excluded.cpu_us",
                );
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("record model usage"))?;
        }
        tx.commit().await.map_err(storage("record model usage"))?;
        Ok(())
    }

    async fn model_usage(&self, tenant: TenantId, from: &str, to: &str) -> Result<Vec<UsageRow>> {
        let mut sql = Sql::new(
            "SELECT month, model, source, calls, errors, cpu_us FROM model_usage WHERE tenant_id = ",
        );
        sql.bind(tenant.to_string())
            .and("month >=", from)
            .and("month <=", to)
            .push(" ORDER BY month, model, source");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read model usage"))?;
        rows.iter()
            .map(|row| {
                let source = text(row, "source")?;
                Ok(UsageRow {
                    month: text(row, "month")?,
                    model: text(row, "model")?,
                    source: CallSource::parse(&source).ok_or_else(|| {
                        Error::storage("read model usage", format!("unknown source {source:?}"))
                    })?,
                    calls: to_u64(int(row, "calls")?),
                    errors: to_u64(int(row, "errors")?),
                    cpu_us: to_u64(int(row, "cpu_us")?),
                })
            })
            .collect()
    }
}
