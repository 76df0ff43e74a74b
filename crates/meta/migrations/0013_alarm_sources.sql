-- Cluster mode: the log position of the last rule event that raised or cleared each
-- (device, alarm type). A partition's new owner re-runs the events after its
-- predecessor's last rule checkpoint; a raise or clear from a position at or before the
-- recorded one is a repeat and changes nothing, so no alarm is raised or cleared twice.
-- `log` identifies the cluster's log (a new cluster counts sequences from 1 again).
CREATE TABLE alarm_sources (
    device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    alarm_type TEXT NOT NULL,
    log        BIGINT NOT NULL,
    partition  BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (device_id, alarm_type)
);
