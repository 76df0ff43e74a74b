//! One packet model over MQTT 3.1.1 and 5.0.
//!
//! Frames are cut here: the fixed header is read and the size limit applied before the
//! body is buffered; only a complete frame goes to `rumqttc`'s decoder for its version.
//! Outgoing packets are encoded for the client's version. MQTT 3.1.1 has no reason codes or
//! properties: they are simply not sent.

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;

use crate::QoS;
use crate::hooks::AckReason;
use crate::router::MessageProps;

/// The protocol version a client connected with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolVersion {
    V311,
    V5,
}

impl ProtocolVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V311 => "3.1.1",
            ProtocolVersion::V5 => "5.0",
        }
    }
}

/// Why bytes could not be decoded into a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("packet of {size} bytes is larger than the limit of {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("malformed packet: {0}")]
    Malformed(String),
    #[error("the first packet must be CONNECT")]
    NotConnect,
    #[error("unsupported protocol {name:?} level {level}")]
    UnsupportedProtocol { name: String, level: u8 },
}

/// A will message from CONNECT.
#[derive(Debug, Clone)]
pub(crate) struct WillPkt {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub delay_secs: u32,
    pub props: Option<Box<MessageProps>>,
}

#[derive(Debug, Clone)]
pub(crate) struct ConnectPkt {
    pub version: ProtocolVersion,
    pub client_id: String,
    pub keep_alive: u16,
    pub clean_start: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    pub will: Option<WillPkt>,
    /// MQTT 5 only; MQTT 3.1.1 sessions follow `clean_start`.
    pub session_expiry: Option<u32>,
    pub receive_maximum: Option<u16>,
    pub max_packet_size: Option<u32>,
    pub auth_method: Option<String>,
    pub request_problem_info: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct PublishPkt {
    pub qos: QoS,
    pub retain: bool,
    pub topic: Bytes,
    pub pkid: u16,
    pub payload: Bytes,
    pub topic_alias: Option<u16>,
    pub props: Option<Box<MessageProps>>,
}

#[derive(Debug, Clone)]
pub(crate) struct SubFilter {
    pub filter: String,
    pub qos: QoS,
    pub no_local: bool,
    pub retain_as_published: bool,
    /// 0: send retained messages, 1: only for a new subscription, 2: never.
    pub retain_handling: u8,
}

#[derive(Debug, Clone)]
pub(crate) enum Incoming {
    Connect(Box<ConnectPkt>),
    Publish(PublishPkt),
    PubAck(u16),
    PubRec(u16),
    PubRel(u16),
    PubComp(u16),
    Subscribe {
        pkid: u16,
        filters: Vec<SubFilter>,
        id: Option<u32>,
    },
    Unsubscribe {
        pkid: u16,
        filters: Vec<String>,
    },
    PingReq,
    Disconnect {
        /// MQTT 5 reason code (0: normal, 4: publish the will).
        reason: u8,
        session_expiry: Option<u32>,
    },
    /// MQTT 5 enhanced authentication, which the server does not offer.
    Auth,
    /// A packet only a server sends (CONNACK, SUBACK …).
    ServerOnly(u8),
}

/// Fixed header of the next frame in `buf`: (first byte, header length, remaining length),
/// or `None` when more bytes are needed. Refuses frames over `max` bytes (fixed header
/// included) as soon as their length is known.
pub(crate) fn frame_header(
    buf: &[u8],
    max: usize,
) -> Result<Option<(u8, usize, usize)>, DecodeError> {
    let Some(&byte1) = buf.first() else {
        return Ok(None);
    };
    let mut len = 0usize;
    for i in 0..4 {
        let Some(&b) = buf.get(1 + i) else {
            return Ok(None);
        };
        len |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let header = 2 + i;
            if header + len > max {
                return Err(DecodeError::TooLarge {
                    size: header + len,
                    max,
                });
            }
            return Ok(Some((byte1, header, len)));
        }
    }
    Err(DecodeError::Malformed(
        "remaining length over four bytes".into(),
    ))
}

