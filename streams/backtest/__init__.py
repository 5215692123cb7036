"""In-process backtest: the live processor classes run in event-time order, no broker."""
