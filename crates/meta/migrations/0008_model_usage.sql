-- Model and algorithm calls per tenant, calendar month (UTC, 'YYYY-MM'), model and the
-- path that called it (api, batch, job, live, rule), with the CPU time spent: metering,
-- quotas and the evaluation report's monthly calls.
CREATE TABLE model_usage (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month      TEXT NOT NULL,
    model      TEXT NOT NULL,
    source     TEXT NOT NULL,
    calls      BIGINT NOT NULL,
    errors     BIGINT NOT NULL,
    cpu_us     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, month, model, source)
);
-- Most model calls a tenant may make a month; NULL for no limit.
ALTER TABLE tenants ADD COLUMN max_model_calls BIGINT;
