//! The developer's loop for a Rust app: `ironloom app new --lang rust` copies
//! `sdk/rust/template`, `build` runs `sdk/rust/build.sh`, `test` passes its fixture, `pack`
//! packs it.
//! (apps/vibration-pdm's fixtures run with every other app's in tests/apps.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str], paths: &[&Path]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ironloom"));
    cmd.args(args).args(paths);
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Needs Debian's rustc with the wasm32 standard library (scripts/install-test-peers.sh);
/// skipped without it unless IRONLOOM_REQUIRE_PEERS=1.
#[test]
fn an_app_made_from_the_rust_template_builds_tests_and_packs() {
    let std_dir = Path::new("/usr/lib/rustlib/wasm32-unknown-unknown/lib");
    let have = Path::new("/usr/bin/rustc").exists()
        && std::fs::read_dir(std_dir).is_ok_and(|mut d| {
            d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
        });
    if !have {
        assert!(
            std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() != Ok("1"),
            "IRONLOOM_REQUIRE_PEERS=1 but /usr/bin/rustc or its wasm32 standard library is missing"
        );
        println!("SKIPPED: no /usr/bin/rustc for wasm32-unknown-unknown");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("my-rust-app");
    let sdk = root().join("sdk");
    let (ok, text) = run(
        &[
            "app",
            "new",
            "--lang",
            "rust",
            "--id",
            "acme.rusty",
            "--sdk",
        ],
        &[&sdk, &app],
    );
    assert!(ok, "{text}");
    let (ok, text) = run(&["app", "build", "--sdk"], &[&sdk, &app]);
    assert!(ok && text.contains("(rust)"), "{text}");
    let wasm = std::fs::read(app.join("modules/main.wasm")).unwrap();
    assert_eq!(&wasm[..4], b"\0asm");
    let (ok, text) = run(&["app", "test"], &[&app]);
    assert!(ok && text.contains("1 passed, 0 failed"), "{text}");
    let out = dir.path().join("rusty.ilapp");
    let (ok, text) = run(&["app", "pack", "-o"], &[&out, &app]);
    assert!(ok && text.contains("acme.rusty 0.1.0"), "{text}");
}
