//! The edge sub-commands: `ironloom gateway` (the gateway agent), `ironloom sim modbus`
//! (the Modbus simulator), and the demo gateway `serve --demo` runs against the simulator.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow};
use ironloom_drivers::sim::{self, SimOptions, Simulator};
use tokio_util::sync::CancellationToken;

const DEMO_GATEWAY: &str = include_str!("../demo/gateway.toml");

#[derive(Debug, clap::Args)]
pub struct GatewayArgs {
    /// The gateway's TOML configuration (see config/gateway.example.toml).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Only check the configuration and report every problem with its line.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// A Modbus simulator: pump (unit 1), motor (2), boiler (3), CNC (4), screw compressor
    /// (5), cold room (6), injection moulding machine (7), weaving loom (8) with changing
    /// process values that react to writes (register map: docs/gateway.md).
    Modbus(SimModbusArgs),
    /// An OPC UA server simulating a pump, motor, boiler and CNC (node list:
    /// docs/opcua.md); security None and Basic256Sha256.
    Opcua(SimOpcuaArgs),
}

#[derive(Debug, clap::Args)]
pub struct SimOpcuaArgs {
    /// Listen address.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4840")]
    pub listen: SocketAddr,
    /// Where the server keeps its certificate.
    #[arg(long, value_name = "DIR", default_value = "opcua-sim-pki")]
    pub pki_dir: PathBuf,
    /// Accept this user (`name:password`) besides anonymous clients.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub user: Option<String>,
    /// Refuse anonymous clients (with --user).
    #[arg(long)]
    pub no_anonymous: bool,
}

#[derive(Debug, clap::Args)]
pub struct SimModbusArgs {
    /// Modbus TCP listen address.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5020")]
    pub listen: String,
    /// Also serve RTU frames over TCP on this address.
    #[arg(long, value_name = "ADDR")]
    pub rtu_over_tcp: Option<String>,
    /// Also serve Modbus RTU on this serial device (e.g. one end of a socat pty pair).
    #[arg(long, value_name = "PATH")]
    pub serial: Option<String>,
    /// Baud rate of --serial.
    #[arg(long, default_value_t = 19200)]
    pub baud: u32,
    /// Bulk units 100, 101, … with 65 536 changing registers each (for benchmarks).
    #[arg(long, default_value_t = 0)]
    pub bulk_units: u8,
    /// Physics step of the simulated machines.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub tick_ms: u64,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ironloom")
        .build()?)
}

fn read_config(path: &Path) -> anyhow::Result<ironloom_gateway::config::GatewayConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    ironloom_gateway::config::parse(&text).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow!("{}: {}", path.display(), list.join("; "))
    })
}

pub fn gateway_command(args: GatewayArgs) -> anyhow::Result<()> {
    let cfg = read_config(&args.config)?;
    if args.check {
        let points: usize = cfg
            .modbus
            .iter()
            .flat_map(|c| &c.devices)
            .map(|d| d.points.len())
            .sum();
        let nodes: usize = cfg.opcua.iter().map(|c| c.nodes.len()).sum();
        println!(
            "{}: {} Modbus connection(s) with {points} point(s), {} OPC UA connection(s) with {nodes} node(s), {} computed point(s); no problems",
            args.config.display(),
            cfg.modbus.len(),
            cfg.opcua.len(),
            cfg.computed.len()
        );
        return Ok(());
    }
    crate::serve::init_tracing(&crate::config::LogConfig::default());
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        let g = ironloom_gateway::start(cfg, cancel.clone()).context("gateway buffer")?;
        tracing::info!("gateway running; Ctrl-C stops it (buffered data is kept)");
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping: sending what is buffered (up to 5 s)");
        g.shutdown(Duration::from_secs(5)).await;
        let b = g.buffer_stats();
        tracing::info!(
            pending_points = b.pending_points,
            dropped_points = b.dropped_points,
            "gateway stopped"
        );
        Ok(())
    })
}

