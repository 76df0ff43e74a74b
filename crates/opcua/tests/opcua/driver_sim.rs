//! Our driver against our simulator.

use std::time::Duration;

use ironloom_drivers::DriverError;
use ironloom_drivers::model::{Quality, Value};
use ironloom_opcua::config::Deadband;

use crate::support::*;

#[tokio::test]
async fn subscribes_and_reports_moving_values_with_source_time() {
    let sim = Sim::start(|_| {}).await;
    let nodes = vec![
        node("pump1", "flow", "ns=2;s=Pump1.Flow"),
        node("pump1", "running", "ns=2;s=Pump1.Running"),
        node("motor1", "speed", "ns=2;s=Motor1.Speed"),
        node("motor1", "vibration", "ns=2;s=Motor1.Vibration"),
        node("cnc1", "parts", "ns=2;s=CNC1.PartCount"),
        node("cnc1", "program", "ns=2;s=CNC1.ProgramName"),
    ];
    let mut d = Driver::start(config(&sim.endpoint(), &sim.dir, nodes));
    let started = ironloom_opcua::convert::now_ms();
    let first = d
        .first_good_of(&[
            ("pump1", "running"),
            ("cnc1", "parts"),
            ("cnc1", "program"),
            ("motor1", "vibration"),
        ])
        .await;
    let get = |d: &str, p: &str| first[&(d.to_string(), p.to_string())].clone();
    assert_eq!(get("pump1", "running").value, Some(Value::Bool(true)));
    let parts = get("cnc1", "parts");
    assert!(
        matches!(parts.value, Some(Value::I64(n)) if n >= 1250),
        "{parts:?}"
    );
    assert_eq!(
        get("cnc1", "program").value,
        Some(Value::Str("O1001_BRACKET".into()))
    );
    let vib = get("motor1", "vibration");
    assert!((1.0..5.0).contains(&f64_of(&vib)), "{vib:?}");
    let first = d
        .until("motor1/speed", |s| good(s, "motor1", "speed"))
        .await;
    let second = d
        .until("a changed motor1/speed", |s| {
            good(s, "motor1", "speed") && s.value != first.value
        })
        .await;
    assert!((1465.0..1490.0).contains(&f64_of(&second)));
    // The simulator's source time, not ours: close to now, and moving forward.
    assert!((first.ts_ms - started).abs() < 10_000, "{first:?}");
    assert!(second.ts_ms > first.ts_ms);
    let flow = d.until("pump1/flow", |s| good(s, "pump1", "flow")).await;
    assert!((70.0..100.0).contains(&f64_of(&flow)), "{flow:?}");
    let st = d.stats.snapshot();
    assert_eq!(st.connects, 1);
    assert!(st.points_read >= 7 && st.requests >= 2, "{st:?}");
    d.stop().await;
    sim.server.stop().await;
}

#[tokio::test]
async fn polls_at_the_sampling_interval() {
    let sim = Sim::start(|_| {}).await;
    let nodes = vec![
        poll("boiler1", "temperature", "ns=2;s=Boiler1.Temperature", 100),
        poll("boiler1", "burner", "ns=2;s=Boiler1.BurnerOn", 100),
    ];
    let mut d = Driver::start(config(&sim.endpoint(), &sim.dir, nodes));
    d.until("first poll", |s| good(s, "boiler1", "temperature"))
        .await;
    let got = d.collect(Duration::from_millis(1000)).await;
    let temps: Vec<_> = got
        .iter()
        .filter(|s| good(s, "boiler1", "temperature"))
        .collect();
    // 10 reads a second; a loaded machine may lose a few.
    assert!(
        (4..=13).contains(&temps.len()),
        "{} polls in 1 s",
        temps.len()
    );
    // One Read per cycle covers the whole group (`until` above left the first cycle's
    // burner sample for `collect`).
    let burners = got.iter().filter(|s| good(s, "boiler1", "burner")).count();
    assert!(
        burners.abs_diff(temps.len()) <= 1,
        "{burners} vs {}",
        temps.len()
    );
    assert!(temps.windows(2).all(|w| w[1].ts_ms >= w[0].ts_ms));
    assert!(temps.iter().all(|s| (100.0..140.0).contains(&f64_of(s))));
    let st = d.stats.snapshot();
    assert!(
        st.requests >= 6 && st.errors == 0 && st.latency_max_us > 0,
        "{st:?}"
    );
    d.stop().await;
    sim.server.stop().await;
}

