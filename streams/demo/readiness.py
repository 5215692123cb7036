"""Waiting for agents to report ready on their /readyz endpoints."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping


def is_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as reply:
            return int(reply.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_ready(
    ports: Mapping[str, int],
    timeout: float,
    *,
    check: Callable[[], None],
    on_ready: Callable[[str], None],
) -> list[str]:
    """Poll until every agent answers /readyz 200; returns the ones that never did."""
    waiting = dict(ports)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        check()
        for name, port in list(waiting.items()):
            if is_ready(port):
                on_ready(name)
                del waiting[name]
        time.sleep(0.3)
    return sorted(waiting)
