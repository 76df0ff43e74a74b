//! Third-party clients against the server: aiocoap (Python) and libcoap's `coap-client`.
//! Each test is skipped, with a message saying so, when its client is not installed.

use crate::support::*;
use ironloom_coap::{CoapResponse, ObserveEnd, ResponseCode};
use std::path::Path;
use std::process::{Output, Stdio};
use tokio::process::Command;

/// Runs a client to completion (bounded by [`WAIT`] times three).
async fn run(cmd: &mut Command) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the client");
    tokio::time::timeout(WAIT * 3, child.wait_with_output())
        .await
        .expect("the client did not finish in time")
        .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn aiocoap_present() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import aiocoap"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn aiocoap_client_interoperates() {
    if !aiocoap_present() {
        println!("SKIPPED aiocoap_client_interoperates: python3 module aiocoap is not installed");
        return;
    }
    // aiocoap closes its socket at the end, so the last notification goes unacknowledged;
    // short retransmission settings keep that wait small.
    let mut h = Harness::start(|c| {
        c.ack_timeout = "50ms".parse().unwrap();
        c.max_retransmit = 1;
    })
    .await;
    let script = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"))
        .join("tests/aiocoap_client.py");
    let port = h.addr.port().to_string();
    let mut cmd = Command::new("python3");
    cmd.arg(&script).arg(&port);
    let mut client = tokio::spawn(async move { run(&mut cmd).await });
    // Answer the observation with three updates once it is registered. The Python client
    // may take a while to start on a busy machine; if it ends first, show why.
    loop {
        let req = tokio::select! {
            req = h.next_call_within(WAIT * 3) => req,
            out = &mut client => {
                let out = out.unwrap();
                panic!("the aiocoap client ended before observing: {}", show(&out));
            }
        };
        if req.path == ["obs"] && req.observe == Some(0) {
            break;
        }
    }
    let tx = h.sender(0);
    for i in 1..=3 {
        let update =
            CoapResponse::with_payload(ResponseCode::CONTENT, Some(0), format!("state {i}"));
        tx.send(update).await.unwrap();
    }
    let out = client.await.unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("all ok"),
        "{}",
        show(&out)
    );
    // aiocoap forgets the observation; the next notification finds it gone (a Reset, or no
    // acknowledgement from the closed socket).
    let _ = tx
        .send(CoapResponse::with_payload(
            ResponseCode::CONTENT,
            Some(0),
            "late",
        ))
        .await;
    let (_, reason) = h.next_gone().await;
    assert!(
        matches!(
            reason,
            ObserveEnd::Reset | ObserveEnd::NotAcknowledged | ObserveEnd::Deregistered
        ),
        "{reason:?}"
    );
    h.stop().await;
}

#[tokio::test]
async fn libcoap_client_interoperates() {
    let Some(bin) = ironloom_testkit::peers::coap_client() else {
        println!(
            "SKIPPED libcoap_client_interoperates: coap-client (libcoap3-bin) is not installed"
        );
        return;
    };
    let mut h = Harness::start(|_| {}).await;
    let base = format!("coap://127.0.0.1:{}", h.addr.port());
    let dir = std::env::temp_dir().join(format!("ironloom-coap-libcoap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // Block2: a 3000-byte GET in the server's 512-byte blocks.
    let got = dir.join("big.out");
    let out = run(Command::new(bin)
        .args(["-m", "get", "-o"])
        .arg(&got)
        .arg(format!("{base}/big?n=3000")))
    .await;
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(std::fs::read(&got).unwrap(), big_body(3000));
    assert_eq!(h.calls(), 1);

    // Block1: a 400-byte POST in 64-byte blocks, reassembled for the handler.
    let input = dir.join("upload.in");
    std::fs::write(&input, big_body(400)).unwrap();
    let echoed = dir.join("upload.out");
    let out = run(Command::new(bin)
        .args(["-m", "post", "-b", "64", "-t", "42", "-f"])
        .arg(&input)
        .arg("-o")
        .arg(&echoed)
        .arg(format!("{base}/echo")))
    .await;
    assert!(out.status.success(), "{}", show(&out));
    let seen = loop {
        let r = h.next_call().await;
        if r.path == ["echo"] {
            break r;
        }
    };
    assert_eq!(seen.payload, big_body(400));
    assert_eq!(seen.content_format, Some(42));
    assert_eq!(std::fs::read(&echoed).unwrap(), big_body(400));

    // Non-confirmable.
    let non = dir.join("non.out");
    let out = run(Command::new(bin)
        .args(["-N", "-m", "put", "-e", "non", "-o"])
        .arg(&non)
        .arg(format!("{base}/echo")))
    .await;
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(std::fs::read(&non).unwrap(), b"non");

    // Observe for two seconds (coap-client's own duration), with two updates.
    let mut cmd = Command::new(bin);
    cmd.args(["-s", "2", "-w", "-o", "-"])
        .arg(format!("{base}/obs"));
    let client = tokio::spawn(async move { run(&mut cmd).await });
    loop {
        let r = h.next_call().await;
        if r.path == ["obs"] && r.observe == Some(0) {
            break;
        }
    }
    let tx = h.sender(0);
    for i in 1..=2 {
        let update =
            CoapResponse::with_payload(ResponseCode::CONTENT, Some(0), format!("state {i}"));
        tx.send(update).await.unwrap();
    }
    let out = client.await.unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("state 0") && text.contains("state 2"),
        "{}",
        show(&out)
    );
    drop(tx);
    h.next_gone().await;
    let _ = std::fs::remove_dir_all(&dir);
    h.stop().await;
}
