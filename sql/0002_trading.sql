-- The trading record: intents, risk decisions and violations, orders, order events, fills,
-- positions, PnL and dead letters. Same column conventions as 0001_market_data.sql.

CREATE TABLE intents (
    time              timestamptz    NOT NULL,
    strategy          text           NOT NULL,
    strategy_version  integer        NOT NULL,
    account           text           NOT NULL,
    instrument        text           NOT NULL,
    side              text           NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity          numeric(38, 9) NOT NULL CHECK (quantity > 0),
    order_type        text           NOT NULL,
    limit_price       numeric(38, 9) CHECK (limit_price > 0),
    time_in_force     text           NOT NULL,
    reason            text           NOT NULL,
    reference_price   numeric(38, 9),
    event_id          text           NOT NULL,
    run_id            text           NOT NULL DEFAULT 'live',
    ingest_time       timestamptz    NOT NULL,
    source_agent      text           NOT NULL,
    CONSTRAINT intents_event_key UNIQUE (instrument, event_id, run_id, time)
);
CREATE INDEX intents_instrument_time_idx ON intents (instrument, time DESC);
CREATE INDEX intents_strategy_time_idx ON intents (strategy, time DESC);

-- reason_codes lists the codes of `reasons` (the full reasons are kept as jsonb).
CREATE TABLE risk_decisions (
    time              timestamptz    NOT NULL,
    intent_id         text           NOT NULL,
    outcome           text           NOT NULL CHECK (outcome IN ('APPROVED', 'REJECTED')),
    strategy          text           NOT NULL,
    strategy_version  integer        NOT NULL,
    account           text           NOT NULL,
    instrument        text           NOT NULL,
    side              text           NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity          numeric(38, 9) NOT NULL CHECK (quantity > 0),
    order_type        text           NOT NULL,
    limit_price       numeric(38, 9) CHECK (limit_price > 0),
    time_in_force     text           NOT NULL,
    reference_price   numeric(38, 9),
    reason_codes      text[]         NOT NULL DEFAULT '{}',
    reasons           jsonb          NOT NULL DEFAULT '[]',
    event_id          text           NOT NULL,
    run_id            text           NOT NULL DEFAULT 'live',
    ingest_time       timestamptz    NOT NULL,
    source_agent      text           NOT NULL,
    CONSTRAINT risk_decisions_event_key UNIQUE (instrument, event_id, run_id, time)
);
CREATE INDEX risk_decisions_instrument_time_idx ON risk_decisions (instrument, time DESC);
CREATE INDEX risk_decisions_event_id_idx ON risk_decisions (event_id);

CREATE TABLE risk_violations (
    time          timestamptz    NOT NULL,
    scope         text           NOT NULL,
    strategy      text,
    account       text,
    limit_name    text           NOT NULL,
    limit_value   numeric(38, 9) NOT NULL,
    actual_value  numeric(38, 9) NOT NULL,
    action        text           NOT NULL CHECK (action IN ('HALT', 'WARN')),
    message       text           NOT NULL,
    event_id      text           NOT NULL,
    run_id        text           NOT NULL DEFAULT 'live',
    ingest_time   timestamptz    NOT NULL,
    source_agent  text           NOT NULL,
    CONSTRAINT risk_violations_event_key UNIQUE (event_id, run_id, time)
);
CREATE INDEX risk_violations_strategy_time_idx ON risk_violations (strategy, time DESC);

