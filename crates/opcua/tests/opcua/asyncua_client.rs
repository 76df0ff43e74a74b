//! The asyncua client against our simulator (tests/peers/asyncua_client.py).

use serde_json::Value as Json;

use crate::peers::*;
use crate::support::*;

fn check(out: &str) {
    let v: Json = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["namespace_index"], 2);
    assert_eq!(
        v["machines"],
        serde_json::json!(["Boiler1", "CNC1", "Motor1", "Pump1"])
    );
    assert_eq!(
        v["pump_variables"],
        serde_json::json!([
            "Flow",
            "MotorCurrent",
            "Pressure",
            "Running",
            "SpeedSetpoint"
        ])
    );
    let flow = v["flow"].as_f64().unwrap();
    assert!((60.0..110.0).contains(&flow), "{flow}");
    assert_eq!(v["flow_range"], serde_json::json!([0.0, 150.0]));
    assert_eq!(v["setpoint_before"], 60.0);
    assert_eq!(v["setpoint_after"], 80.0);
    assert_ne!(v["flow_write"], "accepted", "a measured value is read-only");
    let speeds = v["speed_notifications"].as_array().unwrap();
    assert_eq!(speeds.len(), 3);
    for s in speeds {
        assert!((1465.0..1490.0).contains(&s.as_f64().unwrap()), "{s}");
    }
}

#[tokio::test]
async fn asyncua_client_browses_reads_writes_and_subscribes() {
    let Some(py) = python_or_skip("asyncua_client_browses_reads_writes_and_subscribes") else {
        return;
    };
    let sim = Sim::start(|_| {}).await;
    let out = run_script(py, "asyncua_client.py", &[&sim.endpoint()]).await;
    check(&out);
    sim.server.stop().await;
}

#[tokio::test]
async fn asyncua_client_with_basic256sha256_and_a_password() {
    let Some(py) = python_or_skip("asyncua_client_with_basic256sha256_and_a_password") else {
        return;
    };
    let sim = Sim::start(|o| {
        o.anonymous = false;
        o.user = Some(ironloom_opcua::sim::SimUser {
            username: "viewer".into(),
            password: "l00k".into(),
        });
    })
    .await;
    let pki = sim.dir.path().join("asyncua-pki");
    let out = run_script(
        py,
        "asyncua_client.py",
        &[
            &sim.endpoint(),
            "--user",
            "viewer:l00k",
            "--pki",
            pki.to_str().unwrap(),
        ],
    )
    .await;
    check(&out);
    sim.server.stop().await;
}
