"""Sink settings from the environment and the default topic list."""

from __future__ import annotations

import pytest
import yaml
from streams.errors import ConfigError
from streams.resources import resource_dir
from streams.sink.config import DEFAULT_TOPICS, load_sink_settings
from streams.sink.rows import supported_event_types


def test_topics_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_SINK_TOPICS", "md.tick, order.event ,")
    monkeypatch.setenv("TAPEWIRE_SINK_BATCH_SIZE", "250")
    settings = load_sink_settings()
    assert settings.topics == ("md.tick", "order.event")
    assert settings.batch_size == 250
    assert settings.run_id == "live"


def test_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEWIRE_SINK_BATCH_SIZE", "0")
    with pytest.raises(ConfigError, match="sink_batch_size") as info:
        load_sink_settings()
    assert "TAPEWIRE_SINK_BATCH_SIZE" in str(info.value)


def test_settings_are_frozen() -> None:
    settings = load_sink_settings()
    with pytest.raises(ValueError, match="frozen"):
        setattr(settings, "batch_size", 3)  # noqa: B010 - the assignment must fail at run time


def test_default_topics_are_every_sinkable_topic_of_topics_yaml() -> None:
    data = yaml.safe_load((resource_dir("topics") / "topics.yaml").read_text(encoding="utf-8"))
    schema_of = {t["name"]: t["value_schema"] for t in data["topics"]}
    assert set(DEFAULT_TOPICS) <= set(schema_of)
    sinkable = {name for name, schema in schema_of.items() if schema in supported_event_types()}
    # md.tick.raw holds the same trades as md.tick before normalisation
    assert sinkable - set(DEFAULT_TOPICS) == {"md.tick.raw"}
    assert {schema_of[name] for name in DEFAULT_TOPICS} == supported_event_types()
