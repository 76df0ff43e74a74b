//! Entry points for the fuzz targets in `fuzz/`, and a deterministic mutation test that
//! runs the same code under `cargo test`.

use bytes::BytesMut;

use crate::codec::{self, Incoming, ProtocolVersion};

/// Decodes `data` as a packet stream: as the first bytes of a connection (CONNECT
/// expected), and as the rest of an MQTT 3.1.1 and an MQTT 5 connection. Must never panic.
pub fn fuzz_packets(data: &[u8]) {
    for version in [None, Some(ProtocolVersion::V311), Some(ProtocolVersion::V5)] {
        let mut buf = BytesMut::from(data);
        let mut version = version;
        for _ in 0..256 {
            match codec::decode(&mut buf, version, 64 * 1024) {
                Ok(Some(Incoming::Connect(c))) => version = Some(c.version),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
}

/// Checks a topic name and a filter and matches them against each other. Must never panic.
pub fn fuzz_topics(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let (a, b) = match s.find('\u{1}') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (&s[..], ""),
    };
    let name_ok = crate::topic::check_name(a, 1024, 64).is_ok();
    let filter_ok = crate::topic::check_filter(b, 1024, 64).is_ok();
    if name_ok && filter_ok {
        let _ = crate::topic::matches(b, a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironloom_testkit::{Mutator, Rng};
    use rumqttc::mqttbytes::v4;
    use rumqttc::v5::mqttbytes::v5;

    fn seeds() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut b = BytesMut::new();
        let mut c = v4::Connect::new("dev");
        c.set_login("user", "pass");
        c.last_will = Some(v4::LastWill::new(
            "will/t",
            "bye",
            rumqttc::mqttbytes::QoS::AtLeastOnce,
            true,
        ));
        c.write(&mut b).unwrap();
        let mut p = v4::Publish::new("a/b", rumqttc::mqttbytes::QoS::ExactlyOnce, "{\"t\":1}");
        p.pkid = 1;
        p.write(&mut b).unwrap();
        let mut s = v4::Subscribe::new("a/#", rumqttc::mqttbytes::QoS::AtLeastOnce);
        s.pkid = 2;
        s.write(&mut b).unwrap();
        out.push(b.to_vec());

        let mut b = BytesMut::new();
        let connect = v5::Connect {
            keep_alive: 10,
            client_id: "d5".into(),
            clean_start: true,
            properties: None,
        };
        connect
            .write(
                &Some(v5::LastWill::new(
                    "w",
                    "x",
                    rumqttc::v5::mqttbytes::QoS::AtMostOnce,
                    false,
                    None,
                )),
                &Some(v5::Login::new("u", "p")),
                &mut b,
            )
            .unwrap();
        let props = v5::PublishProperties {
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(60),
            topic_alias: None,
            response_topic: Some("r/t".into()),
            correlation_data: Some(bytes::Bytes::from_static(b"cid")),
            user_properties: vec![("k".into(), "v".into())],
            subscription_identifiers: vec![],
            content_type: Some("application/json".into()),
        };
        let mut p = v5::Publish::new(
            "x/y",
            rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
            "1",
            Some(props),
        );
        p.pkid = 3;
        p.write(&mut b).unwrap();
        let mut s = v5::Subscribe::new(
            v5::Filter::new("x/+", rumqttc::v5::mqttbytes::QoS::ExactlyOnce),
            None,
        );
        s.pkid = 4;
        s.write(&mut b).unwrap();
        out.push(b.to_vec());
        out
    }

    #[test]
    fn decoding_survives_many_mutations() {
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
        let mutator = Mutator::new();
        let seeds = seeds();
        for s in &seeds {
            fuzz_packets(s);
        }
        for _ in 0..40_000 {
            let seed = rng.pick(&seeds).clone();
            let d = mutator.mutate(&mut rng, &seed);
            fuzz_packets(&d);
            fuzz_topics(&d);
        }
    }
}
