//! Apps: packages, installations, their state, logs and usage.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::app_install::{
    AppInstallation, AppLogEntry, AppPackageInfo, AppUsageRow, InstallationSpec,
    MAX_INSTALLATIONS_PER_TENANT, MAX_LOG_LINES, MAX_PACKAGES_PER_TENANT, MAX_STATE_KEYS,
    MAX_STATE_VALUE_BYTES,
};
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldErrorKind, Result};
use ironloom_core::ids::{InstallationId, TenantId};
use ironloom_core::repo::AppRepo;
use serde_json::{Value, json};
use sqlx::any::AnyRow;

const PACKAGE_COLUMNS: &str =
    "tenant_id, app_id, version, digest, size, manifest, uploaded_by, uploaded_at";

fn package_from_row(row: &AnyRow) -> Result<AppPackageInfo> {
    Ok(AppPackageInfo {
        tenant_id: parse(row, "tenant_id")?,
        app_id: text(row, "app_id")?,
        version: text(row, "version")?,
        digest: text(row, "digest")?,
        size: u64::try_from(int(row, "size")?).unwrap_or(0),
        manifest: json(row, "manifest")?,
        uploaded_by: text(row, "uploaded_by")?,
        uploaded_at: ts(row, "uploaded_at")?,
    })
}

const INSTALLATION_COLUMNS: &str =
    "id, tenant_id, document, previous_version, created_at, updated_at";

