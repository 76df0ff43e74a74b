//! Device sessions between nodes (`ironloom_cluster::peers`) on a real 3-server NATS
//! cluster, with a host that records what it is asked: a downlink goes to the node that
//! answers for the device and to no node once that one is gone, notices reach the other
//! node and not the sender, messages that do not pass the checks are refused, and a node
//! whose NATS connection came back forgets its cached copies. Skipped with a SKIPPED line
//! when nats-server is not on PATH, unless IRONLOOM_REQUIRE_PEERS=1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironloom_bus::LocalBus;
use ironloom_cluster::ClusterConfig;
use ironloom_cluster::node::ClusterNode;
use ironloom_cluster::peers::NatsPeers;
use ironloom_cluster::peers::wire::notice_subject;
use ironloom_core::entity::JsonMap;
use ironloom_core::ids::{CommandId, DeviceId, TenantId};
use ironloom_core::peers::{Change, Delivered, PeerHost, Peers};
use ironloom_testkit::peers::{NatsCluster, or_skip};
use tokio_util::sync::CancellationToken;

/// What a node was asked by the others.
#[derive(Debug, Default)]
struct Record {
    /// The device this node holds a session of.
    holds: Option<DeviceId>,
    delivered: Vec<(TenantId, DeviceId, Option<CommandId>)>,
    ended: Vec<CommandId>,
    closed: Vec<(DeviceId, String)>,
    changes: Vec<Change>,
    apps: Vec<(TenantId, String, Vec<u8>)>,
    forgot_all: usize,
}

#[derive(Default)]
struct Recorder(Mutex<Record>);

#[async_trait::async_trait]
impl PeerHost for Recorder {
    async fn deliver(
        &self,
        tenant: TenantId,
        device: DeviceId,
        command: Option<CommandId>,
    ) -> Option<Delivered> {
        let mut r = self.0.lock().unwrap();
        r.delivered.push((tenant, device, command));
        (r.holds == Some(device)).then(|| Delivered {
            sent: Vec::new(),
            online: true,
        })
    }
    fn push_attributes(
        &self,
        _tenant: TenantId,
        device: DeviceId,
        _set: JsonMap,
        _deleted: Vec<String>,
    ) -> Option<bool> {
        (self.0.lock().unwrap().holds == Some(device)).then_some(true)
    }
    async fn command_ended(&self, _tenant: TenantId, command: CommandId) {
        self.0.lock().unwrap().ended.push(command);
    }
    fn close_session(
        &self,
        _tenant: TenantId,
        device: DeviceId,
        client_id: &str,
        _at: chrono::DateTime<chrono::Utc>,
    ) {
        self.0
            .lock()
            .unwrap()
            .closed
            .push((device, client_id.to_owned()));
    }
    async fn changed(&self, change: Change) {
        self.0.lock().unwrap().changes.push(change);
    }
    fn republish(&self, tenant: TenantId, topic: &str, payload: Vec<u8>) {
        self.0
            .lock()
            .unwrap()
            .apps
            .push((tenant, topic.to_owned(), payload));
    }
    async fn forget_all(&self) {
        self.0.lock().unwrap().forgot_all += 1;
    }
}

