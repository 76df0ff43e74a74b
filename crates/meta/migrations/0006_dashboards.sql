-- Dashboards: a tenant's pages of widgets bound to devices, and their read-only links.
CREATE TABLE dashboards (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    version      BIGINT NOT NULL,
    -- The dashboard document (name, range, widgets) as JSON text.
    document     TEXT NOT NULL,
    -- The token of the read-only link while shared; unique platform-wide.
    share_token  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX dashboards_tenant_name_key ON dashboards (tenant_id, name);
CREATE UNIQUE INDEX dashboards_share_token_key ON dashboards (share_token);
