-- Readers a tenant lets see its identifiers' values that are not public: every
-- identifier under one of its prefixes, or one identifier (the scope).
CREATE TABLE iir_grants (
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope            TEXT NOT NULL,
    reader_tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, scope, reader_tenant_id)
);
CREATE INDEX iir_grants_reader ON iir_grants (reader_tenant_id, tenant_id);
