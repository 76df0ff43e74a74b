//! The grouped counts and records of the evaluation report (see
//! `ironloom_core::evaluation`): devices by tenant, category and kind; calls, releases,
//! subscribers and paying tenants; the devices behind a connected or managed count.

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ironloom_core::app::AppManifest;
use ironloom_core::enterprise::{EnterpriseProfile, region_prefix};
use ironloom_core::entity::Page;
use ironloom_core::error::Result;
use ironloom_core::evaluation::{AppFacts, DeviceGroup, DeviceRecord, RecordFilter};
use ironloom_core::ids::TenantId;
use ironloom_core::industry::DeviceCategory;
use ironloom_core::repo::{EnterpriseRepo, EvaluationRepo};
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn category(row: &AnyRow) -> Result<DeviceCategory> {
    enum_col(row, "category", DeviceCategory::parse)
}

/// Appends the filter's conditions on `d` (devices), `p` (products) and, for industry and
/// region, the tenant's profile.
fn filtered(sql: &mut Sql, f: &RecordFilter) {
    if let Some(t) = f.tenant {
        sql.and("d.tenant_id =", t.to_string());
    }
    if let Some(c) = f.category {
        sql.and("p.category =", c.as_str());
    }
    if let Some(k) = &f.kind {
        sql.and("p.kind =", k.clone());
    }
    if f.industry.is_some() || f.region.is_some() {
        sql.push(" AND d.tenant_id IN (SELECT tenant_id FROM enterprise_profiles WHERE 1 = 1");
        if let Some(i) = &f.industry {
            sql.and_prefix("industry", i);
        }
        if let Some(r) = &f.region {
            sql.and_prefix("region", region_prefix(r));
        }
        sql.push(")");
    }
}

const RECORD_COLS: &str = "d.id AS device_id, d.name AS device_name, d.tenant_id, \
    t.code AS tenant_code, p.product_key, p.category, p.kind";

fn record(row: &AnyRow) -> Result<DeviceRecord> {
    Ok(DeviceRecord {
        device_id: parse(row, "device_id")?,
        device_name: text(row, "device_name")?,
        tenant_id: parse(row, "tenant_id")?,
        tenant_code: text(row, "tenant_code")?,
        product_key: text(row, "product_key")?,
        category: category(row)?,
        kind: opt_text(row, "kind")?,
        count: to_u64(int(row, "n")?),
        values: to_u64(int(row, "v")?),
        properties: to_u64(int(row, "props")?),
        first_at: ts(row, "first_at")?,
        last_at: ts(row, "last_at")?,
    })
}

impl SqlStore {
    /// Runs a count of `from_where` and one page of `select … from_where order`.
    async fn record_page(
        &self,
        select: &str,
        from_where: Sql,
        order: &str,
        page: u32,
        page_size: u32,
    ) -> Result<Page<DeviceRecord>> {
        let count_sql = Sql {
            text: format!("SELECT COUNT(*) AS n FROM ({select}{}) x", from_where.text),
            args: from_where.args.clone(),
        };
        let total = count(
            &count_sql
                .query()
                .fetch_one(self.pool())
                .await
                .map_err(storage("count report records"))?,
        )?;
        let mut q = Sql {
            text: format!("{select}{}{order} LIMIT ", from_where.text),
            args: from_where.args,
        };
        let page = page.max(1);
        q.bind(i64::from(page_size))
            .push(" OFFSET ")
            .bind(i64::from(page - 1) * i64::from(page_size));
        let rows = q
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list report records"))?;
        Ok(Page {
            items: rows.iter().map(record).collect::<Result<_>>()?,
            total,
            page,
            page_size,
        })
    }
}

