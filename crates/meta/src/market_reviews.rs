//! The marketplace's ratings and reviews (one per tenant and app, in the tenant), and
//! what the store counts of apps' use across tenants.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::entity::*;
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::TenantId;
use ironloom_core::market::{AppStats, Review};
use ironloom_core::repo::ReviewRepo;
use serde_json::json;
use sqlx::any::AnyRow;
use std::collections::HashMap;

const COLUMNS: &str =
    "app_id, tenant_id, rating, title, body, author, version, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Review> {
    Ok(Review {
        app_id: text(row, "app_id")?,
        tenant_id: parse(row, "tenant_id")?,
        rating: u8::try_from(int(row, "rating")?).unwrap_or(0),
        title: opt_text(row, "title")?,
        body: opt_text(row, "body")?,
        author: text(row, "author")?,
        version: text(row, "version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[async_trait]
impl ReviewRepo for SqlStore {
    async fn put_review(&self, actor: &Actor, review: &Review) -> Result<Review> {
        let mut tx = self.begin().await?;
        let mut read = Sql::new(&format!(
            "SELECT {COLUMNS} FROM market_reviews WHERE app_id = "
        ));
        read.bind(review.app_id.clone())
            .and("tenant_id =", review.tenant_id.to_string());
        let before = read
            .query()
            .fetch_optional(&mut *tx)
            .await
            .map_err(storage("read review"))?
            .as_ref()
            .map(from_row)
            .transpose()?;
        let at = now();
        let created = before.as_ref().map_or(at, |b| b.created_at);
        let mut del = Sql::new("DELETE FROM market_reviews WHERE app_id = ");
        del.bind(review.app_id.clone())
            .and("tenant_id =", review.tenant_id.to_string());
        del.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("replace review"))?;
        let mut sql = Sql::new(&format!("INSERT INTO market_reviews ({COLUMNS}) VALUES ("));
        sql.bind(review.app_id.clone())
            .push(", ")
            .bind(review.tenant_id.to_string())
            .push(", ")
            .bind(i64::from(review.rating))
            .push(", ")
            .bind(review.title.clone())
            .push(", ")
            .bind(review.body.clone())
            .push(", ")
            .bind(review.author.clone())
            .push(", ")
            .bind(review.version.clone())
            .push(", ")
            .bind(created)
            .push(", ")
            .bind(at)
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("store review", Resource::Review))?;
        let details = json!({"rating": {"from": before.as_ref().map(|b| b.rating),
            "to": review.rating}, "version": review.version});
        let action = if before.is_some() { "update" } else { "create" };
        let entry = audit_entry(
            Some(review.tenant_id),
            action,
            Resource::Review,
            &review.app_id,
            details,
        );
        commit_audited(tx, actor, entry).await?;
        Ok(Review {
            created_at: created,
            updated_at: at,
            ..review.clone()
        })
    }

    async fn delete_review(&self, actor: &Actor, tenant: TenantId, app_id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let mut del = Sql::new("DELETE FROM market_reviews WHERE app_id = ");
        del.bind(app_id).and("tenant_id =", tenant.to_string());
        let n = del
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("delete review"))?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Resource::Review));
        }
        let entry = audit_entry(Some(tenant), "delete", Resource::Review, app_id, json!({}));
        commit_audited(tx, actor, entry).await
    }

    async fn review_of(&self, tenant: TenantId, app_id: &str) -> Result<Option<Review>> {
        let mut read = Sql::new(&format!(
            "SELECT {COLUMNS} FROM market_reviews WHERE app_id = "
        ));
        read.bind(app_id).and("tenant_id =", tenant.to_string());
        read.query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read review"))?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    async fn list_reviews(
        &self,
        app_id: &str,
        page: &PageRequest<ReviewSort>,
    ) -> Result<Page<Review>> {
        // `id` is the sort's tie-breaker: the tenant's.
        let from = format!("(SELECT {COLUMNS}, tenant_id AS id FROM market_reviews) q");
        let mut wh = Sql::new(" WHERE app_id = ");
        wh.bind(app_id);
        list_page(self.pool(), &from, COLUMNS, wh, page, from_row).await
    }

    async fn app_stats(&self) -> Result<HashMap<String, AppStats>> {
        let mut out: HashMap<String, AppStats> = HashMap::new();
        let inst = Sql::new(
            "SELECT i.app_id, COUNT(*) AS n, CAST(SUM(i.enabled) AS BIGINT) AS active \
             FROM app_installations i JOIN app_packages p ON p.tenant_id = i.tenant_id \
             AND p.app_id = i.app_id AND p.version = i.version \
             WHERE p.uploaded_by LIKE 'market (%' GROUP BY i.app_id",
        );
        for row in inst
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("count installations"))?
        {
            let s = out.entry(text(&row, "app_id")?).or_default();
            s.installations = to_u64(int(&row, "n")?);
            s.active_installations = to_u64(opt_int(&row, "active")?.unwrap_or(0));
        }
        // Tenants that took the app from the store (their package came from there).
        let held = Sql::new(
            "SELECT app_id, COUNT(DISTINCT tenant_id) AS n FROM app_packages \
             WHERE uploaded_by LIKE 'market (%' GROUP BY app_id",
        );
        for row in held
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("count subscribers"))?
        {
            out.entry(text(&row, "app_id")?).or_default().tenants = to_u64(int(&row, "n")?);
        }
        let ratings = Sql::new(
            "SELECT app_id, COUNT(*) AS n, CAST(SUM(rating) AS BIGINT) AS total FROM market_reviews \
             GROUP BY app_id",
        );
        for row in ratings
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("count ratings"))?
        {
            let s = out.entry(text(&row, "app_id")?).or_default();
            s.ratings = to_u64(int(&row, "n")?);
            let total = opt_int(&row, "total")?.unwrap_or(0) as f64;
            s.rating = if s.ratings > 0 {
                total / s.ratings as f64
            } else {
                0.0
            };
        }
        Ok(out)
    }

    async fn tenant_holds_app(&self, tenant: TenantId, app_id: &str) -> Result<bool> {
        // Taken from the store: a tenant's own upload under the same id does not count.
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM app_packages WHERE tenant_id = ");
        sql.bind(tenant.to_string())
            .and("app_id =", app_id)
            .push(" AND uploaded_by LIKE 'market (%'");
        let n = count(
            &sql.query()
                .fetch_one(self.pool())
                .await
                .map_err(storage("read app packages"))?,
        )?;
        Ok(n > 0)
    }
}
