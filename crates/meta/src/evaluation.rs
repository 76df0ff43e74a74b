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
use ironloom_core::evaluation::{AppFacts, DeviceGroup, DeviceRecord, RecordFilter, TenantRecord};
use ironloom_core::ids::TenantId;
use ironloom_core::industry::DeviceCategory;
use ironloom_core::load::{LoadFigures, LoadRow};
use ironloom_core::repo::{EnterpriseRepo, EvaluationRepo};
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn category(row: &AnyRow) -> Result<DeviceCategory> {
    enum_col(row, "category", DeviceCategory::parse)
}

/// Appends the filter's conditions on a month table aliased `a` (`device_activity` or
/// `device_managed`: tenant and product columns), so that a count needs no join.
fn filtered(sql: &mut Sql, f: &RecordFilter) {
    if let Some(t) = f.tenant {
        sql.and("a.tenant_id =", t.to_string());
    }
    if f.category.is_some() || f.kind.is_some() {
        sql.push(" AND a.product_id IN (SELECT id FROM products WHERE 1 = 1");
        if let Some(c) = f.category {
            sql.and("category =", c.as_str());
        }
        if let Some(k) = &f.kind {
            sql.and("kind =", k.clone());
        }
        sql.push(")");
    }
    if f.industry.is_some() || f.region.is_some() {
        sql.push(" AND a.tenant_id IN (SELECT tenant_id FROM enterprise_profiles WHERE 1 = 1");
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
    /// The count a `SELECT COUNT(*) AS n …` answers.
    async fn total(&self, sql: &Sql) -> Result<u64> {
        count(
            &sql.query()
                .fetch_one(self.pool())
                .await
                .map_err(storage("count report records"))?,
        )
    }

    /// One page of the month table `table` (aliased `a`) for `month` and `filter`, in
    /// index order (tenant, device), with each device's name, tenant and product; and the
    /// count of all, from the table alone. `select` names the table's own columns as `n`
    /// (count), `v` (values), `props`, `first_at` and `last_at`.
    async fn record_page(
        &self,
        table: &str,
        select: &str,
        month: &str,
        filter: &RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<DeviceRecord>> {
        let mut count_sql = Sql::new(&format!(
            "SELECT COUNT(*) AS n FROM {table} a WHERE a.month = "
        ));
        count_sql.bind(month);
        filtered(&mut count_sql, filter);
        let total = self.total(&count_sql).await?;
        // The page is taken from the month table alone (a deep page skips index entries,
        // not joined rows), then joined.
        let mut q = Sql::new(&format!(
            "SELECT {RECORD_COLS}, {select} FROM (SELECT * FROM {table} a WHERE a.month = "
        ));
        q.bind(month);
        filtered(&mut q, filter);
        let page = page.max(1);
        q.push(" ORDER BY a.tenant_id, a.device_id LIMIT ")
            .bind(i64::from(page_size))
            .push(" OFFSET ")
            .bind(i64::from(page - 1) * i64::from(page_size))
            .push(
                ") a JOIN devices d ON d.id = a.device_id JOIN products p ON p.id = d.product_id \
                 JOIN tenants t ON t.id = a.tenant_id ORDER BY a.tenant_id, a.device_id",
            );
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

impl SqlStore {
    /// One page of `select from_where order` as tenant records, with the count of all.
    async fn tenant_page(
        &self,
        select: &str,
        from_where: Sql,
        order: &str,
        page: u32,
        page_size: u32,
    ) -> Result<Page<TenantRecord>> {
        let count_sql = Sql {
            text: format!("SELECT COUNT(*) AS n{}", from_where.text),
            args: from_where.args.clone(),
        };
        let total = self.total(&count_sql).await?;
        let page = page.max(1);
        let mut q = Sql {
            text: format!("SELECT {select}{}{order} LIMIT ", from_where.text),
            args: from_where.args,
        };
        q.bind(i64::from(page_size))
            .push(" OFFSET ")
            .bind(i64::from(page - 1) * i64::from(page_size));
        let rows = q
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list report records"))?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(TenantRecord {
                    tenant_id: parse(r, "tenant_id")?,
                    tenant_code: text(r, "tenant_code")?,
                    item: text(r, "item")?,
                    detail: text(r, "detail")?,
                    month: opt_text(r, "month")?,
                    count: to_u64(int(r, "n")?),
                    errors: to_u64(int(r, "errors")?),
                    at: opt_ts(r, "at")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
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
        tenant: Option<TenantId>,
    ) -> Result<Vec<DeviceGroup>> {
        // Products with their tenant, category and kind; then each count per product, from
        // one table each (an index scan), added up here.
        let mut products =
            Sql::new("SELECT id, tenant_id, category, kind FROM products WHERE 1 = 1");
        if let Some(t) = tenant {
            products.and("tenant_id =", t.to_string());
        }
        let rows = products
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("count devices for the report"))?;
        let mut of: BTreeMap<String, (TenantId, DeviceCategory, Option<String>)> = BTreeMap::new();
        for r in &rows {
            of.insert(
                text(r, "id")?,
                (parse(r, "tenant_id")?, category(r)?, opt_text(r, "kind")?),
            );
        }
        let only = |sql: &mut Sql| {
            if let Some(t) = tenant {
                sql.and("tenant_id =", t.to_string());
            }
        };
        let mut registered =
            Sql::new("SELECT product_id, COUNT(*) AS n, 0 AS pts FROM devices WHERE 1 = 1");
        only(&mut registered);
        registered.push(" GROUP BY product_id");
        let mut connected = Sql::new(
            "SELECT product_id, COUNT(*) AS n, CAST(SUM(property_count) AS BIGINT) AS pts \
             FROM device_activity WHERE month = ",
        );
        connected.bind(month);
        only(&mut connected);
        connected.push(" GROUP BY product_id");
        let mut managed = Sql::new(
            "SELECT product_id, COUNT(*) AS n, 0 AS pts FROM device_managed WHERE month = ",
        );
        managed.bind(month);
        only(&mut managed);
        managed.push(" GROUP BY product_id");
        type Key = (TenantId, &'static str, Option<String>);
        let mut groups: BTreeMap<Key, DeviceGroup> = BTreeMap::new();
        for (i, sql) in [registered, connected, managed].into_iter().enumerate() {
            let rows = sql
                .query()
                .fetch_all(self.pool())
                .await
                .map_err(storage("count devices for the report"))?;
            for r in &rows {
                // A row of a product deleted meanwhile (or of none) counts nowhere.
                let Some((tenant_id, cat, kind)) =
                    opt_text(r, "product_id")?.and_then(|p| of.get(&p).cloned())
                else {
                    continue;
                };
                let n = to_u64(int(r, "n")?);
                let g = groups
                    .entry((tenant_id, cat.as_str(), kind.clone()))
                    .or_insert(DeviceGroup {
                        tenant_id,
                        category: cat,
                        kind,
                        registered: 0,
                        connected: 0,
                        managed: 0,
                        points: 0,
                    });
                match i {
                    0 => g.registered += n,
                    1 => {
                        g.connected += n;
                        g.points += to_u64(opt_int(r, "pts")?.unwrap_or(0));
                    }
                    _ => g.managed += n,
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

    async fn add_load(&self, node: &str, rows: &[LoadRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for r in rows {
            let v = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            let mut sql = Sql::new(
                "INSERT INTO platform_load (node, minute, transactions, peak, device_messages, \
                 api_writes, model_calls) VALUES (",
            );
            sql.bind(node)
                .push(", ")
                .bind(r.minute)
                .push(", ")
                .bind(v(r.transactions))
                .push(", ")
                .bind(v(r.peak))
                .push(", ")
                .bind(v(r.device_messages))
                .push(", ")
                .bind(v(r.api_writes))
                .push(", ")
                .bind(v(r.model_calls))
                .push(
                    ") ON CONFLICT (minute, node) DO UPDATE SET \
                     transactions = platform_load.transactions + excluded.transactions, \
                     peak = CASE WHEN excluded.peak > platform_load.peak \
                       THEN excluded.peak ELSE platform_load.peak END, \
                     device_messages = platform_load.device_messages + excluded.device_messages, \
                     api_writes = platform_load.api_writes + excluded.api_writes, \
                     model_calls = platform_load.model_calls + excluded.model_calls",
                );
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("record the platform's transactions"))?;
        }
        tx.commit()
            .await
            .map_err(storage("record the platform's transactions"))?;
        Ok(())
    }

    async fn load_figures(&self, from: i64, to: i64) -> Result<LoadFigures> {
        let range = |head: &str, tail: &str| {
            let mut sql = Sql::new(head);
            sql.bind(from).and("minute <", to).push(tail);
            sql
        };
        let sum = |c: &str| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT) AS {c}");
        let totals = range(
            &format!(
                "SELECT {}, {}, {}, {} FROM platform_load WHERE minute >= ",
                sum("transactions"),
                sum("device_messages"),
                sum("api_writes"),
                sum("model_calls")
            ),
            "",
        );
        let peak = range(
            "SELECT MAX(n) AS n FROM (SELECT CAST(SUM(peak) AS BIGINT) AS n FROM platform_load \
             WHERE minute >= ",
            " GROUP BY minute) x",
        );
        let hour = range(
            "SELECT MAX(n) AS n FROM (SELECT CAST(SUM(transactions) AS BIGINT) AS n \
             FROM platform_load WHERE minute >= ",
            " GROUP BY minute / 60) x",
        );
        let read = storage("read the platform's transactions");
        let t = totals.query().fetch_one(self.pool()).await.map_err(&read)?;
        let one = |row: &AnyRow| -> Result<u64> { Ok(to_u64(opt_int(row, "n")?.unwrap_or(0))) };
        let peak = one(&peak.query().fetch_one(self.pool()).await.map_err(&read)?)?;
        let busiest_hour = one(&hour.query().fetch_one(self.pool()).await.map_err(&read)?)?;
        Ok(LoadFigures {
            transactions: to_u64(int(&t, "transactions")?),
            device_messages: to_u64(int(&t, "device_messages")?),
            api_writes: to_u64(int(&t, "api_writes")?),
            model_calls: to_u64(int(&t, "model_calls")?),
            peak_tps: peak,
            busiest_hour,
            sustained_tps: busiest_hour as f64 / 3600.0,
            average_tps: 0.0,
        })
    }

    async fn call_records(
        &self,
        from: &str,
        to: &str,
        filter: &RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<TenantRecord>> {
        let mut w =
            Sql::new(" FROM model_usage a JOIN tenants t ON t.id = a.tenant_id WHERE a.month >= ");
        w.bind(from).and("a.month <=", to);
        filtered(&mut w, filter);
        self.tenant_page(
            "a.tenant_id, t.code AS tenant_code, a.model AS item, a.source AS detail, \
             a.month, a.calls AS n, a.errors, CAST(NULL AS BIGINT) AS at",
            w,
            " ORDER BY a.month DESC, t.code, a.model, a.source",
            page,
            page_size,
        )
        .await
    }

    async fn subscriber_records(
        &self,
        filter: &RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<TenantRecord>> {
        let mut w = Sql::new(
            " FROM app_packages a JOIN tenants t ON t.id = a.tenant_id \
             WHERE a.uploaded_by LIKE 'market (%'",
        );
        filtered(&mut w, filter);
        self.tenant_page(
            "a.tenant_id, t.code AS tenant_code, a.app_id AS item, a.version AS detail, \
             CAST(NULL AS TEXT) AS month, 0 AS n, 0 AS errors, a.uploaded_at AS at",
            w,
            " ORDER BY a.uploaded_at DESC, t.code, a.app_id",
            page,
            page_size,
        )
        .await
    }

    async fn connected_devices(
        &self,
        month: &str,
        filter: &RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<DeviceRecord>> {
        self.record_page(
            "device_activity",
            "a.messages AS n, a.points AS v, a.property_count AS props, a.first_at, a.last_at",
            month,
            filter,
            page,
            page_size,
        )
        .await
    }

    async fn managed_devices(
        &self,
        month: &str,
        filter: &RecordFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Page<DeviceRecord>> {
        self.record_page(
            "device_managed",
            "a.commands AS n, 0 AS v, 0 AS props, a.first_at, a.last_at",
            month,
            filter,
            page,
            page_size,
        )
        .await
    }
}

/// The statement of migration 0024 that fills `device_managed` from the commands that
/// succeeded (everything after its `-- backfill` line).
fn managed_backfill() -> &'static str {
    let sql = include_str!("../migrations/0024_device_months.sql");
    sql.split_once("\n-- backfill")
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map_or("", |(_, statement)| statement)
}

impl SqlStore {
    /// Counts the managed devices of every month again from the commands that succeeded
    /// (as migration 0024 first did): `device_managed` rebuilt in one transaction. The
    /// rows written.
    pub async fn recount_managed_devices(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM device_managed")
            .execute(&mut *tx)
            .await
            .map_err(storage("recount managed devices"))?;
        let done = sqlx::query(sqlx::AssertSqlSafe(managed_backfill()))
            .execute(&mut *tx)
            .await
            .map_err(storage("recount managed devices"))?;
        tx.commit()
            .await
            .map_err(storage("recount managed devices"))?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqlStoreOptions;

    /// The backfill's month arithmetic at month, year and leap-day edges (UTC).
    #[tokio::test]
    async fn the_backfill_puts_commands_in_their_utc_month() {
        assert!(managed_backfill().contains("INSERT INTO device_managed"));
        let dir = tempfile::tempdir().unwrap();
        let s = SqlStore::open(
            &SqlStore::sqlite_url(dir.path()),
            &SqlStoreOptions::default(),
        )
        .await
        .unwrap();
        let run = |sql: String| {
            let s = s.clone();
            async move {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(s.pool())
                    .await
                    .unwrap();
            }
        };
        let (t, p) = ("t0000000-0000-4000-8000-000000000000", "p0");
        run(format!(
            "INSERT INTO tenants (id, code, name, created_at, updated_at) VALUES ('{t}', 't', 't', 0, 0)"
        ))
        .await;
        run(format!(
            "INSERT INTO products (id, tenant_id, name, product_key, category, protocol, thing_model, \
             created_at, updated_at) VALUES ('{p}', '{t}', 'p', 'pk', 'other', 'mqtt', '{{}}', 0, 0)"
        ))
        .await;
        let cases: &[(&str, &str)] = &[
            ("1970-01-01T00:00:00Z", "1970-01"),
            ("2000-02-29T23:59:59.990Z", "2000-02"),
            ("2000-03-01T00:00:00Z", "2000-03"),
            ("2024-02-29T12:00:00Z", "2024-02"),
            ("2026-12-31T23:59:59.990Z", "2026-12"),
            ("2027-01-01T00:00:00Z", "2027-01"),
            ("2100-03-01T00:00:00Z", "2100-03"),
        ];
        for (i, (at, _)) in cases.iter().enumerate() {
            let ms = chrono::DateTime::parse_from_rfc3339(at)
                .unwrap()
                .timestamp_millis();
            run(format!(
                "INSERT INTO devices (id, tenant_id, product_id, name, tags, attributes, access_token, \
                 username, password, secret, created_at, updated_at) VALUES \
                 ('d{i}', '{t}', '{p}', 'd{i}', '[]', '{{}}', 'tok{i}', 'u{i}', 'x', 'x', 0, 0)"
            ))
            .await;
            for (k, status) in ["succeeded", "succeeded", "failed"].iter().enumerate() {
                run(format!(
                    "INSERT INTO device_commands (id, tenant_id, device_id, kind, method, params, \
                     one_way, status, timeout_ms, created_at, completed_at, created_by) VALUES \
                     ('c{i}-{k}', '{t}', 'd{i}', 'rpc', 'm', '{{}}', 0, '{status}', 1, 0, {}, '{{}}')",
                    ms + k as i64
                ))
                .await;
            }
        }
        assert_eq!(
            s.recount_managed_devices().await.unwrap(),
            cases.len() as u64
        );
        for (i, (_, month)) in cases.iter().enumerate() {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT month, commands FROM device_managed WHERE device_id = 'd{i}'"
            )))
            .fetch_one(s.pool())
            .await
            .unwrap();
            assert_eq!(
                (text(&row, "month").unwrap(), int(&row, "commands").unwrap()),
                ((*month).to_owned(), 2),
                "{:?}",
                cases[i]
            );
        }
    }
}
