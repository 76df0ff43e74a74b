//! The object-store client (object_store with ring, no aws-lc) against SeaweedFS's S3
//! gateway from the test harness: signed requests with the generated keys, the bucket
//! created by the first PUT. Skipped without `weed` on PATH unless IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::TryStreamExt;
use ironloom_cluster::ObjectStoreConfig;
use ironloom_testkit::peers::{SeaweedS3, or_skip};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

#[tokio::test]
async fn signed_put_get_and_list_work_against_seaweedfs() {
    let Some(s3) = or_skip(
        "signed_put_get_and_list_work_against_seaweedfs",
        SeaweedS3::start(),
    ) else {
        return;
    };
    let secret = s3.dir().join("secret");
    std::fs::write(&secret, format!("{}\n", s3.secret_key())).unwrap();
    let config = ObjectStoreConfig {
        endpoint: s3.endpoint(),
        bucket: s3.bucket().into(),
        region: s3.region().into(),
        access_key_id: s3.access_key().into(),
        secret_access_key_file: secret.display().to_string(),
        allow_http: true,
        ..ObjectStoreConfig::default()
    };
    let store = ironloom_cluster::store::open(&config).unwrap();
    let hello = Path::from("cluster/hello");
    store.put(&hello, "hello".into()).await.unwrap();
    let got = store.get(&hello).await.unwrap().bytes().await.unwrap();
    assert_eq!(&got[..], b"hello");
    let listed: Vec<_> = store
        .list(Some(&Path::from("cluster")))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].location, hello);
    assert_eq!(listed[0].size, 5);

    // A wrong secret is refused.
    let wrong = ironloom_cluster::store::open_with_secret(&config, "not-the-secret").unwrap();
    assert!(wrong.get(&hello).await.is_err());
}
