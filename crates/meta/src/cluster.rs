//! Cluster mode's partition ownership, segment manifest and rule checkpoints
//! ([`ClusterStore`]): a separate trait from [`MetaStore`](ironloom_core::repo::MetaStore),
//! implemented by the same store, so a single node neither sees nor needs it.
//!
//! Fenced writes read the partition's epoch with the row locked (`FOR UPDATE` on
//! PostgreSQL; SQLite's write transaction holds the whole file) and compare it with the
//! fence before writing anything, so a claim that bumps the epoch either commits before
//! the check (and the write is refused) or waits until the write has committed.

use crate::SqlStore;
use crate::sql::*;
use async_trait::async_trait;
use ironloom_core::cluster::{ClusterStore, Fence, PartitionRow, SegmentRow};
use ironloom_core::entity::Timestamp;
use ironloom_core::error::{Error, FieldErrorKind, Result};
use ironloom_core::ids::TenantId;
use sqlx::any::AnyRow;

const PARTITION_COLUMNS: &str =
    "partition, epoch, owner, lease_rev, sealed_seq, latest_key, updated_at";

const SEGMENT_COLUMNS: &str = "key, partition, tenant_id, product_id, part_start, part_width, \
     level, min_seq, max_seq, min_ts, max_ts, bytes, epoch, replaced_at";

/// Keys bound per statement when a list of keys is matched (well under both databases'
/// limits on bind parameters).
const KEYS_PER_STATEMENT: usize = 500;

/// An unsigned value as stored (BIGINT); one past `i64::MAX` is refused rather than
/// wrapped.
pub(crate) fn signed(field: &'static str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| {
        Error::invalid(
            field,
            FieldErrorKind::OutOfRange {
                min: 0,
                max: i64::MAX,
            },
        )
    })
}

fn unsigned(row: &AnyRow, col: &str) -> Result<u64> {
    let v = int(row, col)?;
    u64::try_from(v).map_err(|_| Error::storage("decode row", format!("{col}={v} is negative")))
}

fn unsigned32(row: &AnyRow, col: &str) -> Result<u32> {
    let v = int(row, col)?;
    u32::try_from(v).map_err(|_| Error::storage("decode row", format!("{col}={v} is out of range")))
}

fn partition_from_row(row: &AnyRow) -> Result<PartitionRow> {
    Ok(PartitionRow {
        partition: unsigned32(row, "partition")?,
        epoch: unsigned(row, "epoch")?,
        owner: opt_text(row, "owner")?,
        lease_rev: unsigned(row, "lease_rev")?,
        sealed_seq: unsigned(row, "sealed_seq")?,
        latest_key: opt_text(row, "latest_key")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn segment_from_row(row: &AnyRow) -> Result<SegmentRow> {
    Ok(SegmentRow {
        key: text(row, "key")?,
        partition: unsigned32(row, "partition")?,
        tenant: parse(row, "tenant_id")?,
        product: opt_parse(row, "product_id")?,
        part_start: int(row, "part_start")?,
        part_width: int(row, "part_width")?,
        level: unsigned32(row, "level")?,
        min_seq: unsigned(row, "min_seq")?,
        max_seq: unsigned(row, "max_seq")?,
        min_ts: int(row, "min_ts")?,
        max_ts: int(row, "max_ts")?,
        bytes: unsigned(row, "bytes")?,
        epoch: unsigned(row, "epoch")?,
        replaced_at: opt_ts(row, "replaced_at")?,
    })
}

/// Appends `(<placeholders>)` for `keys`.
fn bind_list(sql: &mut Sql, keys: &[String]) {
    sql.push("(");
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(k.clone());
    }
    sql.push(")");
}

impl SqlStore {
    /// Refuses with [`Error::Fenced`] unless the partition is at the fence's epoch; locks
    /// the partition's row until the transaction ends.
    async fn check_fence(&self, conn: &mut sqlx::AnyConnection, fence: Fence) -> Result<()> {
        let mut sql = Sql::new("SELECT epoch FROM cluster_partitions WHERE partition = ");
        sql.bind(i64::from(fence.partition)).push(self.for_update());
        let row = sql
            .query()
            .fetch_optional(conn)
            .await
            .map_err(storage("read partition epoch"))?;
        let current = row.as_ref().map(|r| unsigned(r, "epoch")).transpose()?;
        if current == Some(fence.epoch) {
            Ok(())
        } else {
            Err(Error::Fenced { fence, current })
        }
    }

    async fn list_segments(&self, filter: Sql, order: &str) -> Result<Vec<SegmentRow>> {
        let mut sql = Sql {
            text: format!(
                "SELECT {SEGMENT_COLUMNS} FROM cluster_segments WHERE {}",
                filter.text
            ),
            args: filter.args,
        };
        sql.push(" ORDER BY ").push(order);
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list cluster segments"))?;
        rows.iter().map(segment_from_row).collect()
    }
}

async fn insert_segment(conn: &mut sqlx::AnyConnection, s: &SegmentRow) -> Result<()> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO cluster_segments ({SEGMENT_COLUMNS}) VALUES ("
    ));
    sql.bind(s.key.clone())
        .push(", ")
        .bind(i64::from(s.partition))
        .push(", ")
        .bind(s.tenant.to_string())
        .push(", ")
        .bind(s.product.map(|p| p.to_string()))
        .push(", ")
        .bind(s.part_start)
        .push(", ")
        .bind(s.part_width)
        .push(", ")
        .bind(i64::from(s.level))
        .push(", ")
        .bind(signed("min_seq", s.min_seq)?)
        .push(", ")
        .bind(signed("max_seq", s.max_seq)?)
        .push(", ")
        .bind(s.min_ts)
        .push(", ")
        .bind(s.max_ts)
        .push(", ")
        .bind(signed("bytes", s.bytes)?)
        .push(", ")
        .bind(signed("epoch", s.epoch)?)
        .push(", ")
        .bind(s.replaced_at.map(truncate_ms))
        // The key names the object, and object keys are unique cluster-wide: a key already
        // recorded is this very segment, from a seal retried after its commit went
        // unacknowledged.
        .push(") ON CONFLICT (key) DO NOTHING");
    sql.query()
        .execute(conn)
        .await
        .map_err(storage("record cluster segment"))?;
    Ok(())
}

