//! Reading the audit log; entries are written by `sql::audit` inside each change.

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::repo::{AuditRepo, Scope};
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, at, actor_kind, actor_id, actor_name, actor_tenant_id, ip, \
    action, resource, resource_id, details";

fn from_row(row: &AnyRow) -> Result<AuditEntry> {
    let kind = text(row, "actor_kind")?;
    let resource = text(row, "resource")?;
    Ok(AuditEntry {
        id: parse(row, "id")?,
        tenant_id: opt_parse(row, "tenant_id")?,
        at: ts(row, "at")?,
        actor: Actor {
            kind: ActorKind::parse(&kind)
                .ok_or_else(|| Error::storage("decode row", format!("actor kind {kind:?}")))?,
            id: opt_text(row, "actor_id")?,
            name: text(row, "actor_name")?,
            tenant_id: opt_parse(row, "actor_tenant_id")?,
            ip: opt_text(row, "ip")?,
        },
        action: text(row, "action")?,
        resource: Resource::parse(&resource)
            .ok_or_else(|| Error::storage("decode row", format!("resource {resource:?}")))?,
        resource_id: opt_text(row, "resource_id")?,
        details: json(row, "details")?,
    })
}

#[async_trait]
impl AuditRepo for SqlStore {
    async fn append_audit(&self, actor: &Actor, entry: NewAuditEntry) -> Result<()> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        audit(&mut conn, actor, entry).await
    }

    async fn list_audit(
        &self,
        scope: Scope,
        filter: &AuditFilter,
        page: &PageRequest<AuditSort>,
    ) -> Result<Page<AuditEntry>> {
        let mut wh = Sql::new(" WHERE 1 = 1");
        wh.and_scope(scope);
        match filter.tenant_id {
            Some(Some(t)) => {
                wh.and("tenant_id =", t.to_string());
            }
            Some(None) => {
                wh.push(" AND tenant_id IS NULL");
            }
            None => {}
        }
        if let Some(r) = filter.resource {
            wh.and("resource =", r.as_str());
        }
        if let Some(id) = &filter.resource_id {
            wh.and("resource_id =", id.as_str());
        }
        if let Some(a) = &filter.action {
            wh.and("action =", a.as_str());
        }
        if let Some(a) = &filter.actor_id {
            wh.and("actor_id =", a.as_str());
        }
        if let Some(s) = filter.since {
            wh.and("at >=", s);
        }
        if let Some(u) = filter.until {
            wh.and("at <", u);
        }
        list_page(self.pool(), "audit_log", COLUMNS, wh, page, from_row).await
    }
}
