//! `market-bench`: the marketplace's costs.
//!
//! - search: the catalogue's index (`ironloom_core::search`, as `GET
//!   /api/v1/market/catalogue` uses it) over `--listings` listings made from the real apps'
//!   and model cards' names and descriptions, Chinese and English queries, p50 and p99;
//!   beside SQLite FTS5 (trigram tokenizer, bm25 ranking) over the same texts and queries
//!   in the same run;
//! - ledger: durable ledger postings per second through the metadata store (three
//!   postings a transaction; one commit per transaction, and one commit per batch), on
//!   SQLite and, with `--pg-url`, PostgreSQL;
//! - checks and install: through a running `ironloom serve`, a package of about 5 MiB
//!   (a real app with a 5 MiB screenshot) submitted, checked (the report's own time) and
//!   approved, then installed from the store into a tenant `--installs` times.

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use ironloom_api::{Catalogue, CatalogueQuery, Listing};
use ironloom_bench_common::http::json_ok;
use ironloom_bench_common::ironloom::{IronloomServer, Session, serve_command};
use ironloom_bench_common::run::{IronloomBin, RunOptions, command_line, utc_now};
use ironloom_bench_common::stats::percentile;
use ironloom_core::market::{AppStats, LocalText};
use ironloom_core::repo::TradeRepo;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Marketplace benchmark: search, package checks, install, ledger")]
struct Args {
    #[command(flatten)]
    ironloom: IronloomBin,
    #[command(flatten)]
    run: RunOptions,
    /// Listings in the search index.
    #[arg(long, default_value_t = 10_000)]
    listings: usize,
    /// Searches per query.
    #[arg(long, default_value_t = 200)]
    rounds: usize,
    /// Ledger transactions per figure.
    #[arg(long, default_value_t = 20_000)]
    transactions: usize,
    /// Transactions per commit in the batched figure.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// A PostgreSQL server URL for the ledger figures there too (a database is made).
    #[arg(long, env = "IRONLOOM_TEST_PG_URL")]
    pg_url: Option<String>,
    /// Installs from the store measured.
    #[arg(long, default_value_t = 20)]
    installs: usize,
    /// The repository's `apps/` (the package and the listing texts come from there).
    #[arg(long, default_value = "apps")]
    apps: PathBuf,
    /// Skip the parts that need a server (search and ledger only).
    #[arg(long)]
    no_server: bool,
}

const ZH: &[&str] = &[
    "水泵效率",
    "压缩空气",
    "能耗",
    "刀具",
    "冷链",
    "设备综合效率",
    "振动",
    "电机 负载",
    "蒸汽",
    "控制图",
    "峰谷电价",
    "维修工单",
];
const EN: &[&str] = &[
    "pump efficiency",
    "compressed air",
    "energy",
    "tool wear",
    "cold chain",
    "oee",
    "vibration",
    "motor load",
    "steam trap",
    "control chart",
    "demand",
    "work orders",
];

/// A listing's texts: name, description, industries, domains.
type Texts = (LocalText, LocalText, Vec<String>, Vec<String>);

fn texts(apps: &Path) -> Result<Vec<Texts>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(apps).with_context(|| format!("{}", apps.display()))? {
        let m = e?.path().join("manifest.json");
        if !m.is_file() {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&m)?)?;
        let t = |k: &str, l: &str| v[k][l].as_str().unwrap_or("").to_string();
        let list = |k: &str| {
            v[k].as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        out.push((
            LocalText::new(t("name", "en"), t("name", "zh-CN")),
            LocalText::new(t("description", "en"), t("description", "zh-CN")),
            list("industries"),
            list("domains"),
        ));
    }
    use ironloom_core::model::Catalogue as _;
    for c in ironloom_models::Library::get().cards() {
        out.push((
            LocalText::new(c.name.en, c.name.zh),
            LocalText::new(c.summary.en, c.summary.zh),
            c.industries.iter().map(|s| (*s).to_string()).collect(),
            c.domains.iter().map(|d| d.as_str().to_string()).collect(),
        ));
    }
    if out.is_empty() {
        bail!("no apps or models to make listings from");
    }
    Ok(out)
}

