//! A message over UDP: cut into datagrams of at most 512 bytes, each the envelope (with
//! its sequence number) and the next [`UDP_DATA_SIZE`] bytes of the message, as CNRI's
//! `MessagePacketsManager` does; and put back together on the other side.

use super::{ENVELOPE_LEN, Envelope};
use crate::error::ProtoError;

/// Message bytes per datagram: 512 less the envelope.
pub const UDP_DATA_SIZE: usize = 512 - ENVELOPE_LEN;

/// The datagrams that carry an encoded message (envelope included). A message that fits
/// is one datagram, the message itself.
pub fn udp_datagrams(message: &[u8]) -> Vec<Vec<u8>> {
    let Ok(env) = Envelope::decode(message) else {
        return vec![message.to_vec()];
    };
    let data = &message[ENVELOPE_LEN..];
    if data.len() <= UDP_DATA_SIZE {
        return vec![message.to_vec()];
    }
    data.chunks(UDP_DATA_SIZE)
        .enumerate()
        .map(|(i, chunk)| {
            let e = Envelope {
                sequence: u32::try_from(i).unwrap_or(u32::MAX),
                ..env
            };
            let mut d = Vec::with_capacity(ENVELOPE_LEN + chunk.len());
            d.extend_from_slice(&e.encode());
            d.extend_from_slice(chunk);
            d
        })
        .collect()
}

/// Collects the datagrams of one message, in any order.
#[derive(Debug)]
pub struct UdpReassembly {
    envelope: Envelope,
    data: Vec<u8>,
    seen: Vec<bool>,
    missing: usize,
}

impl UdpReassembly {
    /// Prepares for the message any datagram of it belongs to (pass that datagram to
    /// [`UdpReassembly::push`] too); its envelope's length, bounded by `Envelope::decode`,
    /// sizes the buffer.
    pub fn new(datagram: &[u8]) -> Result<Self, ProtoError> {
        let envelope = Envelope::decode(datagram)?;
        let len = envelope.message_length as usize;
        let packets = len.div_ceil(UDP_DATA_SIZE).max(1);
        Ok(UdpReassembly {
            envelope: Envelope {
                sequence: 0,
                ..envelope
            },
            data: vec![0; len],
            seen: vec![false; packets],
            missing: packets,
        })
    }

    /// Adds a datagram; the whole message (envelope included) once every piece is in.
    pub fn push(&mut self, datagram: &[u8]) -> Result<Option<Vec<u8>>, ProtoError> {
        let e = Envelope::decode(datagram)?;
        let seq = e.sequence as usize;
        let wrong = ProtoError::Reassembly {
            request_id: e.request_id,
            sequence: e.sequence,
        };
        if e.request_id != self.envelope.request_id
            || e.message_length != self.envelope.message_length
            || seq >= self.seen.len()
            || self.seen[seq]
        {
            return Err(wrong);
        }
        let start = seq * UDP_DATA_SIZE;
        let end = (start + UDP_DATA_SIZE).min(self.data.len());
        let chunk = &datagram[ENVELOPE_LEN..];
        if chunk.len() != end - start {
            return Err(wrong);
        }
        self.data[start..end].copy_from_slice(chunk);
        self.seen[seq] = true;
        self.missing -= 1;
        if self.missing > 0 {
            return Ok(None);
        }
        let mut whole = Vec::with_capacity(ENVELOPE_LEN + self.data.len());
        whole.extend_from_slice(&self.envelope.encode());
        whole.extend_from_slice(&self.data);
        Ok(Some(whole))
    }
}
