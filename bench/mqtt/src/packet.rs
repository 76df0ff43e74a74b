//! The few MQTT 3.1.1 packets a publishing device needs, written by hand: CONNECT,
//! PUBLISH (QoS 1), PINGREQ and DISCONNECT out; CONNACK, PUBACK, PINGRESP in. Encoding is a
//! handful of byte pushes per message, so the generator spends its share of the two cores
//! on sockets, not on a client library's state machine.

/// Largest packet accepted from a broker (acknowledgements are 4 bytes; anything this
/// large is a protocol error here).
pub const MAX_INCOMING: usize = 64 * 1024;

/// Appends the MQTT variable-length "remaining length".
fn put_remaining_length(out: &mut Vec<u8>, mut len: usize) {
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

/// CONNECT, protocol level 4 (3.1.1), clean session, with a user name (the device's
/// access token for Ironloom) and no password.
pub fn connect(out: &mut Vec<u8>, client_id: &str, username: Option<&str>, keep_alive: u16) {
    let mut body = Vec::with_capacity(64);
    put_str(&mut body, b"MQTT");
    body.push(4);
    let mut flags = 0x02; // clean session
    if username.is_some() {
        flags |= 0x80;
    }
    body.push(flags);
    body.extend_from_slice(&keep_alive.to_be_bytes());
    put_str(&mut body, client_id.as_bytes());
    if let Some(u) = username {
        put_str(&mut body, u.as_bytes());
    }
    out.push(0x10);
    put_remaining_length(out, body.len());
    out.extend_from_slice(&body);
}

/// PUBLISH at QoS 1 (no DUP, no RETAIN).
pub fn publish_qos1(out: &mut Vec<u8>, topic: &str, pkid: u16, payload: &[u8]) {
    out.push(0x32);
    put_remaining_length(out, 2 + topic.len() + 2 + payload.len());
    put_str(out, topic.as_bytes());
    out.extend_from_slice(&pkid.to_be_bytes());
    out.extend_from_slice(payload);
}

pub fn pingreq(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xC0, 0x00]);
}

pub fn disconnect(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xE0, 0x00]);
}

