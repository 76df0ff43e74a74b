-- The evaluation report of each month, kept as it was computed soon after the month ended
-- (registered devices and the other figures of that time), so trends show.
CREATE TABLE evaluation_snapshots (
    month       TEXT PRIMARY KEY,
    computed_at BIGINT NOT NULL,
    version     TEXT NOT NULL,
    report      TEXT NOT NULL
);
