//! Opening one OPC UA session as the configuration says (security, identity, certificate
//! store), with the library's own reconnection switched off: when the connection is lost
//! the session ends and the caller decides when to try again. Shared by the driver and
//! by browsing.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ironloom_drivers::DriverError;
use opcua::client::{
    Client, ClientBuilder, IdentityToken, Session, SessionActivity, SessionPollResult,
    SubscriptionActivity,
};
use opcua::crypto::SecurityPolicy;
use opcua::types::{MessageSecurityMode, StatusCode};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{Auth, OpcUaConfig, Security};
use crate::convert::status_name;
use crate::error::OpcUaError;

/// The application URI in the client's certificate and session requests.
pub const CLIENT_APPLICATION_URI: &str = "urn:ironloom:gateway";

/// Builds the client: its certificate store under `pki_dir` (creating its own certificate
/// and key on first use) and request limits from the configuration.
pub fn build_client(cfg: &OpcUaConfig) -> Result<Client, OpcUaError> {
    let timeout = Duration::from_millis(cfg.timeout_ms);
    let client = ClientBuilder::new()
        .application_name("Ironloom gateway")
        .application_uri(CLIENT_APPLICATION_URI)
        .product_uri("urn:ironloom")
        .pki_dir(&cfg.pki_dir)
        .create_sample_keypair(true)
        .trust_server_certs(cfg.trust_server_certificate)
        // Reconnection is ours (see the module comment).
        .session_retry_limit(0)
        .request_timeout(timeout)
        .publish_timeout(timeout.max(Duration::from_secs(10)))
        // A server that stops answering without closing the socket is noticed by two
        // failed keep-alive reads in a row.
        .keep_alive_interval(timeout.clamp(Duration::from_millis(200), Duration::from_secs(10)))
        .max_failed_keep_alive_count(2)
        .session_timeout(60_000)
        .client()
        .map_err(|errors| OpcUaError::SetUpClient(errors.join("; ")))?;
    if cfg.security != Security::None {
        let own = cfg.pki_dir.join("own").join("cert.der");
        if !own.exists() {
            return Err(OpcUaError::SetUpClient(format!(
                "no client certificate at {} (is {} writable?)",
                own.display(),
                cfg.pki_dir.display()
            )));
        }
    }
    Ok(client)
}

/// What the session's event loop reports.
#[derive(Debug)]
pub enum LoopEvent {
    Up,
    /// The session ended: why.
    Down(String),
}

/// An open session; dropping it stops its event loop.
pub struct Connected {
    pub session: Arc<Session>,
    pub events: mpsc::UnboundedReceiver<LoopEvent>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("session_id", &self.session.session_id())
            .finish_non_exhaustive()
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Connected {
    /// Closes the session politely (bounded by `timeout`), then stops the event loop.
    pub async fn close(self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.session.disconnect()).await;
    }
}

/// Opens a session: GetEndpoints, the matching endpoint, the secure channel, CreateSession
/// and ActivateSession, each step bounded by `timeout_ms`.
pub async fn connect(client: &mut Client, cfg: &OpcUaConfig) -> Result<Connected, DriverError> {
    let timeout = Duration::from_millis(cfg.timeout_ms);
    let (policy, mode) = match cfg.security {
        Security::None => (SecurityPolicy::None, MessageSecurityMode::None),
        Security::Basic256Sha256 => (
            SecurityPolicy::Basic256Sha256,
            MessageSecurityMode::SignAndEncrypt,
        ),
    };
    let identity = match &cfg.auth {
        Auth::Anonymous => IdentityToken::Anonymous,
        Auth::UserName { username, password } => {
            IdentityToken::new_user_name(username.clone(), password.clone())
        }
    };
    let endpoint = (cfg.endpoint.as_str(), policy.to_str(), mode);
    let (session, event_loop) = tokio::time::timeout(
        timeout,
        client.connect_to_matching_endpoint(endpoint, identity),
    )
    .await
    .map_err(|_| DriverError::Timeout(timeout))?
    .map_err(|e| classify(e.status(), &e.to_string(), timeout))?;
    session.disable_reconnects();

    let (tx, mut events) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let stream = event_loop.enter();
        tokio::pin!(stream);
        let mut last_problem: Option<String> = None;
        loop {
            match stream.next().await {
                Some(Ok(SessionPollResult::Reconnected(_))) => {
                    let _ = tx.send(LoopEvent::Up);
                }
                Some(Ok(SessionPollResult::ConnectionLost(code))) => {
                    last_problem = Some(format!("connection lost: {}", status_name(code)));
                }
                Some(Ok(SessionPollResult::SessionActivity(SessionActivity::KeepAliveFailed(
                    code,
                )))) => {
                    last_problem = Some(format!("keep-alive failed: {}", status_name(code)));
                }
                Some(Ok(SessionPollResult::Subscription(SubscriptionActivity::FatalFailure(
                    code,
                )))) => {
                    last_problem = Some(format!("subscription failed: {}", status_name(code)));
                }
                Some(Ok(_)) => {}
                Some(Err(code)) => {
                    let _ = tx.send(LoopEvent::Down(status_name(code)));
                    break;
                }
                None => {
                    let why = last_problem.unwrap_or_else(|| "connection closed".into());
                    let _ = tx.send(LoopEvent::Down(why));
                    break;
                }
            }
        }
    });
    let connected = tokio::time::timeout(timeout, events.recv()).await;
    let conn = Connected {
        session,
        events,
        task,
    };
    match connected {
        Ok(Some(LoopEvent::Up)) => Ok(conn),
        Ok(Some(LoopEvent::Down(why))) => Err(classify_name(&why)),
        Ok(None) => Err(DriverError::Transport("session event loop ended".into())),
        Err(_) => Err(DriverError::Timeout(timeout)),
    }
}

/// The driver error for a failed request or connection step.
pub fn classify(code: StatusCode, message: &str, timeout: Duration) -> DriverError {
    let name = status_name(code);
    if code == StatusCode::BadTimeout || code == StatusCode::BadRequestTimeout {
        return DriverError::Timeout(timeout);
    }
    if is_transport(&name) {
        DriverError::Transport(message.to_owned())
    } else {
        DriverError::Refused(name)
    }
}

fn classify_name(name: &str) -> DriverError {
    if is_transport(name) || name.contains(' ') {
        DriverError::Transport(name.to_owned())
    } else {
        DriverError::Refused(name.to_owned())
    }
}

/// Status codes that say the connection failed rather than that the server refused.
fn is_transport(name: &str) -> bool {
    [
        "BadConnection",
        "BadCommunicationError",
        "BadNotConnected",
        "BadSecureChannel",
        "BadServerNotConnected",
        "BadTcp",
        "BadDisconnect",
        "BadShutdown",
        "BadServerHalted",
        "BadEncoding",
        "BadDecoding",
        "BadUnexpectedError",
        "BadResourceUnavailable",
        "BadInvalidState",
        "BadSessionClosed",
        "BadSessionIdInvalid",
        "BadNoCommunication",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}
