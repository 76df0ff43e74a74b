//! Alarms.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::alarm::{Alarm, AlarmCounts, AlarmFilter, MAX_COMMENT, NewAlarm};
use ironloom_core::device::LogPos;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{AlarmId, DeviceId, TenantId};
use ironloom_core::repo::AlarmRepo;
use ironloom_core::repo::Scope;
use ironloom_core::rule::Severity;
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, device_id, alarm_type, severity, severity_rank, active, \
    acknowledged, start_ts, last_ts, count, end_ts, ack_ts, ack_by, ack_comment, clear_by, \
    clear_comment, details, rule_id";

fn from_row(row: &AnyRow) -> Result<Alarm> {
    Ok(Alarm {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        device_id: parse(row, "device_id")?,
        alarm_type: text(row, "alarm_type")?,
        severity: parse(row, "severity")?,
        active: flag(row, "active")?,
        acknowledged: flag(row, "acknowledged")?,
        start_ts: ts(row, "start_ts")?,
        last_ts: ts(row, "last_ts")?,
        count: int(row, "count")?,
        end_ts: opt_ts(row, "end_ts")?,
        ack_ts: opt_ts(row, "ack_ts")?,
        ack_by: opt_text(row, "ack_by")?,
        ack_comment: opt_text(row, "ack_comment")?,
        clear_by: opt_text(row, "clear_by")?,
        clear_comment: opt_text(row, "clear_comment")?,
        details: json(row, "details")?,
        rule_id: opt_parse(row, "rule_id")?,
    })
}

fn check_comment(c: &Option<String>) -> Result<()> {
    if let Some(c) = c {
        ironloom_core::validate::free_text("comment", c, MAX_COMMENT).map_err(Error::Invalid)?;
    }
    Ok(())
}

const ALARMS: Table<Alarm> = Table {
    name: "alarms",
    columns: COLUMNS,
    decode: from_row,
    resource: Resource::Alarm,
    read: "read alarm",
};

