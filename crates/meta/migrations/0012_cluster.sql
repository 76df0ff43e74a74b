-- Cluster mode: partition ownership and fencing, the manifest of sealed segments in
-- object storage, and the rule engine's checkpoint, one row per partition (partitions are
-- cluster-wide, not a tenant's). Unsigned counters are stored as BIGINT, checked on the
-- way in and out.

-- Who claimed each partition last and under which epoch (bumped by every claim with a
-- newer lease revision), and how far its log has been sealed into segments.
CREATE TABLE cluster_partitions (
    partition  BIGINT PRIMARY KEY,
    epoch      BIGINT NOT NULL,
    owner      TEXT,
    lease_rev  BIGINT NOT NULL,
    sealed_seq BIGINT NOT NULL,
    latest_key TEXT,
    updated_at BIGINT NOT NULL
);

-- The segment objects. No reference to the tenant: deleting a tenant must find its
-- objects here to delete them from object storage before the rows go.
CREATE TABLE cluster_segments (
    key         TEXT PRIMARY KEY,
    partition   BIGINT NOT NULL,
    tenant_id   TEXT NOT NULL,
    product_id  TEXT,
    part_start  BIGINT NOT NULL,
    part_width  BIGINT NOT NULL,
    level       BIGINT NOT NULL,
    min_seq     BIGINT NOT NULL,
    max_seq     BIGINT NOT NULL,
    min_ts      BIGINT NOT NULL,
    max_ts      BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    epoch       BIGINT NOT NULL,
    replaced_at BIGINT
);
CREATE INDEX cluster_segments_partition ON cluster_segments (partition, replaced_at);
CREATE INDEX cluster_segments_replaced ON cluster_segments (replaced_at);
CREATE INDEX cluster_segments_tenant ON cluster_segments (tenant_id);

-- The rule engine's states of each partition's devices (JSON), valid up to log sequence
-- `seq`, written by the owner of `epoch`.
CREATE TABLE cluster_rule_state (
    partition  BIGINT PRIMARY KEY,
    seq        BIGINT NOT NULL,
    states     TEXT NOT NULL,
    epoch      BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