-- Latest state per order (a plain table, updated in place): created by the order.command
-- NEW, then advanced by each order.event. `time` is the event time of the latest change;
-- a change is newer when (time, status_rank, cumulative_quantity) is not smaller; an older
-- change arriving late only fills columns that are still empty. status_rank orders the
-- lifecycle: 0 NEW/UNKNOWN, 1 PENDING_CANCEL, 2 ACKNOWLEDGED, 3 PARTIALLY_FILLED,
-- 4 FILLED/CANCELED/REJECTED/EXPIRED.
CREATE TABLE orders (
    client_order_id      text           NOT NULL,
    run_id               text           NOT NULL DEFAULT 'live',
    time                 timestamptz    NOT NULL,
    submitted_time       timestamptz,
    account              text           NOT NULL,
    strategy             text           NOT NULL,
    instrument           text           NOT NULL,
    venue                text           NOT NULL,
    side                 text           NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity             numeric(38, 9) CHECK (quantity > 0),
    order_type           text,
    limit_price          numeric(38, 9),
    time_in_force        text,
    decision_id          text,
    status               text           NOT NULL,
    status_rank          smallint       NOT NULL,
    venue_order_id       text,
    cumulative_quantity  numeric(38, 9) CHECK (cumulative_quantity >= 0),
    leaves_quantity      numeric(38, 9) CHECK (leaves_quantity >= 0),
    last_event_id        text           NOT NULL,
    CONSTRAINT orders_pkey PRIMARY KEY (client_order_id, run_id)
);
CREATE INDEX orders_instrument_time_idx ON orders (instrument, time DESC);
CREATE INDEX orders_strategy_time_idx ON orders (strategy, time DESC);

CREATE TABLE order_events (
    time                 timestamptz    NOT NULL,
    client_order_id      text           NOT NULL,
    venue_order_id       text,
    account              text           NOT NULL,
    strategy             text           NOT NULL,
    instrument           text           NOT NULL,
    venue                text           NOT NULL,
    kind                 text           NOT NULL,
    side                 text           NOT NULL CHECK (side IN ('BUY', 'SELL')),
    order_quantity       numeric(38, 9) NOT NULL CHECK (order_quantity > 0),
    fill_quantity        numeric(38, 9) CHECK (fill_quantity > 0),
    fill_price           numeric(38, 9) CHECK (fill_price > 0),
    trade_id             text,
    cumulative_quantity  numeric(38, 9) NOT NULL CHECK (cumulative_quantity >= 0),
    leaves_quantity      numeric(38, 9) NOT NULL CHECK (leaves_quantity >= 0),
    fee                  numeric(38, 9),
    fee_currency         text,
    liquidity            text,
    reason               text,
    order_status         text,
    average_price        numeric(38, 9),
    event_id             text           NOT NULL,
    run_id               text           NOT NULL DEFAULT 'live',
    ingest_time          timestamptz    NOT NULL,
    source_agent         text           NOT NULL,
    CONSTRAINT order_events_event_key UNIQUE (instrument, event_id, run_id, time)
);
CREATE INDEX order_events_instrument_time_idx ON order_events (instrument, time DESC);
CREATE INDEX order_events_order_idx ON order_events (client_order_id, time);

-- One row per PARTIAL_FILL / FILL order event.
CREATE TABLE fills (
    time             timestamptz    NOT NULL,
    client_order_id  text           NOT NULL,
    venue_order_id   text,
    trade_id         text,
    account          text           NOT NULL,
    strategy         text           NOT NULL,
    instrument       text           NOT NULL,
    venue            text           NOT NULL,
    side             text           NOT NULL CHECK (side IN ('BUY', 'SELL')),
    quantity         numeric(38, 9) NOT NULL CHECK (quantity > 0),
    price            numeric(38, 9) NOT NULL CHECK (price > 0),
    fee              numeric(38, 9),
    fee_currency     text,
    liquidity        text,
    event_id         text           NOT NULL,
    run_id           text           NOT NULL DEFAULT 'live',
    ingest_time      timestamptz    NOT NULL,
    source_agent     text           NOT NULL,
    CONSTRAINT fills_event_key UNIQUE (instrument, event_id, run_id, time)
);
CREATE INDEX fills_instrument_time_idx ON fills (instrument, time DESC);
CREATE INDEX fills_order_idx ON fills (client_order_id);

