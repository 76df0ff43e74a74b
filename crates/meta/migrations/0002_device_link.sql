-- Client and shared attributes of devices (server attributes stay on the device row).
CREATE TABLE device_attributes (
    device_id   TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    attr_key    TEXT NOT NULL,
    -- The value as JSON text.
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (device_id, scope, attr_key)
);

-- Commands to devices, with their results: the audit trail of every command.
CREATE TABLE device_commands (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    device_id     TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    method        TEXT NOT NULL,
    params        TEXT NOT NULL,
    one_way       BIGINT NOT NULL,
    status        TEXT NOT NULL,
    timeout_ms    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    sent_at       BIGINT,
    completed_at  BIGINT,
    response      TEXT,
    error         TEXT,
    -- The actor as JSON.
    created_by    TEXT NOT NULL
);
CREATE INDEX device_commands_tenant_idx ON device_commands (tenant_id, created_at);
CREATE INDEX device_commands_device_idx ON device_commands (device_id, status, created_at);
CREATE INDEX device_commands_status_idx ON device_commands (status);
