//! Devices: registry, tags, group membership, credentials, server-side attributes and
//! connection state.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldErrorKind, Result};
use ironloom_core::ids::{DeviceId, GroupId, ProductId, TenantId};
use ironloom_core::repo::DeviceRepo;
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::HashMap;

const COLUMNS: &str = "id, tenant_id, product_id, name, label, description, tags, attributes, \
    online, last_seen_at, last_connected_at, last_disconnected_at, created_at, updated_at, version";
const CREDENTIAL_COLUMNS: &str = "access_token, username, password, secret, x509_fingerprint";

/// Decodes a device without its groups (filled in by `with_groups`).
fn from_row(row: &AnyRow) -> Result<Device> {
    Ok(Device {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        product_id: parse(row, "product_id")?,
        name: text(row, "name")?,
        label: opt_text(row, "label")?,
        description: opt_text(row, "description")?,
        tags: json(row, "tags")?,
        groups: Vec::new(),
        attributes: json_map(row, "attributes")?,
        status: DeviceStatus {
            online: flag(row, "online")?,
            last_seen_at: opt_ts(row, "last_seen_at")?,
            last_connected_at: opt_ts(row, "last_connected_at")?,
            last_disconnected_at: opt_ts(row, "last_disconnected_at")?,
        },
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: int(row, "version")?,
    })
}

fn credentials_from_row(row: &AnyRow) -> Result<DeviceCredentials> {
    Ok(DeviceCredentials {
        access_token: text(row, "access_token")?,
        username: text(row, "username")?,
        password: text(row, "password")?,
        secret: text(row, "secret")?,
        x509_fingerprint: opt_text(row, "x509_fingerprint")?,
    })
}

fn write_err<'a>(
    action: &'static str,
    name: &'a str,
    creds: Option<&'a DeviceCredentials>,
) -> impl Fn(sqlx::Error) -> Error + 'a {
    move |e| {
        let mut e = with_value(db_err(action, Resource::Device)(e), "name", name);
        if let Some(c) = creds {
            // Credentials are platform-wide: say which field clashed, not whose it is.
            e = with_value(e, "access_token", &c.access_token);
            e = with_value(e, "username", &c.username);
            if let Some(f) = &c.x509_fingerprint {
                e = with_value(e, "x509_fingerprint", f);
            }
        }
        e
    }
}

/// Fills in the groups of each device with one query.
async fn with_groups(conn: &mut AnyConnection, mut devices: Vec<Device>) -> Result<Vec<Device>> {
    if devices.is_empty() {
        return Ok(devices);
    }
    let mut sql =
        Sql::new("SELECT device_id, group_id FROM device_group_members WHERE device_id IN (");
    for (i, d) in devices.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(d.id.to_string());
    }
    sql.push(") ORDER BY group_id");
    let rows = sql
        .query()
        .fetch_all(conn)
        .await
        .map_err(storage("read group members"))?;
    let mut by_device: HashMap<DeviceId, Vec<GroupId>> = HashMap::new();
    for row in &rows {
        by_device
            .entry(parse(row, "device_id")?)
            .or_default()
            .push(parse(row, "group_id")?);
    }
    for d in &mut devices {
        d.groups = by_device.remove(&d.id).unwrap_or_default();
    }
    Ok(devices)
}

