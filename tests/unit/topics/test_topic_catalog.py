"""topics/topics.yaml: every topic is there, well-formed, and names an existing schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from streams.errors import ConfigError
from streams.resources import resource_dir
from streams.topics.spec import (
    TopicCatalog,
    load_topics,
    parse_topics,
    schema_types,
)

# name: (partitions, cleanup policy, key, value schema)
EXPECTED: dict[str, tuple[int, str, str, str]] = {
    "md.tick.raw": (3, "delete", "instrument", "md.tick"),
    "md.tick": (3, "delete", "instrument", "md.tick"),
    "md.gap": (3, "delete", "instrument", "md.gap"),
    "md.bar": (3, "delete", "instrument", "md.bar"),
    "indicator.value": (3, "delete", "instrument", "indicator.value"),
    "ml.advice": (3, "delete", "instrument", "ml.advice"),
    "strategy.intent": (1, "delete", "account", "strategy.intent"),
    "risk.approved": (1, "delete", "account", "risk.decision"),
    "risk.rejected": (1, "delete", "account", "risk.decision"),
    "risk.violation": (1, "delete", "scope", "risk.violation"),
    "order.command": (1, "delete", "account", "order.command"),
    "order.event": (1, "delete", "account", "order.event"),
    "pnl.update": (1, "delete", "scope", "pnl.update"),
    "position.snapshot": (1, "compact", "account:strategy:instrument", "position.snapshot"),
    "system.control": (1, "compact", "scope:target", "system.control"),
    "system.heartbeat": (1, "delete", "agent:instance", "system.heartbeat"),
    "system.deadletter": (1, "delete", "agent:instance", "system.deadletter"),
    "md.normalizer.snapshot": (3, "compact", "agent:instance", "system.snapshot"),
    "md.bars.snapshot": (3, "compact", "agent:instance", "system.snapshot"),
    "indicator.snapshot": (3, "compact", "agent:instance", "system.snapshot"),
    "strategy.snapshot": (1, "compact", "agent:instance", "system.snapshot"),
    "risk.snapshot": (1, "compact", "agent:instance", "system.snapshot"),
    "order.snapshot": (1, "compact", "agent:instance", "system.snapshot"),
    "order.exchange.snapshot": (1, "compact", "agent:instance", "system.snapshot"),
    "pnl.snapshot": (1, "compact", "agent:instance", "system.snapshot"),
    "sample.total": (3, "delete", "instrument", "sample.total"),
    "sample.snapshot": (3, "compact", "agent:instance", "system.snapshot"),
}


def _topic(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "md.tick",
        "partitions": 3,
        "replication_factor": 1,
        "cleanup_policy": "delete",
        "retention_ms": 1000,
        "key": "instrument",
        "value_schema": "md.tick",
        "producers": ["tick_normalizer"],
        "description": "ticks",
    }
    base.update(changes)
    return base


def _error(document: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_topics(document)
    return caught.value


def test_every_topic_names_an_existing_avro_schema() -> None:
    catalog = load_topics()
    available = schema_types(resource_dir("avro"))

    missing = {t.name: t.value_schema for t in catalog if t.value_schema not in available}

    assert missing == {}
    catalog.check_schemas()


def test_the_file_holds_exactly_the_platform_topics() -> None:
    catalog = load_topics()

    actual = {t.name: (t.partitions, t.cleanup_policy, t.key, t.value_schema) for t in catalog}

    assert actual == EXPECTED


def test_snapshot_and_control_topics_are_compacted_and_kept_forever() -> None:
    for topic in load_topics():
        if topic.name.endswith(".snapshot") or topic.name == "system.control":
            assert topic.compacted, topic.name
            assert topic.retention_ms == -1, topic.name
        else:
            assert not topic.compacted, topic.name


def test_lookup_by_logical_name() -> None:
    catalog = load_topics()

    assert catalog["risk.approved"].value_schema == "risk.decision"
    assert catalog["md.tick"].configs() == {
        "cleanup.policy": "delete",
        "retention.ms": "604800000",
    }
    assert "md.tick" in catalog
    assert catalog.get("md.nothing") is None
    with pytest.raises(ConfigError, match=re.escape("'md.nothing' is not in topics.yaml")):
        _ = catalog["md.nothing"]


def test_a_bad_field_names_the_topic_and_the_field() -> None:
    error = _error({"topics": [_topic(partitions=0)]})

    assert error.field == "topics.yaml: md.tick.partitions"
    assert "greater than or equal to 1" in str(error)


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (_topic(cleanup_policy="compacted"), "topics.yaml: md.tick.cleanup_policy"),
        (_topic(retention_ms=0), "topics.yaml: md.tick.retention_ms"),
        (_topic(retention_ms=-2), "topics.yaml: md.tick.retention_ms"),
        (_topic(producers=[]), "topics.yaml: md.tick.producers"),
        (_topic(colour="red"), "topics.yaml: md.tick.colour"),
        (_topic(value_schema="Md Tick"), "topics.yaml: md.tick.value_schema"),
        (_topic(name="MD.TICK"), "topics.yaml: MD.TICK.name"),
        ({"partitions": 1}, "topics.yaml: topics[0].name"),
    ],
)
def test_invalid_entries_are_rejected(entry: dict[str, Any], field: str) -> None:
    assert _error({"topics": [entry]}).field == field


def test_duplicate_names_and_bad_shapes_are_rejected() -> None:
    assert _error({"topics": [_topic(), _topic()]}).field == "topics.yaml: md.tick.name"
    assert _error({"topics": []}).field == "topics.yaml: topics"
    assert _error(["md.tick"]).field == "topics.yaml"
    assert _error({"topics": [_topic()], "extra": 1}).field == "topics.yaml"


def test_a_value_schema_without_an_avsc_file_names_the_topic(tmp_path: Path) -> None:
    (tmp_path / "md.tick.v1.avsc").write_text("{}", encoding="utf-8")
    (tmp_path / "md.tick.v2.avsc").write_text("{}", encoding="utf-8")
    catalog = parse_topics({"topics": [_topic(), _topic(name="md.bar", value_schema="md.bar")]})

    assert schema_types(tmp_path) == {"md.tick"}
    with pytest.raises(ConfigError) as caught:
        catalog.check_schemas(tmp_path)
    assert caught.value.field == "topics.yaml: md.bar.value_schema"


def test_load_topics_reports_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_topics(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("topics: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_topics(broken)
    good = tmp_path / "topics.yaml"
    good.write_text(yaml.safe_dump({"topics": [_topic()]}), encoding="utf-8")
    loaded = load_topics(good)
    assert isinstance(loaded, TopicCatalog)
    assert loaded.names == ("md.tick",)
    assert loaded.source == good
