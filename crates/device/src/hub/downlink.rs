//! The platform-to-device direction: commands (service calls, property writes) and shared
//! attribute updates, over whichever transport the device is listening on.
//!
//! Each transport registers a *link* for a device while it can deliver to it (an MQTT
//! connection subscribed to its command topic, an HTTP long-poll, a CoAP observation). A
//! command is recorded first, then offered to the device's links; a link that takes it
//! makes it `sent`, otherwise it stays `queued` until its expiry (or fails at once when the
//! caller asked for an error rather than a queue). Queued commands go out, oldest first,
//! when a link appears. Answers are matched by the small request id the device saw, and
//! end the command with its result; a command with no answer by its deadline times out.

use ironloom_core::sync::lock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use ironloom_core::command::{
    Command, CommandRequest, CommandResult, CommandStatus, NewCommand, check_command,
};
use ironloom_core::entity::{Actor, JsonMap};
use ironloom_core::error::{Error, Result};
use ironloom_core::ids::{CommandId, DeviceId, TenantId};
use ironloom_core::peers::Delivered;
use tokio::sync::oneshot;
use tracing::warn;

use super::{DeviceCtx, DeviceHub};

/// Something for a device.
#[derive(Debug, Clone)]
pub enum Downlink {
    /// A command, with the request id the device answers with.
    Command {
        command: Arc<Command>,
        request_id: u32,
    },
    /// Shared attributes changed: new values, and keys deleted.
    Attributes { set: JsonMap, deleted: Vec<String> },
}

/// What a link did with a downlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Not taken: the link cannot deliver it now.
    NotTaken,
    /// Sent; a command's answer comes back later.
    Sent,
    /// Sent in a form that is never answered (a parameter write as a shared-attribute
    /// update to ThingsBoard's IoT gateway): the command succeeds once delivered.
    SentUnanswered,
}

impl Delivery {
    pub fn taken(self) -> bool {
        self != Delivery::NotTaken
    }
}

impl From<bool> for Delivery {
    /// Taken (and answered later, for a command) or not.
    fn from(taken: bool) -> Delivery {
        if taken {
            Delivery::Sent
        } else {
            Delivery::NotTaken
        }
    }
}

/// Delivers a downlink on one transport.
pub type Sink = Arc<dyn Fn(&Downlink) -> Delivery + Send + Sync>;

/// Longest a caller may wait for an answer.
pub const MAX_COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
/// Longest a command may stay queued.
pub const MAX_QUEUE_TIME: Duration = Duration::from_secs(30 * 24 * 3600);

struct Inflight {
    command: CommandId,
    deadline: Instant,
}

/// Links, commands awaiting answers, and callers waiting for them.
#[derive(Default)]
pub(crate) struct Downlinks {
    links: Mutex<HashMap<DeviceId, Vec<(u64, Sink)>>>,
    next_link: AtomicU64,
    next_request: AtomicU32,
    /// Sent two-way commands by (device, request id).
    inflight: Mutex<HashMap<(DeviceId, u32), Inflight>>,
    waiters: Mutex<HashMap<CommandId, Vec<oneshot::Sender<Command>>>>,
    /// One delivery of a device's queue at a time: a newer command never overtakes an
    /// older one, and none is offered twice.
    turns: Mutex<HashMap<DeviceId, Arc<tokio::sync::Mutex<()>>>>,
}

/// Removes its link when dropped.
pub struct LinkGuard {
    hub: Arc<DeviceHub>,
    device: DeviceId,
    id: u64,
}

impl std::fmt::Debug for LinkGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkGuard")
            .field("device", &self.device)
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for LinkGuard {
    fn drop(&mut self) {
        let mut links = lock(&self.hub.downlinks.links);
        if let Some(v) = links.get_mut(&self.device) {
            v.retain(|(id, _)| *id != self.id);
            if v.is_empty() {
                links.remove(&self.device);
            }
        }
    }
}

impl DeviceHub {
    /// Registers a way to reach the device until the guard is dropped. Queued commands are
    /// not sent from here (the transport calls [`DeviceHub::deliver_queued`] when the device
    /// is ready to receive them).
    pub fn link(self: &Arc<Self>, device: DeviceId, sink: Sink) -> LinkGuard {
        let id = self.downlinks.next_link.fetch_add(1, Ordering::Relaxed);
        // Room for one link: a device mostly has one (a growing list would make room for
        // four, held for every connected device).
        lock(&self.downlinks.links)
            .entry(device)
            .or_insert_with(|| Vec::with_capacity(1))
            .push((id, sink));
        LinkGuard {
            hub: self.clone(),
            device,
            id,
        }
    }

