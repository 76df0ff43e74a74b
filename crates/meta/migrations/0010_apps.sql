-- App packages a tenant uploaded (one row per version, with the package's bytes).
CREATE TABLE app_packages (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL,
    version     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    manifest    TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, app_id, version)
);

-- Installed apps: the installer's document (configuration, grant, products, enabled).
CREATE TABLE app_installations (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    app_id           TEXT NOT NULL,
    version          TEXT NOT NULL,
    enabled          BIGINT NOT NULL,
    document         TEXT NOT NULL,
    previous_version TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX app_installations_tenant_name ON app_installations (tenant_id, name);
CREATE INDEX app_installations_package ON app_installations (tenant_id, app_id, version);
CREATE INDEX app_installations_enabled ON app_installations (enabled);

-- Each installation's key-value state and its newest log lines, under the installation's
-- name (kept when an app is uninstalled with its data).
CREATE TABLE app_state (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    installation TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, installation, key)
);
CREATE TABLE app_logs (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    installation TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    ts           BIGINT NOT NULL,
    level        TEXT NOT NULL,
    message      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, installation, seq)
);

-- Invocations, fuel, wall time and host calls per tenant, month (UTC) and app.
CREATE TABLE app_usage (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month       TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    invocations BIGINT NOT NULL,
    errors      BIGINT NOT NULL,
    fuel        BIGINT NOT NULL,
    wall_us     BIGINT NOT NULL,
    host_calls  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, month, app_id)
);
