//! The apps of `apps/` pass their recorded fixtures (`ironloom app test`), and the
//! developer's loop works from a template: `ironloom app new`, `build`, `test`, `pack`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ironloom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ironloom"))
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Every app of the repository, with its committed module, passes its fixtures.
#[test]
fn every_app_passes_its_fixtures() {
    let mut apps: Vec<PathBuf> = std::fs::read_dir(root().join("apps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    apps.sort();
    assert!(!apps.is_empty());
    for app in apps {
        assert!(
            app.join("fixtures").is_dir(),
            "{} has no fixtures/",
            app.display()
        );
        let (ok, text) = run(ironloom().arg("app").arg("test").arg(&app));
        println!("{text}");
        assert!(ok, "{}: {text}", app.display());
        assert!(text.contains(" 0 failed"), "{text}");
    }
}

/// A fixture that expects something the app does not do fails, naming the difference.
#[test]
fn a_wrong_expectation_fails_and_names_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let app = root().join("apps/pump-efficiency");
    for f in ["manifest.json", "README.md", "icon.svg"] {
        std::fs::copy(app.join(f), dir.path().join(f)).unwrap();
    }
    for d in ["modules", "ui", "fixtures"] {
        std::fs::create_dir(dir.path().join(d)).unwrap();
    }
    std::fs::copy(
        app.join("modules/main.wasm"),
        dir.path().join("modules/main.wasm"),
    )
    .unwrap();
    std::fs::copy(app.join("ui/index.html"), dir.path().join("ui/index.html")).unwrap();
    let fixture = std::fs::read_to_string(app.join("fixtures/units.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    let mut wrong = v.clone();
    wrong["expect"]["writes"][0]["values"]["eff"] = serde_json::json!(0.5);
    std::fs::write(
        dir.path().join("fixtures/wrong.json"),
        serde_json::to_vec(&wrong).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fixtures/typo.json"),
        br#"{"devices": {}, "events": [], "expekt": {}}"#,
    )
    .unwrap();
    let (ok, text) = run(ironloom().arg("app").arg("test").arg(dir.path()));
    assert!(!ok, "{text}");
    assert!(
        text.contains("writes[0].values.eff: expected 0.5"),
        "{text}"
    );
    assert!(text.contains("typo.json: not a fixture"), "{text}");
    assert!(text.contains("0 passed, 2 failed"), "{text}");
}

/// Whether a language's toolchain is here: clang-14 for C, node and npm for
/// AssemblyScript, Debian's rustc with its wasm32 standard library for Rust.
fn toolchain(lang: &str) -> bool {
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    match lang {
        "c" => have("clang-14"),
        "assemblyscript" => have("node") && have("npm"),
        _ => {
            Path::new("/usr/bin/rustc").exists()
                && std::fs::read_dir("/usr/lib/rustlib/wasm32-unknown-unknown/lib").is_ok_and(
                    |mut d| {
                        d.any(|e| {
                            e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-"))
                        })
                    },
                )
        }
    }
}

/// `false` (and a SKIPPED line) without the toolchain; a failure under
/// IRONLOOM_REQUIRE_PEERS=1.
fn toolchain_or_skip(lang: &str) -> bool {
    if toolchain(lang) {
        return true;
    }
    assert!(
        std::env::var("IRONLOOM_REQUIRE_PEERS").as_deref() != Ok("1"),
        "IRONLOOM_REQUIRE_PEERS=1 but the {lang} toolchain is missing"
    );
    println!("SKIPPED: no {lang} toolchain");
    false
}

/// `new` → `build` → `test` → `pack` from each language's template; the module built is
/// checked and a broken manifest is refused with the field named.
#[test]
fn an_app_made_from_each_template_builds_tests_and_packs() {
    let sdk = root().join("sdk");
    for lang in ["c", "assemblyscript", "rust"] {
        if !toolchain_or_skip(lang) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("my-app");
        let id = format!("acme.{lang}");
        let (ok, text) = run(ironloom()
            .args(["app", "new"])
            .arg(&app)
            .args(["--lang", lang, "--id", &id, "--sdk"])
            .arg(&sdk));
        assert!(ok, "{lang}: {text}");
        let (ok, text) = run(ironloom()
            .args(["app", "new"])
            .arg(&app)
            .arg("--sdk")
            .arg(&sdk));
        assert!(!ok && text.contains("not empty"), "{lang}: {text}");
        let _ = std::fs::remove_dir_all(app.join("modules"));
        let (ok, text) = run(ironloom()
            .args(["app", "build"])
            .arg(&app)
            .arg("--sdk")
            .arg(&sdk));
        assert!(ok && text.contains(&format!("({lang})")), "{lang}: {text}");
        let committed = sdk.join(lang).join("template/modules/main.wasm");
        if committed.is_file() {
            assert_eq!(
                std::fs::read(app.join("modules/main.wasm")).unwrap(),
                std::fs::read(&committed).unwrap(),
                "{lang}: the build depends on where the app lives"
            );
        }
        let (ok, text) = run(ironloom().args(["app", "test"]).arg(&app));
        assert!(ok && text.contains("1 passed, 0 failed"), "{lang}: {text}");
        let out = dir.path().join("my.ilapp");
        let (ok, text) = run(ironloom()
            .args(["app", "pack"])
            .arg(&app)
            .arg("-o")
            .arg(&out));
        assert!(
            ok && text.contains(&format!("{id} 0.1.0")),
            "{lang}: {text}"
        );
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip file");

        // A broken manifest is refused with the field named, before anything runs.
        let m = app.join("manifest.json");
        let text = std::fs::read_to_string(&m)
            .unwrap()
            .replace("\"0.1.0\"", "\"one\"");
        std::fs::write(&m, text).unwrap();
        let (ok, text) = run(ironloom().args(["app", "pack"]).arg(&app));
        assert!(!ok && text.contains("version"), "{lang}: {text}");
    }
}

/// Every app's committed module is what its sources build to with its SDK's build script
/// (built in a copy elsewhere, so the bytes do not depend on where the app lives). An app
/// whose toolchain is missing is skipped, unless IRONLOOM_REQUIRE_PEERS=1.
#[test]
fn every_app_module_is_what_its_sources_build_to() {
    let mut apps: Vec<PathBuf> = std::fs::read_dir(root().join("apps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    apps.sort();
    let mut built = 0;
    for app in &apps {
        let lang = if app.join("src/main.c").is_file() {
            "c"
        } else if app.join("assembly/index.ts").is_file() {
            "assemblyscript"
        } else {
            assert!(
                app.join("src/lib.rs").is_file(),
                "{}: no sources",
                app.display()
            );
            "rust"
        };
        if !toolchain_or_skip(lang) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("app");
        let status = Command::new("cp")
            .arg("-r")
            .arg(app)
            .arg(&copy)
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::remove_file(copy.join("modules/main.wasm")).unwrap();
        let (ok, text) = run(Command::new("bash")
            .arg(root().join("sdk").join(lang).join("build.sh"))
            .arg(&copy));
        assert!(ok, "{}: {text}", app.display());
        let fresh = std::fs::read(copy.join("modules/main.wasm")).unwrap();
        let committed = std::fs::read(app.join("modules/main.wasm")).unwrap();
        assert!(
            fresh == committed,
            "{}/modules/main.wasm is not what its sources build to: rebuild it with sdk/{lang}/build.sh",
            app.display()
        );
        built += 1;
    }
    println!(
        "{built} of {} apps rebuilt to their committed bytes",
        apps.len()
    );
}