/// Reads the protocol name and level of a CONNECT frame (complete in `frame`).
fn connect_protocol(frame: &[u8], header: usize) -> Result<(String, u8), DecodeError> {
    let body = &frame[header..];
    let short = || DecodeError::Malformed("CONNECT too short".into());
    let name_len = usize::from(u16::from_be_bytes([
        *body.first().ok_or_else(short)?,
        *body.get(1).ok_or_else(short)?,
    ]));
    let name = body.get(2..2 + name_len).ok_or_else(short)?;
    let level = *body.get(2 + name_len).ok_or_else(short)?;
    Ok((String::from_utf8_lossy(name).into_owned(), level))
}

/// Takes the next complete packet off `buf`. `version` is `None` until CONNECT was read:
/// then only CONNECT is accepted, and its protocol level picks the decoder.
pub(crate) fn decode(
    buf: &mut BytesMut,
    version: Option<ProtocolVersion>,
    max: usize,
) -> Result<Option<Incoming>, DecodeError> {
    // Before CONNECT, anything else is refused from its first byte, without waiting for
    // the frame (an HTTP request must not sit until the connect timeout).
    if version.is_none() && buf.first().is_some_and(|&b| b != 0x10) {
        return Err(DecodeError::NotConnect);
    }
    let Some((byte1, header, len)) = frame_header(buf, max)? else {
        return Ok(None);
    };
    if buf.len() < header + len {
        // Room for the rest of the frame, now that its size is known to be allowed.
        buf.reserve(header + len - buf.len());
        return Ok(None);
    }
    let packet_type = byte1 >> 4;
    let version = match version {
        Some(v) => {
            if packet_type == 1 {
                let _ = buf.split_to(header + len);
                return Err(DecodeError::Malformed("a second CONNECT".into()));
            }
            v
        }
        None => {
            if packet_type != 1 {
                return Err(DecodeError::NotConnect);
            }
            match connect_protocol(&buf[..header + len], header)? {
                (n, 4) if n == "MQTT" => ProtocolVersion::V311,
                (n, 5) if n == "MQTT" => ProtocolVersion::V5,
                (name, level) => return Err(DecodeError::UnsupportedProtocol { name, level }),
            }
        }
    };
    let mut frame = buf.split_to(header + len);
    let malformed = |e: &dyn std::fmt::Display| DecodeError::Malformed(e.to_string());
    match version {
        ProtocolVersion::V311 => {
            // Reserved flag bits must be as the specification fixes them (§2.2.2).
            let flags = byte1 & 0x0f;
            let flags_ok = match packet_type {
                3 => (flags >> 1) & 3 != 3,
                6 | 8 | 10 => flags == 2,
                _ => flags == 0,
            };
            if !flags_ok {
                return Err(DecodeError::Malformed("reserved flag bits set".into()));
            }
            let p = v4::Packet::read(&mut frame, max).map_err(|e| malformed(&e))?;
            Ok(Some(from_v4(p)?))
        }
        ProtocolVersion::V5 => {
            match packet_type {
                // A DISCONNECT without reason code or properties (remaining length 0) is
                // valid in MQTT 5 but refused by the decoder.
                14 if len == 0 => {
                    return Ok(Some(Incoming::Disconnect {
                        reason: 0,
                        session_expiry: None,
                    }));
                }
                15 => return Ok(Some(Incoming::Auth)),
                _ => {}
            }
            let p = v5::Packet::read(&mut frame, None).map_err(|e| malformed(&e))?;
            Ok(Some(from_v5(p)?))
        }
    }
}

fn qos4(q: rumqttc::mqttbytes::QoS) -> QoS {
    match q {
        rumqttc::mqttbytes::QoS::AtMostOnce => QoS::AtMostOnce,
        rumqttc::mqttbytes::QoS::AtLeastOnce => QoS::AtLeastOnce,
        rumqttc::mqttbytes::QoS::ExactlyOnce => QoS::ExactlyOnce,
    }
}

fn to_qos4(q: QoS) -> rumqttc::mqttbytes::QoS {
    match q {
        QoS::AtMostOnce => rumqttc::mqttbytes::QoS::AtMostOnce,
        QoS::AtLeastOnce => rumqttc::mqttbytes::QoS::AtLeastOnce,
        QoS::ExactlyOnce => rumqttc::mqttbytes::QoS::ExactlyOnce,
    }
}

