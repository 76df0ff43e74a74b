//! Products. The thing model column holds the product's W3C WoT Thing Model document; the
//! typed model and the product fields are read back from it and the other columns.

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{ProductId, TenantId};
use ironloom_core::industry::{DeviceCategory, Industry, Protocol};
use ironloom_core::repo::ProductRepo;
use serde_json::json;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, name, product_key, description, industry, category, \
    protocol, thing_model, created_at, updated_at, version";

fn from_row(row: &AnyRow) -> Result<Product> {
    let doc: serde_json::Value = json(row, "thing_model")?;
    let (thing_model, tm_extensions) = Product::decode_wot_document(&doc)
        .map_err(|e| Error::storage("decode stored thing model", e))?;
    let category = text(row, "category")?;
    let protocol = text(row, "protocol")?;
    Ok(Product {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        name: text(row, "name")?,
        product_key: text(row, "product_key")?,
        description: opt_text(row, "description")?,
        industry: opt_text(row, "industry")?
            .as_deref()
            .and_then(Industry::from_code),
        category: DeviceCategory::parse(&category)
            .ok_or_else(|| Error::storage("decode row", format!("category {category:?}")))?,
        protocol: Protocol::parse(&protocol)
            .ok_or_else(|| Error::storage("decode row", format!("protocol {protocol:?}")))?,
        thing_model,
        tm_extensions,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: int(row, "version")?,
    })
}

impl SqlStore {
    async fn product_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant: TenantId,
        id: ProductId,
        lock: bool,
    ) -> Result<Product> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM products WHERE id = "));
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        if lock {
            sql.push(self.for_update());
        }
        let row = sql
            .query()
            .fetch_optional(conn)
            .await
            .map_err(storage("read product"))?
            .ok_or(Error::NotFound(Resource::Product))?;
        from_row(&row)
    }
}

fn write_err<'a>(action: &'static str, p: &'a Product) -> impl Fn(sqlx::Error) -> Error + 'a {
    move |e| {
        let e = db_err(action, Resource::Product)(e);
        let e = with_value(e, "name", &p.name);
        with_value(e, "product_key", &p.product_key)
    }
}

#[async_trait]
impl ProductRepo for SqlStore {
    async fn create_product(
        &self,
        actor: &Actor,
        tenant: TenantId,
        new: NewProduct,
    ) -> Result<Product> {
        let now = now();
        let p = Product {
            id: ProductId::new(),
            tenant_id: tenant,
            name: new.name,
            product_key: new.product_key,
            description: new.description,
            industry: new.industry,
            category: new.category,
            protocol: new.protocol,
            thing_model: new.thing_model,
            tm_extensions: new.tm_extensions,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(&format!("INSERT INTO products ({COLUMNS}) VALUES ("));
        sql.bind(p.id.to_string())
            .push(", ")
            .bind(tenant.to_string())
            .push(", ")
            .bind(p.name.clone())
            .push(", ")
            .bind(p.product_key.clone())
            .push(", ")
            .bind(p.description.clone())
            .push(", ")
            .bind(p.industry.map(|i| i.code().to_string()))
            .push(", ")
            .bind(p.category.as_str())
            .push(", ")
            .bind(p.protocol.as_str())
            .push(", ")
            .bind(to_json(&p.wot_document())?)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(", 1)");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(write_err("create product", &p))?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: Some(tenant),
                action: "create".into(),
                resource: Resource::Product,
                resource_id: Some(p.id.to_string()),
                details: json!({
                    "name": p.name,
                    "product_key": p.product_key,
                    "properties": p.thing_model.properties.len(),
                    "events": p.thing_model.events.len(),
                    "services": p.thing_model.services.len(),
                }),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(p)
    }

    async fn get_product(&self, tenant: TenantId, id: ProductId) -> Result<Product> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        self.product_in(&mut conn, tenant, id, false).await
    }

