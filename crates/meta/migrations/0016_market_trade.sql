-- The marketplace's trading: plans, subscriptions, orders and a double-entry ledger.
CREATE TABLE market_plans (
    id                   TEXT PRIMARY KEY,
    app_id               TEXT NOT NULL,
    name                 TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    price                BIGINT NOT NULL,
    included_calls       BIGINT NOT NULL,
    price_per_1000_calls BIGINT NOT NULL,
    trial_days           BIGINT NOT NULL,
    active               BIGINT NOT NULL,
    created_at           BIGINT NOT NULL
);
CREATE INDEX market_plans_app ON market_plans (app_id, created_at);

CREATE TABLE market_subscriptions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    app_id     TEXT NOT NULL,
    plan_id    TEXT NOT NULL REFERENCES market_plans (id),
    status     TEXT NOT NULL,
    period_end BIGINT,
    trial_used BIGINT NOT NULL,
    paused     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, app_id)
);
CREATE INDEX market_subscriptions_due ON market_subscriptions (status, period_end);

CREATE TABLE market_orders (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    app_id       TEXT NOT NULL,
    plan_id      TEXT NOT NULL REFERENCES market_plans (id),
    developer_id TEXT NOT NULL REFERENCES developers (id),
    kind         TEXT NOT NULL,
    usage_month  TEXT,
    description  TEXT NOT NULL,
    quantity     BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    fee          BIGINT NOT NULL,
    status       TEXT NOT NULL,
    provider     TEXT NOT NULL,
    reference    TEXT NOT NULL,
    invoice_no   TEXT,
    created_at   BIGINT NOT NULL,
    paid_at      BIGINT,
    closed_at    BIGINT,
    note         TEXT
);
CREATE INDEX market_orders_tenant ON market_orders (tenant_id, created_at);
CREATE INDEX market_orders_developer ON market_orders (developer_id, created_at);
CREATE UNIQUE INDEX market_orders_invoice ON market_orders (invoice_no);
CREATE UNIQUE INDEX market_orders_usage ON market_orders (tenant_id, app_id, usage_month);

-- One row per posting; a transaction's postings sum to zero.
CREATE TABLE market_ledger (
    id        TEXT PRIMARY KEY,
    txn       TEXT NOT NULL,
    account   TEXT NOT NULL,
    amount    BIGINT NOT NULL,
    order_id  TEXT,
    memo      TEXT NOT NULL,
    posted_at BIGINT NOT NULL
);
CREATE INDEX market_ledger_account ON market_ledger (account, posted_at);
CREATE INDEX market_ledger_txn ON market_ledger (txn);
