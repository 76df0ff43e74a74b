//! API keys. The secret is stored as a SHA-256 hash only.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::ApiKeyId;
use ironloom_core::repo::{ApiKeyRepo, Scope};
use serde_json::json;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, name, prefix, secret_hash, scopes, expires_at, created_by, \
    created_at, last_used_at, revoked";

fn from_row(row: &AnyRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: parse(row, "id")?,
        tenant_id: opt_parse(row, "tenant_id")?,
        name: text(row, "name")?,
        prefix: text(row, "prefix")?,
        scopes: json(row, "scopes")?,
        expires_at: opt_ts(row, "expires_at")?,
        created_by: parse(row, "created_by")?,
        created_at: ts(row, "created_at")?,
        last_used_at: opt_ts(row, "last_used_at")?,
        revoked: flag(row, "revoked")?,
    })
}

#[async_trait]
impl ApiKeyRepo for SqlStore {
    async fn create_api_key(&self, actor: &Actor, new: NewApiKey) -> Result<ApiKey> {
        let key = ApiKey {
            id: new.id,
            tenant_id: new.tenant_id,
            name: new.name,
            prefix: new.prefix,
            scopes: new.scopes,
            expires_at: new.expires_at.map(truncate_ms),
            created_by: new.created_by,
            created_at: now(),
            last_used_at: None,
            revoked: false,
        };
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(&format!("INSERT INTO api_keys ({COLUMNS}) VALUES ("));
        sql.bind(key.id.to_string())
            .push(", ")
            .bind(key.tenant_id.map(|t| t.to_string()))
            .push(", ")
            .bind(key.name.clone())
            .push(", ")
            .bind(key.prefix.clone())
            .push(", ")
            .bind(new.secret_hash)
            .push(", ")
            .bind(to_json(&key.scopes)?)
            .push(", ")
            .bind(key.expires_at)
            .push(", ")
            .bind(key.created_by.to_string())
            .push(", ")
            .bind(key.created_at)
            .push(", NULL, 0)");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create API key", Resource::ApiKey))?;
        let details = json!({"name": key.name, "scopes": key.scopes, "expires_at": key.expires_at});
        let entry = audit_entry(key.tenant_id, "create", Resource::ApiKey, key.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(key)
    }

    async fn get_api_key_secret(&self, id: ApiKeyId) -> Result<Option<(ApiKey, String)>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = "));
        sql.bind(id.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read API key"))?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((from_row(&row)?, text(&row, "secret_hash")?))),
        }
    }

    async fn get_api_key(&self, scope: Scope, id: ApiKeyId) -> Result<ApiKey> {
        let (key, _) = self
            .get_api_key_secret(id)
            .await?
            .ok_or(Error::NotFound(Resource::ApiKey))?;
        if !scope.allows(key.tenant_id) {
            return Err(Error::NotFound(Resource::ApiKey));
        }
        Ok(key)
    }

    async fn list_api_keys(
        &self,
        scope: Scope,
        filter: &ApiKeyFilter,
        page: &PageRequest<ApiKeySort>,
    ) -> Result<Page<ApiKey>> {
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
        if let Some(q) = &filter.q {
            wh.and_contains(&["name", "prefix"], q);
        }
        if let Some(u) = filter.created_by {
            wh.and("created_by =", u.to_string());
        }
        if !filter.include_revoked {
            wh.push(" AND revoked = 0");
        }
        list_page(self.pool(), "api_keys", COLUMNS, wh, page, from_row).await
    }

    async fn revoke_api_key(&self, actor: &Actor, scope: Scope, id: ApiKeyId) -> Result<ApiKey> {
        let mut key = self.get_api_key(scope, id).await?;
        let mut tx = self.begin().await?;
        let mut sql = Sql::new("UPDATE api_keys SET revoked = 1 WHERE id = ");
        sql.bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("revoke API key"))?;
        let details = json!({"name": key.name});
        let entry = audit_entry(key.tenant_id, "revoke", Resource::ApiKey, id, details);
        commit_audited(tx, actor, entry).await?;
        key.revoked = true;
        Ok(key)
    }

    async fn touch_api_key(&self, id: ApiKeyId, at: Timestamp) -> Result<()> {
        let mut sql = Sql::new("UPDATE api_keys SET last_used_at = ");
        sql.bind(at).push(" WHERE id = ").bind(id.to_string());
        sql.query()
            .execute(self.pool())
            .await
            .map_err(storage("touch API key"))?;
        Ok(())
    }
}
