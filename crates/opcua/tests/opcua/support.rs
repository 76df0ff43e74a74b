//! Starting the simulator and the driver on real sockets, and waiting for samples.

use std::sync::Arc;
use std::time::Duration;

use ironloom_drivers::model::Value;
use ironloom_drivers::{DriverError, DriverIo, DriverStats, Sample, WriteDone, WriteRequest};
use ironloom_opcua::config::{Mode, NodeConfig, OpcUaConfig, Reconnect};
use ironloom_opcua::error::OpcUaError;
use ironloom_opcua::sim::{SimOptions, SimServer, serve_sim};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Long enough for a debug build on a busy 2-core machine, short enough to fail fast.
pub const WAIT: Duration = Duration::from_secs(15);

pub struct Sim {
    pub server: SimServer,
    pub dir: TempDir,
}

impl Sim {
    pub async fn start(tweak: impl FnOnce(&mut SimOptions)) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut o = SimOptions {
            pki_dir: dir.path().join("pki"),
            tick: Duration::from_millis(50),
            ..SimOptions::default()
        };
        tweak(&mut o);
        let server = serve_sim(listener, o).await.unwrap();
        Sim { server, dir }
    }

    pub fn endpoint(&self) -> String {
        self.server.endpoint_url()
    }
}

pub fn node(device: &str, point: &str, node_id: &str) -> NodeConfig {
    NodeConfig {
        device: device.into(),
        point: point.into(),
        node_id: node_id.into(),
        mode: Mode::Subscribe,
        sampling_interval_ms: 50,
        publishing_interval_ms: Some(100),
        deadband: None,
        writable: false,
        min: None,
        max: None,
        pre: Default::default(),
    }
}

pub fn poll(device: &str, point: &str, node_id: &str, every_ms: u64) -> NodeConfig {
    NodeConfig {
        mode: Mode::Poll,
        sampling_interval_ms: every_ms,
        publishing_interval_ms: None,
        ..node(device, point, node_id)
    }
}

pub fn config(endpoint: &str, pki: &TempDir, nodes: Vec<NodeConfig>) -> OpcUaConfig {
    let mut c = OpcUaConfig::new(endpoint);
    c.pki_dir = pki.path().join("client-pki");
    c.timeout_ms = 3_000;
    c.reconnect = Reconnect {
        min_ms: 100,
        max_ms: 400,
    };
    c.nodes = nodes;
    c
}

type Pred = dyn Fn(&Sample) -> bool;

pub struct Driver {
    pub samples: mpsc::Receiver<Vec<Sample>>,
    pub writes: mpsc::Sender<WriteRequest>,
    pub stats: Arc<DriverStats>,
    pub cancel: CancellationToken,
    pub task: JoinHandle<Result<(), OpcUaError>>,
    /// Everything received so far, in order.
    pub seen: Vec<Sample>,
    /// Received but not yet looked at by `until`.
    pending: std::collections::VecDeque<Sample>,
}

impl Driver {
    pub fn start(cfg: OpcUaConfig) -> Driver {
        let (stx, samples) = mpsc::channel(1024);
        let (writes, wrx) = mpsc::channel(16);
        let stats = Arc::new(DriverStats::default());
        let cancel = CancellationToken::new();
        let io = DriverIo {
            samples: stx,
            writes: wrx,
            stats: stats.clone(),
            cancel: cancel.clone(),
        };
        let task = tokio::spawn(ironloom_opcua::driver::run(cfg, io));
        Driver {
            samples,
            writes,
            stats,
            cancel,
            task,
            seen: Vec::new(),
            pending: Default::default(),
        }
    }

    /// The next sample (after those already seen) that `pred` accepts; panics after
    /// `WAIT` with what did arrive.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Sample) -> bool) -> Sample {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            while let Some(s) = self.pending.pop_front() {
                if pred(&s) {
                    return s;
                }
            }
            match tokio::time::timeout_at(deadline, self.samples.recv()).await {
                Ok(Some(batch)) => {
                    self.seen.extend(batch.iter().cloned());
                    self.pending.extend(batch);
                }
                Ok(None) => panic!("driver ended while waiting for {what}"),
                Err(_) => {
                    let tail: Vec<_> = self.seen.iter().rev().take(10).collect();
                    panic!("timed out waiting for {what}; last samples: {tail:#?}")
                }
            }
        }
    }

    /// For each predicate, the first sample it accepts, waiting until all have one
    /// (whatever order the samples come in).
    pub async fn each(&mut self, what: &str, preds: &[&dyn Fn(&Sample) -> bool]) -> Vec<Sample> {
        let mut got: Vec<Option<Sample>> = vec![None; preds.len()];
        while got.iter().any(Option::is_none) {
            let s = self
                .until(what, |s| {
                    preds.iter().zip(&got).any(|(p, g)| g.is_none() && p(s))
                })
                .await;
            for (p, g) in preds.iter().zip(got.iter_mut()) {
                if g.is_none() && p(&s) {
                    *g = Some(s.clone());
                }
            }
        }
        got.into_iter().flatten().collect()
    }

    /// The first good sample of each of `points`.
    pub async fn first_good_of(
        &mut self,
        points: &[(&str, &str)],
    ) -> std::collections::HashMap<(String, String), Sample> {
        let preds: Vec<Box<Pred>> = points
            .iter()
            .map(|&(d, p)| {
                let (d, p) = (d.to_string(), p.to_string());
                Box::new(move |s: &Sample| good(s, &d, &p)) as Box<Pred>
            })
            .collect();
        let refs: Vec<&dyn Fn(&Sample) -> bool> = preds.iter().map(|b| b.as_ref()).collect();
        self.each("a good sample of every point", &refs)
            .await
            .into_iter()
            .map(|s| ((s.device.to_string(), s.point.to_string()), s))
            .collect()
    }

    /// The samples of `for_` seconds.
    pub async fn collect(&mut self, for_: Duration) -> Vec<Sample> {
        let deadline = tokio::time::Instant::now() + for_;
        let mut out: Vec<Sample> = self.pending.drain(..).collect();
        while let Ok(Some(batch)) = tokio::time::timeout_at(deadline, self.samples.recv()).await {
            self.seen.extend(batch.iter().cloned());
            out.extend(batch);
        }
        out
    }

    pub async fn write(
        &self,
        device: &str,
        point: &str,
        value: Value,
    ) -> Result<WriteDone, DriverError> {
        let (reply, rx) = oneshot::channel();
        self.writes
            .send(WriteRequest {
                device: device.into(),
                point: point.into(),
                value,
                reply,
            })
            .await
            .unwrap();
        tokio::time::timeout(WAIT, rx)
            .await
            .expect("write answered")
            .unwrap()
    }

    pub async fn stop(self) {
        self.cancel.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("driver stops on cancel")
            .unwrap()
            .unwrap();
    }
}

pub fn good(s: &Sample, device: &str, point: &str) -> bool {
    &*s.device == device
        && &*s.point == point
        && s.value.is_some()
        && s.quality == ironloom_drivers::model::Quality::Good
}

pub fn is(s: &Sample, device: &str, point: &str) -> bool {
    &*s.device == device && &*s.point == point
}

pub fn f64_of(s: &Sample) -> f64 {
    match s.value {
        Some(Value::F64(f)) => f,
        Some(Value::I64(n)) => n as f64,
        ref v => panic!("not a number: {v:?}"),
    }
}
