//! A test platform for the server, and a raw MQTT client that speaks bytes, so tests can
//! send what well-behaved clients never would.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use ironloom_mqtt::{
    AckReason, ConnectInfo, ConnectRefusal, DisconnectCause, Grant, InboundPublish, ListenerKind,
    MqttConfig, MqttHooks, MqttServer, QoS, SubscribeRefusal, Verdict,
};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// User name `ns:<namespace>`, password `secret`.
#[derive(Debug, Default)]
pub struct TestHooks {
    pub received: Mutex<Vec<(String, String, Bytes)>>,
    pub events: Mutex<Vec<String>>,
    /// How each CONNECT that reached authentication came in.
    pub listeners: Mutex<Vec<ListenerKind>>,
    /// Held while a publish is "being made durable"; tests lock it to stall acks.
    pub durable: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
pub struct Client {
    pub ns: String,
    pub id: String,
}

#[async_trait]
impl MqttHooks for TestHooks {
    type Client = Client;

    async fn authenticate(&self, info: ConnectInfo<'_>) -> Result<Grant<Client>, ConnectRefusal> {
        self.listeners.lock().unwrap().push(info.listener);
        let ns = info
            .username
            .and_then(|u| u.strip_prefix("ns:"))
            .ok_or(ConnectRefusal::BadCredentials)?;
        if info.password != Some("secret") {
            return Err(ConnectRefusal::BadCredentials);
        }
        Ok(Grant {
            namespace: ns.into(),
            metrics_label: "test".into(),
            client: Client {
                ns: ns.into(),
                id: info.client_id.into(),
            },
            // Clients named `auto-…` rely on the server to subscribe them.
            subscriptions: if info.client_id.starts_with("auto-") {
                vec![format!("to/{}", info.client_id).into()]
            } else {
                vec![]
            },
        })
    }

    fn check_subscribe(&self, _client: &Client, filter: &str) -> Result<QoS, SubscribeRefusal> {
        if filter.starts_with("forbidden") {
            Err(SubscribeRefusal::NotAuthorized)
        } else if filter.starts_with("qos1/") {
            Ok(QoS::AtLeastOnce)
        } else {
            Ok(QoS::ExactlyOnce)
        }
    }

    async fn publish(&self, client: &Client, batch: &[InboundPublish]) -> Vec<Verdict> {
        let _durable = self.durable.lock().await;
        let mut out = Vec::new();
        for p in batch {
            self.received.lock().unwrap().push((
                client.ns.clone(),
                p.topic.to_string(),
                p.payload.clone(),
            ));
            out.push(if p.topic.starts_with("reject/") {
                Verdict::refused(AckReason::PayloadFormatInvalid, "payload is not valid")
            } else if p.topic.starts_with("deny/") {
                Verdict::refused(AckReason::NotAuthorized, "not your topic")
            } else if p.topic.starts_with("fail/") {
                Verdict::refused(AckReason::ImplementationSpecificError, "storage failed")
            } else if p.topic.starts_with("store/") {
                Verdict::accepted()
            } else {
                Verdict::routed()
            });
        }
        out
    }

    fn connected(&self, client: &Client) {
        self.events
            .lock()
            .unwrap()
            .push(format!("connected {}/{}", client.ns, client.id));
    }

    fn subscribed(&self, client: &Client, filters: &[Arc<str>]) {
        self.events.lock().unwrap().push(format!(
            "subscribed {}/{} {}",
            client.ns,
            client.id,
            filters.join(",")
        ));
    }

    fn disconnected(&self, client: &Client, cause: DisconnectCause) {
        self.events.lock().unwrap().push(format!(
            "disconnected {}/{} {}",
            client.ns,
            client.id,
            cause.as_str()
        ));
    }
}

impl TestHooks {
    pub fn received_topics(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(ns, t, _)| format!("{ns}:{t}"))
            .collect()
    }
}

