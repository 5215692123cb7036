"""Loading the Avro contracts in avro/ into parsed, self-contained schemas.

Files are named ``<name>.v<N>.avsc``. A name without a dot (``envelope``, ``common``) holds
shared named types that event schemas reference by full name (``tapewire.common.Envelope``);
``common`` is a JSON array of enums. A dotted name is an event type (``md.tick``) at version N.

Each event schema is expanded into its *canonical* form: every referenced named type is
inlined at its first use, every name is written as a full name and later uses refer to it by
that full name. The canonical JSON is what a registry stores and what ids and fingerprints are
computed from; the parsed form (fastavro) is parsed from the canonical JSON alone, so what is
registered and what is used locally cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import fastavro
from fastavro.schema import SchemaParseException, UnknownType

from streams.codec.errors import SchemaDefinitionError
from streams.decimals import PRECISION, SCALE
from streams.errors import SchemaNotFoundError
from streams.resources import resource_dir

PRIMITIVES: Final = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
NAMED_KINDS: Final = frozenset({"record", "error", "enum", "fixed"})
ENVELOPE: Final = "tapewire.common.Envelope"
_FILE_NAME: Final = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)\.v(?P<v>[1-9]\d*)$"
)

ParsedSchema = Any  # fastavro's parsed schema: a dict, list or str as fastavro returns it


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    """One version of one event type."""

    event_type: str
    version: int
    record_name: str  # full Avro name of the top-level record, e.g. tapewire.md.Tick
    canonical: str  # fully expanded JSON, compact, as registered
    fingerprint: str  # sha256 hex of ``canonical``
    parsed: ParsedSchema = field(repr=False, compare=False)
    path: Path | None = field(default=None, compare=False)


def _full_name(name: str, namespace: str | None) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def _namespace_of(full_name: str) -> str | None:
    space, _, _ = full_name.rpartition(".")
    return space or None


class _Expander:
    """Inlines referenced named types; each defined once, later uses by full name."""

    def __init__(self, shared: Mapping[str, Any]) -> None:
        self._shared = shared
        self._defined: set[str] = set()

    def expand(self, node: Any, namespace: str | None) -> Any:
        if isinstance(node, str):
            return self._reference(node, namespace)
        if isinstance(node, list):
            return [self.expand(branch, namespace) for branch in node]
        if not isinstance(node, dict) or "type" not in node:
            raise SchemaDefinitionError(f"not an Avro schema: {node!r}")
        kind = node["type"]
        if kind in NAMED_KINDS:
            return self._named(node, namespace)
        out = dict(node)
        if kind == "array":
            out["items"] = self.expand(node["items"], namespace)
        elif kind == "map":
            out["values"] = self.expand(node["values"], namespace)
        elif not (isinstance(kind, str) and kind in PRIMITIVES):
            out["type"] = self.expand(kind, namespace)
        return out

    def _reference(self, name: str, namespace: str | None) -> Any:
        if name in PRIMITIVES:
            return name
        full = _full_name(name, namespace)
        if full in self._defined:
            return full
        definition = self._shared.get(full)
        if definition is None:
            raise SchemaDefinitionError(f"unknown type {name!r} (resolved as {full!r})")
        return self.expand(definition, _namespace_of(full))

    def _named(self, node: Mapping[str, Any], namespace: str | None) -> dict[str, Any]:
        full = _full_name(str(node["name"]), node.get("namespace", namespace))
        if full in self._defined:
            raise SchemaDefinitionError(f"named type {full!r} is defined twice")
        self._defined.add(full)
        out = {k: v for k, v in node.items() if k != "namespace"}
        out["name"] = full
        if node["type"] in ("record", "error"):
            inner = _namespace_of(full)
            out["fields"] = [
                {**f, "type": self.expand(f["type"], inner)} for f in node.get("fields", [])
            ]
        return out


def expand(schema: Any, shared: Mapping[str, Any]) -> Any:
    """Self-contained copy of ``schema`` with the ``shared`` named types it uses inlined."""
    return _Expander(shared).expand(schema, None)


def canonical_json(schema: Any) -> str:
    """Compact JSON of an expanded schema (key order kept: field order matters in Avro)."""
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def parse_canonical(canonical: str) -> ParsedSchema:
    """Parse a self-contained schema JSON with fastavro; errors become SchemaDefinitionError."""
    try:
        return fastavro.parse_schema(json.loads(canonical))
    except (SchemaParseException, UnknownType, ValueError, TypeError, KeyError) as exc:
        raise SchemaDefinitionError(f"invalid Avro schema: {exc}") from exc


def fingerprint(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _collect_named(node: Any, namespace: str | None, into: dict[str, Any]) -> None:
    """Register every named type defined in a shared schema under its full name."""
    if isinstance(node, list):
        for branch in node:
            _collect_named(branch, namespace, into)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind in NAMED_KINDS:
        full = _full_name(str(node["name"]), node.get("namespace", namespace))
        if full in into:
            raise SchemaDefinitionError(f"shared named type {full!r} is defined twice")
        into[full] = {**node, "name": full}
        into[full].pop("namespace", None)
        for f in node.get("fields", []):
            _collect_named(f["type"], _namespace_of(full), into)
    elif kind == "array":
        _collect_named(node["items"], namespace, into)
    elif kind == "map":
        _collect_named(node["values"], namespace, into)


def _nonstandard_decimals(node: Any, path: str) -> list[str]:
    """Paths of decimals that are not the platform's decimal(38, 9)."""
    if isinstance(node, list):
        return [p for branch in node for p in _nonstandard_decimals(branch, path)]
    if not isinstance(node, dict):
        return []
    if node.get("logicalType") == "decimal":
        standard = node.get("precision") == PRECISION and node.get("scale") == SCALE
        return [] if standard else [path or "<root>"]
    found = [
        p
        for f in node.get("fields", [])
        for p in _nonstandard_decimals(f["type"], f"{path}.{f['name']}" if path else f["name"])
    ]
    for key in ("items", "values", "type"):
        if isinstance(node.get(key), dict | list):
            found += _nonstandard_decimals(node[key], path)
    return found


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SchemaDefinitionError(f"{path}: cannot read schema: {exc}") from exc


