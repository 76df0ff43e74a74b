//! The platform the benchmark measures, written straight into a running server's metadata
//! store (the tables its own paths fill): tenants with enterprise profiles (valid credit
//! codes, real divisions and counties, size classes derived by the platform's rules),
//! products of real device kinds, devices, a month of the devices' activity and of
//! commands that succeeded, and twelve months of model calls. Counts are what a platform
//! of that size would hold; the report then counts them like any other records.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use ironloom_core::device_kind::KINDS;
use ironloom_core::enterprise::{check_credit_code, size_class};
use sqlx::AnyPool;
use std::time::Instant;

/// What to write.
#[derive(Debug, Clone)]
pub struct Plan {
    pub tenants: usize,
    pub devices: usize,
    /// Percent of devices that delivered data in the month.
    pub connected_pct: u64,
    /// Percent of devices with a command that succeeded in the month.
    pub managed_pct: u64,
    pub products_per_tenant: usize,
    /// Models each tenant calls, every month of the year.
    pub models_per_tenant: usize,
    /// The month (`YYYY-MM`) and when it started.
    pub month: String,
    pub month_start: DateTime<Utc>,
    /// The twelve months ending with `month`.
    pub months: Vec<String>,
}

/// Rows written per table, and how long it took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub tenants: usize,
    pub devices: usize,
    pub activity_rows: usize,
    pub command_rows: usize,
    pub model_usage_rows: usize,
    pub seconds: f64,
}