struct Node {
    node: Arc<ClusterNode>,
    peers: Arc<NatsPeers>,
    host: Arc<Recorder>,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A node connected to NATS server `server` only.
async fn start_node(nats: &NatsCluster, name: &str, server: usize) -> Node {
    let config = ClusterConfig {
        node: name.into(),
        nats_urls: vec![nats.url(server)],
        partitions: 4,
        stream_shards: 2,
        replicas: 3,
        stream_max_bytes: ironloom_cluster::config::ByteSize(64 << 20),
        lease_ttl: ironloom_cluster::config::Duration(Duration::from_secs(3)),
        ..ClusterConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let options = ironloom_tsdb::Options {
        fsync: ironloom_tsdb::FsyncPolicy::Never,
        ..Default::default()
    };
    let policies = ironloom_tsdb::Engine::open(&dir.path().join("tsdb"), options.clone()).unwrap();
    let cancel = CancellationToken::new();
    let parts = ClusterNode::start(
        &config,
        None,
        ironloom_cluster::node::Storage {
            policies,
            options,
            objects: None,
        },
        LocalBus::new(),
        &dir.path().join("cluster"),
        cancel.clone(),
    )
    .await
    .unwrap();
    parts.node.attach(None);
    let host = Arc::new(Recorder::default());
    let peers = NatsPeers::start(parts.node.clone(), host.clone(), cancel.clone())
        .await
        .unwrap();
    Node {
        node: parts.node,
        peers,
        host,
        cancel,
        _dir: dir,
    }
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_commands_and_changes_cross_nodes_and_a_reconnected_node_forgets() {
    let Some(mut nats) = or_skip(
        "sessions_commands_and_changes_cross_nodes_and_a_reconnected_node_forgets",
        NatsCluster::start(3),
    ) else {
        return;
    };
    let a = start_node(&nats, "a", 0).await;
    let b = start_node(&nats, "b", 1).await;
    until("each node knows the other", || {
        (a.node.peers() == ["b"] && b.node.peers() == ["a"]).then_some(())
    })
    .await;
    let tenant = TenantId::new();
    let device = DeviceId::new();
    let command = CommandId::new();

    // Nobody holds the device: nothing delivered, no attribute taken (every node asked).
    assert_eq!(a.peers.deliver(tenant, device, Some(command)).await, None);
    assert!(
        !a.peers
            .push_attributes(tenant, device, &JsonMap::new(), &[])
            .await
    );
    assert_eq!(
        b.host.0.lock().unwrap().delivered,
        [(tenant, device, Some(command))]
    );
    // Node b holds it: b delivers, a's caller learns it is online there.
    b.host.0.lock().unwrap().holds = Some(device);
    assert_eq!(
        a.peers.deliver(tenant, device, Some(command)).await,
        Some(Delivered {
            sent: Vec::new(),
            online: true
        })
    );
    assert!(
        a.peers
            .push_attributes(tenant, device, &JsonMap::new(), &[])
            .await
    );

    // Notices reach the other node only, in order.
    let change = Change::Device {
        tenant,
        device,
        close: true,
    };
    b.peers.command_ended(tenant, command);
    b.peers
        .session_opened(tenant, device, "pump-1", chrono::Utc::now());
    b.peers.changed(&change);
    b.peers
        .republish(tenant, "rules/pump/fast", b"{\"speed\":1}");
    until("the notices on node a", || {
        let r = a.host.0.lock().unwrap();
        (!r.apps.is_empty()).then_some(())
    })
    .await;
    {
        let r = a.host.0.lock().unwrap();
        assert_eq!(r.ended, [command]);
        assert_eq!(r.closed, [(device, "pump-1".to_string())]);
        assert_eq!(r.changes, std::slice::from_ref(&change));
        assert_eq!(
            r.apps,
            [(
                tenant,
                "rules/pump/fast".to_string(),
                b"{\"speed\":1}".to_vec()
            )]
        );
    }
    {
        let r = b.host.0.lock().unwrap();
        assert!(
            r.ended.is_empty() && r.closed.is_empty() && r.changes.is_empty() && r.apps.is_empty()
        );
    }

    // Messages that do not pass the checks are refused, not applied: another tenant in
    // the body than in the subject, another version, garbage.
    let raw = async_nats::connect(nats.url(2)).await.unwrap();
    let other = TenantId::new();
    let forged = serde_json::json!({"v": 1, "from": "c", "tenant": other,
        "notice": {"kind": "changed", "change": {"what": "tenant", "tenant": other}}});
    raw.publish(notice_subject(tenant), forged.to_string().into())
        .await
        .unwrap();
    let newer = serde_json::json!({"v": 2, "from": "c", "tenant": tenant,
        "notice": {"kind": "changed", "change": {"what": "tenant", "tenant": tenant}}});
    raw.publish(notice_subject(tenant), newer.to_string().into())
        .await
        .unwrap();
    raw.publish(notice_subject(tenant), "\u{0}garbage".into())
        .await
        .unwrap();
    let request = raw
        .request(
            ironloom_cluster::peers::wire::downlink_subject("a", tenant),
            "{\"v\":1}".into(),
        )
        .await
        .unwrap();
    assert_eq!(
        ironloom_cluster::peers::wire::reply(&request.payload).unwrap(),
        ironloom_cluster::peers::wire::DownlinkAnswer::NotHere
    );
    // A good notice after them arrives alone.
    b.peers.changed(&Change::Rules { tenant });
    until("the good notice", || {
        let r = a.host.0.lock().unwrap();
        (r.changes.len() == 2).then_some(())
    })
    .await;
    assert_eq!(
        a.host.0.lock().unwrap().changes[1],
        Change::Rules { tenant }
    );

    // Node b's server goes away: b reconnects to another server and forgets its copies
    // (it may have missed notices); a did not lose its connection and keeps them.
    assert_eq!(b.host.0.lock().unwrap().forgot_all, 0);
    nats.kill(1);
    until("node b forgets its cached copies", || {
        (b.host.0.lock().unwrap().forgot_all > 0).then_some(())
    })
    .await;
    assert_eq!(a.host.0.lock().unwrap().forgot_all, 0);
    // And hears notices again.
    a.peers.changed(&Change::Tenant { tenant });
    until("a notice after the reconnection", || {
        let r = b.host.0.lock().unwrap();
        r.changes.contains(&Change::Tenant { tenant }).then_some(())
    })
    .await;
    // Node b stops: a downlink for its device finds no node at once.
    drop(b);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = std::time::Instant::now();
    assert_eq!(a.peers.deliver(tenant, device, None).await, None);
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
}
