//! The `[cluster]` section: how this node finds NATS and the object store, and the
//! cluster's shape (partitions, stream shards, replicas) used when it creates the cluster.
//! Units are humane (`"5s"`, `"100GiB"`); [`ClusterConfig::validate`] names the bad key.

use crate::error::ClusterError;
use serde::Deserialize;

pub use ironloom_core::units::{ByteSize, Duration};

/// Most partitions a cluster may have (each has its own tsdb engine on its owner).
pub const MAX_PARTITIONS: u32 = 1024;
/// Shortest lease: renewals go out every TTL/3 and the local deadline is TTL − 1 s.
pub const MIN_LEASE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// Cluster mode on (needs PostgreSQL for metadata, NATS and an object store).
    pub enabled: bool,
    /// This node's name, unique in the cluster; empty: the host name.
    pub node: String,
    /// NATS servers to connect to (any of them; the client learns the rest).
    pub nats_urls: Vec<String>,
    /// NATS user and a file holding its password; empty: no authentication.
    pub nats_user: String,
    pub nats_password_file: String,
    /// A PEM file of the CA that signed the NATS servers' certificates; empty: the
    /// system's roots when a URL is `tls://`.
    pub nats_tls_ca: String,
    /// Number of partitions, used only when this node creates the cluster; afterwards it
    /// must match the cluster's (il_cluster/config).
    pub partitions: u32,
    /// Number of ingest streams (`IL_IN_{k}`) the partitions are spread over; fixed like
    /// `partitions`.
    pub stream_shards: u32,
    /// Replicas of every stream and bucket (1, 3 or 5).
    pub replicas: u32,
    /// How long ingest records are kept in the streams.
    pub stream_max_age: Duration,
    /// Largest size of each ingest stream; when full, appends are refused (discard New).
    /// 0: no limit but the server's.
    pub stream_max_bytes: ByteSize,
    /// How long a partition's lease lasts without renewal.
    pub lease_ttl: Duration,
    /// How often an owner seals its partitions' data into segments.
    pub seal_interval: Duration,
    /// Memory for the owned partitions' unsealed data, in total.
    pub memtable_budget: ByteSize,
    pub object_store: ObjectStoreConfig,
}

/// Where sealed segments go: an S3-compatible bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObjectStoreConfig {
    /// `https://s3.example.com` (or `http://…` with `allow_http`).
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    /// Key prefix inside the bucket, so that clusters can share one.
    pub prefix: String,
    pub access_key_id: String,
    /// A file holding the secret access key.
    pub secret_access_key_file: String,
    /// Allows a plain-HTTP endpoint (tests, a store on a private network).
    pub allow_http: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        let secs = |s| Duration(std::time::Duration::from_secs(s));
        ClusterConfig {
            enabled: false,
            node: String::new(),
            nats_urls: vec!["nats://127.0.0.1:4222".into()],
            nats_user: String::new(),
            nats_password_file: String::new(),
            nats_tls_ca: String::new(),
            partitions: 32,
            stream_shards: 4,
            replicas: 3,
            stream_max_age: secs(7 * 86_400),
            stream_max_bytes: ByteSize(100 << 30),
            lease_ttl: secs(5),
            seal_interval: secs(30),
            memtable_budget: ByteSize(512 << 20),
            object_store: ObjectStoreConfig::default(),
        }
    }
}

impl Default for ObjectStoreConfig {
    fn default() -> Self {
        ObjectStoreConfig {
            endpoint: String::new(),
            bucket: String::new(),
            region: "us-east-1".into(),
            prefix: String::new(),
            access_key_id: String::new(),
            secret_access_key_file: String::new(),
            allow_http: false,
        }
    }
}

