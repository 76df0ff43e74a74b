//! `evaluation-bench`: the evaluation report at a large platform's size.
//!
//! A running `ironloom serve` (release build, metadata on SQLite in its data directory or,
//! with `--pg-url`, on PostgreSQL) is given `--tenants` tenants with enterprise profiles,
//! `--devices` devices over their products of real kinds, a month of the devices' activity
//! and of succeeded commands, and twelve months of model calls, written straight into its
//! tables ([`seed`]). Then, through its REST API as the platform administrator:
//!
//! - **gathering**: the report with `?fresh=true` (every figure gathered from the records
//!   now; the report's own `gathered_in_ms` and the request's time), the first request
//!   included;
//! - **opening**: the report as the console opens it (from the figures kept), with the
//!   default classes and with an industry and region chosen (figured in memory);
//! - **drill-down**: record pages of connected and managed devices, first and deep pages,
//!   filtered by industry;
//! - a **tenant's** own report (gathered for it alone);
//! - the **workbook** export.
//!
//! Beside them, the **database alone**: the device counts by product the store asks for,
//! issued directly to the same database in the same run.

mod seed;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate, Utc};
use clap::Parser;
use ironloom_bench_common::http::{json_ok, send_ok};
use ironloom_bench_common::ironloom::{IronloomServer, Session, serve_command};
use ironloom_bench_common::run::{IronloomBin, RunOptions, command_line, utc_now};
use ironloom_bench_common::stats::percentile;
use serde::Serialize;
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Evaluation report benchmark: 10 000 tenants, a million devices")]
struct Args {
    #[command(flatten)]
    ironloom: IronloomBin,
    #[command(flatten)]
    run: RunOptions,
    #[arg(long, default_value_t = 10_000)]
    tenants: usize,
    #[arg(long, default_value_t = 1_000_000)]
    devices: usize,
    /// Percent of devices that delivered data in the month.
    #[arg(long, default_value_t = 70)]
    connected_pct: u64,
    /// Percent of devices with a command that succeeded in the month.
    #[arg(long, default_value_t = 30)]
    managed_pct: u64,
    /// Requests per figure (gathering: a fifth of them, at least three).
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// A PostgreSQL server URL: the same run there too (a database is made and dropped).
    #[arg(long, env = "IRONLOOM_TEST_PG_URL")]
    pg_url: Option<String>,
    /// Skip SQLite (PostgreSQL only).
    #[arg(long)]
    no_sqlite: bool,
}

