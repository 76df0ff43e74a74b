//! App packages: a good one is read back as packed; every kind of bad one is refused
//! with its problems named, hostile archives (escaping paths, links, bombs) included.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use ironloom_apps::package::{self, PackageLimits};
use ironloom_apps::{AppEngine, AppPackage, AppsConfig, PackageError};
use serde_json::json;
use std::collections::BTreeMap;

const WAT_APP: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "ironloom_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "ironloom_on_event") (param i32 i32) (result i32) (i32.const 0)))"#;

fn manifest() -> serde_json::Value {
    json!({
        "format": 1,
        "id": "demo.hello",
        "version": "0.1.0",
        "name": {"en": "Hello", "zh-CN": "你好"},
        "description": {"en": "Says hello.", "zh-CN": "打个招呼。"},
        "publisher": "Ironloom",
        "industries": ["C34"],
        "domains": ["production"],
        "triggers": [{"kind": "manual"}],
        "panels": [{"id": "main", "title": {"en": "Hello", "zh-CN": "你好"}, "entry": "ui/index.html"}],
        "modules": [{"name": "main", "path": "modules/main.wasm"}]
    })
}

fn files() -> BTreeMap<String, Vec<u8>> {
    let mut f = BTreeMap::new();
    f.insert(
        "manifest.json".into(),
        serde_json::to_vec(&manifest()).unwrap(),
    );
    f.insert("README.md".into(), b"# Hello\n".to_vec());
    f.insert("icon.svg".into(), b"<svg/>".to_vec());
    f.insert("ui/index.html".into(), b"<p>hello</p>".to_vec());
    f.insert("modules/main.wasm".into(), wat::parse_str(WAT_APP).unwrap());
    f
}

