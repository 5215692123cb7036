"""File feed: replays a CSV/Parquet file of bars (-> ``md.bar``) or ticks (-> ``md.tick.raw``).

Reads rows with :mod:`streams.marketdata.files` through a column mapping (YAML file with
the fields of :class:`~streams.marketdata.file_mapping.BarMapping` or
:class:`~streams.marketdata.file_mapping.TickMapping`). Without a path it replays the S&P
500 daily file shipped with ``arch`` as SPX bars (mapping ``SP500_DAILY``).

Settings (environment, ``TAPEWIRE_FILE_FEED_*``):

- ``PATH`` (unset): file to replay; unset = arch's S&P 500 daily file;
- ``KIND`` (``bars``): ``bars`` (published to md.bar) or ``ticks`` (to md.tick.raw);
- ``MAPPING`` (unset): YAML column mapping, required with a path;
- ``FEED`` (``file.<file name>``): feed name used in ids and tick sequences;
- ``SPEED`` (0): replay speed relative to event time, 0 = as fast as possible.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.clock import Clock
from streams.errors import ConfigError
from streams.marketdata.config import load_config
from streams.marketdata.file_mapping import BarMapping, TickMapping
from streams.marketdata.files import read_bars, read_ticks, sp500_daily
from streams.marketdata.instruments import load_instruments
from streams.marketdata.pacing import Pacer
from streams.marketdata.ticks import BAR_TOPIC, TICK_RAW_TOPIC, with_ingest_time
from streams.runtime.agent_spec import Publisher, SourceSpec
from streams.runtime.processor import Output
from streams.settings import Settings

NAME = "file_feed"


class FileFeedConfig(BaseSettings):
    """Settings of the file feed (``TAPEWIRE_FILE_FEED_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_FILE_FEED_", frozen=True, extra="ignore")

    path: Path | None = None
    kind: Literal["bars", "ticks"] = "bars"
    mapping: Path | None = None
    feed: str | None = None
    speed: float = Field(default=0.0, ge=0, description="0 = as fast as possible")


def load_mapping(path: Path, kind: Literal["bars", "ticks"]) -> BarMapping | TickMapping:
    """Read a YAML column mapping; errors name the mapping field."""
    if not path.is_file():
        raise ConfigError("file_feed.mapping", f"no such file: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError("file_feed.mapping", f"{path} is not valid YAML: {exc}") from exc
    model = BarMapping if kind == "bars" else TickMapping
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "mapping"
        raise ConfigError(f"file_feed.mapping.{field}", f"{first['msg']} ({path})") from exc


def events(config: FileFeedConfig) -> tuple[str, Iterator[dict[str, Any]]]:
    """The logical topic and the event values the configured file yields."""
    instruments = load_instruments()
    if config.path is None:
        if config.kind != "bars":
            raise ConfigError("file_feed.path", "the built-in S&P 500 sample holds bars")
        return BAR_TOPIC, sp500_daily(instruments)
    if config.mapping is None:
        raise ConfigError("file_feed.mapping", "a column mapping is required with a path")
    mapping = load_mapping(config.mapping, config.kind)
    if isinstance(mapping, BarMapping):
        return BAR_TOPIC, read_bars(config.path, mapping, instruments, feed=config.feed, agent=NAME)
    return TICK_RAW_TOPIC, read_ticks(
        config.path, mapping, instruments, feed=config.feed, agent=NAME
    )


def run(
    settings: Settings,
    publisher: Publisher,
    clock: Clock,
    should_stop: Callable[[], bool],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Publish every row of the file (paced by ``speed``), then flush and return."""
    del settings
    config = load_config(FileFeedConfig)
    topic, values = events(config)
    pacer = Pacer(clock, sleep, speed=config.speed)
    for value in values:
        if not pacer.wait_until_due(value["envelope"]["event_time"], should_stop):
            break
        stamped = with_ingest_time(value, clock.now())
        publisher.publish(Output(topic=topic, key=stamped["instrument"], value=stamped))
    publisher.flush()


AGENT = SourceSpec(
    name=NAME,
    run=run,
    description="replay a CSV/Parquet file of bars (md.bar) or ticks (md.tick.raw)",
)