async fn set_tags(
    conn: &mut AnyConnection,
    tenant: TenantId,
    id: DeviceId,
    tags: &[String],
) -> Result<()> {
    let mut sql = Sql::new("DELETE FROM device_tags WHERE device_id = ");
    sql.bind(id.to_string());
    sql.query()
        .execute(&mut *conn)
        .await
        .map_err(storage("write tags"))?;
    let mut seen = std::collections::HashSet::new();
    for tag in tags.iter().filter(|t| seen.insert(t.as_str())) {
        let mut sql = Sql::new("INSERT INTO device_tags (device_id, tenant_id, tag) VALUES (");
        sql.bind(id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(tag.as_str())
            .push(")");
        sql.query()
            .execute(&mut *conn)
            .await
            .map_err(storage("write tags"))?;
    }
    Ok(())
}

/// Replaces a device's group memberships, refusing groups that are not the tenant's.
/// Returns the memberships as stored: sorted, without repeats.
async fn set_groups(
    conn: &mut AnyConnection,
    tenant: TenantId,
    id: DeviceId,
    groups: &[GroupId],
) -> Result<Vec<GroupId>> {
    let mut unique: Vec<GroupId> = groups.to_vec();
    unique.sort();
    unique.dedup();
    if !unique.is_empty() {
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM device_groups WHERE tenant_id = ");
        sql.bind(tenant.to_string()).push(" AND id IN (");
        for (i, g) in unique.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(g.to_string());
        }
        sql.push(")");
        let n = count(
            &sql.query()
                .fetch_one(&mut *conn)
                .await
                .map_err(storage("check groups"))?,
        )?;
        if n != unique.len() as u64 {
            return Err(Error::invalid(
                "groups",
                FieldErrorKind::UnknownReference(Resource::DeviceGroup),
            ));
        }
    }
    let mut sql = Sql::new("DELETE FROM device_group_members WHERE device_id = ");
    sql.bind(id.to_string());
    sql.query()
        .execute(&mut *conn)
        .await
        .map_err(storage("write group members"))?;
    for g in &unique {
        let mut sql =
            Sql::new("INSERT INTO device_group_members (group_id, device_id, tenant_id) VALUES (");
        sql.bind(g.to_string())
            .push(", ")
            .bind(id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(")");
        sql.query()
            .execute(&mut *conn)
            .await
            .map_err(storage("write group members"))?;
    }
    Ok(unique)
}

/// Refuses a product that is not the tenant's: the foreign key alone would accept another
/// tenant's product.
async fn check_product(
    conn: &mut AnyConnection,
    tenant: TenantId,
    product: ProductId,
) -> Result<()> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM products WHERE id = ");
    sql.bind(product.to_string())
        .and("tenant_id =", tenant.to_string());
    let n = count(
        &sql.query()
            .fetch_one(conn)
            .await
            .map_err(storage("check product"))?,
    )?;
    if n == 0 {
        return Err(Error::invalid(
            "product_id",
            FieldErrorKind::UnknownReference(Resource::Product),
        ));
    }
    Ok(())
}

const DEVICES: Table<Device> = Table {
    name: "devices",
    columns: COLUMNS,
    decode: from_row,
    resource: Resource::Device,
    read: "read device",
};

impl SqlStore {
    /// A device of the tenant with its groups.
    async fn device_in(
        &self,
        conn: &mut AnyConnection,
        tenant: TenantId,
        id: DeviceId,
        lock: Lock,
    ) -> Result<Device> {
        let d = self
            .in_tenant(&mut *conn, &DEVICES, tenant, id, lock)
            .await?;
        Ok(with_groups(conn, vec![d]).await?.remove(0))
    }