fn id(tag: &str, n: usize) -> String {
    format!("{tag}-0000-4000-8000-{n:012x}")
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A small, fixed mix: a pseudo-random number in `0..100` for `n` and `salt`.
fn pct(n: usize, salt: u64) -> u64 {
    let mut x = (n as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt;
    x ^= x >> 31;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 29;
    x % 100
}

/// A valid unified social credit code for enterprise `n` registered in `region`.
fn credit_code(n: usize, region: &str) -> String {
    const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let org = format!("{:08}", 10_000_000 + n);
    for org_check in "0123456789X".chars() {
        for last in ALPHABET.chars() {
            let code = format!("91{region}{org}{org_check}{last}");
            if check_credit_code(&code).is_ok() {
                return code;
            }
        }
    }
    unreachable!("one of 11 × 31 candidates has both check characters right")
}

/// Divisions the enterprises are spread over (manufacturing mostly, some services), and
/// whether they are process industries.
const INDUSTRIES: &[(&str, bool)] = &[
    ("C34", false),
    ("C38", false),
    ("C36", false),
    ("C39", false),
    ("C33", false),
    ("C26", true),
    ("C17", false),
    ("C13", true),
    ("C31", true),
    ("C35", false),
    ("C29", true),
    ("I65", false),
];

/// Counties of Jiangsu and Zhejiang the enterprises are in.
fn counties() -> Vec<String> {
    let mut out = Vec::new();
    for province in ["320000", "330000", "310000", "340000"] {
        for city in ironloom_core::region::children(Some(province)) {
            for county in ironloom_core::region::children(Some(&city.code)) {
                out.push(county.code);
            }
        }
    }
    out
}

/// Runs `rows` as multi-row `INSERT`s of `per` rows, in one transaction per statement.
async fn insert(
    pool: &AnyPool,
    head: &str,
    rows: impl Iterator<Item = String>,
    per: usize,
) -> Result<usize> {
    let mut n = 0;
    let mut batch: Vec<String> = Vec::with_capacity(per);
    let flush = |batch: &mut Vec<String>| {
        let sql = format!("{head} VALUES {}", batch.join(","));
        batch.clear();
        sql
    };
    for r in rows {
        batch.push(r);
        n += 1;
        if batch.len() == per {
            let sql = flush(&mut batch);
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .with_context(|| format!("writing {head}"))?;
        }
    }
    if !batch.is_empty() {
        let sql = flush(&mut batch);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .with_context(|| format!("writing {head}"))?;
    }
    Ok(n)
}

/// Writes the platform of `plan` into the store at `url`.
pub async fn seed(url: &str, plan: &Plan) -> Result<Written> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let t0 = Instant::now();
    let now = Utc::now().timestamp_millis();
    let start = plan.month_start.timestamp_millis();
    let counties = counties();
    let tenants = plan.tenants;
    insert(
        &pool,
        "INSERT INTO tenants (id, code, name, created_at, updated_at)",
        (0..tenants).map(|t| {
            format!(
                "({}, 'bench-{t:05}', {}, {now}, {now})",
                q(&id("e0000000", t)),
                q(&format!("基准企业 {t}"))
            )
        }),
        1000,
    )
    .await?;
    let mut profiles = Vec::with_capacity(tenants);
    for t in 0..tenants {
        let (industry, process) = INDUSTRIES[t % INDUSTRIES.len()];
        let region = &counties[t % counties.len()];
        // Mostly small and micro enterprises, some medium and a few large.
        let employees = [8u64, 45, 180, 650, 2400][(pct(t, 1) % 5) as usize];
        let revenue = employees as f64 * 60.0;
        let size = size_class(industry, Some(employees), Some(revenue), Some(revenue))
            .map_err(|(en, _)| anyhow::anyhow!("size of {industry}: {en}"))?;
        profiles.push(format!(
            "({}, {}, {}, '{industry}', '{}', 'manufacturer', {employees}, {}, {}, '{}', '{region}', NULL, {now}, NULL, 1)",
            q(&id("e0000000", t)),
            q(&format!("基准制造有限公司 {t}")),
            q(&credit_code(t, region)),
            if process { "process" } else { "discrete" },
            (revenue * 10_000.0) as i64,
            (revenue * 10_000.0) as i64,
            size.as_str(),
        ));
    }
    insert(
        &pool,
        "INSERT INTO enterprise_profiles (tenant_id, legal_name, credit_code, industry, \
         industry_mode, kind, employees, revenue_yuan, assets_yuan, size_class, region, park, \
         updated_at, updated_by, version)",
        profiles.into_iter(),
        1000,
    )
    .await?;
    let per = plan.products_per_tenant;
    let tm = q(
        r#"{"@context":["https://www.w3.org/2022/wot/td/v1.1"],"@type":"tm:ThingModel","title":"bench","properties":{"t":{"type":"number"},"p":{"type":"number"}}}"#,
    );
    insert(
        &pool,
        "INSERT INTO products (id, tenant_id, name, product_key, category, protocol, \
         thing_model, created_at, updated_at, kind)",
        (0..tenants * per).map(|n| {
            let k = &KINDS[n % KINDS.len()];
            format!(
                "({}, {}, 'product {}', 'bpk{n:07}', '{}', 'mqtt', {tm}, {now}, {now}, '{}')",
                q(&id("a0000000", n)),
                q(&id("e0000000", n / per)),
                n % per,
                k.category.as_str(),
                k.code
            )
        }),
        1000,
    )
    .await?;
    let devices = plan.devices;
    let product_of = |d: usize| {
        let t = d % tenants;
        (t, t * per + (d / tenants) % per)
    };
    insert(
        &pool,
        "INSERT INTO devices (id, tenant_id, product_id, name, tags, attributes, access_token, \
         username, password, secret, created_at, updated_at)",
        (0..devices).map(|d| {
            let (t, p) = product_of(d);
            format!(
                "({}, {}, {}, 'device-{d:07}', '[]', '{{}}', 'btok{d:07}', 'bu{d:07}', 'x', 'x', {now}, {now})",
                q(&id("d0000000", d)),
                q(&id("e0000000", t)),
                q(&id("a0000000", p)),
            )
        }),
        1000,
    )
    .await?;
    let month = &plan.month;
    let connected: Vec<usize> = (0..devices)
        .filter(|d| pct(*d, 2) < plan.connected_pct)
        .collect();
    let activity_rows = insert(
        &pool,
        "INSERT INTO device_activity (device_id, month, tenant_id, messages, points, first_at, \
         last_at, properties, property_count, product_id)",
        connected.iter().map(|d| {
            let (t, p) = product_of(*d);
            let first = start + (pct(*d, 3) as i64) * 60_000;
            format!(
                "({}, '{month}', {}, {}, {}, {first}, {}, '[\"p\",\"t\"]', 2, {})",
                q(&id("d0000000", *d)),
                q(&id("e0000000", t)),
                1440 + pct(*d, 4),
                2880 + 2 * pct(*d, 4),
                now.max(first),
                q(&id("a0000000", p)),
            )
        }),
        1000,
    )
    .await?;
    let managed: Vec<usize> = (0..devices)
        .filter(|d| pct(*d, 5) < plan.managed_pct)
        .collect();
    let command_rows = insert(
        &pool,
        "INSERT INTO device_commands (id, tenant_id, device_id, kind, method, params, one_way, \
         status, timeout_ms, created_at, sent_at, completed_at, response, created_by)",
        managed.iter().map(|d| {
            let (t, _) = product_of(*d);
            let at = start + (pct(*d, 6) as i64 + 1) * 3_600_000;
            let at = at.min(now - 1000).max(start);
            format!(
                "({}, {}, {}, 'rpc', 'set_speed', '{{\"rpm\":1450}}', 0, 'succeeded', 10000, \
                 {at}, {at}, {}, '{{\"ok\":true}}', '{{\"kind\":\"system\"}}')",
                q(&id("c0000000", *d)),
                q(&id("e0000000", t)),
                q(&id("d0000000", *d)),
                at + 120
            )
        }),
        1000,
    )
    .await?;
    // Each managed device's month, as the command's completion writes it.
    insert(
        &pool,
        "INSERT INTO device_managed (device_id, month, tenant_id, product_id, commands, \
         first_at, last_at)",
        managed.iter().map(|d| {
            let (t, p) = product_of(*d);
            let at = (start + (pct(*d, 6) as i64 + 1) * 3_600_000)
                .min(now - 1000)
                .max(start)
                + 120;
            format!(
                "({}, '{month}', {}, {}, 1, {at}, {at})",
                q(&id("d0000000", *d)),
                q(&id("e0000000", t)),
                q(&id("a0000000", p)),
            )
        }),
        1000,
    )
    .await?;
    let models: Vec<&str> = ironloom_models::models()
        .map(|m| m.card.id)
        .take(64)
        .collect();
    let usage = (0..tenants).flat_map(|t| {
        let models = &models;
        plan.months.iter().flat_map(move |m| {
            (0..plan.models_per_tenant).map(move |k| {
                let model = models[(t + k) % models.len()];
                format!(
                    "({}, '{m}', {}, 'api', {}, 0, {})",
                    q(&id("e0000000", t)),
                    q(model),
                    100 + pct(t + k, 7) * 10,
                    1000 + pct(t, 8)
                )
            })
        })
    });
    let model_usage_rows = insert(
        &pool,
        "INSERT INTO model_usage (tenant_id, month, model, source, calls, errors, cpu_us)",
        usage,
        1000,
    )
    .await?;
    pool.close().await;
    Ok(Written {
        tenants,
        devices,
        activity_rows,
        command_rows,
        model_usage_rows,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// The database alone: the report's device counts as the store asks for them (devices,
/// the month's activity and managed devices, each grouped by product, and the products),
/// timed. The floor under the report's gathering, which adds tenants, profiles, calls, the
/// figures and the HTTP answer.
pub async fn grouped_counts_ms(url: &str, plan: &Plan) -> Result<f64> {
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let month = &plan.month;
    let queries = [
        "SELECT id, tenant_id, category, kind FROM products".to_owned(),
        "SELECT product_id, COUNT(*) FROM devices GROUP BY product_id".to_owned(),
        format!(
            "SELECT product_id, COUNT(*), CAST(SUM(property_count) AS BIGINT) \
             FROM device_activity WHERE month = '{month}' GROUP BY product_id"
        ),
        format!(
            "SELECT product_id, COUNT(*) FROM device_managed WHERE month = '{month}' \
             GROUP BY product_id"
        ),
    ];
    let t0 = Instant::now();
    for sql in queries {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(&pool)
            .await
            .with_context(|| format!("running {sql}"))?;
    }
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    pool.close().await;
    Ok(ms)
}
