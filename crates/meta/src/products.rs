//! Products. The thing model column holds the product's W3C WoT Thing Model document; the
//! typed model and the product fields are read back from it and the other columns.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{ProductId, TenantId};
use ironloom_core::industry::{DeviceCategory, Industry, Protocol};
use ironloom_core::repo::ProductRepo;
use ironloom_core::repo::Scope;
use serde_json::json;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, name, product_key, description, industry, category, \
    kind, protocol, thing_model, created_at, updated_at, version";

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
        kind: opt_text(row, "kind")?,
        protocol: Protocol::parse(&protocol)
            .ok_or_else(|| Error::storage("decode row", format!("protocol {protocol:?}")))?,
        thing_model,
        tm_extensions,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
        version: int(row, "version")?,
    })
}

const PRODUCTS: Table<Product> = Table {
    name: "products",
    columns: COLUMNS,
    decode: from_row,
    resource: Resource::Product,
    read: "read product",
};

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
            kind: new.kind,
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
            .bind(p.kind.clone())
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
        let details = json!({
            "name": p.name,
            "product_key": p.product_key,
            "properties": p.thing_model.properties.len(),
            "events": p.thing_model.events.len(),
            "services": p.thing_model.services.len(),
        });
        let entry = audit_entry(Some(tenant), "create", Resource::Product, p.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(p)
    }

    async fn get_product(&self, tenant: TenantId, id: ProductId) -> Result<Product> {
        self.get_row(&PRODUCTS, Scope::Tenant(tenant), id).await
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
        if let Some(k) = &filter.kind {
            wh.and("kind =", k.clone());
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
        let mut p = self
            .in_tenant(&mut tx, &PRODUCTS, tenant, id, Lock::ForUpdate)
            .await?;
        check_version(Resource::Product, patch.expected_version, p.version)?;
        let mut changes = Changes::default();
        changes.set("name", &mut p.name, patch.name);
        changes.set("description", &mut p.description, patch.description);
        changes.set("industry", &mut p.industry, patch.industry);
        changes.set("category", &mut p.category, patch.category);
        changes.set("kind", &mut p.kind, patch.kind);
        changes.set("protocol", &mut p.protocol, patch.protocol);
        if let Some(v) = patch.thing_model {
            let tm = &p.thing_model;
            changes.note(
                "thing_model",
                json!({
                    "properties": {"from": tm.properties.len(), "to": v.properties.len()},
                    "events": {"from": tm.events.len(), "to": v.events.len()},
                    "services": {"from": tm.services.len(), "to": v.services.len()},
                }),
            );
            p.thing_model = v;
        }
        if let Some(v) = patch.tm_extensions {
            p.tm_extensions = v;
        }
        bump_version(&mut p.version, &mut p.updated_at);
        let mut sql = Sql::new("UPDATE products SET name = ");
        sql.bind(p.name.clone())
            .push(", description = ")
            .bind(p.description.clone())
            .push(", industry = ")
            .bind(p.industry.map(|i| i.code().to_string()))
            .push(", category = ")
            .bind(p.category.as_str())
            .push(", kind = ")
            .bind(p.kind.clone())
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
        changes.note("version", json!(p.version));
        let entry = audit_entry(
            Some(tenant),
            "update",
            Resource::Product,
            id,
            changes.into(),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(p)
    }

    async fn delete_product(&self, actor: &Actor, tenant: TenantId, id: ProductId) -> Result<()> {
        let mut tx = self.begin().await?;
        let p = self
            .in_tenant(&mut tx, &PRODUCTS, tenant, id, Lock::ForUpdate)
            .await?;
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
        let details = json!({"name": p.name, "product_key": p.product_key});
        let entry = audit_entry(Some(tenant), "delete", Resource::Product, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(())
    }
}
