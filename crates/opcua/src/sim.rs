//! An OPC UA server with four simulated machines (a pump, a motor, a boiler and a CNC
//! machine) whose values move like a plant's: first-order lags, load cycles, machining
//! cycles and a little measurement noise. Writable setpoints feed back into the dynamics.
//! Used by `ironloom sim opcua` and by the tests.
//!
//! Every variable has a stable string node id in namespace `urn:ironloom:sim` (index 2):
//! `ns=2;s=<Machine>.<Variable>`, listed in [`SIM_VARIABLES`]. Analog variables carry the
//! standard `EURange` and `EngineeringUnits` properties, so percent deadbands work and an
//! importer can learn ranges and units.

use std::f64::consts::PI;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opcua::crypto::SecurityPolicy;
use opcua::server::address_space::{AddressSpace, ObjectBuilder, VariableBuilder};
use opcua::server::diagnostics::NamespaceMetadata;
use opcua::server::node_manager::memory::{SimpleNodeManager, simple_node_manager};
use opcua::server::{ANONYMOUS_USER_TOKEN_ID, ServerBuilder, ServerHandle, ServerUserToken};
use opcua::types::{
    DataTypeId, DataValue, DateTime, EUInformation, ExtensionObject, LocalizedText,
    MessageSecurityMode, NodeId, NumericRange, ObjectId, ObjectTypeId, QualifiedName, Range,
    TimestampsToReturn, VariableTypeId, Variant,
};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::error::OpcUaError;

/// The simulator's namespace URI; the server registers it at index 2.
pub const SIM_NAMESPACE: &str = "urn:ironloom:sim";
/// The application URI in the simulator's certificate.
pub const SIM_APPLICATION_URI: &str = "urn:ironloom:sim:server";

/// How the simulator runs.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The host name put in the endpoint URLs the server advertises.
    pub host: String,
    /// Where the server keeps its certificate and key (created on first start) and the
    /// client certificates it saw. Every client certificate is trusted: this is a test
    /// server.
    pub pki_dir: PathBuf,
    /// How often the process values move.
    pub tick: Duration,
    /// Whether the anonymous identity is accepted.
    pub anonymous: bool,
    /// The one user/password identity accepted, if any.
    pub user: Option<SimUser>,
    /// Seed of the measurement noise, for reproducible runs.
    pub seed: u64,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SimUser {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SimUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimUser")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            host: "127.0.0.1".into(),
            pki_dir: PathBuf::from("opcua-sim-pki"),
            tick: Duration::from_millis(100),
            anonymous: true,
            user: None,
            seed: 0x1d0c_0a7e,
        }
    }
}

/// A running simulator.
pub struct SimServer {
    addr: SocketAddr,
    host: String,
    handle: ServerHandle,
    server: JoinHandle<Result<(), String>>,
    plant: JoinHandle<()>,
}

impl std::fmt::Debug for SimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `opc.tcp://<host>:<port>/`, the URL clients connect to.
    pub fn endpoint_url(&self) -> String {
        format!("opc.tcp://{}:{}/", self.host, self.addr.port())
    }

    /// The server's shutdown token: cancelling it stops the server.
    pub fn token(&self) -> CancellationToken {
        self.handle.token().clone()
    }

    /// Stops the server (closing every session) and waits until it has.
    pub async fn stop(self) {
        self.handle.cancel();
        let _ = self.server.await;
        let _ = self.plant.await;
    }
}

