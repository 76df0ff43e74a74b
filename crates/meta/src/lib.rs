//! Ironloom's metadata store: tenants, users, API keys, products, devices, groups, rules,
//! alarms, dashboards and the audit log, in SQLite (a file in the data directory, the
//! default) or PostgreSQL (by URL).
//!
//! Layout: `sql` (query building, decoding, error mapping), `change` (the steps every
//! audited change shares: read in the tenant, version check, recorded changes, version bump,
//! audit and commit), one module per table group implementing the `ironloom_core::repo`
//! traits on [`SqlStore`], `cluster` (cluster mode's partition ownership, fencing, segment
//! manifest and rule checkpoints: `ironloom_core::cluster::ClusterStore`, a trait apart
//! from `MetaStore` so a single node is untouched by it), `migrations/` (one schema in SQL
//! both databases accept, applied by sqlx's migrator).
//!
//! Invariants: one implementation serves both backends through sqlx's `Any` driver, so the
//! shared conformance suite (`tests/conformance.rs`) checks the same code on both; every
//! change writes its audit record in the same transaction; every tenant-data query has the
//! tenant id in its WHERE clause (the cluster tables are per partition, cluster-wide; their
//! writes are fenced by the partition's epoch instead, and not audited: nodes make them, not
//! people).

mod activity;
mod alarms;
mod api_keys;
mod apps;
mod audit;
mod change;
mod cluster;
mod dashboards;
mod developer_stats;
mod device_link;
mod devices;
mod enterprise;
mod evaluation;
mod groups;
mod identifier_grants;
mod identifier_imports;
mod identifier_reader;
mod identifiers;
mod market;
mod market_reviews;
mod market_trade;
mod model_runs;
mod products;
mod provisioning;
mod rules;
mod sql;
mod tenants;
mod usage;
mod users;

use async_trait::async_trait;
use ironloom_core::error::{Error, Result};
use ironloom_core::repo::MetaStore;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, ConnectOptions, SqlSafeStr};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct SqlStoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for SqlStoreOptions {
    fn default() -> Self {
        SqlStoreOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The metadata store over SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite file (none for PostgreSQL or an in-memory database).
    file: Option<std::path::PathBuf>,
}

/// The migrations, in order. Append only: a released migration never changes.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (
        2,
        "device_link",
        include_str!("../migrations/0002_device_link.sql"),
    ),
    (
        3,
        "provisioning",
        include_str!("../migrations/0003_provisioning.sql"),
    ),
    (4, "rules", include_str!("../migrations/0004_rules.sql")),
    (5, "alarms", include_str!("../migrations/0005_alarms.sql")),
    (
        6,
        "dashboards",
        include_str!("../migrations/0006_dashboards.sql"),
    ),
    (
        7,
        "device_x509",
        include_str!("../migrations/0007_device_x509.sql"),
    ),
    (
        8,
        "model_usage",
        include_str!("../migrations/0008_model_usage.sql"),
    ),
    (
        9,
        "model_runs",
        include_str!("../migrations/0009_model_runs.sql"),
    ),
    (10, "apps", include_str!("../migrations/0010_apps.sql")),
    (
        11,
        "app_http_hosts",
        include_str!("../migrations/0011_app_http_hosts.sql"),
    ),
    (
        12,
        "cluster",
        include_str!("../migrations/0012_cluster.sql"),
    ),
    (
        13,
        "alarm_sources",
        include_str!("../migrations/0013_alarm_sources.sql"),
    ),
    (14, "market", include_str!("../migrations/0014_market.sql")),
    (
        15,
        "market_reviews",
        include_str!("../migrations/0015_market_reviews.sql"),
    ),
    (
        16,
        "market_trade",
        include_str!("../migrations/0016_market_trade.sql"),
    ),
    (
        17,
        "developer_usage",
        include_str!("../migrations/0017_developer_usage.sql"),
    ),
    (
        18,
        "identifiers",
        include_str!("../migrations/0018_identifiers.sql"),
    ),
    (
        19,
        "identifier_imports",
        include_str!("../migrations/0019_identifier_imports.sql"),
    ),
    (
        20,
        "identifier_grants",
        include_str!("../migrations/0020_identifier_grants.sql"),
    ),
    (
        21,
        "enterprise_profiles",
        include_str!("../migrations/0021_enterprise_profiles.sql"),
    ),
    (
        22,
        "device_activity",
        include_str!("../migrations/0022_device_activity.sql"),
    ),
    (
        23,
        "evaluation_snapshots",
        include_str!("../migrations/0023_evaluation_snapshots.sql"),
    ),
    (
        24,
        "device_months",
        include_str!("../migrations/0024_device_months.sql"),
    ),
    (
        25,
        "platform_load",
        include_str!("../migrations/0025_platform_load.sql"),
    ),
];

impl SqlStore {
    /// The URL of the SQLite database file inside a data directory.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("meta.db").display())
    }

    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies pending migrations.
    pub async fn open(url: &str, options: &SqlStoreOptions) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::storage(
                "open metadata store",
                "the URL must start with sqlite:// or postgres://",
            ));
        };
        let connect = AnyConnectOptions::from_str(url)
            .map_err(|e| Error::storage("parse metadata store URL", e))?
            .log_statements(tracing::log::LevelFilter::Trace);
        let max = match backend {
            // One writer at a time anyway; a few readers alongside.
            Backend::Sqlite => options.max_connections.clamp(1, 4),
            Backend::Postgres => options.max_connections.max(1),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(options.acquire_timeout)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; foreign keys are on by
                        // default in sqlx's SQLite driver.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(|e| Error::storage("connect to metadata store", e))?;
        let store = SqlStore {
            pool,
            backend,
            file: identifier_reader::sqlite_file(url),
        };
        store.migrate().await?;
        store.optimize().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let migrations = MIGRATIONS
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    (*name).into(),
                    MigrationType::Simple,
                    sqlx::AssertSqlSafe(*sql).into_sql_str(),
                    false,
                )
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&self.pool)
            .await
            .map_err(|e| Error::storage("migrate metadata store", e))
    }

    pub fn backend_kind(&self) -> Backend {
        self.backend
    }

    /// Keeps the query planner's statistics current: SQLite analyzes the tables whose
    /// indexes have none or whose size changed much since (`PRAGMA optimize`, bounded work;
    /// without statistics it picks a month-wide index for one tenant's month at a million
    /// devices). Run at open and every few minutes; PostgreSQL's autovacuum does this
    /// itself.
    pub async fn optimize(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA optimize = 0x10002")
                .execute(&self.pool)
                .await
                .map_err(|e| Error::storage("optimize metadata store", e))?;
        }
        Ok(())
    }

    /// Starts a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`):
    /// a deferred transaction that reads and then writes can fail at once with "database is
    /// locked" when another writer got there first, instead of waiting its turn.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        tx.map_err(|e| Error::storage("begin transaction", e))
    }

    /// `FOR UPDATE` where the database has it (SQLite's write lock covers the whole file).
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl MetaStore for SqlStore {
    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| Error::storage("ping metadata store", e))
    }
}
