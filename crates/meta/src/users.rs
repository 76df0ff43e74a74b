//! Users and log-in bookkeeping.

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::auth::Role;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{TenantId, UserId};
use ironloom_core::repo::{Scope, UserRepo};
use serde_json::json;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, username, display_name, email, role, password_hash, \
    enabled, password_change_required, failed_logins, locked_until, last_login_at, \
    created_at, updated_at, version";

fn from_row(row: &AnyRow) -> Result<UserCredentials> {
    let role = text(row, "role")?;
    Ok(UserCredentials {
        user: User {
            id: parse(row, "id")?,
            tenant_id: opt_parse(row, "tenant_id")?,
            username: text(row, "username")?,
            display_name: opt_text(row, "display_name")?,
            email: opt_text(row, "email")?,
            role: Role::parse(&role)
                .ok_or_else(|| Error::storage("decode row", format!("unknown role {role:?}")))?,
            enabled: flag(row, "enabled")?,
            password_change_required: flag(row, "password_change_required")?,
            failed_logins: u32::try_from(int(row, "failed_logins")?).unwrap_or(u32::MAX),
            locked_until: opt_ts(row, "locked_until")?,
            last_login_at: opt_ts(row, "last_login_at")?,
            created_at: ts(row, "created_at")?,
            updated_at: ts(row, "updated_at")?,
            version: int(row, "version")?,
        },
        password_hash: text(row, "password_hash")?,
    })
}

fn user_row(row: &AnyRow) -> Result<User> {
    from_row(row).map(|c| c.user)
}

fn scope_clause(sql: &mut Sql, scope: Scope) {
    if let Scope::Tenant(t) = scope {
        sql.and("tenant_id =", t.to_string());
    }
}

impl SqlStore {
    async fn user_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        scope: Scope,
        id: UserId,
        lock: bool,
    ) -> Result<UserCredentials> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users WHERE id = "));
        sql.bind(id.to_string());
        scope_clause(&mut sql, scope);
        if lock {
            sql.push(self.for_update());
        }
        let row = sql
            .query()
            .fetch_optional(conn)
            .await
            .map_err(storage("read user"))?
            .ok_or(Error::NotFound(Resource::User))?;
        from_row(&row)
    }

    async fn write_user(&self, conn: &mut sqlx::AnyConnection, u: &UserCredentials) -> Result<()> {
        let mut sql = Sql::new("UPDATE users SET display_name = ");
        let user = &u.user;
        sql.bind(user.display_name.clone())
            .push(", email = ")
            .bind(user.email.clone())
            .push(", role = ")
            .bind(user.role.as_str())
            .push(", password_hash = ")
            .bind(u.password_hash.clone())
            .push(", enabled = ")
            .bind(user.enabled)
            .push(", password_change_required = ")
            .bind(user.password_change_required)
            .push(", failed_logins = ")
            .bind(i64::from(user.failed_logins))
            .push(", locked_until = ")
            .bind(user.locked_until)
            .push(", last_login_at = ")
            .bind(user.last_login_at)
            .push(", updated_at = ")
            .bind(user.updated_at)
            .push(", version = ")
            .bind(user.version)
            .push(" WHERE id = ")
            .bind(user.id.to_string());
        sql.query()
            .execute(conn)
            .await
            .map_err(db_err("update user", Resource::User))?;
        Ok(())
    }
}

#[async_trait]
impl UserRepo for SqlStore {
    async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User> {
        let now = now();
        let user = User {
            id: UserId::new(),
            tenant_id: new.tenant_id,
            username: new.username,
            display_name: new.display_name,
            email: new.email,
            role: new.role,
            enabled: true,
            password_change_required: new.password_change_required,
            failed_logins: 0,
            locked_until: None,
            last_login_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(&format!("INSERT INTO users ({COLUMNS}) VALUES ("));
        sql.bind(user.id.to_string())
            .push(", ")
            .bind(user.tenant_id.map(|t| t.to_string()))
            .push(", ")
            .bind(user.username.clone())
            .push(", ")
            .bind(user.display_name.clone())
            .push(", ")
            .bind(user.email.clone())
            .push(", ")
            .bind(user.role.as_str())
            .push(", ")
            .bind(new.password_hash)
            .push(", 1, ")
            .bind(user.password_change_required)
            .push(", 0, NULL, NULL, ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(", 1)");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("create user", Resource::User))
            .map_err(|e| with_value(e, "username", &user.username))?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: user.tenant_id,
                action: "create".into(),
                resource: Resource::User,
                resource_id: Some(user.id.to_string()),
                details: json!({"username": user.username, "role": user.role}),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(user)
    }

    async fn get_user(&self, scope: Scope, id: UserId) -> Result<User> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        self.user_in(&mut conn, scope, id, false)
            .await
            .map(|c| c.user)
    }

