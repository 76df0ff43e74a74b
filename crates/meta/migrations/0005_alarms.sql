-- Alarms on devices: at most one active alarm per (device, type).
CREATE TABLE alarms (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    device_id      TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    alarm_type     TEXT NOT NULL,
    severity       TEXT NOT NULL,
    -- 0 critical … 4 indeterminate, for sorting.
    severity_rank  BIGINT NOT NULL,
    active         BIGINT NOT NULL,
    acknowledged   BIGINT NOT NULL,
    start_ts       BIGINT NOT NULL,
    last_ts        BIGINT NOT NULL,
    count          BIGINT NOT NULL,
    end_ts         BIGINT,
    ack_ts         BIGINT,
    ack_by         TEXT,
    ack_comment    TEXT,
    clear_by       TEXT,
    clear_comment  TEXT,
    -- JSON text.
    details        TEXT NOT NULL,
    rule_id        TEXT
);
CREATE UNIQUE INDEX alarms_one_active_key ON alarms (device_id, alarm_type) WHERE active = 1;
CREATE INDEX alarms_tenant_idx ON alarms (tenant_id, active, last_ts);