class SchemaStore:
    """Every event schema of avro/, by event type and version."""

    def __init__(self, shared: Mapping[str, Any], versions: list[SchemaVersion]) -> None:
        self._shared = dict(shared)
        self._by_type: dict[str, dict[int, SchemaVersion]] = {}
        self._by_record: dict[str, str] = {}
        self._by_fingerprint: dict[str, SchemaVersion] = {}
        for sv in versions:
            self._by_type.setdefault(sv.event_type, {})[sv.version] = sv
            owner = self._by_record.setdefault(sv.record_name, sv.event_type)
            if owner != sv.event_type:
                raise SchemaDefinitionError(
                    f"record {sv.record_name} is used by both {owner} and {sv.event_type}"
                )
            self._by_fingerprint[sv.fingerprint] = sv
        self._inline_cache: dict[str, ParsedSchema] = {}

    @classmethod
    def load(cls, dir: Path | None = None) -> SchemaStore:
        """Load avro/ (or ``dir``): shared named types first, then every event version."""
        root = dir if dir is not None else resource_dir("avro")
        files: list[tuple[str, int, Path]] = []
        for path in sorted(root.glob("*.avsc")):
            match = _FILE_NAME.match(path.name.removesuffix(".avsc"))
            if match is None:
                raise SchemaDefinitionError(f"{path}: expected a name like md.tick.v1.avsc")
            files.append((match["name"], int(match["v"]), path))
        shared: dict[str, Any] = {}
        shared_names: set[str] = set()
        for name, _, path in files:
            if "." not in name:
                if name in shared_names:
                    raise SchemaDefinitionError(
                        f"{path}: shared types evolve in place; keep one version of {name}"
                    )
                shared_names.add(name)
                _collect_named(_read_json(path), None, shared)
        versions = [
            _load_version(name, version, path, shared)
            for name, version, path in files
            if "." in name
        ]
        if not versions:
            raise SchemaDefinitionError(f"{root}: no event schemas (<type>.v<N>.avsc) found")
        return cls(shared, versions)

    def event_types(self) -> list[str]:
        return sorted(self._by_type)

    def versions(self, event_type: str) -> list[int]:
        return sorted(self._versions_of(event_type))

    def latest(self, event_type: str) -> SchemaVersion:
        known = self._versions_of(event_type)
        return known[max(known)]

    def get(self, event_type: str, version: int) -> SchemaVersion:
        known = self._versions_of(event_type)
        if version not in known:
            raise SchemaNotFoundError(
                f"{event_type} has no version {version} (has {sorted(known)})"
            )
        return known[version]

    def all_versions(self) -> list[SchemaVersion]:
        return [self._by_type[t][v] for t in self.event_types() for v in self.versions(t)]

    def event_type_of_record(self, record_name: str) -> str | None:
        """The event type whose top-level record has this full name, if any."""
        return self._by_record.get(record_name)

    def by_fingerprint(self, value: str) -> SchemaVersion | None:
        return self._by_fingerprint.get(value)

    @property
    def shared_types(self) -> Mapping[str, Any]:
        """The shared named types (full name -> JSON definition)."""
        return self._shared

    def expand_inline(self, schema: Any) -> str:
        """Canonical JSON of an inline schema that may use the shared named types."""
        return canonical_json(expand(schema, self._shared))

    def parse_inline(self, schema: Any) -> ParsedSchema:
        """Parse a processor state schema (may reference shared types); cached by content."""
        canonical = self.expand_inline(schema)
        parsed = self._inline_cache.get(canonical)
        if parsed is None:
            parsed = parse_canonical(canonical)
            self._inline_cache[canonical] = parsed
        return parsed

    def _versions_of(self, event_type: str) -> dict[int, SchemaVersion]:
        known = self._by_type.get(event_type)
        if not known:
            raise SchemaNotFoundError(f"no schema for event type {event_type!r}")
        return known


def _load_version(
    event_type: str, version: int, path: Path, shared: Mapping[str, Any]
) -> SchemaVersion:
    raw = _read_json(path)
    if not isinstance(raw, dict) or raw.get("type") != "record":
        raise SchemaDefinitionError(f"{path}: an event schema must be a record")
    fields = raw.get("fields") or []
    if not fields or fields[0].get("name") != "envelope" or fields[0].get("type") != ENVELOPE:
        raise SchemaDefinitionError(
            f"{path}: the first field must be 'envelope' of type {ENVELOPE}"
        )
    try:
        expanded = expand(raw, shared)
    except SchemaDefinitionError as exc:
        raise SchemaDefinitionError(f"{path}: {exc}") from exc
    bad_decimals = sorted(_nonstandard_decimals(expanded, ""))
    if bad_decimals:
        raise SchemaDefinitionError(
            f"{path}: decimals must be decimal({PRECISION},{SCALE}) (streams.decimals): "
            + ", ".join(bad_decimals)
        )
    canonical = canonical_json(expanded)
    try:
        parsed = parse_canonical(canonical)
    except SchemaDefinitionError as exc:
        raise SchemaDefinitionError(f"{path}: {exc}") from exc
    return SchemaVersion(
        event_type=event_type,
        version=version,
        record_name=str(expanded["name"]),
        canonical=canonical,
        parsed=parsed,
        fingerprint=fingerprint(canonical),
        path=path,
    )
