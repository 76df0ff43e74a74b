-- Identifier import jobs: an uploaded file (kept in the data directory of the node that
-- took it) registered in chunks. `bytes_read` and `row` are where the last committed
-- chunk ended, written in that chunk's transaction, so a restarted node resumes there
-- and counts every row once. `errors` is a JSON array of the first 100 refused rows;
-- `failure` a JSON text in both languages.
CREATE TABLE iir_imports (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    format           TEXT NOT NULL,
    template_id      TEXT,
    template_version TEXT,
    state            TEXT NOT NULL,
    total_bytes      BIGINT NOT NULL,
    bytes_read       BIGINT NOT NULL,
    row_no           BIGINT NOT NULL,
    rows_read        BIGINT NOT NULL,
    created          BIGINT NOT NULL,
    existing         BIGINT NOT NULL,
    invalid          BIGINT NOT NULL,
    errors           TEXT NOT NULL,
    failure          TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT
);
CREATE INDEX iir_imports_tenant ON iir_imports (tenant_id, created_at);
CREATE INDEX iir_imports_state ON iir_imports (state, created_at);