/// `n` listings cycling through the real texts, each with its own publisher and edition
/// so no two are the same document.
fn listings(n: usize, base: &[Texts]) -> Vec<Listing> {
    (0..n)
        .map(|i| {
            let (name, desc, ind, dom) = &base[i % base.len()];
            let edition = i / base.len();
            Listing {
                kind: "app",
                id: format!("bench.app-{i}"),
                name: LocalText::new(
                    format!("{} {edition}", name.en),
                    format!("{}（第 {edition} 版）", name.zh),
                ),
                description: desc.clone(),
                publisher: format!("Publisher {}", i % 97),
                first_party: false,
                industries: ind.clone(),
                domains: dom.clone(),
                version: "1.0.0".into(),
                channel: None,
                price: "free",
                stats: AppStats::default(),
                released_at: None,
            }
        })
        .collect()
}

#[derive(Debug, serde::Serialize)]
struct Latency {
    p50_us: f64,
    p99_us: f64,
    hits_mean: f64,
}

fn summarise(mut us: Vec<f64>, hits: usize) -> Latency {
    us.sort_by(f64::total_cmp);
    let n = us.len().max(1) as f64;
    Latency {
        p50_us: percentile(&us, 50.0).unwrap_or(0.0),
        p99_us: percentile(&us, 99.0).unwrap_or(0.0),
        hits_mean: hits as f64 / n,
    }
}

fn search_ours(cat: &Catalogue, queries: &[&str], rounds: usize) -> Latency {
    let mut us = Vec::with_capacity(queries.len() * rounds);
    let mut hits = 0;
    for _ in 0..rounds {
        for q in queries {
            let t = Instant::now();
            let found = cat.find(&CatalogueQuery {
                q: Some((*q).to_string()),
                ..Default::default()
            });
            // The API answers a page of 20.
            let page: Vec<&Listing> = found.iter().take(20).copied().collect();
            us.push(t.elapsed().as_secs_f64() * 1e6);
            hits += page.len();
        }
    }
    summarise(us, hits)
}