fn installation_from_row(row: &AnyRow) -> Result<AppInstallation> {
    Ok(AppInstallation {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        spec: json(row, "document")?,
        previous_version: opt_text(row, "previous_version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

const INSTALLATIONS: Table<AppInstallation> = Table {
    name: "app_installations",
    columns: INSTALLATION_COLUMNS,
    decode: installation_from_row,
    resource: Resource::AppInstallation,
    read: "read app installation",
};

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn package_key(app_id: &str, version: &str) -> String {
    format!("{app_id}@{version}")
}

fn not_found(resource: Resource) -> Error {
    Error::NotFound(resource)
}

impl SqlStore {
    async fn count_where(
        &self,
        conn: &mut sqlx::AnyConnection,
        table: &str,
        tenant: TenantId,
        action: &'static str,
    ) -> Result<u64> {
        let mut n = Sql::new(&format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE tenant_id = "
        ));
        n.bind(tenant.to_string());
        count(&n.query().fetch_one(conn).await.map_err(storage(action))?)
    }
}

#[async_trait]
impl AppRepo for SqlStore {
    async fn put_app_package(
        &self,
        actor: &Actor,
        info: &AppPackageInfo,
        bytes: &[u8],
    ) -> Result<AppPackageInfo> {
        let tenant = info.tenant_id;
        let mut tx = self.begin().await?;
        let mut q = Sql::new(&format!(
            "SELECT {PACKAGE_COLUMNS} FROM app_packages WHERE tenant_id = "
        ));
        q.bind(tenant.to_string())
            .and("app_id =", info.app_id.as_str())
            .and("version =", info.version.as_str());
        if let Some(row) = q
            .query()
            .fetch_optional(&mut *tx)
            .await
            .map_err(storage("read app package"))?
        {
            let have = package_from_row(&row)?;
            if have.digest == info.digest {
                return Ok(have);
            }
            return Err(Error::AlreadyExists {
                resource: Resource::AppPackage,
                field: "version",
                value: package_key(&info.app_id, &info.version),
            });
        }
        let have = self
            .count_where(&mut tx, "app_packages", tenant, "count app packages")
            .await?;
        if have >= MAX_PACKAGES_PER_TENANT as u64 {
            return Err(Error::QuotaExceeded {
                what: Resource::AppPackage,
                limit: MAX_PACKAGES_PER_TENANT as u64,
            });
        }
        let mut sql = Sql::new(&format!(
            "INSERT INTO app_packages ({PACKAGE_COLUMNS}, bytes) VALUES ("
        ));
        sql.bind(tenant.to_string())
            .push(", ")
            .bind(info.app_id.clone())
            .push(", ")
            .bind(info.version.clone())
            .push(", ")
            .bind(info.digest.clone())
            .push(", ")
            .bind(to_i64(info.size))
            .push(", ")
            .bind(to_json(&info.manifest)?)
            .push(", ")
            .bind(info.uploaded_by.clone())
            .push(", ")
            .bind(truncate_ms(info.uploaded_at))
            .push(", ")
            .bind(bytes.to_vec())
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("store app package", Resource::AppPackage))?;
        let details = json!({"app_id": info.app_id, "version": info.version,
            "digest": info.digest, "size": info.size});
        let entry = audit_entry(
            Some(tenant),
            "upload",
            Resource::AppPackage,
            package_key(&info.app_id, &info.version),
            details,
        );
        commit_audited(tx, actor, entry).await?;
        Ok(AppPackageInfo {
            uploaded_at: truncate_ms(info.uploaded_at),
            ..info.clone()
        })
    }

    async fn list_app_packages(&self, tenant: TenantId) -> Result<Vec<AppPackageInfo>> {
        let mut sql = Sql::new(&format!(
            "SELECT {PACKAGE_COLUMNS} FROM app_packages WHERE tenant_id = "
        ));
        sql.bind(tenant.to_string())
            .push(" ORDER BY app_id, uploaded_at");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list app packages"))?;
        rows.iter().map(package_from_row).collect()
    }

    async fn get_app_package_info(
        &self,
        tenant: TenantId,
        app_id: &str,
        version: &str,
    ) -> Result<AppPackageInfo> {
        let row = self.package_row(tenant, app_id, version, "").await?;
        package_from_row(&row)
    }

    async fn get_app_package(
        &self,
        tenant: TenantId,
        app_id: &str,
        version: &str,
    ) -> Result<(AppPackageInfo, Vec<u8>)> {
        let row = self.package_row(tenant, app_id, version, ", bytes").await?;
        Ok((package_from_row(&row)?, bytes(&row, "bytes")?))
    }

    async fn delete_app_package(
        &self,
        actor: &Actor,
        tenant: TenantId,
        app_id: &str,
        version: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut used = Sql::new("SELECT COUNT(*) AS n FROM app_installations WHERE tenant_id = ");
        used.bind(tenant.to_string())
            .and("app_id =", app_id)
            .push(" AND (version = ")
            .bind(version)
            .push(" OR previous_version = ")
            .bind(version)
            .push(")");
        let n = count(
            &used
                .query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("count app installations"))?,
        )?;
        if n > 0 {
            return Err(Error::InUse {
                resource: Resource::AppPackage,
                by: Resource::AppInstallation,
                count: n,
            });
        }
        let mut sql = Sql::new("DELETE FROM app_packages WHERE tenant_id = ");
        sql.bind(tenant.to_string())
            .and("app_id =", app_id)
            .and("version =", version);
        let done = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete app package"))?;
        if done.rows_affected() == 0 {
            return Err(not_found(Resource::AppPackage));
        }
        let entry = audit_entry(
            Some(tenant),
            "delete",
            Resource::AppPackage,
            package_key(app_id, version),
            json!({"app_id": app_id, "version": version}),
        );
        commit_audited(tx, actor, entry).await
    }

    async fn create_installation(
        &self,
        actor: &Actor,
        tenant: TenantId,
        spec: InstallationSpec,
    ) -> Result<AppInstallation> {
        let mut tx = self.begin().await?;
        let have = self
            .count_where(
                &mut tx,
                "app_installations",
                tenant,
                "count app installations",
            )
            .await?;
        if have >= MAX_INSTALLATIONS_PER_TENANT as u64 {
            return Err(Error::QuotaExceeded {
                what: Resource::AppInstallation,
                limit: MAX_INSTALLATIONS_PER_TENANT as u64,
            });
        }
        self.package_exists(&mut tx, tenant, &spec.app_id, &spec.version)
            .await?;
        let now = now();
        let inst = AppInstallation {
            id: InstallationId::new(),
            tenant_id: tenant,
            spec,
            previous_version: None,
            created_at: now,
            updated_at: now,
        };
        let mut sql = Sql::new(&format!(
            "INSERT INTO app_installations (name, app_id, version, enabled, {INSTALLATION_COLUMNS}) VALUES ("
        ));
        sql.bind(inst.spec.name.clone())
            .push(", ")
            .bind(inst.spec.app_id.clone())
            .push(", ")
            .bind(inst.spec.version.clone())
            .push(", ")
            .bind(inst.spec.enabled)
            .push(", ")
            .bind(inst.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(to_json(&inst.spec)?)
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
            .map_err(db_err("install app", Resource::AppInstallation))
            .map_err(|e| with_value(e, "name", &inst.spec.name))?;
        let details = json!({"name": inst.spec.name, "app_id": inst.spec.app_id,
            "version": inst.spec.version, "grant": inst.spec.grant,
            "products": inst.spec.products, "enabled": inst.spec.enabled,
            "edge": inst.spec.edge});
        let entry = audit_entry(
            Some(tenant),
            "install",
            Resource::AppInstallation,
            inst.id,
            details,
        );
        commit_audited(tx, actor, entry).await?;
        Ok(inst)
    }

    async fn get_installation(
        &self,
        tenant: TenantId,
        id: InstallationId,
    ) -> Result<AppInstallation> {
        self.get_row(
            &INSTALLATIONS,
            ironloom_core::repo::Scope::Tenant(tenant),
            id,
        )
        .await
    }

    async fn list_installations(&self, tenant: TenantId) -> Result<Vec<AppInstallation>> {
        let mut sql = Sql::new(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM app_installations WHERE tenant_id = "
        ));
        sql.bind(tenant.to_string()).push(" ORDER BY name");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list app installations"))?;
        rows.iter().map(installation_from_row).collect()
    }

    async fn update_installation(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: InstallationId,
        spec: InstallationSpec,
        previous_version: Option<String>,
        action: &str,
    ) -> Result<AppInstallation> {
        let mut tx = self.begin().await?;
        let mut inst = self
            .in_tenant(&mut tx, &INSTALLATIONS, tenant, id, Lock::ForUpdate)
            .await?;
        if spec.name != inst.spec.name {
            return Err(Error::invalid(
                "name",
                FieldErrorKind::Other {
                    en: "cannot be changed once installed".into(),
                    zh: "安装后不能修改".into(),
                },
            ));
        }
        self.package_exists(&mut tx, tenant, &spec.app_id, &spec.version)
            .await?;
        let before = std::mem::replace(&mut inst.spec, spec);
        inst.previous_version = previous_version;
        inst.updated_at = now();
        let mut sql = Sql::new("UPDATE app_installations SET app_id = ");
        sql.bind(inst.spec.app_id.clone())
            .push(", version = ")
            .bind(inst.spec.version.clone())
            .push(", enabled = ")
            .bind(inst.spec.enabled)
            .push(", document = ")
            .bind(to_json(&inst.spec)?)
            .push(", previous_version = ")
            .bind(inst.previous_version.clone())
            .push(", updated_at = ")
            .bind(inst.updated_at)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("update app installation"))?;
        let mut changes = Changes::default();
        changes.diff("version", &before.version, &inst.spec.version);
        changes.diff("enabled", &before.enabled, &inst.spec.enabled);
        changes.diff("config", &before.config, &inst.spec.config);
        changes.diff("grant", &before.grant, &inst.spec.grant);
        changes.diff("products", &before.products, &inst.spec.products);
        changes.diff("edge", &before.edge, &inst.spec.edge);
        let entry = audit_entry(
            Some(tenant),
            action,
            Resource::AppInstallation,
            id,
            changes.into(),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(inst)
    }

    async fn delete_installation(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: InstallationId,
        keep_data: bool,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let inst = self
            .in_tenant(&mut tx, &INSTALLATIONS, tenant, id, Lock::ForUpdate)
            .await?;
        let mut sql = Sql::new("DELETE FROM app_installations WHERE id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("uninstall app"))?;
        if !keep_data {
            for table in ["app_state", "app_logs"] {
                let mut d = Sql::new(&format!("DELETE FROM {table} WHERE tenant_id = "));
                d.bind(tenant.to_string())
                    .and("installation =", inst.spec.name.as_str());
                d.query()
                    .execute(&mut *tx)
                    .await
                    .map_err(storage("delete app data"))?;
            }
        }
        let details = json!({"name": inst.spec.name, "app_id": inst.spec.app_id,
            "version": inst.spec.version, "keep_data": keep_data});
        let entry = audit_entry(
            Some(tenant),
            "uninstall",
            Resource::AppInstallation,
            id,
            details,
        );
        commit_audited(tx, actor, entry).await
    }

    async fn enabled_installations(&self) -> Result<Vec<AppInstallation>> {
        let mut sql = Sql::new(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM app_installations WHERE enabled = "
        ));
        sql.bind(true).push(" ORDER BY tenant_id, name");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read enabled app installations"))?;
        rows.iter().map(installation_from_row).collect()
    }

    async fn app_state_get(
        &self,
        tenant: TenantId,
        installation: &str,
        key: &str,
    ) -> Result<Option<Value>> {
        let mut sql = Sql::new("SELECT value FROM app_state WHERE tenant_id = ");
        sql.bind(tenant.to_string())
            .and("installation =", installation)
            .and("key =", key);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read app state"))?;
        row.map(|r| json(&r, "value")).transpose()
    }

    async fn app_state_set(
        &self,
        tenant: TenantId,
        installation: &str,
        key: &str,
        value: Option<&Value>,
    ) -> Result<()> {
        let Some(value) = value else {
            let mut sql = Sql::new("DELETE FROM app_state WHERE tenant_id = ");
            sql.bind(tenant.to_string())
                .and("installation =", installation)
                .and("key =", key);
            sql.query()
                .execute(self.pool())
                .await
                .map_err(storage("delete app state"))?;
            return Ok(());
        };
        let text = to_json(value)?;
        if text.len() > MAX_STATE_VALUE_BYTES {
            return Err(Error::invalid(
                "value",
                FieldErrorKind::TooLong {
                    max: MAX_STATE_VALUE_BYTES,
                },
            ));
        }
        let mut tx = self.begin().await?;
        let mut n = Sql::new("SELECT COUNT(*) AS n FROM app_state WHERE tenant_id = ");
        n.bind(tenant.to_string())
            .and("installation =", installation)
            .push(" AND key <> ")
            .bind(key);
        let have = count(
            &n.query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("count app state"))?,
        )?;
        if have >= MAX_STATE_KEYS as u64 {
            return Err(Error::QuotaExceeded {
                what: Resource::AppState,
                limit: MAX_STATE_KEYS as u64,
            });
        }
        let mut sql =
            Sql::new("INSERT INTO app_state (tenant_id, installation, key, value) VALUES (");
        sql.bind(tenant.to_string())
            .push(", ")
            .bind(installation)
            .push(", ")
            .bind(key)
            .push(", ")
            .bind(text)
            .push(
                ") ON CONFLICT (tenant_id, installation, key) DO UPDATE SET value = excluded.value",
            );
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("write app state"))?;
        tx.commit().await.map_err(storage("write app state"))
    }

    async fn add_app_logs(
        &self,
        tenant: TenantId,
        installation: &str,
        entries: &[AppLogEntry],
    ) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let mut last =
            Sql::new("SELECT COALESCE(MAX(seq), 0) AS n FROM app_logs WHERE tenant_id = ");
        last.bind(tenant.to_string())
            .and("installation =", installation);
        let mut seq = int(
            &last
                .query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("read app logs"))?,
            "n",
        )?;
        // Only the newest lines can survive the pruning below.
        let keep = &entries[entries.len().saturating_sub(MAX_LOG_LINES)..];
        seq += (entries.len() - keep.len()) as i64;
        for e in keep {
            seq += 1;
            let mut sql = Sql::new(
                "INSERT INTO app_logs (tenant_id, installation, seq, ts, level, message) VALUES (",
            );
            sql.bind(tenant.to_string())
                .push(", ")
                .bind(installation)
                .push(", ")
                .bind(seq)
                .push(", ")
                .bind(truncate_ms(e.ts))
                .push(", ")
                .bind(e.level.clone())
                .push(", ")
                .bind(e.message.clone())
                .push(")");
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("write app logs"))?;
        }
        let mut prune = Sql::new("DELETE FROM app_logs WHERE tenant_id = ");
        prune
            .bind(tenant.to_string())
            .and("installation =", installation)
            .and("seq <=", seq - MAX_LOG_LINES as i64);
        prune
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("prune app logs"))?;
        tx.commit().await.map_err(storage("write app logs"))
    }

    async fn app_state_list(
        &self,
        tenant: TenantId,
        installation: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Value)>> {
        let mut sql = Sql::new("SELECT key, value FROM app_state WHERE tenant_id = ");
        sql.bind(tenant.to_string())
            .and("installation =", installation);
        if let Some(after) = after {
            sql.and("key >", after);
        }
        sql.push(" ORDER BY key LIMIT ")
            .bind(i64::try_from(limit.min(MAX_STATE_KEYS)).unwrap_or(0));
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read app state"))?;
        rows.iter()
            .map(|r| Ok((text(r, "key")?, json(r, "value")?)))
            .collect()
    }

    async fn app_logs(
        &self,
        tenant: TenantId,
        installation: &str,
        limit: usize,
    ) -> Result<Vec<AppLogEntry>> {
        let mut sql = Sql::new("SELECT ts, level, message FROM app_logs WHERE tenant_id = ");
        sql.bind(tenant.to_string())
            .and("installation =", installation)
            .push(" ORDER BY seq DESC LIMIT ")
            .bind(i64::try_from(limit.min(MAX_LOG_LINES)).unwrap_or(0));
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read app logs"))?;
        rows.iter()
            .map(|r| {
                Ok(AppLogEntry {
                    ts: ts(r, "ts")?,
                    level: text(r, "level")?,
                    message: text(r, "message")?,
                })
            })
            .collect()
    }

    async fn add_app_usage(&self, tenant: TenantId, rows: &[AppUsageRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for r in rows {
            let mut sql = Sql::new(
                "INSERT INTO app_usage (tenant_id, month, app_id, invocations, errors, fuel, wall_us, host_calls) VALUES (",
            );
            sql.bind(tenant.to_string())
                .push(", ")
                .bind(r.month.clone())
                .push(", ")
                .bind(r.app_id.clone())
                .push(", ")
                .bind(to_i64(r.invocations))
                .push(", ")
                .bind(to_i64(r.errors))
                .push(", ")
                .bind(to_i64(r.fuel))
                .push(", ")
                .bind(to_i64(r.wall_us))
                .push(", ")
                .bind(to_i64(r.host_calls))
                .push(
                    ") ON CONFLICT (tenant_id, month, app_id) DO UPDATE SET \
                     invocations = app_usage.invocations + excluded.invocations, \
                     errors = app_usage.errors + excluded.errors, \
                     fuel = app_usage.fuel + excluded.fuel, \
                     wall_us = app_usage.wall_us + excluded.wall_us, \
                     host_calls = app_usage.host_calls + excluded.host_calls",
                );
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("record app usage"))?;
        }
        tx.commit().await.map_err(storage("record app usage"))
    }

    async fn app_usage(&self, tenant: TenantId, from: &str, to: &str) -> Result<Vec<AppUsageRow>> {
        let mut sql = Sql::new(
            "SELECT month, app_id, invocations, errors, fuel, wall_us, host_calls FROM app_usage WHERE tenant_id = ",
        );
        sql.bind(tenant.to_string())
            .and("month >=", from)
            .and("month <=", to)
            .push(" ORDER BY month, app_id");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read app usage"))?;
        rows.iter()
            .map(|r| {
                Ok(AppUsageRow {
                    month: text(r, "month")?,
                    app_id: text(r, "app_id")?,
                    invocations: to_u64(int(r, "invocations")?),
                    errors: to_u64(int(r, "errors")?),
                    fuel: to_u64(int(r, "fuel")?),
                    wall_us: to_u64(int(r, "wall_us")?),
                    host_calls: to_u64(int(r, "host_calls")?),
                })
            })
            .collect()
    }

    async fn app_http_hosts(&self, tenant: TenantId) -> Result<Vec<String>> {
        let mut sql = Sql::new("SELECT host FROM app_http_hosts WHERE tenant_id = ");
        sql.bind(tenant.to_string()).push(" ORDER BY host");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("read app http hosts"))?;
        rows.iter().map(|r| text(r, "host")).collect()
    }

    async fn set_app_http_hosts(
        &self,
        actor: &Actor,
        tenant: TenantId,
        hosts: &[String],
    ) -> Result<Vec<String>> {
        let mut list: Vec<String> = hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        list.sort();
        list.dedup();
        if list.len() > MAX_HTTP_HOSTS {
            return Err(Error::invalid(
                "http_hosts",
                FieldErrorKind::TooMany {
                    max: MAX_HTTP_HOSTS,
                },
            ));
        }
        for (i, h) in list.iter().enumerate() {
            if !ironloom_core::app::host_name_ok(h) {
                return Err(Error::invalid(
                    format!("http_hosts[{i}]"),
                    FieldErrorKind::Format {
                        expected: "a host name such as api.example.com",
                        expected_zh: "主机名，例如 api.example.com",
                    },
                ));
            }
        }
        let mut tx = self.begin().await?;
        let mut del = Sql::new("DELETE FROM app_http_hosts WHERE tenant_id = ");
        del.bind(tenant.to_string());
        del.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("replace app http hosts"))?;
        for h in &list {
            let mut ins = Sql::new("INSERT INTO app_http_hosts (tenant_id, host) VALUES (");
            ins.bind(tenant.to_string())
                .push(", ")
                .bind(h.as_str())
                .push(")");
            ins.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("replace app http hosts"))?;
        }
        let entry = audit_entry(
            Some(tenant),
            "update",
            Resource::AppInstallation,
            "http_hosts".to_string(),
            json!({ "http_hosts": list }),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(list)
    }
}