fn from_v4(p: v4::Packet) -> Result<Incoming, DecodeError> {
    Ok(match p {
        v4::Packet::Connect(c) => Incoming::Connect(Box::new(ConnectPkt {
            version: ProtocolVersion::V311,
            client_id: c.client_id,
            keep_alive: c.keep_alive,
            clean_start: c.clean_session,
            username: c.login.as_ref().map(|l| l.username.clone()),
            password: c.login.map(|l| l.password),
            will: c.last_will.map(|w| WillPkt {
                topic: w.topic,
                payload: w.message,
                qos: qos4(w.qos),
                retain: w.retain,
                delay_secs: 0,
                props: None,
            }),
            session_expiry: None,
            receive_maximum: None,
            max_packet_size: None,
            auth_method: None,
            request_problem_info: true,
        })),
        v4::Packet::Publish(p) => Incoming::Publish(PublishPkt {
            qos: qos4(p.qos),
            retain: p.retain,
            topic: Bytes::from(p.topic.into_bytes()),
            pkid: p.pkid,
            payload: p.payload,
            topic_alias: None,
            props: None,
        }),
        v4::Packet::PubAck(a) => Incoming::PubAck(a.pkid),
        v4::Packet::PubRec(a) => Incoming::PubRec(a.pkid),
        v4::Packet::PubRel(a) => Incoming::PubRel(a.pkid),
        v4::Packet::PubComp(a) => Incoming::PubComp(a.pkid),
        v4::Packet::Subscribe(s) => Incoming::Subscribe {
            pkid: s.pkid,
            filters: s
                .filters
                .into_iter()
                .map(|f| SubFilter {
                    filter: f.path,
                    qos: qos4(f.qos),
                    no_local: false,
                    retain_as_published: false,
                    retain_handling: 0,
                })
                .collect(),
            id: None,
        },
        v4::Packet::Unsubscribe(u) => Incoming::Unsubscribe {
            pkid: u.pkid,
            filters: u.topics,
        },
        v4::Packet::PingReq => Incoming::PingReq,
        v4::Packet::Disconnect => Incoming::Disconnect {
            reason: 0,
            session_expiry: None,
        },
        v4::Packet::ConnAck(_) => Incoming::ServerOnly(2),
        v4::Packet::SubAck(_) => Incoming::ServerOnly(9),
        v4::Packet::UnsubAck(_) => Incoming::ServerOnly(11),
        v4::Packet::PingResp => Incoming::ServerOnly(13),
    })
}

fn props_in(
    content_type: Option<String>,
    response_topic: Option<String>,
    correlation_data: Option<Bytes>,
    user_properties: Vec<(String, String)>,
    payload_format_indicator: Option<u8>,
    message_expiry_interval: Option<u32>,
) -> Option<Box<MessageProps>> {
    let p = MessageProps {
        payload_utf8: payload_format_indicator == Some(1),
        content_type,
        response_topic,
        correlation_data,
        user_properties,
        expiry_secs: message_expiry_interval,
    };
    (!p.is_empty()).then(|| Box::new(p))
}