    async fn get_user_credentials(&self, id: UserId) -> Result<UserCredentials> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        self.user_in(&mut conn, Scope::All, id, false).await
    }

    async fn find_user_credentials(
        &self,
        tenant: Option<TenantId>,
        username: &str,
    ) -> Result<Option<UserCredentials>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users WHERE username = "));
        sql.bind(username);
        match tenant {
            Some(t) => sql.and("tenant_id =", t.to_string()),
            None => sql.push(" AND tenant_id IS NULL"),
        };
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read user"))?;
        row.as_ref().map(from_row).transpose()
    }

    async fn find_users_by_username(&self, username: &str) -> Result<Vec<UserCredentials>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM users WHERE username = "));
        sql.bind(username).push(" LIMIT 100");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read users"))?;
        rows.iter().map(from_row).collect()
    }

    async fn list_users(
        &self,
        scope: Scope,
        filter: &UserFilter,
        page: &PageRequest<UserSort>,
    ) -> Result<Page<User>> {
        let mut wh = Sql::new(" WHERE 1 = 1");
        scope_clause(&mut wh, scope);
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
            wh.and_contains(&["username", "display_name", "email"], q);
        }
        if let Some(r) = filter.role {
            wh.and("role =", r.as_str());
        }
        if let Some(e) = filter.enabled {
            wh.and("enabled =", e);
        }
        list_page(self.pool(), "users", COLUMNS, wh, page, user_row).await
    }

    async fn update_user(
        &self,
        actor: &Actor,
        scope: Scope,
        id: UserId,
        patch: UserPatch,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let mut u = self.user_in(&mut tx, scope, id, true).await?;
        let mut changes = serde_json::Map::new();
        if let Some(v) = patch.display_name {
            changes.insert(
                "display_name".into(),
                json!({"from": u.user.display_name, "to": v}),
            );
            u.user.display_name = v;
        }
        if let Some(v) = patch.email {
            changes.insert("email".into(), json!({"from": u.user.email, "to": v}));
            u.user.email = v;
        }
        if let Some(v) = patch.role {
            changes.insert("role".into(), json!({"from": u.user.role, "to": v}));
            u.user.role = v;
        }
        if let Some(v) = patch.enabled {
            changes.insert("enabled".into(), json!({"from": u.user.enabled, "to": v}));
            u.user.enabled = v;
        }
        if let Some(v) = patch.password_hash {
            changes.insert("password".into(), json!("changed"));
            u.password_hash = v;
        }
        if let Some(v) = patch.password_change_required {
            u.user.password_change_required = v;
        }
        if patch.unlock {
            changes.insert("unlocked".into(), json!(true));
            u.user.failed_logins = 0;
            u.user.locked_until = None;
        }
        u.user.updated_at = now();
        u.user.version += 1;
        self.write_user(&mut tx, &u).await?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: u.user.tenant_id,
                action: "update".into(),
                resource: Resource::User,
                resource_id: Some(id.to_string()),
                details: serde_json::Value::Object(changes),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(u.user)
    }

    async fn delete_user(&self, actor: &Actor, scope: Scope, id: UserId) -> Result<()> {
        let mut tx = self.begin().await?;
        let u = self.user_in(&mut tx, scope, id, true).await?;
        let mut sql = Sql::new("DELETE FROM users WHERE id = ");
        sql.bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete user"))?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: u.user.tenant_id,
                action: "delete".into(),
                resource: Resource::User,
                resource_id: Some(id.to_string()),
                details: json!({"username": u.user.username}),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(())
    }

    async fn record_login(&self, actor: &Actor, id: UserId, outcome: LoginOutcome) -> Result<User> {
        let mut tx = self.begin().await?;
        let mut u = self.user_in(&mut tx, Scope::All, id, true).await?;
        let now = now();
        let (action, details) = match outcome {
            LoginOutcome::Success => {
                u.user.failed_logins = 0;
                u.user.locked_until = None;
                u.user.last_login_at = Some(now);
                ("login", json!({}))
            }
            LoginOutcome::Failure {
                threshold,
                lock_for,
            } => {
                u.user.failed_logins = u.user.failed_logins.saturating_add(1);
                if u.user.failed_logins >= threshold {
                    // The counter restarts so the next lock needs a full run of failures.
                    u.user.failed_logins = 0;
                    u.user.locked_until = Some(now + lock_for);
                    ("account_locked", json!({"until": u.user.locked_until}))
                } else {
                    (
                        "login_failed",
                        json!({"failed_logins": u.user.failed_logins}),
                    )
                }
            }
        };
        self.write_user(&mut tx, &u).await?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: u.user.tenant_id,
                action: action.into(),
                resource: Resource::User,
                resource_id: Some(id.to_string()),
                details,
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(u.user)
    }

    async fn count_platform_admins(&self) -> Result<u64> {
        let mut sql =
            Sql::new("SELECT COUNT(*) AS n FROM users WHERE tenant_id IS NULL AND role = ");
        sql.bind(Role::PlatformAdmin.as_str());
        count(
            &sql.query()
                .fetch_one(self.pool())
                .await
                .map_err(storage("count users"))?,
        )
    }
}
