//! The cluster under test: a 3-server NATS JetStream cluster (the testkit's harness), a
//! fresh database on the PostgreSQL server of `IRONLOOM_TEST_PG_URL`, and `ironloom serve`
//! nodes on fixed free ports (so a killed node comes back on the same addresses).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ironloom_bench_common::ironloom::{IronloomServer, Session};
use ironloom_bench_common::process::{StopSignal, free_port};
use ironloom_testkit::peers::{NatsCluster, SeaweedS3};
use serde_json::{Value, json};
use tokio::process::Command;

/// How the nodes run.
#[derive(Debug, Clone)]
pub struct NodeSettings {
    pub bin: PathBuf,
    pub password: String,
    pub partitions: u32,
    pub lease_ttl: String,
    /// `[mqtt] rate_limit` per device.
    pub rate_limit: u32,
}

/// One node: its addresses (fixed for its life) and its process while it runs.
#[derive(Debug)]
pub struct Node {
    pub name: String,
    pub dir: PathBuf,
    pub http: SocketAddr,
    pub mqtt: SocketAddr,
    pub server: Option<IronloomServer>,
}

impl Node {
    pub fn base(&self) -> String {
        format!("http://{}", self.http)
    }

    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().and_then(|s| s.proc.pid().ok())
    }
}

#[derive(Debug)]
pub struct Cluster {
    pub nats: NatsCluster,
    /// The bucket the nodes seal their partitions into.
    pub s3: SeaweedS3,
    pub meta: String,
    pub settings: NodeSettings,
    pub nodes: Vec<Node>,
    http: reqwest::Client,
}

/// A fresh database on the test PostgreSQL server (psql of the Debian installation).
fn create_database(server_url: &str) -> Result<String> {
    let psql = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (scripts/pg-test-server.sh installs it)")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin/psql")))
        .filter(|p| p.exists())
        .max()
        .context("no psql under /usr/lib/postgresql")?;
    let db = format!(
        "cluster_bench_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let ok = std::process::Command::new(psql)
        .arg(server_url)
        .args(["-qc", &format!("CREATE DATABASE {db}")])
        .status()?
        .success();
    if !ok {
        bail!("cannot create database {db} on {server_url}");
    }
    let (base, _) = server_url.rsplit_once('/').context("database URL")?;
    Ok(format!("{base}/{db}"))
}

impl Cluster {
    /// Starts NATS and `n` nodes (the first with the demo tenant), one after the other.
    pub async fn start(settings: NodeSettings, n: usize, work: &Path) -> Result<Cluster> {
        let pg = std::env::var("IRONLOOM_TEST_PG_URL").context(
            "IRONLOOM_TEST_PG_URL: a PostgreSQL server (bench/cluster/run.sh starts one)",
        )?;
        let nats = NatsCluster::start(3).map_err(|e| anyhow::anyhow!("NATS: {e}"))?;
        let s3 = SeaweedS3::start().map_err(|e| anyhow::anyhow!("SeaweedFS: {e}"))?;
        std::fs::write(s3.dir().join("secret"), s3.secret_key())?;
        let meta = create_database(&pg)?;
        let mut nodes = Vec::new();
        for k in 0..n {
            nodes.push(Node {
                name: format!("n{k}"),
                dir: work.join(format!("n{k}")),
                http: SocketAddr::from(([127, 0, 0, 1], free_port()?)),
                mqtt: SocketAddr::from(([127, 0, 0, 1], free_port()?)),
                server: None,
            });
        }
        let mut c = Cluster {
            nats,
            s3,
            meta,
            settings,
            nodes,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        };
        for k in 0..n {
            c.start_node(k).await?;
        }
        Ok(c)
    }

