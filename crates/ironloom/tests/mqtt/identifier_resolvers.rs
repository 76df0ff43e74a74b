//! Resolution through a resolver in recursive mode, on two real `ironloom serve`s: the
//! resolver answers its own identifiers itself and asks the upstream service (the other
//! server, over the native Handle protocol) for prefixes it does not hold, over UDP, TCP
//! and REST alike; upstream answers are kept for their TTL (at most the configured
//! limit), a change made through the resolver itself is seen at once, a request that
//! passed through too many resolvers is refused, and an upstream that is down is an
//! error, not "not found".

use crate::support::{Api, Server, within};
use ironloom_identifiers::proto::{self, rc};
use serde_json::{Value, json};

/// Resolves with the independent Python client (RFC 3652, standard library only):
/// `--udp|--tcp HOST:PORT HANDLE [--type T] [--index N]`, its JSON answer.
pub(crate) fn resolve(args: &[&str]) -> Value {
    let client = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../identifiers/tests/handle_client.py");
    let out = std::process::Command::new("python3")
        .arg(&client)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn rest(server: &Server, handle: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{}/api/handles/{handle}", server.base))
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn value(index: u32, t: &str, data: &str) -> Value {
    json!({"index": index, "type": t, "data": data})
}

#[tokio::test]
async fn a_recursive_resolver_asks_upstream_and_keeps_answers_for_their_ttl() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let upstream = Server::start(d1.path());
    let up = Api::new_tenant(&upstream).await;
    let up_addr = upstream.handle.expect("the upstream's Handle address");
    let (s, p) = up
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": "88.118.8", "name": "Plant A"})),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    for suffix in ["P-0001", "P-0002", "P-0003"] {
        let (s, r) = up
            .call(
                "POST",
                "/api/v1/identifiers",
                Some(json!({"handle": format!("88.118.8/{suffix}"), "values": [
                    value(1, "URL", &format!("https://plant.example/{suffix}")),
                    value(2, "EMAIL", "qa@plant.example"),
                ]})),
            )
            .await;
        assert_eq!(s, 201, "{r}");
    }

    let resolver = Server::start_with(
        d2.path(),
        "127.0.0.1:0",
        &[
            ("IRONLOOM__HANDLE__UPSTREAM", up_addr.to_string()),
            ("IRONLOOM__HANDLE__UPSTREAM_MAX_TTL", "\"2s\"".into()),
            ("IRONLOOM__HANDLE__UPSTREAM_NEGATIVE_TTL", "\"1s\"".into()),
            ("IRONLOOM__HANDLE__UPSTREAM_TIMEOUT", "\"1s\"".into()),
        ],
    );
    let addr = resolver
        .handle
        .expect("the resolver's Handle address")
        .to_string();
    let own = Api::new_tenant(&resolver).await;
    let (s, _) = own
        .call(
            "POST",
            "/api/v1/identifier-prefixes",
            Some(json!({"prefix": "86.1000.12", "name": "Supplier B"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, r) = own
        .call(
            "POST",
            "/api/v1/identifiers",
            Some(json!({"handle": "86.1000.12/MOTOR-7", "values": [value(1, "URL", "https://b.example/v1")]})),
        )
        .await;
    assert_eq!(s, 201, "{r}");

    // The upstream's identifiers through the resolver, over UDP, TCP and REST.
    let udp = resolve(&["--udp", &addr, "88.118.8/P-0001"]);
    assert_eq!(udp["responseCode"], 1, "{udp}");
    assert_eq!(udp["values"][0]["data"], "https://plant.example/P-0001");
    let tcp = resolve(&["--tcp", &addr, "88.118.8/P-0002", "--type", "EMAIL"]);
    assert_eq!(tcp["values"].as_array().unwrap().len(), 1, "{tcp}");
    assert_eq!(tcp["values"][0]["data"], "qa@plant.example");
    let (s, r) = rest(&resolver, "88.118.8/P-0003?type=URL").await;
    assert_eq!((s, r["responseCode"].clone()), (200, json!(1)), "{r}");
    assert_eq!(
        r["values"][0]["data"]["value"],
        "https://plant.example/P-0003"
    );
    // Not found upstream, under the upstream's prefix or any other.
    for missing in ["88.118.8/NOPE", "99.9/X"] {
        let m = resolve(&["--udp", &addr, missing]);
        assert_eq!(m["responseCode"], 100, "{missing}: {m}");
        let (s, r) = rest(&resolver, missing).await;
        assert_eq!((s, r["responseCode"].clone()), (404, json!(100)), "{r}");
    }

    // Its own identifiers the resolver answers itself; a change made through it is seen
    // at once, though the answer before was cached.
    let mine = resolve(&["--udp", &addr, "86.1000.12/MOTOR-7"]);
    assert_eq!(mine["values"][0]["data"], "https://b.example/v1", "{mine}");
    let (s, r) = own
        .call(
            "PUT",
            "/api/v1/identifiers/86.1000.12%2FMOTOR-7",
            Some(json!({"values": [value(1, "URL", "https://b.example/v2")]})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let mine = resolve(&["--udp", &addr, "86.1000.12/MOTOR-7"]);
    assert_eq!(mine["values"][0]["data"], "https://b.example/v2", "{mine}");
    // A handle under the resolver's own prefix is never asked upstream.
    let m = resolve(&["--tcp", &addr, "86.1000.12/NOPE"]);
    assert_eq!(m["responseCode"], 100, "{m}");

    // A request that passed through too many resolvers is refused, not forwarded.
    let mut req = proto::resolution_request(7, "88.118.8/P-0009", &[], &[], proto::flag::RECU);
    req.header.recursion_count = ironloom_resolver::resolve::MAX_HOPS;
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    sock.send_to(&proto::encode_request(&req), &addr).unwrap();
    let mut buf = [0u8; 2048];
    let n = sock.recv(&mut buf).unwrap();
    let resp = proto::decode_response(&buf[..n]).unwrap();
    assert_eq!(resp.header.response_code, rc::RECURSION_COUNT_TOO_HIGH);

    // Deleted upstream: the resolver answers from its cache until the TTL limit (2 s),
    // then not found.
    let (s, _) = up
        .call("DELETE", "/api/v1/identifiers/88.118.8%2FP-0001", None)
        .await;
    assert_eq!(s, 204);
    let still = resolve(&["--udp", &addr, "88.118.8/P-0001"]);
    assert_eq!(still["responseCode"], 1, "cached: {still}");
    within(
        10,
        "the deleted identifier's cached answer expires",
        || resolver.log.lock().unwrap().clone(),
        || async {
            let (s, _) = rest(&resolver, "88.118.8/P-0001").await;
            (s == 404).then_some(())
        },
    )
    .await;
    let gone = resolve(&["--udp", &addr, "88.118.8/P-0001"]);
    assert_eq!(gone["responseCode"], 100, "{gone}");

    // The upstream down: what is not cached is an error (HTTP 502, responseCode 2),
    // never "not found"; the resolver's own identifiers still resolve.
    drop(upstream);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let (s, r) = rest(&resolver, "88.118.8/P-0002").await;
    assert_eq!((s, r["responseCode"].clone()), (502, json!(2)), "{r}");
    let e = resolve(&["--udp", &addr, "88.118.8/P-0003"]);
    assert_eq!(e["responseCode"], 2, "{e}");
    let mine = resolve(&["--udp", &addr, "86.1000.12/MOTOR-7"]);
    assert_eq!(mine["responseCode"], 1, "{mine}");

    let metrics = reqwest::get(format!("{}/metrics", resolver.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ironloom_identifier_upstream_requests_total"),
        "{metrics}"
    );
}
