"""Tapewire: an event-driven trading platform on a Kafka-compatible log.

The Python package is ``streams``: one module per agent (``streams.agents``), the shared
runtime (``streams.runtime``) and the pure domain logic the agents wrap.
"""

__version__ = "0.1.0"
