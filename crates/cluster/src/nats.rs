//! The cluster's JetStream layout (design §2.2): the cluster record `il_cluster/config`,
//! the ingest streams `IL_IN_{k}` and the KV buckets `il_leases`, `il_nodes` and
//! `il_sessions`. [`Layout::ensure`] creates what is missing and checks what exists; every
//! node runs it at start, so it is idempotent, and the first node's cluster record wins.

use crate::config::ClusterConfig;
use crate::error::{ClusterError, NatsError};
use async_nats::jetstream::{self, kv, stream};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The bucket holding the cluster record.
pub const CLUSTER_BUCKET: &str = "il_cluster";
/// The key of the cluster record in [`CLUSTER_BUCKET`].
pub const CLUSTER_KEY: &str = "config";
pub const LEASES_BUCKET: &str = "il_leases";
pub const NODES_BUCKET: &str = "il_nodes";
pub const SESSIONS_BUCKET: &str = "il_sessions";
/// The record format this version writes and understands.
pub const FORMAT: u32 = 1;
/// Retries of the same record (same `Nats-Msg-Id`) within this window are stored once.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// Largest ingest record; the writer splits larger merges (design §2.3 caps them at 512 KiB).
pub const MAX_RECORD_SIZE: i32 = 1 << 20;
/// How long a node's heartbeat entry lives without renewal.
pub const NODE_TTL: Duration = Duration::from_secs(10);
/// Oldest server with KV limit markers (leases depend on them).
pub const MIN_SERVER: (u32, u32) = (2, 11);

/// The cluster's fixed shape, stored once in `il_cluster/config` by the first node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRecord {
    pub partitions: u32,
    pub shards: u32,
    /// When the cluster was created (RFC 3339).
    pub created_at: String,
    pub format: u32,
}

impl ClusterRecord {
    /// The identity of the cluster's log (positions of its streams count under it): a
    /// cluster created anew, whose streams count from 1 again, has another.
    pub fn log_id(&self) -> u64 {
        crate::partition::fnv1a64(self.created_at.as_bytes())
    }
}

/// Whether a JetStream API failure is one a starting cluster gives (no responders, a
/// timeout, no leader yet).
fn transient(e: &NatsError) -> bool {
    let text = e.to_string().to_lowercase();
    [
        "no responders",
        "timed out",
        "timeout",
        "no suitable peers",
        "unavailable",
        "503",
    ]
    .iter()
    .any(|t| text.contains(t))
}

/// The name of ingest stream `shard`.
pub fn stream_name(shard: u32) -> String {
    format!("IL_IN_{shard}")
}

/// The subjects stream `shard` of `shards` takes: `il.in.{p}.*` for every partition p with
/// p ≡ shard (mod shards).
pub fn stream_subjects(shard: u32, shards: u32, partitions: u32) -> Vec<String> {
    (0..partitions)
        .filter(|p| p % shards.max(1) == shard)
        .map(|p| format!("il.in.{p}.*"))
        .collect()
}

/// The connected client and the opened layout.
#[derive(Debug, Clone)]
pub struct Layout {
    pub client: async_nats::Client,
    pub jetstream: jetstream::Context,
    /// The cluster's shape (the record as stored, which the local configuration matches).
    pub record: ClusterRecord,
    pub leases: kv::Store,
    pub nodes: kv::Store,
    pub sessions: kv::Store,
    /// How long a lease lasts without renewal (`il_leases` max age).
    pub lease_ttl: Duration,
}

impl Layout {
    /// Connects to NATS as `config` says, then [`ensure_on`](Self::ensure_on).
    pub async fn ensure(config: &ClusterConfig) -> Result<Layout, ClusterError> {
        let client = connect(config).await?;
        Layout::ensure_on(client, config).await
    }

    /// Checks the server version, creates (or checks) the cluster record, and creates the
    /// streams and buckets that are missing.
    pub async fn ensure_on(
        client: async_nats::Client,
        config: &ClusterConfig,
    ) -> Result<Layout, ClusterError> {
        // A JetStream cluster that has just started (or lost its meta leader) answers its
        // API with "no responders" or not at all for a few seconds: wait that out.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            match Box::pin(Layout::ensure_once(client.clone(), config)).await {
                Err(ClusterError::CreateLayout { what, source })
                    if std::time::Instant::now() < deadline && transient(&source) =>
                {
                    tracing::info!(what, error = %source, "JetStream not ready yet; trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                other => return other,
            }
        }
    }

