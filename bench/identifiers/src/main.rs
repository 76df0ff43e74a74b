//! Identifier resolution benchmark (issue 23). Registers identifiers (a sample through
//! the REST API's batches, the bulk through the store the server uses), then resolves
//! them through a running `ironloom serve` over the Handle protocol (UDP, TCP) and the
//! Handle.Net REST API, with Zipf and uniform keys; beside it in the same run, point
//! lookups of the same records in PostgreSQL (the SQL storage a Handle server can be
//! configured with) and in the server's own store without the cache. See README.md.

mod load;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use ironloom_bench_common::http::json_ok;
use ironloom_bench_common::ironloom::{IronloomServer, Session, serve_command};
use ironloom_bench_common::machine::Facts;
use ironloom_bench_common::run::{IronloomBin, RunOptions};
use ironloom_core::entity::Actor;
use ironloom_core::identifier::IdentifierRecord;
use ironloom_core::ids::TenantId;
use ironloom_core::repo::IdentifierRepo;
use ironloom_identifiers::HandleValue;
use load::{Figure, Keys, handle};
use serde::Serialize;
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Identifier resolution: UDP, TCP and REST resolutions per second, registration")]
struct Args {
    #[command(flatten)]
    ironloom: IronloomBin,
    #[command(flatten)]
    run: RunOptions,
    /// Identifiers registered (through the store) and resolved.
    #[arg(long, default_value_t = 10_000_000)]
    identifiers: u64,
    /// Identifiers registered through the REST API's batches first.
    #[arg(long, default_value_t = 100_000)]
    api_identifiers: u64,
    /// Seconds each figure is measured.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// UDP requests in flight.
    #[arg(long, default_value_t = 64)]
    udp_window: usize,
    /// Client sockets (a thread each) the UDP window is also measured split over, as
    /// many clients ask a service at once (1: only the one-socket figures).
    #[arg(long, default_value_t = 2)]
    udp_clients: usize,
    /// TCP connections, concurrent REST requests, PostgreSQL connections.
    #[arg(long, default_value_t = 16)]
    conns: usize,
    /// The server's resolution cache (`[handle] cache_entries`).
    #[arg(long, default_value_t = 100_000)]
    cache_entries: usize,
    /// A PostgreSQL server URL for the peer (a database is made and dropped).
    #[arg(long, env = "IRONLOOM_TEST_PG_URL")]
    pg_url: Option<String>,
}

const PREFIX: &str = "88.999.1";
const PASSWORD: &str = "Bench-admin-1";

#[derive(Debug, Serialize)]
struct Report {
    machine: Facts,
    command: String,
    identifiers: u64,
    cache_entries: usize,
    registration: Vec<Registration>,
    resolution: Vec<Row>,
    server_rss_mib: f64,
}

#[derive(Debug, Serialize)]
struct Registration {
    path: String,
    identifiers: u64,
    seconds: f64,
    per_second: f64,
    bytes_per_identifier: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    figure: Figure,
    /// Share of the resolutions answered from the server's cache.
    cache_hits: Option<f64>,
}

/// The values of identifier `i` (a machinery part: five public values, one not).
fn values(i: u64) -> Result<Vec<HandleValue>> {
    let v = |index, t: &str, data: String, public: bool| {
        let mut v = HandleValue::new(index, t, data.into_bytes())?;
        v.timestamp = 1_764_460_800;
        v.permissions.public_read = public;
        anyhow::Ok(v)
    };
    let url = format!("https://plant.example/parts/P{i:09}");
    Ok(vec![
        v(1, "URL", url, true)?,
        v(2000, "model", "GB-6208 轴承座".into(), true)?,
        v(2001, "serial_no", format!("SN-{i:09}"), true)?,
        v(2002, "made_on", "2026-11-30".into(), true)?,
        v(2005, "maker", "Plant A".into(), true)?,
        v(2006, "cost", "12.40".into(), false)?,
    ])
}

