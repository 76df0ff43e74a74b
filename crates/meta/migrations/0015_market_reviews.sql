-- Ratings and reviews of marketplace apps: one per tenant and app, by a tenant that holds
-- the app, editable.
CREATE TABLE market_reviews (
    app_id     TEXT NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    rating     BIGINT NOT NULL,
    title      TEXT,
    body       TEXT,
    author     TEXT NOT NULL,
    version    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, tenant_id)
);
CREATE INDEX market_reviews_app ON market_reviews (app_id, updated_at);
