//! The Modbus driver and simulator against each other and against third-party peers:
//! pymodbus servers (TCP, and RTU over a socat pty pair) for our driver, pymodbus clients
//! for our simulator, and hostile peers that answer garbage or nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ironloom_core::telemetry::{Quality, Value};
use ironloom_drivers::modbus::{Connection, ModbusDriver};
use ironloom_drivers::sim::{self, SimOptions, Simulator};
use ironloom_drivers::{DriverError, DriverIo, DriverStats, Sample, WriteDone, WriteRequest};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

fn require_peers() -> bool {
    std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() == Ok("1")
}

/// The Python with pymodbus (the test peers' virtual environment is on PATH in CI).
fn pymodbus_python() -> Option<String> {
    for py in ["python", "python3"] {
        let ok = Command::new(py)
            .args(["-c", "import pymodbus, serial"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(py.into());
        }
    }
    assert!(
        !require_peers(),
        "pymodbus is required (IRONLOOM_REQUIRE_PEERS=1): run scripts/install-test-peers.sh"
    );
    eprintln!("SKIPPED: pymodbus is not installed");
    None
}

fn socat_ok() -> bool {
    let ok = Command::new("socat")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok || !require_peers(), "socat is required");
    if !ok {
        eprintln!("SKIPPED: socat is not installed");
    }
    ok
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the pymodbus server script and waits for its "ready" line.
fn pymodbus_server(py: &str, args: &[&str]) -> Kill {
    let script = format!(
        "{}/tests/peers/pymodbus_server.py",
        std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo")
    );
    let mut child = Command::new(py)
        .arg(script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    // "ready" comes just before the server binds: wait for a TCP port to accept.
    if args[0] == "tcp" || args[0] == "rtu-tcp" {
        let addr = format!("127.0.0.1:{}", args[1]);
        for _ in 0..200 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
    Kill(child)
}

/// A socat pty pair; returns the two device paths.
fn pty_pair(dir: &std::path::Path) -> (Kill, String, String) {
    let (a, b) = (dir.join("a"), dir.join("b"));
    let child = Command::new("socat")
        .arg(format!("pty,raw,echo=0,link={}", a.display()))
        .arg(format!("pty,raw,echo=0,link={}", b.display()))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if a.exists() && b.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (
        Kill(child),
        a.display().to_string(),
        b.display().to_string(),
    )
}

struct Running {
    samples: mpsc::Receiver<Vec<Sample>>,
    writes: mpsc::Sender<WriteRequest>,
    stats: Arc<DriverStats>,
    device_stats: ironloom_drivers::modbus::DeviceStats,
    requests_per_cycle: usize,
    cancel: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn start(conn: serde_json::Value) -> Running {
    let conn: Connection = serde_json::from_value(conn).unwrap();
    let driver = ModbusDriver::new(conn).unwrap();
    let (stx, srx) = mpsc::channel(64);
    let (wtx, wrx) = mpsc::channel(8);
    let stats = Arc::new(DriverStats::default());
    let cancel = CancellationToken::new();
    let device_stats = driver.device_stats().clone();
    let requests_per_cycle = driver.requests_per_cycle();
    tokio::spawn(driver.run(DriverIo {
        samples: stx,
        writes: wrx,
        stats: stats.clone(),
        cancel: cancel.clone(),
    }));
    Running {
        samples: srx,
        writes: wtx,
        stats,
        device_stats,
        requests_per_cycle,
        cancel,
    }
}

impl Running {
    /// The next sample of `point` that satisfies `pred`, within 10 s.
    async fn wait(&mut self, point: &str, pred: impl Fn(&Sample) -> bool) -> Sample {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let batch = tokio::time::timeout_at(deadline, self.samples.recv())
                .await
                .unwrap_or_else(|_| panic!("no matching sample of {point} in 10 s"))
                .unwrap();
            if let Some(s) = batch.into_iter().find(|s| &*s.point == point && pred(s)) {
                return s;
            }
        }
    }

    /// The first complete batch.
    async fn batch(&mut self) -> Vec<Sample> {
        tokio::time::timeout(Duration::from_secs(10), self.samples.recv())
            .await
            .unwrap()
            .unwrap()
    }

    async fn write(
        &self,
        device: &str,
        point: &str,
        value: Value,
    ) -> Result<WriteDone, DriverError> {
        let (tx, rx) = oneshot::channel();
        self.writes
            .send(WriteRequest {
                device: device.into(),
                point: point.into(),
                value,
                reply: tx,
            })
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .unwrap()
            .unwrap()
    }
}

fn value(batch: &[Sample], point: &str) -> Value {
    let s = batch
        .iter()
        .find(|s| &*s.point == point)
        .unwrap_or_else(|| panic!("no {point} in {batch:?}"));
    assert_eq!(s.quality, Quality::Good, "{s:?}");
    s.value.clone().unwrap()
}

fn f64_of(v: &Value) -> f64 {
    match v {
        Value::F64(f) => *f,
        Value::I64(i) => *i as f64,
        v => panic!("{v:?}"),
    }
}

/// The points of the pymodbus image (tests/peers/pymodbus_server.py).
fn image_points() -> serde_json::Value {
    json!([
        {"name": "f_abcd", "area": "holding", "address": 0, "type": "f32", "order": "ABCD"},
        {"name": "f_cdab", "area": "holding", "address": 2, "type": "f32", "order": "CDAB"},
        {"name": "f_badc", "area": "holding", "address": 4, "type": "f32", "order": "BADC"},
        {"name": "f_dcba", "area": "holding", "address": 6, "type": "f32", "order": "DCBA"},
        {"name": "i16", "area": "holding", "address": 8, "type": "i16"},
        {"name": "i32", "area": "holding", "address": 9, "type": "i32"},
        {"name": "u32", "area": "holding", "address": 11, "type": "u32", "order": "CDAB"},
        {"name": "f64", "area": "holding", "address": 13, "type": "f64"},
        {"name": "i64", "area": "holding", "address": 17, "type": "i64", "order": "DCBA"},
        {"name": "u64", "area": "holding", "address": 21, "type": "u64"},
        {"name": "text", "area": "holding", "address": 25, "type": "string", "length": 4},
        {"name": "bit0", "area": "holding", "address": 29, "type": "bit", "bit": 0},
        {"name": "bit1", "area": "holding", "address": 29, "type": "bit", "bit": 1},
        {"name": "bit15", "area": "holding", "address": 29, "type": "bit", "bit": 15},
        {"name": "temp", "area": "holding", "address": 30, "type": "u16", "scale": 0.1, "offset": -40.0},
        {"name": "set_u16", "area": "holding", "address": 40, "writable": true, "max": 5000},
        {"name": "set_f32", "area": "holding", "address": 42, "type": "f32", "writable": true, "write_function": "multiple"},
        {"name": "set_rw", "area": "holding", "address": 44, "type": "f32", "order": "CDAB", "writable": true, "write_function": "read_write"},
        {"name": "ir0", "area": "input", "address": 0},
        {"name": "ir9", "area": "input", "address": 9},
        {"name": "coil0", "area": "coil", "address": 0, "writable": true},
        {"name": "coil1", "area": "coil", "address": 1, "writable": true, "write_function": "multiple"},
        {"name": "di3", "area": "discrete", "address": 3},
    ])
}

fn check_image(b: &[Sample]) {
    for p in ["f_abcd", "f_cdab", "f_badc", "f_dcba"] {
        assert_eq!(value(b, p), Value::F64(21.5), "{p}");
    }
    assert_eq!(value(b, "i16"), Value::I64(-2));
    assert_eq!(value(b, "i32"), Value::I64(-123_456));
    assert_eq!(value(b, "u32"), Value::I64(3_000_000_000));
    assert_eq!(value(b, "f64"), Value::F64(-2.25));
    assert_eq!(value(b, "i64"), Value::I64(-9_000_000_000));
    assert_eq!(value(b, "u64"), Value::I64(12_345_678_901_234));
    assert_eq!(value(b, "text"), Value::Str("PUMP-7".into()));
    assert_eq!(value(b, "bit0"), Value::Bool(true));
    assert_eq!(value(b, "bit1"), Value::Bool(false));
    assert_eq!(value(b, "bit15"), Value::Bool(true));
    assert!((f64_of(&value(b, "temp")) - 25.0).abs() < 1e-9);
    assert_eq!(value(b, "ir0"), Value::I64(1000));
    assert_eq!(value(b, "ir9"), Value::I64(1009));
    assert_eq!(value(b, "coil0"), Value::Bool(true));
    assert_eq!(value(b, "coil1"), Value::Bool(false));
    assert_eq!(value(b, "di3"), Value::Bool(true));
}

#[tokio::test]
async fn driver_reads_and_writes_a_pymodbus_server_over_tcp() {
    let Some(py) = pymodbus_python() else { return };
    let port = free_port();
    let _server = pymodbus_server(&py, &["tcp", &port.to_string()]);
    let mut d = start(json!({
        "name": "pymodbus", "transport": "tcp", "address": format!("127.0.0.1:{port}"),
        "poll_interval_ms": 100, "max_gap": 10,
        "devices": [{"name": "plc-1", "unit": 1, "points": image_points()}],
    }));
    let b = d.batch().await;
    check_image(&b);
    // Merged reads, gaps of up to 10 read over: 23 points in 4 requests (holding 0–45,
    // input 0–9, coils 0–1, discrete 3).
    assert_eq!(d.requests_per_cycle, 4);
    let s = d.stats.snapshot();
    assert!(s.requests >= 4 && s.points_read >= 23, "{s:?}");
    assert_eq!(s.errors, 0);

    // FC 6 (one register), FC 16, FC 23, FC 5, FC 15; each answered with old and new.
    let w = d.write("plc-1", "set_u16", Value::I64(1234)).await.unwrap();
    assert_eq!((w.old, w.new), (Some(Value::I64(0)), Value::I64(1234)));
    let w = d.write("plc-1", "set_f32", Value::F64(-7.5)).await.unwrap();
    assert_eq!(w.new, Value::F64(-7.5));
    let w = d.write("plc-1", "set_rw", Value::F64(99.25)).await.unwrap();
    assert_eq!((w.old, w.new), (Some(Value::F64(0.0)), Value::F64(99.25)));
    let w = d.write("plc-1", "coil0", Value::Bool(false)).await.unwrap();
    assert_eq!(
        (w.old, w.new),
        (Some(Value::Bool(true)), Value::Bool(false))
    );
    let w = d.write("plc-1", "coil1", Value::Bool(true)).await.unwrap();
    assert_eq!(w.new, Value::Bool(true));
    // The next polls see them.
    let s = d
        .wait("set_rw", |s| s.value == Some(Value::F64(99.25)))
        .await;
    assert_eq!(s.quality, Quality::Good);
    // Refused before any request: not writable, beyond max, wrong type, unknown point.
    for (p, v, want) in [
        ("i16", Value::I64(1), "not writable"),
        ("set_u16", Value::I64(6000), "outside the point's range"),
        ("set_u16", Value::Str("x".into()), "not a number"),
        ("nope", Value::I64(1), "no point `nope`"),
    ] {
        let e = d.write("plc-1", p, v).await.unwrap_err();
        assert!(matches!(e, DriverError::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains(want), "{e}");
    }
    assert_eq!(d.device_stats["plc-1"].snapshot().writes, 5);
}

#[tokio::test]
async fn exception_replies_are_kept_apart_from_failures_and_keep_the_connection() {
    let Some(py) = pymodbus_python() else { return };
    let port = free_port();
    let _server = pymodbus_server(&py, &["tcp", &port.to_string()]);
    let mut d = start(json!({
        "name": "pymodbus", "transport": "tcp", "address": format!("127.0.0.1:{port}"),
        "poll_interval_ms": 50,
        "devices": [
            {"name": "plc-1", "unit": 1, "points": [
                {"name": "ok", "area": "holding", "address": 8, "type": "i16"},
                {"name": "beyond", "area": "holding", "address": 500},
            ]},
            {"name": "ghost", "unit": 9, "points": [
                {"name": "x", "area": "holding", "address": 0},
            ]},
        ],
    }));
    let b = d.batch().await;
    assert_eq!(value(&b, "ok"), Value::I64(-2));
    let beyond = b.iter().find(|s| &*s.point == "beyond").unwrap();
    assert_eq!(beyond.quality, Quality::Bad);
    assert!(
        beyond
            .reason
            .as_deref()
            .unwrap()
            .contains("exception 0x02 (illegal data address)"),
        "{beyond:?}"
    );
    let x = b.iter().find(|s| &*s.point == "x").unwrap();
    assert_eq!(x.quality, Quality::Bad);
    assert!(
        x.reason
            .as_deref()
            .unwrap()
            .starts_with("the device refused: exception 0x"),
        "{x:?}"
    );
    // More cycles: still one connection; refusals counted as such.
    d.batch().await;
    d.batch().await;
    let s = d.stats.snapshot();
    assert_eq!(s.connects, 1, "{s:?}");
    assert!(
        s.refused >= 6 && s.timeouts == 0 && s.transport_errors == 0,
        "{s:?}"
    );
    assert!(d.device_stats["ghost"].snapshot().refused >= 3);
    assert_eq!(
        d.device_stats["plc-1"].snapshot().refused,
        s.refused - d.device_stats["ghost"].snapshot().refused
    );
}

#[tokio::test]
async fn driver_speaks_rtu_to_pymodbus_over_a_serial_pty() {
    let Some(py) = pymodbus_python() else { return };
    if !socat_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_socat, a, b) = pty_pair(dir.path());
    let _server = pymodbus_server(&py, &["rtu", &a]);
    let mut d = start(json!({
        "name": "bus", "transport": "rtu", "serial": {"port": b, "baud": 19200},
        "poll_interval_ms": 100, "timeout_ms": 2000,
        "devices": [{"name": "plc-1", "unit": 1, "points": image_points()}],
    }));
    // pymodbus says "ready" before it has opened the port: the first polls may go
    // unanswered. Wait for a good reading, then check a whole cycle.
    d.wait("f_abcd", |s| s.quality == Quality::Good).await;
    let batch = d.batch().await;
    check_image(&batch);
    let w = d.write("plc-1", "set_u16", Value::I64(77)).await.unwrap();
    assert_eq!(w.new, Value::I64(77));
    let w = d.write("plc-1", "set_rw", Value::F64(1.5)).await.unwrap();
    assert_eq!(w.new, Value::F64(1.5));
}

async fn sim_tcp() -> (Arc<Simulator>, u16, CancellationToken) {
    let sim = Simulator::new(&SimOptions {
        bulk_units: 1,
        ..Default::default()
    });
    let cancel = CancellationToken::new();
    tokio::spawn(sim.clone().run(Duration::from_millis(50), cancel.clone()));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(sim::serve_tcp(sim.clone(), l, cancel.clone()));
    (sim, port, cancel)
}

fn sim_points() -> serde_json::Value {
    json!([
        {"name": "pump", "unit": 1, "points": [
            {"name": "flow", "area": "holding", "address": 0, "type": "f32"},
            {"name": "pressure", "area": "holding", "address": 2, "type": "f32"},
            {"name": "speed_set", "area": "holding", "address": 4, "writable": true, "min": 0, "max": 3000},
            {"name": "current", "area": "holding", "address": 5, "scale": 0.1},
            {"name": "running", "area": "holding", "address": 6, "type": "bit", "bit": 0},
            {"name": "bearing_temp", "area": "input", "address": 0, "type": "i16", "scale": 0.1},
            {"name": "run", "area": "coil", "address": 0, "writable": true},
        ]},
        {"name": "boiler", "unit": 3, "points": [
            {"name": "temp", "area": "holding", "address": 0, "type": "f32"},
            {"name": "setpoint", "area": "holding", "address": 2, "type": "f32", "writable": true, "write_function": "read_write"},
            {"name": "burner", "area": "discrete", "address": 0},
        ]},
        {"name": "cnc", "unit": 4, "points": [
            {"name": "program", "area": "holding", "address": 4, "type": "string", "length": 8},
            {"name": "parts", "area": "holding", "address": 12, "type": "u32"},
        ]},
        {"name": "compressor", "unit": 5, "points": [
            {"name": "air_pressure", "area": "holding", "address": 0, "type": "f32"},
            {"name": "cut_in", "area": "holding", "address": 2, "type": "f32", "writable": true},
            {"name": "compressor_state", "area": "holding", "address": 6},
            {"name": "load_cycles", "area": "input", "address": 4, "type": "u32"},
        ]},
        {"name": "cold_room", "unit": 6, "points": [
            {"name": "room_temp", "area": "holding", "address": 0, "type": "f32"},
            {"name": "manual_defrost", "area": "coil", "address": 1, "writable": true},
            {"name": "cold_room_state", "area": "holding", "address": 11},
        ]},
        {"name": "moulder", "unit": 7, "points": [
            {"name": "shots", "area": "holding", "address": 2, "type": "u32"},
            {"name": "cooling_time", "area": "holding", "address": 18, "type": "f32", "writable": true},
        ]},
        {"name": "loom", "unit": 8, "points": [
            {"name": "picks", "area": "holding", "address": 6, "type": "u32"},
            {"name": "weft_density", "area": "holding", "address": 5, "scale": 0.1, "writable": true},
            {"name": "loom_running", "area": "discrete", "address": 0},
        ]},
    ])
}

#[tokio::test]
async fn driver_against_the_simulator_values_writes_and_a_silent_plc() {
    let (sim, port, _stop) = sim_tcp().await;
    let mut d = start(json!({
        "name": "sim", "transport": "tcp", "address": format!("127.0.0.1:{port}"),
        "poll_interval_ms": 50, "timeout_ms": 300, "reconnect_min_ms": 50, "reconnect_max_ms": 200,
        "devices": sim_points(),
    }));
    let b = d.batch().await;
    assert_eq!(value(&b, "program"), Value::Str("O1234-FLANGE".into()));
    assert_eq!(value(&b, "speed_set"), Value::I64(1450));
    assert!(f64_of(&value(&b, "parts")) >= 4711.0);
    // The pump spins up to its setpoint: flow rises toward 42 m³/h.
    let s = d
        .wait("flow", |s| {
            s.value.as_ref().is_some_and(|v| f64_of(v) > 30.0)
        })
        .await;
    assert_eq!(s.quality, Quality::Good);
    assert!(matches!(
        value(&d.batch().await, "running"),
        Value::Bool(true)
    ));

    // A setpoint write changes the process: stop the pump, flow falls.
    let w = d.write("pump", "run", Value::Bool(false)).await.unwrap();
    assert_eq!(
        (w.old, w.new),
        (Some(Value::Bool(true)), Value::Bool(false))
    );
    d.wait("flow", |s| {
        s.value.as_ref().is_some_and(|v| f64_of(v) < 5.0)
    })
    .await;
    let w = d
        .write("pump", "speed_set", Value::I64(2000))
        .await
        .unwrap();
    assert_eq!((w.old, w.new), (Some(Value::I64(1450)), Value::I64(2000)));
    // FC 23 on the boiler; the simulator refuses a setpoint beyond 95 °C (exception 3).
    let w = d
        .write("boiler", "setpoint", Value::F64(90.0))
        .await
        .unwrap();
    assert_eq!((w.old, w.new), (Some(Value::F64(80.0)), Value::F64(90.0)));
    let e = d
        .write("boiler", "setpoint", Value::F64(120.0))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        DriverError::Refused("exception 0x03 (illegal data value)".into())
    );
    let e = d
        .write("pump", "speed_set", Value::I64(3500))
        .await
        .unwrap_err();
    assert!(matches!(e, DriverError::Invalid(_)), "{e:?}");

    // Units 5–8: values in range, counters counting, setpoints written and refused.
    let b = d.batch().await;
    let p = f64_of(&value(&b, "air_pressure"));
    assert!((6.3..7.7).contains(&p), "{p}");
    assert!(f64_of(&value(&b, "compressor_state")) <= 3.0);
    assert!(f64_of(&value(&b, "load_cycles")) >= 96_123.0);
    let t = f64_of(&value(&b, "room_temp"));
    assert!((-20.0..-16.0).contains(&t), "{t}");
    assert!(f64_of(&value(&b, "shots")) >= 182_340.0);
    assert!(f64_of(&value(&b, "picks")) >= 187_654_321.0);
    let w = d
        .write("compressor", "cut_in", Value::F64(6.0))
        .await
        .unwrap();
    assert_eq!((w.old, w.new), (Some(Value::F64(6.5)), Value::F64(6.0)));
    // A cut-in above the cut-out (7.5 bar) is refused by the simulator.
    let e = d
        .write("compressor", "cut_in", Value::F64(7.6))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        DriverError::Refused("exception 0x03 (illegal data value)".into())
    );
    d.write("moulder", "cooling_time", Value::F64(25.0))
        .await
        .unwrap();
    let w = d
        .write("loom", "weft_density", Value::F64(30.5))
        .await
        .unwrap();
    assert_eq!(w.new, Value::F64(30.5));
    // A manual defrost: the cold room starts it and clears the request.
    d.write("cold_room", "manual_defrost", Value::Bool(true))
        .await
        .unwrap();
    d.wait("cold_room_state", |s| {
        s.value.as_ref().is_some_and(|v| f64_of(v) == 3.0)
    })
    .await;
    d.wait("manual_defrost", |s| s.value == Some(Value::Bool(false)))
        .await;

    // The PLC stops answering: timeouts, points bad, the driver stays up and reconnects.
    sim.set_silent(true);
    let s = d.wait("flow", |s| s.quality == Quality::Bad).await;
    assert!(
        s.reason.as_deref().unwrap().contains("no answer within"),
        "{s:?}"
    );
    let e = d
        .write("pump", "speed_set", Value::I64(100))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            DriverError::NotConnected | DriverError::Timeout(_) | DriverError::Transport(_)
        ),
        "{e:?}"
    );
    sim.set_silent(false);
    d.wait("flow", |s| s.quality == Quality::Good).await;
    let st = d.stats.snapshot();
    assert!(st.timeouts >= 1 && st.connects >= 2, "{st:?}");
    assert!(st.latency_avg_us > 0 && st.latency_max_us >= st.latency_avg_us);
}

