//! A coap-lite UDP client, a scriptable handler and a server started per test.

use async_trait::async_trait;
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType};
use ironloom_coap::{
    CoapConfig, CoapHandler, CoapReply, CoapRequest, CoapResponse, CoapServer, Observation,
    ObserveEnd, ResponseCode,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Bounds every wait so a broken server fails the test instead of hanging it.
pub const WAIT: Duration = Duration::from_secs(10);

pub const CONTENT_FORMAT: u16 = 12;
pub const OBSERVE: u16 = 6;
pub const BLOCK2: u16 = 23;
pub const BLOCK1: u16 = 27;
pub const SIZE2: u16 = 28;
pub const SIZE1: u16 = 60;

/// The handler the tests script by path:
/// - `echo`: 2.04 with the request's payload and Content-Format;
/// - `slow`: like `echo`, after taking a permit from `gate`;
/// - `big?n=N`: 2.05 with N bytes (`i % 251`);
/// - `obs`: offers an observation; the sender goes to `senders`;
/// - `panic`: panics;
/// - anything else: 4.04.
///
/// Every call is reported on `started`, every ended observation on `gone`.
#[derive(Debug)]
pub struct TestHandler {
    pub calls: AtomicUsize,
    pub gate: Semaphore,
    started: mpsc::UnboundedSender<CoapRequest>,
    gone: mpsc::UnboundedSender<(Observation, ObserveEnd)>,
    pub senders: Mutex<Vec<Option<mpsc::Sender<CoapResponse>>>>,
}

pub fn big_body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[async_trait]
impl CoapHandler for TestHandler {
    async fn handle(&self, req: CoapRequest) -> CoapReply {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let _ = self.started.send(req.clone());
        match req.path_string().as_str() {
            "echo" => {
                CoapResponse::with_payload(ResponseCode::CHANGED, req.content_format, req.payload)
                    .into()
            }
            "slow" => {
                let permit = self.gate.acquire().await;
                drop(permit);
                CoapResponse::with_payload(ResponseCode::CHANGED, req.content_format, req.payload)
                    .into()
            }
            "big" => {
                let n = req
                    .query
                    .iter()
                    .find_map(|q| q.strip_prefix("n=")?.parse().ok())
                    .unwrap_or(2000);
                CoapResponse::with_payload(ResponseCode::CONTENT, Some(42), big_body(n)).into()
            }
            "obs" => {
                let (tx, rx) = mpsc::channel(8);
                self.senders.lock().unwrap().push(Some(tx));
                CoapReply::Observe {
                    first: CoapResponse::with_payload(ResponseCode::CONTENT, Some(0), "state 0"),
                    updates: rx,
                }
            }
            "panic" => panic!("the handler fails on purpose"),
            _ => CoapResponse::new(ResponseCode::NOT_FOUND).into(),
        }
    }

    fn observer_gone(&self, observation: &Observation, reason: ObserveEnd) {
        let _ = self.gone.send((observation.clone(), reason));
    }
}

pub struct Harness {
    pub addr: SocketAddr,
    pub handler: Arc<TestHandler>,
    pub started: mpsc::UnboundedReceiver<CoapRequest>,
    pub gone: mpsc::UnboundedReceiver<(Observation, ObserveEnd)>,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<()>,
}

impl Harness {
    pub async fn start(tune: impl FnOnce(&mut CoapConfig)) -> Harness {
        let mut config = CoapConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            ..CoapConfig::default()
        };
        tune(&mut config);
        let (started_tx, started) = mpsc::unbounded_channel();
        let (gone_tx, gone) = mpsc::unbounded_channel();
        let handler = Arc::new(TestHandler {
            calls: AtomicUsize::new(0),
            gate: Semaphore::new(0),
            started: started_tx,
            gone: gone_tx,
            senders: Mutex::new(Vec::new()),
        });
        let server = CoapServer::bind(config, handler.clone()).await.unwrap();
        let addr = server.local_addr();
        assert_ne!(addr.port(), 0);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server.run(shutdown.clone()));
        Harness {
            addr,
            handler,
            started,
            gone,
            shutdown,
            task,
        }
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr).await
    }

    pub async fn next_call(&mut self) -> CoapRequest {
        self.next_call_within(WAIT).await
    }

    pub async fn next_call_within(&mut self, wait: Duration) -> CoapRequest {
        tokio::time::timeout(wait, self.started.recv())
            .await
            .expect("the handler was not called in time")
            .unwrap()
    }

    pub async fn next_gone(&mut self) -> (Observation, ObserveEnd) {
        tokio::time::timeout(WAIT, self.gone.recv())
            .await
            .expect("no observation ended in time")
            .unwrap()
    }

    /// The sender of the `i`-th observation the handler offered; the only copy, so
    /// dropping it closes the updates.
    pub fn sender(&self, i: usize) -> mpsc::Sender<CoapResponse> {
        self.handler.senders.lock().unwrap()[i]
            .take()
            .expect("each sender is taken once")
    }

    pub fn calls(&self) -> usize {
        self.handler.calls.load(Ordering::SeqCst)
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the server did not stop in time")
            .unwrap();
    }
}

