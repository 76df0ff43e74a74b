//! Products' provisioning keys.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{ProductId, TenantId};
use ironloom_core::repo::ProvisioningRepo;
use serde_json::json;
use sqlx::any::AnyRow;

const COLUMNS: &str =
    "product_id, tenant_id, provision_key, provision_secret, allow_create, updated_at";

fn from_row(row: &AnyRow) -> Result<ProductProvisioning> {
    Ok(ProductProvisioning {
        product_id: parse(row, "product_id")?,
        provision_key: text(row, "provision_key")?,
        provision_secret: text(row, "provision_secret")?,
        allow_create: flag(row, "allow_create")?,
        updated_at: ts(row, "updated_at")?,
    })
}

#[async_trait]
impl ProvisioningRepo for SqlStore {
    async fn set_provisioning(
        &self,
        actor: &Actor,
        tenant: TenantId,
        product: ProductId,
        new: Option<NewProvisioning>,
    ) -> Result<Option<ProductProvisioning>> {
        let mut tx = self.begin().await?;
        let mut check = Sql::new("SELECT COUNT(*) AS n FROM products WHERE id = ");
        check
            .bind(product.to_string())
            .and("tenant_id =", tenant.to_string());
        let n = count(
            &check
                .query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("check product"))?,
        )?;
        if n == 0 {
            return Err(Error::NotFound(Resource::Product));
        }
        let mut del = Sql::new("DELETE FROM product_provisioning WHERE product_id = ");
        del.bind(product.to_string());
        del.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("remove provisioning"))?;
        let result = match new {
            None => None,
            Some(new) => {
                let p = ProductProvisioning {
                    product_id: product,
                    provision_key: new.provision_key,
                    provision_secret: new.provision_secret,
                    allow_create: new.allow_create,
                    updated_at: now(),
                };
                let mut sql = Sql::new(&format!(
                    "INSERT INTO product_provisioning ({COLUMNS}) VALUES ("
                ));
                sql.bind(product.to_string())
                    .push(", ")
                    .bind(tenant.to_string())
                    .push(", ")
                    .bind(p.provision_key.clone())
                    .push(", ")
                    .bind(p.provision_secret.clone())
                    .push(", ")
                    .bind(p.allow_create)
                    .push(", ")
                    .bind(p.updated_at)
                    .push(")");
                sql.query().execute(&mut *tx).await.map_err(|e| {
                    match db_err("set provisioning", Resource::Product)(e) {
                        Error::AlreadyExists { resource, .. } => Error::AlreadyExists {
                            resource,
                            field: "provision_key",
                            value: p.provision_key.clone(),
                        },
                        other => other,
                    }
                })?;
                Some(p)
            }
        };
        // Never the secret.
        let details = json!({
            "enabled": result.is_some(),
            "provision_key": result.as_ref().map(|p| p.provision_key.clone()),
            "allow_create": result.as_ref().map(|p| p.allow_create),
        });
        let entry = audit_entry(
            Some(tenant),
            "set_provisioning",
            Resource::Product,
            product,
            details,
        );
        commit_audited(tx, actor, entry).await?;
        Ok(result)
    }

    async fn get_provisioning(
        &self,
        tenant: TenantId,
        product: ProductId,
    ) -> Result<Option<ProductProvisioning>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM product_provisioning WHERE product_id = "
        ));
        sql.bind(product.to_string())
            .and("tenant_id =", tenant.to_string());
        sql.query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read provisioning"))?
            .map(|r| from_row(&r))
            .transpose()
    }

    async fn find_provisioning(
        &self,
        key: &str,
    ) -> Result<Option<(TenantId, ProductProvisioning)>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM product_provisioning WHERE provision_key = "
        ));
        sql.bind(key);
        match sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("find provisioning"))?
        {
            None => Ok(None),
            Some(r) => Ok(Some((parse(&r, "tenant_id")?, from_row(&r)?))),
        }
    }
}