/// Milliseconds of one kind of request.
#[derive(Debug, Serialize)]
struct Timing {
    what: String,
    n: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn timing(what: &str, mut ms: Vec<f64>) -> Timing {
    ms.sort_by(f64::total_cmp);
    Timing {
        what: what.to_owned(),
        n: ms.len(),
        p50_ms: percentile(&ms, 50.0).unwrap_or(f64::NAN),
        p99_ms: percentile(&ms, 99.0).unwrap_or(f64::NAN),
        max_ms: ms.last().copied().unwrap_or(f64::NAN),
    }
}

#[derive(Debug, Serialize)]
struct Backend {
    backend: String,
    written: seed::Written,
    /// The database alone: the store's device counts by product, p50 of three runs.
    grouped_counts_ms: f64,
    /// The report's own gathering time (`gathered_in_ms`), p50.
    gathered_in_ms: f64,
    timings: Vec<Timing>,
    connected_devices: u64,
    managed_devices: u64,
    enterprises: u64,
    rss_mib: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    command: String,
    at: String,
    tenants: usize,
    devices: usize,
    backends: Vec<Backend>,
}

async fn timed<F, Fut, T>(rounds: usize, mut f: F) -> Result<(Vec<f64>, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut ms = Vec::with_capacity(rounds);
    let mut last = None;
    for _ in 0..rounds {
        let t = Instant::now();
        last = Some(f().await?);
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((ms, last.context("no rounds")?))
}

fn plan(args: &Args) -> Result<seed::Plan> {
    let now = Utc::now();
    let month = format!("{:04}-{:02}", now.year(), now.month());
    let start = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).context("month")?;
    let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let months = (0..12)
        .rev()
        .filter_map(|k| start.checked_sub_months(chrono::Months::new(k)))
        .map(|d| format!("{:04}-{:02}", d.year(), d.month()))
        .collect();
    Ok(seed::Plan {
        tenants: args.tenants,
        devices: args.devices,
        connected_pct: args.connected_pct,
        managed_pct: args.managed_pct,
        products_per_tenant: 4,
        models_per_tenant: 3,
        month,
        month_start: at(start),
        months,
    })
}

async fn run_backend(
    args: &Args,
    plan: &seed::Plan,
    work: &std::path::Path,
    backend: &str,
    meta_url: Option<&str>,
) -> Result<Backend> {
    let bin = args.ironloom.path()?;
    let password = "Bench-admin-1";
    let data = work.join(format!("data-{backend}"));
    let serve = || {
        let mut cmd = serve_command(&bin, &data, "warn");
        cmd.env("IRONLOOM_ADMIN_PASSWORD", password);
        if let Some(u) = meta_url {
            cmd.args(["--meta-url", u]);
        }
        cmd
    };
    // The first start makes the schema and the administrator.
    let mut srv = IronloomServer::start(
        "ironloom",
        serve(),
        &work.join(format!("ironloom-{backend}-setup.log")),
    )
    .await?;
    let url = match meta_url {
        Some(u) => u.to_owned(),
        None => ironloom_meta::SqlStore::sqlite_url(&data),
    };
    eprintln!(
        "{backend}: writing {} tenants, {} devices …",
        plan.tenants, plan.devices
    );
    let written = seed::seed(&url, plan).await?;
    eprintln!("{backend}: written in {:.1} s", written.seconds);
    // Started again on the data, as a platform that has been running (its store's
    // statistics kept by its own maintenance, which also runs at start).
    srv.proc.stop(Duration::from_secs(30)).await?;
    let srv = IronloomServer::start(
        "ironloom",
        serve(),
        &work.join(format!("ironloom-{backend}.log")),
    )
    .await?;
    let mut grouped = Vec::new();
    for _ in 0..3 {
        grouped.push(seed::grouped_counts_ms(&url, plan).await?);
    }
    grouped.sort_by(f64::total_cmp);

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let admin = Session::login(
        &http,
        &srv.http,
        json!({"username": "admin", "password": password}),
    )
    .await?;
    let get = |path: String| {
        let admin = admin.clone();
        async move { json_ok(admin.get(&path), &path).await }
    };
    let mut timings = Vec::new();
    let month = &plan.month;
    // Gathering: the first request, then fresh ones.
    let gathers = (args.rounds / 5).max(3);
    let mut gathered = Vec::new();
    let (ms, first) = timed(1, || get(format!("/api/v1/evaluation?month={month}"))).await?;
    timings.push(timing("report, first request (gathers)", ms));
    gathered.push(first["gathered_in_ms"].as_f64().unwrap_or(f64::NAN));
    let mut ms = Vec::new();
    let mut report = first;
    for _ in 0..gathers {
        let t = Instant::now();
        report = get(format!("/api/v1/evaluation?month={month}&fresh=true")).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        gathered.push(report["gathered_in_ms"].as_f64().unwrap_or(f64::NAN));
    }
    timings.push(timing("report, fresh=true (gathers)", ms));
    gathered.sort_by(f64::total_cmp);
    let m = &report["metrics"];
    let count = |k: &str| m[k].as_u64().unwrap_or(0);
    if count("registered_devices") != plan.devices as u64 {
        bail!(
            "the report counts {} registered devices, {} were written",
            m["registered_devices"],
            plan.devices
        );
    }
    let (ms, _) = timed(args.rounds, || {
        get(format!("/api/v1/evaluation?month={month}"))
    })
    .await?;
    timings.push(timing("report as the console opens it (kept figures)", ms));
    let (ms, _) = timed(args.rounds, || {
        get(format!(
            "/api/v1/evaluation?month={month}&industry=C26&region=330000"
        ))
    })
    .await?;
    timings.push(timing("report, industry and region chosen", ms));
    for (what, path) in [
        (
            "connected devices, page 1 of 50",
            "list=connected_devices&page=1",
        ),
        (
            "connected devices, page 1000 of 50",
            "list=connected_devices&page=1000",
        ),
        (
            "connected devices of C34, page 1",
            "list=connected_devices&industry=C34",
        ),
        (
            "managed devices, page 1 of 50",
            "list=managed_devices&page=1",
        ),
    ] {
        let (ms, _) = timed(args.rounds, || {
            get(format!("/api/v1/evaluation/records?month={month}&{path}"))
        })
        .await?;
        timings.push(timing(&format!("records: {what}"), ms));
    }
    // A tenant's own report: its administrator, made through the API.
    let tenant = json_ok(
        admin.get("/api/v1/tenants?q=bench-00042"),
        "find a seeded tenant",
    )
    .await?;
    let tenant_id = tenant["items"][0]["id"].clone();
    json_ok(
        admin.post("/api/v1/users").json(&json!({
            "username": "bench-ta", "password": "Bench-ta-pass-1",
            "role": "tenant_admin", "tenant_id": tenant_id})),
        "a tenant's administrator",
    )
    .await?;
    let ta = Session::login(
        &http,
        &srv.http,
        json!({"username": "bench-ta", "password": "Bench-ta-pass-1", "tenant": "bench-00042"}),
    )
    .await?;
    let (ms, own) = timed(args.rounds, || {
        let ta = ta.clone();
        let path = format!("/api/v1/evaluation?month={month}");
        async move { json_ok(ta.get(&path), "a tenant's report").await }
    })
    .await?;
    if own["metrics"]["registered_devices"].as_u64() != Some((plan.devices / plan.tenants) as u64) {
        bail!("the tenant's report: {}", own["metrics"]);
    }
    timings.push(timing("a tenant's own report (gathered for it)", ms));
    let (ms, _) = timed((args.rounds / 4).max(3), || async {
        let r = send_ok(
            admin.get(&format!("/api/v1/evaluation/export?month={month}")),
            "export",
        )
        .await?;
        Ok(r.bytes().await?.len())
    })
    .await?;
    timings.push(timing("workbook export (XLSX)", ms));
    let (ms, pdf) = timed((args.rounds / 4).max(3), || async {
        let r = send_ok(
            admin.get(&format!(
                "/api/v1/evaluation/export?month={month}&format=pdf"
            )),
            "export",
        )
        .await?;
        Ok(r.bytes().await?)
    })
    .await?;
    timings.push(timing("document export (PDF)", ms));
    // Kept with the work directory (--keep), to look at.
    std::fs::write(work.join(format!("report-{backend}.pdf")), &pdf)?;
    let rss_mib = srv.proc.rss_kib().unwrap_or(0) as f64 / 1024.0;
    Ok(Backend {
        backend: backend.to_owned(),
        written,
        grouped_counts_ms: grouped[1],
        gathered_in_ms: percentile(&gathered, 50.0).unwrap_or(f64::NAN),
        timings,
        connected_devices: count("connected_devices"),
        managed_devices: count("managed_devices"),
        enterprises: count("enterprises"),
        rss_mib,
    })
}

async fn run(args: Args) -> Result<()> {
    let work = args.run.work_dir("evaluation-bench-")?;
    let plan = plan(&args)?;
    let mut backends = Vec::new();
    if !args.no_sqlite {
        backends.push(run_backend(&args, &plan, work.path(), "sqlite", None).await?);
    }
    if let Some(pg) = &args.pg_url {
        use sqlx::Connection;
        let db = format!("evaluation_bench_{}", std::process::id());
        let mut c = sqlx::PgConnection::connect(pg).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&mut c)
            .await?;
        let url = match pg.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{db}"),
            None => bail!("--pg-url needs a database path"),
        };
        let out = run_backend(&args, &plan, work.path(), "postgresql", Some(&url)).await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {db} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await?;
        backends.push(out?);
    }
    let report = Report {
        command: command_line(),
        at: utc_now(),
        tenants: args.tenants,
        devices: args.devices,
        backends,
    };
    let mut md = format!(
        "## evaluation-bench ({})\n\n`{}`\n\n{} tenants, {} devices\n",
        report.at, report.command, report.tenants, report.devices
    );
    for b in &report.backends {
        let w = &b.written;
        md.push_str(&format!(
            "\n### {}\n\nwritten: {} activity rows, {} commands, {} model-usage rows in {:.1} s; \
             counted: {} connected, {} managed devices, {} enterprises; server RSS after: {:.0} MiB\n\n\
             - the report's gathering (`gathered_in_ms`, p50): **{:.0} ms**\n\
             - the database alone, the same device counts by product: {:.0} ms\n\n\
             | request | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n",
            b.backend,
            w.activity_rows,
            w.command_rows,
            w.model_usage_rows,
            w.seconds,
            b.connected_devices,
            b.managed_devices,
            b.enterprises,
            b.rss_mib,
            b.gathered_in_ms,
            b.grouped_counts_ms
        ));
        for t in &b.timings {
            md.push_str(&format!(
                "| {} | {} | {:.1} | {:.1} | {:.1} |\n",
                t.what, t.n, t.p50_ms, t.p99_ms, t.max_ms
            ));
        }
    }
    args.run.finish(work, &md, &report)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    ironloom_bench_common::run::until_interrupted(run(args)).await
}
