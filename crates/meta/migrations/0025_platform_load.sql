-- The platform's transactions per node and minute (see ironloom_core::load): device
-- messages stored, REST writes that succeeded, model calls, and the busiest second of the
-- minute; the evaluation report's peak, sustained and average TPS.
CREATE TABLE platform_load (
    node            TEXT NOT NULL,
    minute          BIGINT NOT NULL,
    transactions    BIGINT NOT NULL,
    peak            BIGINT NOT NULL,
    device_messages BIGINT NOT NULL,
    api_writes      BIGINT NOT NULL,
    model_calls     BIGINT NOT NULL,
    PRIMARY KEY (minute, node)
);
