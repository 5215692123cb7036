"""A local stand-in for Binance: a websocket server replaying frames, a REST snapshot server.

Both listen on 127.0.0.1. The websocket server plays one script per connection: it sends the
frames, then either drops the connection (abort, no close frame) or keeps it open. The REST
server answers /api/v3/depth and /api/v3/trades with the n-th prepared body on the n-th
request of that path and records every request.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve


@dataclass
class Connection:
    """What the websocket server does on one connection."""

    frames: list[str]
    drop: bool


@dataclass
class LocalWebsocketVenue:
    """Replays a script of connections; ``paths`` records the requested stream paths."""

    script: list[Connection]
    paths: list[str] = field(default_factory=list)
    _server: Server | None = None

    async def _handle(self, websocket: ServerConnection) -> None:
        index = len(self.paths)
        self.paths.append(websocket.request.path if websocket.request else "")
        plan = self.script[min(index, len(self.script) - 1)]
        for frame in plan.frames:
            await websocket.send(frame)
        if plan.drop:
            await asyncio.sleep(0.1)  # let the frames leave before the connection dies
            websocket.transport.abort()
            return
        await websocket.wait_closed()

    async def start(self) -> str:
        self._server = await serve(self._handle, "127.0.0.1", 0, compression=None)
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class _Handler(BaseHTTPRequestHandler):
    server: _RestServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.requests.append(self.path)
        bodies = self.server.bodies.get(path)
        if not bodies:
            self.send_error(404)
            return
        count = sum(1 for r in self.server.requests if urlsplit(r).path == path)
        body = json.dumps(bodies[min(count, len(bodies)) - 1]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


class _RestServer(ThreadingHTTPServer):
    def __init__(self, bodies: dict[str, list[Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies = bodies
        self.requests: list[str] = []


@contextmanager
def local_rest(bodies: dict[str, list[Any]]) -> Iterator[tuple[str, list[str]]]:
    """Serve the bodies; yields the base URL and the list of request paths."""
    server = _RestServer(bodies)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}", server.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