    fn command(&self, k: usize) -> Command {
        let s = &self.settings;
        let node = &self.nodes[k];
        let urls = self
            .nats
            .urls()
            .iter()
            .map(|u| format!("\"{u}\""))
            .collect::<Vec<_>>()
            .join(",");
        let mut cmd = Command::new(&s.bin);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(&node.dir)
            .args(["--http", &node.http.to_string()])
            .args(["--mqtt", &node.mqtt.to_string()])
            .args(["--coap", "127.0.0.1:0"])
            .env(
                "RUST_LOG",
                "warn,ironloom::serve=info,ironloom_cluster=info",
            )
            .env("IRONLOOM_DEMO_EQUIPMENT", "off")
            .env("IRONLOOM_ADMIN_PASSWORD", &s.password)
            .env("IRONLOOM__META__URL", &self.meta)
            .env("IRONLOOM__MQTT__MAX_CONNECTIONS", "1000000")
            .env("IRONLOOM__MQTT__RATE_LIMIT", s.rate_limit.to_string())
            .env(
                "IRONLOOM__MQTT__RATE_BURST",
                s.rate_limit.saturating_mul(2).to_string(),
            )
            .env("IRONLOOM__CLUSTER__ENABLED", "true")
            .env("IRONLOOM__CLUSTER__NODE", &node.name)
            .env("IRONLOOM__CLUSTER__NATS_URLS", format!("[{urls}]"))
            .env("IRONLOOM__CLUSTER__PARTITIONS", s.partitions.to_string())
            .env("IRONLOOM__CLUSTER__STREAM_SHARDS", "4")
            .env("IRONLOOM__CLUSTER__STREAM_MAX_BYTES", "\"1GiB\"")
            .env(
                "IRONLOOM__CLUSTER__LEASE_TTL",
                format!("\"{}\"", s.lease_ttl),
            )
            .env(
                "IRONLOOM__CLUSTER__OBJECT_STORE__ENDPOINT",
                self.s3.endpoint(),
            )
            .env("IRONLOOM__CLUSTER__OBJECT_STORE__BUCKET", self.s3.bucket())
            .env("IRONLOOM__CLUSTER__OBJECT_STORE__REGION", self.s3.region())
            .env("IRONLOOM__CLUSTER__OBJECT_STORE__ALLOW_HTTP", "true")
            .env(
                "IRONLOOM__CLUSTER__OBJECT_STORE__ACCESS_KEY_ID",
                self.s3.access_key(),
            )
            .env(
                "IRONLOOM__CLUSTER__OBJECT_STORE__SECRET_ACCESS_KEY_FILE",
                self.s3.dir().join("secret"),
            );
        if k == 0 {
            cmd.arg("--demo").env("IRONLOOM_DEMO_PASSWORD", &s.password);
        }
        cmd
    }

    /// Starts (or restarts, on its data directory and addresses) node `k`.
    pub async fn start_node(&mut self, k: usize) -> Result<()> {
        let cmd = self.command(k);
        let node = &self.nodes[k];
        std::fs::create_dir_all(&node.dir)?;
        let log = node.dir.with_extension("log");
        let server = IronloomServer::start(&node.name, cmd, &log).await?;
        self.nodes[k].server = Some(server);
        Ok(())
    }

    /// SIGKILL of node `k`.
    pub async fn kill_node(&mut self, k: usize) -> Result<()> {
        if let Some(mut s) = self.nodes[k].server.take() {
            s.proc
                .stop_with(StopSignal::Kill, Duration::from_secs(5))
                .await?;
        }
        Ok(())
    }