pub struct TestServer {
    pub server: MqttServer<TestHooks>,
    pub hooks: Arc<TestHooks>,
    pub addr: SocketAddr,
    pub stop: CancellationToken,
    pub task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(config: impl FnOnce(&mut MqttConfig)) -> TestServer {
        let mut cfg = MqttConfig {
            addr: ironloom_core::units::ListenAddr::on("127.0.0.1:0".parse().unwrap()),
            ..MqttConfig::default()
        };
        config(&mut cfg);
        let hooks = Arc::new(TestHooks::default());
        let server = MqttServer::bind(cfg, hooks.clone()).await.unwrap();
        let addr = server.local_addr().unwrap();
        let stop = CancellationToken::new();
        let s = server.clone();
        let st = stop.clone();
        let task = tokio::spawn(async move { s.run(st, Duration::from_secs(5)).await });
        TestServer {
            server,
            hooks,
            addr,
            stop,
            task,
        }
    }
}

/// A client that writes and reads raw packets.
pub struct Raw {
    pub stream: TcpStream,
    pub buf: BytesMut,
    pub v5: bool,
}

/// What a raw client reads back, for either version.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    ConnAck {
        present: bool,
        code: u8,
        props: Option<v5::ConnAckProperties>,
    },
    Publish {
        topic: String,
        payload: Bytes,
        qos: u8,
        retain: bool,
        dup: bool,
        pkid: u16,
        props: Option<v5::PublishProperties>,
    },
    PubAck {
        pkid: u16,
        reason: u8,
        text: Option<String>,
    },
    PubRec {
        pkid: u16,
        reason: u8,
    },
    PubRel(u16),
    PubComp(u16),
    SubAck {
        pkid: u16,
        codes: Vec<u8>,
    },
    UnsubAck(u16),
    PingResp,
    Disconnect {
        reason: u8,
        text: Option<String>,
    },
    Closed,
}

pub fn q4(q: u8) -> rumqttc::mqttbytes::QoS {
    rumqttc::mqttbytes::qos(q).unwrap()
}

pub fn q5(q: u8) -> rumqttc::v5::mqttbytes::QoS {
    rumqttc::v5::mqttbytes::qos(q).unwrap()
}

impl Raw {
    pub async fn open(addr: SocketAddr, v5: bool) -> Raw {
        Raw {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: BytesMut::new(),
            v5,
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes).await;
    }

    /// CONNECT with user name `ns:<ns>`.
    pub async fn connect(
        addr: SocketAddr,
        v5: bool,
        ns: &str,
        client_id: &str,
        clean: bool,
    ) -> (Raw, Got) {
        let mut raw = Raw::open(addr, v5).await;
        raw.send_connect(ns, "secret", client_id, clean, 30, None)
            .await;
        let ack = raw.next().await;
        (raw, ack)
    }

    pub async fn send_connect(
        &mut self,
        ns: &str,
        password: &str,
        client_id: &str,
        clean: bool,
        keep_alive: u16,
        will: Option<(&str, &str, u8)>,
    ) {
        let mut b = BytesMut::new();
        if self.v5 {
            let c = v5::Connect {
                keep_alive,
                client_id: client_id.into(),
                clean_start: clean,
                properties: Some(v5::ConnectProperties {
                    session_expiry_interval: if clean { None } else { Some(600) },
                    receive_maximum: None,
                    max_packet_size: None,
                    topic_alias_max: None,
                    request_response_info: None,
                    request_problem_info: None,
                    user_properties: vec![],
                    authentication_method: None,
                    authentication_data: None,
                }),
            };
            let will = will.map(|(t, p, q)| v5::LastWill::new(t, p, q5(q), false, None));
            c.write(
                &will,
                &Some(v5::Login::new(format!("ns:{ns}"), password)),
                &mut b,
            )
            .unwrap();
        } else {
            let mut c = v4::Connect::new(client_id);
            c.keep_alive = keep_alive;
            c.clean_session = clean;
            c.set_login(format!("ns:{ns}"), password);
            c.last_will = will.map(|(t, p, q)| v4::LastWill::new(t, p, q4(q), false));
            c.write(&mut b).unwrap();
        }
        self.send(&b).await;
    }

