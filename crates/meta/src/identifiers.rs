//! Identifier resolution's records: prefixes (unique platform-wide, each held by one
//! tenant), metadata templates (shipped ones without a tenant), identifiers with their
//! values in the Handle protocol's encoding, and links between identifiers.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldErrorKind, Result};
use ironloom_core::identifier::*;
use ironloom_core::identifier_import::{IdImport, ImportProgress, ImportState};
use ironloom_core::ids::{IdImportId, TenantId};
use ironloom_core::market::LocalText;
use ironloom_core::repo::{IdentifierReader, IdentifierRepo};
use ironloom_identifiers::proto::{decode_values, encode_values};
use serde_json::json;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};

const ID_COLUMNS: &str = "handle, handle AS id, tenant_id, prefix, template_id, template_version, \
    vals, created_at, updated_at";

/// Rows a multi-row INSERT takes. SQLite's are few: binding a parameter there costs in
/// proportion to the statement's parameters (sqlx asks each one's name, which SQLite
/// finds by walking the statement's list), so large statements cost quadratically.
fn rows_per_statement(backend: crate::Backend) -> usize {
    match backend {
        crate::Backend::Sqlite => 32,
        crate::Backend::Postgres => 200,
    }
}

fn record_from_row(row: &AnyRow) -> Result<IdentifierRecord> {
    let template = match (
        opt_text(row, "template_id")?,
        opt_text(row, "template_version")?,
    ) {
        (Some(id), Some(version)) => Some(TemplateRef { id, version }),
        _ => None,
    };
    let vals = bytes(row, "vals")?;
    Ok(IdentifierRecord {
        handle: text(row, "handle")?,
        tenant_id: parse(row, "tenant_id")?,
        prefix: text(row, "prefix")?,
        template,
        values: decode_values(&vals).map_err(|e| Error::storage("decode identifier values", e))?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn link_from_row(row: &AnyRow) -> Result<IdLink> {
    Ok(IdLink {
        parent: text(row, "parent")?,
        child: text(row, "child")?,
        kind: enum_col(row, "kind", LinkKind::parse)?,
        tenant_id: parse(row, "tenant_id")?,
        created_at: ts(row, "created_at")?,
    })
}

fn template_from_row(row: &AnyRow) -> Result<IdTemplate> {
    let mut t: IdTemplate = json(row, "document")?;
    t.tenant_id = opt_parse(row, "tenant_id")?;
    t.shipped = t.tenant_id.is_none();
    Ok(t)
}

/// The document a template is kept as (everything but its owner, which has a column).
fn template_document(t: &IdTemplate) -> Result<String> {
    to_json(t)
}

fn exists(resource: Resource, field: &'static str, value: &str) -> Error {
    Error::AlreadyExists {
        resource,
        field,
        value: value.to_string(),
    }
}

/// A database error, with a unique violation told as `field` `value` existing already.
pub(crate) fn unique<'a>(
    action: &'static str,
    resource: Resource,
    field: &'static str,
    value: &'a str,
) -> impl Fn(sqlx::Error) -> Error + 'a {
    move |e| match db_err(action, resource)(e) {
        Error::AlreadyExists { .. } => exists(resource, field, value),
        other => other,
    }
}

/// The count a `SELECT COUNT(*) AS n …` gives, in the transaction.
pub(crate) async fn count_in(conn: &mut sqlx::AnyConnection, sql: &Sql) -> Result<u64> {
    count(
        &sql.query()
            .fetch_one(conn)
            .await
            .map_err(storage("count rows"))?,
    )
}

/// Registers identifiers in the transaction: those that exist already and repeats within
/// `records` are left as they are and reported `Exists`. The one way identifiers are
/// inserted (single, batch and import registration).
pub(crate) async fn register_in(
    tx: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    tenant: TenantId,
    records: &[IdentifierRecord],
) -> Result<Vec<BatchOutcome>> {
    if records.iter().any(|r| r.tenant_id != tenant) {
        return Err(Error::invalid("tenant", FieldErrorKind::NotAllowed));
    }
    // One statement a chunk inserts what does not exist yet and says which it
    // inserted (a repeat within the batch is skipped like an existing one).
    let mut inserted: HashSet<String> = HashSet::with_capacity(records.len());
    for chunk in records.chunks(rows_per_statement(backend)) {
        let mut sql = Sql::new(
            "INSERT INTO iir_identifiers (handle, tenant_id, prefix, template_id, \
             template_version, vals, created_at, updated_at) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let at = truncate_ms(r.created_at).timestamp_millis();
            sql.push("(")
                .bind(r.handle.clone())
                .push(", ")
                .bind(r.tenant_id.to_string())
                .push(", ")
                .bind(r.prefix.clone())
                .push(", ")
                .bind(r.template.as_ref().map(|t| t.id.clone()))
                .push(", ")
                .bind(r.template.as_ref().map(|t| t.version.clone()))
                .push(", ")
                .bind(encode_values(&r.values))
                .push(", ")
                .bind(at)
                .push(", ")
                .bind(at)
                .push(")");
        }
        sql.push(" ON CONFLICT (handle) DO NOTHING RETURNING handle");
        for row in sql
            .query()
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err("register identifiers", Resource::Identifier))?
        {
            inserted.insert(text(&row, "handle")?);
        }
    }
    // The first of repeats within the batch is the one inserted.
    Ok(records
        .iter()
        .map(|r| {
            if inserted.remove(&r.handle) {
                BatchOutcome::Created
            } else {
                BatchOutcome::Exists
            }
        })
        .collect())
}