fn from_v5(p: v5::Packet) -> Result<Incoming, DecodeError> {
    Ok(match p {
        v5::Packet::Connect(c, will, login) => {
            let props = c.properties;
            Incoming::Connect(Box::new(ConnectPkt {
                version: ProtocolVersion::V5,
                client_id: c.client_id,
                keep_alive: c.keep_alive,
                clean_start: c.clean_start,
                username: login.as_ref().map(|l| l.username.clone()),
                password: login.map(|l| l.password),
                will: match will {
                    None => None,
                    Some(w) => {
                        let topic = String::from_utf8(w.topic.to_vec()).map_err(|_| {
                            DecodeError::Malformed("will topic is not UTF-8".into())
                        })?;
                        let (delay, props) = match w.properties {
                            None => (0, None),
                            Some(p) => (
                                p.delay_interval.unwrap_or(0),
                                props_in(
                                    p.content_type,
                                    p.response_topic,
                                    p.correlation_data,
                                    p.user_properties,
                                    p.payload_format_indicator,
                                    p.message_expiry_interval,
                                ),
                            ),
                        };
                        Some(WillPkt {
                            topic,
                            payload: w.message,
                            qos: w.qos,
                            retain: w.retain,
                            delay_secs: delay,
                            props,
                        })
                    }
                },
                session_expiry: props.as_ref().and_then(|p| p.session_expiry_interval),
                receive_maximum: props.as_ref().and_then(|p| p.receive_maximum),
                max_packet_size: props.as_ref().and_then(|p| p.max_packet_size),
                request_problem_info: props
                    .as_ref()
                    .and_then(|p| p.request_problem_info)
                    .is_none_or(|v| v != 0),
                auth_method: props.and_then(|p| p.authentication_method),
            }))
        }
        v5::Packet::Publish(p) => {
            let (alias, props) = match p.properties {
                None => (None, None),
                Some(pp) => (
                    pp.topic_alias,
                    props_in(
                        pp.content_type,
                        pp.response_topic,
                        pp.correlation_data,
                        pp.user_properties,
                        pp.payload_format_indicator,
                        pp.message_expiry_interval,
                    ),
                ),
            };
            Incoming::Publish(PublishPkt {
                qos: p.qos,
                retain: p.retain,
                topic: p.topic,
                pkid: p.pkid,
                payload: p.payload,
                topic_alias: alias,
                props,
            })
        }
        v5::Packet::PubAck(a) => Incoming::PubAck(a.pkid),
        v5::Packet::PubRec(a) => Incoming::PubRec(a.pkid),
        v5::Packet::PubRel(a) => Incoming::PubRel(a.pkid),
        v5::Packet::PubComp(a) => Incoming::PubComp(a.pkid),
        v5::Packet::Subscribe(s) => Incoming::Subscribe {
            pkid: s.pkid,
            id: match s.properties.and_then(|p| p.id) {
                None => None,
                Some(id) => Some(
                    u32::try_from(id)
                        .ok()
                        .filter(|&i| (1..=268_435_455).contains(&i))
                        .ok_or_else(|| {
                            DecodeError::Malformed("subscription identifier out of range".into())
                        })?,
                ),
            },
            filters: s
                .filters
                .into_iter()
                .map(|f| SubFilter {
                    filter: f.path,
                    qos: f.qos,
                    no_local: f.nolocal,
                    retain_as_published: f.preserve_retain,
                    retain_handling: match f.retain_forward_rule {
                        v5::RetainForwardRule::OnEverySubscribe => 0,
                        v5::RetainForwardRule::OnNewSubscribe => 1,
                        v5::RetainForwardRule::Never => 2,
                    },
                })
                .collect(),
        },
        v5::Packet::Unsubscribe(u) => Incoming::Unsubscribe {
            pkid: u.pkid,
            filters: u.filters,
        },
        v5::Packet::PingReq(_) => Incoming::PingReq,
        v5::Packet::Disconnect(d) => Incoming::Disconnect {
            reason: d.reason_code as u8,
            session_expiry: d.properties.and_then(|p| p.session_expiry_interval),
        },
        v5::Packet::Auth(_) => Incoming::Auth,
        v5::Packet::ConnAck(_) => Incoming::ServerOnly(2),
        v5::Packet::SubAck(_) => Incoming::ServerOnly(9),
        v5::Packet::UnsubAck(_) => Incoming::ServerOnly(11),
        v5::Packet::PingResp(_) => Incoming::ServerOnly(13),
    })
}

// ------------------------------------------------------------------------------- encoding

/// CONNACK outcomes, each mapped to the nearest code of the client's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnackCode {
    Success,
    UnsupportedProtocol,
    ClientIdInvalid,
    BadCredentials,
    NotAuthorized,
    ServerBusy,
    Banned,
    BadAuthMethod,
    Malformed,
    /// The server is being drained: another server should be used.
    UseAnotherServer,
}

/// What CONNACK tells an MQTT 5 client about the server's limits.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnackProps {
    pub session_expiry: Option<u32>,
    pub receive_maximum: u16,
    pub max_packet_size: u32,
    pub assigned_client_id: Option<String>,
    pub server_keep_alive: Option<u16>,
    pub reason: Option<String>,
}

/// Reason codes for SUBACK entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubCode {
    Granted(QoS),
    NotAuthorized,
    FilterInvalid,
    QuotaExceeded,
    SharedNotSupported,
}

/// MQTT 5 DISCONNECT reasons the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServerDisconnect {
    Malformed,
    ProtocolError,
    NotAuthorized,
    ServerBusy,
    ServerShuttingDown,
    KeepAliveTimeout,
    SessionTakenOver,
    TopicNameInvalid,
    ReceiveMaximumExceeded,
    TopicAliasInvalid,
    PacketTooLarge,
    MessageRateTooHigh,
    AdministrativeAction,
    UseAnotherServer,
}

