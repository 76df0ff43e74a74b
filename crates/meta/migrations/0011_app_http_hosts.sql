-- Hosts a tenant lets its apps reach over HTTP (an app also needs them in its grant).
CREATE TABLE app_http_hosts (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    host      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, host)
);
