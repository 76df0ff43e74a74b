//! `gateway-bench`: the edge gateway polling the Modbus simulator and forwarding to the
//! platform, three separate `ironloom` processes, for each size: points per second read
//! and acknowledged, per gateway core, resident memory, change-to-stored latency, and
//! pymodbus reading the same registers as the peer. See `README.md`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use ironloom_bench_common::ironloom::{IronloomServer, serve_command};
use ironloom_bench_common::machine;
use ironloom_bench_common::process::Proc;
use ironloom_bench_common::procfs::{self, CpuMark};
use ironloom_bench_common::run::{
    IronloomBin, RunOptions, command_line, first_line, fmt_rate, now_ms, until_interrupted, utc_now,
};
use serde_json::json;

use ironloom_bench_gateway::api::Api;
use ironloom_bench_gateway::gwconfig::{self, DeviceRange, GatewaySettings};
use ironloom_bench_gateway::health;
use ironloom_bench_gateway::latency::{self, LatencyConfig};
use ironloom_bench_gateway::peer;
use ironloom_bench_gateway::report::{
    self, GatewayRun, Machine, Report, Settings, SizeResult, StoredCheck,
};

const ADMIN_PASSWORD: &str = "Gateway-bench-1";
const SUB_PRODUCT: &str = "gwbBulk";
const GATEWAY_PRODUCT: &str = "gwbEdge";

/// Benchmark the edge gateway: Modbus points polled and forwarded per second per core.
#[derive(Debug, Parser)]
#[command(name = "gateway-bench", version)]
struct Cli {
    /// Point counts, one run each (a fresh set of processes per size).
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    points: Vec<usize>,
    /// Modbus TCP connections of the gateway (and of the pymodbus peer).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Poll interval of every point.
    #[arg(long, default_value_t = 100)]
    poll_ms: u64,
    /// Registers per sub-device (each sub-device is a bulk unit of its own). With 1000,
    /// 100 000 points are 100 sub-devices, more than the gateway can announce (see
    /// README.md: sub-devices + in_flight must stay under ~60).
    #[arg(long, default_value_t = 2500)]
    points_per_device: usize,
    /// Seconds of load before the measurement.
    #[arg(long, default_value_t = 5.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 20.0)]
    window: f64,
    /// [uplink] batch_points.
    #[arg(long, default_value_t = 10_000)]
    batch_points: usize,
    /// [uplink] batch_delay in ms.
    #[arg(long, default_value_t = 50)]
    batch_delay_ms: u64,
    /// [uplink] in_flight.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
    /// [buffer] fsync of the gateway.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    buffer_fsync: bool,
    /// [buffer] max_size of the gateway.
    #[arg(long, default_value = "1GiB")]
    buffer_max: String,
    /// Modbus timeout of the gateway's connections (ms).
    #[arg(long, default_value_t = 3000)]
    timeout_ms: u64,
    /// The platform's [tsdb] fsync.
    #[arg(long, default_value = "always")]
    platform_fsync: String,
    /// The platform's [mqtt] max_packet_size. The shipped 256KiB is smaller than one
    /// poll cycle of a 25 000-point connection (the gateway batches whole cycles).
    #[arg(long, default_value = "16MiB")]
    platform_max_packet: String,
    /// Register changes timed for the latency (0 skips it).
    #[arg(long, default_value_t = 20)]
    latency_samples: usize,
    /// How often the platform is asked for the changed value (ms).
    #[arg(long, default_value_t = 5)]
    latency_poll_ms: u64,
    /// Longest wait for one change to show (s); after 3 such in a row the latency
    /// measurement stops (the uplink is saturated).
    #[arg(long, default_value_t = 30.0)]
    latency_timeout: f64,
    /// Python with pymodbus for the peer; `none` skips it.
    #[arg(long)]
    peer_python: Option<String>,
    /// Record the gateway with `perf record -g` for this many seconds after the latency
    /// measurement (0: no profile).
    #[arg(long, default_value_t = 0)]
    perf_seconds: u64,
    #[command(flatten)]
    ironloom: IronloomBin,
    #[command(flatten)]
    run: RunOptions,
}