/// A CoAP client on its own UDP socket.
pub struct Client {
    pub socket: UdpSocket,
    pub server: SocketAddr,
    next_mid: u16,
    next_token: u32,
}

impl Client {
    pub async fn connect(server: SocketAddr) -> Client {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        Client {
            socket,
            server,
            next_mid: 0x100,
            next_token: 0x5000,
        }
    }

    pub fn mid(&mut self) -> u16 {
        self.next_mid = self.next_mid.wrapping_add(1);
        self.next_mid
    }

    pub fn token(&mut self) -> Vec<u8> {
        self.next_token += 1;
        self.next_token.to_be_bytes().to_vec()
    }

    pub async fn send_raw(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, self.server).await.unwrap();
    }

    pub async fn send(&self, p: &Packet) {
        self.send_raw(&p.to_bytes_unlimited().unwrap()).await;
    }

    pub async fn recv_raw(&self) -> Vec<u8> {
        let mut buf = vec![0u8; 65_536];
        let (n, from) = tokio::time::timeout(WAIT, self.socket.recv_from(&mut buf))
            .await
            .expect("no datagram from the server in time")
            .unwrap();
        assert_eq!(from, self.server);
        buf.truncate(n);
        buf
    }

    pub async fn recv(&self) -> Packet {
        Packet::from_bytes(&self.recv_raw().await).expect("the server sent a valid message")
    }

    /// Sends a CoAP ping and expects its Reset as the very next datagram: everything sent
    /// before the ping has been handled and whatever the server answered has arrived.
    pub async fn barrier(&mut self) {
        let mid = self.mid();
        self.send_raw(&[0x40, 0x00, (mid >> 8) as u8, mid as u8])
            .await;
        let p = self.recv().await;
        assert_eq!(
            p.header.get_type(),
            MessageType::Reset,
            "expected only the ping's reset, got {p:?}"
        );
        assert_eq!(p.header.message_id, mid);
    }

    /// Sends a CoAP ping and returns everything that arrives before its Reset.
    pub async fn drain(&mut self) -> Vec<Packet> {
        let mid = self.mid();
        self.send_raw(&[0x40, 0x00, (mid >> 8) as u8, mid as u8])
            .await;
        let mut out = Vec::new();
        loop {
            let p = self.recv().await;
            if p.header.get_type() == MessageType::Reset && p.header.message_id == mid {
                return out;
            }
            out.push(p);
        }
    }

    /// A confirmable request; returns its piggybacked answer.
    pub async fn call(&mut self, p: &Packet) -> Packet {
        self.send(p).await;
        let r = self.recv().await;
        assert_eq!(r.header.get_type(), MessageType::Acknowledgement);
        assert_eq!(r.header.message_id, p.header.message_id);
        assert_eq!(r.get_token(), p.get_token());
        r
    }

    /// A confirmable request without options or payload; returns its answer.
    pub async fn ask(&mut self, method: RequestType, uri: &str) -> Packet {
        let req = self.con(method, uri);
        self.call(&req).await
    }

    /// Acknowledges a confirmable notification.
    pub async fn ack(&self, p: &Packet) {
        let mid = p.header.message_id;
        self.send_raw(&[0x60, 0x00, (mid >> 8) as u8, mid as u8])
            .await;
    }

    pub async fn reset(&self, p: &Packet) {
        let mid = p.header.message_id;
        self.send_raw(&[0x70, 0x00, (mid >> 8) as u8, mid as u8])
            .await;
    }

    /// A request with a fresh message id and token; `path` is split at `/`, a `?` starts
    /// the query (items split at `&`).
    pub fn request(&mut self, mtype: MessageType, method: RequestType, uri: &str) -> Packet {
        let mut p = Packet::new();
        p.header.set_type(mtype);
        p.header.code = MessageClass::Request(method);
        p.header.message_id = self.mid();
        p.set_token(self.token());
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
        }
        for q in query.split('&').filter(|s| !s.is_empty()) {
            p.add_option(CoapOption::UriQuery, q.as_bytes().to_vec());
        }
        p
    }

    pub fn con(&mut self, method: RequestType, uri: &str) -> Packet {
        self.request(MessageType::Confirmable, method, uri)
    }
}

pub fn code(p: &Packet) -> ResponseCode {
    ResponseCode::from_byte(u8::from(p.header.code)).expect("a response code")
}

pub fn uint(v: &[u8]) -> u32 {
    v.iter().fold(0u32, |a, b| (a << 8) | *b as u32)
}

pub fn option_uint(p: &Packet, number: u16) -> Option<u32> {
    p.get_first_option(CoapOption::from(number))
        .map(|v| uint(v))
}

pub fn set_uint(p: &mut Packet, number: u16, value: u32) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    p.clear_option(CoapOption::from(number));
    p.add_option(CoapOption::from(number), bytes[skip..].to_vec());
}

/// (num, more, szx) of a block option.
pub fn block(p: &Packet, number: u16) -> Option<(u32, bool, u8)> {
    option_uint(p, number).map(|v| (v >> 4, v & 8 != 0, (v & 7) as u8))
}

pub fn set_block(p: &mut Packet, number: u16, num: u32, more: bool, szx: u8) {
    set_uint(p, number, (num << 4) | ((more as u32) << 3) | szx as u32);
}
