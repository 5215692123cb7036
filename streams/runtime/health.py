"""Liveness/readiness state and the small HTTP server that serves it with the metrics.

``GET /metrics`` (Prometheus text), ``GET /healthz`` (200 while the process runs its loop) and
``GET /readyz`` (200 once partitions are assigned and state is recovered, else 503). The server
is a stdlib ``ThreadingHTTPServer`` in a daemon thread, so it works under both hosts (asyncio
Faust and the blocking bulk loop) and stays up while a host blocks in a rebalance.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from streams.runtime.metrics import AgentMetrics


class HealthState:
    """What /healthz and /readyz report; hosts update it, the server reads it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._alive = True
        self._assigned = False
        self._recovered = False
        self._stopping = False

    def assigned(self, value: bool) -> None:
        with self._lock:
            self._assigned = value
            if not value:
                self._recovered = False

    def recovered(self) -> None:
        with self._lock:
            self._recovered = True

    def stopping(self) -> None:
        with self._lock:
            self._stopping = True

    def dead(self) -> None:
        with self._lock:
            self._alive = False

    @property
    def alive(self) -> bool:
        with self._lock:
            return self._alive

    @property
    def ready(self) -> bool:
        with self._lock:
            return self._alive and self._assigned and self._recovered and not self._stopping

    def as_dict(self) -> dict[str, bool]:
        with self._lock:
            return {
                "alive": self._alive,
                "assigned": self._assigned,
                "recovered": self._recovered,
                "stopping": self._stopping,
            }


class HealthServer:
    """Serves /metrics, /healthz and /readyz on ``port`` (0 picks a free port)."""

    def __init__(
        self,
        metrics: AgentMetrics,
        health: HealthState,
        port: int,
        host: str = "0.0.0.0",  # noqa: S104 - scraped from outside its container
    ) -> None:
        handler = _handler_class(metrics, health)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="tapewire-health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_class(metrics: AgentMetrics, health: HealthState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._reply(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8")
            elif self.path == "/healthz":
                self._status(health.alive)
            elif self.path == "/readyz":
                self._status(health.ready)
            else:
                self._reply(404, b"not found\n", "text/plain")

        def _status(self, ok: bool) -> None:
            body = json.dumps(health.as_dict()).encode() + b"\n"
            self._reply(200 if ok else 503, body, "application/json")

        def _reply(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            del format, args  # scrapes every few seconds must not flood the JSON logs

    return Handler
