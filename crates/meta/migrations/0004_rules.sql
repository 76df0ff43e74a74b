-- Rules of the rule engine: the current document per rule, and every version saved.
CREATE TABLE rules (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    enabled     BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    -- The rule document as JSON text.
    document    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX rules_tenant_name_key ON rules (tenant_id, name);
CREATE INDEX rules_enabled_idx ON rules (enabled);

CREATE TABLE rule_versions (
    rule_id     TEXT NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    document    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    -- Who saved it (the actor's name).
    actor       TEXT NOT NULL,
    PRIMARY KEY (rule_id, version)
);
