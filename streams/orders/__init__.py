"""Order management: the lifecycle state machine, the order manager and venue ports."""
