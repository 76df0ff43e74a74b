//! The steps every audited change of a stored object shares, in the order they run: read
//! the object in its tenant, locked for the transaction ([`SqlStore::in_tenant`]); refuse
//! a stale copy ([`check_version`]); apply the patch while recording each field's old and
//! new value ([`Changes`]); mark the object changed ([`bump_version`]); and write the audit
//! record in the transaction of the change, committing both at once ([`commit_audited`]).
//! What is written in between (the UPDATE, the rows that go with it) stays with each table.

use crate::SqlStore;
use crate::sql::{Sql, audit, now, storage};
use ironloom_core::entity::{Actor, NewAuditEntry, Resource, Timestamp};
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::TenantId;
use ironloom_core::repo::Scope;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Transaction};
use std::fmt::Display;

/// A table whose rows are read one by one by id ([`SqlStore::in_tenant`],
/// [`SqlStore::row_in`], [`SqlStore::get_row`]).
#[derive(Debug)]
pub(crate) struct Table<T> {
    pub name: &'static str,
    /// The columns `decode` reads.
    pub columns: &'static str,
    pub decode: fn(&AnyRow) -> Result<T>,
    /// What a missing row is not found as.
    pub resource: Resource,
    /// What a failed read says it was doing.
    pub read: &'static str,
}

/// Whether a read inside a write transaction locks the row until the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// A plain read (outside a change, or where nothing read is written back).
    No,
    /// The row is read to be changed: nobody else changes it before the commit.
    ForUpdate,
}

impl SqlStore {
    /// Reads row `id` of `table` in `tenant`. `NotFound` when the tenant has no such row,
    /// which is also what another tenant's row answers.
    pub(crate) async fn in_tenant<T>(
        &self,
        conn: &mut AnyConnection,
        table: &Table<T>,
        tenant: TenantId,
        id: impl Display,
        lock: Lock,
    ) -> Result<T> {
        self.row_in(conn, table, Scope::Tenant(tenant), id, lock)
            .await
    }

    /// Reads row `id` of `table` in `scope` on a connection of its own, outside any change.
    pub(crate) async fn get_row<T>(
        &self,
        table: &Table<T>,
        scope: Scope,
        id: impl Display,
    ) -> Result<T> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        self.row_in(&mut conn, table, scope, id, Lock::No).await
    }

    /// Reads row `id` of `table`, only if it is in `scope` (a tenant's rows, or all).
    pub(crate) async fn row_in<T>(
        &self,
        conn: &mut AnyConnection,
        table: &Table<T>,
        scope: Scope,
        id: impl Display,
        lock: Lock,
    ) -> Result<T> {
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM {} WHERE id = ",
            table.columns, table.name
        ));
        sql.bind(id.to_string()).and_scope(scope);
        if lock == Lock::ForUpdate {
            sql.push(self.for_update());
        }
        let row = sql
            .query()
            .fetch_optional(conn)
            .await
            .map_err(storage(table.read))?
            .ok_or(Error::NotFound(table.resource))?;
        (table.decode)(&row)
    }
}

/// Refuses a change made to a copy of version `expected` when version `actual` is stored:
/// someone changed the object since the caller read it. No expected version, no check.
pub(crate) fn check_version(resource: Resource, expected: Option<i64>, actual: i64) -> Result<()> {
    match expected {
        Some(expected) if expected != actual => Err(Error::VersionConflict { resource, actual }),
        _ => Ok(()),
    }
}

/// Marks a stored object changed: its next version, stamped now.
pub(crate) fn bump_version(version: &mut i64, updated_at: &mut Timestamp) {
    *version += 1;
    *updated_at = now();
}

/// The details of an update's audit record: each changed field as `{"from": old, "to":
/// new}`, and notes of other shapes (the new version, a flag).
#[derive(Debug, Default)]
pub(crate) struct Changes(serde_json::Map<String, Value>);

impl Changes {
    /// Applies a patch's value for `field`, if it has one, to `slot`, recording the change
    /// (also when the new value equals the old: the caller asked for it).
    pub fn set<T: Serialize>(&mut self, field: &str, slot: &mut T, new: Option<T>) {
        if let Some(new) = new {
            self.record(field, &*slot, &new);
            *slot = new;
        }
    }

    /// Records `field` going from `from` to `to`.
    pub fn record(&mut self, field: &str, from: impl Serialize, to: impl Serialize) {
        self.0
            .insert(field.to_owned(), json!({"from": from, "to": to}));
    }

    /// Records `field` going from `from` to `to` if they differ (a whole document replaced).
    pub fn diff<T: Serialize + PartialEq>(&mut self, field: &str, from: &T, to: &T) {
        if from != to {
            self.record(field, from, to);
        }
    }

    /// Adds an entry that is not a field's change.
    pub fn note(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_owned(), value);
    }
}

impl From<Changes> for Value {
    fn from(c: Changes) -> Value {
        Value::Object(c.0)
    }
}

/// The audit record of `action` on object `id` of `resource` in `tenant` (`None`: a
/// platform-level object).
pub(crate) fn audit_entry(
    tenant: Option<TenantId>,
    action: &str,
    resource: Resource,
    id: impl Display,
    details: Value,
) -> NewAuditEntry {
    NewAuditEntry {
        tenant_id: tenant,
        action: action.to_owned(),
        resource,
        resource_id: Some(id.to_string()),
        details,
    }
}

/// Writes the audit record of the change made in `tx` and commits both: a change is never
/// stored without its record, nor recorded without being stored.
pub(crate) async fn commit_audited(
    mut tx: Transaction<'static, Any>,
    actor: &Actor,
    entry: NewAuditEntry,
) -> Result<()> {
    audit(&mut tx, actor, entry).await?;
    tx.commit().await.map_err(storage("commit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_version_is_refused_with_the_stored_one() {
        assert!(check_version(Resource::Rule, None, 7).is_ok());
        assert!(check_version(Resource::Rule, Some(7), 7).is_ok());
        assert!(matches!(
            check_version(Resource::Rule, Some(6), 7),
            Err(Error::VersionConflict {
                resource: Resource::Rule,
                actual: 7
            })
        ));
    }

    #[test]
    fn changes_record_what_a_patch_sets() {
        let mut name = "old".to_string();
        let mut label: Option<String> = Some("L".into());
        let mut c = Changes::default();
        c.set("name", &mut name, Some("new".into()));
        c.set("label", &mut label, None);
        c.diff("enabled", &true, &true);
        c.diff("count", &1, &2);
        c.note("version", json!(3));
        assert_eq!((name.as_str(), label.as_deref()), ("new", Some("L")));
        assert_eq!(
            Value::from(c),
            json!({
                "name": {"from": "old", "to": "new"},
                "count": {"from": 1, "to": 2},
                "version": 3,
            })
        );
    }

    #[test]
    fn bumping_moves_version_and_stamp_forward() {
        let before = now() - chrono::Duration::seconds(5);
        let (mut version, mut at) = (4, before);
        bump_version(&mut version, &mut at);
        assert_eq!(version, 5);
        assert!(at > before);
    }
}
