//! Tenants' enterprise profiles (see `ironloom_core::enterprise`).

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::enterprise::*;
use ironloom_core::entity::*;
use ironloom_core::error::Result;
use ironloom_core::ids::TenantId;
use ironloom_core::repo::EnterpriseRepo;
use serde_json::{Value, json};
use sqlx::any::AnyRow;

const COLUMNS: &str = "tenant_id, legal_name, credit_code, industry, industry_mode, kind, \
    employees, revenue_yuan, assets_yuan, size_class, region, park, updated_at, updated_by, version";

/// The table with the tenant id also as `id`, which paged lists order by last.
const LISTED: &str = "(SELECT p.*, p.tenant_id AS id FROM enterprise_profiles p) ep";

/// 10 000 yuan (the API's unit) to yuan, and back.
fn to_yuan(v: Option<f64>) -> Option<i64> {
    v.map(|v| (v * 10_000.0).round() as i64)
}

fn from_yuan(v: Option<i64>) -> Option<f64> {
    v.map(|y| y as f64 / 10_000.0)
}

fn from_row(row: &AnyRow) -> Result<EnterpriseProfile> {
    Ok(EnterpriseProfile {
        tenant_id: parse(row, "tenant_id")?,
        legal_name: text(row, "legal_name")?,
        credit_code: text(row, "credit_code")?,
        industry: text(row, "industry")?,
        industry_mode: enum_col(row, "industry_mode", IndustryMode::parse)?,
        kind: enum_col(row, "kind", EnterpriseKind::parse)?,
        employees: opt_int(row, "employees")?.map(|e| u64::try_from(e).unwrap_or(0)),
        revenue: from_yuan(opt_int(row, "revenue_yuan")?),
        assets: from_yuan(opt_int(row, "assets_yuan")?),
        size_class: enum_col(row, "size_class", SizeClass::parse)?,
        region: text(row, "region")?,
        park: opt_text(row, "park")?,
        updated_at: ts(row, "updated_at")?,
        updated_by: opt_text(row, "updated_by")?,
        version: int(row, "version")?,
    })
}

/// The fields an audit record compares, as the API shows them.
fn fields(p: &EnterpriseProfile) -> Vec<(&'static str, Value)> {
    vec![
        ("legal_name", json!(p.legal_name)),
        ("credit_code", json!(p.credit_code)),
        ("industry", json!(p.industry)),
        ("industry_mode", json!(p.industry_mode)),
        ("kind", json!(p.kind)),
        ("employees", json!(p.employees)),
        ("revenue", json!(p.revenue)),
        ("assets", json!(p.assets)),
        ("size_class", json!(p.size_class)),
        ("region", json!(p.region)),
        ("park", json!(p.park)),
    ]
}

impl SqlStore {
    async fn profile_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        tenant: TenantId,
        lock: bool,
    ) -> Result<Option<EnterpriseProfile>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM enterprise_profiles WHERE tenant_id = "
        ));
        sql.bind(tenant.to_string());
        if lock {
            sql.push(self.for_update());
        }
        let row = sql
            .query()
            .fetch_optional(conn)
            .await
            .map_err(storage("read enterprise profile"))?;
        row.as_ref().map(from_row).transpose()
    }
}

#[async_trait]
impl EnterpriseRepo for SqlStore {
    async fn get_profile(&self, tenant: TenantId) -> Result<Option<EnterpriseProfile>> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("acquire connection"))?;
        self.profile_in(&mut conn, tenant, false).await
    }

    async fn put_profile(
        &self,
        actor: &Actor,
        tenant: TenantId,
        input: &ProfileInput,
        size: SizeClass,
        expected_version: Option<i64>,
    ) -> Result<EnterpriseProfile> {
        let mut tx = self.begin().await?;
        // The tenant must exist (and is locked so a deletion does not race the insert).
        self.row_in(
            &mut tx,
            &crate::tenants::TENANTS,
            ironloom_core::repo::Scope::All,
            tenant,
            Lock::ForUpdate,
        )
        .await?;
        let old = self.profile_in(&mut tx, tenant, true).await?;
        let version = old.as_ref().map_or(0, |p| p.version);
        check_version(Resource::EnterpriseProfile, expected_version, version)?;
        let mut p = EnterpriseProfile {
            tenant_id: tenant,
            legal_name: input.legal_name.trim().to_owned(),
            credit_code: input.credit_code.clone(),
            industry: input.industry.clone(),
            industry_mode: input.industry_mode,
            kind: input.kind,
            employees: input.employees,
            revenue: from_yuan(to_yuan(input.revenue)),
            assets: from_yuan(to_yuan(input.assets)),
            size_class: size,
            region: input.region.clone(),
            park: input
                .park
                .as_ref()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty()),
            updated_at: now(),
            updated_by: Some(actor.name.clone()),
            version,
        };
        bump_version(&mut p.version, &mut p.updated_at);
        let mut changes = Changes::default();
        let before = old.as_ref().map(fields);
        for (i, (name, new)) in fields(&p).into_iter().enumerate() {
            match &before {
                Some(b) => changes.diff(name, &b[i].1, &new),
                None => changes.note(name, new),
            }
        }
        let mut sql = Sql::new("DELETE FROM enterprise_profiles WHERE tenant_id = ");
        sql.bind(tenant.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("replace enterprise profile"))?;
        let mut sql = Sql::new(&format!(
            "INSERT INTO enterprise_profiles ({COLUMNS}) VALUES ("
        ));
        sql.bind(tenant.to_string())
            .push(", ")
            .bind(p.legal_name.clone())
            .push(", ")
            .bind(p.credit_code.clone())
            .push(", ")
            .bind(p.industry.clone())
            .push(", ")
            .bind(p.industry_mode.as_str())
            .push(", ")
            .bind(p.kind.as_str())
            .push(", ")
            .bind(p.employees.map(|e| i64::try_from(e).unwrap_or(i64::MAX)))
            .push(", ")
            .bind(to_yuan(p.revenue))
            .push(", ")
            .bind(to_yuan(p.assets))
            .push(", ")
            .bind(p.size_class.as_str())
            .push(", ")
            .bind(p.region.clone())
            .push(", ")
            .bind(p.park.clone())
            .push(", ")
            .bind(p.updated_at)
            .push(", ")
            .bind(p.updated_by.clone())
            .push(", ")
            .bind(p.version)
            .push(")");
        sql.query().execute(&mut *tx).await.map_err(db_err(
            "store enterprise profile",
            Resource::EnterpriseProfile,
        ))?;
        let action = if old.is_some() { "update" } else { "create" };
        let entry = audit_entry(
            Some(tenant),
            action,
            Resource::EnterpriseProfile,
            tenant,
            changes.into(),
        );
        commit_audited(tx, actor, entry).await?;
        Ok(p)
    }

    async fn list_profiles(
        &self,
        filter: &ProfileFilter,
        page: &PageRequest<ProfileSort>,
    ) -> Result<Page<EnterpriseProfile>> {
        let mut wh = Sql::new(" WHERE 1 = 1");
        if let Some(q) = &filter.q {
            wh.and_contains(&["legal_name", "credit_code"], q);
        }
        if let Some(i) = &filter.industry {
            wh.and_prefix("industry", i);
        }
        if let Some(r) = &filter.region {
            wh.and_prefix("region", region_prefix(r));
        }
        if let Some(s) = filter.size_class {
            wh.and("size_class =", s.as_str());
        }
        if let Some(m) = filter.industry_mode {
            wh.and("industry_mode =", m.as_str());
        }
        list_page(self.pool(), LISTED, COLUMNS, wh, page, from_row).await
    }
}