/// The size of the SQLite store after a checkpoint (the WAL folded in).
async fn store_bytes(data: &Path) -> Result<u64> {
    use sqlx::Connection;
    let url = ironloom_meta::SqlStore::sqlite_url(data);
    let mut c = sqlx::SqliteConnection::connect(&url).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut c)
        .await?;
    c.close().await?;
    Ok(std::fs::metadata(data.join("meta.db"))?.len())
}

fn start_command(args: &Args, data: &Path) -> Result<tokio::process::Command> {
    let mut cmd = serve_command(&args.ironloom.path()?, data, "warn");
    cmd.env("IRONLOOM_ADMIN_PASSWORD", PASSWORD)
        .env("IRONLOOM__HANDLE__ADDR", "127.0.0.1:0")
        .env(
            "IRONLOOM__HANDLE__CACHE_ENTRIES",
            args.cache_entries.to_string(),
        )
        .env("IRONLOOM_DEMO_EQUIPMENT", "off");
    Ok(cmd)
}

/// A tenant with the prefix, through the REST API; its id and session.
async fn tenant(srv: &IronloomServer) -> Result<(TenantId, Session)> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()?;
    let admin = Session::login(
        &http,
        &srv.http,
        json!({"username": "admin", "password": PASSWORD}),
    )
    .await?;
    let t = json_ok(
        admin
            .post("/api/v1/tenants")
            .json(&json!({"code": "bench", "name": "Bench"})),
        "tenant",
    )
    .await?;
    let id: TenantId = t["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no tenant id in {t}"))?
        .parse()
        .map_err(|e| anyhow!("tenant id: {e:?}"))?;
    json_ok(
        admin.post("/api/v1/users").json(&json!({"username": "tb",
            "password": "Bench-tenant-1", "role": "tenant_admin", "tenant_id": t["id"]})),
        "user",
    )
    .await?;
    let ta = Session::login(
        &http,
        &srv.http,
        json!({"username": "tb", "password": "Bench-tenant-1", "tenant": "bench"}),
    )
    .await?;
    json_ok(
        ta.post("/api/v1/identifier-prefixes")
            .json(&json!({"prefix": PREFIX, "name": "Bench plant"})),
        "prefix",
    )
    .await?;
    Ok((id, ta))
}

/// Registers `n` identifiers `A…` through `POST /api/v1/identifier-batches` (2000 a
/// request, with the machinery-part template).
async fn register_over_api(ta: &Session, n: u64) -> Result<Registration> {
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let items: Vec<_> = (i..(i + 2000).min(n))
            .map(|k| {
                json!({"handle": format!("{PREFIX}/A{k:09}"),
                "template": {"id": "machinery-part", "version": "1.0"},
                "values": [
                    {"index": 1, "type": "URL", "data": format!("https://plant.example/parts/A{k:09}")},
                    {"index": 2000, "type": "model", "data": "GB-6208 轴承座"},
                    {"index": 2001, "type": "serial_no", "data": format!("SN-A{k:09}")},
                    {"index": 2002, "type": "made_on", "data": "2026-11-30"},
                    {"index": 2005, "type": "maker", "data": "Plant A"}]})
            })
            .collect();
        let r = json_ok(ta.post("/api/v1/identifier-batches").json(&items), "batch").await?;
        if r["created"].as_u64() != Some(items.len() as u64) {
            bail!("batch at {i}: {}", r["items"][0]);
        }
        i += items.len() as u64;
    }
    let s = t.elapsed().as_secs_f64();
    Ok(Registration {
        path: "REST API batches (2000 a request, template checked)".into(),
        identifiers: n,
        seconds: s,
        per_second: n as f64 / s,
        bytes_per_identifier: None,
    })
}

