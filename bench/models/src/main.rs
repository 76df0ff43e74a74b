//! `models-bench`: how fast the model library evaluates, beside maintained Python
//! implementations of the same formulas measured in the same run, and what a call over
//! the REST API costs. See `bench/models/README.md`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use ironloom_bench_common::http::json_ok;
use ironloom_bench_common::ironloom::{IronloomServer, Session, serve_command};
use ironloom_bench_common::run::{
    IronloomBin, RunOptions, command_line, until_interrupted, utc_now,
};
use ironloom_bench_common::stats::percentile;
use ironloom_core::model::{self, Catalogue, Given};
use ironloom_models::Library;
use serde::Serialize;
use serde_json::json;

mod jobs;

#[derive(Debug, Parser)]
#[command(
    about = "Model library: in-process evaluations/s beside Python peers, REST invoke latency"
)]
struct Cli {
    /// Evaluations per model in process (the Python peers run a tenth as many).
    #[arg(long, default_value_t = 1_000_000)]
    iterations: u64,
    /// Sequential REST invocations timed one by one.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Points stored for the jobs over history (0: no jobs).
    #[arg(long, default_value_t = 100_000_000)]
    job_points: u64,
    /// The Python with iapws and fluids (`scripts/install-test-peers.sh` exports it).
    #[arg(long, env = "IRONLOOM_MODELS_PYTHON")]
    python: Option<String>,
    #[command(flatten)]
    ironloom: IronloomBin,
    #[command(flatten)]
    run: RunOptions,
}

/// A model timed in process, with its inputs (in declared units and order) and the Python
/// expression that computes the same thing.
struct Case {
    id: &'static str,
    what: &'static str,
    inputs: [f64; 6],
    peer: &'static str,
    peer_setup: &'static str,
}

const CASES: &[Case] = &[
    Case {
        id: "pump.affinity_laws",
        what: "closed form (cheap)",
        inputs: [1450.0, 1160.0, 100.0, 50.0, 20.0, 1.0],
        peer: "affinity(1450.0, 1160.0 + i * 1e-9, 100.0, 50.0, 20.0, 1.0)",
        peer_setup: "def affinity(n1, n2, q1, h1, p1, d):\n    r = n2 / n1\n    return (q1 * r * d**3, h1 * r * r * d * d, p1 * r**3 * d**5)\n",
    },
    Case {
        id: "pipe.darcy_weisbach_colebrook",
        what: "iterative (Colebrook)",
        inputs: [0.01, 0.1, 100.0, 0.045, 998.2, 1.002e-3],
        peer: "Colebrook(126841.0 + i * 1e-6, 0.00045)",
        peer_setup: "from fluids.friction import Colebrook\n",
    },
    Case {
        id: "steam.if97_region1_pt",
        what: "IAPWS-IF97 region 1 (expensive)",
        inputs: [3.0, 300.0, 0.0, 0.0, 0.0, 0.0],
        peer: "_Region1(300.0 + i * 1e-9, 3.0)",
        peer_setup: "from iapws.iapws97 import _Region1\n",
    },
];

#[derive(Debug, Serialize)]
struct InProcess {
    model: String,
    what: String,
    /// `Catalogue::evaluate` (range checks, the function).
    evals_per_s: f64,
    /// The API's path in process: inputs by name converted and checked, outputs named.
    api_path_per_s: f64,
    peer: String,
    peer_per_s: Option<f64>,
}

/// A spectral algorithm on 2^20 points, beside numpy/scipy on the same data.
#[derive(Debug, Serialize)]
struct Spectral {
    algorithm: String,
    points: usize,
    ironloom_ms: f64,
    peer: String,
    peer_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Rest {
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Rows a second of one batch call of 10 000 rows.
    batch_rows_per_s: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    started: String,
    command: String,
    in_process: Vec<InProcess>,
    spectral: Vec<Spectral>,
    rest: Rest,
    jobs: Option<jobs::Jobs>,
}

/// Best of three of `f`, in milliseconds, each on a fresh `setup()` made before the clock
/// starts (the peers' figures exclude reading their input too).
fn best_ms_of<T>(
    mut setup: impl FnMut() -> Result<T>,
    mut f: impl FnMut(T) -> Result<()>,
) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let input = setup()?;
        let t = Instant::now();
        f(input)?;
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(best)
}