    pub fn running(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&k| self.nodes[k].server.is_some())
            .collect()
    }

    /// Every process of the cluster by part: the running nodes, the NATS servers,
    /// SeaweedFS, PostgreSQL.
    pub fn pids(&self) -> [(&'static str, Vec<u32>); 4] {
        let (nats, s3, pg) = peer_pids(self.nats.dir(), self.s3.dir());
        [
            (
                "Ironloom nodes",
                self.nodes.iter().filter_map(Node::pid).collect(),
            ),
            ("NATS", nats),
            ("SeaweedFS", s3),
            ("PostgreSQL", pg),
        ]
    }

    /// The platform administrator's session on node `k`.
    pub async fn admin(&self, k: usize) -> Result<Session> {
        Session::login(
            &self.http,
            &self.nodes[k].base(),
            json!({"username": "admin", "password": self.settings.password}),
        )
        .await
    }

    /// The cluster part of node `k`'s health.
    pub async fn health(&self, admin: &Session) -> Result<Value> {
        let v: Value = admin
            .get("/api/v1/system/health")
            .send()
            .await?
            .json()
            .await?;
        Ok(v["cluster"].clone())
    }

    /// Waits until every partition is held by a running node and each running node owns
    /// some; returns how long it took.
    pub async fn wait_balanced(&self, timeout: Duration) -> Result<Duration> {
        let started = Instant::now();
        let running: Vec<String> = self
            .running()
            .iter()
            .map(|&k| self.nodes[k].name.clone())
            .collect();
        let ask = self.running()[0];
        let admin = self.admin(ask).await?;
        loop {
            if let Ok(h) = self.health(&admin).await
                && held_by(&h, &running)
                && h["nodes"].as_array().is_some_and(|nodes| {
                    running.iter().all(|r| {
                        nodes.iter().any(|n| {
                            n["name"] == r.as_str()
                                && n["owned"].as_array().is_some_and(|o| !o.is_empty())
                        })
                    })
                })
            {
                return Ok(started.elapsed());
            }
            if started.elapsed() > timeout {
                bail!("the partitions were not spread over {running:?} within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Cluster {
    /// The records appended to the ingest streams so far (`IL_IN_*`, read from the first
    /// NATS server's monitoring endpoint): the sum of their last sequences.
    pub async fn stream_records(&self) -> Result<u64> {
        let url = format!(
            "http://127.0.0.1:{}/jsz?streams=true",
            self.nats.http_port(0)
        );
        let v: Value = self.http.get(url).send().await?.json().await?;
        let mut records = 0;
        for account in v["account_details"].as_array().into_iter().flatten() {
            for stream in account["stream_detail"].as_array().into_iter().flatten() {
                if stream["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("IL_IN_"))
                {
                    records += stream["state"]["last_seq"].as_u64().unwrap_or(0);
                }
            }
        }
        Ok(records)
    }
}

impl Cluster {
    /// The record bytes the running nodes have appended to the streams so far (their
    /// `ironloom_cluster_record_bytes_appended_total`): payloads acknowledged by a quorum,
    /// what each replica stores, whatever seals trimmed since.
    pub async fn appended_bytes(&self) -> Result<u64> {
        let mut total = 0u64;
        for k in self.running() {
            let text = self
                .http
                .get(format!("{}/metrics", self.nodes[k].base()))
                .send()
                .await?
                .text()
                .await?;
            total += text
                .lines()
                .filter(|l| l.starts_with("ironloom_cluster_record_bytes_appended_total"))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>() as u64;
        }
        Ok(total)
    }
}

/// Whether every partition's lease is held by one of `nodes`.
pub fn held_by(health: &Value, nodes: &[String]) -> bool {
    health["owners"].as_array().is_some_and(|owners| {
        !owners.is_empty()
            && owners.iter().all(|o| {
                o["lease"] == "held"
                    && o["owner"]
                        .as_str()
                        .is_some_and(|n| nodes.iter().any(|x| x == n))
            })
    })
}

/// This cluster's NATS servers and SeaweedFS (their command lines name their
/// directories) and every PostgreSQL process of this machine (the test server).
fn peer_pids(nats_dir: &Path, s3_dir: &Path) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let nats_dir = nats_dir.to_string_lossy().into_owned();
    let s3_dir = s3_dir.to_string_lossy().into_owned();
    let names = |pid: u32, dir: &str| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(dir))
    };
    let (mut nats, mut s3, mut pg) = (Vec::new(), Vec::new(), Vec::new());
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (nats, s3, pg);
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        match comm.trim() {
            "postgres" => pg.push(pid),
            "nats-server" if names(pid, &nats_dir) => nats.push(pid),
            "weed" if names(pid, &s3_dir) => s3.push(pid),
            _ => {}
        }
    }
    (nats, s3, pg)
}
