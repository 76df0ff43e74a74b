//! Rules and their versions.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::Result;
use ironloom_core::ids::{RuleId, TenantId};
use ironloom_core::repo::RuleRepo;
use ironloom_core::repo::Scope;
use ironloom_core::rule::{Rule, RuleDoc, RuleUpdate, RuleVersion};
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, name, enabled, version, document, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Rule> {
    Ok(Rule {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        version: int(row, "version")?,
        document: json(row, "document")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

const RULES: Table<Rule> = Table {
    name: "rules",
    columns: COLUMNS,
    decode: from_row,
    resource: Resource::Rule,
    read: "read rule",
};

async fn save_version(
    conn: &mut AnyConnection,
    id: RuleId,
    version: i64,
    doc: &RuleDoc,
    at: Timestamp,
    actor: &Actor,
) -> Result<()> {
    let mut sql = Sql::new(
        "INSERT INTO rule_versions (rule_id, version, document, created_at, actor) VALUES (",
    );
    sql.bind(id.to_string())
        .push(", ")
        .bind(version)
        .push(", ")
        .bind(to_json(doc)?)
        .push(", ")
        .bind(at)
        .push(", ")
        .bind(actor.name.clone())
        .push(")");
    sql.query()
        .execute(conn)
        .await
        .map_err(storage("save rule version"))?;
    Ok(())
}

#[async_trait]
impl RuleRepo for SqlStore {
    async fn create_rule(&self, actor: &Actor, tenant: TenantId, doc: RuleDoc) -> Result<Rule> {
        let mut tx = self.begin().await?;
        let now = truncate_ms(now());
        let r = Rule {
            id: RuleId::new(),
            tenant_id: tenant,
            version: 1,
            document: doc,
            created_at: now,
            updated_at: now,
        };
        let mut sql = Sql::new(&format!("INSERT INTO rules ({COLUMNS}) VALUES ("));
        sql.bind(r.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(r.document.name.clone())
            .push(", ")
            .bind(r.document.enabled)
            .push(", ")
            .bind(r.version)
            .push(", ")
            .bind(to_json(&r.document)?)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create rule", Resource::Rule))
            .map_err(|e| with_value(e, "name", &r.document.name))?;
        save_version(&mut tx, r.id, 1, &r.document, now, actor).await?;
        let details = json!({"name": r.document.name, "enabled": r.document.enabled});
        let entry = audit_entry(Some(tenant), "create", Resource::Rule, r.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(r)
    }

    async fn get_rule(&self, tenant: TenantId, id: RuleId) -> Result<Rule> {
        self.get_row(&RULES, Scope::Tenant(tenant), id).await
    }

    async fn list_rules(
        &self,
        tenant: TenantId,
        page: &PageRequest<RuleSort>,
    ) -> Result<Page<Rule>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        list_page(self.pool(), "rules", COLUMNS, wh, page, from_row).await
    }

    async fn update_rule(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: RuleId,
        update: RuleUpdate,
    ) -> Result<Rule> {
        let mut tx = self.begin().await?;
        let mut r = self
            .in_tenant(&mut tx, &RULES, tenant, id, Lock::ForUpdate)
            .await?;
        check_version(Resource::Rule, update.expected_version, r.version)?;
        let before = std::mem::replace(&mut r.document, update.document);
        bump_version(&mut r.version, &mut r.updated_at);
        let mut sql = Sql::new("UPDATE rules SET name = ");
        sql.bind(r.document.name.clone())
            .push(", enabled = ")
            .bind(r.document.enabled)
            .push(", version = ")
            .bind(r.version)
            .push(", document = ")
            .bind(to_json(&r.document)?)
            .push(", updated_at = ")
            .bind(r.updated_at)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("update rule", Resource::Rule))
            .map_err(|e| with_value(e, "name", &r.document.name))?;
        save_version(&mut tx, id, r.version, &r.document, r.updated_at, actor).await?;
        let mut changes = Changes::default();
        changes.diff("name", &before.name, &r.document.name);
        changes.diff("enabled", &before.enabled, &r.document.enabled);
        changes.note("version", json!(r.version));
        let entry = audit_entry(Some(tenant), "update", Resource::Rule, id, changes.into());
        commit_audited(tx, actor, entry).await?;
        Ok(r)
    }

    async fn delete_rule(&self, actor: &Actor, tenant: TenantId, id: RuleId) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = self
            .in_tenant(&mut tx, &RULES, tenant, id, Lock::ForUpdate)
            .await?;
        let mut sql = Sql::new("DELETE FROM rule_versions WHERE rule_id = ");
        sql.bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete rule versions"))?;
        let mut sql = Sql::new("DELETE FROM rules WHERE id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete rule"))?;
        let details = json!({"name": r.document.name, "version": r.version});
        let entry = audit_entry(Some(tenant), "delete", Resource::Rule, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(())
    }

    async fn rule_versions(&self, tenant: TenantId, id: RuleId) -> Result<Vec<RuleVersion>> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        // Only a rule of the tenant has versions to show.
        self.in_tenant(&mut conn, &RULES, tenant, id, Lock::No)
            .await?;
        let mut sql = Sql::new(
            "SELECT version, document, created_at, actor FROM rule_versions WHERE rule_id = ",
        );
        sql.bind(id.to_string()).push(" ORDER BY version DESC");
        let rows = sql
            .query()
            .fetch_all(&mut *conn)
            .await
            .map_err(storage("read rule versions"))?;
        rows.iter()
            .map(|row| {
                Ok(RuleVersion {
                    version: int(row, "version")?,
                    document: json(row, "document")?,
                    created_at: ts(row, "created_at")?,
                    actor: text(row, "actor")?,
                })
            })
            .collect()
    }

    async fn enabled_rules(&self) -> Result<Vec<Rule>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM rules WHERE enabled = "));
        sql.bind(true).push(" ORDER BY tenant_id, created_at");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read enabled rules"))?;
        rows.iter().map(from_row).collect()
    }
}