/// Starts the simulator on `listener`; it runs until stopped through the returned
/// handle.
pub async fn serve_sim(
    listener: TcpListener,
    options: SimOptions,
) -> Result<SimServer, OpcUaError> {
    let addr = listener
        .local_addr()
        .map_err(|e| OpcUaError::BindListener {
            addr: "listener".into(),
            source: e,
        })?;
    let mut tokens: Vec<&str> = Vec::new();
    if options.anonymous {
        tokens.push(ANONYMOUS_USER_TOKEN_ID);
    }
    let mut builder = ServerBuilder::new()
        .application_name("Ironloom OPC UA simulator")
        .application_uri(SIM_APPLICATION_URI)
        .product_uri("urn:ironloom")
        .create_sample_keypair(true)
        .pki_dir(&options.pki_dir)
        .trust_client_certs(true)
        .host(options.host.clone())
        .port(addr.port())
        .discovery_urls(vec![format!("opc.tcp://{}:{}/", options.host, addr.port())])
        .with_node_manager(simple_node_manager(
            NamespaceMetadata {
                namespace_uri: SIM_NAMESPACE.into(),
                ..Default::default()
            },
            "ironloom-sim",
        ));
    if let Some(u) = &options.user {
        builder = builder.add_user_token(
            "user",
            ServerUserToken::user_pass(u.username.as_str(), u.password.as_str()),
        );
        tokens.push("user");
    }
    if tokens.is_empty() {
        return Err(OpcUaError::BuildServer(
            "allow anonymous access or configure a user".into(),
        ));
    }
    let builder = builder
        .add_endpoint(
            "none",
            (
                "/",
                SecurityPolicy::None,
                MessageSecurityMode::None,
                &tokens as &[&str],
            ),
        )
        .add_endpoint(
            "basic256sha256",
            (
                "/",
                SecurityPolicy::Basic256Sha256,
                MessageSecurityMode::SignAndEncrypt,
                &tokens as &[&str],
            ),
        );
    let (server, handle) = builder.build().map_err(OpcUaError::BuildServer)?;
    let nm = handle
        .node_managers()
        .get_of_type::<SimpleNodeManager>()
        .ok_or_else(|| OpcUaError::BuildServer("simulator node manager missing".into()))?;
    let ns = handle
        .get_namespace_index(SIM_NAMESPACE)
        .ok_or_else(|| OpcUaError::BuildServer("simulator namespace missing".into()))?;
    {
        let mut space = nm.address_space().write();
        build_address_space(&mut space, ns);
    }
    let server = tokio::spawn(server.run_with(listener));
    let plant = tokio::spawn(run_plant(
        nm,
        handle.clone(),
        ns,
        options.tick,
        options.seed,
    ));
    info!(%addr, namespace = ns, "OPC UA simulator listening");
    Ok(SimServer {
        addr,
        host: options.host,
        handle,
        server,
        plant,
    })
}

/// Binds `addr` and runs the simulator until `cancel` fires (for `ironloom sim opcua`).
pub async fn run_sim(
    addr: SocketAddr,
    options: SimOptions,
    cancel: CancellationToken,
) -> Result<(), OpcUaError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| OpcUaError::BindListener {
            addr: addr.to_string(),
            source: e,
        })?;
    let sim = serve_sim(listener, options).await?;
    info!(endpoint = %sim.endpoint_url(), "OPC UA simulator running");
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = sim.handle.token().cancelled() => {}
    }
    sim.stop().await;
    Ok(())
}

