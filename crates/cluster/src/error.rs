//! The crate's errors, named after the action that failed, each with a stable code.

/// A failure of a NATS client call, kept as the source of a [`ClusterError`].
pub type NatsError = async_nats::Error;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    #[error("cannot read {path}: {source}")]
    ReadSecret {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to NATS at {urls}: {source}")]
    Connect {
        urls: String,
        #[source]
        source: NatsError,
    },
    #[error(
        "nats-server {version} is too old: cluster mode needs 2.11 or later (KV limit markers)"
    )]
    ServerVersion { version: String },
    #[error("cannot create or open {what}: {source}")]
    CreateLayout {
        what: String,
        #[source]
        source: NatsError,
    },
    #[error(
        "the cluster was created with {key} = {cluster}, but this node is configured with \
         {key} = {local}: {key} cannot change once the cluster exists (set cluster.{key} = \
         {cluster} on this node)"
    )]
    LayoutMismatch {
        key: &'static str,
        cluster: String,
        local: String,
    },
    #[error(
        "the cluster record il_cluster/config is unreadable ({0}); was it written by a newer version?"
    )]
    DecodeLayout(String),
    #[error("lease of partition {partition}: cannot {action}: {source}")]
    Lease {
        partition: u32,
        action: &'static str,
        #[source]
        source: NatsError,
    },
    #[error("cannot set up the object store at {endpoint}: {source}")]
    OpenObjectStore {
        endpoint: String,
        #[source]
        source: object_store::Error,
    },
    #[error("lease of partition {partition} is lost: another node holds it or it expired")]
    LeaseLost { partition: u32 },
}

impl ClusterError {
    /// A stable code for programs to match on.
    pub fn code(&self) -> &'static str {
        match self {
            ClusterError::InvalidConfig(_) => "cluster_invalid_config",
            ClusterError::ReadSecret { .. } => "cluster_read_secret",
            ClusterError::Connect { .. } => "cluster_connect",
            ClusterError::ServerVersion { .. } => "cluster_server_version",
            ClusterError::CreateLayout { .. } => "cluster_create_layout",
            ClusterError::LayoutMismatch { .. } => "cluster_layout_mismatch",
            ClusterError::DecodeLayout(_) => "cluster_decode_layout",
            ClusterError::Lease { .. } => "cluster_lease",
            ClusterError::LeaseLost { .. } => "cluster_lease_lost",
            ClusterError::OpenObjectStore { .. } => "cluster_open_object_store",
        }
    }
}