-- Every position snapshot, so positions can be plotted over time.
CREATE TABLE positions (
    time            timestamptz    NOT NULL,
    account         text           NOT NULL,
    strategy        text           NOT NULL,
    instrument      text           NOT NULL,
    quantity        numeric(38, 9) NOT NULL,
    average_cost    numeric(38, 9) NOT NULL,
    mark_price      numeric(38, 9),
    realized_pnl    numeric(38, 9) NOT NULL,
    unrealized_pnl  numeric(38, 9) NOT NULL,
    fees            numeric(38, 9) NOT NULL,
    net_pnl         numeric(38, 9) NOT NULL,
    gross_exposure  numeric(38, 9) NOT NULL CHECK (gross_exposure >= 0),
    net_exposure    numeric(38, 9) NOT NULL,
    event_id        text           NOT NULL,
    run_id          text           NOT NULL DEFAULT 'live',
    ingest_time     timestamptz    NOT NULL,
    source_agent    text           NOT NULL,
    CONSTRAINT positions_event_key UNIQUE (instrument, event_id, run_id, time)
);
CREATE INDEX positions_instrument_time_idx ON positions (instrument, time DESC);
CREATE INDEX positions_strategy_time_idx ON positions (strategy, time DESC);

CREATE TABLE pnl (
    time             timestamptz    NOT NULL,
    scope            text           NOT NULL,
    account          text,
    strategy         text,
    instrument       text,
    quantity         numeric(38, 9),
    average_cost     numeric(38, 9),
    mark_price       numeric(38, 9),
    realized_pnl     numeric(38, 9) NOT NULL,
    unrealized_pnl   numeric(38, 9) NOT NULL,
    fees             numeric(38, 9) NOT NULL,
    net_pnl          numeric(38, 9) NOT NULL,
    gross_exposure   numeric(38, 9) NOT NULL CHECK (gross_exposure >= 0),
    net_exposure     numeric(38, 9) NOT NULL,
    trading_day      date           NOT NULL,
    daily_pnl        numeric(38, 9) NOT NULL,
    high_water_mark  numeric(38, 9) NOT NULL,
    drawdown         numeric(38, 9) NOT NULL CHECK (drawdown >= 0),
    event_id         text           NOT NULL,
    run_id           text           NOT NULL DEFAULT 'live',
    ingest_time      timestamptz    NOT NULL,
    source_agent     text           NOT NULL,
    CONSTRAINT pnl_event_key UNIQUE (event_id, run_id, time)
);
CREATE INDEX pnl_instrument_time_idx ON pnl (instrument, time DESC);
CREATE INDEX pnl_scope_strategy_time_idx ON pnl (scope, strategy, time DESC);

-- Records an agent (or this sink) could not decode or process, with their raw bytes.
-- `time` is the origin record's timestamp (else when it was dead-lettered): the event id
-- derives from the origin, so dead-lettering the same record again (after a rewind) maps to
-- the same row even though it happens at another moment (dead_lettered_time).
CREATE TABLE dead_letters (
    time                timestamptz NOT NULL,
    dead_lettered_time  timestamptz NOT NULL,
    agent               text        NOT NULL,
    origin_topic        text        NOT NULL,
    origin_partition    integer     NOT NULL,
    origin_offset       bigint      NOT NULL,
    origin_timestamp    timestamptz,
    error_class         text        NOT NULL,
    error_message       text        NOT NULL,
    key                 bytea,
    value               bytea,
    event_id            text        NOT NULL,
    run_id              text        NOT NULL DEFAULT 'live',
    ingest_time         timestamptz NOT NULL,
    source_agent        text        NOT NULL,
    CONSTRAINT dead_letters_event_key UNIQUE (event_id, run_id, time)
);
CREATE INDEX dead_letters_agent_time_idx ON dead_letters (agent, time DESC);
CREATE INDEX dead_letters_origin_idx ON dead_letters (origin_topic, time DESC);

-- tapewire:if timescaledb
SELECT create_hypertable('intents', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE);
SELECT create_hypertable(
    'risk_decisions', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE
);
SELECT create_hypertable(
    'risk_violations', by_range('time', INTERVAL '30 days'), if_not_exists => TRUE
);
SELECT create_hypertable(
    'order_events', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE
);
SELECT create_hypertable('fills', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE);
SELECT create_hypertable(
    'positions', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE
);
SELECT create_hypertable('pnl', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE);
SELECT create_hypertable(
    'dead_letters', by_range('time', INTERVAL '7 days'), if_not_exists => TRUE
);
-- tapewire:end
