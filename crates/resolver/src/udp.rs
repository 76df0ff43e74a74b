//! Datagrams in and out several at a system call (`recvmmsg`, `sendmmsg`): under load a
//! receiving thread takes every request waiting (up to [`BATCH`]) in one call and sends
//! their answers in one, instead of two calls and a wake-up of the client per request.

use ironloom_identifiers::proto;
use nix::sys::socket::{
    ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg,
};
use std::io::{IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;

/// Most datagrams received in one call.
const BATCH: usize = 32;
/// Largest request taken (a resolution request is a few hundred bytes; a longer
/// datagram is cut short by the kernel and dropped here).
const MAX_DATAGRAM: usize = 8192;
/// Most datagrams sent in one call (an answer may take several).
const SEND_BATCH: usize = 4 * BATCH;

/// One thread's buffers for receiving and sending.
pub(crate) struct Datagrams {
    bufs: Vec<Vec<u8>>,
    /// What the last receive took: buffer, length, sender.
    received: Vec<(usize, usize, SocketAddr)>,
    recv_headers: MultiHeaders<SockaddrStorage>,
    send_headers: MultiHeaders<SockaddrStorage>,
    /// Datagrams waiting to be sent, and where to.
    out: Vec<(Vec<u8>, SocketAddr)>,
}

impl Datagrams {
    pub(crate) fn new() -> Self {
        Datagrams {
            bufs: (0..BATCH).map(|_| vec![0u8; MAX_DATAGRAM]).collect(),
            received: Vec::with_capacity(BATCH),
            recv_headers: MultiHeaders::preallocate(BATCH, None),
            send_headers: MultiHeaders::preallocate(SEND_BATCH, None),
            out: Vec::with_capacity(SEND_BATCH),
        }
    }

    /// Waits for a datagram (up to the socket's read timeout) and takes it with those
    /// waiting behind it; how many were taken ([`Datagrams::datagram`] reads each).
    pub(crate) fn receive(&mut self, socket: &UdpSocket) -> std::io::Result<usize> {
        let Datagrams {
            bufs,
            received,
            recv_headers,
            ..
        } = self;
        received.clear();
        let mut slices: Vec<[IoSliceMut<'_>; 1]> =
            bufs.iter_mut().map(|b| [IoSliceMut::new(b)]).collect();
        let got = recvmmsg(
            socket.as_raw_fd(),
            recv_headers,
            slices.iter_mut(),
            MsgFlags::MSG_WAITFORONE,
            None,
        )
        .map_err(std::io::Error::from)?;
        for (i, m) in got.enumerate() {
            if m.flags.contains(MsgFlags::MSG_TRUNC) {
                continue;
            }
            if let Some(peer) = m.address.as_ref().and_then(std_addr) {
                received.push((i, m.bytes, peer));
            }
        }
        Ok(received.len())
    }

    /// The `k`th datagram the last receive took, and its sender.
    pub(crate) fn datagram(&self, k: usize) -> (&[u8], SocketAddr) {
        let (i, n, peer) = self.received[k];
        (&self.bufs[i][..n], peer)
    }

    /// Queues an answer (in as many datagrams as it takes), sending what is queued when
    /// the queue is full.
    pub(crate) fn answer(&mut self, socket: &UdpSocket, answer: &[u8], peer: SocketAddr) {
        for d in proto::udp_datagrams(answer) {
            if self.out.len() == SEND_BATCH {
                self.flush(socket);
            }
            self.out.push((d, peer));
        }
    }

    /// Sends what is queued.
    pub(crate) fn flush(&mut self, socket: &UdpSocket) {
        let mut from = 0;
        while from < self.out.len() {
            let sent = {
                let pending = &self.out[from..];
                let slices: Vec<[IoSlice<'_>; 1]> =
                    pending.iter().map(|(d, _)| [IoSlice::new(d)]).collect();
                let addrs: Vec<Option<SockaddrStorage>> = pending
                    .iter()
                    .map(|(_, a)| Some(SockaddrStorage::from(*a)))
                    .collect();
                let none: [ControlMessage<'_>; 0] = [];
                sendmmsg(
                    socket.as_raw_fd(),
                    &mut self.send_headers,
                    &slices,
                    addrs,
                    none,
                    MsgFlags::empty(),
                )
                .map(Iterator::count)
            };
            match sent {
                Ok(n) if n > 0 => from += n,
                // The first one could not go: it is dropped (the client asks again).
                Ok(_) => from += 1,
                Err(e) => {
                    tracing::debug!(peer = %self.out[from].1, error = %e, "handle: UDP send failed");
                    from += 1;
                }
            }
        }
        self.out.clear();
    }
}

/// A socket address as the standard library's.
fn std_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
}
