"""Settings of the Timescale sink (``TAPEWIRE_SINK_*``), on top of the shared Settings."""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from streams.errors import ConfigError

# Every topic holding an event type the sink has a table for. md.tick.raw (ticks before
# normalisation and de-duplication) is left out on purpose: md.tick holds the same trades.
DEFAULT_TOPICS: Final = (
    "md.tick",
    "md.bar",
    "indicator.value",
    "strategy.intent",
    "risk.approved",
    "risk.rejected",
    "risk.violation",
    "order.command",
    "order.event",
    "position.snapshot",
    "pnl.update",
    "system.deadletter",
)


class SinkSettings(BaseSettings):
    """What the sink consumes and how it batches and backs off.

    ``TAPEWIRE_SINK_TOPICS``: comma-separated logical topics (default: every event topic);
    ``TAPEWIRE_SINK_GROUP_ID``; ``TAPEWIRE_SINK_BATCH_SIZE``: records per database
    transaction; ``TAPEWIRE_SINK_RUN_ID``: the run id of records without a
    ``tapewire.run_id`` header (default ``live``); ``TAPEWIRE_SINK_BACKOFF_INITIAL_SECONDS``
    and ``TAPEWIRE_SINK_BACKOFF_MAX_SECONDS``: retry delays while the database is away;
    ``TAPEWIRE_SINK_METRICS_PORT``: where the sink serves its own /metrics (0 = the shared
    ``TAPEWIRE_METRICS_PORT`` when it runs standalone, nothing under the source host).
    """

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_SINK_", frozen=True, extra="forbid")

    topics: Annotated[tuple[str, ...], NoDecode] = Field(DEFAULT_TOPICS, min_length=1)
    group_id: str = Field("tapewire-sink", min_length=1)
    batch_size: int = Field(5000, gt=0, le=100_000)
    poll_timeout_seconds: float = Field(0.5, gt=0)
    run_id: str = Field("live", min_length=1)
    backoff_initial_seconds: float = Field(0.5, gt=0)
    backoff_max_seconds: float = Field(30.0, gt=0)
    connect_timeout_seconds: int = Field(5, gt=0)
    metrics_port: int = Field(0, ge=0, le=65535)

    @field_validator("topics", mode="before")
    @classmethod
    def _split_topics(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value


def load_sink_settings(**overrides: Any) -> SinkSettings:
    """Load and validate; raises :class:`ConfigError` naming the bad ``sink_*`` field."""
    try:
        return SinkSettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        env = f"TAPEWIRE_SINK_{field.upper()}"
        raise ConfigError(f"sink_{field}", f"{first['msg']} (env {env})") from exc