    async fn find_product_by_key(&self, tenant: TenantId, key: &str) -> Result<Option<Product>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM products WHERE product_key = "
        ));
        sql.bind(key).and("tenant_id =", tenant.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read product"))?;
        row.as_ref().map(from_row).transpose()
    }

    async fn list_products(
        &self,
        tenant: TenantId,
        filter: &ProductFilter,
        page: &PageRequest<ProductSort>,
    ) -> Result<Page<Product>> {
        let mut wh = Sql::new(" WHERE tenant_id = ");
        wh.bind(tenant.to_string());
        if let Some(q) = &filter.q {
            wh.and_contains(&["name", "product_key", "description"], q);
        }
        if let Some(i) = filter.industry {
            wh.and("industry =", i.code());
        }
        if let Some(c) = filter.category {
            wh.and("category =", c.as_str());
        }
        if let Some(p) = filter.protocol {
            wh.and("protocol =", p.as_str());
        }
        list_page(self.pool(), "products", COLUMNS, wh, page, from_row).await
    }

    async fn update_product(
        &self,
        actor: &Actor,
        tenant: TenantId,
        id: ProductId,
        patch: ProductPatch,
    ) -> Result<Product> {
        let mut tx = self.begin().await?;
        let mut p = self.product_in(&mut tx, tenant, id, true).await?;
        if let Some(expected) = patch.expected_version
            && expected != p.version
        {
            return Err(Error::VersionConflict {
                resource: Resource::Product,
                actual: p.version,
            });
        }
        let mut changes = serde_json::Map::new();
        if let Some(v) = patch.name {
            changes.insert("name".into(), json!({"from": p.name, "to": v}));
            p.name = v;
        }
        if let Some(v) = patch.description {
            changes.insert(
                "description".into(),
                json!({"from": p.description, "to": v}),
            );
            p.description = v;
        }
        if let Some(v) = patch.industry {
            changes.insert("industry".into(), json!({"from": p.industry, "to": v}));
            p.industry = v;
        }
        if let Some(v) = patch.category {
            changes.insert("category".into(), json!({"from": p.category, "to": v}));
            p.category = v;
        }
        if let Some(v) = patch.protocol {
            changes.insert("protocol".into(), json!({"from": p.protocol, "to": v}));
            p.protocol = v;
        }
        if let Some(v) = patch.thing_model {
            changes.insert(
                "thing_model".into(),
                json!({
                    "properties": {"from": p.thing_model.properties.len(), "to": v.properties.len()},
                    "events": {"from": p.thing_model.events.len(), "to": v.events.len()},
                    "services": {"from": p.thing_model.services.len(), "to": v.services.len()},
                }),
            );
            p.thing_model = v;
        }
        if let Some(v) = patch.tm_extensions {
            p.tm_extensions = v;
        }
        p.updated_at = now();
        p.version += 1;
        let mut sql = Sql::new("UPDATE products SET name = ");
        sql.bind(p.name.clone())
            .push(", description = ")
            .bind(p.description.clone())
            .push(", industry = ")
            .bind(p.industry.map(|i| i.code().to_string()))
            .push(", category = ")
            .bind(p.category.as_str())
            .push(", protocol = ")
            .bind(p.protocol.as_str())
            .push(", thing_model = ")
            .bind(to_json(&p.wot_document())?)
            .push(", updated_at = ")
            .bind(p.updated_at)
            .push(", version = ")
            .bind(p.version)
            .push(" WHERE id = ")
            .bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(write_err("update product", &p))?;
        changes.insert("version".into(), json!(p.version));
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: Some(tenant),
                action: "update".into(),
                resource: Resource::Product,
                resource_id: Some(id.to_string()),
                details: serde_json::Value::Object(changes),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(p)
    }

    async fn delete_product(&self, actor: &Actor, tenant: TenantId, id: ProductId) -> Result<()> {
        let mut tx = self.begin().await?;
        let p = self.product_in(&mut tx, tenant, id, true).await?;
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM devices WHERE product_id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        let n = count(
            &sql.query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("count devices"))?,
        )?;
        if n > 0 {
            return Err(Error::InUse {
                resource: Resource::Product,
                by: Resource::Device,
                count: n,
            });
        }
        let mut sql = Sql::new("DELETE FROM products WHERE id = ");
        sql.bind(id.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete product"))?;
        audit(
            &mut tx,
            actor,
            NewAuditEntry {
                tenant_id: Some(tenant),
                action: "delete".into(),
                resource: Resource::Product,
                resource_id: Some(id.to_string()),
                details: json!({"name": p.name, "product_key": p.product_key}),
            },
        )
        .await?;
        tx.commit().await.map_err(storage("commit"))?;
        Ok(())
    }
}
