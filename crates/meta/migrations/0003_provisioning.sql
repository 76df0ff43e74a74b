-- Device provisioning (ThingsBoard style): a product's key and secret with which a device
-- obtains its own credentials.
CREATE TABLE product_provisioning (
    product_id        TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    tenant_id         TEXT NOT NULL,
    provision_key     TEXT NOT NULL,
    provision_secret  TEXT NOT NULL,
    -- 1: devices that do not exist are created; 0: only pre-registered devices, once.
    allow_create      BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX product_provisioning_key_key ON product_provisioning (provision_key);
