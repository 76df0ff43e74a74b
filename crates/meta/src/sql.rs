//! The plumbing every table module shares: a query builder that numbers `$N` placeholders
//! (both SQLite and PostgreSQL accept them), typed bind values, row decoding and the
//! mapping of driver errors onto the platform's errors.

use chrono::{DateTime, Utc};
use ironloom_core::entity::{
    Actor, JsonMap, NewAuditEntry, Page, PageRequest, Resource, SortField, SortOrder, Timestamp,
};
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::AuditId;
use ironloom_core::repo::Scope;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, Row};

/// A value to bind. Nulls keep their SQL type, which PostgreSQL needs.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bytes(Vec<u8>),
}

impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(Some(i64::from(v)))
    }
}
impl From<Timestamp> for Arg {
    fn from(v: Timestamp) -> Self {
        Arg::Int(Some(v.timestamp_millis()))
    }
}
impl From<Option<Timestamp>> for Arg {
    fn from(v: Option<Timestamp>) -> Self {
        Arg::Int(v.map(|t| t.timestamp_millis()))
    }
}

/// SQL text with its bind values, numbered as they are pushed.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `AND <expr> <placeholder>`, e.g. `and("tenant_id =", id)`.
    pub fn and(&mut self, expr: &str, value: impl Into<Arg>) -> &mut Self {
        self.push(" AND ").push(expr).push(" ").bind(value)
    }

    /// Appends `AND tenant_id = …` when `scope` is one tenant's.
    pub fn and_scope(&mut self, scope: Scope) -> &mut Self {
        if let Scope::Tenant(t) = scope {
            self.and("tenant_id =", t.to_string());
        }
        self
    }

    /// Appends a case-insensitive substring match over any of `columns`.
    pub fn and_contains(&mut self, columns: &[&str], needle: &str) -> &mut Self {
        let pattern = format!("%{}%", escape_like(&needle.to_lowercase()));
        self.push(" AND (");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push("LOWER(")
                .push(c)
                .push(") LIKE ")
                .bind(pattern.clone())
                .push(" ESCAPE '\\'");
        }
        self.push(")")
    }

    /// Appends a match of `column`'s values that start with `prefix` (case as given).
    pub fn and_prefix(&mut self, column: &str, prefix: &str) -> &mut Self {
        let pattern = format!("{}%", escape_like(prefix));
        self.push(" AND ")
            .push(column)
            .push(" LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\'")
    }

    /// Appends ORDER BY (with the id as tie-breaker so pages are stable) and LIMIT/OFFSET.
    pub fn order_and_page<F: SortField>(&mut self, page: &PageRequest<F>) -> &mut Self {
        let dir = match page.sort.order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
        // Nulls sort as the smallest value on both backends.
        let column = page.sort.field.column();
        self.push(" ORDER BY CASE WHEN ")
            .push(column)
            .push(" IS NULL THEN 0 ELSE 1 END ")
            .push(dir)
            .push(", ")
            .push(column)
            .push(" ")
            .push(dir)
            .push(", id ")
            .push(dir)
            .push(" LIMIT ")
            .bind(i64::from(page.page_size))
            .push(" OFFSET ")
            .bind(i64::try_from(page.offset()).unwrap_or(i64::MAX))
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments> {
        // The text is built from literals and closed sets of column names only; every
        // user-supplied value goes through a bind.
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Int(v) => q.bind(*v),
                Arg::Bytes(v) => q.bind(v.clone()),
            };
        }
        q
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Turns a driver error into the platform's, recognising unique violations by the name of
/// the index that was violated (`<table>_<column>_key`).
pub(crate) fn db_err(action: &'static str, resource: Resource) -> impl Fn(sqlx::Error) -> Error {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let text = format!("{} {}", d.constraint().unwrap_or(""), d.message());
            let field = UNIQUE_FIELDS
                .iter()
                .find(|(needle, _)| text.contains(needle))
                .map_or("name", |(_, f)| *f);
            Error::AlreadyExists {
                resource,
                field,
                value: String::new(),
            }
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => Error::invalid(
            "reference",
            ironloom_core::error::FieldErrorKind::UnknownReference(resource),
        ),
        _ => Error::storage(action, e),
    }
}

const UNIQUE_FIELDS: &[(&str, &str)] = &[
    ("tenants_code_key", "code"),
    ("users_tenant_username_key", "username"),
    ("products_product_key_key", "product_key"),
    ("devices_access_token_key", "access_token"),
    ("devices_username_key", "username"),
    ("devices_x509_fingerprint_key", "x509_fingerprint"),
    ("device_tags", "tags"),
    ("device_group_members", "groups"),
    ("dashboards_share_token_key", "share_token"),
    ("developers_name", "name"),
    ("developers_user", "user_id"),
    // SQLite names the columns rather than the index for plain unique indexes.
    ("tenants.code", "code"),
    ("products.product_key", "product_key"),
    ("devices.access_token", "access_token"),
    ("devices.username", "username"),
    ("devices.x509_fingerprint", "x509_fingerprint"),
    ("dashboards.share_token", "share_token"),
    ("developers.name", "name"),
    ("developers.user_id", "user_id"),
];

/// Fills in the offending value of an `AlreadyExists` error.
pub(crate) fn with_value(e: Error, field: &'static str, value: &str) -> Error {
    match e {
        Error::AlreadyExists {
            resource, field: f, ..
        } if f == field => Error::AlreadyExists {
            resource,
            field,
            value: value.to_string(),
        },
        other => other,
    }
}

