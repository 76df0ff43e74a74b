//! Commands to devices and client/shared attributes.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::command::*;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{CommandId, DeviceId, TenantId};
use ironloom_core::repo::{AttributeRepo, CommandRepo};
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COMMAND_COLUMNS: &str = "id, tenant_id, device_id, kind, method, params, one_way, status, \
    timeout_ms, created_at, expires_at, sent_at, completed_at, response, error, created_by";

fn command_from_row(row: &AnyRow) -> Result<Command> {
    let kind = text(row, "kind")?;
    let status = text(row, "status")?;
    Ok(Command {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        device_id: parse(row, "device_id")?,
        kind: CommandKind::parse(&kind)
            .ok_or_else(|| Error::storage("decode row", format!("command kind {kind:?}")))?,
        method: text(row, "method")?,
        params: json(row, "params")?,
        one_way: flag(row, "one_way")?,
        status: CommandStatus::parse(&status)
            .ok_or_else(|| Error::storage("decode row", format!("command status {status:?}")))?,
        timeout_ms: u64::try_from(int(row, "timeout_ms")?).unwrap_or(0),
        created_at: ts(row, "created_at")?,
        expires_at: opt_ts(row, "expires_at")?,
        sent_at: opt_ts(row, "sent_at")?,
        completed_at: opt_ts(row, "completed_at")?,
        response: opt_text(row, "response")?
            .map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| Error::storage("decode row", e))?,
        error: opt_text(row, "error")?,
        created_by: json(row, "created_by")?,
    })
}

fn attribute_from_row(row: &AnyRow) -> Result<Attribute> {
    Ok(Attribute {
        key: text(row, "attr_key")?,
        value: json(row, "value")?,
        updated_at: ts(row, "updated_at")?,
    })
}

/// Fails with `NotFound(Device)` unless the device is in the tenant.
async fn check_device(conn: &mut AnyConnection, tenant: TenantId, device: DeviceId) -> Result<()> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM devices WHERE id = ");
    sql.bind(device.to_string())
        .and("tenant_id =", tenant.to_string());
    let n = count(
        &sql.query()
            .fetch_one(&mut *conn)
            .await
            .map_err(storage("check device"))?,
    )?;
    if n == 0 {
        return Err(Error::NotFound(Resource::Device));
    }
    Ok(())
}

fn result_entry(c: &Command) -> NewAuditEntry {
    let mut details = json!({
        "device_id": c.device_id,
        "method": c.method,
        "status": c.status,
        "error": c.error,
    });
    // The answer goes into the audit too (a gateway's write answers with the old and the
    // new value of each point), unless it is large.
    if let Some(r) = &c.response {
        let size = r.to_string().len();
        if size <= MAX_AUDITED_RESPONSE {
            details["response"] = r.clone();
        } else {
            details["response_bytes"] = json!(size);
        }
    }
    let tenant = Some(c.tenant_id);
    audit_entry(tenant, "command_result", Resource::Command, c.id, details)
}

/// Largest command answer copied into the audit record, in bytes of JSON.
const MAX_AUDITED_RESPONSE: usize = 8 * 1024;

impl SqlStore {
    async fn command_in(
        &self,
        conn: &mut AnyConnection,
        tenant: Option<TenantId>,
        id: CommandId,
    ) -> Result<Command> {
        let mut sql = Sql::new(&format!(
            "SELECT {COMMAND_COLUMNS} FROM device_commands WHERE id = "
        ));
        sql.bind(id.to_string());
        if let Some(t) = tenant {
            sql.and("tenant_id =", t.to_string());
        }
        let row = sql
            .query()
            .fetch_optional(&mut *conn)
            .await
            .map_err(storage("read command"))?
            .ok_or(Error::NotFound(Resource::Command))?;
        command_from_row(&row)
    }