impl ClusterConfig {
    /// What is wrong with the section, named by key. `meta_url` is the metadata store's
    /// URL (`meta.url`): cluster mode keeps its metadata in PostgreSQL.
    pub fn validate(&self, meta_url: &str) -> Result<(), ClusterError> {
        let invalid = |m: String| Err(ClusterError::InvalidConfig(m));
        if !(1..=MAX_PARTITIONS).contains(&self.partitions) {
            return invalid(format!(
                "cluster.partitions must be 1 to {MAX_PARTITIONS} (it is {})",
                self.partitions
            ));
        }
        if !(1..=self.partitions).contains(&self.stream_shards) {
            return invalid(format!(
                "cluster.stream_shards must be 1 to cluster.partitions ({}), it is {}",
                self.partitions, self.stream_shards
            ));
        }
        if ![1, 3, 5].contains(&self.replicas) {
            return invalid(format!(
                "cluster.replicas must be 1, 3 or 5 (it is {})",
                self.replicas
            ));
        }
        if self.lease_ttl.0 < MIN_LEASE_TTL {
            return invalid(format!(
                "cluster.lease_ttl must be at least 2s (it is {})",
                self.lease_ttl
            ));
        }
        if self.stream_max_age.0.is_zero() || self.seal_interval.0.is_zero() {
            return invalid(
                "cluster.stream_max_age and cluster.seal_interval must not be zero".into(),
            );
        }
        if !self.node.is_empty() && !is_name(&self.node) {
            return invalid(format!(
                "cluster.node {:?} may only have letters, digits, '-' and '_' (at most 64)",
                self.node
            ));
        }
        if self.nats_password_file.is_empty() != self.nats_user.is_empty() {
            return invalid("cluster.nats_user and cluster.nats_password_file go together".into());
        }
        if !self.enabled {
            return Ok(());
        }
        if !meta_url.starts_with("postgres://") && !meta_url.starts_with("postgresql://") {
            return invalid(
                "cluster mode keeps its metadata in PostgreSQL: meta.url must be postgres://…"
                    .into(),
            );
        }
        if self.nats_urls.is_empty() || self.nats_urls.iter().any(|u| u.trim().is_empty()) {
            return invalid("cluster.nats_urls must name at least one NATS server".into());
        }
        // Sealed segments go to object storage: the streams keep only what is not sealed.
        let os = &self.object_store;
        if os.endpoint.is_empty() || os.bucket.is_empty() {
            return invalid(
                "cluster mode seals its data into S3-compatible object storage: set \
                 cluster.object_store.endpoint and cluster.object_store.bucket"
                    .into(),
            );
        }
        if os.endpoint.starts_with("http://") && !os.allow_http {
            return invalid(
                "cluster.object_store.endpoint is plain http: set allow_http = true to allow it"
                    .into(),
            );
        }
        Ok(())
    }

    /// The node's name: `node`, or the host name when empty.
    pub fn node_name(&self) -> String {
        if !self.node.is_empty() {
            return self.node.clone();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_default();
        // The name is a KV key and a subject token: keep the safe characters.
        let name: String = host
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        if name.is_empty() { "node".into() } else { name }
    }
}

/// A node name usable as a KV key and a NATS subject token.
pub(crate) fn is_name(s: &str) -> bool {
    s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const PG: &str = "postgres://ironloom@127.0.0.1/ironloom";

    fn parse(text: &str) -> Result<ClusterConfig, String> {
        toml::from_str::<ClusterConfig>(text).map_err(|e| e.to_string())
    }

    fn enabled() -> ClusterConfig {
        ClusterConfig {
            enabled: true,
            object_store: ObjectStoreConfig {
                endpoint: "https://s3.example.com".into(),
                bucket: "ironloom".into(),
                ..ObjectStoreConfig::default()
            },
            ..ClusterConfig::default()
        }
    }

    #[test]
    fn defaults_are_off_and_valid() {
        let c = ClusterConfig::default();
        c.validate("sqlite://data/meta.db").unwrap();
        assert!(!c.enabled);
        assert_eq!((c.partitions, c.stream_shards, c.replicas), (32, 4, 3));
        assert_eq!(c.lease_ttl.0.as_secs(), 5);
        assert_eq!(c.stream_max_age.0.as_secs(), 7 * 86_400);
        assert_eq!(c.stream_max_bytes.0, 100 << 30);
        assert_eq!(c.object_store.region, "us-east-1");
        assert_eq!(parse("").unwrap().partitions, 32);
    }

    #[test]
    fn the_documented_section_parses() {
        let c = parse(
            r#"
            enabled = true
            node = "node-1"
            nats_urls = ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]
            partitions = 8
            stream_shards = 2
            replicas = 3
            stream_max_age = "7d"
            stream_max_bytes = "100GiB"
            lease_ttl = "5s"
            seal_interval = "30s"
            memtable_budget = "512MiB"
            [object_store]
            endpoint = "http://127.0.0.1:8333"
            bucket = "ironloom"
            region = "us-east-1"
            prefix = "site-a/"
            access_key_id = "AK"
            secret_access_key_file = "/etc/ironloom/s3-secret"
            allow_http = true
            "#,
        )
        .unwrap();
        c.validate(PG).unwrap();
        assert_eq!(c.nats_urls.len(), 2);
        assert_eq!(c.partitions, 8);
        assert_eq!(c.memtable_budget.0, 512 << 20);
        assert!(c.object_store.allow_http);
        assert_eq!(c.node_name(), "node-1");
    }

