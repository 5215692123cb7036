"""Positions and PnL: weighted average cost, realized/unrealized PnL, daily PnL, drawdown."""