fn problems(r: Result<AppPackage, PackageError>) -> Vec<String> {
    match r {
        Err(PackageError::Invalid(errs)) => errs.iter().map(ToString::to_string).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn a_packed_app_reads_back_with_its_manifest_and_digest() {
    let engine = AppEngine::new(&AppsConfig {
        max_instances: 4,
        ..AppsConfig::default()
    })
    .unwrap();
    let bytes = package::pack(&files()).unwrap();
    assert_eq!(
        bytes,
        package::pack(&files()).unwrap(),
        "packing is deterministic"
    );
    let p = AppPackage::read(&bytes, &PackageLimits::default(), Some(&engine)).unwrap();
    assert_eq!(p.manifest.id, "demo.hello");
    assert_eq!(
        p.module("main"),
        Some(files()["modules/main.wasm"].as_slice())
    );
    assert_eq!(p.digest.len(), 64);
    assert!(p.signature.is_none());
    // The digest follows the content.
    let mut changed = files();
    changed.insert("README.md".into(), b"# Hello!\n".to_vec());
    let q = AppPackage::read(
        &package::pack(&changed).unwrap(),
        &PackageLimits::default(),
        None,
    )
    .unwrap();
    assert_ne!(p.digest, q.digest);
}

#[test]
fn every_problem_of_a_package_is_listed() {
    let mut f = files();
    let mut m = manifest();
    m["version"] = json!("one");
    m["modules"] = json!([{"name": "main", "path": "modules/missing.wasm"}]);
    m["panels"][0]["entry"] = json!("ui/nothere.html");
    f.insert("manifest.json".into(), serde_json::to_vec(&m).unwrap());
    f.remove("README.md");
    f.remove("icon.svg");
    f.insert("signature.json".into(), b"{\"sig\": 1}".to_vec());
    let p = problems(AppPackage::read(
        &package::pack(&f).unwrap(),
        &PackageLimits::default(),
        None,
    ));
    for want in [
        "manifest.json: version",
        "modules/missing.wasm",
        "ui/nothere.html",
        "README.md",
        "icon",
        "signature.json",
    ] {
        assert!(
            p.iter().any(|x| x.contains(want)),
            "{want} missing from {p:?}"
        );
    }
}

#[test]
fn a_module_that_cannot_run_is_refused_with_its_reason() {
    let engine = AppEngine::new(&AppsConfig {
        max_instances: 4,
        ..AppsConfig::default()
    })
    .unwrap();
    let mut f = files();
    f.insert(
        "modules/main.wasm".into(),
        wat::parse_str(r#"(module (import "env" "open" (func)) (memory (export "memory") 1))"#)
            .unwrap(),
    );
    let p = problems(AppPackage::read(
        &package::pack(&f).unwrap(),
        &PackageLimits::default(),
        Some(&engine),
    ));
    assert!(p.iter().any(|x| x.contains("env.open")), "{p:?}");
    // A manifest that is not JSON names where it broke.
    let mut f = files();
    f.insert(
        "manifest.json".into(),
        br#"{"format": 1, "id": 7}"#.to_vec(),
    );
    let p = problems(AppPackage::read(
        &package::pack(&f).unwrap(),
        &PackageLimits::default(),
        None,
    ));
    assert!(
        p.iter().any(|x| x.starts_with("manifest.json: id")),
        "{p:?}"
    );
}

/// A tar.gz written entry by entry, for archives `pack` would never make.
fn raw(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (path, kind, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        // Write the name raw: the builder refuses `..` itself.
        h.as_gnu_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
        if *kind == tar::EntryType::Symlink {
            h.set_link_name("/etc/passwd").unwrap();
        }
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[test]
fn hostile_archives_are_refused() {
    let limits = PackageLimits::default();
    let p = problems(AppPackage::read(
        &raw(&[
            ("../../etc/cron.d/x", tar::EntryType::Regular, b"x"),
            ("/abs", tar::EntryType::Regular, b"x"),
            ("ui/link", tar::EntryType::Symlink, b""),
            ("dev", tar::EntryType::Char, b""),
        ]),
        &limits,
        None,
    ));
    for want in [
        "../../etc/cron.d/x",
        "/abs",
        "ui/link",
        "dev",
        "manifest.json",
    ] {
        assert!(
            p.iter().any(|x| x.starts_with(want)),
            "{want} missing from {p:?}"
        );
    }
    // Not an archive at all, or cut short.
    assert!(matches!(
        AppPackage::read(b"hello", &limits, None),
        Err(PackageError::Unreadable(_))
    ));
    let good = package::pack(&files()).unwrap();
    assert!(AppPackage::read(&good[..good.len() / 2], &limits, None).is_err());
    // A gzip bomb: 16 MiB of zeros compress to a few KiB; reading stops at the limit
    // (here 1 MiB) without unpacking the rest.
    let zeros = vec![0u8; 16 << 20];
    let bomb = package::pack(&BTreeMap::from([("big.bin".to_string(), zeros)])).unwrap();
    assert!(bomb.len() < 1 << 20);
    let one_mib = PackageLimits {
        max_file_bytes: 1 << 20,
        max_unpacked_bytes: 1 << 20,
        ..limits
    };
    let p = problems(AppPackage::read(&bomb, &one_mib, None));
    assert!(
        p.iter()
            .any(|x| x.contains("big.bin") && x.contains("more than")),
        "{p:?}"
    );
    // Too many entries, and too large a package.
    let many: BTreeMap<String, Vec<u8>> = (0..20).map(|i| (format!("ui/{i}"), vec![])).collect();
    let small = PackageLimits {
        max_entries: 10,
        ..limits
    };
    let p = problems(AppPackage::read(
        &package::pack(&many).unwrap(),
        &small,
        None,
    ));
    assert!(
        p.iter().any(|x| x.contains("more than 10 entries")),
        "{p:?}"
    );
    let tiny = PackageLimits {
        max_package_bytes: 100,
        ..limits
    };
    assert!(problems(AppPackage::read(&good, &tiny, None))[0].contains("bytes"));
}
