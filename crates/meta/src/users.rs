//! Users and log-in bookkeeping.

use crate::SqlStore;
use crate::change::*;
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

const USERS: Table<UserCredentials> = Table {
    name: "users",
    columns: COLUMNS,
    decode: from_row,
    resource: Resource::User,
    read: "read user",
};

impl SqlStore {
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
        let details = json!({"username": user.username, "role": user.role});
        let entry = audit_entry(user.tenant_id, "create", Resource::User, user.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(user)
    }

    async fn get_user(&self, scope: Scope, id: UserId) -> Result<User> {
        self.get_row(&USERS, scope, id).await.map(|c| c.user)
    }

    async fn get_user_credentials(&self, id: UserId) -> Result<UserCredentials> {
        self.get_row(&USERS, Scope::All, id).await
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
        let mut u = self
            .row_in(&mut tx, &USERS, scope, id, Lock::ForUpdate)
            .await?;
        let user = &mut u.user;
        let mut changes = Changes::default();
        changes.set("display_name", &mut user.display_name, patch.display_name);
        changes.set("email", &mut user.email, patch.email);
        changes.set("role", &mut user.role, patch.role);
        changes.set("enabled", &mut user.enabled, patch.enabled);
        if let Some(v) = patch.password_hash {
            // Never the hash itself.
            changes.note("password", json!("changed"));
            u.password_hash = v;
        }
        if let Some(v) = patch.password_change_required {
            user.password_change_required = v;
        }
        if patch.unlock {
            changes.note("unlocked", json!(true));
            user.failed_logins = 0;
            user.locked_until = None;
        }
        bump_version(&mut user.version, &mut user.updated_at);
        self.write_user(&mut tx, &u).await?;
        let entry = audit_entry(
            u.user.tenant_id,
            "update",
            Resource::User,
            id,
            changes.into(),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(u.user)
    }

    async fn delete_user(&self, actor: &Actor, scope: Scope, id: UserId) -> Result<()> {
        let mut tx = self.begin().await?;
        let u = self
            .row_in(&mut tx, &USERS, scope, id, Lock::ForUpdate)
            .await?;
        let mut sql = Sql::new("DELETE FROM users WHERE id = ");
        sql.bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete user"))?;
        let details = json!({"username": u.user.username});
        let entry = audit_entry(u.user.tenant_id, "delete", Resource::User, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(())
    }

    async fn record_login(&self, actor: &Actor, id: UserId, outcome: LoginOutcome) -> Result<User> {
        let mut tx = self.begin().await?;
        let mut u = self
            .row_in(&mut tx, &USERS, Scope::All, id, Lock::ForUpdate)
            .await?;
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
        let entry = audit_entry(u.user.tenant_id, action, Resource::User, id, details);
        commit_audited(tx, actor, entry).await?;
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