/// Best of three of `code` in `py` (milliseconds), with the points of `file` as `x`.
fn peer_ms(
    py: Option<&str>,
    file: &std::path::Path,
    setup: &str,
    code: &str,
) -> Result<Option<f64>> {
    let Some(py) = py else { return Ok(None) };
    let script = format!(
        "import time, numpy as np\nfrom scipy import signal\n{setup}\nx = np.fromfile({:?}, dtype='<f8')\nbest = 1e9\nfor _ in range(3):\n    t = time.perf_counter()\n    {code}\n    best = min(best, time.perf_counter() - t)\nprint(best * 1e3)\n",
        file.display().to_string()
    );
    let out = std::process::Command::new(py)
        .args(["-c", &script])
        .output()?;
    if !out.status.success() {
        bail!("{py}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(Some(String::from_utf8_lossy(&out.stdout).trim().parse()?))
}

/// Learning and forecasting algorithms beside scikit-learn and statsmodels on the same
/// data (written to a file the peer reads), best of three each.
fn learning(py: Option<&str>, work: &std::path::Path) -> Result<Vec<Spectral>> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let write = |name: &str, x: &[f64]| -> Result<std::path::PathBuf> {
        let file = work.join(name);
        std::fs::write(
            &file,
            x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
        )?;
        Ok(file)
    };
    let lib = Library::get();
    let time = |id: &str, inputs: Vec<model::Datum>| -> Result<f64> {
        best_ms_of(
            || Ok(inputs.clone()),
            |inputs| {
                black_box(
                    lib.evaluate_data(id, inputs)
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
                Ok(())
            },
        )
    };
    let mut out = Vec::new();
    // Five operating levels with noise: 1 M values, k = 5.
    let levels: Vec<f64> = (0..1_000_000)
        .map(|i| [10.0, 25.0, 40.0, 55.0, 80.0][(i / 997) % 5] + 3.0 * (uniform() - 0.5))
        .collect();
    let file = write("levels.f64", &levels)?;
    out.push(Spectral {
        algorithm: "cluster.kmeans (k = 5)".into(),
        points: levels.len(),
        ironloom_ms: time(
            "cluster.kmeans",
            vec![model::Datum::Series(levels.clone()), model::Datum::Scalar(5.0), model::Datum::Scalar(300.0)],
        )?,
        peer: "KMeans(init=quantiles, n_init=1, algorithm='lloyd') (scikit-learn)".into(),
        peer_ms: peer_ms(
            py,
            &file,
            "from sklearn.cluster import KMeans",
            "KMeans(n_clusters=5, init=np.quantile(x, (np.arange(5) + 0.5) / 5).reshape(-1, 1), n_init=1, algorithm='lloyd', tol=0.0, max_iter=300).fit(x.reshape(-1, 1))",
        )?,
    });
    // 100 k values with 1 % outliers: 100 trees of 256.
    let values: Vec<f64> = (0..100_000)
        .map(|_| {
            let v = 50.0 + 5.0 * (uniform() + uniform() + uniform() - 1.5);
            if uniform() < 0.01 { v + 40.0 } else { v }
        })
        .collect();
    let file = write("outliers.f64", &values)?;
    out.push(Spectral {
        algorithm: "anomaly.isolation_forest (100 trees × 256)".into(),
        points: values.len(),
        ironloom_ms: time(
            "anomaly.isolation_forest",
            vec![
                model::Datum::Series(values.clone()),
                model::Datum::Scalar(100.0),
                model::Datum::Scalar(256.0),
                model::Datum::Scalar(0.0),
                model::Datum::Scalar(0.5),
            ],
        )?,
        peer: "IsolationForest(100, max_samples=256).fit(x).score_samples(x) (scikit-learn)".into(),
        peer_ms: peer_ms(
            py,
            &file,
            "from sklearn.ensemble import IsolationForest",
            "X = x.reshape(-1, 1); IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(X).score_samples(X)",
        )?,
    });
    // 100 k hourly values with a daily season: m = 24, fixed smoothing, 23 steps ahead.
    let hourly: Vec<f64> = (0..100_000)
        .map(|i| {
            100.0
                + 0.001 * i as f64
                + 10.0 * (i as f64 * std::f64::consts::TAU / 24.0).sin()
                + 2.0 * (uniform() - 0.5)
        })
        .collect();
    let file = write("hourly.f64", &hourly)?;
    out.push(Spectral {
        algorithm: "forecast.holt_winters (m = 24)".into(),
        points: hourly.len(),
        ironloom_ms: time(
            "forecast.holt_winters",
            vec![
                model::Datum::Series(hourly.clone()),
                model::Datum::Scalar(24.0),
                model::Datum::Scalar(0.3),
                model::Datum::Scalar(0.05),
                model::Datum::Scalar(0.1),
                model::Datum::Scalar(23.0),
            ],
        )?,
        peer: "ExponentialSmoothing(add, add, 24).fit(optimized=False).forecast(23) (statsmodels)".into(),
        peer_ms: peer_ms(
            py,
            &file,
            "from statsmodels.tsa.holtwinters import ExponentialSmoothing",
            "l0 = x[:24].mean(); r = ExponentialSmoothing(x, trend='add', seasonal='add', seasonal_periods=24, initialization_method='known', initial_level=l0, initial_trend=(x[24:48].mean() - l0) / 24, initial_seasonal=x[:24] - l0).fit(smoothing_level=0.3, smoothing_trend=0.05, smoothing_seasonal=0.1, optimized=False); r.forecast(23)",
        )?,
    });
    // ARMA(2, 1) around 50: 100 k values, 24 steps ahead.
    let mut prev = (0.0, 0.0, 0.0);
    let arma: Vec<f64> = (0..100_000)
        .map(|_| {
            let e = 2.0 * (uniform() + uniform() + uniform() - 1.5);
            let w = 0.5 * prev.0 - 0.2 * prev.1 + e + 0.4 * prev.2;
            prev = (w, prev.0, e);
            50.0 + w
        })
        .collect();
    let file = write("arma.f64", &arma)?;
    out.push(Spectral {
        algorithm: "forecast.arima (2, 0, 1)".into(),
        points: arma.len(),
        ironloom_ms: time(
            "forecast.arima",
            vec![
                model::Datum::Series(arma.clone()),
                model::Datum::Scalar(2.0),
                model::Datum::Scalar(0.0),
                model::Datum::Scalar(1.0),
                model::Datum::Scalar(24.0),
            ],
        )?,
        peer: "ARIMA(x, (2, 0, 1)).fit(method='hannan_rissanen').forecast(24) (statsmodels)".into(),
        peer_ms: peer_ms(
            py,
            &file,
            "from statsmodels.tsa.arima.model import ARIMA",
            "ARIMA(x, order=(2, 0, 1)).fit(method='hannan_rissanen').forecast(24)",
        )?,
    });
    Ok(out)
}

/// FFT amplitude spectrum and Welch PSD of 2^20 points; the same points, written to a
/// file, go through numpy's rfft and scipy's welch.
fn spectral(py: Option<&str>, work: &std::path::Path) -> Result<Vec<Spectral>> {
    let n = 1 << 20;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let x: Vec<f64> = (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (i as f64 * 0.01).sin() + (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect();
    let file = work.join("signal.f64");
    std::fs::write(
        &file,
        x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
    )?;
    let lib = Library::get();
    let run = |id: &str, extra: Vec<model::Datum>| -> Result<f64> {
        best_ms_of(
            || {
                let mut inputs = vec![model::Datum::Series(x.clone())];
                inputs.extend(extra.clone());
                Ok(inputs)
            },
            |inputs| {
                black_box(
                    lib.evaluate_data(id, inputs)
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
                Ok(())
            },
        )
    };
    let fft_ms = run("freq.fft_amplitude", vec![model::Datum::Scalar(1000.0)])?;
    let welch_ms = run(
        "freq.welch_psd",
        vec![model::Datum::Scalar(1000.0), model::Datum::Scalar(256.0)],
    )?;
    let peer = |code: &str| peer_ms(py, &file, "", code);
    Ok(vec![
        Spectral {
            algorithm: "freq.fft_amplitude".into(),
            points: n,
            ironloom_ms: fft_ms,
            peer: "np.abs(np.fft.rfft(x)) / n (numpy)".into(),
            peer_ms: peer("a = np.abs(np.fft.rfft(x)) * (2 / len(x))")?,
        },
        Spectral {
            algorithm: "freq.welch_psd".into(),
            points: n,
            ironloom_ms: welch_ms,
            peer: "signal.welch(x, fs, nperseg=256) (scipy)".into(),
            peer_ms: peer("f, p = signal.welch(x, fs=1000.0, nperseg=256)")?,
        },
    ])
}

fn time_evaluate(id: &str, inputs: &[f64], n: u64) -> Result<f64> {
    let lib = Library::get();
    let mut x = inputs.to_vec();
    let start = Instant::now();
    for i in 0..n {
        x[0] = inputs[0] + (i % 1000) as f64 * 1e-9;
        black_box(
            lib.evaluate(id, black_box(&x))
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn time_api_path(id: &str, inputs: &[f64], n: u64) -> Result<f64> {
    let lib = Library::get();
    let card = lib.card(id).context("model")?;
    let given: BTreeMap<String, Given> = card
        .inputs
        .iter()
        .zip(inputs)
        .map(|(p, v)| (p.name.to_string(), Given::Number(*v)))
        .collect();
    let units = BTreeMap::new();
    let start = Instant::now();
    for _ in 0..n {
        let x = model::prepare(card, black_box(&given)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let y = lib.evaluate(id, &x).map_err(|e| anyhow::anyhow!("{e}"))?;
        black_box(model::present(card, &y, &units).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// Calls a second of `expr` (with `i` the loop index) in CPython, best of three runs.
fn time_python(py: &str, setup: &str, expr: &str, n: u64) -> Result<f64> {
    let script = format!(
        "import time\n{setup}\nbest = 1e9\nfor _ in range(3):\n    t = time.perf_counter()\n    for i in range({n}):\n        {expr}\n    best = min(best, time.perf_counter() - t)\nprint({n} / best)\n"
    );
    let out = std::process::Command::new(py)
        .args(["-c", &script])
        .output()
        .with_context(|| format!("running {py}"))?;
    if !out.status.success() {
        bail!("{py}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

async fn rest(cli: &Cli, work: &std::path::Path) -> Result<Rest> {
    let password = "Bench-pass-1";
    let mut cmd = serve_command(&cli.ironloom.path()?, &work.join("data"), "warn");
    cmd.arg("--demo")
        .env("IRONLOOM_DEMO_PASSWORD", password)
        .env("IRONLOOM_ADMIN_PASSWORD", password);
    let server = IronloomServer::start("ironloom", cmd, &work.join("ironloom.log")).await?;
    let http = reqwest::Client::new();
    let demo = Session::login(
        &http,
        &server.http,
        json!({"username": "demo", "password": password, "tenant": "demo"}),
    )
    .await?;
    let body =
        json!({"inputs": {"p": {"value": 30, "unit": "bar"}, "T": {"value": 26.85, "unit": "°C"}}});
    let path = "/api/v1/models/steam.if97_region1_pt/invoke";
    for _ in 0..100 {
        json_ok(demo.post(path).json(&body), "warm-up").await?;
    }
    let mut ms = Vec::with_capacity(cli.requests);
    for _ in 0..cli.requests {
        let t = Instant::now();
        json_ok(demo.post(path).json(&body), "invoke").await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let rows: Vec<_> = (0..10_000)
        .map(|i| json!({"p": 3.0 + i as f64 * 1e-4, "T": 300.0}))
        .collect();
    let t = Instant::now();
    let v = json_ok(
        demo.post("/api/v1/models/steam.if97_region1_pt/invoke/batch")
            .json(&json!({"rows": rows})),
        "batch",
    )
    .await?;
    let batch = t.elapsed().as_secs_f64();
    if v["ok"] != 10_000 {
        bail!("the batch refused rows: {}", v["ok"]);
    }
    Ok(Rest {
        requests: cli.requests,
        p50_ms: percentile(&ms, 50.0).unwrap_or(0.0),
        p99_ms: percentile(&ms, 99.0).unwrap_or(0.0),
        max_ms: ms.last().copied().unwrap_or(0.0),
        batch_rows_per_s: 10_000.0 / batch,
    })
}

async fn run(cli: Cli) -> Result<()> {
    let work = cli.run.work_dir("models-bench-")?;
    let started = utc_now();
    let mut in_process = Vec::new();
    for c in CASES {
        let n_inputs = Library::get().card(c.id).context("model")?.inputs.len();
        let inputs = &c.inputs[..n_inputs];
        let evals = time_evaluate(c.id, inputs, cli.iterations)?;
        let api = time_api_path(c.id, inputs, cli.iterations / 4)?;
        let peer = match &cli.python {
            Some(py) => Some(time_python(py, c.peer_setup, c.peer, cli.iterations / 10)?),
            None => None,
        };
        in_process.push(InProcess {
            model: c.id.into(),
            what: c.what.into(),
            evals_per_s: evals,
            api_path_per_s: api,
            peer: c.peer.split('(').next().unwrap_or("").into(),
            peer_per_s: peer,
        });
    }
    let mut spectral = spectral(cli.python.as_deref(), work.path())?;
    spectral.extend(learning(cli.python.as_deref(), work.path())?);
    let rest = rest(&cli, work.path()).await?;
    let jobs = if cli.job_points > 0 {
        let dir = work.path().join("jobs");
        std::fs::create_dir_all(&dir)?;
        Some(jobs::run(cli.job_points, cli.python.as_deref(), &dir).await?)
    } else {
        None
    };
    let mut md = format!(
        "### Model library ({started})\n\n`{}`\n\n| model | kind | Ironloom evaluations/s (one thread) | through the API's checks, in process | peer (CPython, same run) | peer calls/s | Ironloom ÷ peer |\n|---|---|---:|---:|---|---:|---:|\n",
        command_line()
    );
    for r in &in_process {
        let ratio = r
            .peer_per_s
            .map_or("–".into(), |p| format!("{:.0}×", r.evals_per_s / p));
        let peer = r
            .peer_per_s
            .map_or("not run (no --python)".into(), |p| format!("{p:.0}"));
        md += &format!(
            "| `{}` | {} | {:.0} | {:.0} | `{}` | {} | {} |\n",
            r.model, r.what, r.evals_per_s, r.api_path_per_s, r.peer, peer, ratio
        );
    }
    md += "\n| algorithm (same data) | points | Ironloom ms | peer | peer ms | peer ÷ Ironloom |\n|---|---:|---:|---|---:|---:|\n";
    for s in &spectral {
        let (pm, ratio) = match s.peer_ms {
            Some(p) => (format!("{p:.1}"), format!("{:.2}×", p / s.ironloom_ms)),
            None => ("not run".into(), "–".into()),
        };
        md += &format!(
            "| `{}` | {} | {:.1} | {} | {} | {} |\n",
            s.algorithm, s.points, s.ironloom_ms, s.peer, pm, ratio
        );
    }
    md += &format!(
        "\nREST, `POST /api/v1/models/steam.if97_region1_pt/invoke` with inputs in bar and °C, one at a time over one connection: {} requests, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; one batch of 10 000 rows: {:.0} rows/s.\n",
        rest.requests, rest.p50_ms, rest.p99_ms, rest.max_ms, rest.batch_rows_per_s
    );
    if let Some(j) = &jobs {
        md += &format!(
            "\nJobs over history: {} points of one property stored in the embedded engine ({:.2} M points/s written), then read and computed through the job runtime:\n\n| job | points read | seconds | M points/s | evaluations |\n|---|---:|---:|---:|---:|\n",
            j.points,
            j.write_points_per_s / 1e6
        );
        for f in &j.jobs {
            md += &format!(
                "| {} | {} | {:.2} | {:.2} | {} |\n",
                f.job,
                f.points,
                f.seconds,
                f.points_per_s / 1e6,
                f.evaluations
            );
        }
        if let Some(s) = j.numpy_hourly_s {
            md += &format!(
                "\nPeer: numpy's hourly count, mean, std, min, quartiles and max over the same values already in memory (no storage read): {s:.2} s ({:.2} M points/s).\n",
                j.points as f64 / s / 1e6
            );
        }
    }
    let report = Report {
        started,
        command: command_line(),
        in_process,
        spectral,
        rest,
        jobs,
    };
    cli.run.finish(work, &md, &report)
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    until_interrupted(run(cli)).await
}