#[tokio::test]
async fn pymodbus_clients_read_and_write_the_simulator_over_tcp_and_rtu() {
    let Some(py) = pymodbus_python() else { return };
    let (_sim, port, _stop) = sim_tcp().await;
    let script = r#"
import struct, sys
from pymodbus.client import ModbusTcpClient, ModbusSerialClient
if sys.argv[1] == "tcp":
    c = ModbusTcpClient("127.0.0.1", port=int(sys.argv[2]))
else:
    c = ModbusSerialClient(port=sys.argv[2], baudrate=19200, timeout=2)
assert c.connect()
r = c.read_holding_registers(4, count=8, device_id=4)
name = b"".join(w.to_bytes(2, "big") for w in r.registers).rstrip(b"\0").decode()
r = c.read_holding_registers(4, count=1, device_id=1)
old = r.registers[0]
w = c.write_register(4, 1800, device_id=1)
assert not w.isError(), w
new = c.read_holding_registers(4, count=1, device_id=1).registers[0]
bad = c.write_register(4, 4000, device_id=1)
print(name, old, new, bad.exception_code)
"#;
    let out = tokio::task::spawn_blocking({
        let py = py.clone();
        move || {
            Command::new(&py)
                .args(["-c", script, "tcp", &port.to_string()])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "O1234-FLANGE 1450 1800 3",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // RTU: the simulator on one end of a pty pair, pymodbus on the other.
    if !socat_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_socat, a, b) = pty_pair(dir.path());
    let sim2 = Simulator::new(&SimOptions::default());
    let cancel = CancellationToken::new();
    let _guard = cancel.clone().drop_guard();
    let serve = tokio::spawn(sim::serve_rtu(sim2, a.clone(), 19200, cancel.clone()));
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&py)
            .args(["-c", script, "rtu", &b])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "O1234-FLANGE 1450 1800 3",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cancel.cancel();
    let _ = serve.await;
}

/// A peer that accepts and answers every request with `reply(request)`.
async fn hostile_peer(reply: fn(&[u8]) -> Option<Vec<u8>>) -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 260];
                loop {
                    let n = match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    match reply(&buf[..n]) {
                        Some(r) => {
                            if s.write_all(&r).await.is_err() {
                                return;
                            }
                        }
                        // Close mid-request.
                        None => return,
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn malformed_answers_and_dropped_connections_mark_points_bad_and_the_driver_stays_up() {
    // A read of 2 registers answered with a byte count of 2 (one register) but a frame
    // length that matches: a wrong byte count.
    let short = hostile_peer(|req| {
        let mut r = req[..4].to_vec();
        r.extend([0, 5, req[6], 3, 2, 0, 1]);
        Some(r)
    })
    .await;
    // Random garbage instead of an MBAP header.
    let garbage = hostile_peer(|_| Some(vec![0xde, 0xad, 0xbe, 0xef, 0, 3, 1, 2, 3])).await;
    // Closes the connection on every request.
    let closer = hostile_peer(|_| None).await;
    for (port, what) in [
        (short, "wrong count"),
        (garbage, "garbage"),
        (closer, "closed"),
    ] {
        let mut d = start(json!({
            "name": "bad", "transport": "tcp", "address": format!("127.0.0.1:{port}"),
            "poll_interval_ms": 50, "timeout_ms": 300, "reconnect_min_ms": 20, "reconnect_max_ms": 50,
            "devices": [{"name": "d", "unit": 1, "points": [
                {"name": "v", "area": "holding", "address": 0, "type": "f32"},
            ]}],
        }));
        let s = d.wait("v", |_| true).await;
        assert_eq!(s.quality, Quality::Bad, "{what}: {s:?}");
        assert!(s.value.is_none());
        // Still polling, reconnecting each time.
        d.wait("v", |_| true).await;
        d.wait("v", |_| true).await;
        let st = d.stats.snapshot();
        assert!(st.errors >= 2 && st.connects >= 2, "{what}: {st:?}");
        assert_eq!(st.refused, 0, "{what}: {st:?}");
    }
}

#[tokio::test]
async fn an_unreachable_plc_backs_off_and_reports_not_connected() {
    let port = free_port(); // nothing listens
    let mut d = start(json!({
        "name": "gone", "transport": "tcp", "address": format!("127.0.0.1:{port}"),
        "poll_interval_ms": 20, "reconnect_min_ms": 100, "reconnect_max_ms": 400,
        "devices": [{"name": "d", "unit": 1, "points": [
            {"name": "v", "area": "holding", "address": 0},
        ]}],
    }));
    let s = d.wait("v", |_| true).await;
    assert_eq!(s.quality, Quality::Bad);
    assert!(
        s.reason.as_deref().unwrap().contains("not connected"),
        "{s:?}"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // Polls every 20 ms, but connection attempts back off: 100, 200, 400, 400 … ms.
    let st = d.stats.snapshot();
    assert!(
        (2..=8).contains(&st.transport_errors),
        "connection attempts in 1 s: {st:?}"
    );
    let e = d.write("d", "v", Value::I64(1)).await.unwrap_err();
    assert!(
        matches!(e, DriverError::Invalid(_)),
        "not writable first: {e:?}"
    );
}

#[test]
fn bad_tables_are_refused_with_every_problem_named() {
    let conn: Connection = serde_json::from_value(json!({
        "name": "plc", "transport": "rtu", "serial": {"port": "/dev/ttyS0"},
        "devices": [
            {"name": "d", "unit": 0, "points": [
                {"name": "a", "area": "holding", "address": 10, "type": "f32"},
                {"name": "b", "area": "holding", "address": 11},
                {"name": "a", "area": "input", "address": 0},
                {"name": "c", "area": "discrete", "address": 0, "type": "u16"},
                {"name": "e", "area": "input", "address": 1, "writable": true},
                {"name": "f", "area": "holding", "address": 65535, "type": "u32"},
                {"name": "g", "area": "holding", "address": 20, "type": "bit"},
                {"name": "h", "area": "holding", "address": 30, "type": "string", "length": 200},
                {"name": "9x", "area": "holding", "address": 40},
                {"name": "i", "area": "holding", "address": 41, "min": 5, "max": 1},
                {"name": "j", "area": "input", "address": 5, "write_function": "read_write"},
            ]},
        ],
    }))
    .unwrap();
    let errs = conn.check();
    let text: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
    let want = [
        "an RTU unit must be 1–247, not 0",
        "point `b`: holding 11–11 overlap point `a` (holding 10–11)",
        "point `a`: the name appears twice",
        "its type must be bool, not u16",
        "point `e`: a input point cannot be written",
        "ends at 65536, beyond 65535",
        "type bit needs `bit`",
        "200 registers do not fit one read of at most 125",
        "point `9x`: the name must be a property identifier",
        "min 5 is above max 1",
        "write_function read_write (FC 23) is for holding registers",
    ];
    for w in want {
        assert!(
            text.iter().any(|t| t.contains(w)),
            "missing «{w}» in {text:#?}"
        );
    }
    // Each error names its place in the table.
    let b = errs
        .iter()
        .find(|e| e.message.contains("point `b`"))
        .unwrap();
    assert_eq!((b.device, b.point), (Some(0), Some(1)));
    // Unknown fields are refused when reading the table.
    let e = serde_json::from_value::<Connection>(json!({
        "name": "x", "transport": "tcp", "address": "h:1", "devices": [
            {"name": "d", "points": [{"name": "a", "area": "holding", "address": 0, "scal": 2}]}
        ]
    }))
    .unwrap_err();
    assert!(e.to_string().contains("unknown field `scal`"), "{e}");
}

#[tokio::test]
async fn driver_speaks_rtu_over_tcp_to_pymodbus_and_to_the_simulator() {
    // A serial server's TCP port: RTU frames (with CRC) instead of MBAP headers.
    let sim = Simulator::new(&SimOptions::default());
    let cancel = CancellationToken::new();
    let _guard = cancel.clone().drop_guard();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(sim::serve_rtu_over_tcp(sim, l, cancel.clone()));
    let mut d = start(json!({
        "name": "serial-server", "transport": "rtu_over_tcp", "address": format!("127.0.0.1:{port}"),
        "poll_interval_ms": 100,
        "devices": [{"name": "cnc", "unit": 4, "points": [
            {"name": "program", "area": "holding", "address": 4, "type": "string", "length": 8},
        ]}],
    }));
    d.wait("program", |s| {
        s.value == Some(Value::Str("O1234-FLANGE".into()))
    })
    .await;

    let Some(py) = pymodbus_python() else { return };
    let port = free_port();
    let _server = pymodbus_server(&py, &["rtu-tcp", &port.to_string()]);
    let mut d = start(json!({
        "name": "pymodbus-rtu-tcp", "transport": "rtu_over_tcp", "address": format!("127.0.0.1:{port}"),
        "poll_interval_ms": 100, "max_gap": 10, "timeout_ms": 2000,
        "devices": [{"name": "plc-1", "unit": 1, "points": image_points()}],
    }));
    d.wait("f_abcd", |s| s.quality == Quality::Good).await;
    check_image(&d.batch().await);
    let w = d.write("plc-1", "set_rw", Value::F64(-3.5)).await.unwrap();
    assert_eq!(w.new, Value::F64(-3.5));
}
