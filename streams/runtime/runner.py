"""Running one agent as a process: logging, signals, the chosen host, exit code.

SIGTERM and SIGINT set a stop flag; every host then stops consuming, flushes its outputs,
writes final snapshots, commits and returns, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from streams.runtime.agent_spec import AgentSpec, Host, SourceSpec
from streams.runtime.bulk_host import BulkHost
from streams.runtime.host_base import HostContext
from streams.runtime.logs import configure_logging
from streams.runtime.source_host import SourceHost
from streams.settings import Settings

logger = logging.getLogger(__name__)


def install_stop_signals(stop: threading.Event) -> None:
    """Make SIGTERM and SIGINT set ``stop`` (main thread only)."""

    def _handler(signum: int, frame: FrameType | None) -> None:
        del frame
        logger.info("signal %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)


def run_agent(
    spec: AgentSpec | SourceSpec,
    settings: Settings,
    *,
    host: Host | None = None,
    group_id: str | None = None,
    batch_size: int = 1000,
) -> int:
    """Run ``spec`` until SIGTERM/SIGINT; returns the process exit code (0 = clean stop)."""
    configure_logging(settings.log_level)
    stop = threading.Event()
    install_stop_signals(stop)
    if isinstance(spec, SourceSpec):
        SourceHost(spec, settings).run(stop)
        return 0
    context = HostContext(spec, settings, group_id=group_id)
    chosen = host or spec.host
    port = context.start_server()
    logger.info("starting on the %s host (metrics port %s)", chosen, port, extra=context.log_extra)
    try:
        if chosen == "bulk":
            BulkHost(context, batch_size=batch_size).run(stop)
        else:
            # imported here: faust is slow to import and only this host needs it
            from streams.runtime.faust_host import FaustHost  # noqa: PLC0415

            FaustHost(context, batch_size=batch_size).run(stop)
    finally:
        context.close()
    logger.info("stopped cleanly", extra=context.log_extra)
    return 0
