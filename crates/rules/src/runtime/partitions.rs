//! Cluster mode: the rule engine's state per partition. A partition's owner saves the
//! state of the partition's devices with the highest log position it reflects; the next
//! owner restores it before announcing what follows (see
//! [`PartitionConsumers`]). Together with alarm writes keyed by log position, rules go
//! on where they were and raise or clear no alarm twice across a fail-over.

use std::sync::Arc;

use ironloom_bus::DeviceEvent;
use ironloom_core::cluster::PartitionConsumers;
use ironloom_core::error::{Error as CoreError, Result};
use ironloom_core::ids::DeviceId;
use tokio::sync::{mpsc, oneshot};

use super::{Checkpoint, Control, EngineTask, Fx, RuleRuntime, sync_alarms_of};

/// The partition of a device (the cluster's hash).
pub type PartitionOf = Arc<dyn Fn(DeviceId) -> u32 + Send + Sync>;

pub(super) struct CheckpointRequest {
    partitions: Vec<u32>,
    partition_of: PartitionOf,
    done: oneshot::Sender<Vec<(u32, u64, String)>>,
}

pub(super) struct RestoreRequest {
    partition: u32,
    state: String,
    partition_of: PartitionOf,
    done: oneshot::Sender<std::result::Result<(), String>>,
}

/// The rule engine as a cluster node's [`PartitionConsumers`].
struct RulePartitions {
    rules: RuleRuntime,
    partition_of: PartitionOf,
}

impl RuleRuntime {
    /// This engine's state per partition, devices placed by `partition_of`.
    pub fn partitions(&self, partition_of: PartitionOf) -> Arc<dyn PartitionConsumers> {
        Arc::new(RulePartitions {
            rules: self.clone(),
            partition_of,
        })
    }
}

fn gone() -> CoreError {
    CoreError::Storage {
        action: "rule checkpoint",
        detail: "the rule engine is not running".into(),
    }
}

#[async_trait::async_trait]
impl PartitionConsumers for RulePartitions {
    async fn checkpoint(&self, partitions: &[u32]) -> Result<Vec<(u32, u64, String)>> {
        let (done, rx) = oneshot::channel();
        self.rules
            .control
            .send(Control::Checkpoint(CheckpointRequest {
                partitions: partitions.to_vec(),
                partition_of: self.partition_of.clone(),
                done,
            }))
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    async fn restore(&self, partition: u32, state: &str) -> Result<()> {
        let (done, rx) = oneshot::channel();
        self.rules
            .control
            .send(Control::Restore(RestoreRequest {
                partition,
                state: state.to_owned(),
                partition_of: self.partition_of.clone(),
                done,
            }))
            .await
            .map_err(|_| gone())?;
        rx.await
            .map_err(|_| gone())?
            .map_err(|detail| CoreError::Storage {
                action: "restore rule state",
                detail,
            })
    }
}

impl EngineTask {
    /// Handles the events queued now (those announced before the request), waits for
    /// the effects they caused, then answers each partition's state and position.
    pub(super) async fn checkpoint_partitions(
        &mut self,
        req: CheckpointRequest,
        events: &mut mpsc::Receiver<DeviceEvent>,
    ) {
        for _ in 0..events.len() {
            match events.try_recv() {
                Ok(ev) => self.on_event(ev).await,
                Err(_) => break,
            }
        }
        let (barrier, passed) = oneshot::channel();
        if self.effects.send(Fx::Barrier(barrier)).await.is_err() || passed.await.is_err() {
            // No effects task: answering would claim writes that never happened.
            return;
        }
        let of = req.partition_of.as_ref();
        let states = self.engine.checkpoint_groups(&|d| of(d), &req.partitions);
        let mut out = Vec::with_capacity(states.len());
        for (p, cp) in states {
            let text = match serde_json::to_string(&cp) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(partition = p, error = %e, "rule state not encoded");
                    return;
                }
            };
            out.push((p, self.handled.get(&p).copied().unwrap_or(0), text));
        }
        let _ = req.done.send(out);
    }

    /// Takes a partition's state over and re-reads its devices' active alarms.
    pub(super) async fn restore_partition(&mut self, req: RestoreRequest) {
        let r = self.restore_of(&req).await;
        let _ = req.done.send(r);
    }

    async fn restore_of(&mut self, req: &RestoreRequest) -> std::result::Result<(), String> {
        let cp: Checkpoint = if req.state.trim().is_empty() {
            Checkpoint::default()
        } else {
            serde_json::from_str(&req.state)
                .map_err(|e| format!("partition {}'s rule state: {e}", req.partition))?
        };
        let of = req.partition_of.as_ref();
        let p = req.partition;
        let keep = |d: DeviceId| of(d) == p;
        self.engine.restore_of(&keep, cp);
        let active = sync_alarms_of(&mut self.engine, self.deps.meta.as_ref(), &keep)
            .await
            .map_err(|e| e.to_string())?;
        // The earlier owner held repeats of these back for a while; so does this node.
        if !active.is_empty() {
            let _ = self.effects.send(Fx::TakenOver(active)).await;
        }
        // What the earlier owner handled is not this node's to claim.
        self.handled.remove(&p);
        Ok(())
    }
}