/// One simulated variable: its node id suffix (`Pump1.Flow`), type, unit (display form
/// and UNECE code) and range, and whether clients may write it.
#[derive(Debug, Clone, Copy)]
pub struct SimVariable {
    pub id: &'static str,
    pub kind: SimKind,
    pub unit: Option<(&'static str, &'static str)>,
    pub range: Option<(f64, f64)>,
    pub writable: bool,
    pub description: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimKind {
    Double,
    Float,
    Boolean,
    UInt32,
    String,
}

/// The machines (objects under `Objects`) and their descriptions.
pub const SIM_MACHINES: [(&str, &str); 4] = [
    ("Pump1", "Centrifugal pump with a variable-speed drive"),
    (
        "Motor1",
        "Induction motor driving a conveyor under a cycling load",
    ),
    ("Boiler1", "Steam boiler with a modulating burner"),
    ("CNC1", "CNC milling machine producing brackets"),
];

/// A value the plant produces; clients may only read it.
const fn measured(
    id: &'static str,
    kind: SimKind,
    unit: Option<(&'static str, &'static str)>,
    range: Option<(f64, f64)>,
    description: &'static str,
) -> SimVariable {
    SimVariable {
        id,
        kind,
        unit,
        range,
        writable: false,
        description,
    }
}

/// A value clients may write (a setpoint or command).
const fn setpoint(
    id: &'static str,
    kind: SimKind,
    unit: Option<(&'static str, &'static str)>,
    range: Option<(f64, f64)>,
    description: &'static str,
) -> SimVariable {
    SimVariable {
        writable: true,
        ..measured(id, kind, unit, range, description)
    }
}

use SimKind::{Boolean, Double, Float, String as Text, UInt32};

/// Every simulated variable, by machine.
// One row per variable reads as a table; rustfmt would spread each over eight lines.
#[rustfmt::skip]
pub const SIM_VARIABLES: [SimVariable; 19] = [
    measured("Pump1.Flow", Double, Some(("m³/h", "MQH")), Some((0.0, 150.0)), "Discharge flow"),
    measured("Pump1.Pressure", Double, Some(("bar", "BAR")), Some((0.0, 10.0)), "Discharge pressure"),
    setpoint("Pump1.SpeedSetpoint", Double, Some(("%", "P1")), Some((0.0, 100.0)), "Drive speed setpoint"),
    setpoint("Pump1.Running", Boolean, None, None, "Drive running; write false to stop the pump"),
    measured("Pump1.MotorCurrent", Double, Some(("A", "AMP")), Some((0.0, 50.0)), "Drive motor current"),
    measured("Motor1.Speed", Double, Some(("r/min", "RPM")), Some((0.0, 1800.0)), "Shaft speed"),
    measured("Motor1.Torque", Double, Some(("N·m", "NU")), Some((0.0, 300.0)), "Shaft torque"),
    measured("Motor1.Temperature", Double, Some(("°C", "CEL")), Some((0.0, 150.0)), "Winding temperature"),
    measured("Motor1.Vibration", Float, Some(("mm/s", "C16")), Some((0.0, 20.0)), "Bearing vibration velocity (RMS)"),
    measured("Boiler1.Temperature", Double, Some(("°C", "CEL")), Some((0.0, 250.0)), "Water temperature"),
    setpoint("Boiler1.TemperatureSetpoint", Double, Some(("°C", "CEL")), Some((20.0, 200.0)), "Water temperature setpoint"),
    measured("Boiler1.Pressure", Double, Some(("bar", "BAR")), Some((0.0, 16.0)), "Steam pressure (gauge)"),
    measured("Boiler1.Level", Double, Some(("%", "P1")), Some((0.0, 100.0)), "Drum water level"),
    measured("Boiler1.BurnerOn", Boolean, None, None, "Burner firing"),
    measured("CNC1.SpindleSpeed", Double, Some(("r/min", "RPM")), Some((0.0, 12000.0)), "Spindle speed"),
    measured("CNC1.FeedRate", Double, Some(("mm/min", "H81")), Some((0.0, 5000.0)), "Feed rate"),
    setpoint("CNC1.ProgramName", Text, None, None, "Active part program"),
    setpoint("CNC1.PartCount", UInt32, None, None, "Parts produced; write 0 to reset"),
    measured("CNC1.ToolWear", Double, Some(("%", "P1")), Some((0.0, 100.0)), "Wear of the active tool; 100 % triggers a tool change"),
];

/// The UNECE unit code as the OPC UA `unitId` (Part 8: the code's characters, 8 bits each).
fn unece_unit_id(code: &str) -> i32 {
    code.bytes().fold(0i32, |id, b| (id << 8) | i32::from(b))
}

fn build_address_space(space: &mut AddressSpace, ns: u16) {
    for (machine, description) in SIM_MACHINES {
        ObjectBuilder::new(
            &NodeId::new(ns, machine),
            QualifiedName::new(ns, machine),
            machine,
        )
        .description(description)
        .organized_by(ObjectId::ObjectsFolder)
        .has_type_definition(ObjectTypeId::BaseObjectType)
        .insert(space);
    }
    let plant = Plant::new(0);
    for v in SIM_VARIABLES {
        let (machine, name) = v.id.split_once('.').unwrap_or(("", v.id));
        let id = NodeId::new(ns, v.id);
        let data_type = match v.kind {
            SimKind::Double => DataTypeId::Double,
            SimKind::Float => DataTypeId::Float,
            SimKind::Boolean => DataTypeId::Boolean,
            SimKind::UInt32 => DataTypeId::UInt32,
            SimKind::String => DataTypeId::String,
        };
        let analog = v.range.is_some();
        let mut b = VariableBuilder::new(&id, QualifiedName::new(ns, name), name)
            .description(v.description)
            .data_type(data_type)
            .value(plant.initial(v.id))
            .component_of(NodeId::new(ns, machine))
            .has_type_definition(if analog {
                VariableTypeId::AnalogItemType
            } else {
                VariableTypeId::BaseDataVariableType
            });
        if v.writable {
            b = b.writable();
        }
        b.insert(space);
        if let Some((low, high)) = v.range {
            VariableBuilder::new(
                &NodeId::new(ns, format!("{}.EURange", v.id)),
                "EURange",
                "EURange",
            )
            .data_type(DataTypeId::Range)
            .value(ExtensionObject::from_message(Range { low, high }))
            .property_of(id.clone())
            .has_type_definition(VariableTypeId::PropertyType)
            .insert(space);
        }
        if let Some((display, code)) = v.unit {
            let eu = EUInformation {
                namespace_uri: "http://www.opcfoundation.org/UA/units/un/cefact".into(),
                unit_id: unece_unit_id(code),
                display_name: LocalizedText::new("", display),
                description: LocalizedText::new("", display),
            };
            VariableBuilder::new(
                &NodeId::new(ns, format!("{}.EngineeringUnits", v.id)),
                "EngineeringUnits",
                "EngineeringUnits",
            )
            .data_type(DataTypeId::EUInformation)
            .value(ExtensionObject::from_message(eu))
            .property_of(id.clone())
            .has_type_definition(VariableTypeId::PropertyType)
            .insert(space);
        }
    }
}

/// Moves the plant every `tick` until the server stops.
async fn run_plant(
    nm: Arc<SimpleNodeManager>,
    handle: ServerHandle,
    ns: u16,
    tick: Duration,
    seed: u64,
) {
    let mut plant = Plant::new(seed);
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = Instant::now();
    let token = handle.token().clone();
    let subscriptions = handle.subscriptions().clone();
    let ids: Vec<NodeId> = SIM_VARIABLES
        .iter()
        .map(|v| NodeId::new(ns, v.id))
        .collect();
    loop {
        tokio::select! {
            _ = token.cancelled() => return,
            _ = interval.tick() => {}
        }
        let now = Instant::now();
        // Bounded so a stalled runtime does not make the plant jump.
        let dt = now.duration_since(last).as_secs_f64().min(1.0);
        last = now;
        let inputs = {
            let space = nm.address_space().read();
            let get = |name: &str| -> Option<Variant> {
                let i = SIM_VARIABLES.iter().position(|v| v.id == name)?;
                match space.find(&ids[i])? {
                    opcua::server::address_space::NodeType::Variable(v) => {
                        v.value(
                            TimestampsToReturn::Neither,
                            &NumericRange::None,
                            &Default::default(),
                            0.0,
                        )
                        .value
                    }
                    _ => None,
                }
            };
            Inputs {
                speed_setpoint: get("Pump1.SpeedSetpoint").and_then(|v| v.as_f64()),
                running: match get("Pump1.Running") {
                    Some(Variant::Boolean(b)) => Some(b),
                    _ => None,
                },
                boiler_setpoint: get("Boiler1.TemperatureSetpoint").and_then(|v| v.as_f64()),
                part_count: match get("CNC1.PartCount") {
                    Some(Variant::UInt32(n)) => Some(n),
                    _ => None,
                },
            }
        };
        plant.step(dt, &inputs);
        let t = DateTime::now();
        let updates: Vec<(&NodeId, Option<&NumericRange>, DataValue)> = SIM_VARIABLES
            .iter()
            .zip(&ids)
            // Writable nodes belong to the clients, except the part counter, which the
            // machine counts up.
            .filter(|(v, _)| !v.writable || v.id == "CNC1.PartCount")
            .map(|(v, id)| (id, None, DataValue::new_at(plant.value(v.id), t)))
            .collect();
        if let Err(e) = nm.set_values(&subscriptions, updates.into_iter()) {
            warn!(status = %e, "simulator could not update its values");
        }
    }
}

/// What clients may have written since the last step.
#[derive(Debug, Default)]
struct Inputs {
    speed_setpoint: Option<f64>,
    running: Option<bool>,
    boiler_setpoint: Option<f64>,
    part_count: Option<u32>,
}

/// The state of the four machines.
#[derive(Debug)]
struct Plant {
    rng: Rng,
    t: f64,
    // Pump
    pump_setpoint: f64,
    pump_running: bool,
    pump_speed: f64,
    pump_flow: f64,
    pump_pressure: f64,
    pump_current: f64,
    // Motor
    motor_load_walk: f64,
    motor_speed: f64,
    motor_torque: f64,
    motor_temperature: f64,
    motor_vibration: f32,
    // Boiler
    boiler_setpoint: f64,
    boiler_temperature: f64,
    boiler_pressure: f64,
    boiler_level: f64,
    burner_on: bool,
    // CNC
    cnc_cycle: f64,
    cnc_spindle: f64,
    cnc_feed: f64,
    cnc_parts: u32,
    cnc_tool_wear: f64,
}

/// Seconds one part takes on the CNC machine: loading, cutting, unloading.
const CNC_CYCLE_S: f64 = 6.0;

impl Plant {
    fn new(seed: u64) -> Plant {
        let mut p = Plant {
            rng: Rng::new(seed),
            t: 0.0,
            pump_setpoint: 60.0,
            pump_running: true,
            pump_speed: 60.0,
            pump_flow: 0.0,
            pump_pressure: 0.0,
            pump_current: 0.0,
            motor_load_walk: 0.0,
            motor_speed: 1476.0,
            motor_torque: 120.0,
            motor_temperature: 62.0,
            motor_vibration: 2.5,
            boiler_setpoint: 120.0,
            boiler_temperature: 118.0,
            boiler_pressure: 0.9,
            boiler_level: 55.0,
            burner_on: true,
            cnc_cycle: 1.0,
            cnc_spindle: 8000.0,
            cnc_feed: 1200.0,
            cnc_parts: 1250,
            cnc_tool_wear: 37.0,
        };
        p.step(0.0, &Inputs::default());
        p
    }