    async fn ensure_once(
        client: async_nats::Client,
        config: &ClusterConfig,
    ) -> Result<Layout, ClusterError> {
        check_version(&client.server_info().version)?;
        let js = jetstream::new(client.clone());
        let replicas = config.replicas as usize;
        let create = |what: &str| {
            let what = what.to_owned();
            move |source: NatsError| ClusterError::CreateLayout { what, source }
        };

        let cluster_kv = open_bucket(
            &js,
            kv::Config {
                bucket: CLUSTER_BUCKET.into(),
                description: "Ironloom cluster record".into(),
                history: 1,
                num_replicas: replicas,
                ..Default::default()
            },
        )
        .await?;
        let record = ensure_record(&cluster_kv, config).await?;

        for shard in 0..record.shards {
            let name = stream_name(shard);
            let subjects = stream_subjects(shard, record.shards, record.partitions);
            let max_bytes = match config.stream_max_bytes.0 {
                0 => -1,
                n => i64::try_from(n).unwrap_or(i64::MAX),
            };
            let stream = js
                .get_or_create_stream(stream::Config {
                    name: name.clone(),
                    description: Some("Ironloom ingest records".into()),
                    subjects: subjects.clone(),
                    retention: stream::RetentionPolicy::Limits,
                    storage: stream::StorageType::File,
                    num_replicas: replicas,
                    max_age: config.stream_max_age.0,
                    max_bytes,
                    discard: stream::DiscardPolicy::New,
                    duplicate_window: DUPLICATE_WINDOW,
                    max_message_size: MAX_RECORD_SIZE,
                    ..Default::default()
                })
                .await
                .map_err(|e| create(&format!("stream {name}"))(e.into()))?;
            // Created by an earlier node from the same record, so this only fails when
            // someone changed the stream by hand.
            let mut have = stream.cached_info().config.subjects.clone();
            let mut want = subjects;
            have.sort();
            want.sort();
            if have != want {
                return Err(ClusterError::LayoutMismatch {
                    key: "stream subjects",
                    cluster: format!("{name}: {}", have.join(" ")),
                    local: want.join(" "),
                });
            }
        }

        let ttl = config.lease_ttl.0;
        let leases = open_bucket(
            &js,
            kv::Config {
                bucket: LEASES_BUCKET.into(),
                description: "Ironloom partition leases".into(),
                history: 1,
                max_age: ttl,
                num_replicas: replicas,
                limit_markers: Some(ttl),
                ..Default::default()
            },
        )
        .await?;
        let existing_ttl = leases.stream.cached_info().config.max_age;
        if existing_ttl != ttl {
            return Err(ClusterError::LayoutMismatch {
                key: "lease_ttl",
                cluster: format!("{existing_ttl:?}"),
                local: format!("{ttl:?}"),
            });
        }
        let nodes = open_bucket(
            &js,
            kv::Config {
                bucket: NODES_BUCKET.into(),
                description: "Ironloom nodes (heartbeats)".into(),
                history: 1,
                max_age: NODE_TTL,
                num_replicas: replicas,
                limit_markers: Some(NODE_TTL),
                ..Default::default()
            },
        )
        .await?;
        let sessions = open_bucket(
            &js,
            kv::Config {
                bucket: SESSIONS_BUCKET.into(),
                description: "Ironloom device sessions (which node a device is on)".into(),
                history: 1,
                num_replicas: replicas,
                ..Default::default()
            },
        )
        .await?;
        Ok(Layout {
            client,
            jetstream: js,
            record,
            leases,
            nodes,
            sessions,
            lease_ttl: ttl,
        })
    }

    /// The partition leases of this layout.
    pub fn leases(&self) -> crate::lease::Leases {
        crate::lease::Leases::new(self.leases.clone(), self.lease_ttl)
    }
}

/// Connects with the configured URLs and credentials.
pub async fn connect(config: &ClusterConfig) -> Result<async_nats::Client, ClusterError> {
    let mut options = async_nats::ConnectOptions::new()
        .name(format!("ironloom {}", config.node_name()))
        .connection_timeout(Duration::from_secs(5));
    if !config.nats_user.is_empty() {
        let password = std::fs::read_to_string(&config.nats_password_file).map_err(|source| {
            ClusterError::ReadSecret {
                path: config.nats_password_file.clone(),
                source,
            }
        })?;
        options = options.user_and_password(config.nats_user.clone(), password.trim().into());
    }
    if !config.nats_tls_ca.is_empty() {
        options = options.add_root_certificates(config.nats_tls_ca.clone().into());
    }
    let urls = config.nats_urls.join(",");
    let addrs = config
        .nats_urls
        .iter()
        .map(|u| u.parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ClusterError::InvalidConfig(format!("cluster.nats_urls: {e}")))?;
    options
        .connect(addrs)
        .await
        .map_err(|e| ClusterError::Connect {
            urls,
            source: e.into(),
        })
}

