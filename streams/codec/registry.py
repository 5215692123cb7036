"""The schema registry port and its two implementations.

* :class:`LocalRegistry`: no server. Backed by the files in avro/; an id is derived from the
  SHA-256 of the canonical schema JSON, so every process of the embedded stack that loads the
  same avro/ directory agrees on every id without talking to anyone.
* :class:`ConfluentRegistry`: the Confluent Schema Registry HTTP API, as served by Redpanda's
  built-in registry on :8081 (subjects ``<topic>-value`` / ``<topic>-key``).

Both cache in both directions (schema -> id on register, id -> schema on look-up); a schema
id never changes meaning, so the caches are never invalidated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Final, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit
from urllib.request import Request, urlopen

from streams.codec.compatibility import reader_problems
from streams.codec.errors import RegistryError, RegistryUnavailableError, SchemaDefinitionError
from streams.codec.schemas import ParsedSchema, SchemaStore, canonical_json, parse_canonical
from streams.errors import SchemaCompatibilityError, SchemaNotFoundError, TapewireError
from streams.settings import Settings

KEY_SCHEMA: Final = '"string"'
_ID_SPACE: Final = 2**31 - 1
_CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """A schema known to a registry under ``schema_id``."""

    schema_id: int
    schema_json: str
    parsed: ParsedSchema = field(repr=False, compare=False)

    @property
    def name(self) -> str | None:
        """Full name of a named top-level type (e.g. ``tapewire.md.Tick``), else None."""
        if isinstance(self.parsed, dict) and "name" in self.parsed:
            return str(self.parsed["name"])
        return None


@dataclass(frozen=True, slots=True)
class SubjectVersion:
    """The schema registered under ``subject`` as its ``version``."""

    subject: str
    version: int
    schema: RegisteredSchema


class SchemaRegistry(Protocol):
    """What the codec needs from a schema registry."""

    def register(self, subject: str, schema_json: str) -> int:
        """Register (idempotently) a self-contained schema under ``subject``; its id."""
        ...

    def by_id(self, schema_id: int) -> RegisteredSchema:
        """The schema with this id; :class:`SchemaNotFoundError` if unknown."""
        ...

    def latest(self, subject: str) -> SubjectVersion:
        """The newest schema of ``subject``; :class:`SchemaNotFoundError` if none."""
        ...


def _parse(schema_json: str) -> ParsedSchema:
    try:
        return parse_canonical(schema_json)
    except SchemaDefinitionError as exc:
        raise RegistryError(f"registry returned an invalid schema: {exc}") from exc


def deterministic_id(canonical: str) -> int:
    """A positive 31-bit id from the SHA-256 of the canonical schema JSON (1 .. 2**31-1)."""
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % _ID_SPACE + 1


class LocalRegistry:
    """A registry without a server: every schema of the store is known from the start."""

    def __init__(self, store: SchemaStore) -> None:
        self._store = store
        self._by_id: dict[int, RegisteredSchema] = {}
        self._subjects: dict[str, list[int]] = {}
        for version in store.all_versions():
            self._add(version.canonical)
        self._add(KEY_SCHEMA)

    @property
    def store(self) -> SchemaStore:
        return self._store

    def _add(self, schema_json: str) -> int:
        canonical = _normalise(schema_json)
        schema_id = deterministic_id(canonical)
        known = self._by_id.get(schema_id)
        if known is None:
            self._by_id[schema_id] = RegisteredSchema(schema_id, canonical, _parse(canonical))
        elif known.schema_json != canonical:
            raise RegistryError(
                f"schema id collision on {schema_id} between {known.name or known.schema_json!r}"
                f" and {canonical[:80]!r}; change either schema's doc to separate them"
            )
        return schema_id

    def register(self, subject: str, schema_json: str) -> int:
        """Register under ``subject``; a new version must read every earlier one (BACKWARD)."""
        schema_id = self._add(schema_json)
        history = self._subjects.setdefault(subject, [])
        if schema_id in history:
            return schema_id
        new = self._by_id[schema_id]
        for old_id in history:
            problems = reader_problems(new.schema_json, self._by_id[old_id].schema_json)
            if problems:
                raise SchemaCompatibilityError(
                    f"{subject}: schema {schema_id} cannot read version with id {old_id}: "
                    + "; ".join(problems)
                )
        history.append(schema_id)
        return schema_id

    def by_id(self, schema_id: int) -> RegisteredSchema:
        try:
            return self._by_id[schema_id]
        except KeyError as exc:
            raise SchemaNotFoundError(f"no schema with id {schema_id} in avro/") from exc

    def latest(self, subject: str) -> SubjectVersion:
        history = self._subjects.get(subject)
        if not history:
            raise SchemaNotFoundError(f"subject {subject!r} has no schema registered")
        return SubjectVersion(subject, len(history), self._by_id[history[-1]])


def _normalise(schema_json: str) -> str:
    try:
        return canonical_json(json.loads(schema_json))
    except json.JSONDecodeError as exc:
        raise RegistryError(f"schema is not valid JSON: {exc}") from exc


class ConfluentRegistry:
    """Client of the Confluent Schema Registry REST API (Redpanda's registry speaks it).

    Requests are blocking (urllib) but happen once per subject/schema and once per unknown
    id thanks to the caches; a connection failure, timeout or 5xx raises the retriable
    :class:`RegistryUnavailableError`.
    """

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RegistryError(f"schema registry URL must be http(s)://host:port, got {url!r}")
        self._base = url.rstrip("/")
        self._timeout = timeout
        self._ids: dict[tuple[str, str], int] = {}
        self._by_id: dict[int, RegisteredSchema] = {}

    @property
    def url(self) -> str:
        return self._base

    def register(self, subject: str, schema_json: str) -> int:
        cached = self._ids.get((subject, schema_json))
        if cached is not None:
            return cached
        answer = self._request(
            "POST", f"/subjects/{_quoted(subject)}/versions", {"schema": schema_json}
        )
        schema_id = _int_field(answer, "id")
        self._ids[(subject, schema_json)] = schema_id
        self._by_id.setdefault(
            schema_id, RegisteredSchema(schema_id, schema_json, _parse(schema_json))
        )
        return schema_id

    def by_id(self, schema_id: int) -> RegisteredSchema:
        cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        answer = self._request("GET", f"/schemas/ids/{int(schema_id)}", None)
        schema = self._schema_from(answer, schema_id)
        self._by_id[schema_id] = schema
        return schema

    def latest(self, subject: str) -> SubjectVersion:
        answer = self._request("GET", f"/subjects/{_quoted(subject)}/versions/latest", None)
        schema_id = _int_field(answer, "id")
        schema = self._by_id.get(schema_id) or self._schema_from(answer, schema_id)
        self._by_id[schema_id] = schema
        return SubjectVersion(subject, _int_field(answer, "version"), schema)

    @staticmethod
    def _schema_from(answer: Any, schema_id: int) -> RegisteredSchema:
        kind = answer.get("schemaType", "AVRO") if isinstance(answer, dict) else "AVRO"
        if kind != "AVRO":
            raise RegistryError(f"schema {schema_id} is {kind}, not AVRO")
        text = answer.get("schema") if isinstance(answer, dict) else None
        if not isinstance(text, str):
            raise RegistryError(f"registry answer for schema {schema_id} has no schema: {answer!r}")
        return RegisteredSchema(schema_id, text, _parse(text))

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        url = self._base + path
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Accept": f"{_CONTENT_TYPE}, application/json"}
        if data is not None:
            headers["Content-Type"] = _CONTENT_TYPE
        request = Request(url, data=data, headers=headers, method=method)  # noqa: S310 - scheme checked in __init__
        try:
            with urlopen(request, timeout=self._timeout) as response:  # noqa: S310 - scheme checked in __init__
                payload = response.read()
        except HTTPError as exc:
            raise _http_error(method, url, exc) from exc
        except (URLError, TimeoutError, ConnectionError) as exc:
            raise RegistryUnavailableError(
                f"schema registry {self._base} unreachable: {exc}"
            ) from exc
        try:
            return json.loads(payload)
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{method} {url}: answer is not JSON: {payload[:200]!r}") from exc


def _quoted(subject: str) -> str:
    return quote(subject, safe="")


def _int_field(answer: Any, name: str) -> int:
    value = answer.get(name) if isinstance(answer, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RegistryError(f"registry answer has no integer {name!r}: {answer!r}")
    return value


def _http_error(method: str, url: str, exc: HTTPError) -> TapewireError:
    try:
        detail = json.loads(exc.read() or b"{}")
    except json.JSONDecodeError:
        detail = {}
    message = detail.get("message", exc.reason) if isinstance(detail, dict) else exc.reason
    code = detail.get("error_code") if isinstance(detail, dict) else None
    text = f"{method} {url}: HTTP {exc.code} (error_code {code}): {message}"
    if exc.code == 404:
        return SchemaNotFoundError(text)
    if exc.code == 409:
        return SchemaCompatibilityError(text)
    if exc.code >= 500 or exc.code == 429:
        return RegistryUnavailableError(text)
    return RegistryError(text)


def registry_from_settings(settings: Settings, store: SchemaStore | None = None) -> SchemaRegistry:
    """Confluent registry when ``schema_registry_url`` is set, else the local one."""
    if settings.schema_registry_url:
        return ConfluentRegistry(settings.schema_registry_url)
    return LocalRegistry(store if store is not None else SchemaStore.load())