fn ack5(r: AckReason) -> v5::PubAckReason {
    match r {
        AckReason::Success => v5::PubAckReason::Success,
        AckReason::NoMatchingSubscribers => v5::PubAckReason::NoMatchingSubscribers,
        AckReason::UnspecifiedError => v5::PubAckReason::UnspecifiedError,
        AckReason::ImplementationSpecificError => v5::PubAckReason::ImplementationSpecificError,
        AckReason::NotAuthorized => v5::PubAckReason::NotAuthorized,
        AckReason::TopicNameInvalid => v5::PubAckReason::TopicNameInvalid,
        AckReason::QuotaExceeded => v5::PubAckReason::QuotaExceeded,
        AckReason::PayloadFormatInvalid => v5::PubAckReason::PayloadFormatInvalid,
    }
}

fn rec5(r: AckReason) -> v5::PubRecReason {
    match r {
        AckReason::Success => v5::PubRecReason::Success,
        AckReason::NoMatchingSubscribers => v5::PubRecReason::NoMatchingSubscribers,
        AckReason::UnspecifiedError => v5::PubRecReason::UnspecifiedError,
        AckReason::ImplementationSpecificError => v5::PubRecReason::ImplementationSpecificError,
        AckReason::NotAuthorized => v5::PubRecReason::NotAuthorized,
        AckReason::TopicNameInvalid => v5::PubRecReason::TopicNameInvalid,
        AckReason::QuotaExceeded => v5::PubRecReason::QuotaExceeded,
        AckReason::PayloadFormatInvalid => v5::PubRecReason::PayloadFormatInvalid,
    }
}

/// Encoder for one connection's outgoing packets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Encoder {
    pub version: ProtocolVersion,
}

// Encoding into a BytesMut cannot fail except for lengths over the protocol's limit, which
// the callers rule out (topics and payloads are bounded by the packet-size limits).
impl Encoder {
    pub fn connack(
        self,
        out: &mut BytesMut,
        session_present: bool,
        code: ConnackCode,
        props: Option<ConnackProps>,
    ) {
        let _ = match self.version {
            ProtocolVersion::V311 => {
                let code = match code {
                    ConnackCode::Success => v4::ConnectReturnCode::Success,
                    ConnackCode::UnsupportedProtocol => {
                        v4::ConnectReturnCode::RefusedProtocolVersion
                    }
                    ConnackCode::ClientIdInvalid => v4::ConnectReturnCode::BadClientId,
                    ConnackCode::BadCredentials | ConnackCode::BadAuthMethod => {
                        v4::ConnectReturnCode::BadUserNamePassword
                    }
                    ConnackCode::NotAuthorized | ConnackCode::Banned => {
                        v4::ConnectReturnCode::NotAuthorized
                    }
                    ConnackCode::ServerBusy
                    | ConnackCode::Malformed
                    | ConnackCode::UseAnotherServer => v4::ConnectReturnCode::ServiceUnavailable,
                };
                v4::ConnAck {
                    session_present,
                    code,
                }
                .write(out)
                .map(drop)
                .map_err(drop)
            }
            ProtocolVersion::V5 => {
                // Only MQTT 5 codes here: the v5 encoder panics on the 3.1.1 ones.
                let code = match code {
                    ConnackCode::Success => v5::ConnectReturnCode::Success,
                    ConnackCode::UnsupportedProtocol => {
                        v5::ConnectReturnCode::UnsupportedProtocolVersion
                    }
                    ConnackCode::ClientIdInvalid => v5::ConnectReturnCode::ClientIdentifierNotValid,
                    ConnackCode::BadCredentials => v5::ConnectReturnCode::BadUserNamePassword,
                    ConnackCode::NotAuthorized => v5::ConnectReturnCode::NotAuthorized,
                    ConnackCode::ServerBusy => v5::ConnectReturnCode::ServerBusy,
                    ConnackCode::Banned => v5::ConnectReturnCode::Banned,
                    ConnackCode::BadAuthMethod => v5::ConnectReturnCode::BadAuthenticationMethod,
                    ConnackCode::Malformed => v5::ConnectReturnCode::MalformedPacket,
                    ConnackCode::UseAnotherServer => v5::ConnectReturnCode::UseAnotherServer,
                };
                let properties = props.map(|p| v5::ConnAckProperties {
                    session_expiry_interval: p.session_expiry,
                    receive_max: Some(p.receive_maximum),
                    max_qos: None,
                    retain_available: Some(1),
                    max_packet_size: Some(p.max_packet_size),
                    assigned_client_identifier: p.assigned_client_id,
                    topic_alias_max: None,
                    reason_string: p.reason,
                    user_properties: Vec::new(),
                    wildcard_subscription_available: Some(1),
                    subscription_identifiers_available: Some(1),
                    shared_subscription_available: Some(0),
                    server_keep_alive: p.server_keep_alive,
                    response_information: None,
                    server_reference: None,
                    authentication_method: None,
                    authentication_data: None,
                });
                v5::ConnAck {
                    session_present,
                    code,
                    properties,
                }
                .write(out)
                .map(drop)
                .map_err(drop)
            }
        };
    }