    /// Sets the result of open commands matched by `filter` (a `WHERE …` clause) and returns
    /// them, each audited.
    async fn end_commands(
        &self,
        filter: Sql,
        status: CommandStatus,
        error: &str,
    ) -> Result<Vec<Command>> {
        let mut tx = self.begin().await?;
        let select = Sql {
            text: format!(
                "SELECT {COMMAND_COLUMNS} FROM device_commands{}",
                filter.text
            ),
            args: filter.args,
        };
        let rows = select
            .query()
            .fetch_all(&mut *tx)
            .await
            .map_err(storage("find commands to end"))?;
        let mut ended = Vec::with_capacity(rows.len());
        let at = now();
        for row in &rows {
            let mut c = command_from_row(row)?;
            let mut sql = Sql::new("UPDATE device_commands SET status = ");
            sql.bind(status.as_str())
                .push(", error = ")
                .bind(error)
                .push(", completed_at = ")
                .bind(at)
                .push(" WHERE id = ")
                .bind(c.id.to_string())
                .and("status =", c.status.as_str());
            let done = sql
                .query()
                .execute(&mut *tx)
                .await
                .map_err(storage("end command"))?;
            if done.rows_affected() == 0 {
                continue;
            }
            if status == CommandStatus::Succeeded {
                managed_in(&mut tx, &c, at).await?;
            }
            c.status = status;
            c.error = Some(error.to_owned());
            c.completed_at = Some(at);
            audit(&mut tx, &Actor::system("commands"), result_entry(&c)).await?;
            ended.push(c);
        }
        tx.commit().await.map_err(storage("commit"))?;
        Ok(ended)
    }
}

#[async_trait]
impl CommandRepo for SqlStore {
    async fn create_command(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: NewCommand,
    ) -> Result<Command> {
        let c = Command {
            id: CommandId::new(),
            tenant_id: tenant,
            device_id: new.device_id,
            kind: new.kind,
            method: new.method,
            params: new.params,
            one_way: new.one_way,
            status: CommandStatus::Queued,
            timeout_ms: new.timeout_ms,
            created_at: now(),
            expires_at: new.expires_at.map(truncate_ms),
            sent_at: None,
            completed_at: None,
            response: None,
            error: None,
            created_by: actor.clone(),
        };
        let mut tx = self.begin().await?;
        check_device(&mut tx, tenant, c.device_id).await?;
        let mut sql = Sql::new(&format!(
            "INSERT INTO device_commands ({COMMAND_COLUMNS}) VALUES ("
        ));
        sql.bind(c.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(c.device_id.to_string())
            .push(", ")
            .bind(c.kind.as_str())
            .push(", ")
            .bind(c.method.clone())
            .push(", ")
            .bind(to_json(&c.params)?)
            .push(", ")
            .bind(c.one_way)
            .push(", ")
            .bind(c.status.as_str())
            .push(", ")
            .bind(i64::try_from(c.timeout_ms).unwrap_or(i64::MAX))
            .push(", ")
            .bind(c.created_at)
            .push(", ")
            .bind(c.expires_at)
            .push(", ")
            .bind(None::<i64>)
            .push(", ")
            .bind(None::<i64>)
            .push(", ")
            .bind(None::<String>)
            .push(", ")
            .bind(None::<String>)
            .push(", ")
            .bind(to_json(&c.created_by)?)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create command", Resource::Command))?;
        let details = json!({
            "device_id": c.device_id,
            "kind": c.kind,
            "method": c.method,
            "params": c.params,
            "one_way": c.one_way,
        });
        let entry = audit_entry(Some(tenant), "command", Resource::Command, c.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(c)
    }

    async fn get_command(&self, tenant: TenantId, id: CommandId) -> Result<Command> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        self.command_in(&mut conn, Some(tenant), id).await
    }

    async fn list_commands(
        &self,
        tenant: TenantId,
        filter: &CommandFilter,
        page: &PageRequest<CommandSort>,
    ) -> Result<Page<Command>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        if let Some(d) = filter.device_id {
            wh.and("device_id =", d.to_string());
        }
        if let Some(s) = filter.status {
            wh.and("status =", s.as_str());
        }
        list_page(
            self.pool(),
            "device_commands",
            COMMAND_COLUMNS,
            wh,
            page,
            command_from_row,
        )
        .await
    }