impl SqlStore {
    /// Records `source` as the newest event to raise or clear `alarm_type` on `device`,
    /// in `conn`'s transaction (the row stays locked until it ends); false when an event
    /// at or after it in the same log was recorded already (a repeat). A position of
    /// another log (a cluster created anew) replaces the recorded one.
    async fn newer_source(
        &self,
        conn: &mut AnyConnection,
        tenant: TenantId,
        device: DeviceId,
        alarm_type: &str,
        source: LogPos,
    ) -> Result<bool> {
        let mut check = Sql::new("SELECT COUNT(*) AS n FROM devices WHERE id = ");
        check
            .bind(device.to_string())
            .and("tenant_id =", tenant.to_string());
        let n = count(
            &check
                .query()
                .fetch_one(&mut *conn)
                .await
                .map_err(storage("check device"))?,
        )?;
        if n == 0 {
            return Err(Error::NotFound(Resource::Device));
        }
        // Stored as BIGINT: the log's hash keeps its bits, the sequence must fit.
        let log = source.log as i64;
        let seq = crate::cluster::signed("seq", source.seq)?;
        let mut sql = Sql::new(
            "INSERT INTO alarm_sources (device_id, alarm_type, log, partition, seq) VALUES (",
        );
        sql.bind(device.to_string())
            .push(", ")
            .bind(alarm_type)
            .push(", ")
            .bind(log)
            .push(", ")
            .bind(i64::from(source.partition))
            .push(", ")
            .bind(seq)
            .push(
                ") ON CONFLICT (device_id, alarm_type) DO UPDATE SET log = excluded.log, \
                 partition = excluded.partition, seq = excluded.seq \
                 WHERE alarm_sources.log <> excluded.log \
                 OR alarm_sources.partition <> excluded.partition \
                 OR alarm_sources.seq < excluded.seq",
            );
        let done = sql
            .query()
            .execute(conn)
            .await
            .map_err(storage("record alarm source"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn active_alarm(
        &self,
        conn: &mut AnyConnection,
        tenant: TenantId,
        device: DeviceId,
        alarm_type: &str,
    ) -> Result<Option<Alarm>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM alarms WHERE tenant_id = "));
        sql.bind(tenant.to_string())
            .and("device_id =", device.to_string())
            .and("alarm_type =", alarm_type)
            .and("active =", true);
        sql.query()
            .fetch_optional(conn)
            .await
            .map_err(storage("read active alarm"))?
            .map(|r| from_row(&r))
            .transpose()
    }

    async fn close_alarm(
        &self,
        conn: &mut AnyConnection,
        a: &mut Alarm,
        at: Timestamp,
        by: &str,
        comment: Option<String>,
    ) -> Result<()> {
        a.active = false;
        a.end_ts = Some(truncate_ms(at));
        a.clear_by = Some(by.to_owned());
        a.clear_comment = comment;
        let mut sql = Sql::new("UPDATE alarms SET active = ");
        sql.bind(false)
            .push(", end_ts = ")
            .bind(a.end_ts)
            .push(", clear_by = ")
            .bind(a.clear_by.clone())
            .push(", clear_comment = ")
            .bind(a.clear_comment.clone())
            .push(" WHERE id = ")
            .bind(a.id.to_string());
        sql.query()
            .execute(conn)
            .await
            .map_err(storage("clear alarm"))?;
        Ok(())
    }
}

#[async_trait]
impl AlarmRepo for SqlStore {
    async fn raise_alarm(&self, tenant: TenantId, new: NewAlarm) -> Result<Option<(Alarm, bool)>> {
        let mut tx = self.begin().await?;
        if let Some(source) = new.source
            && !self
                .newer_source(&mut tx, tenant, new.device_id, &new.alarm_type, source)
                .await?
        {
            return Ok(None);
        }
        let at = truncate_ms(new.at);
        if let Some(mut a) = self
            .active_alarm(&mut tx, tenant, new.device_id, &new.alarm_type)
            .await?
        {
            a.severity = new.severity;
            a.details = new.details;
            a.last_ts = at.max(a.last_ts);
            a.count += 1;
            let mut sql = Sql::new("UPDATE alarms SET severity = ");
            sql.bind(a.severity.as_str())
                .push(", severity_rank = ")
                .bind(a.severity.rank())
                .push(", details = ")
                .bind(to_json(&a.details)?)
                .push(", last_ts = ")
                .bind(a.last_ts)
                .push(", count = ")
                .bind(a.count)
                .push(" WHERE id = ")
                .bind(a.id.to_string());
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("update alarm"))?;
            tx.commit().await.map_err(storage("commit"))?;
            return Ok(Some((a, false)));
        }
        let mut check = Sql::new("SELECT COUNT(*) AS n FROM devices WHERE id = ");
        check
            .bind(new.device_id.to_string())
            .and("tenant_id =", tenant.to_string());
        let n = count(
            &check
                .query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("check device"))?,
        )?;
        if n == 0 {
            return Err(Error::NotFound(Resource::Device));
        }
        let a = Alarm {
            id: AlarmId::new(),
            tenant_id: tenant,
            device_id: new.device_id,
            alarm_type: new.alarm_type,
            severity: new.severity,
            active: true,
            acknowledged: false,
            start_ts: at,
            last_ts: at,
            count: 1,
            end_ts: None,
            ack_ts: None,
            ack_by: None,
            ack_comment: None,
            clear_by: None,
            clear_comment: None,
            details: new.details,
            rule_id: new.rule_id,
        };
        let mut sql = Sql::new(&format!("INSERT INTO alarms ({COLUMNS}) VALUES ("));
        sql.bind(a.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(a.device_id.to_string())
            .push(", ")
            .bind(a.alarm_type.clone())
            .push(", ")
            .bind(a.severity.as_str())
            .push(", ")
            .bind(a.severity.rank())
            .push(", ")
            .bind(true)
            .push(", ")
            .bind(false)
            .push(", ")
            .bind(at)
            .push(", ")
            .bind(at)
            .push(", ")
            .bind(1i64)
            .push(", NULL, NULL, NULL, NULL, NULL, NULL, ")
            .bind(to_json(&a.details)?)
            .push(", ")
            .bind(a.rule_id.map(|r| r.to_string()))
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("raise alarm", Resource::Alarm))?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(Some((a, true)))
    }