    fn initial(&self, id: &str) -> Variant {
        match id {
            "Pump1.SpeedSetpoint" => Variant::Double(self.pump_setpoint),
            "Pump1.Running" => Variant::Boolean(self.pump_running),
            "Boiler1.TemperatureSetpoint" => Variant::Double(self.boiler_setpoint),
            "CNC1.ProgramName" => Variant::String("O1001_BRACKET".into()),
            other => self.value(other),
        }
    }

    fn value(&self, id: &str) -> Variant {
        match id {
            "Pump1.Flow" => Variant::Double(self.pump_flow),
            "Pump1.Pressure" => Variant::Double(self.pump_pressure),
            "Pump1.MotorCurrent" => Variant::Double(self.pump_current),
            "Motor1.Speed" => Variant::Double(self.motor_speed),
            "Motor1.Torque" => Variant::Double(self.motor_torque),
            "Motor1.Temperature" => Variant::Double(self.motor_temperature),
            "Motor1.Vibration" => Variant::Float(self.motor_vibration),
            "Boiler1.Temperature" => Variant::Double(self.boiler_temperature),
            "Boiler1.Pressure" => Variant::Double(self.boiler_pressure),
            "Boiler1.Level" => Variant::Double(self.boiler_level),
            "Boiler1.BurnerOn" => Variant::Boolean(self.burner_on),
            "CNC1.SpindleSpeed" => Variant::Double(self.cnc_spindle),
            "CNC1.FeedRate" => Variant::Double(self.cnc_feed),
            "CNC1.PartCount" => Variant::UInt32(self.cnc_parts),
            "CNC1.ToolWear" => Variant::Double(self.cnc_tool_wear),
            _ => Variant::Empty,
        }
    }