#[async_trait]
impl IdentifierRepo for SqlStore {
    fn identifier_reader(&self) -> Result<Option<Box<dyn IdentifierReader>>> {
        match &self.file {
            Some(file) => Ok(Some(Box::new(
                crate::identifier_reader::SqliteIdentifierReader::open(file)?,
            ))),
            None => Ok(None),
        }
    }

    async fn create_prefix(&self, actor: &Actor, p: &IdPrefix) -> Result<IdPrefix> {
        let mut tx = self.begin().await?;
        let mut held = Sql::new("SELECT COUNT(*) AS n FROM iir_prefixes WHERE tenant_id = ");
        held.bind(p.tenant_id.to_string());
        let n = count_in(&mut tx, &held).await?;
        if n >= MAX_PREFIXES_PER_TENANT as u64 {
            return Err(Error::QuotaExceeded {
                what: Resource::IdPrefix,
                limit: MAX_PREFIXES_PER_TENANT as u64,
            });
        }
        let at = truncate_ms(p.created_at);
        let mut sql =
            Sql::new("INSERT INTO iir_prefixes (prefix, tenant_id, name, created_at) VALUES (");
        sql.bind(p.prefix.clone())
            .push(", ")
            .bind(p.tenant_id.to_string())
            .push(", ")
            .bind(p.name.clone())
            .push(", ")
            .bind(at.timestamp_millis())
            .push(")");
        sql.query().execute(&mut *tx).await.map_err(unique(
            "create prefix",
            Resource::IdPrefix,
            "prefix",
            &p.prefix,
        ))?;
        let entry = audit_entry(
            Some(p.tenant_id),
            "create",
            Resource::IdPrefix,
            &p.prefix,
            json!({"name": p.name}),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(IdPrefix {
            created_at: at,
            identifiers: 0,
            ..p.clone()
        })
    }

    async fn list_prefixes(&self, tenant: TenantId) -> Result<Vec<IdPrefix>> {
        let mut sql = Sql::new(
            "SELECT p.prefix, p.tenant_id, p.name, p.created_at, \
             (SELECT COUNT(*) FROM iir_identifiers i WHERE i.prefix = p.prefix) AS n \
             FROM iir_prefixes p WHERE p.tenant_id = ",
        );
        sql.bind(tenant.to_string()).push(" ORDER BY p.prefix");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list prefixes"))?;
        rows.iter()
            .map(|r| {
                Ok(IdPrefix {
                    prefix: text(r, "prefix")?,
                    tenant_id: parse(r, "tenant_id")?,
                    name: text(r, "name")?,
                    identifiers: count(r)?,
                    created_at: ts(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn prefix_owner(&self, prefix: &str) -> Result<Option<TenantId>> {
        let mut sql = Sql::new("SELECT tenant_id FROM iir_prefixes WHERE prefix = ");
        sql.bind(prefix.to_ascii_uppercase());
        sql.query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("find prefix"))?
            .map(|r| parse(&r, "tenant_id"))
            .transpose()
    }

    async fn delete_prefix(&self, actor: &Actor, tenant: TenantId, prefix: &str) -> Result<()> {
        let prefix = prefix.to_ascii_uppercase();
        let mut tx = self.begin().await?;
        let mut used = Sql::new("SELECT COUNT(*) AS n FROM iir_identifiers WHERE prefix = ");
        used.bind(prefix.clone());
        let n = count_in(&mut tx, &used).await?;
        let mut sql = Sql::new("DELETE FROM iir_prefixes WHERE prefix = ");
        sql.bind(prefix.clone())
            .and("tenant_id =", tenant.to_string());
        // Another tenant's prefix is not found, whether it has identifiers or not.
        if n > 0 {
            let mut mine = Sql::new("SELECT COUNT(*) AS n FROM iir_prefixes WHERE prefix = ");
            mine.bind(prefix.clone())
                .and("tenant_id =", tenant.to_string());
            let held = count_in(&mut tx, &mine).await?;
            if held == 0 {
                return Err(Error::NotFound(Resource::IdPrefix));
            }
            return Err(Error::InUse {
                resource: Resource::IdPrefix,
                by: Resource::Identifier,
                count: n,
            });
        }
        let done = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete prefix"))?
            .rows_affected();
        if done == 0 {
            return Err(Error::NotFound(Resource::IdPrefix));
        }
        let entry = audit_entry(
            Some(tenant),
            "delete",
            Resource::IdPrefix,
            &prefix,
            json!({}),
        );
        commit_audited(tx, actor, entry).await
    }

    async fn create_template(&self, actor: &Actor, t: &IdTemplate) -> Result<IdTemplate> {
        let mut tx = self.begin().await?;
        // An id belongs to whoever made its first version (a shipped one to the platform):
        // others cannot add versions to it.
        let mut owner = Sql::new("SELECT tenant_id FROM iir_templates WHERE id = ");
        owner.bind(t.id.clone()).push(" LIMIT 1");
        if let Some(row) = owner
            .query()
            .fetch_optional(&mut *tx)
            .await
            .map_err(storage("find template"))?
        {
            let held: Option<TenantId> = opt_parse(&row, "tenant_id")?;
            if held != t.tenant_id {
                return Err(Error::invalid(
                    "id",
                    FieldErrorKind::Other {
                        en: format!(
                            "{} is a template of the platform's or another tenant's",
                            t.id
                        ),
                        zh: format!("{} 是平台或其他租户的模板", t.id),
                    },
                ));
            }
        }
        let at = truncate_ms(t.created_at);
        let stored = IdTemplate {
            created_at: at,
            shipped: t.tenant_id.is_none(),
            ..t.clone()
        };
        let mut sql = Sql::new(
            "INSERT INTO iir_templates (id, version, tenant_id, document, created_at) VALUES (",
        );
        sql.bind(t.id.clone())
            .push(", ")
            .bind(t.version.clone())
            .push(", ")
            .bind(t.tenant_id.map(|x| x.to_string()))
            .push(", ")
            .bind(template_document(&stored)?)
            .push(", ")
            .bind(at.timestamp_millis())
            .push(")");
        let named = format!("{} {}", t.id, t.version);
        sql.query().execute(&mut *tx).await.map_err(unique(
            "create template",
            Resource::IdTemplate,
            "version",
            &named,
        ))?;
        let entry = audit_entry(
            t.tenant_id,
            "create",
            Resource::IdTemplate,
            format!("{}@{}", t.id, t.version),
            json!({"fields": t.fields.len()}),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(stored)
    }

    async fn get_template(&self, id: &str, version: &str) -> Result<IdTemplate> {
        let mut sql = Sql::new("SELECT tenant_id, document FROM iir_templates WHERE id = ");
        sql.bind(id).and("version =", version);
        sql.query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read template"))?
            .ok_or(Error::NotFound(Resource::IdTemplate))
            .and_then(|r| template_from_row(&r))
    }

    async fn list_templates(&self, tenant: Option<TenantId>) -> Result<Vec<IdTemplate>> {
        let mut sql =
            Sql::new("SELECT tenant_id, document FROM iir_templates WHERE tenant_id IS NULL");
        if let Some(t) = tenant {
            sql.push(" OR tenant_id = ").bind(t.to_string());
        }
        sql.push(" ORDER BY id, created_at");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list templates"))?;
        rows.iter().map(template_from_row).collect()
    }

    async fn update_template(
        &self,
        actor: &Actor,
        tenant: TenantId,
        t: &IdTemplate,
    ) -> Result<IdTemplate> {
        let mut tx = self.begin().await?;
        let stored = IdTemplate {
            created_at: truncate_ms(t.created_at),
            tenant_id: Some(tenant),
            shipped: false,
            ..t.clone()
        };
        let mut sql = Sql::new("UPDATE iir_templates SET document = ");
        sql.bind(template_document(&stored)?)
            .push(" WHERE id = ")
            .bind(t.id.clone())
            .and("version =", t.version.clone())
            .and("tenant_id =", tenant.to_string());
        let n = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("update template"))?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Resource::IdTemplate));
        }
        let entry = audit_entry(
            Some(tenant),
            "update",
            Resource::IdTemplate,
            format!("{}@{}", t.id, t.version),
            json!({"fields": t.fields.len()}),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(stored)
    }

    async fn delete_template(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: &str,
        version: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut mine = Sql::new("SELECT COUNT(*) AS n FROM iir_templates WHERE id = ");
        mine.bind(id)
            .and("version =", version)
            .and("tenant_id =", tenant.to_string());
        if count_in(&mut tx, &mine).await? == 0 {
            return Err(Error::NotFound(Resource::IdTemplate));
        }
        let mut used = Sql::new("SELECT COUNT(*) AS n FROM iir_identifiers WHERE template_id = ");
        used.bind(id).and("template_version =", version);
        let n = count_in(&mut tx, &used).await?;
        if n > 0 {
            return Err(Error::InUse {
                resource: Resource::IdTemplate,
                by: Resource::Identifier,
                count: n,
            });
        }
        let mut sql = Sql::new("DELETE FROM iir_templates WHERE id = ");
        sql.bind(id)
            .and("version =", version)
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete template"))?;
        let entry = audit_entry(
            Some(tenant),
            "delete",
            Resource::IdTemplate,
            format!("{id}@{version}"),
            json!({}),
        );
        commit_audited(tx, actor, entry).await
    }

    async fn create_identifiers(
        &self,
        actor: &Actor,
        tenant: TenantId,
        records: &[IdentifierRecord],
    ) -> Result<Vec<BatchOutcome>> {
        let mut tx = self.begin().await?;
        let outcomes = register_in(&mut tx, self.backend_kind(), tenant, records).await?;
        let created = outcomes
            .iter()
            .filter(|o| **o == BatchOutcome::Created)
            .count();
        let (action, id, details) = match records {
            [one] => (
                "create",
                one.handle.clone(),
                json!({"values": one.values.len()}),
            ),
            _ => (
                "create_batch",
                records
                    .first()
                    .map(|r| r.prefix.clone())
                    .unwrap_or_default(),
                json!({"created": created, "existing": records.len() - created}),
            ),
        };
        let entry = audit_entry(Some(tenant), action, Resource::Identifier, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(outcomes)
    }

    async fn update_identifier(
        &self,
        actor: &Actor,
        r: &IdentifierRecord,
    ) -> Result<IdentifierRecord> {
        let mut tx = self.begin().await?;
        let at = now();
        let mut sql = Sql::new("UPDATE iir_identifiers SET vals = ");
        sql.bind(encode_values(&r.values))
            .push(", template_id = ")
            .bind(r.template.as_ref().map(|t| t.id.clone()))
            .push(", template_version = ")
            .bind(r.template.as_ref().map(|t| t.version.clone()))
            .push(", updated_at = ")
            .bind(at.timestamp_millis())
            .push(" WHERE handle = ")
            .bind(r.handle.clone())
            .and("tenant_id =", r.tenant_id.to_string());
        let n = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("update identifier"))?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Resource::Identifier));
        }
        let mut read = Sql::new(&format!(
            "SELECT {ID_COLUMNS} FROM iir_identifiers WHERE handle = "
        ));
        read.bind(r.handle.clone());
        let stored = record_from_row(
            &read
                .query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("read identifier"))?,
        )?;
        let entry = audit_entry(
            Some(r.tenant_id),
            "update",
            Resource::Identifier,
            &r.handle,
            json!({"values": r.values.len()}),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(stored)
    }

    async fn get_identifier(&self, handle: &str) -> Result<Option<IdentifierRecord>> {
        let mut sql = Sql::new(&format!(
            "SELECT {ID_COLUMNS} FROM iir_identifiers WHERE handle = "
        ));
        sql.bind(handle);
        sql.query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read identifier"))?
            .map(|r| record_from_row(&r))
            .transpose()
    }

    async fn get_identifiers(&self, handles: &[String]) -> Result<Vec<IdentifierRecord>> {
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        if handles.len() > MAX_LOOKUP {
            return Err(Error::invalid(
                "handles",
                FieldErrorKind::TooMany { max: MAX_LOOKUP },
            ));
        }
        let mut sql = Sql::new(&format!(
            "SELECT {ID_COLUMNS} FROM iir_identifiers WHERE handle IN ("
        ));
        for (i, h) in handles.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(h.clone());
        }
        sql.push(")");
        sql.query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read identifiers"))?
            .iter()
            .map(record_from_row)
            .collect()
    }

