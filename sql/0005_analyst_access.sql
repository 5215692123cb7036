-- Analyst views and the read-only analyst role.
--
-- tapewire_analyst is a NOLOGIN group role with SELECT on every table and view of the public
-- schema (including tables later migrations create). Operations give a login role its
-- privileges with (the password comes from configuration, never from this repository):
--   CREATE ROLE grafana LOGIN PASSWORD '<from your secret store>' IN ROLE tapewire_analyst;
--   ALTER ROLE grafana SET default_transaction_read_only = on;
-- See docs/timescale.md.

-- Net, realized and unrealized PnL of each strategy (and account) at the end of each trading
-- day: the last pnl.update of scope STRATEGY of that day.
CREATE VIEW daily_pnl_by_strategy AS
SELECT DISTINCT ON (run_id, account, strategy, trading_day)
       trading_day,
       account,
       strategy,
       run_id,
       time AS as_of,
       realized_pnl,
       unrealized_pnl,
       fees,
       net_pnl,
       daily_pnl,
       high_water_mark,
       drawdown
FROM pnl
WHERE scope = 'STRATEGY' AND strategy IS NOT NULL
ORDER BY run_id, account, strategy, trading_day, time DESC;

-- Every fill with the reference price its risk decision saw, the slippage against it in
-- basis points (positive = worse than the reference: paid more on a buy, got less on a
-- sell) and the time from submission to this fill.
CREATE VIEW fills_with_slippage AS
SELECT f.time,
       f.client_order_id,
       f.account,
       f.strategy,
       f.instrument,
       f.venue,
       f.side,
       f.quantity,
       f.price,
       f.fee,
       f.liquidity,
       f.run_id,
       o.decision_id,
       d.reference_price,
       CASE
           WHEN d.reference_price > 0 THEN
               ((CASE WHEN f.side = 'BUY' THEN f.price - d.reference_price
                      ELSE d.reference_price - f.price END)
                / d.reference_price * 10000)::double precision
       END AS slippage_bps,
       o.submitted_time,
       extract(EPOCH FROM f.time - o.submitted_time)::double precision AS fill_latency_seconds
FROM fills AS f
LEFT JOIN orders AS o
    ON o.client_order_id = f.client_order_id AND o.run_id = f.run_id
LEFT JOIN LATERAL (
    SELECT rd.reference_price
    FROM risk_decisions AS rd
    WHERE rd.event_id = o.decision_id AND rd.run_id = f.run_id
    LIMIT 1
) AS d ON TRUE;

-- Gross and net exposure over time at every PnL scope (position, strategy, account, global).
CREATE VIEW exposure_over_time AS
SELECT time,
       scope,
       account,
       strategy,
       instrument,
       gross_exposure,
       net_exposure,
       run_id
FROM pnl;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tapewire_analyst') THEN
        CREATE ROLE tapewire_analyst NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO tapewire_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO tapewire_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO tapewire_analyst;
