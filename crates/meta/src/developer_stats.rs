//! The raw counts behind the marketplace's developer analytics and developer counts: API
//! requests per developer and month, the developers with their apps, submission times,
//! the apps' use in the tenants that took them from the store, and developers' earnings.

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ironloom_core::developer_stats::*;
use ironloom_core::error::Result;
use ironloom_core::ids::DeveloperId;
use ironloom_core::market::DeveloperStatus;
use ironloom_core::repo::DeveloperStatsRepo;
use std::collections::HashMap;

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[async_trait]
impl DeveloperStatsRepo for SqlStore {
    async fn add_developer_api_usage(&self, rows: &[DeveloperApiUsage]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for r in rows {
            let mut sql = Sql::new(
                "INSERT INTO market_developer_usage (developer_id, month, calls, key_calls) VALUES (",
            );
            sql.bind(r.developer_id.to_string())
                .push(", ")
                .bind(r.month.clone())
                .push(", ")
                .bind(to_i64(r.calls))
                .push(", ")
                .bind(to_i64(r.key_calls))
                .push(
                    ") ON CONFLICT (developer_id, month) DO UPDATE SET \
                     calls = market_developer_usage.calls + excluded.calls, \
                     key_calls = market_developer_usage.key_calls + excluded.key_calls",
                );
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("record developer API usage"))?;
        }
        tx.commit()
            .await
            .map_err(storage("record developer API usage"))?;
        Ok(())
    }

    async fn developer_api_usage(
        &self,
        developer: Option<DeveloperId>,
        from: &str,
        to: &str,
    ) -> Result<Vec<DeveloperApiUsage>> {
        let mut sql = Sql::new(
            "SELECT developer_id, month, calls, key_calls FROM market_developer_usage WHERE month >= ",
        );
        sql.bind(from).and("month <=", to);
        if let Some(d) = developer {
            sql.and("developer_id =", d.to_string());
        }
        sql.push(" ORDER BY month, developer_id");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read developer API usage"))?;
        rows.iter()
            .map(|r| {
                Ok(DeveloperApiUsage {
                    developer_id: parse(r, "developer_id")?,
                    month: text(r, "month")?,
                    calls: to_u64(int(r, "calls")?),
                    key_calls: to_u64(int(r, "key_calls")?),
                })
            })
            .collect()
    }

    async fn developer_census(
        &self,
        developer: Option<DeveloperId>,
    ) -> Result<Vec<DeveloperCensus>> {
        let mut apps = Sql::new("SELECT app_id, developer_id FROM market_apps WHERE 1 = 1");
        let mut devs =
            Sql::new("SELECT id, first_party, status, created_at FROM developers WHERE 1 = 1");
        if let Some(d) = developer {
            apps.and("developer_id =", d.to_string());
            devs.and("id =", d.to_string());
        }
        apps.push(" ORDER BY app_id");
        devs.push(" ORDER BY created_at, id");
        let apps = apps
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read marketplace apps"))?;
        let mut owned: HashMap<String, Vec<String>> = HashMap::new();
        for r in &apps {
            owned
                .entry(text(r, "developer_id")?)
                .or_default()
                .push(text(r, "app_id")?);
        }
        let rows = devs
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read developers"))?;
        rows.iter()
            .map(|r| {
                let id = text(r, "id")?;
                Ok(DeveloperCensus {
                    id: parse(r, "id")?,
                    first_party: flag(r, "first_party")?,
                    status: enum_col(r, "status", DeveloperStatus::parse)?,
                    created_at: ts(r, "created_at")?,
                    apps: owned.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn submission_times(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DeveloperId, DateTime<Utc>)>> {
        let mut sql = Sql::new(
            "SELECT developer_id, created_at FROM market_submissions WHERE created_at >= ",
        );
        sql.bind(since.timestamp_millis());
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read submission times"))?;
        rows.iter()
            .map(|r| Ok((parse(r, "developer_id")?, ts(r, "created_at")?)))
            .collect()
    }

    async fn store_app_usage(
        &self,
        developer: Option<DeveloperId>,
        from: &str,
        to: &str,
    ) -> Result<Vec<StoreAppUsage>> {
        let mut sql = Sql::new(
            "SELECT u.app_id, u.month, CAST(SUM(u.invocations) AS BIGINT) AS invocations, \
             CAST(SUM(u.errors) AS BIGINT) AS errors, CAST(SUM(u.host_calls) AS BIGINT) AS host_calls \
             FROM app_usage u JOIN market_apps m ON m.app_id = u.app_id \
             WHERE EXISTS (SELECT 1 FROM app_packages p WHERE p.tenant_id = u.tenant_id \
             AND p.app_id = u.app_id AND p.uploaded_by LIKE 'market (%') AND u.month >= ",
        );
        sql.bind(from).and("u.month <=", to);
        if let Some(d) = developer {
            sql.and("m.developer_id =", d.to_string());
        }
        sql.push(" GROUP BY u.app_id, u.month ORDER BY u.month, u.app_id");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read store app usage"))?;
        rows.iter()
            .map(|r| {
                Ok(StoreAppUsage {
                    app_id: text(r, "app_id")?,
                    month: text(r, "month")?,
                    invocations: to_u64(opt_int(r, "invocations")?.unwrap_or(0)),
                    errors: to_u64(opt_int(r, "errors")?.unwrap_or(0)),
                    host_calls: to_u64(opt_int(r, "host_calls")?.unwrap_or(0)),
                })
            })
            .collect()
    }

    async fn store_reach(&self) -> Result<(u64, u64)> {
        let apps = Sql::new("SELECT COUNT(DISTINCT app_id) AS n FROM market_releases")
            .query()
            .fetch_one(self.pool())
            .await
            .map_err(storage("count released apps"))?;
        let tenants = Sql::new(
            "SELECT COUNT(DISTINCT tenant_id) AS n FROM app_packages \
             WHERE uploaded_by LIKE 'market (%'",
        )
        .query()
        .fetch_one(self.pool())
        .await
        .map_err(storage("count subscribing tenants"))?;
        Ok((count(&apps)?, count(&tenants)?))
    }

    async fn developer_earnings(&self, developer: DeveloperId) -> Result<Vec<Earning>> {
        let mut sql = Sql::new(
            "SELECT app_id, amount, fee, status, paid_at, closed_at FROM market_orders \
             WHERE paid_at IS NOT NULL AND developer_id = ",
        );
        sql.bind(developer.to_string()).push(" ORDER BY paid_at");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read developer earnings"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let app_id = text(r, "app_id")?;
            let share = int(r, "amount")? - int(r, "fee")?;
            out.push(Earning {
                app_id: app_id.clone(),
                posted_at: ts(r, "paid_at")?,
                amount: share,
            });
            // A refund takes the share back when it is made.
            if text(r, "status")? == "refunded"
                && let Some(at) = opt_ts(r, "closed_at")?
            {
                out.push(Earning {
                    app_id,
                    posted_at: at,
                    amount: -share,
                });
            }
        }
        Ok(out)
    }
}
