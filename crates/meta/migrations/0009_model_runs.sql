-- Models bound to a product's live messages: the binding document (model, inputs from
-- properties or constants, outputs to properties) as JSON.
CREATE TABLE model_bindings (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    product_key TEXT NOT NULL,
    enabled     BIGINT NOT NULL,
    document    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX model_bindings_tenant_name ON model_bindings (tenant_id, name);
CREATE INDEX model_bindings_enabled ON model_bindings (enabled);

-- Models and algorithms run over stored history: the job document, its state and its
-- result (outputs cut at a bounded length; write-backs are in the time-series store).
CREATE TABLE model_jobs (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    status      TEXT NOT NULL,
    document    TEXT NOT NULL,
    progress    BIGINT NOT NULL, -- millionths
    points_read BIGINT NOT NULL,
    rows_out    BIGINT NOT NULL,
    written     BIGINT NOT NULL,
    error       TEXT,
    result      TEXT,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    started_at  BIGINT,
    finished_at BIGINT
);
CREATE INDEX model_jobs_tenant_created ON model_jobs (tenant_id, created_at);
CREATE INDEX model_jobs_status ON model_jobs (status);
