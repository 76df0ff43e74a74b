//! Tenants.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::Result;
use ironloom_core::ids::TenantId;
use ironloom_core::repo::{Scope, TenantRepo};
use serde_json::json;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, code, name, description, enabled, max_devices, max_model_calls, created_at, updated_at, version";

fn from_row(row: &AnyRow) -> Result<Tenant> {
    Ok(Tenant {
        id: parse(row, "id")?,
        code: text(row, "code")?,
        name: text(row, "name")?,
        description: opt_text(row, "description")?,
        enabled: flag(row, "enabled")?,
        max_devices: opt_int(row, "max_devices")?.map(|v| u64::try_from(v).unwrap_or(0)),
        max_model_calls: opt_int(row, "max_model_calls")?.map(|v| u64::try_from(v).unwrap_or(0)),
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: int(row, "version")?,
    })
}

fn to_i64(v: Option<u64>) -> Option<i64> {
    v.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

pub(crate) const TENANTS: Table<Tenant> = Table {
    name: "tenants",
    columns: COLUMNS,
    decode: from_row,
    resource: Resource::Tenant,
    read: "read tenant",
};

#[async_trait]
impl TenantRepo for SqlStore {
    async fn create_tenant(&self, actor: &Actor, new: NewTenant) -> Result<Tenant> {
        let now = now();
        let tenant = Tenant {
            id: TenantId::new(),
            code: new.code,
            name: new.name,
            description: new.description,
            enabled: true,
            max_devices: new.max_devices,
            max_model_calls: new.max_model_calls,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(&format!("INSERT INTO tenants ({COLUMNS}) VALUES ("));
        sql.bind(tenant.id.to_string())
            .push(", ")
            .bind(tenant.code.clone())
            .push(", ")
            .bind(tenant.name.clone())
            .push(", ")
            .bind(tenant.description.clone())
            .push(", ")
            .bind(tenant.enabled)
            .push(", ")
            .bind(to_i64(tenant.max_devices))
            .push(", ")
            .bind(to_i64(tenant.max_model_calls))
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(", 1)");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create tenant", Resource::Tenant))
            .map_err(|e| with_value(e, "code", &tenant.code))?;
        let details =
            json!({"code": tenant.code, "name": tenant.name, "max_devices": tenant.max_devices});
        let id = tenant.id;
        let entry = audit_entry(Some(id), "create", Resource::Tenant, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(tenant)
    }

    async fn get_tenant(&self, id: TenantId) -> Result<Tenant> {
        self.get_row(&TENANTS, Scope::All, id).await
    }

    async fn find_tenant_by_code(&self, code: &str) -> Result<Option<Tenant>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM tenants WHERE code = "));
        sql.bind(code);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read tenant"))?;
        row.as_ref().map(from_row).transpose()
    }

    async fn list_tenants(
        &self,
        filter: &TenantFilter,
        page: &PageRequest<TenantSort>,
    ) -> Result<Page<Tenant>> {
        let mut wh = Sql::new(" WHERE 1 = 1");
        if let Some(q) = &filter.q {
            wh.and_contains(&["code", "name"], q);
        }
        if let Some(e) = filter.enabled {
            wh.and("enabled =", e);
        }
        list_page(self.pool(), "tenants", COLUMNS, wh, page, from_row).await
    }

    async fn update_tenant(
        &self,
        actor: &Actor,
        id: TenantId,
        patch: TenantPatch,
    ) -> Result<Tenant> {
        let mut tx = self.begin().await?;
        let mut t = self
            .row_in(&mut tx, &TENANTS, Scope::All, id, Lock::ForUpdate)
            .await?;
        let mut changes = Changes::default();
        changes.set("name", &mut t.name, patch.name);
        changes.set("description", &mut t.description, patch.description);
        changes.set("enabled", &mut t.enabled, patch.enabled);
        changes.set("max_devices", &mut t.max_devices, patch.max_devices);
        changes.set(
            "max_model_calls",
            &mut t.max_model_calls,
            patch.max_model_calls,
        );
        bump_version(&mut t.version, &mut t.updated_at);
        let mut sql = Sql::new("UPDATE tenants SET name = ");
        sql.bind(t.name.clone())
            .push(", description = ")
            .bind(t.description.clone())
            .push(", enabled = ")
            .bind(t.enabled)
            .push(", max_devices = ")
            .bind(to_i64(t.max_devices))
            .push(", max_model_calls = ")
            .bind(to_i64(t.max_model_calls))
            .push(", updated_at = ")
            .bind(t.updated_at)
            .push(", version = ")
            .bind(t.version)
            .push(" WHERE id = ")
            .bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("update tenant", Resource::Tenant))?;
        let entry = audit_entry(Some(id), "update", Resource::Tenant, id, changes.into());
        commit_audited(tx, actor, entry).await?;
        Ok(t)
    }

    async fn delete_tenant(&self, actor: &Actor, id: TenantId) -> Result<()> {
        let mut tx = self.begin().await?;
        let t = self
            .row_in(&mut tx, &TENANTS, Scope::All, id, Lock::ForUpdate)
            .await?;
        // Devices before products (devices refer to products without cascading).
        for table in ["devices", "products"] {
            let mut sql = Sql::new(&format!("DELETE FROM {table} WHERE tenant_id = "));
            sql.bind(id.to_string());
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("delete tenant data"))?;
        }
        let mut sql = Sql::new("DELETE FROM tenants WHERE id = ");
        sql.bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete tenant"))?;
        let details = json!({"code": t.code, "name": t.name});
        let entry = audit_entry(Some(id), "delete", Resource::Tenant, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(())
    }
}