/// Registers `n` identifiers `P…` through the store's batch registration (what the API
/// calls after its checks), 2000 a call.
async fn register_in_store(data: &Path, tenant: TenantId, n: u64) -> Result<Registration> {
    let before = store_bytes(data).await?;
    let store = ironloom_meta::SqlStore::open(
        &ironloom_meta::SqlStore::sqlite_url(data),
        &Default::default(),
    )
    .await?;
    let actor = Actor::system("identifiers-bench");
    let t = Instant::now();
    let now = chrono::Utc::now();
    let mut i = 0;
    while i < n {
        let records: Vec<IdentifierRecord> = (i..(i + 2000).min(n))
            .map(|k| {
                Ok(IdentifierRecord {
                    handle: handle(PREFIX, k),
                    tenant_id: tenant,
                    prefix: PREFIX.into(),
                    template: None,
                    values: values(k)?,
                    created_at: now,
                    updated_at: now,
                })
            })
            .collect::<Result<_>>()?;
        store.create_identifiers(&actor, tenant, &records).await?;
        i += records.len() as u64;
        if i % 1_000_000 == 0 {
            eprintln!(
                "  {i} registered, {:.0}/s",
                i as f64 / t.elapsed().as_secs_f64()
            );
        }
    }
    let s = t.elapsed().as_secs_f64();
    drop(store);
    let after = store_bytes(data).await?;
    Ok(Registration {
        path: "the store's batch registration (2000 a call, SQLite)".into(),
        identifiers: n,
        seconds: s,
        per_second: n as f64 / s,
        bytes_per_identifier: Some(after.saturating_sub(before) as f64 / n as f64),
    })
}

