//! Device sessions across the nodes of a cluster, over NATS core request/reply:
//!
//! - **Downlinks.** A node that cannot deliver a command or a shared-attribute change to a
//!   device itself asks every other live node at once on `il.dl.{node}.{tenant}`
//!   ([`DownlinkRequest`]); the node holding the device's session delivers (its queued
//!   commands first, as on one node) and answers with the commands as they now stand, the
//!   others answer "not here". A node that went away has no subscription, so NATS answers
//!   "no responders" at once; one that hangs counts as "not here" after
//!   [`DOWNLINK_WAIT`]. The device's answer reaches the caller's node through the command
//!   store: the node that ends a command says so on `il.note.{tenant}` and the caller's
//!   node reads the result.
//! - **Takeover.** A device session opening under a client id is announced on
//!   `il.note.{tenant}`; a node holding a session of the same device and client id ends
//!   it as a takeover.
//! - **Applications.** A rule's message to the tenant's applications (MQTT `rules/…`) is
//!   published on `il.app.{tenant}` too; every other node hands it to the applications
//!   connected there.
//! - **Invalidation.** Metadata changed through one node's API is announced on
//!   `il.note.{tenant}`; every node forgets its cached copies. A node whose NATS
//!   connection came back may have missed notices: it forgets every cached copy.
//!
//! No directory of sessions is kept: a downlink costs one request per node, and a device
//! connecting costs one notice, whatever the number of devices (see docs/cluster.md).
//!
//! Layout: this file (both sides), `wire` (the messages, versioned and checked).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::join_all;
use ironloom_core::entity::JsonMap;
use ironloom_core::ids::{CommandId, DeviceId, TenantId};
use ironloom_core::peers::{Change, Delivered, PeerHost, Peers};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::ClusterError;
use crate::nats::subscribe;
use crate::node::ClusterNode;

pub mod wire;

use wire::*;

/// How long a node has to answer a downlink request (it reads and writes the command
/// store while delivering).
pub const DOWNLINK_WAIT: Duration = Duration::from_secs(10);
/// Notices waiting to be published at most; more are dropped and counted.
const NOTICE_QUEUE: usize = 8192;

/// This node's side of device sessions on other nodes.
#[derive(Debug)]
pub struct NatsPeers {
    node: Arc<ClusterNode>,
    client: async_nats::Client,
    outgoing: mpsc::Sender<Outgoing>,
}

/// What this node tells every other node, in order.
#[derive(Debug)]
enum Outgoing {
    Notice(TenantId, NoticeKind),
    /// A rule's message to the tenant's applications: topic, payload.
    ToApps(TenantId, String, Bytes),
}

impl NatsPeers {
    /// Subscribes, and answers other nodes through `host` until `shutdown`.
    pub async fn start(
        node: Arc<ClusterNode>,
        host: Arc<dyn PeerHost>,
        shutdown: CancellationToken,
    ) -> Result<Arc<NatsPeers>, ClusterError> {
        let client = node.client().clone();
        let requests = subscribe(&client, downlink_filter(node.name())).await?;
        let heard = Subscriptions {
            requests,
            notices: subscribe(&client, NOTICE_FILTER.into()).await?,
            apps: subscribe(&client, APPS_FILTER.into()).await?,
        };
        let (outgoing, rx) = mpsc::channel(NOTICE_QUEUE);
        tokio::spawn(publish(client.clone(), node.name().to_owned(), rx));
        tokio::spawn(serve(
            client.clone(),
            node.name().to_owned(),
            host,
            heard,
            shutdown,
        ));
        Ok(Arc::new(NatsPeers {
            node,
            client,
            outgoing,
        }))
    }

    fn send(&self, out: Outgoing) {
        if self.outgoing.try_send(out).is_err() {
            refused("notice-dropped");
        }
    }

    fn notify(&self, tenant: TenantId, notice: NoticeKind) {
        self.send(Outgoing::Notice(tenant, notice));
    }

