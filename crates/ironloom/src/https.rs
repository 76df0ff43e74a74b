//! HTTPS for the one HTTP application (REST API, console, HTTP device API, MQTT over
//! WebSocket at `/mqtt`): a TLS listener for `axum::serve`, and the per-connection service
//! that tells handlers who is on the other end.
//!
//! Handshakes run concurrently, each on its own task with a deadline: a slow or broken
//! client never holds up another, and a failed handshake is dropped (logged at DEBUG)
//! without touching the server. Established connections wait in a short queue for axum.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::serve::IncomingStream;
use ironloom_tls::{CertFingerprint, ServerTls, TlsStream};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::{CancellationToken, DropGuard};

/// How long a client has to complete its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; further connections wait in the kernel's backlog.
const MAX_HANDSHAKES: usize = 256;

/// A TLS listener for `axum::serve`. Dropping it (axum does on shutdown) stops accepting.
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    _stop: DropGuard,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, tls: Arc<ServerTls>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(tcp, tls, tx, stop.clone()));
        Ok(TlsListener {
            ready,
            local,
            _stop: stop.drop_guard(),
        })
    }
}

async fn accept_loop(
    tcp: TcpListener,
    tls: Arc<ServerTls>,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
    stop: CancellationToken,
) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let permit = tokio::select! {
            () = stop.cancelled() => return,
            p = handshakes.clone().acquire_owned() => p,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            r = tcp.accept() => r,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "HTTPS accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (tls, ready) = (tls.clone(), ready.clone());
        tokio::spawn(async move {
            let handshake = tls.handshake(stream, HANDSHAKE_TIMEOUT).await;
            drop(permit);
            match handshake {
                // Fails only when the listener is gone (shutting down).
                Ok((stream, _)) => {
                    let _ = ready.send((stream, peer)).await;
                }
                Err(e) => tracing::debug!(%peer, error = %e, "HTTPS handshake did not complete"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop stopped, which it does only once this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// On every request that came over HTTPS: the client certificate of its connection, if
/// the client presented one (verified against `http.tls_client_ca`).
#[derive(Debug, Clone, Copy)]
pub struct TlsClient {
    pub client_cert: Option<CertFingerprint>,
}

/// The per-connection service maker for [`TlsListener`]: like
/// `into_make_service_with_connect_info::<SocketAddr>` (handlers keep extracting
/// `ConnectInfo<SocketAddr>`), and it adds [`TlsClient`].
#[derive(Debug, Clone)]
pub struct WithTlsPeer<S>(pub S);

impl<S: Clone> tower::Service<IncomingStream<'_, TlsListener>> for WithTlsPeer<S> {
    type Response = WithConnection<S>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'_, TlsListener>) -> Self::Future {
        let client_cert = ironloom_tls::client_certificate(stream.io().get_ref().1);
        std::future::ready(Ok(WithConnection {
            inner: self.0.clone(),
            peer: *stream.remote_addr(),
            tls: TlsClient { client_cert },
        }))
    }
}

/// The application for one HTTPS connection.
#[derive(Debug, Clone)]
pub struct WithConnection<S> {
    inner: S,
    peer: SocketAddr,
    tls: TlsClient,
}

impl<S, B> tower::Service<axum::http::Request<B>> for WithConnection<S>
where
    S: tower::Service<axum::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: axum::http::Request<B>) -> Self::Future {
        req.extensions_mut().insert(ConnectInfo(self.peer));
        req.extensions_mut().insert(self.tls);
        self.inner.call(req)
    }
}