#[tokio::test]
async fn write_answers_old_and_new_value_and_moves_the_plant() {
    let sim = Sim::start(|_| {}).await;
    let mut sp = node("pump1", "speed_setpoint", "ns=2;s=Pump1.SpeedSetpoint");
    sp.writable = true;
    let mut running = node("pump1", "running", "ns=2;s=Pump1.Running");
    running.writable = true;
    let mut parts = poll("cnc1", "parts", "ns=2;s=CNC1.PartCount", 200);
    parts.writable = true;
    let nodes = vec![
        sp,
        running,
        parts,
        node("pump1", "flow", "ns=2;s=Pump1.Flow"),
    ];
    let mut d = Driver::start(config(&sim.endpoint(), &sim.dir, nodes));
    d.until("flow", |s| good(s, "pump1", "flow")).await;

    let done = d
        .write("pump1", "speed_setpoint", Value::I64(90))
        .await
        .unwrap();
    assert_eq!(done.old, Some(Value::F64(60.0)));
    assert_eq!(done.new, Value::F64(90.0));
    d.until("the setpoint's change notification", |s| {
        good(s, "pump1", "speed_setpoint") && s.value == Some(Value::F64(90.0))
    })
    .await;
    // 140 m³/h at full speed: about 126 at 90 %, reached within a few lag times.
    d.until("flow above 115", |s| {
        good(s, "pump1", "flow") && f64_of(s) > 115.0
    })
    .await;

    let done = d.write("cnc1", "parts", Value::I64(0)).await.unwrap();
    assert!(
        matches!(done.old, Some(Value::I64(n)) if n >= 1250),
        "{done:?}"
    );
    assert!(matches!(done.new, Value::I64(n) if n <= 1), "{done:?}");

    let done = d
        .write("pump1", "running", Value::Bool(false))
        .await
        .unwrap();
    assert_eq!(
        (done.old, done.new),
        (Some(Value::Bool(true)), Value::Bool(false))
    );
    // Stopped: the drive runs down (from about 126 m³/h).
    d.until("flow falling", |s| {
        good(s, "pump1", "flow") && f64_of(s) < 40.0
    })
    .await;
    assert_eq!(d.stats.snapshot().writes, 3);
    d.stop().await;
    sim.server.stop().await;
}

#[tokio::test]
async fn writes_that_do_not_fit_are_invalid() {
    let sim = Sim::start(|_| {}).await;
    let mut sp = node("pump1", "speed_setpoint", "ns=2;s=Pump1.SpeedSetpoint");
    sp.writable = true;
    let mut parts = node("cnc1", "parts", "ns=2;s=CNC1.PartCount");
    parts.writable = true;
    let nodes = vec![sp, parts, node("pump1", "flow", "ns=2;s=Pump1.Flow")];
    let mut d = Driver::start(config(&sim.endpoint(), &sim.dir, nodes));
    d.until("flow", |s| good(s, "pump1", "flow")).await;
    let invalid = |r: Result<_, DriverError>| match r {
        Err(DriverError::Invalid(m)) => m,
        other => panic!("expected Invalid, got {other:?}"),
    };
    let m = invalid(
        d.write("pump1", "speed_setpoint", Value::Str("fast".into()))
            .await,
    );
    assert!(m.contains("Double"), "{m}");
    let m = invalid(d.write("cnc1", "parts", Value::I64(-1)).await);
    assert!(m.contains("UInt32"), "{m}");
    invalid(d.write("cnc1", "parts", Value::F64(2.5)).await);
    let m = invalid(d.write("pump1", "flow", Value::F64(1.0)).await);
    assert!(m.contains("not writable"), "{m}");
    let m = invalid(d.write("pump9", "flow", Value::F64(1.0)).await);
    assert!(m.contains("pump9/flow"), "{m}");
    // Nothing was written.
    assert_eq!(d.stats.snapshot().writes, 0);
    let done = d
        .write("pump1", "speed_setpoint", Value::F64(55.5))
        .await
        .unwrap();
    assert_eq!(done.new, Value::F64(55.5));
    d.stop().await;
    sim.server.stop().await;
}

