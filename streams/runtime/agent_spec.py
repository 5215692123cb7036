"""How an agent module in :mod:`streams.agents` describes itself to the hosts.

Each agent module defines one module-level ``AGENT`` (an :class:`AgentSpec` for processors,
a :class:`SourceSpec` for connectors that only publish). ``tapewire agent <name>`` finds it in
``streams.agents.<name>`` (or a ``module:attribute`` path) and runs it on the named host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from streams.clock import Clock
from streams.runtime.processor import Output, Processor
from streams.settings import Settings

Host = Literal["faust", "bulk"]


class Publisher(Protocol):
    """What a source gets to publish with: encodes, frames and produces (logical topics)."""

    def publish(self, output: Output) -> None: ...

    def flush(self, timeout: float = 10.0) -> None: ...


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """A processor-backed agent: the host consumes ``inputs``, calls the processor, produces."""

    name: str
    host: Host
    build: Callable[[Settings], Processor]
    description: str
    snapshot_topic: str | None = None


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A connector: ``run`` publishes until ``should_stop()`` is true, then returns."""

    name: str
    run: Callable[[Settings, Publisher, Clock, Callable[[], bool]], None]
    description: str
    serves_metrics: bool = False
    """True when ``run`` serves /metrics, /healthz and /readyz on ``metrics_port`` itself
    (with its own registry, e.g. the sink); the source host then starts no server."""