pub fn sim_command(cmd: SimCommand) -> anyhow::Result<()> {
    crate::serve::init_tracing(&crate::config::LogConfig::default());
    let args = match cmd {
        SimCommand::Modbus(a) => a,
        SimCommand::Opcua(a) => return sim_opcua(a),
    };
    runtime()?.block_on(async move {
        let sim = Simulator::new(&SimOptions {
            tick: Duration::from_millis(args.tick_ms.max(1)),
            bulk_units: args.bulk_units,
        });
        let cancel = CancellationToken::new();
        tokio::spawn(
            sim.clone()
                .run(Duration::from_millis(args.tick_ms.max(1)), cancel.clone()),
        );
        let l = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = l.local_addr()?;
        tokio::spawn(sim::serve_tcp(sim.clone(), l, cancel.clone()));
        println!(
            "Modbus simulator: Modbus TCP on {addr} (units 1 pump, 2 motor, 3 boiler, 4 CNC, 5 compressor, 6 cold room, 7 injection moulding machine, 8 loom)"
        );
        if let Some(a) = &args.rtu_over_tcp {
            let l = tokio::net::TcpListener::bind(a)
                .await
                .with_context(|| format!("cannot listen on {a}"))?;
            println!("Modbus simulator: RTU over TCP on {}", l.local_addr()?);
            tokio::spawn(sim::serve_rtu_over_tcp(sim.clone(), l, cancel.clone()));
        }
        if let Some(path) = args.serial.clone() {
            println!("Modbus simulator: RTU on {path} at {} baud", args.baud);
            let (sim, cancel) = (sim.clone(), cancel.clone());
            tokio::spawn(async move {
                if let Err(e) = sim::serve_rtu(sim, path.clone(), args.baud, cancel).await {
                    tracing::error!(port = %path, error = %e, "Modbus RTU simulator stopped");
                }
            });
        }
        if args.bulk_units > 0 {
            println!(
                "Modbus simulator: bulk units 100–{} (65 536 registers each)",
                99 + u32::from(args.bulk_units)
            );
        }
        let _ = tokio::signal::ctrl_c().await;
        cancel.cancel();
        Ok(())
    })
}

fn sim_opcua(args: SimOpcuaArgs) -> anyhow::Result<()> {
    let user = match &args.user {
        None => None,
        Some(u) => {
            let (username, password) = u
                .split_once(':')
                .ok_or_else(|| anyhow!("--user takes name:password"))?;
            Some(ironloom_opcua::sim::SimUser {
                username: username.into(),
                password: password.into(),
            })
        }
    };
    if args.no_anonymous && user.is_none() {
        return Err(anyhow!(
            "--no-anonymous needs --user, or nobody could log in"
        ));
    }
    let options = ironloom_opcua::sim::SimOptions {
        host: args.listen.ip().to_string(),
        pki_dir: args.pki_dir,
        anonymous: !args.no_anonymous,
        user,
        ..Default::default()
    };
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        println!(
            "OPC UA simulator: opc.tcp://{}/ (nodes ns=2;s=Pump1.Flow …, see docs/opcua.md)",
            args.listen
        );
        let run = ironloom_opcua::run_sim(args.listen, options, cancel.clone());
        tokio::select! {
            r = run => r.map_err(|e| anyhow!("{e}")),
            _ = tokio::signal::ctrl_c() => {
                cancel.cancel();
                Ok(())
            }
        }
    })
}

/// `serve --demo`: the Modbus and OPC UA simulators and a gateway that forwards them to
/// this platform.
pub async fn start_demo(
    store: &dyn ironloom_core::repo::MetaStore,
    mqtt: SocketAddr,
    data_dir: &Path,
    shutdown: CancellationToken,
) -> anyhow::Result<ironloom_gateway::Gateway> {
    // Demo data created by an earlier version has no gateway device: say so once
    // instead of a gateway retrying a refused log-in.
    let e =
        |e: ironloom_core::error::Error| anyhow!("{}", e.message(ironloom_core::i18n::Locale::En));
    let tenant = store
        .find_tenant_by_code("demo")
        .await
        .map_err(e)?
        .ok_or_else(|| anyhow!("no demo tenant"))?;
    if store
        .find_device_by_name(tenant.id, "edge-01")
        .await
        .map_err(e)?
        .is_none()
    {
        return Err(anyhow!(
            "the demo data predates the demo gateway (no device edge-01); start with a fresh data directory to see simulated equipment"
        ));
    }
    let sim = Simulator::new(&SimOptions::default());
    tokio::spawn(
        sim.clone()
            .run(Duration::from_millis(100), shutdown.clone()),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let modbus = l.local_addr()?;
    tokio::spawn(sim::serve_tcp(sim, l, shutdown.clone()));
    let mut cfg = ironloom_gateway::config::parse(DEMO_GATEWAY)
        .map_err(|p| anyhow!("demo/gateway.toml: {p:?}"))?;
    let host = if mqtt.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], mqtt.port()))
    } else {
        mqtt
    };
    cfg.platform.mqtt = host.to_string();
    cfg.buffer.dir = data_dir.join("demo-gateway");
    for c in &mut cfg.modbus {
        c.address = Some(modbus.to_string());
    }
    let opcua_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim = ironloom_opcua::serve_sim(
        opcua_listener,
        ironloom_opcua::sim::SimOptions {
            pki_dir: data_dir.join("demo-opcua-sim-pki"),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow!("OPC UA simulator: {e}"))?;
    for c in &mut cfg.opcua {
        c.endpoint = sim.endpoint_url();
        c.pki_dir = data_dir.join("demo-gateway-pki");
    }
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            sim.stop().await;
        }
    });
    let g = ironloom_gateway::start(cfg, shutdown).context("demo gateway buffer")?;
    tracing::info!(simulator = %modbus, "demo: Modbus and OPC UA simulators and gateway edge-01 running (pump-01, motor-01, cnc-01, compressor-01, coldroom-01, imm-01, loom-01, boiler-01)");
    Ok(g)
}