#[async_trait]
impl ClusterStore for SqlStore {
    async fn claim_partition(
        &self,
        partition: u32,
        node: &str,
        lease_rev: u64,
    ) -> Result<Option<u64>> {
        let rev = signed("lease_rev", lease_rev)?;
        let now = now();
        let mut tx = self.begin().await?;
        let mut insert = Sql::new(
            "INSERT INTO cluster_partitions (partition, epoch, owner, lease_rev, sealed_seq, \
             latest_key, updated_at) VALUES (",
        );
        insert
            .bind(i64::from(partition))
            .push(", 0, NULL, 0, 0, NULL, ")
            .bind(now)
            .push(") ON CONFLICT (partition) DO NOTHING");
        insert
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("create cluster partition"))?;
        // On PostgreSQL a concurrent claim waits on the row lock here and then re-checks
        // the condition against the committed row, so of two claims with one revision
        // exactly one bumps the epoch.
        let mut update = Sql::new("UPDATE cluster_partitions SET epoch = epoch + 1, owner = ");
        update
            .bind(node)
            .push(", lease_rev = ")
            .bind(rev)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE partition = ")
            .bind(i64::from(partition))
            .and("lease_rev <", rev)
            .push(" RETURNING epoch");
        let row = update
            .query()
            .fetch_optional(&mut *tx)
            .await
            .map_err(storage("claim cluster partition"))?;
        let epoch = row.as_ref().map(|r| unsigned(r, "epoch")).transpose()?;
        tx.commit()
            .await
            .map_err(storage("commit partition claim"))?;
        Ok(epoch)
    }

    async fn partitions(&self) -> Result<Vec<PartitionRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PARTITION_COLUMNS} FROM cluster_partitions ORDER BY partition"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(storage("list cluster partitions"))?;
        rows.iter().map(partition_from_row).collect()
    }

    async fn partition(&self, partition: u32) -> Result<Option<PartitionRow>> {
        let mut sql = Sql::new(&format!(
            "SELECT {PARTITION_COLUMNS} FROM cluster_partitions WHERE partition = "
        ));
        sql.bind(i64::from(partition));
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read cluster partition"))?;
        row.as_ref().map(partition_from_row).transpose()
    }

    async fn seal(
        &self,
        fence: Fence,
        new_segments: Vec<SegmentRow>,
        replaced: Vec<String>,
        sealed_seq: u64,
        latest_key: Option<String>,
    ) -> Result<()> {
        if new_segments.iter().any(|s| s.partition != fence.partition) {
            return Err(Error::invalid(
                "segments",
                FieldErrorKind::Other {
                    en: format!("every segment must be of partition {}", fence.partition),
                    zh: format!("所有分段都必须属于分区 {}", fence.partition),
                },
            ));
        }
        let sealed = signed("sealed_seq", sealed_seq)?;
        let partition = i64::from(fence.partition);
        let now = now();
        let mut tx = self.begin().await?;
        self.check_fence(&mut tx, fence).await?;
        for s in &new_segments {
            insert_segment(&mut tx, s).await?;
        }
        for keys in replaced.chunks(KEYS_PER_STATEMENT) {
            let mut sql = Sql::new("UPDATE cluster_segments SET replaced_at = ");
            sql.bind(now)
                .push(" WHERE partition = ")
                .bind(partition)
                .push(" AND replaced_at IS NULL AND key IN ");
            bind_list(&mut sql, keys);
            sql.query()
                .execute(&mut *tx)
                .await
                .map_err(storage("mark replaced cluster segments"))?;
        }
        let mut sql =
            Sql::new("UPDATE cluster_partitions SET sealed_seq = CASE WHEN sealed_seq > ");
        sql.bind(sealed)
            .push(" THEN sealed_seq ELSE ")
            .bind(sealed)
            .push(" END, latest_key = COALESCE(")
            .bind(latest_key)
            .push(", latest_key), updated_at = ")
            .bind(now)
            .push(" WHERE partition = ")
            .bind(partition);
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("advance sealed sequence"))?;
        tx.commit().await.map_err(storage("commit seal"))
    }

    async fn segments(&self, partition: u32) -> Result<Vec<SegmentRow>> {
        let mut filter = Sql::new("partition = ");
        filter
            .bind(i64::from(partition))
            .push(" AND replaced_at IS NULL");
        self.list_segments(filter, "min_seq, key").await
    }

    async fn replaced_segments(&self, older_than: Timestamp) -> Result<Vec<SegmentRow>> {
        let mut filter = Sql::new("replaced_at IS NOT NULL AND replaced_at < ");
        filter.bind(older_than);
        self.list_segments(filter, "replaced_at, key").await
    }

    async fn forget_segments(&self, keys: Vec<String>) -> Result<u64> {
        let mut forgotten = 0;
        let mut tx = self.begin().await?;
        for keys in keys.chunks(KEYS_PER_STATEMENT) {
            let mut sql = Sql::new("DELETE FROM cluster_segments WHERE key IN ");
            bind_list(&mut sql, keys);
            forgotten += sql
                .query()
                .execute(&mut *tx)
                .await
                .map_err(storage("forget cluster segments"))?
                .rows_affected();
        }
        tx.commit()
            .await
            .map_err(storage("commit forgotten segments"))?;
        Ok(forgotten)
    }

    async fn segments_of_tenant(&self, tenant: TenantId) -> Result<Vec<SegmentRow>> {
        let mut filter = Sql::new("tenant_id = ");
        filter.bind(tenant.to_string());
        self.list_segments(filter, "partition, min_seq, key").await
    }

    async fn save_rule_state(&self, fence: Fence, seq: u64, states: String) -> Result<()> {
        let seq = signed("seq", seq)?;
        let epoch = signed("epoch", fence.epoch)?;
        let mut tx = self.begin().await?;
        self.check_fence(&mut tx, fence).await?;
        let mut sql = Sql::new(
            "INSERT INTO cluster_rule_state (partition, seq, states, epoch, updated_at) VALUES (",
        );
        sql.bind(i64::from(fence.partition))
            .push(", ")
            .bind(seq)
            .push(", ")
            .bind(states)
            .push(", ")
            .bind(epoch)
            .push(", ")
            .bind(now())
            .push(
                ") ON CONFLICT (partition) DO UPDATE SET seq = excluded.seq, \
                 states = excluded.states, epoch = excluded.epoch, \
                 updated_at = excluded.updated_at",
            );
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("save rule state"))?;
        tx.commit().await.map_err(storage("commit rule state"))
    }

    async fn rule_state(&self, partition: u32) -> Result<Option<(u64, String)>> {
        let mut sql = Sql::new("SELECT seq, states FROM cluster_rule_state WHERE partition = ");
        sql.bind(i64::from(partition));
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read rule state"))?;
        row.map(|r| Ok((unsigned(&r, "seq")?, text(&r, "states")?)))
            .transpose()
    }
}