    pub async fn publish(&mut self, topic: &str, payload: &[u8], qos: u8, pkid: u16, retain: bool) {
        self.publish_props(topic, payload, qos, pkid, retain, None)
            .await;
    }

    pub async fn publish_props(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: u8,
        pkid: u16,
        retain: bool,
        props: Option<v5::PublishProperties>,
    ) {
        let mut b = BytesMut::new();
        if self.v5 {
            let mut p = v5::Publish::new(topic, q5(qos), payload.to_vec(), props);
            p.pkid = pkid;
            p.retain = retain;
            p.write(&mut b).unwrap();
        } else {
            let mut p = v4::Publish::new(topic, q4(qos), payload.to_vec());
            p.pkid = pkid;
            p.retain = retain;
            p.write(&mut b).unwrap();
        }
        self.send(&b).await;
    }

    pub async fn subscribe(&mut self, filter: &str, qos: u8, pkid: u16) {
        let mut b = BytesMut::new();
        if self.v5 {
            let mut s = v5::Subscribe::new(v5::Filter::new(filter, q5(qos)), None);
            s.pkid = pkid;
            s.write(&mut b).unwrap();
        } else {
            let mut s = v4::Subscribe::new(filter, q4(qos));
            s.pkid = pkid;
            s.write(&mut b).unwrap();
        }
        self.send(&b).await;
    }

    pub async fn ack(&mut self, pkid: u16) {
        let mut b = BytesMut::new();
        if self.v5 {
            v5::PubAck::new(pkid, None).write(&mut b).unwrap();
        } else {
            v4::PubAck::new(pkid).write(&mut b).unwrap();
        }
        self.send(&b).await;
    }

    pub async fn pubrel(&mut self, pkid: u16) {
        let mut b = BytesMut::new();
        if self.v5 {
            v5::PubRel::new(pkid, None).write(&mut b).unwrap();
        } else {
            v4::PubRel::new(pkid).write(&mut b).unwrap();
        }
        self.send(&b).await;
    }

    pub async fn disconnect(&mut self) {
        self.send(&[0xe0, 0x00]).await;
    }

    /// The next packet, or `Closed`; fails the test after 10 s.
    pub async fn next(&mut self) -> Got {
        tokio::time::timeout(Duration::from_secs(10), self.next_inner())
            .await
            .expect("no packet from the server within 10 s")
    }

    /// Whether nothing arrives within `d` (for "must not be delivered" checks).
    pub async fn quiet_for(&mut self, d: Duration) -> bool {
        tokio::time::timeout(d, self.next_inner()).await.is_err()
    }

