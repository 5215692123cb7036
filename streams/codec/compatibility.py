"""Schema evolution rules, checked statically with Avro's schema resolution rules.

The project requires *full transitive* compatibility between the versions of an event type:
every version reads data written by every earlier version (consumers upgraded first) and
every earlier version reads data written by a later one (producers upgraded first). In
practice that means: add a field only with a default, never remove a field without a default,
never change a field's type (Avro promotions such as int -> long pass :func:`reader_problems`
in one direction only, so the full check refuses them; logical types must stay the same), and
add enum symbols only to enums that declare a ``default``. See docs/schemas.md.

:func:`reader_problems` follows the resolution rules of the Avro specification (the same rules
fastavro applies when given a writer and a reader schema) and reports every violation instead
of failing on the first datum that happens to hit one.
"""

from __future__ import annotations

import json
from typing import Any, Final

from streams.codec.schemas import NAMED_KINDS, PRIMITIVES, SchemaStore
from streams.errors import SchemaCompatibilityError

_PROMOTIONS: Final[dict[str, frozenset[str]]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
_LOGICAL_KEYS: Final = ("logicalType", "precision", "scale")


def _named_table(node: Any, into: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Full name -> definition, for an expanded schema (full names everywhere)."""
    if isinstance(node, list):
        for branch in node:
            _named_table(branch, into)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind in NAMED_KINDS:
            into[str(node["name"])] = node
            for f in node.get("fields", []):
                _named_table(f["type"], into)
        elif kind == "array":
            _named_table(node["items"], into)
        elif kind == "map":
            _named_table(node["values"], into)
        elif isinstance(kind, dict | list):
            _named_table(kind, into)
    return into


class _Resolver:
    def __init__(self, reader: Any, writer: Any) -> None:
        self._reader_names = _named_table(reader, {})
        self._writer_names = _named_table(writer, {})
        self._in_progress: set[tuple[int, int]] = set()
        self.problems: list[str] = []

    def _resolve(self, node: Any, table: dict[str, dict[str, Any]]) -> Any:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return {"type": node}
            if node not in table:
                raise SchemaCompatibilityError(f"undefined type {node!r}")
            return table[node]
        if isinstance(node, dict) and isinstance(node.get("type"), dict | list):
            return self._resolve(node["type"], table)
        return node

    def check(self, reader: Any, writer: Any, path: str) -> bool:
        """True if ``reader`` can read everything ``writer`` writes; records problems."""
        reader = self._resolve(reader, self._reader_names)
        writer = self._resolve(writer, self._writer_names)
        if isinstance(writer, list):
            results = [self.check(reader, branch, path) for branch in writer]  # report every branch
            return all(results)
        if isinstance(reader, list):
            if any(self._silently(branch, writer) for branch in reader):
                return True
            return self._fail(path, f"no branch of {_brief(reader)} reads {_brief(writer)}")
        pair = (id(reader), id(writer))
        if pair in self._in_progress:
            return True  # a recursive type already being compared
        self._in_progress.add(pair)
        try:
            return self._check_same_kind(reader, writer, path)
        finally:
            self._in_progress.discard(pair)

    def _silently(self, reader: Any, writer: Any) -> bool:
        saved = list(self.problems)
        ok = self.check(reader, writer, "")
        self.problems = saved
        return ok

    def _check_same_kind(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> bool:
        r_kind, w_kind = reader["type"], writer["type"]
        if r_kind != w_kind:
            promotable = r_kind in _PROMOTIONS.get(w_kind, frozenset())
            if promotable and not (reader.get("logicalType") or writer.get("logicalType")):
                return True
            return self._fail(path, f"type changed from {_brief(writer)} to {_brief(reader)}")
        if r_kind in NAMED_KINDS:
            return self._named(reader, writer, path)
        if r_kind in ("array", "map"):
            part, suffix = ("items", "[]") if r_kind == "array" else ("values", "{}")
            return self.check(reader[part], writer[part], f"{path}{suffix}")
        if any(reader.get(k) != writer.get(k) for k in _LOGICAL_KEYS):
            changed = f"from {_brief(writer)} to {_brief(reader)}"
            return self._fail(path, f"logical type changed {changed}")
        return True

    def _named(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> bool:
        if not _same_name(reader, writer):
            return self._fail(path, f"name changed from {writer['name']} to {reader['name']}")
        kind = reader["type"]
        if kind == "enum":
            return self._enum(reader, writer, path)
        if kind == "fixed" and reader.get("size") != writer.get("size"):
            return self._fail(path, f"fixed size changed from {writer['size']} to {reader['size']}")
        if kind in ("record", "error"):
            return self._record(reader, writer, path)
        return True

    def _record(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> bool:
        written = {str(f["name"]): f for f in writer["fields"]}
        ok = True
        for field in reader["fields"]:
            names = [str(field["name"]), *field.get("aliases", [])]
            source = next((written[n] for n in names if n in written), None)
            where = f"{path}.{field['name']}" if path else str(field["name"])
            if source is not None:
                ok = self.check(field["type"], source["type"], where) and ok
            elif "default" not in field:
                ok = self._fail(where, "field is missing from the writer and has no default")
        return ok

    def _enum(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> bool:
        unknown = [s for s in writer["symbols"] if s not in reader["symbols"]]
        if unknown and "default" not in reader:
            return self._fail(path, f"symbols {unknown} unknown to the reader and no enum default")
        return True

    def _fail(self, path: str, problem: str) -> bool:
        self.problems.append(f"{path or '<root>'}: {problem}")
        return False


def _same_name(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    return reader["name"] == writer["name"] or writer["name"] in reader.get("aliases", [])


def _brief(node: Any) -> str:
    if isinstance(node, list):
        return "[" + ", ".join(_brief(b) for b in node) + "]"
    if isinstance(node, dict):
        if node.get("type") in NAMED_KINDS:
            return f"{node['type']} {node['name']}"
        extras = {k: node[k] for k in _LOGICAL_KEYS if k in node}
        return f"{node.get('type')}{json.dumps(extras) if extras else ''}"
    return str(node)


def reader_problems(reader: str | Any, writer: str | Any) -> list[str]:
    """Why ``reader`` cannot read data written with ``writer`` (empty list: it can).

    Both are expanded schemas (canonical JSON text or its parsed JSON structure).
    """
    r = json.loads(reader) if isinstance(reader, str) else reader
    w = json.loads(writer) if isinstance(writer, str) else writer
    resolver = _Resolver(r, w)
    resolver.check(r, w, "")
    return resolver.problems


def check_compatibility(store: SchemaStore, *, forward: bool = True) -> None:
    """Raise :class:`SchemaCompatibilityError` listing every pair of versions that break.

    Checks that each version reads every earlier one (backward) and, unless ``forward`` is
    false, that each version is read by every earlier one (forward).
    """
    problems: list[str] = []
    for event_type in store.event_types():
        versions = [store.get(event_type, v) for v in store.versions(event_type)]
        for i, older in enumerate(versions):
            for newer in versions[i + 1 :]:
                pairs = [(newer, older)] + ([(older, newer)] if forward else [])
                for reader, writer in pairs:
                    problems.extend(
                        f"{event_type} v{reader.version} cannot read v{writer.version}: {p}"
                        for p in reader_problems(reader.canonical, writer.canonical)
                    )
    if problems:
        raise SchemaCompatibilityError("incompatible schema versions:\n  " + "\n  ".join(problems))