#[tokio::test]
async fn deadband_suppresses_small_changes() {
    let sim = Sim::start(|_| {}).await;
    let mut wide = node("boiler1", "level_db", "ns=2;s=Boiler1.Level");
    wide.deadband = Some(Deadband::Absolute(8.0));
    let mut pct = node("pump1", "flow_pct", "ns=2;s=Pump1.Flow");
    // 10 % of the 0..150 EURange: 15 m³/h, far above the noise.
    pct.deadband = Some(Deadband::Percent(10.0));
    let mut sp = node("pump1", "speed_setpoint", "ns=2;s=Pump1.SpeedSetpoint");
    sp.writable = true;
    let nodes = vec![
        node("boiler1", "level", "ns=2;s=Boiler1.Level"),
        wide,
        pct,
        sp,
    ];
    let mut d = Driver::start(config(&sim.endpoint(), &sim.dir, nodes));
    d.first_good_of(&[("boiler1", "level_db"), ("pump1", "flow_pct")])
        .await;
    let got = d.collect(Duration::from_millis(1500)).await;
    let count = |p: &str| got.iter().filter(|s| s.point.as_ref() == p).count();
    assert!(
        count("level") >= 5,
        "without a deadband the noise shows: {}",
        count("level")
    );
    assert_eq!(count("level_db"), 0, "an 8 % deadband hides noise of 0.2 %");
    assert_eq!(count("flow_pct"), 0, "a 10 % deadband hides flow noise");
    // A real change passes the percent deadband.
    d.write("pump1", "speed_setpoint", Value::F64(95.0))
        .await
        .unwrap();
    let s = d
        .until("flow_pct after the setpoint change", |s| {
            good(s, "pump1", "flow_pct")
        })
        .await;
    assert!(f64_of(&s) > 95.0, "{s:?}");
    d.stop().await;
    sim.server.stop().await;
}

#[tokio::test]
async fn unknown_nodes_give_bad_samples_with_the_status_name() {
    let sim = Sim::start(|_| {}).await;
    let nodes = vec![
        node("pump1", "ghost", "ns=2;s=Pump1.Ghost"),
        poll("pump1", "ghost_polled", "ns=2;s=Pump1.Ghost", 100),
        node("pump1", "flow", "ns=2;s=Pump1.Flow"),
    ];
    let mut d = Driver::start(config(&sim.endpoint(), &sim.dir, nodes));
    let got = d
        .each(
            "ghosts and flow",
            &[
                &|s| is(s, "pump1", "ghost"),
                &|s| is(s, "pump1", "ghost_polled"),
                &|s| good(s, "pump1", "flow"),
            ],
        )
        .await;
    for s in &got[..2] {
        assert_eq!((s.quality, s.value.clone()), (Quality::Bad, None));
        assert_eq!(s.reason.as_deref(), Some("BadNodeIdUnknown"));
    }
    d.stop().await;
    sim.server.stop().await;
}

#[tokio::test]
async fn reconnects_after_the_server_restarts_on_the_same_port() {
    let sim = Sim::start(|_| {}).await;
    let addr = sim.server.addr();
    let endpoint = sim.endpoint();
    let mut sp = node("pump1", "speed_setpoint", "ns=2;s=Pump1.SpeedSetpoint");
    sp.writable = true;
    let nodes = vec![node("pump1", "flow", "ns=2;s=Pump1.Flow"), sp];
    let mut d = Driver::start(config(&endpoint, &sim.dir, nodes));
    d.until("flow", |s| good(s, "pump1", "flow")).await;

    let Sim { server, dir } = sim;
    server.stop().await;
    let down = d
        .each(
            "not connected",
            &[
                &|s| is(s, "pump1", "flow") && s.quality == Quality::Bad,
                &|s| is(s, "pump1", "speed_setpoint") && s.quality == Quality::Bad,
            ],
        )
        .await;
    for s in down {
        let reason = s.reason.unwrap();
        assert!(reason.starts_with("not connected: "), "{reason}");
    }
    assert_eq!(
        d.write("pump1", "speed_setpoint", Value::F64(70.0)).await,
        Err(DriverError::NotConnected)
    );

    // Same port, same server certificate.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let opts = ironloom_opcua::sim::SimOptions {
        pki_dir: dir.path().join("pki"),
        tick: Duration::from_millis(50),
        ..Default::default()
    };
    let server = ironloom_opcua::sim::serve_sim(listener, opts)
        .await
        .unwrap();
    d.until("flow again", |s| good(s, "pump1", "flow")).await;
    let done = d
        .write("pump1", "speed_setpoint", Value::F64(70.0))
        .await
        .unwrap();
    assert_eq!(done.new, Value::F64(70.0));
    assert_eq!(d.stats.snapshot().connects, 2);
    d.stop().await;
    server.stop().await;
}

