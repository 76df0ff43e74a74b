//! Readers a tenant lets see its identifiers' values that are not public (see
//! `ironloom_core::identifier::IdGrant`).

use crate::SqlStore;
use crate::change::*;
use crate::identifiers::{count_in, unique};
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldErrorKind, Result};
use ironloom_core::identifier::IdGrant;
use ironloom_core::ids::TenantId;
use ironloom_core::repo::IdentifierGrantRepo;
use serde_json::json;
use sqlx::any::AnyRow;

const COLS: &str = "g.tenant_id, g.scope, g.reader_tenant_id, g.created_at, t.code AS reader";

fn grant_from_row(row: &AnyRow) -> Result<IdGrant> {
    Ok(IdGrant {
        scope: text(row, "scope")?,
        tenant_id: parse(row, "tenant_id")?,
        reader_tenant_id: parse(row, "reader_tenant_id")?,
        reader: text(row, "reader")?,
        created_at: ts(row, "created_at")?,
    })
}

#[async_trait]
impl IdentifierGrantRepo for SqlStore {
    async fn grant_reader(&self, actor: &Actor, g: &IdGrant) -> Result<IdGrant> {
        if g.reader_tenant_id == g.tenant_id {
            return Err(Error::invalid("reader", FieldErrorKind::NotAllowed));
        }
        let mut tx = self.begin().await?;
        // The scope: one of the owner's prefixes, or one of its identifiers.
        let mut held = Sql::new("SELECT COUNT(*) AS n FROM iir_prefixes WHERE prefix = ");
        held.bind(g.scope.to_ascii_uppercase())
            .and("tenant_id =", g.tenant_id.to_string());
        let mut own = Sql::new("SELECT COUNT(*) AS n FROM iir_identifiers WHERE handle = ");
        own.bind(g.scope.clone())
            .and("tenant_id =", g.tenant_id.to_string());
        let scope = if count_in(&mut tx, &held).await? > 0 {
            g.scope.to_ascii_uppercase()
        } else if count_in(&mut tx, &own).await? > 0 {
            g.scope.clone()
        } else {
            return Err(Error::invalid(
                "scope",
                FieldErrorKind::UnknownReference(Resource::Identifier),
            ));
        };
        let at = truncate_ms(g.created_at);
        let mut sql = Sql::new(
            "INSERT INTO iir_grants (tenant_id, scope, reader_tenant_id, created_at) VALUES (",
        );
        sql.bind(g.tenant_id.to_string())
            .push(", ")
            .bind(scope.clone())
            .push(", ")
            .bind(g.reader_tenant_id.to_string())
            .push(", ")
            .bind(at.timestamp_millis())
            .push(")");
        sql.query().execute(&mut *tx).await.map_err(unique(
            "grant a reader",
            Resource::IdGrant,
            "reader",
            &g.reader,
        ))?;
        let entry = audit_entry(
            Some(g.tenant_id),
            "grant",
            Resource::IdGrant,
            &scope,
            json!({"reader": g.reader, "reader_tenant_id": g.reader_tenant_id}),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(IdGrant {
            scope,
            created_at: at,
            ..g.clone()
        })
    }

    async fn revoke_reader(
        &self,
        actor: &Actor,
        owner: TenantId,
        scope: &str,
        reader: TenantId,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut sql = Sql::new("DELETE FROM iir_grants WHERE tenant_id = ");
        sql.bind(owner.to_string())
            .push(" AND (scope = ")
            .bind(scope)
            .push(" OR scope = ")
            .bind(scope.to_ascii_uppercase())
            .push(")")
            .and("reader_tenant_id =", reader.to_string());
        let n = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("revoke a reader"))?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Resource::IdGrant));
        }
        let entry = audit_entry(
            Some(owner),
            "revoke",
            Resource::IdGrant,
            scope,
            json!({"reader_tenant_id": reader}),
        );
        commit_audited(tx, actor, entry).await
    }

    async fn list_grants(&self, owner: TenantId) -> Result<Vec<IdGrant>> {
        self.grants_of(owner, None).await
    }

    async fn grants_to(&self, owner: TenantId, reader: TenantId) -> Result<Vec<IdGrant>> {
        self.grants_of(owner, Some(reader)).await
    }
}

impl SqlStore {
    /// An owner's grants, to one reader or to all, by scope and reader code.
    async fn grants_of(&self, owner: TenantId, reader: Option<TenantId>) -> Result<Vec<IdGrant>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLS} FROM iir_grants g JOIN tenants t ON t.id = g.reader_tenant_id \
             WHERE g.tenant_id = "
        ));
        sql.bind(owner.to_string());
        if let Some(r) = reader {
            sql.and("g.reader_tenant_id =", r.to_string());
        }
        sql.push(" ORDER BY g.scope, t.code");
        sql.query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list grants"))?
            .iter()
            .map(grant_from_row)
            .collect()
    }
}
