-- Compression and retention (TimescaleDB only; plain PostgreSQL keeps everything
-- uncompressed, which is what the embedded development database wants).
--
-- Defaults (see docs/timescale.md for how to change them in a later migration):
--   compression, segmented by instrument, newest first within a segment:
--     ticks, indicator_values                      after 7 days
--     bars, intents, risk_decisions, order_events,
--     fills, positions                             after 30 days
--   retention (chunks dropped):
--     ticks, indicator_values                      90 days (bars_* keep the aggregates)
--     bars_1m                                      1 year
--     dead_letters                                 180 days
--   kept forever: bars, bars_5m, bars_1h, bars_1d and the trading record (intents,
--   decisions, violations, orders, order_events, fills, positions, pnl).

-- tapewire:if timescaledb
ALTER TABLE ticks SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument',
    timescaledb.compress_orderby = 'time DESC'
);
ALTER TABLE indicator_values SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument',
    timescaledb.compress_orderby = 'time DESC'
);
ALTER TABLE bars SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument',
    timescaledb.compress_orderby = 'time DESC'
);
ALTER TABLE intents SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument',
    timescaledb.compress_orderby = 'time DESC'
);
ALTER TABLE risk_decisions SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument',
    timescaledb.compress_orderby = 'time DESC'
);
ALTER TABLE order_events SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument',
    timescaledb.compress_orderby = 'time DESC'
);
ALTER TABLE fills SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument',
    timescaledb.compress_orderby = 'time DESC'
);
ALTER TABLE positions SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'instrument',
    timescaledb.compress_orderby = 'time DESC'
);

SELECT add_compression_policy('ticks', compress_after => INTERVAL '7 days', if_not_exists => TRUE);
SELECT add_compression_policy(
    'indicator_values', compress_after => INTERVAL '7 days', if_not_exists => TRUE
);
SELECT add_compression_policy('bars', compress_after => INTERVAL '30 days', if_not_exists => TRUE);
SELECT add_compression_policy(
    'intents', compress_after => INTERVAL '30 days', if_not_exists => TRUE
);
SELECT add_compression_policy(
    'risk_decisions', compress_after => INTERVAL '30 days', if_not_exists => TRUE
);
SELECT add_compression_policy(
    'order_events', compress_after => INTERVAL '30 days', if_not_exists => TRUE
);
SELECT add_compression_policy('fills', compress_after => INTERVAL '30 days', if_not_exists => TRUE);
SELECT add_compression_policy(
    'positions', compress_after => INTERVAL '30 days', if_not_exists => TRUE
);

SELECT add_retention_policy('ticks', drop_after => INTERVAL '90 days', if_not_exists => TRUE);
SELECT add_retention_policy(
    'indicator_values', drop_after => INTERVAL '90 days', if_not_exists => TRUE
);
SELECT add_retention_policy('bars_1m', drop_after => INTERVAL '1 year', if_not_exists => TRUE);
SELECT add_retention_policy(
    'dead_letters', drop_after => INTERVAL '180 days', if_not_exists => TRUE
);
-- tapewire:end