    async fn mark_command_sent(&self, id: CommandId, at: Timestamp) -> Result<bool> {
        let mut sql = Sql::new("UPDATE device_commands SET status = ");
        sql.bind(CommandStatus::Sent.as_str())
            .push(", sent_at = ")
            .bind(truncate_ms(at))
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("status =", CommandStatus::Queued.as_str());
        let done = sql
            .query()
            .execute(self.pool())
            .await
            .map_err(storage("mark command sent"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish_command(
        &self,
        id: CommandId,
        result: CommandResult,
    ) -> Result<Option<Command>> {
        if !result.status.is_final() {
            return Err(Error::storage(
                "finish command",
                format!("{} is not a final status", result.status.as_str()),
            ));
        }
        let mut tx = self.begin().await?;
        let mut c = self.command_in(&mut tx, None, id).await?;
        if c.status.is_final() {
            return Ok(None);
        }
        let at = now();
        let response = result.response.as_ref().map(to_json).transpose()?;
        let mut sql = Sql::new("UPDATE device_commands SET status = ");
        sql.bind(result.status.as_str())
            .push(", response = ")
            .bind(response)
            .push(", error = ")
            .bind(result.error.clone())
            .push(", completed_at = ")
            .bind(at)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("status =", c.status.as_str());
        let done = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("finish command"))?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if result.status == CommandStatus::Succeeded {
            managed_in(&mut tx, &c, at).await?;
        }
        c.status = result.status;
        c.response = result.response;
        c.error = result.error;
        c.completed_at = Some(at);
        commit_audited(tx, &Actor::system("commands"), result_entry(&c)).await?;
        Ok(Some(c))
    }

    async fn queued_commands(&self, tenant: TenantId, device: DeviceId) -> Result<Vec<Command>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COMMAND_COLUMNS} FROM device_commands WHERE device_id = "
        ));
        sql.bind(device.to_string())
            .and("tenant_id =", tenant.to_string())
            .and("status =", CommandStatus::Queued.as_str())
            .and("expires_at >", now())
            .push(" ORDER BY created_at ASC, id ASC LIMIT 1000");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read queued commands"))?;
        rows.iter().map(command_from_row).collect()
    }

    async fn expire_commands(&self, now_at: Timestamp) -> Result<Vec<Command>> {
        let ms = now_at.timestamp_millis();
        let mut queued = Sql::new(" WHERE status = ");
        queued
            .bind(CommandStatus::Queued.as_str())
            .and("expires_at <=", ms);
        let mut ended = self
            .end_commands(
                queued,
                CommandStatus::Expired,
                "the device did not come online before the command expired",
            )
            .await?;
        // Sent and never answered: the wait ended (normally by the waiting request; after a
        // restart, nobody waits any more). A minute of grace keeps this from racing the
        // waiting request.
        let mut sent = Sql::new(" WHERE status = ");
        sent.bind(CommandStatus::Sent.as_str())
            .and("one_way =", false)
            .and("sent_at + timeout_ms + 60000 <", ms);
        ended.extend(
            self.end_commands(
                sent,
                CommandStatus::TimedOut,
                "the device did not answer within the timeout",
            )
            .await?,
        );
        Ok(ended)
    }
}