#[async_trait]
impl EvaluationRepo for SqlStore {
    async fn device_groups(
        &self,
        month: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        tenant: Option<TenantId>,
    ) -> Result<Vec<DeviceGroup>> {
        type Key = (String, String, Option<String>);
        let mut groups: BTreeMap<Key, DeviceGroup> = BTreeMap::new();
        let group_by = " GROUP BY d.tenant_id, p.category, p.kind";
        let head = "SELECT d.tenant_id, p.category, p.kind, ";
        let only = |sql: &mut Sql, col: &str| {
            if let Some(t) = tenant {
                sql.and(col, t.to_string());
            }
        };
        let mut registered = Sql::new(&format!(
            "{head}COUNT(*) AS n, 0 AS pts FROM devices d JOIN products p ON p.id = d.product_id \
             WHERE 1 = 1"
        ));
        only(&mut registered, "d.tenant_id =");
        registered.push(group_by);
        let mut connected = Sql::new(&format!(
            "{head}COUNT(*) AS n, CAST(SUM(a.property_count) AS BIGINT) AS pts FROM device_activity a \
             JOIN devices d ON d.id = a.device_id JOIN products p ON p.id = d.product_id \
             WHERE a.month = "
        ));
        connected.bind(month);
        only(&mut connected, "a.tenant_id =");
        connected.push(group_by);
        let mut managed = Sql::new(&format!(
            "{head}COUNT(DISTINCT c.device_id) AS n, 0 AS pts FROM device_commands c \
             JOIN devices d ON d.id = c.device_id JOIN products p ON p.id = d.product_id \
             WHERE c.status = 'succeeded' AND c.completed_at >= "
        ));
        managed.bind(from).and("c.completed_at <", to);
        only(&mut managed, "c.tenant_id =");
        managed.push(group_by);
        for (i, sql) in [registered, connected, managed].into_iter().enumerate() {
            let rows = sql
                .query()
                .fetch_all(self.pool())
                .await
                .map_err(storage("count devices for the report"))?;
            for r in &rows {
                let tenant: String = text(r, "tenant_id")?;
                let kind = opt_text(r, "kind")?;
                let cat = category(r)?;
                let n = to_u64(int(r, "n")?);
                let g = groups
                    .entry((tenant.clone(), cat.as_str().to_owned(), kind.clone()))
                    .or_insert(DeviceGroup {
                        tenant_id: parse(r, "tenant_id")?,
                        category: cat,
                        kind,
                        registered: 0,
                        connected: 0,
                        managed: 0,
                        points: 0,
                    });
                match i {
                    0 => g.registered = n,
                    1 => {
                        g.connected = n;
                        g.points = to_u64(opt_int(r, "pts")?.unwrap_or(0));
                    }
                    _ => g.managed = n,
                }
            }
        }
        Ok(groups.into_values().collect())
    }

