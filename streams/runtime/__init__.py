"""The shared agent runtime: processor contract, hosts, snapshots, dead letters, metrics."""
