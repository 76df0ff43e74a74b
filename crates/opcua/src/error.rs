//! The crate's one error type. Driver operations on points use
//! [`ironloom_drivers::DriverError`] instead; this one covers what fails around them:
//! configuration, setting up the client or server, browsing.

/// What failed, named after the action.
#[derive(Debug, thiserror::Error)]
pub enum OpcUaError {
    /// The configuration is unusable; the message names the key or node entry.
    #[error("invalid OPC UA configuration: {0}")]
    InvalidConfig(String),
    /// The client's certificate store or its own certificate could not be set up.
    #[error("cannot set up the OPC UA client: {0}")]
    SetUpClient(String),
    /// No session could be opened (endpoint not found, security or identity rejected,
    /// transport failure).
    #[error("cannot connect to {endpoint}: {reason}")]
    Connect { endpoint: String, reason: String },
    /// A Browse, Read or TranslateBrowsePaths request failed while browsing.
    #[error("browsing failed: {0}")]
    Browse(String),
    /// The simulator's server could not be built from its options.
    #[error("cannot build the OPC UA simulator: {0}")]
    BuildServer(String),
    #[error("cannot bind the OPC UA simulator to {addr}: {source}")]
    BindListener {
        addr: String,
        source: std::io::Error,
    },
}

impl OpcUaError {
    /// A short stable code for logs and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            OpcUaError::InvalidConfig(_) => "opcua_invalid_config",
            OpcUaError::SetUpClient(_) => "opcua_set_up_client",
            OpcUaError::Connect { .. } => "opcua_connect",
            OpcUaError::Browse(_) => "opcua_browse",
            OpcUaError::BuildServer(_) => "opcua_build_server",
            OpcUaError::BindListener { .. } => "opcua_bind_listener",
        }
    }
}
