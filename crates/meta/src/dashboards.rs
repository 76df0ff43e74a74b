//! Dashboards and their share tokens.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::dashboard::{Dashboard, DashboardDoc, DashboardUpdate};
use ironloom_core::entity::*;
use ironloom_core::error::Result;
use ironloom_core::ids::{DashboardId, TenantId};
use ironloom_core::repo::DashboardRepo;
use ironloom_core::repo::Scope;
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str =
    "id, tenant_id, name, description, version, document, share_token, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Dashboard> {
    Ok(Dashboard {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        version: int(row, "version")?,
        document: json(row, "document")?,
        share_token: opt_text(row, "share_token")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

const DASHBOARDS: Table<Dashboard> = Table {
    name: "dashboards",
    columns: COLUMNS,
    decode: from_row,
    resource: Resource::Dashboard,
    read: "read dashboard",
};

impl SqlStore {
    /// A dashboard of the tenant, locked for the change the transaction makes.
    async fn dashboard_in(
        &self,
        conn: &mut AnyConnection,
        tenant: TenantId,
        id: DashboardId,
    ) -> Result<Dashboard> {
        self.in_tenant(conn, &DASHBOARDS, tenant, id, Lock::ForUpdate)
            .await
    }
}

/// What an audit record says about a dashboard.
fn summary(doc: &DashboardDoc) -> serde_json::Value {
    json!({"name": doc.name, "widgets": doc.widgets.len()})
}

#[async_trait]
impl DashboardRepo for SqlStore {
    async fn create_dashboard(
        &self,
        actor: &Actor,
        tenant: TenantId,
        doc: DashboardDoc,
    ) -> Result<Dashboard> {
        let mut tx = self.begin().await?;
        let now = truncate_ms(now());
        let d = Dashboard {
            id: DashboardId::new(),
            tenant_id: tenant,
            version: 1,
            document: doc,
            share_token: None,
            created_at: now,
            updated_at: now,
        };
        let mut sql = Sql::new(&format!("INSERT INTO dashboards ({COLUMNS}) VALUES ("));
        sql.bind(d.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(d.document.name.clone())
            .push(", ")
            .bind(d.document.description.clone())
            .push(", ")
            .bind(d.version)
            .push(", ")
            .bind(to_json(&d.document)?)
            .push(", ")
            .bind(None::<String>)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create dashboard", Resource::Dashboard))
            .map_err(|e| with_value(e, "name", &d.document.name))?;
        let details = summary(&d.document);
        let entry = audit_entry(Some(tenant), "create", Resource::Dashboard, d.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(d)
    }

    async fn get_dashboard(&self, tenant: TenantId, id: DashboardId) -> Result<Dashboard> {
        self.get_row(&DASHBOARDS, Scope::Tenant(tenant), id).await
    }

    async fn list_dashboards(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: &PageRequest<DashboardSort>,
    ) -> Result<Page<Dashboard>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        if let Some(q) = search.map(str::trim).filter(|q| !q.is_empty()) {
            wh.and_contains(&["name", "COALESCE(description, '')"], q);
        }
        list_page(self.pool(), "dashboards", COLUMNS, wh, page, from_row).await
    }

    async fn update_dashboard(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DashboardId,
        update: DashboardUpdate,
    ) -> Result<Dashboard> {
        let mut tx = self.begin().await?;
        let mut d = self.dashboard_in(&mut tx, tenant, id).await?;
        check_version(Resource::Dashboard, update.expected_version, d.version)?;
        let before = summary(&d.document);
        d.document = update.document;
        bump_version(&mut d.version, &mut d.updated_at);
        let mut sql = Sql::new("UPDATE dashboards SET name = ");
        sql.bind(d.document.name.clone())
            .push(", description = ")
            .bind(d.document.description.clone())
            .push(", version = ")
            .bind(d.version)
            .push(", document = ")
            .bind(to_json(&d.document)?)
            .push(", updated_at = ")
            .bind(d.updated_at)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("update dashboard", Resource::Dashboard))
            .map_err(|e| with_value(e, "name", &d.document.name))?;
        // The whole document is replaced: its summary before and after, not each field.
        let details = json!({"from": before, "to": summary(&d.document), "version": d.version});
        let entry = audit_entry(Some(tenant), "update", Resource::Dashboard, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(d)
    }

    async fn delete_dashboard(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DashboardId,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let d = self.dashboard_in(&mut tx, tenant, id).await?;
        let mut sql = Sql::new("DELETE FROM dashboards WHERE id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete dashboard"))?;
        let details = json!({"name": d.document.name, "version": d.version});
        let entry = audit_entry(Some(tenant), "delete", Resource::Dashboard, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(())
    }

    async fn set_dashboard_share(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DashboardId,
        token: Option<String>,
    ) -> Result<Dashboard> {
        let mut tx = self.begin().await?;
        let mut d = self.dashboard_in(&mut tx, tenant, id).await?;
        let was_shared = d.share_token.is_some();
        d.share_token = token;
        d.updated_at = truncate_ms(now());
        let mut sql = Sql::new("UPDATE dashboards SET share_token = ");
        sql.bind(d.share_token.clone())
            .push(", updated_at = ")
            .bind(d.updated_at)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("share dashboard", Resource::Dashboard))?;
        // The token itself is a credential: the audit log records that a link was made,
        // not the link.
        let action = match (&d.share_token, was_shared) {
            (Some(_), false) => "share",
            (Some(_), true) => "reshare",
            (None, _) => "unshare",
        };
        let details = json!({"name": d.document.name});
        let entry = audit_entry(Some(tenant), action, Resource::Dashboard, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(d)
    }

    async fn find_shared_dashboard(&self, token: &str) -> Result<Option<Dashboard>> {
        if token.is_empty() {
            return Ok(None);
        }
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM dashboards WHERE share_token = "
        ));
        sql.bind(token.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read shared dashboard"))?;
        row.as_ref().map(from_row).transpose()
    }
}