    async fn delete_identifier(&self, actor: &Actor, tenant: TenantId, handle: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut sql = Sql::new("DELETE FROM iir_identifiers WHERE handle = ");
        sql.bind(handle).and("tenant_id =", tenant.to_string());
        let n = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete identifier"))?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Resource::Identifier));
        }
        let entry = audit_entry(
            Some(tenant),
            "delete",
            Resource::Identifier,
            handle,
            json!({}),
        );
        commit_audited(tx, actor, entry).await
    }

    async fn list_identifiers(
        &self,
        tenant: TenantId,
        prefix: Option<&str>,
        q: Option<&str>,
        page: &PageRequest<IdentifierSort>,
    ) -> Result<Page<IdentifierRecord>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        if let Some(p) = prefix {
            wh.and("prefix =", p.to_ascii_uppercase());
        }
        if let Some(q) = q.filter(|q| !q.is_empty()) {
            wh.and_contains(&["handle"], q);
        }
        list_page(
            self.pool(),
            "iir_identifiers",
            ID_COLUMNS,
            wh,
            page,
            record_from_row,
        )
        .await
    }

    async fn add_link(&self, actor: &Actor, link: &IdLink) -> Result<IdLink> {
        let mut tx = self.begin().await?;
        let mut owner = Sql::new("SELECT COUNT(*) AS n FROM iir_identifiers WHERE handle = ");
        owner
            .bind(link.parent.clone())
            .and("tenant_id =", link.tenant_id.to_string());
        if count_in(&mut tx, &owner).await? == 0 {
            return Err(Error::NotFound(Resource::Identifier));
        }
        let at = truncate_ms(link.created_at);
        let mut sql =
            Sql::new("INSERT INTO iir_links (parent, child, kind, tenant_id, created_at) VALUES (");
        sql.bind(link.parent.clone())
            .push(", ")
            .bind(link.child.clone())
            .push(", ")
            .bind(link.kind.as_str())
            .push(", ")
            .bind(link.tenant_id.to_string())
            .push(", ")
            .bind(at.timestamp_millis())
            .push(")");
        sql.query().execute(&mut *tx).await.map_err(unique(
            "link identifiers",
            Resource::Identifier,
            "child",
            &link.child,
        ))?;
        let entry = audit_entry(
            Some(link.tenant_id),
            "link",
            Resource::Identifier,
            &link.parent,
            json!({"child": link.child, "kind": link.kind.as_str()}),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(IdLink {
            created_at: at,
            ..link.clone()
        })
    }

    async fn remove_link(
        &self,
        actor: &Actor,
        tenant: TenantId,
        parent: &str,
        child: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut sql = Sql::new("DELETE FROM iir_links WHERE parent = ");
        sql.bind(parent)
            .and("child =", child)
            .and("tenant_id =", tenant.to_string());
        let n = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("unlink identifiers"))?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Resource::Identifier));
        }
        let entry = audit_entry(
            Some(tenant),
            "unlink",
            Resource::Identifier,
            parent,
            json!({"child": child}),
        );
        commit_audited(tx, actor, entry).await
    }

    async fn add_resolutions(&self, rows: &[ResolutionCount]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // Several rows a statement (a flush can hold hundreds of thousands of
        // identifiers); repeats of a (month, handle) are added up first, as one
        // statement's upsert must not touch a row twice.
        let mut at: HashMap<(&str, &str), usize> = HashMap::with_capacity(rows.len());
        let mut merged: Vec<ResolutionCount> = Vec::with_capacity(rows.len());
        for r in rows {
            match at.entry((r.month.as_str(), r.handle.as_str())) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    merged[*e.get()].count += r.count;
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(merged.len());
                    merged.push(r.clone());
                }
            }
        }
        let rows = merged;
        let mut tx = self.begin().await?;
        for chunk in rows.chunks(rows_per_statement(self.backend_kind())) {
            let mut sql = Sql::new(
                "INSERT INTO iir_resolutions (month, handle, tenant_id, prefix, count) VALUES ",
            );
            for (i, r) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(r.month.clone())
                    .push(", ")
                    .bind(r.handle.clone())
                    .push(", ")
                    .bind(r.tenant_id.to_string())
                    .push(", ")
                    .bind(r.prefix.clone())
                    .push(", ")
                    .bind(i64::try_from(r.count).unwrap_or(i64::MAX))
                    .push(")");
            }
            sql.push(
                " ON CONFLICT (month, handle) DO UPDATE SET \
                 count = iir_resolutions.count + excluded.count",
            );
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(db_err("count resolutions", Resource::Identifier))?;
        }
        tx.commit().await.map_err(storage("count resolutions"))
    }

    async fn resolution_stats(
        &self,
        tenant: TenantId,
        month: &str,
        top: u32,
    ) -> Result<ResolutionStats> {
        let mut by_prefix = Sql::new(
            "SELECT prefix, CAST(SUM(count) AS BIGINT) AS n FROM iir_resolutions WHERE tenant_id = ",
        );
        by_prefix
            .bind(tenant.to_string())
            .and("month =", month)
            .push(" GROUP BY prefix ORDER BY n DESC, prefix");
        let prefixes = by_prefix
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("count resolutions"))?
            .iter()
            .map(|r| {
                Ok(PrefixCount {
                    prefix: text(r, "prefix")?,
                    count: count(r)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut most = Sql::new(
            "SELECT month, handle, tenant_id, prefix, count FROM iir_resolutions WHERE tenant_id = ",
        );
        most.bind(tenant.to_string())
            .and("month =", month)
            .push(" ORDER BY count DESC, handle LIMIT ")
            .bind(i64::from(top));
        let top = most
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("count resolutions"))?
            .iter()
            .map(|r| {
                Ok(ResolutionCount {
                    month: text(r, "month")?,
                    handle: text(r, "handle")?,
                    tenant_id: parse(r, "tenant_id")?,
                    prefix: text(r, "prefix")?,
                    count: u64::try_from(int(r, "count")?).unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ResolutionStats {
            month: month.to_string(),
            total: prefixes.iter().map(|p| p.count).sum(),
            prefixes,
            top,
        })
    }

    async fn links_of(&self, handle: &str) -> Result<(Vec<IdLink>, Vec<IdLink>)> {
        let cols = "parent, child, kind, tenant_id, created_at";
        let mut down = Sql::new(&format!("SELECT {cols} FROM iir_links WHERE parent = "));
        down.bind(handle).push(" ORDER BY child");
        let mut up = Sql::new(&format!("SELECT {cols} FROM iir_links WHERE child = "));
        up.bind(handle).push(" ORDER BY parent");
        let children = down
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read links"))?
            .iter()
            .map(link_from_row)
            .collect::<Result<Vec<_>>>()?;
        let parents = up
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read links"))?
            .iter()
            .map(link_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok((children, parents))
    }

    async fn create_import(&self, actor: &Actor, job: &IdImport) -> Result<IdImport> {
        crate::identifier_imports::create(self, actor, job).await
    }

    async fn get_import(&self, tenant: TenantId, id: IdImportId) -> Result<IdImport> {
        crate::identifier_imports::get(self, tenant, id).await
    }

    async fn list_imports(
        &self,
        tenant: TenantId,
        page: &PageRequest<IdImportSort>,
    ) -> Result<Page<IdImport>> {
        crate::identifier_imports::list(self, tenant, page).await
    }

    async fn open_imports(&self) -> Result<Vec<IdImport>> {
        crate::identifier_imports::open(self).await
    }

    async fn start_import(&self, id: IdImportId) -> Result<IdImport> {
        crate::identifier_imports::start(self, id).await
    }

    async fn import_chunk(
        &self,
        tenant: TenantId,
        id: IdImportId,
        progress: &ImportProgress,
        records: &[IdentifierRecord],
    ) -> Result<(Vec<BatchOutcome>, IdImport)> {
        crate::identifier_imports::chunk(self, tenant, id, progress, records).await
    }

    async fn finish_import(
        &self,
        id: IdImportId,
        state: ImportState,
        failure: Option<&LocalText>,
    ) -> Result<IdImport> {
        crate::identifier_imports::finish(self, id, state, failure).await
    }

    async fn cancel_import(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: IdImportId,
    ) -> Result<IdImport> {
        crate::identifier_imports::cancel(self, actor, tenant, id).await
    }

    async fn delete_import(&self, actor: &Actor, tenant: TenantId, id: IdImportId) -> Result<()> {
        crate::identifier_imports::delete(self, actor, tenant, id).await
    }
}
