"""The simulated exchange: deterministic matching of orders against market data."""
