-- Requests each marketplace developer made to the developer API per calendar month (UTC,
-- 'YYYY-MM'), and how many of them with an API key: the developer counts' SDK calls.
CREATE TABLE market_developer_usage (
    developer_id TEXT NOT NULL REFERENCES developers (id) ON DELETE CASCADE,
    month        TEXT NOT NULL,
    calls        BIGINT NOT NULL,
    key_calls    BIGINT NOT NULL,
    PRIMARY KEY (developer_id, month)
);