    fn step(&mut self, dt: f64, inputs: &Inputs) {
        self.t += dt;
        if let Some(sp) = inputs.speed_setpoint {
            self.pump_setpoint = sp.clamp(0.0, 100.0);
        }
        if let Some(r) = inputs.running {
            self.pump_running = r;
        }
        if let Some(sp) = inputs.boiler_setpoint {
            self.boiler_setpoint = sp.clamp(20.0, 200.0);
        }
        if let Some(n) = inputs.part_count {
            self.cnc_parts = n;
        }
        self.step_pump(dt);
        self.step_motor(dt);
        self.step_boiler(dt);
        self.step_cnc(dt);
    }

    /// The drive follows its setpoint with a 1.5 s lag; flow grows with speed, head with
    /// its square (affinity laws), power and current with its cube.
    fn step_pump(&mut self, dt: f64) {
        let target = if self.pump_running {
            self.pump_setpoint
        } else {
            0.0
        };
        self.pump_speed += (target - self.pump_speed) * lag(dt, 1.5);
        let s = self.pump_speed / 100.0;
        self.pump_flow = (140.0 * s + self.rng.gauss(0.3) * s).max(0.0);
        self.pump_pressure = (0.3 + 6.5 * s * s + self.rng.gauss(0.02)).max(0.0);
        self.pump_current = if self.pump_speed > 0.5 {
            (4.0 + 28.0 * s * s * s + self.rng.gauss(0.1)).max(0.0)
        } else {
            0.0
        };
    }

