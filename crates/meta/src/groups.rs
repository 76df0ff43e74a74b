//! Device groups.

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{GroupId, TenantId};
use ironloom_core::repo::GroupRepo;
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, name, description, created_at, updated_at, \
    (SELECT COUNT(*) FROM device_group_members m WHERE m.group_id = device_groups.id) AS device_count";

fn from_row(row: &AnyRow) -> Result<DeviceGroup> {
    Ok(DeviceGroup {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        name: text(row, "name")?,
        description: opt_text(row, "description")?,
        device_count: u64::try_from(int(row, "device_count")?).unwrap_or(0),
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

impl SqlStore {
    async fn group_in(
        &self,
        conn: &mut AnyConnection,
        tenant: TenantId,
        id: GroupId,
    ) -> Result<DeviceGroup> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM device_groups WHERE id = "));
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        let row = sql
            .query()
            .fetch_optional(conn)
            .await
            .map_err(storage("read group"))?
            .ok_or(Error::NotFound(Resource::DeviceGroup))?;
        from_row(&row)
    }
}

#[async_trait]
impl GroupRepo for SqlStore {
    async fn create_group(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: NewDeviceGroup,
    ) -> Result<DeviceGroup> {
        let now = now();
        let g = DeviceGroup {
            id: GroupId::new(),
            tenant_id: tenant,
            name: new.name,
            description: new.description,
            device_count: 0,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(
            "INSERT INTO device_groups (id, tenant_id, name, description, created_at, updated_at) VALUES (",
        );
        sql.bind(g.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(g.name.clone())
            .push(", ")
            .bind(g.description.clone())
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create group", Resource::DeviceGroup))
            .map_err(|e| with_value(e, "name", &g.name))?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: Some(tenant),
                action: "create".into(),
                resource: Resource::DeviceGroup,
                resource_id: Some(g.id.to_string()),
                details: json!({"name": g.name}),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(g)
    }

    async fn get_group(&self, tenant: TenantId, id: GroupId) -> Result<DeviceGroup> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        self.group_in(&mut conn, tenant, id).await
    }

    async fn list_groups(
        &self,
        tenant: TenantId,
        filter: &GroupFilter,
        page: &PageRequest<GroupSort>,
    ) -> Result<Page<DeviceGroup>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        if let Some(q) = &filter.q {
            wh.and_contains(&["name", "description"], q);
        }
        list_page(self.pool(), "device_groups", COLUMNS, wh, page, from_row).await
    }

    async fn update_group(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: GroupId,
        patch: DeviceGroupPatch,
    ) -> Result<DeviceGroup> {
        let mut tx = self.begin().await?;
        let mut g = self.group_in(&mut tx, tenant, id).await?;
        let mut changes = serde_json::Map::new();
        if let Some(v) = patch.name {
            changes.insert("name".into(), json!({"from": g.name, "to": v}));
            g.name = v;
        }
        if let Some(v) = patch.description {
            changes.insert(
                "description".into(),
                json!({"from": g.description, "to": v}),
            );
            g.description = v;
        }
        g.updated_at = now();
        let mut sql = Sql::new("UPDATE device_groups SET name = ");
        sql.bind(g.name.clone())
            .push(", description = ")
            .bind(g.description.clone())
            .push(", updated_at = ")
            .bind(g.updated_at)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("update group", Resource::DeviceGroup))
            .map_err(|e| with_value(e, "name", &g.name))?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: Some(tenant),
                action: "update".into(),
                resource: Resource::DeviceGroup,
                resource_id: Some(id.to_string()),
                details: serde_json::Value::Object(changes),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(g)
    }

    async fn delete_group(&self, actor: &Actor, tenant: TenantId, id: GroupId) -> Result<()> {
        let mut tx = self.begin().await?;
        let g = self.group_in(&mut tx, tenant, id).await?;
        let mut sql = Sql::new("DELETE FROM device_group_members WHERE group_id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete group members"))?;
        let mut sql = Sql::new("DELETE FROM device_groups WHERE id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete group"))?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: Some(tenant),
                action: "delete".into(),
                resource: Resource::DeviceGroup,
                resource_id: Some(id.to_string()),
                details: json!({"name": g.name, "devices": g.device_count}),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(())
    }
}
