-- The evaluation report's monthly device facts, kept as they happen so that the report
-- groups them by product (a few rows a product) and pages them in index order, instead
-- of joining every device of the month: a device's month of activity knows its product,
-- and each device with a command that succeeded in a month has a row (managed devices).
ALTER TABLE device_activity ADD COLUMN product_id TEXT;
UPDATE device_activity SET product_id =
    (SELECT d.product_id FROM devices d WHERE d.id = device_activity.device_id);
DROP INDEX device_activity_month;
CREATE INDEX device_activity_list ON device_activity (month, tenant_id, device_id);
CREATE INDEX device_activity_product ON device_activity (month, product_id, property_count);

CREATE TABLE device_managed (
    device_id   TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    month       TEXT NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    product_id  TEXT NOT NULL,
    -- Commands that succeeded in the month, the first and last completed.
    commands    BIGINT NOT NULL,
    first_at    BIGINT NOT NULL,
    last_at     BIGINT NOT NULL,
    PRIMARY KEY (device_id, month)
);
CREATE INDEX device_managed_list ON device_managed (month, tenant_id, device_id);
CREATE INDEX device_managed_product ON device_managed (month, product_id);

-- backfill: the months of the commands that succeeded before this table, from their
-- completion time (UTC milliseconds) by the civil-from-days rule in integer arithmetic,
-- which SQLite and PostgreSQL compute alike.
WITH c AS (
    SELECT c.device_id, c.tenant_id, d.product_id, c.completed_at,
           c.completed_at / 86400000 + 719468 AS z
    FROM device_commands c JOIN devices d ON d.id = c.device_id
    WHERE c.status = 'succeeded' AND c.completed_at IS NOT NULL AND c.completed_at >= 0
), e AS (
    SELECT c.*, z - (z / 146097) * 146097 AS doe, z / 146097 AS era FROM c
), y AS (
    SELECT e.*, (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365 AS yoe FROM e
), m AS (
    SELECT y.*, (5 * (doe - (365 * yoe + yoe / 4 - yoe / 100)) + 2) / 153 AS mp FROM y
), ym AS (
    SELECT m.*,
           CASE WHEN mp < 10 THEN mp + 3 ELSE mp - 9 END AS mon,
           yoe + era * 400 + CASE WHEN mp < 10 THEN 0 ELSE 1 END AS yr
    FROM m
)
INSERT INTO device_managed (device_id, month, tenant_id, product_id, commands, first_at, last_at)
SELECT device_id,
       CAST(yr AS TEXT) || '-' || CASE WHEN mon < 10 THEN '0' ELSE '' END || CAST(mon AS TEXT),
       tenant_id, product_id, COUNT(*), MIN(completed_at), MAX(completed_at)
FROM ym
GROUP BY device_id, tenant_id, product_id, yr, mon;