    /// A PUBLISH to the client. `pkid` is ignored for QoS 0.
    #[allow(clippy::too_many_arguments)] // the fields of one packet
    pub fn publish(
        self,
        out: &mut BytesMut,
        topic: &str,
        payload: &Bytes,
        qos: QoS,
        retain: bool,
        dup: bool,
        pkid: u16,
        props: Option<&MessageProps>,
        sub_ids: &[u32],
        expiry_left: Option<u32>,
    ) {
        let _ = match self.version {
            ProtocolVersion::V311 => v4::Publish {
                dup,
                qos: to_qos4(qos),
                retain,
                topic: topic.to_owned(),
                pkid,
                payload: payload.clone(),
            }
            .write(out)
            .map(drop)
            .map_err(drop),
            ProtocolVersion::V5 => {
                let properties = if props.is_none() && sub_ids.is_empty() {
                    None
                } else {
                    let p = props.cloned().unwrap_or_default();
                    Some(v5::PublishProperties {
                        payload_format_indicator: p.payload_utf8.then_some(1),
                        message_expiry_interval: expiry_left,
                        topic_alias: None,
                        response_topic: p.response_topic,
                        correlation_data: p.correlation_data,
                        user_properties: p.user_properties,
                        subscription_identifiers: sub_ids.iter().map(|&i| i as usize).collect(),
                        content_type: p.content_type,
                    })
                };
                v5::Publish {
                    dup,
                    qos,
                    retain,
                    topic: Bytes::copy_from_slice(topic.as_bytes()),
                    pkid,
                    payload: payload.clone(),
                    properties,
                }
                .write(out)
                .map(drop)
                .map_err(drop)
            }
        };
    }

    pub fn puback(self, out: &mut BytesMut, pkid: u16, reason: AckReason, text: Option<String>) {
        let _ = match self.version {
            ProtocolVersion::V311 => v4::PubAck { pkid }.write(out).map(drop).map_err(drop),
            ProtocolVersion::V5 => v5::PubAck {
                pkid,
                reason: ack5(reason),
                properties: text.map(|t| v5::PubAckProperties {
                    reason_string: Some(t),
                    user_properties: Vec::new(),
                }),
            }
            .write(out)
            .map(drop)
            .map_err(drop),
        };
    }

    pub fn pubrec(self, out: &mut BytesMut, pkid: u16, reason: AckReason, text: Option<String>) {
        let _ = match self.version {
            ProtocolVersion::V311 => v4::PubRec { pkid }.write(out).map(drop).map_err(drop),
            ProtocolVersion::V5 => v5::PubRec {
                pkid,
                reason: rec5(reason),
                properties: text.map(|t| v5::PubRecProperties {
                    reason_string: Some(t),
                    user_properties: Vec::new(),
                }),
            }
            .write(out)
            .map(drop)
            .map_err(drop),
        };
    }

    pub fn pubrel(self, out: &mut BytesMut, pkid: u16) {
        let _ = match self.version {
            ProtocolVersion::V311 => v4::PubRel { pkid }.write(out).map(drop).map_err(drop),
            ProtocolVersion::V5 => v5::PubRel {
                pkid,
                reason: v5::PubRelReason::Success,
                properties: None,
            }
            .write(out)
            .map(drop)
            .map_err(drop),
        };
    }