    async fn model_calls(
        &self,
        from: &str,
        to: &str,
        tenant: Option<TenantId>,
    ) -> Result<Vec<(TenantId, String, u64)>> {
        let mut sql = Sql::new(
            "SELECT tenant_id, month, CAST(SUM(calls) AS BIGINT) AS n FROM model_usage WHERE month >= ",
        );
        sql.bind(from).and("month <=", to);
        if let Some(t) = tenant {
            sql.and("tenant_id =", t.to_string());
        }
        sql.push(" GROUP BY tenant_id, month ORDER BY month");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read model calls"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse(r, "tenant_id")?,
                    text(r, "month")?,
                    to_u64(int(r, "n")?),
                ))
            })
            .collect()
    }

    async fn released_apps(&self) -> Result<Vec<AppFacts>> {
        let rows = Sql::new(
            "SELECT r.app_id, r.manifest, dv.first_party FROM market_releases r \
             JOIN developers dv ON dv.id = r.developer_id \
             WHERE r.released_at = (SELECT MAX(r2.released_at) FROM market_releases r2 \
             WHERE r2.app_id = r.app_id) ORDER BY r.app_id",
        )
        .query()
        .fetch_all(self.pool())
        .await
        .map_err(storage("read released apps"))?;
        let mut out: Vec<AppFacts> = Vec::with_capacity(rows.len());
        for r in &rows {
            let m: AppManifest = json(r, "manifest")?;
            let app_id = text(r, "app_id")?;
            // Two releases at one instant: the app once.
            if out.last().is_some_and(|a| a.app_id == app_id) {
                continue;
            }
            out.push(AppFacts {
                app_id,
                industries: m.industries,
                domains: m.domains,
                first_party: flag(r, "first_party")?,
            });
        }
        Ok(out)
    }

    async fn store_subscribers(&self) -> Result<Vec<TenantId>> {
        let rows = Sql::new(
            "SELECT DISTINCT tenant_id FROM app_packages WHERE uploaded_by LIKE 'market (%'",
        )
        .query()
        .fetch_all(self.pool())
        .await
        .map_err(storage("read subscribing tenants"))?;
        rows.iter().map(|r| parse(r, "tenant_id")).collect()
    }

    async fn paying_tenants(&self) -> Result<Vec<TenantId>> {
        let rows = Sql::new(
            "SELECT DISTINCT tenant_id FROM market_orders WHERE paid_at IS NOT NULL AND amount > 0",
        )
        .query()
        .fetch_all(self.pool())
        .await
        .map_err(storage("read paying tenants"))?;
        rows.iter().map(|r| parse(r, "tenant_id")).collect()
    }

    async fn all_profiles(&self) -> Result<Vec<EnterpriseProfile>> {
        let mut out = Vec::new();
        let mut page = ironloom_core::entity::PageRequest::<ironloom_core::entity::ProfileSort> {
            page: 1,
            page_size: 1000,
            ..Default::default()
        };
        loop {
            let p = self.list_profiles(&Default::default(), &page).await?;
            let n = p.items.len();
            out.extend(p.items);
            if n < page.page_size as usize {
                return Ok(out);
            }
            page.page += 1;
        }
    }

    async fn put_snapshot(
        &self,
        month: &str,
        computed_at: DateTime<Utc>,
        version: &str,
        report: &str,
        replace: bool,
    ) -> Result<bool> {
        let mut sql = Sql::new(
            "INSERT INTO evaluation_snapshots (month, computed_at, version, report) VALUES (",
        );
        sql.bind(month)
            .push(", ")
            .bind(computed_at)
            .push(", ")
            .bind(version)
            .push(", ")
            .bind(report)
            .push(if replace {
                ") ON CONFLICT (month) DO UPDATE SET computed_at = excluded.computed_at, \
                 version = excluded.version, report = excluded.report"
            } else {
                ") ON CONFLICT (month) DO NOTHING"
            });
        let done = sql
            .query()
            .execute(self.pool())
            .await
            .map_err(storage("keep evaluation snapshot"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn snapshots(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, DateTime<Utc>, String, String)>> {
        let mut sql = Sql::new(
            "SELECT month, computed_at, version, report FROM evaluation_snapshots WHERE month >= ",
        );
        sql.bind(from).and("month <=", to).push(" ORDER BY month");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read evaluation snapshots"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    text(r, "month")?,
                    ts(r, "computed_at")?,
                    text(r, "version")?,
                    text(r, "report")?,
                ))
            })
            .collect()
    }

    async fn connected_devices(
        &self,
        month: &str,
        filter: &RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<DeviceRecord>> {
        let select = format!(
            "SELECT {RECORD_COLS}, a.messages AS n, a.points AS v, a.property_count AS props, \
             a.first_at, a.last_at"
        );
        let mut fw = Sql::new(
            " FROM device_activity a JOIN devices d ON d.id = a.device_id \
             JOIN products p ON p.id = d.product_id JOIN tenants t ON t.id = d.tenant_id \
             WHERE a.month = ",
        );
        fw.bind(month);
        filtered(&mut fw, filter);
        self.record_page(&select, fw, " ORDER BY t.code, d.name", page, page_size)
            .await
    }

    async fn managed_devices(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<DeviceRecord>> {
        let select = format!(
            "SELECT {RECORD_COLS}, COUNT(*) AS n, 0 AS v, 0 AS props, \
             MIN(c.completed_at) AS first_at, MAX(c.completed_at) AS last_at"
        );
        let mut fw = Sql::new(
            " FROM device_commands c JOIN devices d ON d.id = c.device_id \
             JOIN products p ON p.id = d.product_id JOIN tenants t ON t.id = d.tenant_id \
             WHERE c.status = 'succeeded' AND c.completed_at >= ",
        );
        fw.bind(from).and("c.completed_at <", to);
        filtered(&mut fw, filter);
        fw.push(" GROUP BY d.id, d.name, d.tenant_id, t.code, p.product_key, p.category, p.kind");
        self.record_page(&select, fw, " ORDER BY t.code, d.name", page, page_size)
            .await
    }
}