    /// Whether something can deliver to the device right now.
    pub fn reachable(&self, device: DeviceId) -> bool {
        lock(&self.downlinks.links).contains_key(&device)
    }

    /// Offers a downlink to the device's links, newest first, until one takes it.
    fn offer(&self, device: DeviceId, d: &Downlink) -> Delivery {
        let sinks: Vec<Sink> = lock(&self.downlinks.links)
            .get(&device)
            .map(|v| v.iter().rev().map(|(_, s)| s.clone()).collect())
            .unwrap_or_default();
        sinks
            .iter()
            .map(|s| s(d))
            .find(|t| t.taken())
            .unwrap_or(Delivery::NotTaken)
    }

    fn request_id(&self) -> u32 {
        loop {
            let id = self.downlinks.next_request.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// Checks, records and sends a command; returns it as it stands when the call ends
    /// (see [`CommandRequest::wait`]).
    pub async fn send_command(
        &self,
        actor: &Actor,
        tenant: TenantId,
        device: DeviceId,
        req: CommandRequest,
    ) -> Result<Command> {
        let d = self.meta.get_device(tenant, device).await?;
        let product = self.product(tenant, d.product_id).await?;
        check_command(&product.thing_model, req.kind, &req.method, &req.params)
            .map_err(Error::Command)?;
        let timeout = req.timeout.min(MAX_COMMAND_TIMEOUT);
        let expires_at = req.queue_for.map(|q| {
            Utc::now() + chrono::Duration::from_std(q.min(MAX_QUEUE_TIME)).unwrap_or_default()
        });
        let command = self
            .meta
            .create_command(
                actor,
                tenant,
                NewCommand {
                    device_id: device,
                    kind: req.kind,
                    method: req.method,
                    params: req.params,
                    one_way: req.one_way,
                    timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    expires_at,
                },
            )
            .await?;
        metrics::counter!("ironloom_device_commands_total", "tenant" => tenant.to_string())
            .increment(1);
        let waiter = (req.wait && !req.one_way).then(|| self.wait_for(command.id));
        // Behind the device's queue, never before it (the queue holds it too when it may
        // wait there).
        let mut sent = self
            .deliver_in_turn(tenant, device, Some(&command))
            .await?
            .into_iter()
            .find(|c| c.id == command.id);
        // In a cluster the device may be connected to another node.
        let mut online_elsewhere = false;
        if sent.is_none()
            && let Some(peers) = self.peers.get()
            && let Some(there) = peers.deliver(tenant, device, Some(command.id)).await
        {
            online_elsewhere = there.online;
            sent = there.sent.into_iter().find(|c| c.id == command.id);
        }
        let current = match sent {
            Some(c) if c.status.is_final() => return Ok(c),
            Some(c) => c,
            None if command.expires_at.is_none() => {
                lock(&self.downlinks.waiters).remove(&command.id);
                // Connected but not subscribed to its command topic is not offline.
                let connected =
                    online_elsewhere || self.live_status(device).is_some_and(|s| s.online);
                let (why, e) = if connected {
                    (
                        "the device does not listen for commands",
                        Error::DeviceNotListening,
                    )
                } else {
                    ("the device is offline", Error::DeviceOffline)
                };
                self.finish(
                    command.id,
                    CommandResult::failed(CommandStatus::Failed, why),
                )
                .await;
                return Err(e);
            }
            None => command,
        };
        let Some(rx) = waiter else {
            return Ok(current);
        };
        // Wait for the answer, also when the command is still queued: a device that comes
        // online within the timeout gets it and its answer comes back to this caller.
        if let Ok(Ok(done)) = tokio::time::timeout(timeout, rx).await {
            return Ok(done);
        }
        lock(&self.downlinks.waiters).remove(&current.id);
        let now = self.meta.get_command(tenant, current.id).await?;
        let overdue = now.sent_at.is_some_and(|at| {
            Utc::now() - at >= chrono::Duration::from_std(timeout).unwrap_or_default()
        });
        if now.status == CommandStatus::Sent && overdue {
            Ok(self.time_out(device, now).await)
        } else {
            // Still queued (its expiry applies), or sent late and not yet due.
            Ok(now)
        }
    }

    /// Offers a recorded, queued command to the device; `Some` (as it now stands) if a
    /// link took it.
    async fn deliver(&self, mut command: Command) -> Result<Option<Command>> {
        let device = command.device_id;
        let request_id = self.request_id();
        if !command.one_way {
            lock(&self.downlinks.inflight).insert(
                (device, request_id),
                Inflight {
                    command: command.id,
                    deadline: Instant::now() + Duration::from_millis(command.timeout_ms),
                },
            );
        }
        let shared = Arc::new(command.clone());
        let taken = self.offer(
            device,
            &Downlink::Command {
                command: shared,
                request_id,
            },
        );
        if taken != Delivery::Sent {
            lock(&self.downlinks.inflight).remove(&(device, request_id));
        }
        if !taken.taken() {
            return Ok(None);
        }
        let now = Utc::now();
        if !self.meta.mark_command_sent(command.id, now).await? {
            // Already sent by another link, or ended meanwhile.
            return Ok(Some(
                self.meta.get_command(command.tenant_id, command.id).await?,
            ));
        }
        command.status = CommandStatus::Sent;
        command.sent_at = Some(now);
        if (command.one_way || taken == Delivery::SentUnanswered)
            && let Some(done) = self
                .finish(command.id, CommandResult::succeeded(None))
                .await
        {
            return Ok(Some(done));
        }
        Ok(Some(command))
    }

    /// Sends the device's queued commands, oldest first, while a link takes them.
    pub async fn deliver_queued(&self, tenant: TenantId, device: DeviceId) {
        if let Err(e) = self.deliver_in_turn(tenant, device, None).await {
            warn!(%device, error = %e, "could not send queued commands");
        }
    }

    /// Sends the device's queued commands, oldest first, then `also` (a new command that
    /// may not wait in the queue), each only while a link takes them; one call per device
    /// at a time. Returns the commands sent, as they now stand.
    async fn deliver_in_turn(
        &self,
        tenant: TenantId,
        device: DeviceId,
        also: Option<&Command>,
    ) -> Result<Vec<Command>> {
        if !self.reachable(device) {
            return Ok(Vec::new());
        }
        let turn = lock(&self.downlinks.turns)
            .entry(device)
            .or_default()
            .clone();
        let sent = {
            let _turn = turn.lock().await;
            self.deliver_all(tenant, device, also).await
        };
        let mut turns = lock(&self.downlinks.turns);
        // Clones are taken under this lock: the map's and this one mean nobody waits.
        if Arc::strong_count(&turn) == 2 {
            turns.remove(&device);
        }
        sent
    }

    async fn deliver_all(
        &self,
        tenant: TenantId,
        device: DeviceId,
        also: Option<&Command>,
    ) -> Result<Vec<Command>> {
        let mut queue = self.meta.queued_commands(tenant, device).await?;
        if let Some(c) = also
            && !queue.iter().any(|q| q.id == c.id)
        {
            queue.push(c.clone());
        }
        let mut sent = Vec::new();
        for c in queue {
            match self.deliver(c).await? {
                Some(c) => sent.push(c),
                None => break,
            }
        }
        Ok(sent)
    }

    fn wait_for(&self, id: CommandId) -> oneshot::Receiver<Command> {
        let (tx, rx) = oneshot::channel();
        lock(&self.downlinks.waiters)
            .entry(id)
            .or_default()
            .push(tx);
        rx
    }

    /// Ends a command and wakes whoever waits for it.
    async fn finish(&self, id: CommandId, result: CommandResult) -> Option<Command> {
        match self.meta.finish_command(id, result).await {
            Ok(Some(done)) => {
                metrics::counter!(
                    "ironloom_device_command_results_total",
                    "status" => done.status.as_str()
                )
                .increment(1);
                self.wake(&done);
                if let Some(peers) = self.peers.get() {
                    peers.command_ended(done.tenant_id, id);
                }
                Some(done)
            }
            Ok(None) => None,
            Err(e) => {
                warn!(command = %id, error = %e, "could not record a command result");
                None
            }
        }
    }

    async fn time_out(&self, device: DeviceId, c: Command) -> Command {
        lock(&self.downlinks.inflight).retain(|k, v| !(k.0 == device && v.command == c.id));
        lock(&self.downlinks.waiters).remove(&c.id);
        match self
            .finish(
                c.id,
                CommandResult::failed(
                    CommandStatus::TimedOut,
                    "the device did not answer within the timeout",
                ),
            )
            .await
        {
            Some(done) => done,
            // Answered in the meantime.
            None => self.meta.get_command(c.tenant_id, c.id).await.unwrap_or(c),
        }
    }

    /// The device answered request `request_id`. False if no command awaits that answer
    /// (unknown id, another device's id, or already ended).
    pub async fn command_answer(
        &self,
        ctx: &DeviceCtx,
        request_id: u32,
        result: CommandResult,
    ) -> bool {
        let Some(inflight) = lock(&self.downlinks.inflight).remove(&(ctx.device, request_id))
        else {
            return false;
        };
        self.seen(ctx);
        self.finish(inflight.command, result).await.is_some()
    }

    /// Pushes shared-attribute changes to the device's links; true if one took them.
    pub fn push_attributes(&self, device: DeviceId, set: JsonMap, deleted: Vec<String>) -> bool {
        self.offer(device, &Downlink::Attributes { set, deleted })
            .taken()
    }

    /// Pushes shared-attribute changes to the device here or, in a cluster, on the node
    /// that has it connected; true if a link took them.
    pub(crate) async fn push_attributes_anywhere(
        &self,
        tenant: TenantId,
        device: DeviceId,
        set: JsonMap,
        deleted: Vec<String>,
    ) -> bool {
        let Some(peers) = self.peers.get() else {
            return self.push_attributes(device, set, deleted);
        };
        if self.reachable(device) && self.push_attributes(device, set.clone(), deleted.clone()) {
            return true;
        }
        peers.push_attributes(tenant, device, &set, &deleted).await
    }

    /// Another node asks for the device's queued commands, then `command`, to be sent
    /// here; `None` when the device is not connected here.
    pub async fn deliver_here(
        &self,
        tenant: TenantId,
        device: DeviceId,
        command: Option<CommandId>,
    ) -> Option<Delivered> {
        let online = self.live_status(device).is_some_and(|s| s.online);
        if !self.reachable(device) {
            return online.then_some(Delivered {
                sent: Vec::new(),
                online,
            });
        }
        let also = match command {
            Some(id) => match self.meta.get_command(tenant, id).await {
                Ok(c) if c.device_id == device && !c.status.is_final() => Some(c),
                Ok(_) => None,
                Err(e) => {
                    warn!(command = %id, error = %e, "a command asked for by another node is unreadable");
                    None
                }
            },
            None => None,
        };
        let sent = match self.deliver_in_turn(tenant, device, also.as_ref()).await {
            Ok(sent) => sent,
            Err(e) => {
                warn!(%device, error = %e, "could not send commands for another node");
                Vec::new()
            }
        };
        Some(Delivered { sent, online: true })
    }

    /// A command ended on another node: whoever waits for it here gets it as stored.
    pub async fn command_ended_elsewhere(&self, tenant: TenantId, id: CommandId) {
        if !lock(&self.downlinks.waiters).contains_key(&id) {
            return;
        }
        match self.meta.get_command(tenant, id).await {
            Ok(c) if c.status.is_final() => self.wake(&c),
            Ok(_) => {}
            Err(e) => warn!(command = %id, error = %e, "could not read a command ended elsewhere"),
        }
    }

    /// Hands an ended command to whoever waits for it here.
    fn wake(&self, done: &Command) {
        for tx in lock(&self.downlinks.waiters)
            .remove(&done.id)
            .unwrap_or_default()
        {
            let _ = tx.send(done.clone());
        }
    }

    /// Ends sent commands whose answer is overdue (held in memory: cheap, run often).
    pub(crate) async fn end_overdue_commands(&self) {
        let now = Instant::now();
        let overdue: Vec<CommandId> = {
            let mut inflight = lock(&self.downlinks.inflight);
            let gone: Vec<(DeviceId, u32)> = inflight
                .iter()
                .filter(|(_, v)| v.deadline <= now)
                .map(|(k, _)| *k)
                .collect();
            gone.iter()
                .filter_map(|k| inflight.remove(k).map(|v| v.command))
                .collect()
        };
        for id in overdue {
            self.finish(
                id,
                CommandResult::failed(
                    CommandStatus::TimedOut,
                    "the device did not answer within the timeout",
                ),
            )
            .await;
        }
    }

    /// Ends, in the store, queue entries past their expiry and commands left open across a
    /// restart (queries the store: run seldom).
    pub(crate) async fn expire_stored_commands(&self) {
        match self.meta.expire_commands(Utc::now()).await {
            Ok(ended) => {
                for c in ended {
                    self.wake(&c);
                    if let Some(peers) = self.peers.get() {
                        peers.command_ended(c.tenant_id, c.id);
                    }
                }
            }
            Err(e) => warn!(error = %e, "could not expire commands"),
        }
    }
}