    /// PUBCOMP; `known` is false when the PUBREL named an unknown packet id.
    pub fn pubcomp(self, out: &mut BytesMut, pkid: u16, known: bool) {
        let _ = match self.version {
            ProtocolVersion::V311 => v4::PubComp { pkid }.write(out).map(drop).map_err(drop),
            ProtocolVersion::V5 => v5::PubComp {
                pkid,
                reason: if known {
                    v5::PubCompReason::Success
                } else {
                    v5::PubCompReason::PacketIdentifierNotFound
                },
                properties: None,
            }
            .write(out)
            .map(drop)
            .map_err(drop),
        };
    }

    pub fn suback(self, out: &mut BytesMut, pkid: u16, codes: &[SubCode]) {
        let _ = match self.version {
            ProtocolVersion::V311 => v4::SubAck {
                pkid,
                return_codes: codes
                    .iter()
                    .map(|c| match c {
                        SubCode::Granted(q) => v4::SubscribeReasonCode::Success(to_qos4(*q)),
                        _ => v4::SubscribeReasonCode::Failure,
                    })
                    .collect(),
            }
            .write(out)
            .map(drop)
            .map_err(drop),
            ProtocolVersion::V5 => v5::SubAck {
                pkid,
                return_codes: codes
                    .iter()
                    .map(|c| match c {
                        SubCode::Granted(q) => v5::SubscribeReasonCode::Success(*q),
                        SubCode::NotAuthorized => v5::SubscribeReasonCode::NotAuthorized,
                        SubCode::FilterInvalid => v5::SubscribeReasonCode::TopicFilterInvalid,
                        SubCode::QuotaExceeded => v5::SubscribeReasonCode::QuotaExceeded,
                        SubCode::SharedNotSupported => {
                            v5::SubscribeReasonCode::SharedSubscriptionsNotSupported
                        }
                    })
                    .collect(),
                properties: None,
            }
            .write(out)
            .map(drop)
            .map_err(drop),
        };
    }

    /// UNSUBACK; `found[i]` tells whether the i-th filter was subscribed.
    pub fn unsuback(self, out: &mut BytesMut, pkid: u16, found: &[bool]) {
        let _ = match self.version {
            ProtocolVersion::V311 => v4::UnsubAck { pkid }.write(out).map(drop).map_err(drop),
            ProtocolVersion::V5 => v5::UnsubAck {
                pkid,
                reasons: found
                    .iter()
                    .map(|&f| {
                        if f {
                            v5::UnsubAckReason::Success
                        } else {
                            v5::UnsubAckReason::NoSubscriptionExisted
                        }
                    })
                    .collect(),
                properties: None,
            }
            .write(out)
            .map(drop)
            .map_err(drop),
        };
    }

    pub fn pingresp(self, out: &mut BytesMut) {
        out.extend_from_slice(&[0xd0, 0x00]);
    }

