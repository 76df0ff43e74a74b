//! Entry points for fuzz targets, also run by the test suite over mutated inputs: a
//! buffer segment file as the disk may hold it after a crash or damage, and a gateway
//! configuration file, and the shared attributes the platform pushes for apps at the edge
//! (an apps document and package parts). Each takes arbitrary bytes and must not panic.
//!
//! A failed invariant panics on purpose: that is how a fuzzer reports it.
#![allow(clippy::expect_used, clippy::panic)]

use crate::buffer::{Appended, Buffer, DropPolicy};

/// A damaged segment file: the buffer opens (cutting what does not check), hands out
/// records in order, takes a new one after them, and opens again with the same content.
pub fn fuzz_buffer_file(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join(format!("{:020}.seg", 0)), data).expect("write");
    let mut b = Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, false)
        .expect("a damaged segment opens");
    let before = b.stats().pending_records;
    let records = b.next_batch(usize::MAX).expect("records read back");
    assert_eq!(records.len() as u64, before);
    assert!(records.windows(2).all(|w| w[1].0 == w[0].0 + 1));
    let appended = b.append(1, b"after").expect("append after recovery");
    assert!(matches!(appended, Appended::Stored { id } if id == before));
    drop(b);
    let mut b = Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, false).expect("reopens");
    let again = b.next_batch(usize::MAX).expect("read again");
    assert_eq!(again.len() as u64, before + 1);
    assert_eq!(again.last().map(|r| r.2.as_slice()), Some(&b"after"[..]));
}

/// A configuration file's text: read and checked, every problem with a line or a path.
pub fn fuzz_config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(problems) = crate::config::parse(&text) {
        assert!(!problems.is_empty());
        for p in problems {
            let _ = p.to_string();
        }
    }
}

/// Shared attributes as the platform pushes them for apps (`gateway_apps`, package parts
/// `gateway_app_part_…`): a malformed document or package is refused and reported, never
/// a crash; the report always says whether it was applied.
pub fn fuzz_apps_attributes(data: &[u8]) {
    use crate::apps::EdgeRuntime;
    use crate::apps::host::EdgeServices;
    use std::sync::{Arc, Mutex};
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let shared = match value {
        serde_json::Value::Object(m) => m,
        other => {
            let mut m = serde_json::Map::new();
            m.insert(ironloom_core::edge_app::APPS_ATTRIBUTE.into(), other);
            m
        }
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let buffer =
        Buffer::open(dir.path(), 1 << 20, DropPolicy::DropOldest, false).expect("a buffer");
    let services = EdgeServices {
        routes: Arc::default(),
        buffer: Arc::new(Mutex::new(buffer)),
        appended: Arc::default(),
        recent: Arc::default(),
        kv_dir: dir.path().join("state"),
        kv: Mutex::default(),
        runtime: rt.handle().clone(),
        stats: Arc::default(),
        rpc_ids: std::sync::atomic::AtomicU64::new(0),
        cancel: tokio_util::sync::CancellationToken::new(),
    };
    let apps = EdgeRuntime::new(Arc::new(services), dir.path());
    let _enter = rt.enter();
    let out = apps.on_shared(&shared);
    if let Some(status) = out.status.or_else(|| apps.status()) {
        assert!(status["applied"].is_boolean(), "{status}");
    }
    let _ = apps.on_deleted();
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_testkit::{Mutator, Rng};

    fn record(points: u32, payload: &[u8]) -> Vec<u8> {
        let mut h = crc32fast::Hasher::new();
        h.update(&points.to_le_bytes());
        h.update(payload);
        let mut r = (payload.len() as u32).to_le_bytes().to_vec();
        r.extend(h.finalize().to_le_bytes());
        r.extend(points.to_le_bytes());
        r.extend(payload);
        r
    }

    #[test]
    fn damaged_segments_and_configs_survive_mutations() {
        let mut seg = record(3, b"{\"a\":[]}");
        seg.extend(record(1, b"x"));
        seg.extend(record(2, b"yz"));
        let cfg = "[platform]\nmqtt = \"h:1\"\ntoken = \"t\"\n[[modbus]]\nname = \"a\"\ntransport = \"tcp\"\naddress = \"h:2\"\n[[modbus.devices]]\nname = \"d\"\n[[modbus.devices.points]]\nname = \"p\"\narea = \"holding\"\naddress = 0\n";
        let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
        // Record lengths and checksums out of range, and TOML's own punctuation.
        let mutator = Mutator::new().dictionary(&[
            b"\xff\xff\xff\xff".as_slice(),
            b"\0\0\0\0",
            b"\n",
            b"[[",
            b"]]",
            b"=",
            b"\"",
        ]);
        fuzz_buffer_file(&seg);
        fuzz_config(cfg.as_bytes());
        let digest = "ab".repeat(32);
        let apps = format!(
            r#"{{"gateway_apps": {{"version": 3, "installations": [{{"id": "i1", "name": "pumps",
            "app_id": "pump.efficiency", "version": "1.0.0", "digest": "{digest}", "size": 10,
            "parts": 1, "config": {{}}, "grant": [{{"kind": "models"}}], "products": ["pump"],
            "triggers": [{{"kind": "manual"}}]}}]}}, "gateway_app_part_{digest}_0": "H4sIAAAAAAAA"}}"#
        );
        fuzz_apps_attributes(apps.as_bytes());
        for _ in 0..300 {
            fuzz_buffer_file(&mutator.mutate(&mut rng, &seg));
            fuzz_config(&mutator.mutate(&mut rng, cfg.as_bytes()));
            fuzz_apps_attributes(&mutator.mutate(&mut rng, apps.as_bytes()));
        }
    }
}
