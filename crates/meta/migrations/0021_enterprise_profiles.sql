-- The enterprise behind each tenant (企业画像), as the evaluation report counts enterprises:
-- the columns reports group by, and money in yuan (the API speaks 10 000 yuan).
CREATE TABLE enterprise_profiles (
    tenant_id     TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    legal_name    TEXT NOT NULL,
    credit_code   TEXT NOT NULL,
    industry      TEXT NOT NULL,
    industry_mode TEXT NOT NULL,
    kind          TEXT NOT NULL,
    employees     BIGINT,
    revenue_yuan  BIGINT,
    assets_yuan   BIGINT,
    size_class    TEXT NOT NULL,
    region        TEXT NOT NULL,
    park          TEXT,
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT,
    version       BIGINT NOT NULL
);
CREATE INDEX enterprise_profiles_credit ON enterprise_profiles (credit_code);