    /// DISCONNECT with a reason; MQTT 3.1.1 has no server DISCONNECT, so nothing is sent.
    pub fn disconnect(self, out: &mut BytesMut, reason: ServerDisconnect, text: Option<String>) {
        if self.version != ProtocolVersion::V5 {
            return;
        }
        use v5::DisconnectReasonCode as D;
        let reason_code = match reason {
            ServerDisconnect::Malformed => D::MalformedPacket,
            ServerDisconnect::ProtocolError => D::ProtocolError,
            ServerDisconnect::NotAuthorized => D::NotAuthorized,
            ServerDisconnect::ServerBusy => D::ServerBusy,
            ServerDisconnect::ServerShuttingDown => D::ServerShuttingDown,
            ServerDisconnect::KeepAliveTimeout => D::KeepAliveTimeout,
            ServerDisconnect::SessionTakenOver => D::SessionTakenOver,
            ServerDisconnect::TopicNameInvalid => D::TopicNameInvalid,
            ServerDisconnect::ReceiveMaximumExceeded => D::ReceiveMaximumExceeded,
            ServerDisconnect::TopicAliasInvalid => D::TopicAliasInvalid,
            ServerDisconnect::PacketTooLarge => D::PacketTooLarge,
            ServerDisconnect::MessageRateTooHigh => D::MessageRateTooHigh,
            ServerDisconnect::AdministrativeAction => D::AdministrativeAction,
            ServerDisconnect::UseAnotherServer => D::UseAnotherServer,
        };
        let _ = v5::Disconnect {
            reason_code,
            properties: text.map(|t| v5::DisconnectProperties {
                session_expiry_interval: None,
                reason_string: Some(t),
                user_properties: Vec::new(),
                server_reference: None,
            }),
        }
        .write(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_an_oversized_frame_from_its_header() {
        // PUBLISH announcing 2 MiB, with only 5 bytes present.
        let buf = [0x30, 0x80, 0x80, 0x80, 0x01];
        assert!(matches!(
            frame_header(&buf, 1024),
            Err(DecodeError::TooLarge {
                size: 2_097_157,
                ..
            })
        ));
        assert!(matches!(frame_header(&buf[..3], 1024), Ok(None)));
        assert!(matches!(
            frame_header(&[0x30, 0xff, 0xff, 0xff, 0xff], usize::MAX),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn the_first_packet_must_be_a_known_connect() {
        let mut b = BytesMut::from(&[0xc0u8, 0x00][..]);
        assert_eq!(
            decode(&mut b, None, 1024).unwrap_err(),
            DecodeError::NotConnect
        );
        // MQTT 3.1 ("MQIsdp", level 3).
        let mut b = BytesMut::from(
            &[
                0x10, 0x12, 0, 6, b'M', b'Q', b'I', b's', b'd', b'p', 3, 2, 0, 60, 0, 4, b'a',
                b'b', b'c', b'd',
            ][..],
        );
        assert!(matches!(
            decode(&mut b, None, 1024),
            Err(DecodeError::UnsupportedProtocol { level: 3, .. })
        ));
    }

    #[test]
    fn decodes_both_versions_and_short_v5_disconnect() {
        let mut out = BytesMut::new();
        let mut c = v4::Connect::new("dev1");
        c.set_login("token", "");
        c.write(&mut out).unwrap();
        let Some(Incoming::Connect(c)) = decode(&mut out, None, 1024).unwrap() else {
            panic!("not a connect")
        };
        assert_eq!(c.version, ProtocolVersion::V311);
        assert_eq!(c.username.as_deref(), Some("token"));

        let mut out = BytesMut::new();
        v5::Connect {
            keep_alive: 30,
            client_id: "dev2".into(),
            clean_start: false,
            properties: Some(v5::ConnectProperties {
                session_expiry_interval: Some(600),
                receive_maximum: Some(10),
                max_packet_size: None,
                topic_alias_max: None,
                request_response_info: None,
                request_problem_info: None,
                user_properties: vec![],
                authentication_method: None,
                authentication_data: None,
            }),
        }
        .write(&None, &None, &mut out)
        .unwrap();
        let Some(Incoming::Connect(c)) = decode(&mut out, None, 1024).unwrap() else {
            panic!("not a connect")
        };
        assert_eq!(c.version, ProtocolVersion::V5);
        assert_eq!(c.session_expiry, Some(600));
        assert_eq!(c.receive_maximum, Some(10));

        let mut b = BytesMut::from(&[0xe0u8, 0x00][..]);
        assert!(matches!(
            decode(&mut b, Some(ProtocolVersion::V5), 1024),
            Ok(Some(Incoming::Disconnect { reason: 0, .. }))
        ));
        assert!(b.is_empty());
    }

    #[test]
    fn a_partial_frame_waits_for_more() {
        let mut out = BytesMut::new();
        let mut p = v4::Publish::new("a/b", rumqttc::mqttbytes::QoS::AtLeastOnce, vec![1u8; 100]);
        p.pkid = 1;
        p.write(&mut out).unwrap();
        let full = out.clone();
        let mut part = BytesMut::from(&full[..50]);
        assert!(matches!(
            decode(&mut part, Some(ProtocolVersion::V311), 1024),
            Ok(None)
        ));
        part.extend_from_slice(&full[50..]);
        assert!(matches!(
            decode(&mut part, Some(ProtocolVersion::V311), 1024),
            Ok(Some(Incoming::Publish(_)))
        ));
    }

    #[test]
    fn v311_reserved_flags_are_checked() {
        // SUBSCRIBE with flags 0 instead of 2.
        let mut b = BytesMut::from(&[0x80u8, 0x06, 0, 1, 0, 1, b'a', 0][..]);
        assert!(matches!(
            decode(&mut b, Some(ProtocolVersion::V311), 1024),
            Err(DecodeError::Malformed(_))
        ));
    }
}
