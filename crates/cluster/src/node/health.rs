//! What the health page shows of a node: the live nodes, every partition's owner and
//! lease, and for the partitions this node owns, its epoch, applied position, lag and
//! sealing state.

use std::collections::BTreeMap;

use ironloom_core::cluster::{
    ClusterHealth, ClusterView, NodeHealth, ObjectStoreHealth, PartitionHealth,
};

use super::{ClusterNode, PartitionState};
use crate::lease::LeaseState;

#[async_trait::async_trait]
impl ClusterView for ClusterNode {
    async fn health(&self) -> ClusterHealth {
        let nodes = self
            .nodes()
            .await
            .into_iter()
            .map(|h| NodeHealth {
                name: h.name,
                version: h.version,
                started_at: h.started_at,
                owned: h.owned,
                draining: h.draining,
            })
            .collect();
        let mine: BTreeMap<u32, PartitionState> =
            self.owned().into_iter().map(|s| (s.partition, s)).collect();
        let mut owners = Vec::new();
        let (mut unsealed_total, mut last_error) = (0u64, None);
        for p in 0..self.partitions() {
            let (owner, lease) = match self.leases.state(p).await {
                Ok(LeaseState::Held(h)) => (Some(h.node), "held"),
                Ok(LeaseState::Expired) => (None, "expired"),
                Ok(LeaseState::Released) => (None, "released"),
                Ok(LeaseState::Never) => (None, "never"),
                Err(_) => (None, "unknown"),
            };
            let here = mine.get(&p);
            let sealed = here.and_then(|_| self.sealed(p));
            if let Some((_, _, error, unsealed)) = &sealed {
                unsealed_total += unsealed;
                if error.is_some() {
                    last_error = error.clone();
                }
            }
            owners.push(PartitionHealth {
                partition: p,
                owner,
                lease: lease.into(),
                epoch: here.map(|s| s.epoch),
                applied: here.map(|s| s.applied),
                lag: here.map(|s| s.pending),
                sealed_seq: sealed.as_ref().map(|s| s.0),
                sealed_at: sealed.as_ref().and_then(|s| s.1.clone()),
                seal_error: sealed.as_ref().and_then(|s| s.2.clone()),
                unsealed_records: sealed.as_ref().map(|s| s.3),
            });
        }
        let state = match (&self.sealer, &last_error) {
            (None, _) => "off",
            (Some(_), Some(_)) => "failing",
            (Some(_), None) => "ok",
        };
        ClusterHealth {
            node: self.name.clone(),
            partitions: self.partitions(),
            nodes,
            owners,
            object_store: ObjectStoreHealth {
                state: state.into(),
                unsealed_records: unsealed_total,
                last_error,
            },
        }
    }
}
