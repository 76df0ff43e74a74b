//! The S3-compatible object store that sealed segments go to: an
//! `object_store` client built from `[cluster.object_store]`, signing with ring (no
//! aws-lc), path-style requests so that any S3 server works.

use crate::config::ObjectStoreConfig;
use crate::error::ClusterError;
use object_store::aws::{AmazonS3, AmazonS3Builder};

/// Opens the store, reading the secret key from `secret_access_key_file`.
pub fn open(config: &ObjectStoreConfig) -> Result<AmazonS3, ClusterError> {
    let secret = if config.secret_access_key_file.is_empty() {
        String::new()
    } else {
        std::fs::read_to_string(&config.secret_access_key_file).map_err(|source| {
            ClusterError::ReadSecret {
                path: config.secret_access_key_file.clone(),
                source,
            }
        })?
    };
    open_with_secret(config, secret.trim())
}

/// Opens the store with the secret key given.
pub fn open_with_secret(
    config: &ObjectStoreConfig,
    secret_access_key: &str,
) -> Result<AmazonS3, ClusterError> {
    // reqwest 0.13 is built without a crypto provider of its own: the process's default
    // is used, which the binary sets to ring; this covers callers that have not.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = AmazonS3Builder::new()
        .with_endpoint(config.endpoint.clone())
        .with_bucket_name(config.bucket.clone())
        .with_region(config.region.clone())
        .with_virtual_hosted_style_request(false)
        // Sealing retries on its own schedule and reports failures on the health page: a
        // store that is down fails a request within seconds instead of minutes.
        .with_retry(object_store::RetryConfig {
            max_retries: 2,
            retry_timeout: std::time::Duration::from_secs(10),
            ..Default::default()
        })
        .with_client_options(
            object_store::ClientOptions::new()
                .with_connect_timeout(std::time::Duration::from_secs(3))
                .with_timeout(std::time::Duration::from_secs(60)),
        )
        // After the client options, which would reset it.
        .with_allow_http(config.allow_http);
    if !config.access_key_id.is_empty() {
        builder = builder
            .with_access_key_id(config.access_key_id.clone())
            .with_secret_access_key(secret_access_key.to_owned());
    }
    builder
        .build()
        .map_err(|source| ClusterError::OpenObjectStore {
            endpoint: config.endpoint.clone(),
            source,
        })
}