    /// A 40 s load cycle with a slow random drift; slip lowers the speed under load, the
    /// winding warms towards a load-dependent temperature over minutes.
    fn step_motor(&mut self, dt: f64) {
        self.motor_load_walk =
            (self.motor_load_walk + self.rng.gauss(0.01) * dt.sqrt()).clamp(-0.1, 0.1);
        let load =
            (0.6 + 0.25 * (2.0 * PI * self.t / 40.0).sin() + self.motor_load_walk).clamp(0.0, 1.0);
        self.motor_speed = 1485.0 - 15.0 * load + self.rng.gauss(0.8);
        self.motor_torque = (200.0 * load + self.rng.gauss(1.5)).max(0.0);
        let hot = 35.0 + 55.0 * load;
        self.motor_temperature += (hot - self.motor_temperature) * lag(dt, 120.0);
        self.motor_vibration = (1.8 + 1.2 * load + self.rng.gauss(0.15).abs()) as f32;
    }

    /// The water temperature approaches the setpoint with a 20 s time constant; the steam
    /// pressure is the saturation pressure at that temperature (Magnus formula).
    fn step_boiler(&mut self, dt: f64) {
        let error = self.boiler_setpoint - self.boiler_temperature;
        if error > 0.5 {
            self.burner_on = true;
        } else if error < -0.5 {
            self.burner_on = false;
        }
        self.boiler_temperature += error * lag(dt, 20.0) + self.rng.gauss(0.03) * dt.sqrt();
        let t = self.boiler_temperature;
        let p_abs_bar = 0.0061078 * (17.27 * t / (t + 237.3)).exp();
        self.boiler_pressure = (p_abs_bar - 1.013 + self.rng.gauss(0.005)).max(0.0);
        self.boiler_level = 55.0 + 3.0 * (2.0 * PI * self.t / 30.0).sin() + self.rng.gauss(0.2);
    }