    /// The device (and its credentials) whose credential column `column`, unique
    /// platform-wide, holds `value`.
    async fn device_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<(Device, DeviceCredentials)>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS}, {CREDENTIAL_COLUMNS} FROM devices WHERE {column} = "
        ));
        sql.bind(value);
        self.one_device(sql).await
    }

    /// The one device (and its credentials) a query selecting `COLUMNS` and
    /// `CREDENTIAL_COLUMNS` finds.
    async fn one_device(&self, sql: Sql) -> Result<Option<(Device, DeviceCredentials)>> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        let row = sql
            .query()
            .fetch_optional(&mut *conn)
            .await
            .map_err(storage("read device"))?;
        match row {
            None => Ok(None),
            Some(r) => {
                let creds = credentials_from_row(&r)?;
                let d = with_groups(&mut conn, vec![from_row(&r)?]).await?.remove(0);
                Ok(Some((d, creds)))
            }
        }
    }

    /// Checks the tenant may register `adding` more devices.
    async fn check_quota(
        &self,
        conn: &mut AnyConnection,
        tenant: TenantId,
        adding: u64,
    ) -> Result<()> {
        let mut sql = Sql::new("SELECT max_devices FROM tenants WHERE id = ");
        sql.bind(tenant.to_string());
        let row = sql
            .query()
            .fetch_optional(&mut *conn)
            .await
            .map_err(storage("read tenant"))?
            .ok_or(Error::NotFound(Resource::Tenant))?;
        if let Some(max) = opt_int(&row, "max_devices")? {
            let max = u64::try_from(max).unwrap_or(0);
            let mut sql = Sql::new("SELECT COUNT(*) AS n FROM devices WHERE tenant_id = ");
            sql.bind(tenant.to_string());
            let n = count(
                &sql.query()
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(storage("count devices"))?,
            )?;
            if n + adding > max {
                return Err(Error::QuotaExceeded {
                    what: Resource::Device,
                    limit: max,
                });
            }
        }
        Ok(())
    }

    async fn insert_device(
        &self,
        conn: &mut AnyConnection,
        tenant: TenantId,
        new: NewDevice,
    ) -> Result<Device> {
        check_product(&mut *conn, tenant, new.product_id).await?;
        let now = now();
        let d = Device {
            id: DeviceId::new(),
            tenant_id: tenant,
            product_id: new.product_id,
            name: new.name,
            label: new.label,
            description: new.description,
            tags: new.tags,
            groups: Vec::new(),
            attributes: new.attributes,
            status: DeviceStatus::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut sql = Sql::new(&format!(
            "INSERT INTO devices ({COLUMNS}, {CREDENTIAL_COLUMNS}) VALUES ("
        ));
        sql.bind(d.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(d.product_id.to_string())
            .push(", ")
            .bind(d.name.clone())
            .push(", ")
            .bind(d.label.clone())
            .push(", ")
            .bind(d.description.clone())
            .push(", ")
            .bind(to_json(&d.tags)?)
            .push(", ")
            .bind(to_json(&d.attributes)?)
            .push(", 0, NULL, NULL, NULL, ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(", 1, ")
            .bind(new.credentials.access_token.clone())
            .push(", ")
            .bind(new.credentials.username.clone())
            .push(", ")
            .bind(new.credentials.password.clone())
            .push(", ")
            .bind(new.credentials.secret.clone())
            .push(", ")
            .bind(new.credentials.x509_fingerprint.clone())
            .push(")");
        sql.query().execute(&mut *conn).await.map_err(write_err(
            "create device",
            &d.name,
            Some(&new.credentials),
        ))?;
        set_tags(&mut *conn, tenant, d.id, &d.tags).await?;
        let groups = set_groups(&mut *conn, tenant, d.id, &new.groups).await?;
        Ok(Device { groups, ..d })
    }

    async fn write_device(&self, conn: &mut AnyConnection, d: &Device) -> Result<()> {
        let mut sql = Sql::new("UPDATE devices SET name = ");
        sql.bind(d.name.clone())
            .push(", product_id = ")
            .bind(d.product_id.to_string())
            .push(", label = ")
            .bind(d.label.clone())
            .push(", description = ")
            .bind(d.description.clone())
            .push(", tags = ")
            .bind(to_json(&d.tags)?)
            .push(", attributes = ")
            .bind(to_json(&d.attributes)?)
            .push(", updated_at = ")
            .bind(d.updated_at)
            .push(", version = ")
            .bind(d.version)
            .push(" WHERE id = ")
            .bind(d.id.to_string())
            .and("tenant_id =", d.tenant_id.to_string());
        sql.query()
            .execute(conn)
            .await
            .map_err(write_err("update device", &d.name, None))?;
        Ok(())
    }
}

fn created_entry(tenant: TenantId, d: &Device) -> NewAuditEntry {
    let details = json!({"name": d.name, "product_id": d.product_id});
    audit_entry(Some(tenant), "create", Resource::Device, d.id, details)
}

#[async_trait]
impl DeviceRepo for SqlStore {
    async fn create_device(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: NewDevice,
    ) -> Result<Device> {
        let mut tx = self.begin().await?;
        self.check_quota(&mut tx, tenant, 1).await?;
        let d = self.insert_device(&mut tx, tenant, new).await?;
        commit_audited(tx, actor, created_entry(tenant, &d)).await?;
        Ok(d)
    }

    async fn create_devices(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: Vec<NewDevice>,
    ) -> Result<Vec<Device>> {
        let mut tx = self.begin().await?;
        self.check_quota(&mut tx, tenant, new.len() as u64).await?;
        let mut out = Vec::with_capacity(new.len());
        for n in new {
            let d = self.insert_device(&mut tx, tenant, n).await?;
            audit(&mut tx, actor, created_entry(tenant, &d)).await?;
            out.push(d);
        }
        tx.commit().await.map_err(storage("commit"))?;
        Ok(out)
    }

    async fn get_device(&self, tenant: TenantId, id: DeviceId) -> Result<Device> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        self.device_in(&mut conn, tenant, id, Lock::No).await
    }

    async fn find_device_by_name(&self, tenant: TenantId, name: &str) -> Result<Option<Device>> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM devices WHERE name = "));
        sql.bind(name).and("tenant_id =", tenant.to_string());
        let row = sql
            .query()
            .fetch_optional(&mut *conn)
            .await
            .map_err(storage("read device"))?;
        match row {
            None => Ok(None),
            Some(r) => Ok(with_groups(&mut conn, vec![from_row(&r)?]).await?.pop()),
        }
    }

    async fn list_devices(
        &self,
        tenant: TenantId,
        filter: &DeviceFilter,
        page: &PageRequest<DeviceSort>,
    ) -> Result<Page<Device>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        if let Some(q) = &filter.q {
            wh.and_contains(&["name", "label"], q);
        }
        if let Some(p) = filter.product_id {
            wh.and("product_id =", p.to_string());
        }
        if let Some(tag) = &filter.tag {
            wh.push(" AND id IN (SELECT device_id FROM device_tags WHERE tenant_id = ")
                .bind(tenant.to_string())
                .push(" AND tag = ")
                .bind(tag.as_str())
                .push(")");
        }
        if let Some(g) = filter.group_id {
            wh.push(" AND id IN (SELECT device_id FROM device_group_members WHERE tenant_id = ")
                .bind(tenant.to_string())
                .push(" AND group_id = ")
                .bind(g.to_string())
                .push(")");
        }
        if let Some(o) = filter.online {
            wh.and("online =", o);
        }
        let page = list_page(self.pool(), "devices", COLUMNS, wh, page, from_row).await?;
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        let items = with_groups(&mut conn, page.items).await?;
        Ok(Page { items, ..page })
    }

    async fn count_devices(&self, tenant: TenantId) -> Result<u64> {
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM devices WHERE tenant_id = ");
        sql.bind(tenant.to_string());
        count(
            &sql.query()
                .fetch_one(self.pool())
                .await
                .map_err(storage("count devices"))?,
        )
    }

    async fn update_device(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DeviceId,
        patch: DevicePatch,
    ) -> Result<Device> {
        let mut tx = self.begin().await?;
        let mut d = self.device_in(&mut tx, tenant, id, Lock::ForUpdate).await?;
        check_version(Resource::Device, patch.expected_version, d.version)?;
        let mut changes = Changes::default();
        changes.set("name", &mut d.name, patch.name);
        if let Some(v) = patch.product_id {
            check_product(&mut tx, tenant, v).await?;
        }
        changes.set("product_id", &mut d.product_id, patch.product_id);
        changes.set("label", &mut d.label, patch.label);
        changes.set("description", &mut d.description, patch.description);
        if let Some(v) = &patch.tags {
            set_tags(&mut tx, tenant, id, v).await?;
        }
        changes.set("tags", &mut d.tags, patch.tags);
        if let Some(v) = patch.groups {
            // As stored: sorted, without repeats.
            let v = set_groups(&mut tx, tenant, id, &v).await?;
            changes.set("groups", &mut d.groups, Some(v));
        }
        bump_version(&mut d.version, &mut d.updated_at);
        self.write_device(&mut tx, &d).await?;
        let entry = audit_entry(Some(tenant), "update", Resource::Device, id, changes.into());
        commit_audited(tx, actor, entry).await?;
        Ok(d)
    }

    async fn update_device_attributes(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DeviceId,
        patch: AttributesPatch,
    ) -> Result<Device> {
        let mut tx = self.begin().await?;
        let mut d = self.device_in(&mut tx, tenant, id, Lock::ForUpdate).await?;
        let mut changes = Changes::default();
        for key in &patch.remove {
            if let Some(old) = d.attributes.remove(key) {
                changes.record(key, old, serde_json::Value::Null);
            }
        }
        for (k, v) in patch.set {
            let old = d.attributes.insert(k.clone(), v.clone());
            changes.record(&k, old, v);
        }
        bump_version(&mut d.version, &mut d.updated_at);
        self.write_device(&mut tx, &d).await?;
        let entry = audit_entry(
            Some(tenant),
            "update_attributes",
            Resource::Device,
            id,
            changes.into(),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(d)
    }

    async fn delete_device(&self, actor: &Actor, tenant: TenantId, id: DeviceId) -> Result<()> {
        let mut tx = self.begin().await?;
        let d = self.device_in(&mut tx, tenant, id, Lock::ForUpdate).await?;
        let mut sql = Sql::new("DELETE FROM devices WHERE id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete device"))?;
        let details = json!({"name": d.name});
        let entry = audit_entry(Some(tenant), "delete", Resource::Device, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(())
    }

    async fn get_device_credentials(
        &self,
        tenant: TenantId,
        id: DeviceId,
    ) -> Result<DeviceCredentials> {
        let mut sql = Sql::new(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM devices WHERE id = "
        ));
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read credentials"))?
            .ok_or(Error::NotFound(Resource::Device))?;
        credentials_from_row(&row)
    }

    async fn set_device_credentials(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: DeviceId,
        credentials: DeviceCredentials,
    ) -> Result<DeviceCredentials> {
        let mut tx = self.begin().await?;
        let mut d = self.device_in(&mut tx, tenant, id, Lock::ForUpdate).await?;
        bump_version(&mut d.version, &mut d.updated_at);
        let mut sql = Sql::new("UPDATE devices SET access_token = ");
        sql.bind(credentials.access_token.clone())
            .push(", username = ")
            .bind(credentials.username.clone())
            .push(", password = ")
            .bind(credentials.password.clone())
            .push(", secret = ")
            .bind(credentials.secret.clone())
            .push(", x509_fingerprint = ")
            .bind(credentials.x509_fingerprint.clone())
            .push(", updated_at = ")
            .bind(d.updated_at)
            .push(", version = ")
            .bind(d.version)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query().execute(&mut *tx).await.map_err(write_err(
            "set credentials",
            &d.name,
            Some(&credentials),
        ))?;
        let details = json!({"name": d.name, "username": credentials.username,
            "x509_fingerprint": credentials.x509_fingerprint});
        let entry = audit_entry(
            Some(tenant),
            "rotate_credentials",
            Resource::Device,
            id,
            details,
        );
        commit_audited(tx, actor, entry).await?;
        Ok(credentials)
    }

    async fn find_device_by_token(&self, token: &str) -> Result<Option<Device>> {
        Ok(self
            .device_where("access_token", token)
            .await?
            .map(|(d, _)| d))
    }

    async fn find_device_by_x509(&self, fingerprint: &str) -> Result<Option<Device>> {
        Ok(self
            .device_where("x509_fingerprint", fingerprint)
            .await?
            .map(|(d, _)| d))
    }

    async fn find_device_by_username(
        &self,
        username: &str,
    ) -> Result<Option<(Device, DeviceCredentials)>> {
        self.device_where("username", username).await
    }

    async fn find_device_by_product_key(
        &self,
        product_key: &str,
        device_name: &str,
    ) -> Result<Option<(Device, DeviceCredentials)>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS}, {CREDENTIAL_COLUMNS} FROM devices WHERE product_id = \
             (SELECT id FROM products WHERE product_key = "
        ));
        sql.bind(product_key)
            .push(") AND name = ")
            .bind(device_name);
        self.one_device(sql).await
    }

    async fn update_device_status(&self, updates: &[DeviceStatusUpdate]) -> Result<()> {
        if updates.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for u in updates {
            let mut sql = Sql::new("UPDATE devices SET online = ");
            sql.bind(u.status.online)
                .push(", last_seen_at = ")
                .bind(u.status.last_seen_at)
                .push(", last_connected_at = ")
                .bind(u.status.last_connected_at)
                .push(", last_disconnected_at = ")
                .bind(u.status.last_disconnected_at)
                .push(" WHERE id = ")
                .bind(u.device_id.to_string());
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("update device status"))?;
        }
        tx.commit().await.map_err(storage("commit"))?;
        Ok(())
    }
}