    /// Asks every other live node; the answers of those that gave one.
    async fn ask(&self, tenant: TenantId, device: DeviceId, op: DownlinkOp) -> Vec<DownlinkAnswer> {
        let body = encode(&DownlinkRequest {
            v: VERSION,
            tenant,
            device,
            op,
        });
        let asks = self.node.peers().into_iter().map(|peer| {
            let request = async_nats::Request::new()
                .payload(body.clone())
                .timeout(Some(DOWNLINK_WAIT));
            let client = self.client.clone();
            async move {
                match client
                    .send_request(downlink_subject(&peer, tenant), request)
                    .await
                {
                    Ok(m) => match reply(&m.payload) {
                        Ok(a) => Some(a),
                        Err(e) => {
                            refused("downlink-reply");
                            tracing::warn!(node = %peer, error = %e, "refused a downlink reply");
                            None
                        }
                    },
                    // Gone since the last heartbeat: nothing to deliver there.
                    Err(e) if e.kind() == async_nats::client::RequestErrorKind::NoResponders => {
                        None
                    }
                    Err(e) => {
                        tracing::warn!(node = %peer, error = %e, "a node did not answer a downlink request");
                        None
                    }
                }
            }
        });
        join_all(asks).await.into_iter().flatten().collect()
    }
}

#[async_trait::async_trait]
impl Peers for NatsPeers {
    async fn deliver(
        &self,
        tenant: TenantId,
        device: DeviceId,
        command: Option<CommandId>,
    ) -> Option<Delivered> {
        let mut out: Option<Delivered> = None;
        for a in self
            .ask(tenant, device, DownlinkOp::Deliver { command })
            .await
        {
            if let DownlinkAnswer::Delivered { sent, online } = a {
                let d = out.get_or_insert(Delivered {
                    sent: Vec::new(),
                    online: false,
                });
                d.online |= online;
                d.sent.extend(sent);
            }
        }
        out
    }

    async fn push_attributes(
        &self,
        tenant: TenantId,
        device: DeviceId,
        set: &JsonMap,
        deleted: &[String],
    ) -> bool {
        let op = DownlinkOp::Attributes {
            set: set.clone(),
            deleted: deleted.to_vec(),
        };
        self.ask(tenant, device, op)
            .await
            .contains(&DownlinkAnswer::Pushed { taken: true })
    }

    fn command_ended(&self, tenant: TenantId, command: CommandId) {
        self.notify(tenant, NoticeKind::CommandEnded { command });
    }

    fn session_opened(
        &self,
        tenant: TenantId,
        device: DeviceId,
        client_id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        self.notify(
            tenant,
            NoticeKind::SessionOpened {
                device,
                client_id: client_id.to_owned(),
                at,
            },
        );
    }

    fn changed(&self, change: &Change) {
        self.notify(
            change.tenant(),
            NoticeKind::Changed {
                change: change.clone(),
            },
        );
    }

    fn republish(&self, tenant: TenantId, topic: &str, payload: &[u8]) {
        self.send(Outgoing::ToApps(
            tenant,
            topic.to_owned(),
            Bytes::copy_from_slice(payload),
        ));
    }
}

/// Publishes what this node tells the others, in the order it was made.
async fn publish(client: async_nats::Client, from: String, mut rx: mpsc::Receiver<Outgoing>) {
    while let Some(out) = rx.recv().await {
        let sent = match out {
            Outgoing::Notice(tenant, notice) => {
                let body = encode(&Notice {
                    v: VERSION,
                    from: from.clone(),
                    tenant,
                    notice,
                });
                client.publish(notice_subject(tenant), body).await
            }
            Outgoing::ToApps(tenant, topic, payload) => {
                let mut headers = async_nats::HeaderMap::new();
                headers.insert(VERSION_HEADER, VERSION.to_string().as_str());
                headers.insert(FROM_HEADER, from.as_str());
                headers.insert(TOPIC_HEADER, topic.as_str());
                client
                    .publish_with_headers(apps_subject(tenant), headers, payload)
                    .await
            }
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not publish to the other nodes");
        }
    }
}

/// What a node listens to.
struct Subscriptions {
    requests: async_nats::Subscriber,
    notices: async_nats::Subscriber,
    apps: async_nats::Subscriber,
}