    async fn clear_alarm_by_type(
        &self,
        tenant: TenantId,
        device: DeviceId,
        alarm_type: &str,
        at: Timestamp,
        source: Option<LogPos>,
    ) -> Result<Option<Alarm>> {
        let mut tx = self.begin().await?;
        if let Some(source) = source
            && !self
                .newer_source(&mut tx, tenant, device, alarm_type, source)
                .await?
        {
            return Ok(None);
        }
        let Some(mut a) = self
            .active_alarm(&mut tx, tenant, device, alarm_type)
            .await?
        else {
            return Ok(None);
        };
        self.close_alarm(&mut tx, &mut a, at, "rule", None).await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(Some(a))
    }

    async fn get_alarm(&self, tenant: TenantId, id: AlarmId) -> Result<Alarm> {
        self.get_row(&ALARMS, Scope::Tenant(tenant), id).await
    }

    async fn list_alarms(
        &self,
        tenant: TenantId,
        filter: &AlarmFilter,
        page: &PageRequest<AlarmSort>,
    ) -> Result<Page<Alarm>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        if let Some(a) = filter.active {
            wh.and("active =", a);
        }
        if let Some(a) = filter.acknowledged {
            wh.and("acknowledged =", a);
        }
        if let Some(s) = filter.severity {
            wh.and("severity =", s.as_str());
        }
        if let Some(d) = filter.device_id {
            wh.and("device_id =", d.to_string());
        }
        if let Some(t) = &filter.alarm_type {
            wh.and("alarm_type =", t.as_str());
        }
        list_page(self.pool(), "alarms", COLUMNS, wh, page, from_row).await
    }

    async fn ack_alarm(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: AlarmId,
        comment: Option<String>,
    ) -> Result<Alarm> {
        check_comment(&comment)?;
        let mut tx = self.begin().await?;
        let mut a = self
            .in_tenant(&mut tx, &ALARMS, tenant, id, Lock::ForUpdate)
            .await?;
        if a.acknowledged {
            return Ok(a);
        }
        a.acknowledged = true;
        a.ack_ts = Some(truncate_ms(now()));
        a.ack_by = Some(actor.name.clone());
        a.ack_comment = comment;
        let mut sql = Sql::new("UPDATE alarms SET acknowledged = ");
        sql.bind(true)
            .push(", ack_ts = ")
            .bind(a.ack_ts)
            .push(", ack_by = ")
            .bind(a.ack_by.clone())
            .push(", ack_comment = ")
            .bind(a.ack_comment.clone())
            .push(" WHERE id = ")
            .bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("acknowledge alarm"))?;
        let details =
            json!({"alarm_type": a.alarm_type, "device_id": a.device_id, "comment": a.ack_comment});
        let entry = audit_entry(Some(tenant), "acknowledge", Resource::Alarm, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(a)
    }

    async fn clear_alarm(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: AlarmId,
        comment: Option<String>,
    ) -> Result<Alarm> {
        check_comment(&comment)?;
        let mut tx = self.begin().await?;
        let mut a = self
            .in_tenant(&mut tx, &ALARMS, tenant, id, Lock::ForUpdate)
            .await?;
        if !a.active {
            return Ok(a);
        }
        self.close_alarm(&mut tx, &mut a, now(), &actor.name, comment)
            .await?;
        let details = json!({"alarm_type": a.alarm_type, "device_id": a.device_id, "comment": a.clear_comment});
        let entry = audit_entry(Some(tenant), "clear", Resource::Alarm, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(a)
    }

    async fn alarm_counts(&self, tenant: TenantId) -> Result<AlarmCounts> {
        let mut sql =
            Sql::new("SELECT severity, acknowledged, COUNT(*) AS n FROM alarms WHERE tenant_id = ");
        sql.bind(tenant.to_string())
            .and("active =", true)
            .push(" GROUP BY severity, acknowledged");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("count alarms"))?;
        let mut c = AlarmCounts::default();
        for row in &rows {
            let n = count(row)?;
            let s: Severity = parse(row, "severity")?;
            *match s {
                Severity::Critical => &mut c.critical,
                Severity::Major => &mut c.major,
                Severity::Minor => &mut c.minor,
                Severity::Warning => &mut c.warning,
                Severity::Indeterminate => &mut c.indeterminate,
            } += n;
            if !flag(row, "acknowledged")? {
                c.unacknowledged += n;
            }
        }
        Ok(c)
    }
}
