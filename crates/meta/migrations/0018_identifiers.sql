-- Identifier resolution (标识解析): prefixes held by tenants, metadata templates (the
-- platform's shipped ones have no tenant), identifiers with their Handle values in the
-- protocol's own encoding (a count, then each value as RFC 3652 sends it), and links
-- between identifiers for tracing.
CREATE TABLE iir_prefixes (
    prefix     TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX iir_prefixes_tenant ON iir_prefixes (tenant_id, prefix);

CREATE TABLE iir_templates (
    id         TEXT NOT NULL,
    version    TEXT NOT NULL,
    tenant_id  TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    document   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX iir_templates_tenant ON iir_templates (tenant_id, id);

CREATE TABLE iir_identifiers (
    handle           TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    prefix           TEXT NOT NULL REFERENCES iir_prefixes (prefix) ON DELETE CASCADE,
    template_id      TEXT,
    template_version TEXT,
    vals             BYTEA NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX iir_identifiers_tenant ON iir_identifiers (tenant_id, prefix, handle);

CREATE TABLE iir_links (
    parent     TEXT NOT NULL REFERENCES iir_identifiers (handle) ON DELETE CASCADE,
    child      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (parent, child)
);
CREATE INDEX iir_links_child ON iir_links (child);

-- Resolutions answered per identifier and month (REST and the Handle protocol), counted
-- in memory and added every few seconds.
CREATE TABLE iir_resolutions (
    month     TEXT NOT NULL,
    handle    TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    prefix    TEXT NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (month, handle)
);
CREATE INDEX iir_resolutions_tenant ON iir_resolutions (tenant_id, month, prefix);