#[derive(Debug, clap::Subcommand)]
pub enum OpcuaCommand {
    /// Browse an OPC UA server's variables: prints the `[[opcua.nodes]]` entries for the
    /// gateway's configuration and writes the matching thing model for a product.
    Browse(BrowseArgs),
}

#[derive(Debug, clap::Args)]
pub struct BrowseArgs {
    /// The server's endpoint, e.g. opc.tcp://10.0.0.7:4840/
    #[arg(long)]
    pub endpoint: String,
    /// The sub-device the variables become points of.
    #[arg(long)]
    pub device: String,
    /// Where to start browsing (default: the Objects folder).
    #[arg(long, default_value = "i=85")]
    pub root: String,
    /// How many levels below the root.
    #[arg(long, default_value_t = 6)]
    pub depth: usize,
    /// none or basic256sha256 (sign and encrypt).
    #[arg(long, default_value = "none")]
    pub security: String,
    /// Log in as NAME:PASSWORD instead of anonymously.
    #[arg(long, value_name = "NAME:PASSWORD")]
    pub user: Option<String>,
    /// The client's certificate store (as the gateway's `pki_dir`).
    #[arg(long, value_name = "DIR", default_value = "gateway-pki")]
    pub pki_dir: PathBuf,
    /// Trust the server's certificate on first contact.
    #[arg(long)]
    pub trust_server_certificate: bool,
    /// Write the thing model (`PUT /api/v1/products/{id}/thing-model?format=ironloom`) to
    /// this file.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

pub fn opcua_command(cmd: OpcuaCommand) -> anyhow::Result<()> {
    let OpcuaCommand::Browse(args) = cmd;
    let mut cfg = ironloom_opcua::OpcUaConfig::new(args.endpoint.clone());
    cfg.security = match args.security.as_str() {
        "none" => ironloom_opcua::Security::None,
        "basic256sha256" => ironloom_opcua::Security::Basic256Sha256,
        other => return Err(anyhow!("--security {other}: use none or basic256sha256")),
    };
    if let Some(u) = &args.user {
        let (username, password) = u
            .split_once(':')
            .ok_or_else(|| anyhow!("--user takes name:password"))?;
        cfg.auth = ironloom_opcua::Auth::UserName {
            username: username.into(),
            password: password.into(),
        };
    }
    cfg.pki_dir = args.pki_dir.clone();
    cfg.trust_server_certificate = args.trust_server_certificate;
    let vars = runtime()?
        .block_on(ironloom_opcua::browse(&cfg, &args.root, args.depth))
        .map_err(|e| anyhow!("{e}"))?;
    let (properties, nodes) = ironloom_opcua::to_properties(&vars, &args.device);
    let model = ironloom_core::thing_model::ThingModel {
        properties,
        ..Default::default()
    };
    model
        .validate()
        .map_err(|e| anyhow!("the browsed model does not validate: {e}"))?;
    if let Some(path) = &args.model {
        std::fs::write(path, serde_json::to_string_pretty(&model)?)
            .with_context(|| format!("{}", path.display()))?;
        eprintln!(
            "{} variables browsed; thing model with {} properties written to {}",
            vars.len(),
            model.properties.len(),
            path.display()
        );
    }
    println!(
        "# {} variables under {} of {}",
        nodes.len(),
        args.root,
        args.endpoint
    );
    for n in &nodes {
        println!(
            "\n[[opcua.nodes]]\ndevice = {:?}\npoint = {:?}\nnode_id = {:?}{}",
            n.device,
            n.point,
            n.node_id,
            if n.writable { "\nwritable = true" } else { "" }
        );
    }
    Ok(())
}