fn secure(sim: &Sim) -> ironloom_opcua::config::OpcUaConfig {
    let mut c = config(
        &sim.endpoint(),
        &sim.dir,
        vec![node("pump1", "flow", "ns=2;s=Pump1.Flow")],
    );
    c.security = ironloom_opcua::config::Security::Basic256Sha256;
    c.auth = ironloom_opcua::config::Auth::UserName {
        username: "operator".into(),
        password: "s3cret".into(),
    };
    c
}

fn with_user(o: &mut ironloom_opcua::sim::SimOptions) {
    o.anonymous = false;
    o.user = Some(ironloom_opcua::sim::SimUser {
        username: "operator".into(),
        password: "s3cret".into(),
    });
}

#[tokio::test]
async fn basic256sha256_with_a_password_against_the_simulator() {
    let sim = Sim::start(with_user).await;

    // An unknown server certificate is refused unless trusted explicitly, and kept for
    // the operator to inspect.
    let mut d = Driver::start(secure(&sim));
    let s = d.until("refused", |s| is(s, "pump1", "flow")).await;
    let reason = s.reason.unwrap();
    assert!(reason.contains("BadCertificateUntrusted"), "{reason}");
    d.stop().await;
    let pki = sim.dir.path().join("client-pki");
    let rejected: Vec<_> = std::fs::read_dir(pki.join("rejected"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(rejected.len(), 1);

    // The operator moves it to trusted/.
    let cert = &rejected[0];
    std::fs::rename(cert, pki.join("trusted").join(cert.file_name().unwrap())).unwrap();
    let mut d = Driver::start(secure(&sim));
    d.until("flow over the encrypted channel", |s| {
        good(s, "pump1", "flow")
    })
    .await;
    d.stop().await;

    // Or trusts on first use, with the option.
    let fresh = tempfile::tempdir().unwrap();
    let mut cfg = secure(&sim);
    cfg.pki_dir = fresh.path().to_path_buf();
    cfg.trust_server_certificate = true;
    let mut d = Driver::start(cfg);
    d.until("flow, trusted on first use", |s| good(s, "pump1", "flow"))
        .await;
    d.stop().await;
    assert_eq!(
        std::fs::read_dir(fresh.path().join("trusted"))
            .unwrap()
            .count(),
        1
    );

    // A wrong password is refused.
    let mut cfg = secure(&sim);
    cfg.auth = ironloom_opcua::config::Auth::UserName {
        username: "operator".into(),
        password: "wrong".into(),
    };
    let mut d = Driver::start(cfg);
    let s = d.until("bad password", |s| is(s, "pump1", "flow")).await;
    assert_eq!(s.quality, Quality::Bad);
    let reason = s.reason.unwrap();
    assert!(
        reason.starts_with("not connected: ") && reason.contains("Bad"),
        "{reason}"
    );
    d.stop().await;

    // Anonymous is not offered.
    let mut cfg = secure(&sim);
    cfg.auth = ironloom_opcua::config::Auth::Anonymous;
    let mut d = Driver::start(cfg);
    let s = d
        .until("anonymous refused", |s| is(s, "pump1", "flow"))
        .await;
    assert_eq!(s.quality, Quality::Bad);
    d.stop().await;
    sim.server.stop().await;
}