/// Subscribes to `subject` (a failure is one of setting the node up).
pub(crate) async fn subscribe(
    client: &async_nats::Client,
    subject: String,
) -> Result<async_nats::Subscriber, ClusterError> {
    client
        .subscribe(subject.clone())
        .await
        .map_err(|e| ClusterError::CreateLayout {
            what: format!("the subscription to {subject}"),
            source: e.into(),
        })
}

/// Refuses a server older than [`MIN_SERVER`]; `version` is the server's (`2.15.1`).
pub fn check_version(version: &str) -> Result<(), ClusterError> {
    let mut parts = version
        .trim_start_matches('v')
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().ok());
    let (major, minor) = (parts.next().flatten(), parts.next().flatten());
    match (major, minor) {
        (Some(major), Some(minor)) if (major, minor) >= MIN_SERVER => Ok(()),
        _ => Err(ClusterError::ServerVersion {
            version: version.to_owned(),
        }),
    }
}

/// Opens a bucket, creating it when missing. An existing bucket is taken as it is (an
/// identical creation would succeed, but one made with other settings, say replicas,
/// must not fail every later start).
async fn open_bucket(
    js: &jetstream::Context,
    config: kv::Config,
) -> Result<kv::Store, ClusterError> {
    if let Ok(store) = js.get_key_value(config.bucket.clone()).await {
        return Ok(store);
    }
    let name = config.bucket.clone();
    match js.create_key_value(config).await {
        Ok(store) => Ok(store),
        // Another node created it in between.
        Err(create) => {
            js.get_key_value(name.clone())
                .await
                .map_err(|_| ClusterError::CreateLayout {
                    what: format!("KV bucket {name}"),
                    source: create.into(),
                })
        }
    }
}

/// Writes the local shape as the cluster record unless one exists (first node wins), then
/// checks that the stored record matches the local configuration.
async fn ensure_record(
    store: &kv::Store,
    config: &ClusterConfig,
) -> Result<ClusterRecord, ClusterError> {
    let local = ClusterRecord {
        partitions: config.partitions,
        shards: config.stream_shards,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        format: FORMAT,
    };
    let body = serde_json::to_vec(&local).map_err(|e| ClusterError::DecodeLayout(e.to_string()))?;
    let stored = match store.create(CLUSTER_KEY, body.into()).await {
        Ok(_) => return Ok(local),
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => store
            .get(CLUSTER_KEY)
            .await
            .map_err(|e| ClusterError::CreateLayout {
                what: format!("{CLUSTER_BUCKET}/{CLUSTER_KEY}"),
                source: e.into(),
            })?,
        Err(e) => {
            return Err(ClusterError::CreateLayout {
                what: format!("{CLUSTER_BUCKET}/{CLUSTER_KEY}"),
                source: e.into(),
            });
        }
    };
    let stored = stored.ok_or_else(|| {
        ClusterError::DecodeLayout("the record exists but cannot be read back".into())
    })?;
    let record: ClusterRecord =
        serde_json::from_slice(&stored).map_err(|e| ClusterError::DecodeLayout(e.to_string()))?;
    if record.format != FORMAT {
        return Err(ClusterError::DecodeLayout(format!(
            "format {} (this version knows {FORMAT})",
            record.format
        )));
    }
    if record.partitions != local.partitions {
        return Err(ClusterError::LayoutMismatch {
            key: "partitions",
            cluster: record.partitions.to_string(),
            local: local.partitions.to_string(),
        });
    }
    if record.shards != local.shards {
        return Err(ClusterError::LayoutMismatch {
            key: "stream_shards",
            cluster: record.shards.to_string(),
            local: local.shards.to_string(),
        });
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_versions_from_2_11_are_accepted() {
        for ok in ["2.11.0", "2.15.1", "v2.12.3", "3.0.0", "2.11.0-beta.1"] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for old in ["2.10.29", "2.9.0", "1.4.1", "", "garbage"] {
            let e = check_version(old).unwrap_err();
            assert_eq!(e.code(), "cluster_server_version", "{old}");
        }
    }

    #[test]
    fn partitions_spread_over_the_stream_shards() {
        assert_eq!(stream_subjects(1, 4, 8), ["il.in.1.*", "il.in.5.*"]);
        assert_eq!(
            stream_subjects(0, 1, 3),
            ["il.in.0.*", "il.in.1.*", "il.in.2.*"]
        );
        let all: usize = (0..4).map(|k| stream_subjects(k, 4, 32).len()).sum();
        assert_eq!(all, 32);
        assert_eq!(stream_name(3), "IL_IN_3");
    }
}