/// A counter's value on the server's `/metrics`.
async fn counter(base: &str, name: &str) -> f64 {
    let Ok(r) = reqwest::get(format!("{base}/metrics")).await else {
        return 0.0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Runs `f` and the share of cache hits on the server meanwhile.
async fn with_hits(
    base: &str,
    f: impl std::future::Future<Output = Result<Figure>>,
) -> Result<Row> {
    let (h0, m0) = (
        counter(base, "ironloom_identifier_cache_hits_total").await,
        counter(base, "ironloom_identifier_cache_misses_total").await,
    );
    let figure = f.await?;
    let (h1, m1) = (
        counter(base, "ironloom_identifier_cache_hits_total").await,
        counter(base, "ironloom_identifier_cache_misses_total").await,
    );
    let (h, m) = (h1 - h0, m1 - m0);
    eprintln!(
        "  {} {:?} x{}: {:.0}/s, p50 {} µs, p99 {} µs",
        figure.target,
        figure.keys,
        figure.concurrency,
        figure.per_second,
        figure.latency.p50_us,
        figure.latency.p99_us
    );
    Ok(Row {
        figure,
        cache_hits: (h + m > 0.0).then(|| h / (h + m)),
    })
}

async fn resolve_all(
    args: &Args,
    srv: &IronloomServer,
    handle_addr: SocketAddr,
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let secs = args.seconds;
    let base = srv.http.clone();
    for (keys, seed) in [(Keys::Zipf, 1), (Keys::Uniform, 2)] {
        let ids = keys.sample(args.identifiers, 500_000, seed);
        // The cache fills first (the figures are of a server that has been answering
        // this traffic), for as long as one figure takes.
        let warm = ids.clone();
        let window = args.udp_window;
        tokio::task::spawn_blocking(move || {
            load::udp(handle_addr, PREFIX, &warm, keys, window, 1, secs)
        })
        .await??;
        let mut udp_runs = vec![(1, 1), (args.udp_window, 1)];
        if args.udp_clients > 1 {
            udp_runs.push((args.udp_window, args.udp_clients));
        }
        for (window, clients) in udp_runs {
            let ids2 = ids.clone();
            rows.push(
                with_hits(&base, async move {
                    tokio::task::spawn_blocking(move || {
                        load::udp(handle_addr, PREFIX, &ids2, keys, window, clients, secs)
                    })
                    .await?
                })
                .await?,
            );
        }
        rows.push(
            with_hits(
                &base,
                load::tcp(handle_addr, PREFIX, &ids, keys, args.conns, secs),
            )
            .await?,
        );
        let http = reqwest::Client::new();
        let b = base.clone();
        rows.push(
            with_hits(
                &base,
                load::closed_loop("ironloom REST", &ids, keys, args.conns, secs, move |i| {
                    let (http, b) = (http.clone(), b.clone());
                    async move {
                        let r = http
                            .get(format!("{b}/api/handles/{}", handle(PREFIX, i)))
                            .send()
                            .await?;
                        let ok = r.status() == 200;
                        let body = r.bytes().await?;
                        Ok(ok && body.windows(16).any(|w| w == b"\"responseCode\":1"))
                    }
                }),
            )
            .await?,
        );
    }
    Ok(rows)
}

/// The server's own store read directly (no cache), while the server runs.
async fn store_lookups(args: &Args, data: &Path) -> Result<Vec<Row>> {
    let store = std::sync::Arc::new(
        ironloom_meta::SqlStore::open(
            &ironloom_meta::SqlStore::sqlite_url(data),
            &Default::default(),
        )
        .await?,
    );
    let mut rows = Vec::new();
    for (keys, seed) in [(Keys::Zipf, 1), (Keys::Uniform, 2)] {
        let ids = keys.sample(args.identifiers, 500_000, seed);
        let s = store.clone();
        let f = load::closed_loop(
            "ironloom store (SQLite), no cache",
            &ids,
            keys,
            args.conns,
            args.seconds,
            move |i| {
                let s = s.clone();
                async move { Ok(s.get_identifier(&handle(PREFIX, i)).await?.is_some()) }
            },
        )
        .await?;
        eprintln!("  {} {keys:?}: {:.0}/s", f.target, f.per_second);
        rows.push(Row {
            figure: f,
            cache_hits: None,
        });
    }
    Ok(rows)
}

/// PostgreSQL: the same records (handle → encoded values) loaded server-side, then
/// point lookups by primary key, prepared, over `conns` connections.
async fn postgres(args: &Args, pg: &str) -> Result<(Registration, Vec<Row>)> {
    use sqlx::Connection;
    let db = format!("identifiers_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(pg).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await?;
    let url = match pg.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{db}"),
        None => bail!("--pg-url needs a database path"),
    };
    let result = async {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(args.conns as u32)
            .connect(&url)
            .await?;
        sqlx::query("CREATE TABLE handles (handle TEXT PRIMARY KEY, vals BYTEA NOT NULL)")
            .execute(&pool)
            .await?;
        // Every row holds one record's encoded values (the same size as each of ours).
        let t = Instant::now();
        let vals = ironloom_identifiers::proto::encode_values(&values(0)?);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO handles SELECT '{PREFIX}/P' || lpad(i::text, 9, '0'), $1::bytea \
             FROM generate_series(0, {}) AS i",
            args.identifiers - 1
        )))
        .bind(&vals)
        .execute(&pool)
        .await?;
        sqlx::query("VACUUM ANALYZE handles").execute(&pool).await?;
        let s = t.elapsed().as_secs_f64();
        let size: i64 = sqlx::query_scalar("SELECT pg_total_relation_size('handles')")
            .fetch_one(&pool)
            .await?;
        let reg = Registration {
            path: "PostgreSQL, INSERT … SELECT generate_series (server-side, one statement)".into(),
            identifiers: args.identifiers,
            seconds: s,
            per_second: args.identifiers as f64 / s,
            bytes_per_identifier: Some(size as f64 / args.identifiers as f64),
        };
        let mut rows = Vec::new();
        for (keys, seed) in [(Keys::Zipf, 1), (Keys::Uniform, 2)] {
            let ids = keys.sample(args.identifiers, 500_000, seed);
            let p = pool.clone();
            let f = load::closed_loop(
                "PostgreSQL point lookup",
                &ids,
                keys,
                args.conns,
                args.seconds,
                move |i| {
                    let p = p.clone();
                    async move {
                        let v: Option<Vec<u8>> =
                            sqlx::query_scalar("SELECT vals FROM handles WHERE handle = $1")
                                .bind(handle(PREFIX, i))
                                .fetch_optional(&p)
                                .await?;
                        Ok(v.is_some())
                    }
                },
            )
            .await?;
            eprintln!("  {} {keys:?}: {:.0}/s", f.target, f.per_second);
            rows.push(Row {
                figure: f,
                cache_hits: None,
            });
        }
        pool.close().await;
        anyhow::Ok((reg, rows))
    }
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {db} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    result
}

