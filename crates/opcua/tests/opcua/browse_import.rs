//! Browsing our simulator and importing what was found.

use ironloom_core::thing_model::{AccessMode, DataType, ThingModel};
use ironloom_opcua::browse::{browse, to_properties};
use ironloom_opcua::sim::SIM_VARIABLES;

use crate::support::*;

#[tokio::test]
async fn browse_finds_every_simulated_variable_with_type_range_and_unit() {
    let sim = Sim::start(|_| {}).await;
    let cfg = config(&sim.endpoint(), &sim.dir, vec![]);
    let vars = browse(&cfg, "i=85", 4).await.unwrap();
    let mut paths: Vec<&str> = vars.iter().map(|v| v.browse_path.as_str()).collect();
    paths.sort();
    let mut want: Vec<String> = SIM_VARIABLES
        .iter()
        .map(|v| format!("Objects/{}", v.id.replace('.', "/")))
        .collect();
    want.sort();
    assert_eq!(
        paths, want,
        "properties (EURange …) and the Server object are left out"
    );

    let flow = vars
        .iter()
        .find(|v| v.browse_path == "Objects/Pump1/Flow")
        .unwrap();
    assert_eq!(flow.node_id, "ns=2;s=Pump1.Flow");
    assert_eq!(flow.display_name, "Flow");
    assert_eq!(flow.description.as_deref(), Some("Discharge flow"));
    assert_eq!(flow.opcua_type, "Double");
    assert_eq!((flow.readable, flow.writable), (true, false));
    assert_eq!(flow.unit.as_deref(), Some("m³/h"));
    assert_eq!(flow.range, Some((0.0, 150.0)));
    assert_eq!(
        flow.data_type,
        Some(DataType::Double {
            min: Some(0.0),
            max: Some(150.0),
            step: None,
            unit: Some("m³/h".into()),
            unit_name: None
        })
    );
    let sp = vars
        .iter()
        .find(|v| v.node_id == "ns=2;s=Pump1.SpeedSetpoint")
        .unwrap();
    assert!(sp.writable);
    let parts = vars
        .iter()
        .find(|v| v.node_id == "ns=2;s=CNC1.PartCount")
        .unwrap();
    assert_eq!(parts.opcua_type, "UInt32");
    assert!(
        matches!(parts.data_type, Some(DataType::Int { min: Some(0), max: Some(m), .. }) if m == i64::from(u32::MAX))
    );
    let vib = vars
        .iter()
        .find(|v| v.node_id == "ns=2;s=Motor1.Vibration")
        .unwrap();
    assert_eq!(vib.data_type.as_ref().unwrap().type_name(), "float");

    // One machine only, and a depth that stops above the variables.
    let pump = browse(&cfg, "ns=2;s=Pump1", 1).await.unwrap();
    assert_eq!(pump.len(), 5);
    assert!(
        pump.iter().all(|v| v.browse_path.starts_with("Pump1/")),
        "{pump:?}"
    );
    assert!(browse(&cfg, "i=85", 1).await.unwrap().is_empty());
    let err = browse(&cfg, "ns=2;s=Nowhere", 3)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("ns=2;s=Nowhere"), "{err}");
    sim.server.stop().await;
}

#[tokio::test]
async fn import_gives_a_valid_model_and_a_config_the_driver_runs() {
    let sim = Sim::start(|_| {}).await;
    let cfg = config(&sim.endpoint(), &sim.dir, vec![]);
    let vars = browse(&cfg, "i=85", 4).await.unwrap();
    let (props, nodes) = to_properties(&vars, "plant");
    let mut ids: Vec<&str> = props.iter().map(|p| p.identifier.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "boiler1_pressure",
            "boiler1_temperature",
            "burner_on",
            "feed_rate",
            "flow",
            "level",
            "motor1_temperature",
            "motor_current",
            "part_count",
            "program_name",
            "pump1_pressure",
            "running",
            "speed",
            "speed_setpoint",
            "spindle_speed",
            "temperature_setpoint",
            "tool_wear",
            "torque",
            "vibration",
        ]
    );
    let by_id = |id: &str| props.iter().find(|p| p.identifier == id).unwrap();
    assert_eq!(by_id("speed_setpoint").access, AccessMode::ReadWrite);
    assert_eq!(by_id("flow").access, AccessMode::ReadOnly);
    assert_eq!(by_id("boiler1_temperature").name, "Temperature");
    assert_eq!(by_id("running").data_type.type_name(), "bool");
    assert_eq!(by_id("program_name").data_type.type_name(), "text");
    let model = ThingModel {
        properties: props.clone(),
        ..Default::default()
    };
    model.validate().unwrap();

    // The node list is a working driver configuration.
    assert_eq!(nodes.len(), 19);
    assert!(nodes.iter().all(|n| n.device == "plant"));
    let sp = nodes.iter().find(|n| n.point == "speed_setpoint").unwrap();
    assert_eq!(sp.node_id, "ns=2;s=Pump1.SpeedSetpoint");
    assert!(sp.writable);
    let mut run = cfg.clone();
    run.nodes = nodes;
    run.validate().unwrap();
    let mut d = Driver::start(run);
    let all: Vec<(&str, &str)> = ids.iter().map(|i| ("plant", *i)).collect();
    let got = d.first_good_of(&all).await;
    assert_eq!(got.len(), 19);
    d.stop().await;
    sim.server.stop().await;
}
