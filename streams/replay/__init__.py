"""Replay by rewinding consumer groups: plan, check, apply (``tapewire replay``)."""
