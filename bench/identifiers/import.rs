//! `identifier-import`: an identifier import job through a running `ironloom serve` (its
//! embedded SQLite store): a CSV file of `--rows` identifiers of the shipped
//! `machinery-part` template (model, serial number, date of manufacture, maker, mass, a
//! documents URL) is generated, uploaded to `POST /api/v1/identifier-imports` and the job
//! followed until it is done. Reports the upload time, the job's own time (from its
//! `started_at` to its `finished_at`), rows per second, the time from the upload's start
//! to the job's end, the server's CPU time and peak memory, and checks the counts.
//!
//! ```text
//! cargo build --release -p ironloom -p ironloom-bench-identifiers
//! target/release/identifier-import --rows 1000000
//! ```

use anyhow::{Context, Result, bail};
use clap::Parser;
use ironloom_bench_common::http::json_ok;
use ironloom_bench_common::ironloom::{IronloomServer, Session, serve_command};
use ironloom_bench_common::machine::Facts;
use ironloom_bench_common::procfs::clock_ticks;
use ironloom_bench_common::run::{IronloomBin, RunOptions, command_line, fmt_rate, utc_now};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(
    about = "Identifier import job: a CSV file of identifiers registered through a running server"
)]
struct Args {
    #[command(flatten)]
    ironloom: IronloomBin,
    #[command(flatten)]
    run: RunOptions,
    /// Identifiers in the file.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
}

#[derive(Debug, Serialize)]
struct Report {
    started: String,
    command: String,
    machine: Facts,
    rows: usize,
    file_bytes: u64,
    upload_s: f64,
    job_s: f64,
    rows_per_second: f64,
    end_to_end_s: f64,
    server_cpu_s: f64,
    server_peak_rss_mib: f64,
    created: u64,
    invalid: u64,
}

/// The file: a header and `rows` identifiers under `88.118.8`.
fn write_csv(path: &std::path::Path, rows: usize) -> Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "handle,model,serial_no,made_on,maker,mass,docs_url")?;
    for i in 0..rows {
        writeln!(
            out,
            "88.118.8/PUMP-{i:08},GB-6208 轴承座,SN-2026-{i:08},2026-11-{:02},Plant A (甲厂),{}.{},https://plant.example/parts/{i}",
            i % 28 + 1,
            10 + i % 7,
            i % 10
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

async fn run(args: Args) -> Result<()> {
    let started = utc_now();
    let work = args.run.work_dir("ironloom-identifier-import-")?;
    let dir = work.path().to_path_buf();
    let bin = args.ironloom.path()?;
    let csv = dir.join("identifiers.csv");
    eprintln!("writing {} rows to {}", args.rows, csv.display());
    let size = write_csv(&csv, args.rows)?;

    let password = "Bench-admin-pass-1";
    let mut cmd = serve_command(&bin, &dir.join("data"), "warn");
    cmd.env("IRONLOOM_ADMIN_PASSWORD", password)
        // Room for the file whatever --rows says.
        .env(
            "IRONLOOM__API__IDENTIFIER_IMPORT_LIMIT",
            format!("{}", size + (1 << 20)),
        )
        .env("IRONLOOM__HTTP__REQUEST_TIMEOUT", "10m");
    let srv = IronloomServer::start("ironloom", cmd, &dir.join("ironloom.log")).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let base = srv.http.clone();
    let admin = Session::login(
        &http,
        &base,
        json!({"username": "admin", "password": password}),
    )
    .await?;
    let ta = admin.new_tenant_admin("bench", "bench").await?;
    json_ok(
        ta.post("/api/v1/identifier-prefixes")
            .json(&json!({"prefix": "88.118.8", "name": "Plant A"})),
        "take the prefix",
    )
    .await?;

    let cpu_before = srv.proc.cpu_ticks()?;
    let body = tokio::fs::read(&csv).await?;
    let start = Instant::now();
    let job = json_ok(
        ta.post("/api/v1/identifier-imports?template_id=machinery-part&template_version=1.0")
            .header("content-type", "text/csv")
            .body(body),
        "upload the file",
    )
    .await?;
    let upload_s = start.elapsed().as_secs_f64();
    let id = job["id"].as_str().context("no job id")?.to_string();
    eprintln!("uploaded {size} bytes in {upload_s:.2} s; job {id}");
    let done: Value = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let job = json_ok(
            ta.get(&format!("/api/v1/identifier-imports/{id}")),
            "read the job",
        )
        .await?;
        match job["state"].as_str() {
            Some("queued" | "running") => {}
            Some("done") => break job,
            _ => bail!("the job did not finish: {job}"),
        }
    };
    let end_to_end_s = start.elapsed().as_secs_f64();
    let cpu_s = (srv.proc.cpu_ticks()? - cpu_before) as f64 / clock_ticks() as f64;
    let peak = srv.proc.hwm_kib()? as f64 / 1024.0;
    let time = |k: &str| -> Result<chrono::DateTime<chrono::FixedOffset>> {
        let t = done[k]
            .as_str()
            .with_context(|| format!("no {k} in {done}"))?;
        Ok(chrono::DateTime::parse_from_rfc3339(t)?)
    };
    let job_s = (time("finished_at")? - time("started_at")?).num_milliseconds() as f64 / 1000.0;
    let created = done["created"].as_u64().unwrap_or(0);
    let invalid = done["invalid"].as_u64().unwrap_or(0);
    if created != args.rows as u64 || invalid != 0 {
        bail!("expected {} created and none invalid: {done}", args.rows);
    }
    let report = Report {
        started,
        command: command_line(),
        machine: Facts::detect(),
        rows: args.rows,
        file_bytes: size,
        upload_s,
        job_s,
        rows_per_second: args.rows as f64 / job_s,
        end_to_end_s,
        server_cpu_s: cpu_s,
        server_peak_rss_mib: peak,
        created,
        invalid,
    };
    let mut md = String::new();
    writeln!(
        md,
        "## Identifier import ({} rows, machinery-part, embedded SQLite)\n",
        args.rows
    )?;
    writeln!(
        md,
        "`{}` at {}; {} CPUs ({}), {}\n",
        report.command,
        report.started,
        report.machine.cpus,
        report.machine.cpu_model,
        report.machine.memory
    )?;
    writeln!(
        md,
        "| rows | file | upload | job | rows/s | upload start to job end | server CPU | server peak RSS |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|")?;
    writeln!(
        md,
        "| {} | {:.1} MiB | {:.2} s | {:.2} s | {} | {:.2} s | {:.1} s | {:.0} MiB |",
        report.rows,
        size as f64 / (1 << 20) as f64,
        upload_s,
        job_s,
        fmt_rate(report.rows_per_second),
        end_to_end_s,
        cpu_s,
        peak
    )?;
    args.run.finish(work, &md, &report)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    ironloom_bench_common::run::until_interrupted(run(args)).await
}
