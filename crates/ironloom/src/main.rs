//! The `ironloom` binary: the only place that picks concrete engines and wires them.
//!
//! Sub-commands: `serve` (the platform), `export` / `import` (telemetry as CSV or Parquet,
//! offline on the data directory), `tsdb` (time-series database maintenance), `admin`
//! (documents generated from the code), `app` (developing apps: new, build, test, pack),
//! `gateway`, `sim` and `opcua` (the edge).

mod app_cmd;
mod config;
mod console;
mod demo;
mod demo_identifiers;
mod demo_store;
mod edge;
mod https;
mod load;
mod mqtt_ws;
#[cfg(feature = "cluster")]
mod peers;
mod republish;
mod serve;
mod telemetry_io;
mod tsdb_cmd;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// The allocator: ingest allocates and frees many small objects per message on several
/// threads; mimalloc's per-thread free lists take a fraction of glibc malloc's time for
/// that (docs/performance.md, "CPU per message with one in flight"). Built to commit
/// memory on demand (`.cargo/config.toml`), which keeps an idle connection under 8 KB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "ironloom",
    version,
    about = "Ironloom industrial internet platform (工业互联网平台)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the platform: REST API, API docs, metrics.
    Serve(ServeArgs),
    /// Export telemetry to CSV or Parquet (the server must be stopped).
    Export(telemetry_io::ExportArgs),
    /// Import telemetry from CSV or Parquet (the server must be stopped). Exit code 2 when
    /// some rows were rejected.
    Import(telemetry_io::ImportArgs),
    /// Time-series database maintenance (with the server stopped).
    #[command(subcommand)]
    Tsdb(TsdbCommand),
    /// Print documents generated from the code.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run the edge gateway: read PLCs over Modbus, forward to the platform over MQTT.
    Gateway(edge::GatewayArgs),
    /// Run a simulator of industrial equipment.
    #[command(subcommand)]
    Sim(edge::SimCommand),
    /// OPC UA tools for setting up a gateway.
    #[command(subcommand)]
    Opcua(edge::OpcuaCommand),
    /// Develop apps: start one from a template, build, test on fixtures, pack.
    #[command(subcommand)]
    App(app_cmd::AppCommand),
}

#[derive(Debug, Subcommand)]
enum TsdbCommand {
    /// Read every block of the database and report damaged files (exit status 1).
    Check(DataArgs),
    /// Where the bytes go: per property, its timestamps, qualities, values, encodings and
    /// rollups (runs beside a server too: segments are immutable).
    Space(DataArgs),
}

/// Where the data directory is, as `serve` finds it.
#[derive(Debug, clap::Args)]
struct DataArgs {
    /// TOML configuration file (see config/ironloom.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (default: ./data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl DataArgs {
    fn data_dir(self) -> anyhow::Result<PathBuf> {
        let overrides = config::Overrides {
            data_dir: self.data_dir,
            http_addr: None,
            meta_url: None,
            mqtt_addr: None,
            coap_addr: None,
        };
        Ok(config::Config::load(self.config.as_deref(), std::env::vars(), &overrides)?.data_dir)
    }
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// TOML configuration file (see config/ironloom.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (default: ./data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// HTTP listen address (default: 127.0.0.1:8080; port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Metadata store URL (postgres://…); default: SQLite in the data directory.
    #[arg(long, value_name = "URL")]
    meta_url: Option<String>,
    /// MQTT listen address (default: 0.0.0.0:1883; port 0 picks a free one; "" disables).
    #[arg(long, value_name = "ADDR")]
    mqtt: Option<String>,
    /// CoAP listen address, UDP (default: 0.0.0.0:5683; port 0 picks a free one; "" disables).
    #[arg(long, value_name = "ADDR")]
    coap: Option<String>,
    /// Create a demo tenant with products, devices and users, and print how to log in.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// The roles × permissions matrix and route table (docs/permissions.md).
    Permissions,
    /// The OpenAPI 3 description of the REST API.
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve_command(args).map(|()| ExitCode::SUCCESS),
        Command::Export(args) => telemetry_io::export_command(args),
        Command::Import(args) => telemetry_io::import_command(args),
        Command::Tsdb(TsdbCommand::Check(args)) => args
            .data_dir()
            .and_then(|d| tsdb_cmd::check(&d))
            .map(|()| ExitCode::SUCCESS),
        Command::Tsdb(TsdbCommand::Space(args)) => args
            .data_dir()
            .and_then(|d| tsdb_cmd::space(&d))
            .map(|()| ExitCode::SUCCESS),
        Command::Gateway(args) => edge::gateway_command(args).map(|()| ExitCode::SUCCESS),
        Command::Sim(cmd) => edge::sim_command(cmd).map(|()| ExitCode::SUCCESS),
        Command::Opcua(cmd) => edge::opcua_command(cmd).map(|()| ExitCode::SUCCESS),
        Command::App(cmd) => app_cmd::command(cmd),
        Command::Admin(AdminCommand::Permissions) => {
            print!("{}", ironloom_api::permissions_markdown());
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin(AdminCommand::Openapi) => {
            match serde_json::to_string_pretty(&ironloom_api::openapi()) {
                Ok(s) => {
                    println!("{s}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Err(anyhow::anyhow!(e)),
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line, so it is the last thing a user sees and greps well.
            let msg = format!("{e:#}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn serve_command(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = config::Overrides {
        data_dir: args.data_dir,
        http_addr: args.http,
        meta_url: args.meta_url,
        mqtt_addr: args.mqtt,
        coap_addr: args.coap,
    };
    let config = config::Config::load(args.config.as_deref(), std::env::vars(), &overrides)?;
    serve::init_tracing(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ironloom")
        .build()?;
    runtime.block_on(serve::run(
        config,
        if args.demo {
            serve::Demo::Yes
        } else {
            serve::Demo::No
        },
    ))
}