fn peer_python(cli: &Cli) -> Option<PathBuf> {
    match cli.peer_python.as_deref() {
        Some("none") => None,
        Some(p) => Some(PathBuf::from(p)),
        None => {
            let venv = std::env::var("IRONLOOM_PEERS_VENV").map_or_else(
                |_| {
                    PathBuf::from(std::env::var("HOME").unwrap_or_default())
                        .join(".cache/ironloom-peers-venv")
                },
                PathBuf::from,
            );
            Some(venv.join("bin/python"))
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    until_interrupted(run(&cli)).await
}

async fn run(cli: &Cli) -> Result<()> {
    let bin = cli.ironloom.path()?;
    let clk_tck = procfs::clock_ticks();
    let work = cli.run.work_dir("gateway-bench-")?;
    let mut report = Report {
        command: command_line(),
        started: utc_now(),
        machine: Machine::detect(clk_tck),
        settings: Settings {
            ironloom: first_line(&bin, &["--version"]),
            connections: cli.connections,
            poll_ms: cli.poll_ms,
            points_per_device: cli.points_per_device,
            warmup_s: cli.warmup,
            window_s: cli.window,
            batch_points: cli.batch_points,
            batch_delay_ms: cli.batch_delay_ms,
            in_flight: cli.in_flight,
            buffer_fsync: cli.buffer_fsync,
            buffer_max: cli.buffer_max.clone(),
            platform_fsync: cli.platform_fsync.clone(),
            platform_max_packet: cli.platform_max_packet.clone(),
            latency_samples: cli.latency_samples,
            latency_poll_ms: cli.latency_poll_ms,
        },
        sizes: Vec::new(),
        neuron: report::NEURON.into(),
    };
    for &points in &cli.points {
        let devices = gwconfig::layout(points, cli.points_per_device, cli.connections);
        let mut z = SizeResult {
            points,
            devices: devices.len(),
            connections: devices.iter().map(|d| d.connection + 1).max().unwrap_or(0),
            bulk_units: gwconfig::units_needed(&devices),
            requests_per_cycle: devices
                .iter()
                .map(|d| usize::from(d.count).div_ceil(125))
                .sum(),
            offered_points_per_second: points as f64 * 1000.0 / cli.poll_ms as f64,
            load_before: machine::load_average(),
            ..Default::default()
        };
        let dir = work.path().join(format!("p{points}"));
        std::fs::create_dir_all(&dir)?;
        eprintln!(
            "[{points}] {} sub-devices, {} connections, {} requests per cycle",
            z.devices, z.connections, z.requests_per_cycle
        );
        // The gateway announces every sub-device from inside its MQTT event handling,
        // into rumqttc's request queue of 64, and then fills its send window: more than
        // that never leaves (agent.rs `announce`, `AsyncClient::new(opts, 64)`).
        if z.devices + cli.in_flight + 4 > 60 {
            eprintln!(
                "[{points}] warning: {} sub-devices + in_flight {} exceed the gateway's MQTT \
                 request queue (64): it may never send anything",
                z.devices, cli.in_flight
            );
        }
        if let Err(e) = bench_size(cli, &bin, clk_tck, &dir, &devices, &mut z).await {
            eprintln!("[{points}] FAILED: {e:#}");
            z.errors.push(format!("{e:#}"));
        }
        report.sizes.push(z);
    }
    report.machine.load_after = machine::load_average();
    cli.run.finish(work, &report.markdown(), &report)?;
    if report.sizes.iter().any(|z| !z.errors.is_empty()) {
        bail!("some runs failed");
    }
    Ok(())
}

async fn start_sim(bin: &Path, dir: &Path, units: u8) -> Result<(Proc, SocketAddr)> {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.args(["sim", "modbus", "--listen", "127.0.0.1:0", "--bulk-units"])
        .arg(units.to_string())
        .env("RUST_LOG", "warn");
    let mut p = Proc::spawn("simulator", cmd, &dir.join("sim.log"))?;
    let addr = p
        .wait_for_word("Modbus TCP on ", Duration::from_secs(30))
        .await?;
    Ok((p, addr.parse().context("simulator address")?))
}

/// `ironloom serve` with every listener on a free port; its MQTT address and HTTP base URL.
async fn start_platform(cli: &Cli, bin: &Path, dir: &Path) -> Result<IronloomServer> {
    let data = dir.join("platform-data");
    std::fs::create_dir_all(&data)?;
    let mut cmd = serve_command(bin, &data, "info");
    cmd.env("IRONLOOM_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("IRONLOOM__TSDB__FSYNC", &cli.platform_fsync)
        .env("IRONLOOM__MQTT__MAX_PACKET_SIZE", &cli.platform_max_packet);
    IronloomServer::start("platform", cmd, &dir.join("platform.log")).await
}

/// Log lines at WARN or ERROR, and the first few of them.
fn warnings(text: &str) -> (usize, Vec<String>) {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .collect();
    let first = lines
        .iter()
        .take(3)
        .map(|l| l.chars().take(240).collect())
        .collect();
    (lines.len(), first)
}

#[allow(clippy::too_many_lines)] // One run, step by step, reads best in one place.
async fn bench_size(
    cli: &Cli,
    bin: &Path,
    clk_tck: u64,
    dir: &Path,
    devices: &[DeviceRange],
    z: &mut SizeResult,
) -> Result<()> {
    let points = z.points;
    let (mut sim, modbus) = start_sim(bin, dir, z.bulk_units).await?;
    eprintln!("[{points}] simulator on {modbus}");
    let IronloomServer {
        proc: mut platform,
        http: base,
        mqtt,
        ..
    } = start_platform(cli, bin, dir).await?;
    eprintln!("[{points}] platform on {base}, mqtt {mqtt}");

    let api = Api::new_tenant(&base, ADMIN_PASSWORD, "gwbench").await?;
    api.product(SUB_PRODUCT, "modbus_tcp", json!({})).await?;
    let gw_product = api.product(GATEWAY_PRODUCT, "gateway", json!({})).await?;
    let gw = api.device(&gw_product, "gwb-edge").await?;

    let toml = gwconfig::gateway_toml(
        &GatewaySettings {
            mqtt: mqtt.to_string(),
            token: gw.access_token.clone(),
            modbus: modbus.to_string(),
            buffer_dir: dir.join("gateway-buffer").display().to_string(),
            buffer_max: cli.buffer_max.clone(),
            fsync: cli.buffer_fsync,
            connections: cli.connections,
            poll_ms: cli.poll_ms,
            timeout_ms: cli.timeout_ms,
            batch_points: cli.batch_points,
            batch_delay_ms: cli.batch_delay_ms,
            in_flight: cli.in_flight,
            product: SUB_PRODUCT.into(),
        },
        devices,
    );
    let cfg_path = dir.join("gateway.toml");
    std::fs::write(&cfg_path, &toml)?;
    // The gateway's own check: the file parses and holds every point.
    let check = std::process::Command::new(bin)
        .arg("gateway")
        .arg("--config")
        .arg(&cfg_path)
        .arg("--check")
        .output()?;
    let said = String::from_utf8_lossy(&check.stdout).into_owned();
    if !check.status.success() || !said.contains(&format!("with {points} point(s)")) {
        bail!(
            "the gateway refused the generated configuration: {said}{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }

    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("gateway")
        .arg("--config")
        .arg(&cfg_path)
        .env("RUST_LOG", "info");
    let mut gateway = Proc::spawn("gateway", cmd, &dir.join("gateway.log"))?;
    gateway
        .wait_for_text("connected to the platform", Duration::from_secs(60))
        .await?;
    eprintln!("[{points}] gateway connected; warming up {} s", cli.warmup);
    tokio::time::sleep(Duration::from_secs_f64(cli.warmup)).await;
    for p in [&mut sim, &mut platform, &mut gateway] {
        p.check_running()?;
    }

    // The measured window.
    let pids = [gateway.pid()?, platform.pid()?, sim.pid()?];
    let t0 = now_ms();
    let a = CpuMark::take(&pids)?;
    tokio::time::sleep(Duration::from_secs_f64(cli.window)).await;
    let b = CpuMark::take(&pids)?;
    let t1 = now_ms();
    let gateway_rss_kib = gateway.rss_kib()?;
    let gateway_hwm_kib = gateway.hwm_kib()?;
    let platform_rss_kib = platform.rss_kib()?;
    let (cores, machine_cores) = a.cores_until(&b, clk_tck);
    eprintln!(
        "[{points}] CPU cores: gateway {:.2}, platform {:.2}, simulator {:.2}, machine {:.2}",
        cores[0], cores[1], cores[2], machine_cores
    );

    // The health reports of the window (each stamped on arrival by the platform).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let history = |property: String| {
        let (api, gw_id) = (&api, &gw.id);
        async move {
            api.history(gw_id, &property, t0 - 5_000, t1 + 5_000)
                .await
                .with_context(|| format!("reading the gateway's {property}"))
        }
    };
    let read = history("points_read".into()).await?;
    let forwarded = history("points_forwarded".into()).await?;
    let acked = history("points_acknowledged".into()).await?;
    let pending = history("buffer_pending_points".into()).await?;
    let dropped = history("dropped_points".into()).await?;
    let mut requests_per_second = 0.0;
    for c in 0..z.connections {
        let r = history(format!("bulk_{c}_requests")).await?;
        requests_per_second += health::rate(&r, t0, t1).map_or(0.0, |r| r.per_second);
    }
    let r_read = health::rate(&read, t0, t1).with_context(|| {
        format!(
            "fewer than two health reports in the window ({} stored)",
            read.len()
        )
    })?;
    let rate = |s: &[ironloom_bench_gateway::api::Stored]| {
        health::rate(s, t0, t1).map_or(0.0, |r| r.per_second)
    };
    let gateway_cores = cores[0];
    let per_core = |r: f64| r / gateway_cores.max(1e-9);
    let read_per_second = r_read.per_second;
    let forwarded_per_second = rate(&forwarded);
    let acknowledged_per_second = rate(&acked);
    let driver_points_per_second =
        requests_per_second * z.points as f64 / z.requests_per_cycle.max(1) as f64;

    // One point's stored values, by source timestamp, inside the window.
    let ids = sub_device_ids(&api, devices).await?;
    let probe = &devices[0];
    let probe_point = gwconfig::point_name(probe.first);
    let stored = api.history(&ids[0], &probe_point, t0, t1).await?.len();

    let (gw_warn, mut first_warnings) = warnings(&gateway.log_text());
    let (pf_warn, pf_first) = warnings(&platform.log_text());
    first_warnings.extend(pf_first);
    z.gateway = Some(GatewayRun {
        counter_seconds: r_read.seconds,
        counter_reports: r_read.reports,
        read_per_second,
        driver_points_per_second,
        forwarded_per_second,
        acknowledged_per_second,
        requests_per_second,
        cpu_seconds: b.at.duration_since(a.at).as_secs_f64(),
        gateway_cores,
        platform_cores: cores[1],
        simulator_cores: cores[2],
        machine_cores,
        read_per_core: per_core(read_per_second),
        forwarded_per_core: per_core(forwarded_per_second),
        acknowledged_per_core: per_core(acknowledged_per_second),
        gateway_rss_kib,
        gateway_hwm_kib,
        platform_rss_kib,
        buffer_pending_points_start: health::nearest(&pending, t0).unwrap_or(0),
        buffer_pending_points_end: health::nearest(&pending, t1).unwrap_or(0),
        dropped_points_end: health::nearest(&dropped, t1).unwrap_or(0),
        stored_check: Some(StoredCheck {
            device: probe.name.clone(),
            property: probe_point,
            stored,
            expected: (t1 - t0) as f64 / cli.poll_ms as f64,
        }),
        gateway_log_warnings: gw_warn,
        platform_log_warnings: pf_warn,
        first_warnings,
    });
    eprintln!(
        "[{points}] read {}/s, acknowledged {}/s, {} read points/s per gateway core; RSS {} KiB",
        fmt_rate(read_per_second),
        fmt_rate(acknowledged_per_second),
        fmt_rate(per_core(read_per_second)),
        gateway_rss_kib
    );

    if cli.latency_samples > 0 {
        eprintln!(
            "[{points}] latency: {} register changes",
            cli.latency_samples
        );
        let l = latency::measure(
            &LatencyConfig {
                modbus,
                samples: cli.latency_samples,
                poll_every: Duration::from_millis(cli.latency_poll_ms),
                timeout: Duration::from_secs_f64(cli.latency_timeout),
                max_timeouts_in_a_row: 3,
            },
            &api,
            devices,
            &ids,
        )
        .await;
        match l {
            Ok(l) => {
                if let Some(t) = l.total {
                    eprintln!(
                        "[{points}] latency p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
                        t.p50, t.p90, t.max
                    );
                }
                z.latency = Some(l);
            }
            Err(e) => z.errors.push(format!("latency: {e:#}")),
        }
    }

    if cli.perf_seconds > 0 {
        match profile(gateway.pid()?, cli.perf_seconds, dir).await {
            Ok(p) => z.perf = Some(p),
            Err(e) => z.errors.push(format!("perf: {e:#}")),
        }
    }

    for p in [&mut sim, &mut platform, &mut gateway] {
        p.check_running()?;
    }
    let _ = gateway.stop(Duration::from_secs(10)).await;
    let _ = platform.stop(Duration::from_secs(15)).await;

    if let Some(python) = peer_python(cli) {
        eprintln!(
            "[{points}] pymodbus: {} connections, {} s + {} s",
            z.connections, cli.warmup, cli.window
        );
        match peer::run(
            &python,
            dir,
            modbus,
            devices,
            z.connections,
            cli.warmup,
            cli.window,
            sim.pid()?,
            clk_tck,
        )
        .await
        {
            Ok(p) => {
                eprintln!(
                    "[{points}] pymodbus {}/s at {:.2} cores: {}/s per core",
                    fmt_rate(p.points_per_second),
                    p.cores,
                    fmt_rate(p.per_core())
                );
                z.peer = Some(p);
            }
            Err(e) => z.errors.push(format!("pymodbus: {e:#}")),
        }
    }
    let _ = sim.stop(Duration::from_secs(5)).await;
    Ok(())
}

/// The platform ids of the sub-devices, in layout order (created by the gateway's
/// announcements; waited for).
async fn sub_device_ids(api: &Api, devices: &[DeviceRange]) -> Result<Vec<String>> {
    let mut ids = Vec::with_capacity(devices.len());
    for d in devices {
        let started = std::time::Instant::now();
        loop {
            if let Some(id) = api.device_id(&d.name).await? {
                ids.push(id);
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("sub-device {} was never created", d.name);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(ids)
}

/// `perf record -g` of the gateway for `seconds`, and the top of `perf report` by self
/// time.
async fn profile(pid: u32, seconds: u64, dir: &Path) -> Result<String> {
    let data = dir.join("perf-gateway.data");
    let rec = tokio::process::Command::new("perf")
        .args(["record", "-F", "999", "-g", "-o"])
        .arg(&data)
        .arg("-p")
        .arg(pid.to_string())
        .arg("--")
        .arg("sleep")
        .arg(seconds.to_string())
        .output()
        .await
        .context("running perf record")?;
    if !rec.status.success() {
        bail!("perf record: {}", String::from_utf8_lossy(&rec.stderr));
    }
    let rep = tokio::process::Command::new("perf")
        .args([
            "report",
            "--stdio",
            "--no-children",
            "--sort",
            "symbol",
            "-g",
            "none",
            "--percent-limit",
            "0.7",
            "-i",
        ])
        .arg(&data)
        .output()
        .await
        .context("running perf report")?;
    let text = String::from_utf8_lossy(&rep.stdout);
    std::fs::write(dir.join("perf-gateway.txt"), text.as_bytes())?;
    Ok(top_symbols(&text, 40))
}

/// The first `n` symbol lines of a `perf report --stdio` text, without the comment lines
/// and the empty columns `--sort symbol` pads them with.
fn top_symbols(report: &str, n: usize) -> String {
    report
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim_end_matches([' ', '-']))
        .take(n)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_top_symbols_of_a_perf_report() {
        let report = "# Samples: 4K of event 'cpu-clock'\n#\n\
                      \x20   25.75%  [.] hashbrown::map::HashMap<K,V,S,A>::get_mut        -      -    \n\
                      \x20    9.31%  [.] __memcmp_avx2_movbe                              -      -    \n\n\
                      \x20    7.21%  [k] finish_task_switch.isra.0                        -      -    \n";
        assert_eq!(
            top_symbols(report, 2),
            "    25.75%  [.] hashbrown::map::HashMap<K,V,S,A>::get_mut\n     9.31%  [.] __memcmp_avx2_movbe"
        );
    }
}
