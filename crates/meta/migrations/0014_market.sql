-- The marketplace: developer accounts (apart from tenants), submissions with their check
-- reports and packages, signed releases, and the platform's signing keys.
CREATE TABLE developers (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    organisation   TEXT,
    website        TEXT,
    first_party    BIGINT NOT NULL,
    status         TEXT NOT NULL,
    review_comment TEXT,
    reviewed_by    TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX developers_user ON developers (user_id);
CREATE UNIQUE INDEX developers_name ON developers (name);

-- Which developer owns an app id: the first to submit it.
CREATE TABLE market_apps (
    app_id       TEXT PRIMARY KEY,
    developer_id TEXT NOT NULL REFERENCES developers (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE market_submissions (
    id             TEXT PRIMARY KEY,
    developer_id   TEXT NOT NULL REFERENCES developers (id) ON DELETE CASCADE,
    app_id         TEXT NOT NULL,
    version        TEXT NOT NULL,
    channel        TEXT NOT NULL,
    digest         TEXT NOT NULL,
    size           BIGINT NOT NULL,
    manifest       TEXT,
    changelog      TEXT,
    status         TEXT NOT NULL,
    report         TEXT,
    review_comment TEXT,
    reviewed_by    TEXT,
    bytes          BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX market_submissions_developer ON market_submissions (developer_id, created_at);
CREATE INDEX market_submissions_status ON market_submissions (status, created_at);
CREATE INDEX market_submissions_app ON market_submissions (app_id, version);

CREATE TABLE market_releases (
    app_id        TEXT NOT NULL,
    version       TEXT NOT NULL,
    channel       TEXT NOT NULL,
    developer_id  TEXT NOT NULL REFERENCES developers (id) ON DELETE CASCADE,
    -- The submission it was released from.
    id            TEXT NOT NULL UNIQUE REFERENCES market_submissions (id) ON DELETE CASCADE,
    digest        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    manifest      TEXT NOT NULL,
    changelog     TEXT,
    bytes         BYTEA NOT NULL,
    released_at   BIGINT NOT NULL,
    PRIMARY KEY (app_id, version)
);
CREATE INDEX market_releases_time ON market_releases (released_at);

CREATE TABLE market_signing_keys (
    key_id         TEXT PRIMARY KEY,
    algorithm      TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    sealed_private BYTEA NOT NULL,
    state          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT
);
