"""Typed, validated topics/topics.yaml: every topic the platform uses.

Agents never spell topic names or their event types as literals; they look them up here::

    catalog = load_topics()
    catalog["md.tick"].value_schema      # "md.tick" -> avro/md.tick.v<N>.avsc
    settings.topic("md.tick")            # physical name (topic prefix + logical name)

A bad file raises :class:`streams.errors.ConfigError` whose field names the topic and the
field, e.g. ``topics.yaml: md.tick.partitions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from streams.errors import ConfigError
from streams.resources import resource_dir

CleanupPolicy = Literal["delete", "compact"]
EVERY_AGENT = "*"
"""``producers: ["*"]``: every agent writes to the topic (heartbeats, dead letters)."""

_NAME = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
_SCHEMA_FILE = re.compile(r"^(?P<type>[a-z][a-z0-9_.]*)\.v(?P<version>[0-9]+)\.avsc$")

Name = Annotated[str, Field(pattern=_NAME, max_length=200)]


class TopicSpec(BaseModel):
    """One topic: how it is created on the broker and what flows through it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    partitions: int = Field(ge=1, le=10_000)
    replication_factor: int = Field(ge=1, le=32)
    cleanup_policy: CleanupPolicy
    retention_ms: int = Field(ge=-1)
    key: str = Field(min_length=1, description="what the record key is, e.g. instrument")
    value_schema: Name
    producers: tuple[str, ...] = Field(min_length=1)
    description: str = Field(min_length=1)

    @field_validator("retention_ms")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must be -1 (forever) or a positive number of milliseconds")
        return value

    @property
    def compacted(self) -> bool:
        return self.cleanup_policy == "compact"

    def configs(self) -> dict[str, str]:
        """The broker topic configs this spec sets."""
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}


class TopicCatalog:
    """Every topic of topics.yaml, looked up by logical name."""

    def __init__(self, topics: tuple[TopicSpec, ...], source: Path | None = None) -> None:
        self._topics = {topic.name: topic for topic in topics}
        self.source = source

    def __getitem__(self, name: str) -> TopicSpec:
        try:
            return self._topics[name]
        except KeyError:
            raise ConfigError("topic", f"{name!r} is not in topics.yaml") from None

    def get(self, name: str) -> TopicSpec | None:
        return self._topics.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._topics

    def __iter__(self) -> Iterator[TopicSpec]:
        return iter(self._topics.values())

    def __len__(self) -> int:
        return len(self._topics)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._topics)

    def check_schemas(self, avro_dir: Path | None = None) -> None:
        """Raise ConfigError naming the first topic whose value schema has no .avsc file."""
        available = schema_types(avro_dir if avro_dir is not None else resource_dir("avro"))
        for topic in self:
            if topic.value_schema not in available:
                raise ConfigError(
                    f"topics.yaml: {topic.name}.value_schema",
                    f"no avro/{topic.value_schema}.v<N>.avsc exists",
                )


def schema_types(avro_dir: Path) -> set[str]:
    """Event types that have at least one ``<type>.v<N>.avsc`` file in ``avro_dir``."""
    found = (_SCHEMA_FILE.match(path.name) for path in avro_dir.glob("*.avsc"))
    return {match["type"] for match in found if match is not None}


def default_topics_file() -> Path:
    return resource_dir("topics") / "topics.yaml"


def load_topics(path: Path | None = None) -> TopicCatalog:
    """Load and validate topics.yaml (the project's own when ``path`` is None)."""
    file = path if path is not None else default_topics_file()
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError("topics.yaml", f"cannot read {file}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError("topics.yaml", f"{file} is not valid YAML: {exc}") from exc
    return parse_topics(document, source=file)


def parse_topics(document: Any, source: Path | None = None) -> TopicCatalog:
    """Validate a loaded topics document (``{"topics": [ {...}, ... ]}``)."""
    if not isinstance(document, dict) or set(document) != {"topics"}:
        raise ConfigError("topics.yaml", "must be a mapping with exactly one key, 'topics'")
    entries = document["topics"]
    if not isinstance(entries, list) or not entries:
        raise ConfigError("topics.yaml: topics", "must be a non-empty list of topics")
    topics: list[TopicSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        label = _label(entry, index)
        try:
            topic = TopicSpec.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "entry"
            raise ConfigError(f"topics.yaml: {label}.{where}", first["msg"]) from exc
        if topic.name in seen:
            raise ConfigError(f"topics.yaml: {label}.name", "appears more than once")
        seen.add(topic.name)
        topics.append(topic)
    return TopicCatalog(tuple(topics), source)


def _label(entry: Any, index: int) -> str:
    """The topic's name if it has a usable one, else its position in the list."""
    if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]:
        return str(entry["name"])
    return f"topics[{index}]"