fn markdown(r: &Report) -> String {
    let mut s = format!(
        "# Identifier resolution\n\n{} identifiers, resolution cache {} entries; {}\n\n`{}`\n\n",
        r.identifiers, r.cache_entries, r.machine, r.command
    );
    s.push_str("| registration | identifiers | seconds | per second | bytes/identifier |\n|---|---:|---:|---:|---:|\n");
    for g in &r.registration {
        s.push_str(&format!(
            "| {} | {} | {:.1} | {:.0} | {} |\n",
            g.path,
            g.identifiers,
            g.seconds,
            g.per_second,
            g.bytes_per_identifier
                .map_or("".into(), |b| format!("{b:.0}"))
        ));
    }
    s.push_str("\n| target | keys | in flight | per second | p50 µs | p99 µs | cache hits | lost | wrong |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in &r.resolution {
        let f = &row.figure;
        s.push_str(&format!(
            "| {} | {:?} | {} | {:.0} | {} | {} | {} | {} | {} |\n",
            f.target,
            f.keys,
            f.concurrency,
            f.per_second,
            f.latency.p50_us,
            f.latency.p99_us,
            row.cache_hits
                .map_or("".into(), |h| format!("{:.0} %", h * 100.0)),
            f.lost,
            f.wrong
        ));
    }
    s.push_str(&format!(
        "\nServer RSS after the run: {:.0} MiB\n",
        r.server_rss_mib
    ));
    s
}

async fn run(args: Args) -> Result<()> {
    let work = args.run.work_dir("identifiers-bench-")?;
    let data = work.path().join("data");
    let log = work.path().join("ironloom.log");
    let mut registration = Vec::new();
    let mut srv = IronloomServer::start("ironloom", start_command(&args, &data)?, &log).await?;
    let (tenant_id, ta) = tenant(&srv).await?;
    eprintln!(
        "registering {} identifiers through the REST API",
        args.api_identifiers
    );
    if args.api_identifiers > 0 {
        registration.push(register_over_api(&ta, args.api_identifiers).await?);
    }
    srv.proc.stop(Duration::from_secs(30)).await?;
    eprintln!(
        "registering {} identifiers through the store",
        args.identifiers
    );
    registration.push(register_in_store(&data, tenant_id, args.identifiers).await?);
    let srv = IronloomServer::start("ironloom", start_command(&args, &data)?, &log).await?;
    let mut proc = srv.proc;
    let addr: SocketAddr = proc
        .wait_for_word("listening on handle://", Duration::from_secs(30))
        .await?
        .parse()
        .context("the Handle address")?;
    let srv = IronloomServer { proc, ..srv };
    let mut resolution = resolve_all(&args, &srv, addr).await?;
    resolution.extend(store_lookups(&args, &data).await?);
    let server_rss_mib = srv.proc.rss_kib().unwrap_or(0) as f64 / 1024.0;
    if let Some(pg) = &args.pg_url {
        eprintln!("PostgreSQL: loading {} records", args.identifiers);
        let (reg, rows) = postgres(&args, pg).await?;
        registration.push(reg);
        resolution.extend(rows);
    }
    let report = Report {
        machine: Facts::detect(),
        command: ironloom_bench_common::run::command_line(),
        identifiers: args.identifiers,
        cache_entries: args.cache_entries,
        registration,
        resolution,
        server_rss_mib,
    };
    args.run.finish(work, &markdown(&report), &report)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    ironloom_bench_common::run::until_interrupted(run(args)).await
}
