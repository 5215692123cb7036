"""ConfluentRegistry against a small real HTTP server implementing the documented API.

Redpanda's own registry is not available on the development machines, so the server below
implements the endpoints the client uses as the Confluent API reference documents them:
``POST /subjects/{subject}/versions`` -> ``{"id": n}`` (the same schema gets the same id in
every subject; 409 incompatible, 422 / error_code 42201 invalid schema),
``GET /schemas/ids/{id}`` -> ``{"schema": "..."}`` (404 / 40403) and
``GET /subjects/{subject}/versions/latest`` -> ``{"subject", "id", "version", "schema"}``
(404 / 40401). Error bodies are ``{"error_code": n, "message": "..."}``.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest
from streams.codec import (
    AvroCodec,
    ConfluentRegistry,
    RegistryError,
    RegistryUnavailableError,
    SchemaStore,
)
from streams.codec.registry import KEY_SCHEMA
from streams.errors import (
    SchemaCompatibilityError,
    SchemaNotFoundError,
    ValueDecodeError,
)
from streams.settings import load_settings

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


@dataclass
class RegistryState:
    schemas: dict[int, str] = field(default_factory=dict)
    subjects: dict[str, list[int]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    incompatible_subjects: set[str] = field(default_factory=set)
    fail_status: int | None = None
    stall: bool = False  # hold answers until ``release`` is set (timeouts)
    release: threading.Event = field(default_factory=threading.Event)
    garbage: bool = False


class _Handler(BaseHTTPRequestHandler):
    state: RegistryState

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _send(self, status: int, body: Any) -> None:
        payload = b"<html>oops" if self.state.garbage else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout test): nothing to send

    def _error(self, status: int, code: int, message: str) -> None:
        self._send(status, {"error_code": code, "message": message})

    def _common(self) -> list[str] | None:
        self.state.requests.append(f"{self.command} {self.path}")
        if self.state.stall:
            self.state.release.wait(timeout=10)
        if self.state.fail_status is not None:
            self._error(self.state.fail_status, self.state.fail_status * 100, "backend failure")
            return None
        return [unquote(part) for part in self.path.strip("/").split("/")]

    def do_POST(self) -> None:
        parts = self._common()
        if parts is None:
            return
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        if parts[0] != "subjects" or parts[2:] != ["versions"] or len(parts) != 3:
            self._error(404, 404, "HTTP 404 Not Found")
            return
        if self.headers.get("Content-Type") != CONTENT_TYPE:
            self._error(415, 415, "unsupported media type")
            return
        subject, schema = parts[1], body.get("schema")
        try:
            json.loads(schema)
        except (TypeError, json.JSONDecodeError):
            self._error(422, 42201, "Invalid schema")
            return
        if subject in self.state.incompatible_subjects:
            self._error(409, 409, "Schema being registered is incompatible with an earlier schema")
            return
        existing = [i for i, s in self.state.schemas.items() if s == schema]
        schema_id = existing[0] if existing else len(self.state.schemas) + 1
        self.state.schemas[schema_id] = schema
        versions = self.state.subjects.setdefault(subject, [])
        if schema_id not in versions:
            versions.append(schema_id)
        self._send(200, {"id": schema_id})

    def do_GET(self) -> None:
        parts = self._common()
        if parts is None:
            return
        if parts[:2] == ["schemas", "ids"] and len(parts) == 3:
            schema = self.state.schemas.get(int(parts[2]))
            if schema is None:
                self._error(404, 40403, "Schema not found")
            else:
                self._send(200, {"schema": schema})
            return
        if parts[0] == "subjects" and parts[2:] == ["versions", "latest"]:
            versions = self.state.subjects.get(parts[1])
            if not versions:
                self._error(404, 40401, "Subject not found")
                return
            schema_id = versions[-1]
            self._send(
                200,
                {
                    "subject": parts[1],
                    "id": schema_id,
                    "version": len(versions),
                    "schema": self.state.schemas[schema_id],
                },
            )
            return
        self._error(404, 404, "HTTP 404 Not Found")


@dataclass
class FakeRegistry:
    url: str
    state: RegistryState


@pytest.fixture
def fake_registry() -> Iterator[FakeRegistry]:
    state = RegistryState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield FakeRegistry(f"http://127.0.0.1:{server.server_address[1]}", state)
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def _codec(url: str, store: SchemaStore, timeout: float = 5.0) -> AvroCodec:
    return AvroCodec(ConfluentRegistry(url, timeout=timeout), store)


def test_round_trip_with_server_assigned_ids(
    fake_registry: FakeRegistry, store: SchemaStore, tick: dict[str, Any]
) -> None:
    codec = AvroCodec.from_settings(load_settings(schema_registry_url=fake_registry.url), store)
    data = codec.encode_value("md.tick", "md.tick", tick)
    key = codec.encode_key("md.tick", "BTC-USD")
    assert data[:5] == b"\x00\x00\x00\x00\x01"
    assert key is not None
    assert key[:5] == b"\x00\x00\x00\x00\x02"
    assert fake_registry.state.schemas[1] == store.latest("md.tick").canonical
    assert fake_registry.state.schemas[2] == KEY_SCHEMA
    assert fake_registry.state.subjects == {"md.tick-value": [1], "md.tick-key": [2]}
    consumer = _codec(fake_registry.url, store)  # another process: knows no ids yet
    assert consumer.decode_value(data) == tick
    assert consumer.decode_key(key) == "BTC-USD"
    assert consumer.event_type_of(data) == "md.tick"


def test_both_directions_are_cached(
    fake_registry: FakeRegistry, store: SchemaStore, samples: Any
) -> None:
    producer = _codec(fake_registry.url, store)
    ticks = [samples.build("md.tick", variant=v) for v in range(4)]
    framed = [producer.encode_value("md.tick", "md.tick", t) for t in ticks]
    assert fake_registry.state.requests == ["POST /subjects/md.tick-value/versions"]
    consumer = _codec(fake_registry.url, store)
    assert consumer.decode_values(framed * 3) == ticks * 3
    assert consumer.decode_value(framed[0]) == ticks[0]
    assert fake_registry.state.requests[1:] == ["GET /schemas/ids/1"]
    # the producer registered the schema, so it knows the id without asking again
    assert producer.decode_value(framed[1]) == ticks[1]
    assert len(fake_registry.state.requests) == 2


def test_latest_and_subject_quoting(fake_registry: FakeRegistry, store: SchemaStore) -> None:
    registry = ConfluentRegistry(fake_registry.url)
    canonical = store.latest("md.bar").canonical
    schema_id = registry.register("team a/bars-value", canonical)
    assert fake_registry.state.requests == ["POST /subjects/team%20a%2Fbars-value/versions"]
    latest = registry.latest("team a/bars-value")
    assert (latest.subject, latest.version, latest.schema.schema_id) == (
        "team a/bars-value",
        1,
        schema_id,
    )
    assert latest.schema.name == "tapewire.md.Bar"
    with pytest.raises(SchemaNotFoundError, match="40401"):
        registry.latest("nobody-value")


def test_unknown_id_is_a_value_decode_error(
    fake_registry: FakeRegistry, store: SchemaStore, tick: dict[str, Any]
) -> None:
    data = _codec(fake_registry.url, store).encode_value("md.tick", "md.tick", tick)
    with pytest.raises(SchemaNotFoundError, match="40403"):
        ConfluentRegistry(fake_registry.url).by_id(99)
    with pytest.raises(ValueDecodeError, match="unknown writer schema id 99"):
        _codec(fake_registry.url, store).decode_value(b"\x00\x00\x00\x00\x63" + data[5:])


def test_http_errors_map_to_typed_errors(fake_registry: FakeRegistry, store: SchemaStore) -> None:
    registry = ConfluentRegistry(fake_registry.url)
    canonical = store.latest("md.tick").canonical
    fake_registry.state.incompatible_subjects.add("md.tick-value")
    with pytest.raises(SchemaCompatibilityError, match="incompatible"):
        registry.register("md.tick-value", canonical)
    with pytest.raises(RegistryError, match="42201"):
        registry.register("other-value", "{not json")
    fake_registry.state.fail_status = 500
    with pytest.raises(RegistryUnavailableError, match="HTTP 500") as info:
        registry.register("other-value", canonical)
    assert info.value.retriable
    fake_registry.state.fail_status = 403
    with pytest.raises(RegistryError, match="HTTP 403") as denied:
        registry.by_id(1)
    assert not denied.value.retriable
    fake_registry.state.fail_status = None
    schema_id = registry.register("fine-value", canonical)
    fake_registry.state.garbage = True
    with pytest.raises(RegistryError, match="not JSON"):
        ConfluentRegistry(fake_registry.url).by_id(schema_id)


def test_unreachable_registry_is_retriable_even_while_decoding(
    store: SchemaStore, tick: dict[str, Any]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    codec = _codec(f"http://127.0.0.1:{port}", store, timeout=1.0)
    with pytest.raises(RegistryUnavailableError, match="unreachable") as info:
        codec.encode_value("md.tick", "md.tick", tick)
    assert info.value.retriable
    assert info.value.__cause__ is not None
    # a decode must not turn an outage into a dead letter: it stays retriable
    with pytest.raises(RegistryUnavailableError):
        codec.decode_value(b"\x00\x00\x00\x00\x01" + b"\x00" * 10)


def test_slow_registry_times_out_as_unavailable(
    fake_registry: FakeRegistry, store: SchemaStore
) -> None:
    fake_registry.state.stall = True
    registry = ConfluentRegistry(fake_registry.url, timeout=0.1)
    with pytest.raises(RegistryUnavailableError):
        registry.by_id(1)


def test_non_avro_schemas_are_refused() -> None:
    registry = ConfluentRegistry("http://127.0.0.1:1")
    with pytest.raises(RegistryError, match="PROTOBUF"):
        registry._schema_from({"schemaType": "PROTOBUF", "schema": "syntax"}, 5)
    with pytest.raises(RegistryError, match="no schema"):
        registry._schema_from({"id": 5}, 5)