/// Most hosts a tenant lets its apps reach.
const MAX_HTTP_HOSTS: usize = 200;

impl SqlStore {
    /// The row of one package version, with `extra` columns (`", bytes"` or nothing).
    async fn package_row(
        &self,
        tenant: TenantId,
        app_id: &str,
        version: &str,
        extra: &str,
    ) -> Result<AnyRow> {
        let mut sql = Sql::new(&format!(
            "SELECT {PACKAGE_COLUMNS}{extra} FROM app_packages WHERE tenant_id = "
        ));
        sql.bind(tenant.to_string())
            .and("app_id =", app_id)
            .and("version =", version);
        sql.query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read app package"))?
            .ok_or_else(|| not_found(Resource::AppPackage))
    }

    async fn package_exists(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant: TenantId,
        app_id: &str,
        version: &str,
    ) -> Result<()> {
        let mut q = Sql::new("SELECT COUNT(*) AS n FROM app_packages WHERE tenant_id = ");
        q.bind(tenant.to_string())
            .and("app_id =", app_id)
            .and("version =", version);
        let n = count(
            &q.query()
                .fetch_one(conn)
                .await
                .map_err(storage("read app package"))?,
        )?;
        if n == 0 {
            return Err(Error::invalid(
                "version",
                FieldErrorKind::UnknownReference(Resource::AppPackage),
            ));
        }
        Ok(())
    }
}
