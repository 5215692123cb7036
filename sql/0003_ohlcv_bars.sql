-- OHLCV bars of 1 minute, 5 minutes, 1 hour and 1 day computed from trade ticks.
--
-- Both variants expose the same views with the same columns:
--   time (bucket start), instrument, run_id, open, high, low, close, volume, notional
--   (sum of price * size), vwap, trade_count.
-- TimescaleDB: continuous aggregates (1m from ticks; 5m, 1h, 1d stacked on the one below),
-- real-time (materialized_only = false, so the newest, not yet materialized buckets are
-- included), refreshed by the policies at the end of this file.
-- PostgreSQL: plain views over ticks, aligned like time_bucket (UTC, epoch-aligned buckets).

-- tapewire:if timescaledb
CREATE MATERIALIZED VIEW bars_1m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 minute', time) AS time,
       instrument,
       run_id,
       first(price, time) AS open,
       max(price) AS high,
       min(price) AS low,
       last(price, time) AS close,
       coalesce(sum(size), 0) AS volume,
       coalesce(sum(price * size), 0) AS notional,
       sum(price * size) / nullif(sum(size), 0) AS vwap,
       count(*) AS trade_count
FROM ticks
WHERE kind = 'TRADE' AND price IS NOT NULL
GROUP BY time_bucket(INTERVAL '1 minute', time), instrument, run_id
WITH NO DATA;

CREATE MATERIALIZED VIEW bars_5m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '5 minutes', time) AS time,
       instrument,
       run_id,
       first(open, time) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, time) AS close,
       sum(volume) AS volume,
       sum(notional) AS notional,
       sum(notional) / nullif(sum(volume), 0) AS vwap,
       sum(trade_count) AS trade_count
FROM bars_1m
GROUP BY time_bucket(INTERVAL '5 minutes', time), instrument, run_id
WITH NO DATA;

CREATE MATERIALIZED VIEW bars_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS time,
       instrument,
       run_id,
       first(open, time) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, time) AS close,
       sum(volume) AS volume,
       sum(notional) AS notional,
       sum(notional) / nullif(sum(volume), 0) AS vwap,
       sum(trade_count) AS trade_count
FROM bars_5m
GROUP BY time_bucket(INTERVAL '1 hour', time), instrument, run_id
WITH NO DATA;

CREATE MATERIALIZED VIEW bars_1d
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '1 day', time) AS time,
       instrument,
       run_id,
       first(open, time) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, time) AS close,
       sum(volume) AS volume,
       sum(notional) AS notional,
       sum(notional) / nullif(sum(volume), 0) AS vwap,
       sum(trade_count) AS trade_count
FROM bars_1h
GROUP BY time_bucket(INTERVAL '1 day', time), instrument, run_id
WITH NO DATA;

-- Refresh windows: [now - start_offset, now - end_offset], every schedule_interval.
SELECT add_continuous_aggregate_policy('bars_1m',
    start_offset => INTERVAL '3 hours', end_offset => INTERVAL '1 minute',
    schedule_interval => INTERVAL '1 minute', if_not_exists => TRUE);
SELECT add_continuous_aggregate_policy('bars_5m',
    start_offset => INTERVAL '1 day', end_offset => INTERVAL '5 minutes',
    schedule_interval => INTERVAL '5 minutes', if_not_exists => TRUE);
SELECT add_continuous_aggregate_policy('bars_1h',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '30 minutes', if_not_exists => TRUE);
SELECT add_continuous_aggregate_policy('bars_1d',
    start_offset => INTERVAL '30 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour', if_not_exists => TRUE);
-- tapewire:else
CREATE VIEW bars_1m AS
SELECT date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS time,
       instrument,
       run_id,
       (array_agg(price ORDER BY time, sequence))[1] AS open,
       max(price) AS high,
       min(price) AS low,
       (array_agg(price ORDER BY time DESC, sequence DESC))[1] AS close,
       coalesce(sum(size), 0) AS volume,
       coalesce(sum(price * size), 0) AS notional,
       sum(price * size) / nullif(sum(size), 0) AS vwap,
       count(*) AS trade_count
FROM ticks
WHERE kind = 'TRADE' AND price IS NOT NULL
GROUP BY 1, instrument, run_id;

CREATE VIEW bars_5m AS
SELECT date_bin(INTERVAL '5 minutes', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS time,
       instrument,
       run_id,
       (array_agg(price ORDER BY time, sequence))[1] AS open,
       max(price) AS high,
       min(price) AS low,
       (array_agg(price ORDER BY time DESC, sequence DESC))[1] AS close,
       coalesce(sum(size), 0) AS volume,
       coalesce(sum(price * size), 0) AS notional,
       sum(price * size) / nullif(sum(size), 0) AS vwap,
       count(*) AS trade_count
FROM ticks
WHERE kind = 'TRADE' AND price IS NOT NULL
GROUP BY 1, instrument, run_id;

CREATE VIEW bars_1h AS
SELECT date_bin(INTERVAL '1 hour', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS time,
       instrument,
       run_id,
       (array_agg(price ORDER BY time, sequence))[1] AS open,
       max(price) AS high,
       min(price) AS low,
       (array_agg(price ORDER BY time DESC, sequence DESC))[1] AS close,
       coalesce(sum(size), 0) AS volume,
       coalesce(sum(price * size), 0) AS notional,
       sum(price * size) / nullif(sum(size), 0) AS vwap,
       count(*) AS trade_count
FROM ticks
WHERE kind = 'TRADE' AND price IS NOT NULL
GROUP BY 1, instrument, run_id;

CREATE VIEW bars_1d AS
SELECT date_bin(INTERVAL '1 day', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS time,
       instrument,
       run_id,
       (array_agg(price ORDER BY time, sequence))[1] AS open,
       max(price) AS high,
       min(price) AS low,
       (array_agg(price ORDER BY time DESC, sequence DESC))[1] AS close,
       coalesce(sum(size), 0) AS volume,
       coalesce(sum(price * size), 0) AS notional,
       sum(price * size) / nullif(sum(size), 0) AS vwap,
       count(*) AS trade_count
FROM ticks
WHERE kind = 'TRADE' AND price IS NOT NULL
GROUP BY 1, instrument, run_id;
-- tapewire:end
