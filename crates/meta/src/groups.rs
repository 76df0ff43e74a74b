//! Device groups.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::Result;
use ironloom_core::ids::{GroupId, TenantId};
use ironloom_core::repo::GroupRepo;
use ironloom_core::repo::Scope;
use serde_json::json;
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

const GROUPS: Table<DeviceGroup> = Table {
    name: "device_groups",
    columns: COLUMNS,
    decode: from_row,
    resource: Resource::DeviceGroup,
    read: "read group",
};

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
        let details = json!({"name": g.name});
        let entry = audit_entry(Some(tenant), "create", Resource::DeviceGroup, g.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(g)
    }

    async fn get_group(&self, tenant: TenantId, id: GroupId) -> Result<DeviceGroup> {
        self.get_row(&GROUPS, Scope::Tenant(tenant), id).await
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
        let mut g = self
            .in_tenant(&mut tx, &GROUPS, tenant, id, Lock::ForUpdate)
            .await?;
        let mut changes = Changes::default();
        changes.set("name", &mut g.name, patch.name);
        changes.set("description", &mut g.description, patch.description);
        // Groups carry no version.
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
        let entry = audit_entry(
            Some(tenant),
            "update",
            Resource::DeviceGroup,
            id,
            changes.into(),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(g)
    }

    async fn delete_group(&self, actor: &Actor, tenant: TenantId, id: GroupId) -> Result<()> {
        let mut tx = self.begin().await?;
        let g = self
            .in_tenant(&mut tx, &GROUPS, tenant, id, Lock::ForUpdate)
            .await?;
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
        let details = json!({"name": g.name, "devices": g.device_count});
        let entry = audit_entry(Some(tenant), "delete", Resource::DeviceGroup, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(())
    }
}
