-- Device kinds of products (设备种类), and each device's live data per month: whether it
-- delivered any (a connected device), how much, and which properties (data points, 采集点).
-- Written in batches by the device hub; read by the evaluation report.
ALTER TABLE products ADD COLUMN kind TEXT;
CREATE TABLE device_activity (
    device_id      TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    month          TEXT NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    messages       BIGINT NOT NULL,
    points         BIGINT NOT NULL,
    first_at       BIGINT NOT NULL,
    last_at        BIGINT NOT NULL,
    -- JSON array of the property names that delivered values this month.
    properties     TEXT NOT NULL,
    property_count BIGINT NOT NULL,
    PRIMARY KEY (device_id, month)
);
CREATE INDEX device_activity_month ON device_activity (month, tenant_id);
-- Managed devices: commands that succeeded, by when.
CREATE INDEX device_commands_done ON device_commands (status, completed_at);