    async fn next_inner(&mut self) -> Got {
        loop {
            if let Some(g) = self.decode() {
                return g;
            }
            match self.stream.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return Got::Closed,
                Ok(_) => {}
            }
        }
    }

    fn decode(&mut self) -> Option<Got> {
        if self.v5 {
            match v5::Packet::read(&mut self.buf, None) {
                Ok(p) => Some(match p {
                    v5::Packet::ConnAck(a) => Got::ConnAck {
                        present: a.session_present,
                        code: connack5_code(a.code),
                        props: a.properties,
                    },
                    v5::Packet::Publish(p) => Got::Publish {
                        topic: String::from_utf8(p.topic.to_vec()).unwrap(),
                        payload: p.payload,
                        qos: p.qos as u8,
                        retain: p.retain,
                        dup: p.dup,
                        pkid: p.pkid,
                        props: p.properties,
                    },
                    v5::Packet::PubAck(a) => Got::PubAck {
                        pkid: a.pkid,
                        reason: puback5_code(a.reason),
                        text: a.properties.and_then(|p| p.reason_string),
                    },
                    v5::Packet::PubRec(a) => Got::PubRec {
                        pkid: a.pkid,
                        reason: if a.reason == v5::PubRecReason::Success {
                            0
                        } else {
                            0x80
                        },
                    },
                    v5::Packet::PubRel(a) => Got::PubRel(a.pkid),
                    v5::Packet::PubComp(a) => Got::PubComp(a.pkid),
                    v5::Packet::SubAck(a) => Got::SubAck {
                        pkid: a.pkid,
                        codes: a
                            .return_codes
                            .iter()
                            .map(|c| match c {
                                v5::SubscribeReasonCode::Success(q) => *q as u8,
                                v5::SubscribeReasonCode::NotAuthorized => 0x87,
                                v5::SubscribeReasonCode::TopicFilterInvalid => 0x8f,
                                v5::SubscribeReasonCode::QuotaExceeded => 0x97,
                                v5::SubscribeReasonCode::SharedSubscriptionsNotSupported => 0x9e,
                                _ => 0x80,
                            })
                            .collect(),
                    },
                    v5::Packet::UnsubAck(a) => Got::UnsubAck(a.pkid),
                    v5::Packet::PingResp(_) => Got::PingResp,
                    v5::Packet::Disconnect(d) => Got::Disconnect {
                        reason: d.reason_code as u8,
                        text: d.properties.and_then(|p| p.reason_string),
                    },
                    other => panic!("unexpected packet {other:?}"),
                }),
                Err(_) => None,
            }
        } else {
            match v4::Packet::read(&mut self.buf, 1 << 20) {
                Ok(p) => Some(match p {
                    v4::Packet::ConnAck(a) => Got::ConnAck {
                        present: a.session_present,
                        code: a.code as u8,
                        props: None,
                    },
                    v4::Packet::Publish(p) => Got::Publish {
                        topic: p.topic,
                        payload: p.payload,
                        qos: p.qos as u8,
                        retain: p.retain,
                        dup: p.dup,
                        pkid: p.pkid,
                        props: None,
                    },
                    v4::Packet::PubAck(a) => Got::PubAck {
                        pkid: a.pkid,
                        reason: 0,
                        text: None,
                    },
                    v4::Packet::PubRec(a) => Got::PubRec {
                        pkid: a.pkid,
                        reason: 0,
                    },
                    v4::Packet::PubRel(a) => Got::PubRel(a.pkid),
                    v4::Packet::PubComp(a) => Got::PubComp(a.pkid),
                    v4::Packet::SubAck(a) => Got::SubAck {
                        pkid: a.pkid,
                        codes: a
                            .return_codes
                            .iter()
                            .map(|c| match c {
                                v4::SubscribeReasonCode::Success(q) => *q as u8,
                                v4::SubscribeReasonCode::Failure => 0x80,
                            })
                            .collect(),
                    },
                    v4::Packet::UnsubAck(a) => Got::UnsubAck(a.pkid),
                    v4::Packet::PingResp => Got::PingResp,
                    other => panic!("unexpected packet {other:?}"),
                }),
                Err(_) => None,
            }
        }
    }
}

fn connack5_code(c: v5::ConnectReturnCode) -> u8 {
    use v5::ConnectReturnCode as C;
    match c {
        C::Success => 0,
        C::UnsupportedProtocolVersion => 0x84,
        C::ClientIdentifierNotValid => 0x85,
        C::BadUserNamePassword => 0x86,
        C::NotAuthorized => 0x87,
        C::ServerBusy => 0x89,
        C::Banned => 0x8a,
        C::BadAuthenticationMethod => 0x8c,
        C::MalformedPacket => 0x81,
        C::UseAnotherServer => 0x9c,
        _ => 0x80,
    }
}

fn puback5_code(r: v5::PubAckReason) -> u8 {
    use v5::PubAckReason as R;
    match r {
        R::Success => 0,
        R::NoMatchingSubscribers => 0x10,
        R::UnspecifiedError => 0x80,
        R::ImplementationSpecificError => 0x83,
        R::NotAuthorized => 0x87,
        R::TopicNameInvalid => 0x90,
        R::PacketIdentifierInUse => 0x91,
        R::QuotaExceeded => 0x97,
        R::PayloadFormatInvalid => 0x99,
    }
}