async fn search_fts5(list: &[Listing], queries: &[&str], rounds: usize) -> Result<Latency> {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect("sqlite::memory:").await?;
    sqlx::query(
        "CREATE VIRTUAL TABLE docs USING fts5(name, description, other, tokenize = 'trigram')",
    )
    .execute(&mut c)
    .await
    .context("SQLite FTS5 with the trigram tokenizer")?;
    let mut tx = c.begin().await?;
    for l in list {
        sqlx::query("INSERT INTO docs (name, description, other) VALUES (?, ?, ?)")
            .bind(format!("{} {}", l.name.en, l.name.zh))
            .bind(format!("{} {}", l.description.en, l.description.zh))
            .bind(format!(
                "{} {} {}",
                l.publisher,
                l.industries.join(" "),
                l.domains.join(" ")
            ))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let mut us = Vec::new();
    let mut hits = 0;
    for _ in 0..rounds {
        for q in queries {
            // Every word must match: words of three characters or more through the
            // trigram index, shorter ones (two Chinese characters, "oee" is three) by LIKE.
            let words: Vec<&str> = q.split_whitespace().collect();
            let mut sql = String::from("SELECT rowid FROM docs WHERE 1 = 1");
            let mut args = Vec::new();
            let fts: Vec<String> = words
                .iter()
                .filter(|w| w.chars().count() >= 3)
                .map(|w| format!("\"{w}\""))
                .collect();
            if !fts.is_empty() {
                sql.push_str(" AND docs MATCH ?");
                args.push(fts.join(" AND "));
            }
            for w in words.iter().filter(|w| w.chars().count() < 3) {
                sql.push_str(" AND (name LIKE ? OR description LIKE ? OR other LIKE ?)");
                for _ in 0..3 {
                    args.push(format!("%{w}%"));
                }
            }
            sql.push_str(if fts.is_empty() {
                " LIMIT 20"
            } else {
                " ORDER BY bm25(docs, 3.0, 1.0, 1.0) LIMIT 20"
            });
            let t = Instant::now();
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in &args {
                query = query.bind(a.clone());
            }
            let rows = query.fetch_all(&mut c).await?;
            us.push(t.elapsed().as_secs_f64() * 1e6);
            hits += rows.len();
        }
    }
    Ok(summarise(us, hits))
}

#[derive(Debug, serde::Serialize)]
struct LedgerFigure {
    backend: String,
    one_per_commit: f64,
    batched: f64,
    balanced: bool,
}

async fn ledger(url: &str, backend: &str, n: usize, batch: usize) -> Result<LedgerFigure> {
    let store = ironloom_meta::SqlStore::open(url, &Default::default()).await?;
    let txn = |i: usize| {
        let a = (i % 9_000 + 100) as i64;
        let fee = a / 5;
        (
            format!("bench {i}"),
            vec![
                (format!("tenant:t{}", i % 50), a),
                (format!("developer:d{}", i % 20), -(a - fee)),
                ("platform:fees".to_string(), -fee),
            ],
        )
    };
    let single = n.min(2_000);
    let t = Instant::now();
    for i in 0..single {
        let (memo, p) = txn(i);
        store.post_transaction(&memo, &p).await?;
    }
    let one = (single * 3) as f64 / t.elapsed().as_secs_f64();
    let all: Vec<_> = (0..n).map(txn).collect();
    let t = Instant::now();
    for chunk in all.chunks(batch.max(1)) {
        store.post_transactions(chunk).await?;
    }
    let batched = (n * 3) as f64 / t.elapsed().as_secs_f64();
    let balanced = store
        .balances()
        .await?
        .iter()
        .map(|b| b.amount)
        .sum::<i64>()
        == 0;
    store.close().await;
    Ok(LedgerFigure {
        backend: backend.into(),
        one_per_commit: one,
        batched,
        balanced,
    })
}

#[derive(Debug, serde::Serialize)]
struct ServerFigures {
    package_bytes: usize,
    /// Upload to report, as the developer sees it.
    submit_to_report_ms: f64,
    /// The checks' own time, from the report, and each check's.
    report_ms: u64,
    checks_ms: BTreeMap<String, u64>,
    approve_ms: f64,
    install_p50_ms: f64,
    install_max_ms: f64,
}

fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn server(args: &Args, work: &Path) -> Result<ServerFigures> {
    let bin = args.ironloom.path()?;
    let password = "Bench-admin-1";
    let mut cmd = serve_command(&bin, &work.join("data"), "warn");
    cmd.env("IRONLOOM_ADMIN_PASSWORD", password);
    let srv = IronloomServer::start("ironloom", cmd, &work.join("ironloom.log")).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let base = srv.http.clone();
    let admin = Session::login(
        &http,
        &base,
        json!({"username": "admin", "password": password}),
    )
    .await?;
    json_ok(
        http.post(format!("{base}/api/v1/market/register"))
            .json(&json!({
            "username": "bench-dev", "password": "Bench-dev-pass-1", "name": "Bench Apps",
            "email": "bench@example.com"})),
        "register",
    )
    .await?;
    let devs = json_ok(
        admin.get("/api/v1/market/review/developers?status=pending"),
        "developers",
    )
    .await?;
    let dev_id = devs["items"][0]["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no developer"))?
        .to_string();
    json_ok(
        admin
            .post(&format!("/api/v1/market/review/developers/{dev_id}"))
            .json(&json!({"status": "verified"})),
        "verify",
    )
    .await?;
    let dev = Session::login(
        &http,
        &base,
        json!({"username": "bench-dev", "password": "Bench-dev-pass-1"}),
    )
    .await?;
    let mut files = ironloom_apps::package::files_of_dir(&args.apps.join("pump-efficiency"))?;
    files.insert("screenshots/overview.png".into(), noise(5 << 20));
    let bytes = ironloom_apps::package::pack(&files)?;
    let package_bytes = bytes.len();
    let t = Instant::now();
    let sub = json_ok(
        dev.post("/api/v1/market/submissions")
            .header("content-type", "application/octet-stream")
            .body(bytes),
        "submit",
    )
    .await?;
    let id = sub["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no submission id"))?
        .to_string();
    let report = loop {
        let s = json_ok(
            dev.get(&format!("/api/v1/market/submissions/{id}")),
            "submission",
        )
        .await?;
        if s["status"] != "checking" {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let submit_to_report_ms = t.elapsed().as_secs_f64() * 1e3;
    if report["status"] != "in_review" {
        bail!("the package did not pass its checks: {report}");
    }
    let checks_ms = report["report"]["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["id"].as_str().unwrap_or("").to_string(),
                        c["took_ms"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let t = Instant::now();
    json_ok(
        admin
            .post(&format!("/api/v1/market/review/submissions/{id}/approve"))
            .json(&json!({})),
        "approve",
    )
    .await?;
    let approve_ms = t.elapsed().as_secs_f64() * 1e3;
    let ta = admin.new_tenant_admin("bench", "Bench").await?;
    let mut ms = Vec::new();
    for i in 0..args.installs {
        let t = Instant::now();
        json_ok(
            ta.post("/api/v1/market/releases/pump.efficiency/1.0.0/install").json(&json!({
                "name": format!("pumps-{i}"),
                "grant": [{"kind": "read_telemetry"}, {"kind": "write_telemetry"}, {"kind": "alarms"}, {"kind": "models"}]})),
            "install",
        )
        .await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    Ok(ServerFigures {
        package_bytes,
        submit_to_report_ms,
        report_ms: report["report"]["took_ms"].as_u64().unwrap_or(0),
        checks_ms,
        approve_ms,
        install_p50_ms: percentile(&ms, 50.0).unwrap_or(0.0),
        install_max_ms: ms.last().copied().unwrap_or(0.0),
    })
}

#[derive(Debug, serde::Serialize)]
struct Report {
    command: String,
    at: String,
    listings: usize,
    search: BTreeMap<String, Latency>,
    ledger: Vec<LedgerFigure>,
    server: Option<ServerFigures>,
}

async fn run(args: Args) -> Result<()> {
    let work = args.run.work_dir("market-bench-")?;
    let base = texts(&args.apps)?;
    let list = listings(args.listings, &base);
    let t = Instant::now();
    let cat = Catalogue::new(list.clone());
    eprintln!(
        "index of {} listings built in {:.0} ms",
        list.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut search = BTreeMap::new();
    search.insert("ironloom zh".into(), search_ours(&cat, ZH, args.rounds));
    search.insert("ironloom en".into(), search_ours(&cat, EN, args.rounds));
    search.insert(
        "sqlite-fts5 zh".into(),
        search_fts5(&list, ZH, args.rounds).await?,
    );
    search.insert(
        "sqlite-fts5 en".into(),
        search_fts5(&list, EN, args.rounds).await?,
    );
    let mut ledgers = Vec::new();
    let url = ironloom_meta::SqlStore::sqlite_url(&work.path().join("ledger"));
    std::fs::create_dir_all(work.path().join("ledger"))?;
    ledgers.push(ledger(&url, "sqlite", args.transactions, args.batch).await?);
    if let Some(pg) = &args.pg_url {
        use sqlx::Connection;
        let db = format!("market_bench_{}", std::process::id());
        let mut c = sqlx::PgConnection::connect(pg).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&mut c)
            .await?;
        let url = match pg.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{db}"),
            None => bail!("--pg-url needs a database path"),
        };
        ledgers.push(ledger(&url, "postgresql", args.transactions, args.batch).await?);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {db} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await?;
    }
    let server = if args.no_server {
        None
    } else {
        Some(server(&args, work.path()).await?)
    };
    let report = Report {
        command: command_line(),
        at: utc_now(),
        listings: list.len(),
        search,
        ledger: ledgers,
        server,
    };
    let mut md = format!(
        "## market-bench ({})\n\n`{}`\n\n### Search over {} listings (µs)\n\n| engine, queries | p50 | p99 | hits a query |\n|---|---:|---:|---:|\n",
        report.at, report.command, report.listings
    );
    for (k, l) in &report.search {
        md.push_str(&format!(
            "| {k} | {:.0} | {:.0} | {:.1} |\n",
            l.p50_us, l.p99_us, l.hits_mean
        ));
    }
    md.push_str("\n### Durable ledger postings per second (3 a transaction)\n\n| backend | one commit a transaction | one commit a batch | balanced |\n|---|---:|---:|---|\n");
    for l in &report.ledger {
        md.push_str(&format!(
            "| {} | {:.0} | {:.0} | {} |\n",
            l.backend, l.one_per_commit, l.batched, l.balanced
        ));
    }
    if let Some(s) = &report.server {
        md.push_str(&format!(
            "\n### Through the server\n\n- package of {} bytes: upload to report {:.0} ms; the checks' own time {} ms ({:?})\n- approval (signing, release) {:.0} ms\n- install from the store: p50 {:.1} ms, max {:.1} ms over {} installs\n",
            s.package_bytes, s.submit_to_report_ms, s.report_ms, s.checks_ms, s.approve_ms,
            s.install_p50_ms, s.install_max_ms, args.installs
        ));
    }
    args.run.finish(work, &md, &report)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    ironloom_bench_common::run::until_interrupted(run(args)).await
}
