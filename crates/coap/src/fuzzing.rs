//! Entry points for fuzz targets (one per decoder of bytes from the network), also run by
//! the test suite over mutated inputs. Each takes arbitrary bytes and must not panic; where
//! the input decodes, it is encoded again and must give the same bytes and decode to the
//! same message.
//!
//! A failed invariant panics on purpose: that is how a fuzzer reports it.
#![allow(clippy::expect_used, clippy::panic)]

use crate::message::{self, decode_message};

/// One datagram: decode, re-encode, decode again and compare; a request's options are
/// checked as the server would.
pub fn fuzz_decode(data: &[u8]) {
    let Ok(packet) = decode_message(data) else {
        return;
    };
    let again = message::encode(&packet).expect("a decoded message encodes");
    assert_eq!(again, data, "re-encoding changed the bytes");
    let back = decode_message(&again).expect("a re-encoded message decodes");
    assert_eq!(back, packet, "round trip changed the message");
    let code = u8::from(packet.header.code);
    if code >> 5 == 0 && code != 0 {
        let _ = message::read_request(&packet);
    }
}

#[cfg(test)]
mod tests {
    //! The entry point over valid messages and thousands of deterministic mutations of them,
    //! so every test run exercises what the fuzzer does.

    use super::*;
    use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
    use ironloom_testkit::{Mutator, Rng};

    /// Generic edits, with option-header-looking bytes (extended deltas and lengths,
    /// payload markers) written over the input.
    fn mutator() -> Mutator {
        Mutator::new()
            .dictionary(&[
                [0xd0],
                [0xe0],
                [0x0d],
                [0x0e],
                [0xff],
                [0xdd],
                [0xee],
                [0xf0],
            ])
            .max_random(48)
    }

    fn seeds() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut p = Packet::new();
        p.header.set_type(MessageType::Confirmable);
        p.header.code = MessageClass::Request(RequestType::Post);
        p.header.message_id = 7;
        p.set_token(vec![0xde, 0xad, 0xbe, 0xef]);
        p.add_option(CoapOption::UriPath, b"t".to_vec());
        p.add_option(CoapOption::UriPath, b"device-0001".to_vec());
        p.add_option(CoapOption::ContentFormat, vec![50]);
        p.add_option(CoapOption::Block1, vec![0x1e]);
        p.add_option(CoapOption::Size1, vec![0x04, 0x00]);
        p.payload = br#"{"temperature":21.5,"humidity":40}"#.to_vec();
        out.push(p.to_bytes_unlimited().unwrap());

        let mut g = Packet::new();
        g.header.set_type(MessageType::NonConfirmable);
        g.header.code = MessageClass::Request(RequestType::Get);
        g.set_token(vec![1]);
        g.add_option(CoapOption::Observe, vec![]);
        g.add_option(CoapOption::UriPath, b"commands".to_vec());
        g.add_option(CoapOption::UriQuery, b"since=12".to_vec());
        g.add_option(CoapOption::Accept, vec![60]);
        g.add_option(CoapOption::Block2, vec![0x02]);
        g.add_option(CoapOption::Unknown(2048), vec![1; 20]);
        g.add_option(CoapOption::Unknown(700), vec![2; 300]);
        out.push(g.to_bytes_unlimited().unwrap());

        let mut r = Packet::new();
        r.header.set_type(MessageType::Acknowledgement);
        r.header.code = MessageClass::Response(ResponseType::Content);
        r.set_token(vec![9; 8]);
        r.add_option(CoapOption::ETag, vec![1, 2, 3, 4]);
        r.add_option(CoapOption::Observe, vec![0x01, 0x02, 0x03]);
        r.payload = vec![0xab; 64];
        out.push(r.to_bytes_unlimited().unwrap());

        out.push(vec![0x40, 0x00, 0x12, 0x34]);
        out.push(vec![0x70, 0x00, 0x12, 0x34]);
        out
    }

    #[test]
    fn decoder_survives_mutations_and_round_trips() {
        let seeds = seeds();
        let mut rng = Rng::new(0xc0a9);
        let mutator = mutator();
        let mut decoded = 0;
        for s in &seeds {
            assert!(decode_message(s).is_ok(), "seed {s:02x?} must decode");
            fuzz_decode(s);
        }
        for _ in 0..20_000 {
            let seed = rng.pick(&seeds).clone();
            let input = mutator.mutate(&mut rng, &seed);
            fuzz_decode(&input);
            decoded += decode_message(&input).is_ok() as usize;
        }
        // The mutations must reach the code behind a successful decode, not only the
        // early rejections.
        assert!(decoded > 2_000, "only {decoded} mutations decoded");
    }
}