/// Answers downlink requests and takes notices; forgets every cached copy when the NATS
/// connection came back.
async fn serve(
    client: async_nats::Client,
    me: String,
    host: Arc<dyn PeerHost>,
    mut heard: Subscriptions,
    shutdown: CancellationToken,
) {
    let stats = client.statistics();
    let mut connects = stats.connects.load(Ordering::Relaxed);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            m = heard.requests.next() => match m {
                Some(m) => {
                    tokio::spawn(answer(client.clone(), host.clone(), m));
                }
                None => return,
            },
            m = heard.notices.next() => match m {
                Some(m) => on_notice(&me, &host, m),
                None => return,
            },
            m = heard.apps.next() => match m {
                Some(m) => on_app_message(&me, host.as_ref(), m),
                None => return,
            },
            _ = tick.tick() => {
                let now = stats.connects.load(Ordering::Relaxed);
                if now != connects {
                    connects = now;
                    tracing::info!("connected to NATS again: forgetting cached metadata (notices may have been missed)");
                    let host = host.clone();
                    tokio::spawn(async move { host.forget_all().await });
                }
            }
        }
    }
}

async fn answer(client: async_nats::Client, host: Arc<dyn PeerHost>, m: async_nats::Message) {
    let Some(to) = m.reply.clone() else {
        return;
    };
    let answer = match request(&m.subject, &m.payload) {
        Ok(r) => match r.op {
            DownlinkOp::Deliver { command } => {
                match host.deliver(r.tenant, r.device, command).await {
                    Some(d) => DownlinkAnswer::Delivered {
                        sent: d.sent,
                        online: d.online,
                    },
                    None => DownlinkAnswer::NotHere,
                }
            }
            DownlinkOp::Attributes { set, deleted } => {
                match host.push_attributes(r.tenant, r.device, set, deleted) {
                    Some(taken) => DownlinkAnswer::Pushed { taken },
                    None => DownlinkAnswer::NotHere,
                }
            }
        },
        // Answered all the same, so the asking node does not wait for nothing.
        Err(e) => {
            refused("downlink-request");
            tracing::warn!(subject = %m.subject, error = %e, "refused a downlink request");
            DownlinkAnswer::NotHere
        }
    };
    let body = encode(&DownlinkReply { v: VERSION, answer });
    if let Err(e) = client.publish(to, body).await {
        tracing::warn!(error = %e, "could not answer a downlink request");
    }
}

fn on_notice(me: &str, host: &Arc<dyn PeerHost>, m: async_nats::Message) {
    let n = match notice(&m.subject, &m.payload) {
        Ok(n) => n,
        Err(e) => {
            refused("notice");
            tracing::warn!(subject = %m.subject, error = %e, "refused a notice from another node");
            return;
        }
    };
    if n.from == me {
        return;
    }
    match n.notice {
        NoticeKind::CommandEnded { command } => {
            let host = host.clone();
            tokio::spawn(async move { host.command_ended(n.tenant, command).await });
        }
        NoticeKind::SessionOpened {
            device,
            client_id,
            at,
        } => {
            host.close_session(n.tenant, device, &client_id, at);
        }
        NoticeKind::Changed { change } => {
            let host = host.clone();
            tokio::spawn(async move { host.changed(change).await });
        }
    }
}

fn on_app_message(me: &str, host: &dyn PeerHost, m: async_nats::Message) {
    let from = m.headers.as_ref().and_then(|h| h.get(FROM_HEADER));
    if from.is_some_and(|f| f.as_str() == me) {
        return;
    }
    match app_message(&m.subject, m.headers.as_ref(), &m.payload) {
        Ok((tenant, topic)) => host.republish(tenant, &topic, m.payload.to_vec()),
        Err(e) => {
            refused("app-message");
            tracing::warn!(subject = %m.subject, error = %e, "refused a message to applications");
        }
    }
}

pub(crate) fn refused(kind: &'static str) {
    metrics::counter!("ironloom_cluster_messages_refused_total", "kind" => kind).increment(1);
}
