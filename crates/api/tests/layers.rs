//! The API sits above the domain and the engines; it checks the gateway's driver tables with
//! `ironloom_core::driver_table` and never compiles the edge agent, its drivers or the OPC UA
//! stack (docs: ARCHITECTURE "the API never compiles the edge agent").

use std::process::Command;

#[test]
fn the_api_does_not_compile_the_edge_agent() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--prefix", "none", "--format", "{p}"])
        .args(["--manifest-path", manifest, "-p", "ironloom-api"])
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains("ironloom-core"), "{tree}");
    let edge = [
        "ironloom-gateway",
        "ironloom-drivers",
        "ironloom-opcua",
        "async-opcua",
        "tokio-modbus",
        "tokio-serial",
    ];
    let found: Vec<&str> = tree
        .lines()
        .filter(|l| edge.iter().any(|e| l.starts_with(&format!("{e} "))))
        .collect();
    assert!(found.is_empty(), "the API compiles {found:?}");
}