    /// A part every 6 s: 0.5 s loading, 5 s cutting, 0.5 s unloading. The tool wears 0.4 %
    /// per part and is changed at 100 %.
    fn step_cnc(&mut self, dt: f64) {
        self.cnc_cycle += dt;
        if self.cnc_cycle >= CNC_CYCLE_S {
            self.cnc_cycle -= CNC_CYCLE_S;
            self.cnc_parts = self.cnc_parts.wrapping_add(1);
            self.cnc_tool_wear += 0.4;
            if self.cnc_tool_wear >= 100.0 {
                self.cnc_tool_wear = 0.0;
            }
        }
        let cutting = (0.5..CNC_CYCLE_S - 0.5).contains(&self.cnc_cycle);
        if cutting {
            self.cnc_spindle = 8000.0 + self.rng.gauss(15.0);
            self.cnc_feed = 1200.0 * (1.0 - 0.002 * self.cnc_tool_wear) + self.rng.gauss(5.0);
        } else {
            self.cnc_spindle = 0.0;
            self.cnc_feed = 0.0;
        }
    }
}

/// The fraction of the distance to its target a first-order lag with time constant `tau`
/// covers in `dt`.
fn lag(dt: f64, tau: f64) -> f64 {
    1.0 - (-dt / tau).exp()
}

/// xorshift64* with Box–Muller: enough for measurement noise, reproducible by seed.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // 53 random bits in (0, 1].
        ((x >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Normally distributed with mean 0 and standard deviation `sigma`.
    fn gauss(&mut self, sigma: f64) -> f64 {
        let (u1, u2) = (self.next_f64(), self.next_f64());
        sigma * (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &mut Plant, seconds: f64, inputs: &Inputs) {
        let steps = (seconds / 0.1) as usize;
        for _ in 0..steps {
            p.step(0.1, inputs);
        }
    }

    #[test]
    fn pump_follows_its_setpoint_and_stops() {
        let mut p = Plant::new(1);
        let flow_60 = p.pump_flow;
        assert!((80.0..90.0).contains(&flow_60), "{flow_60}");
        run(
            &mut p,
            10.0,
            &Inputs {
                speed_setpoint: Some(90.0),
                ..Default::default()
            },
        );
        assert!(p.pump_flow > 120.0 && p.pump_pressure > 5.0, "{p:?}");
        run(
            &mut p,
            10.0,
            &Inputs {
                running: Some(false),
                ..Default::default()
            },
        );
        assert!(p.pump_flow < 1.0 && p.pump_current == 0.0, "{p:?}");
    }

    #[test]
    fn boiler_approaches_setpoint_with_first_order_lag() {
        let mut p = Plant::new(2);
        let sp = Inputs {
            boiler_setpoint: Some(150.0),
            ..Default::default()
        };
        let t0 = p.boiler_temperature;
        run(&mut p, 20.0, &sp);
        // One time constant: about 63 % of the way.
        let covered = (p.boiler_temperature - t0) / (150.0 - t0);
        assert!((0.5..0.75).contains(&covered), "{covered}");
        assert!(p.burner_on);
        assert!(
            p.boiler_pressure > 2.0 && p.boiler_pressure < 4.5,
            "{}",
            p.boiler_pressure
        );
        run(&mut p, 120.0, &sp);
        assert!((p.boiler_temperature - 150.0).abs() < 1.0);
        run(
            &mut p,
            30.0,
            &Inputs {
                boiler_setpoint: Some(100.0),
                ..Default::default()
            },
        );
        assert!(!p.burner_on && p.boiler_temperature < 120.0);
    }

    #[test]
    fn cnc_counts_parts_and_wears_its_tool() {
        let mut p = Plant::new(3);
        let (parts, wear) = (p.cnc_parts, p.cnc_tool_wear);
        run(&mut p, 60.0, &Inputs::default());
        assert_eq!(p.cnc_parts, parts + 10);
        assert!((p.cnc_tool_wear - wear - 4.0).abs() < 1e-9);
        run(
            &mut p,
            0.3,
            &Inputs {
                part_count: Some(0),
                ..Default::default()
            },
        );
        assert!(p.cnc_parts <= 1);
    }

    #[test]
    fn motor_values_stay_plausible_and_noisy() {
        let mut p = Plant::new(4);
        let mut speeds = Vec::new();
        for _ in 0..600 {
            p.step(0.1, &Inputs::default());
            speeds.push(p.motor_speed);
            assert!(
                (1465.0..1490.0).contains(&p.motor_speed),
                "{}",
                p.motor_speed
            );
            assert!((0.0..300.0).contains(&p.motor_torque));
            assert!((1.0..5.0).contains(&p.motor_vibration));
        }
        let distinct = speeds.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(distinct > 590, "values must move");
    }

    #[test]
    fn noise_has_the_asked_spread() {
        let mut r = Rng::new(9);
        let xs: Vec<f64> = (0..20_000).map(|_| r.gauss(2.0)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.05, "{mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.05, "{}", var.sqrt());
    }

    #[test]
    fn unece_codes_become_unit_ids() {
        // Part 8 example: "CEL" (degree Celsius) is 4408652.
        assert_eq!(unece_unit_id("CEL"), 4_408_652);
    }
}