/// A packet from the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    /// CONNACK with its return code (0 = accepted).
    ConnAck {
        code: u8,
    },
    PubAck {
        pkid: u16,
    },
    PingResp,
    /// Anything else a publishing client does not expect (PUBLISH, SUBACK, …): its type.
    Other {
        packet_type: u8,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The remaining length runs over four bytes or over [`MAX_INCOMING`].
    BadLength,
    /// A CONNACK or PUBACK with the wrong body size.
    BadBody { packet_type: u8, len: usize },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::BadLength => f.write_str("bad remaining length"),
            DecodeError::BadBody { packet_type, len } => {
                write!(f, "packet type {packet_type} with a {len}-byte body")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes the packet at the start of `buf`: `Ok(Some((packet, bytes used)))`,
/// `Ok(None)` when more bytes are needed.
pub fn decode(buf: &[u8]) -> Result<Option<(Incoming, usize)>, DecodeError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let mut len = 0usize;
    let mut shift = 0;
    let mut pos = 1;
    loop {
        let Some(&b) = buf.get(pos) else {
            return Ok(None);
        };
        len |= usize::from(b & 0x7F) << shift;
        pos += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return Err(DecodeError::BadLength);
        }
    }
    if len > MAX_INCOMING {
        return Err(DecodeError::BadLength);
    }
    let total = pos + len;
    if buf.len() < total {
        return Ok(None);
    }
    let body = &buf[pos..total];
    let packet_type = first >> 4;
    let p = match packet_type {
        2 => {
            if len != 2 {
                return Err(DecodeError::BadBody { packet_type, len });
            }
            Incoming::ConnAck { code: body[1] }
        }
        4 => {
            if len < 2 {
                return Err(DecodeError::BadBody { packet_type, len });
            }
            Incoming::PubAck {
                pkid: u16::from_be_bytes([body[0], body[1]]),
            }
        }
        13 => Incoming::PingResp,
        t => Incoming::Other { packet_type: t },
    };
    Ok(Some((p, total)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::BytesMut;
    use rumqttc::mqttbytes::QoS;
    use rumqttc::mqttbytes::v4::{ConnAck, ConnectReturnCode, Packet, PubAck};

    fn read(bytes: &[u8]) -> Packet {
        let mut b = BytesMut::from(bytes);
        let p = Packet::read(&mut b, 1 << 20).unwrap();
        assert!(b.is_empty(), "bytes left after the packet");
        p
    }

    #[test]
    fn connect_is_read_by_rumqttc() {
        let mut out = Vec::new();
        connect(&mut out, "dev-7", Some("token-abc"), 60);
        match read(&out) {
            Packet::Connect(c) => {
                assert_eq!(c.client_id, "dev-7");
                assert_eq!(c.keep_alive, 60);
                assert!(c.clean_session);
                let login = c.login.unwrap();
                assert_eq!(login.username, "token-abc");
                assert_eq!(login.password, "");
            }
            p => panic!("{p:?}"),
        }
        let mut out = Vec::new();
        connect(&mut out, "anon", None, 600);
        match read(&out) {
            Packet::Connect(c) => assert!(c.login.is_none()),
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn publish_is_read_by_rumqttc_at_every_length_boundary() {
        // Remaining lengths of 1, 2 and 3 bytes.
        for size in [10, 127 - 29, 200, 16_383, 20_000] {
            let payload = vec![b'x'; size];
            let mut out = Vec::new();
            publish_qos1(&mut out, "v1/devices/me/telemetry", 4242, &payload);
            match read(&out) {
                Packet::Publish(p) => {
                    assert_eq!(p.topic, "v1/devices/me/telemetry");
                    assert_eq!(p.pkid, 4242);
                    assert_eq!(p.qos, QoS::AtLeastOnce);
                    assert_eq!(&p.payload[..], &payload[..]);
                }
                p => panic!("{p:?}"),
            }
        }
    }

    #[test]
    fn ping_and_disconnect_are_read_by_rumqttc() {
        let mut out = Vec::new();
        pingreq(&mut out);
        assert_eq!(read(&out), Packet::PingReq);
        let mut out = Vec::new();
        disconnect(&mut out);
        assert_eq!(read(&out), Packet::Disconnect);
    }

    #[test]
    fn decodes_what_rumqttc_writes() {
        let mut b = BytesMut::new();
        Packet::ConnAck(ConnAck::new(ConnectReturnCode::BadUserNamePassword, false))
            .write(&mut b, 1024)
            .unwrap();
        Packet::PubAck(PubAck::new(513))
            .write(&mut b, 1024)
            .unwrap();
        Packet::PingResp.write(&mut b, 1024).unwrap();
        let mut pos = 0;
        let mut got = Vec::new();
        while let Some((p, n)) = decode(&b[pos..]).unwrap() {
            got.push(p);
            pos += n;
        }
        assert_eq!(pos, b.len());
        assert_eq!(
            got,
            vec![
                Incoming::ConnAck { code: 4 },
                Incoming::PubAck { pkid: 513 },
                Incoming::PingResp
            ]
        );
    }

    #[test]
    fn waits_for_whole_packets_and_refuses_bad_lengths() {
        assert_eq!(decode(&[]).unwrap(), None);
        assert_eq!(decode(&[0x40]).unwrap(), None);
        assert_eq!(decode(&[0x40, 0x02, 0x01]).unwrap(), None);
        assert_eq!(
            decode(&[0x40, 0x02, 0x01, 0x02]).unwrap(),
            Some((Incoming::PubAck { pkid: 258 }, 4))
        );
        assert_eq!(
            decode(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            Err(DecodeError::BadLength)
        );
        assert_eq!(
            decode(&[0x30, 0xFF, 0xFF, 0x7F]),
            Err(DecodeError::BadLength)
        );
        assert_eq!(
            decode(&[0x20, 0x01, 0x00]),
            Err(DecodeError::BadBody {
                packet_type: 2,
                len: 1
            })
        );
        assert_eq!(
            decode(&[0x90, 0x03, 0, 1, 0]).unwrap(),
            Some((Incoming::Other { packet_type: 9 }, 5))
        );
    }
}