    #[test]
    fn unknown_keys_and_bad_units_are_named() {
        let e = parse("partitons = 8").unwrap_err();
        assert!(e.contains("partitons"), "{e}");
        let e = parse("lease_ttl = \"a while\"").unwrap_err();
        assert!(e.contains("a while"), "{e}");
        let e = parse("[object_store]\nbuckt = \"x\"").unwrap_err();
        assert!(e.contains("buckt"), "{e}");
    }

    #[test]
    fn enabled_needs_postgres_nats_and_an_object_store() {
        enabled().validate(PG).unwrap();
        enabled().validate("postgresql://h/db").unwrap();
        let e = enabled().validate("sqlite://data/meta.db").unwrap_err();
        assert!(e.to_string().contains("PostgreSQL"), "{e}");
        let e = ClusterConfig {
            nats_urls: vec![],
            ..enabled()
        }
        .validate(PG)
        .unwrap_err();
        assert!(e.to_string().contains("cluster.nats_urls"), "{e}");
        let mut no_bucket = enabled();
        no_bucket.object_store.bucket.clear();
        let e = no_bucket.validate(PG).unwrap_err();
        assert!(e.to_string().contains("cluster.object_store"), "{e}");
        let none = ClusterConfig {
            object_store: ObjectStoreConfig::default(),
            ..enabled()
        };
        let e = none.validate(PG).unwrap_err();
        assert!(
            e.to_string().contains("cluster.object_store.endpoint"),
            "{e}"
        );
        // Off, the section is not needed.
        ClusterConfig::default().validate("").unwrap();
        let mut plain = enabled();
        plain.object_store.endpoint = "http://127.0.0.1:8333".into();
        let e = plain.validate(PG).unwrap_err();
        assert!(e.to_string().contains("allow_http"), "{e}");
        plain.object_store.allow_http = true;
        plain.validate(PG).unwrap();
    }

    #[test]
    fn shape_and_lease_limits_are_checked() {
        let secs = |s| Duration(std::time::Duration::from_secs(s));
        let bad = [
            (
                "cluster.partitions",
                ClusterConfig {
                    partitions: 0,
                    ..enabled()
                },
            ),
            (
                "cluster.partitions",
                ClusterConfig {
                    partitions: 1025,
                    ..enabled()
                },
            ),
            (
                "cluster.stream_shards",
                ClusterConfig {
                    stream_shards: 0,
                    ..enabled()
                },
            ),
            (
                "cluster.stream_shards",
                ClusterConfig {
                    partitions: 4,
                    stream_shards: 8,
                    ..enabled()
                },
            ),
            (
                "cluster.replicas",
                ClusterConfig {
                    replicas: 2,
                    ..enabled()
                },
            ),
            (
                "cluster.replicas",
                ClusterConfig {
                    replicas: 0,
                    ..enabled()
                },
            ),
            (
                "cluster.lease_ttl",
                ClusterConfig {
                    lease_ttl: secs(1),
                    ..enabled()
                },
            ),
            (
                "cluster.node",
                ClusterConfig {
                    node: "a.b".into(),
                    ..enabled()
                },
            ),
            (
                "cluster.nats_user",
                ClusterConfig {
                    nats_user: "u".into(),
                    ..enabled()
                },
            ),
        ];
        for (key, c) in bad {
            let e = c.validate(PG).unwrap_err();
            assert!(e.to_string().contains(key), "{key}: {e}");
            assert_eq!(e.code(), "cluster_invalid_config");
            // The shape is checked even while cluster mode is off.
            assert!(
                ClusterConfig {
                    enabled: false,
                    ..c
                }
                .validate(PG)
                .is_err()
            );
        }
        ClusterConfig {
            partitions: 1024,
            replicas: 5,
            lease_ttl: secs(2),
            ..enabled()
        }
        .validate(PG)
        .unwrap();
    }

    #[test]
    fn node_name_defaults_to_a_safe_host_name() {
        let n = ClusterConfig::default().node_name();
        assert!(!n.is_empty());
        assert!(is_name(&n), "{n}");
    }
}