#[async_trait]
impl AttributeRepo for SqlStore {
    async fn get_attributes(
        &self,
        tenant: TenantId,
        device: DeviceId,
        scope: AttributeScope,
        keys: Option<&[String]>,
    ) -> Result<Vec<Attribute>> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        check_device(&mut conn, tenant, device).await?;
        let mut sql = Sql::new(
            "SELECT attr_key, value, updated_at FROM device_attributes WHERE device_id = ",
        );
        sql.bind(device.to_string())
            .and("tenant_id =", tenant.to_string())
            .and("scope =", scope.as_str());
        if let Some(keys) = keys {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            sql.push(" AND attr_key IN (");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(k.as_str());
            }
            sql.push(")");
        }
        sql.push(" ORDER BY attr_key");
        let rows = sql
            .query()
            .fetch_all(&mut *conn)
            .await
            .map_err(storage("read attributes"))?;
        rows.iter().map(attribute_from_row).collect()
    }

    async fn set_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        scope: AttributeScope,
        values: JsonMap,
    ) -> Result<Vec<Attribute>> {
        check_attributes(&values).map_err(|e| {
            Error::invalid(
                "attributes",
                ironloom_core::error::FieldErrorKind::Other {
                    en: e.clone(),
                    zh: format!("属性无效：{e}"),
                },
            )
        })?;
        let mut tx = self.begin().await?;
        check_device(&mut tx, tenant, device).await?;
        let at = now();
        let mut written = Vec::with_capacity(values.len());
        for (k, v) in &values {
            let mut sql = Sql::new(
                "INSERT INTO device_attributes (device_id, tenant_id, scope, attr_key, value, updated_at) VALUES (",
            );
            sql.bind(device.to_string())
                .push(", ")
                .bind(tenant.to_string())
                .push(", ")
                .bind(scope.as_str())
                .push(", ")
                .bind(k.as_str())
                .push(", ")
                .bind(to_json(v)?)
                .push(", ")
                .bind(at)
                .push(
                    ") ON CONFLICT (device_id, scope, attr_key) DO UPDATE SET \
                     value = excluded.value, updated_at = excluded.updated_at",
                );
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("write attribute"))?;
            written.push(Attribute {
                key: k.clone(),
                value: v.clone(),
                updated_at: at,
            });
        }
        let mut n = Sql::new("SELECT COUNT(*) AS n FROM device_attributes WHERE device_id = ");
        n.bind(device.to_string()).and("scope =", scope.as_str());
        let total = count(
            &n.query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("count attributes"))?,
        )?;
        if total > MAX_ATTRIBUTES as u64 {
            return Err(Error::invalid(
                "attributes",
                ironloom_core::error::FieldErrorKind::TooMany {
                    max: MAX_ATTRIBUTES,
                },
            ));
        }
        // Device-reported attributes are not audited (they arrive like telemetry).
        if scope == AttributeScope::Shared {
            let details = serde_json::Value::Object(values);
            let entry = audit_entry(
                Some(tenant),
                "set_shared_attributes",
                Resource::Device,
                device,
                details,
            );
            audit(&mut tx, actor, entry).await?;
        }
        tx.commit().await.map_err(storage("commit"))?;
        Ok(written)
    }

    async fn delete_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        scope: AttributeScope,
        keys: &[String],
    ) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        check_device(&mut tx, tenant, device).await?;
        let mut removed = Vec::new();
        for k in keys {
            let mut sql = Sql::new("DELETE FROM device_attributes WHERE device_id = ");
            sql.bind(device.to_string())
                .and("scope =", scope.as_str())
                .and("attr_key =", k.as_str());
            let done = sql
                .query()
                .execute(&mut *tx)
                .await
                .map_err(storage("delete attribute"))?;
            if done.rows_affected() > 0 {
                removed.push(k.clone());
            }
        }
        if scope == AttributeScope::Shared && !removed.is_empty() {
            let details = json!({ "keys": removed });
            let entry = audit_entry(
                Some(tenant),
                "delete_shared_attributes",
                Resource::Device,
                device,
                details,
            );
            audit(&mut tx, actor, entry).await?;
        }
        tx.commit().await.map_err(storage("commit"))?;
        Ok(removed)
    }
}

/// Counts a command that succeeded in its device's month (`device_managed`: the evaluation
/// report's managed devices), with the device's product.
async fn managed_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    c: &Command,
    at: Timestamp,
) -> Result<()> {
    let device = c.device_id.to_string();
    let mut sql = Sql::new(
        "INSERT INTO device_managed (device_id, month, tenant_id, product_id, commands, \
         first_at, last_at) SELECT ",
    );
    sql.bind(device.clone())
        .push(", ")
        .bind(ironloom_core::developer_stats::month_of(at))
        .push(", ")
        .bind(c.tenant_id.to_string())
        .push(", d.product_id, 1, ")
        .bind(at)
        .push(", ")
        .bind(at)
        .push(" FROM devices d WHERE d.id = ")
        .bind(device)
        .push(
            " ON CONFLICT (device_id, month) DO UPDATE SET \
             commands = device_managed.commands + 1, \
             last_at = CASE WHEN excluded.last_at > device_managed.last_at \
               THEN excluded.last_at ELSE device_managed.last_at END",
        );
    sql.query()
        .execute(&mut **tx)
        .await
        .map_err(storage("count a managed device"))?;
    Ok(())
}
