"""``tapewire demo``: the whole chain on the embedded stack, on synthetic data."""
