-- Ironloom metadata schema, version 1. Written in the SQL both SQLite and PostgreSQL accept:
-- ids are UUID text, timestamps are UTC milliseconds (BIGINT), flags are 0/1 BIGINT and
-- structured values are JSON text, so one implementation reads both backends.

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT,
    enabled       BIGINT NOT NULL DEFAULT 1,
    max_devices   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX tenants_code_key ON tenants (code);

CREATE TABLE users (
    id                        TEXT PRIMARY KEY,
    tenant_id                 TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    username                  TEXT NOT NULL,
    display_name              TEXT,
    email                     TEXT,
    role                      TEXT NOT NULL,
    password_hash             TEXT NOT NULL,
    enabled                   BIGINT NOT NULL DEFAULT 1,
    password_change_required  BIGINT NOT NULL DEFAULT 0,
    failed_logins             BIGINT NOT NULL DEFAULT 0,
    locked_until              BIGINT,
    last_login_at             BIGINT,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL,
    version                   BIGINT NOT NULL DEFAULT 1
);
-- Platform users have no tenant; COALESCE makes their names unique among themselves too.
CREATE UNIQUE INDEX users_tenant_username_key ON users (COALESCE(tenant_id, ''), username);
CREATE INDEX users_username_idx ON users (username);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    expires_at    BIGINT,
    created_by    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

CREATE TABLE products (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    product_key   TEXT NOT NULL,
    description   TEXT,
    industry      TEXT,
    category      TEXT NOT NULL,
    protocol      TEXT NOT NULL,
    -- The thing model as a W3C WoT Thing Model document (JSON).
    thing_model   TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX products_tenant_name_key ON products (tenant_id, name);
-- Devices name their product by key without saying their tenant (Alink topics).
CREATE UNIQUE INDEX products_product_key_key ON products (product_key);

CREATE TABLE devices (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    product_id            TEXT NOT NULL REFERENCES products (id),
    name                  TEXT NOT NULL,
    label                 TEXT,
    description           TEXT,
    tags                  TEXT NOT NULL,
    attributes            TEXT NOT NULL,
    access_token          TEXT NOT NULL,
    username              TEXT NOT NULL,
    password              TEXT NOT NULL,
    secret                TEXT NOT NULL,
    online                BIGINT NOT NULL DEFAULT 0,
    last_seen_at          BIGINT,
    last_connected_at     BIGINT,
    last_disconnected_at  BIGINT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    version               BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX devices_tenant_name_key ON devices (tenant_id, name);
CREATE UNIQUE INDEX devices_access_token_key ON devices (access_token);
CREATE UNIQUE INDEX devices_username_key ON devices (username);
CREATE INDEX devices_product_idx ON devices (product_id);

-- Tags are kept twice: as JSON on the device for reading, here for filtering.
CREATE TABLE device_tags (
    device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (device_id, tag)
);
CREATE INDEX device_tags_tenant_tag_idx ON device_tags (tenant_id, tag);

CREATE TABLE device_groups (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX device_groups_tenant_name_key ON device_groups (tenant_id, name);

CREATE TABLE device_group_members (
    group_id   TEXT NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, device_id)
);
CREATE INDEX device_group_members_device_idx ON device_group_members (device_id);

-- The audit log outlives what it describes, so it has no foreign keys.
CREATE TABLE audit_log (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT,
    at               BIGINT NOT NULL,
    actor_kind       TEXT NOT NULL,
    actor_id         TEXT,
    actor_name       TEXT NOT NULL,
    actor_tenant_id  TEXT,
    ip               TEXT,
    action           TEXT NOT NULL,
    resource         TEXT NOT NULL,
    resource_id      TEXT,
    details          TEXT NOT NULL
);
CREATE INDEX audit_log_tenant_at_idx ON audit_log (tenant_id, at);
CREATE INDEX audit_log_resource_idx ON audit_log (resource, resource_id);
