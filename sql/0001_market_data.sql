-- Market data: ticks, bars and indicator values.
--
-- Conventions of every event table (see docs/timescale.md):
--   time          timestamptz, the event time (when it happened), the hypertable dimension
--   event_id      the envelope's deterministic event id
--   run_id        'live' for live traffic, otherwise the id of the replay run that produced
--                 the row, so analysts can tell replayed outputs apart
--   ingest_time   when the platform first saw the event
--   source_agent  the agent that produced it
-- The unique key (instrument, event_id, run_id, time) makes re-inserting an event a no-op;
-- it carries `time` because TimescaleDB requires the partitioning column in unique indexes,
-- and `instrument` because it is the compression segment key.
-- Prices, quantities and money are numeric(38,9); indicator values are double precision.

-- tapewire:if timescaledb
CREATE EXTENSION IF NOT EXISTS timescaledb;
-- tapewire:end

CREATE TABLE ticks (
    time          timestamptz    NOT NULL,
    instrument    text           NOT NULL,
    venue         text           NOT NULL,
    feed          text           NOT NULL,
    sequence      bigint         NOT NULL CHECK (sequence >= 0),
    kind          text           NOT NULL CHECK (kind IN ('TRADE', 'QUOTE')),
    price         numeric(38, 9) CHECK (price > 0),
    size          numeric(38, 9) CHECK (size >= 0),
    aggressor     text,
    trade_id      text,
    bid_price     numeric(38, 9) CHECK (bid_price > 0),
    bid_size      numeric(38, 9) CHECK (bid_size >= 0),
    ask_price     numeric(38, 9) CHECK (ask_price > 0),
    ask_size      numeric(38, 9) CHECK (ask_size >= 0),
    event_id      text           NOT NULL,
    run_id        text           NOT NULL DEFAULT 'live',
    ingest_time   timestamptz    NOT NULL,
    source_agent  text           NOT NULL,
    CONSTRAINT ticks_event_key UNIQUE (instrument, event_id, run_id, time)
);
CREATE INDEX ticks_instrument_time_idx ON ticks (instrument, time DESC);

CREATE TABLE bars (
    time              timestamptz    NOT NULL,
    instrument        text           NOT NULL,
    venue             text           NOT NULL,
    interval_seconds  integer        NOT NULL CHECK (interval_seconds > 0),
    bar_start         timestamptz    NOT NULL,
    open              numeric(38, 9) NOT NULL CHECK (open > 0),
    high              numeric(38, 9) NOT NULL CHECK (high > 0),
    low               numeric(38, 9) NOT NULL CHECK (low > 0),
    close             numeric(38, 9) NOT NULL CHECK (close > 0),
    volume            numeric(38, 9) NOT NULL CHECK (volume >= 0),
    vwap              numeric(38, 9),
    trade_count       bigint         NOT NULL CHECK (trade_count >= 0),
    revision          integer        NOT NULL DEFAULT 0,
    event_id          text           NOT NULL,
    run_id            text           NOT NULL DEFAULT 'live',
    ingest_time       timestamptz    NOT NULL,
    source_agent      text           NOT NULL,
    CONSTRAINT bars_event_key UNIQUE (instrument, event_id, run_id, time),
    CONSTRAINT bars_range_check CHECK (low <= high AND bar_start <= time)
);
CREATE INDEX bars_instrument_time_idx ON bars (instrument, interval_seconds, time DESC);

-- One row per output of an indicator event (e.g. macd: macd, signal, histogram).
CREATE TABLE indicator_values (
    time              timestamptz      NOT NULL,
    instrument        text             NOT NULL,
    indicator         text             NOT NULL,
    parameters        text             NOT NULL,
    version           integer          NOT NULL,
    interval_seconds  integer          NOT NULL CHECK (interval_seconds > 0),
    bar_end           timestamptz      NOT NULL,
    ready             boolean          NOT NULL,
    output            text             NOT NULL,
    value             double precision,
    event_id          text             NOT NULL,
    run_id            text             NOT NULL DEFAULT 'live',
    ingest_time       timestamptz      NOT NULL,
    source_agent      text             NOT NULL,
    CONSTRAINT indicator_values_event_key UNIQUE (instrument, event_id, output, run_id, time)
);
CREATE INDEX indicator_values_instrument_time_idx
    ON indicator_values (instrument, indicator, time DESC);

-- tapewire:if timescaledb
SELECT create_hypertable('ticks', by_range('time', INTERVAL '1 day'), if_not_exists => TRUE);
SELECT create_hypertable('bars', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE);
SELECT create_hypertable(
    'indicator_values', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE
);
-- tapewire:end