pub(crate) fn storage(action: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| Error::storage(action, e)
}

// ------------------------------------------------------------------------------------------
// Row decoding.

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String> {
    row.try_get::<String, _>(col)
        .map_err(|e| Error::storage("decode row", e))
}

pub(crate) fn bytes(row: &AnyRow, col: &str) -> Result<Vec<u8>> {
    row.try_get::<Vec<u8>, _>(col)
        .map_err(|e| Error::storage("decode row", e))
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>> {
    row.try_get::<Option<String>, _>(col)
        .map_err(|e| Error::storage("decode row", e))
}

pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64> {
    row.try_get::<i64, _>(col)
        .map_err(|e| Error::storage("decode row", e))
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    row.try_get::<Option<i64>, _>(col)
        .map_err(|e| Error::storage("decode row", e))
}

pub(crate) fn flag(row: &AnyRow, col: &str) -> Result<bool> {
    int(row, col).map(|v| v != 0)
}

pub(crate) fn ts(row: &AnyRow, col: &str) -> Result<Timestamp> {
    millis(int(row, col)?)
}

pub(crate) fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<Timestamp>> {
    opt_int(row, col)?.map(millis).transpose()
}

fn millis(ms: i64) -> Result<Timestamp> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .ok_or_else(|| Error::storage("decode row", format!("timestamp {ms} out of range")))
}

pub(crate) fn parse<T: std::str::FromStr>(row: &AnyRow, col: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let v = text(row, col)?;
    v.parse()
        .map_err(|e| Error::storage("decode row", format!("{col}={v:?}: {e}")))
}

pub(crate) fn opt_parse<T: std::str::FromStr>(row: &AnyRow, col: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    match opt_text(row, col)? {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e| Error::storage("decode row", format!("{col}={v:?}: {e}"))),
    }
}

/// A text column holding one of an enum's names.
pub(crate) fn enum_col<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    let v = text(row, col)?;
    parse(&v).ok_or_else(|| Error::storage("decode record", format!("{col}: {v}")))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    let v = text(row, col)?;
    serde_json::from_str(&v).map_err(|e| Error::storage("decode row", format!("{col}: {e}")))
}

pub(crate) fn to_json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::storage("encode json", e))
}

pub(crate) fn json_map(row: &AnyRow, col: &str) -> Result<JsonMap> {
    json(row, col)
}

pub(crate) fn count(row: &AnyRow) -> Result<u64> {
    Ok(u64::try_from(int(row, "n")?).unwrap_or(0))
}

pub(crate) fn page<T>(items: Vec<T>, total: u64, req: &PageRequest<impl SortField>) -> Page<T> {
    Page {
        items,
        total,
        page: req.page,
        page_size: req.page_size,
    }
}

/// A timestamp at the precision it is stored in (milliseconds).
pub(crate) fn truncate_ms(t: Timestamp) -> Timestamp {
    DateTime::<Utc>::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

pub(crate) fn now() -> Timestamp {
    // Stored at millisecond precision; truncate here so what we return equals what we read.
    let now = Utc::now();
    DateTime::<Utc>::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

// ------------------------------------------------------------------------------------------
// Audit, written inside the transaction of the change it describes.

pub(crate) async fn audit(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    entry: NewAuditEntry,
) -> Result<()> {
    let mut sql = Sql::new(
        "INSERT INTO audit_log (id, tenant_id, at, actor_kind, actor_id, actor_name, \
         actor_tenant_id, ip, action, resource, resource_id, details) VALUES (",
    );
    sql.bind(AuditId::new().to_string())
        .push(", ")
        .bind(entry.tenant_id.map(|t| t.to_string()))
        .push(", ")
        .bind(now())
        .push(", ")
        .bind(actor.kind.as_str())
        .push(", ")
        .bind(actor.id.clone())
        .push(", ")
        .bind(actor.name.clone())
        .push(", ")
        .bind(actor.tenant_id.map(|t| t.to_string()))
        .push(", ")
        .bind(actor.ip.clone())
        .push(", ")
        .bind(entry.action)
        .push(", ")
        .bind(entry.resource.as_str())
        .push(", ")
        .bind(entry.resource_id)
        .push(", ")
        .bind(to_json(&entry.details)?)
        .push(")");
    sql.query()
        .execute(conn)
        .await
        .map_err(storage("write audit entry"))?;
    Ok(())
}

/// Runs a paged list: counts what `filter` (a `WHERE …` clause) matches in `table`, then
/// fetches the requested page of `columns`.
pub(crate) async fn list_page<T, F: SortField>(
    pool: &sqlx::AnyPool,
    table: &str,
    columns: &str,
    filter: Sql,
    page: &PageRequest<F>,
    decode: impl Fn(&AnyRow) -> Result<T>,
) -> Result<Page<T>> {
    let count_sql = Sql {
        text: format!("SELECT COUNT(*) AS n FROM {table}{}", filter.text),
        args: filter.args.clone(),
    };
    let total = count(
        &count_sql
            .query()
            .fetch_one(pool)
            .await
            .map_err(storage("count rows"))?,
    )?;
    let mut select = Sql {
        text: format!("SELECT {columns} FROM {table}{}", filter.text),
        args: filter.args,
    };
    select.order_and_page(page);
    let rows = select
        .query()
        .fetch_all(pool)
        .await
        .map_err(storage("list rows"))?;
    let items = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
    Ok(self::page(items, total, page))
}
