//! One listener's TLS: the configuration in use, swapped on reload, and handshakes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironloom_core::sync::lock;
use rustls::ServerConfig;
use rustls::server::ServerConnection;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::config::TlsListenerConfig;
use crate::error::TlsError;
use crate::fingerprint::CertFingerprint;
use crate::load::{Files, build};

/// The TLS side of one listener. Shared by its accept loop and whoever reloads it.
pub struct ServerTls {
    name: String,
    settings: TlsListenerConfig,
    state: Mutex<State>,
}

struct State {
    config: Arc<ServerConfig>,
    fingerprint: CertFingerprint,
    /// What the files held at the last look, so that a bad file is reported once, not at
    /// every look.
    seen: Seen,
}

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Files([u8; 32]),
    Unreadable(String),
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("listener", &self.name)
            .field("certificate", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

/// What a reload did.
#[derive(Debug)]
pub enum Reload {
    /// The files are as they were at the last look.
    Unchanged,
    /// New connections now get this certificate.
    Reloaded(CertFingerprint),
    /// The files could not be used; the configuration in use stays (the error was logged).
    Failed(TlsError),
}

/// Why a TLS handshake did not complete.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("TLS handshake failed: {0}")]
    Failed(std::io::Error),
    #[error("TLS handshake timed out")]
    TimedOut,
}

/// The verified certificate a client presented, if any.
pub fn client_certificate(conn: &ServerConnection) -> Option<CertFingerprint> {
    conn.peer_certificates()
        .and_then(|chain| chain.first())
        .map(|leaf| CertFingerprint::of_der(leaf))
}

impl ServerTls {
    /// Reads the files of the listener of section `name` (`http`, `mqtt`); an error names
    /// the setting or the file.
    pub fn load(name: &str, settings: &TlsListenerConfig) -> Result<Arc<ServerTls>, TlsError> {
        settings.validate(name)?;
        let files = Files::read(settings)?;
        let loaded = build(settings, &files)?;
        Ok(Arc::new(ServerTls {
            name: name.into(),
            settings: settings.clone(),
            state: Mutex::new(State {
                config: loaded.config,
                fingerprint: loaded.fingerprint,
                seen: Seen::Files(files.digest()),
            }),
        }))
    }

    pub fn settings(&self) -> &TlsListenerConfig {
        &self.settings
    }

    /// The fingerprint of the certificate new connections get.
    pub fn fingerprint(&self) -> CertFingerprint {
        lock(&self.state).fingerprint
    }

    /// An acceptor with the configuration in use now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(lock(&self.state).config.clone())
    }

    /// Reads the files again; if they changed and are good, new connections get them.
    /// Blocking file reads: call it off the async threads.
    pub fn reload(&self) -> Reload {
        let files = Files::read(&self.settings);
        let seen = match &files {
            Ok(f) => Seen::Files(f.digest()),
            Err(e) => Seen::Unreadable(e.to_string()),
        };
        if lock(&self.state).seen == seen {
            return Reload::Unchanged;
        }
        let result = files.and_then(|f| build(&self.settings, &f));
        let mut state = lock(&self.state);
        state.seen = seen;
        match result {
            Ok(loaded) => {
                state.config = loaded.config;
                state.fingerprint = loaded.fingerprint;
                info!(listener = %self.name, certificate = %loaded.fingerprint,
                    "TLS certificate reloaded; new connections get it");
                Reload::Reloaded(loaded.fingerprint)
            }
            Err(e) => {
                error!(listener = %self.name, error = %e,
                    "TLS files not reloaded; new connections keep the certificate in use");
                Reload::Failed(e)
            }
        }
    }

    /// Looks at the files every `tls_reload_interval` until `shutdown` (not at all when it
    /// is zero).
    pub async fn watch(self: Arc<Self>, shutdown: CancellationToken) {
        let every = self.settings.reload_interval.0;
        if every.is_zero() {
            return;
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.reload()).await;
        }
    }

    /// The server side of a handshake, with the configuration in use now; returns the
    /// stream and the client's verified certificate, if it presented one.
    pub async fn handshake<S>(
        &self,
        io: S,
        deadline: Duration,
    ) -> Result<(TlsStream<S>, Option<CertFingerprint>), HandshakeError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let accept = self.acceptor().accept(io);
        match tokio::time::timeout(deadline, accept).await {
            Ok(Ok(stream)) => {
                let cert = client_certificate(stream.get_ref().1);
                Ok((stream, cert))
            }
            Ok(Err(e)) => Err(HandshakeError::Failed(e)),
            Err(_) => Err(HandshakeError::TimedOut),
        }
    }
}
