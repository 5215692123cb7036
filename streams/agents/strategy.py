"""The strategy agent: bars + indicator values (+ ML advice, control) -> ``strategy.intent``.

Configuration (environment):

==================================  =========================================================
variable                            meaning
==================================  =========================================================
``TAPEWIRE_STRATEGIES``             comma-separated strategy references: YAML file paths,
                                    ``package.module:ClassName`` or entry-point names (group
                                    ``tapewire.strategies``); default: the packaged
                                    ``streams/strategy/examples/sma_cross.yaml``
``TAPEWIRE_STRATEGY_RELOAD_SECONDS`` how often YAML files are checked for changes (mtime)
``TAPEWIRE_STRATEGY_MAX_PENDING``   bars per instrument the join may hold (see join.py)
==================================  =========================================================

Hot reload: on each timer tick due, every configured YAML file whose modification time
changed is re-read and handed to :meth:`StrategyProcessor.reload`: a higher version replaces
the running one, an unchanged file is a no-op, and a changed file with the same or a lower
version (or an invalid file) is refused, logged and counted; the running version keeps
trading. File reads happen here, at the edge; the processor stays pure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.errors import ConfigError
from streams.indicators.registry import IndicatorSpec
from streams.runtime.agent_spec import AgentSpec
from streams.runtime.processor import Output
from streams.settings import Settings
from streams.strategy.base import Strategy
from streams.strategy.examples import SMA_CROSS
from streams.strategy.loading import is_yaml_reference, load_strategies, required_indicators
from streams.strategy.processor import StrategyProcessor
from streams.strategy.yaml_loader import load_strategy_file

ENV_VARIABLE: Final = "TAPEWIRE_STRATEGIES"
_log = logging.getLogger(__name__)


class StrategyAgentSettings(BaseSettings):
    """Settings of the strategy agent (environment ``TAPEWIRE_*``)."""

    model_config = SettingsConfigDict(env_prefix="TAPEWIRE_", frozen=True, extra="ignore")

    strategies: str = Field(
        default=str(SMA_CROSS),
        description="comma-separated YAML paths, module:Class paths or entry-point names",
    )
    strategy_reload_seconds: float = Field(
        default=5.0, gt=0, description="seconds between checks of the YAML files"
    )
    strategy_max_pending: int = Field(
        default=64, ge=1, description="pending bars per instrument in the join buffer"
    )

    @property
    def references(self) -> tuple[str, ...]:
        """The configured strategy references; ConfigError when there are none."""
        items = tuple(item.strip() for item in self.strategies.split(",") if item.strip())
        if not items:
            raise ConfigError(ENV_VARIABLE, "no strategy configured")
        return items


def load_agent_settings(**overrides: Any) -> StrategyAgentSettings:
    """Validated agent settings; ConfigError naming the variable on a bad value."""
    try:
        return StrategyAgentSettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "strategies"
        raise ConfigError(f"TAPEWIRE_{field.upper()}", str(first["msg"])) from exc


def configured_strategies(settings: StrategyAgentSettings | None = None) -> list[Strategy]:
    """Load every configured strategy; StrategyConfigError names the file, line and name."""
    chosen = settings if settings is not None else load_agent_settings()
    return load_strategies(chosen.references)


def configured_indicator_specs(
    settings: StrategyAgentSettings | None = None,
) -> list[IndicatorSpec]:
    """The union of indicator specs the configured strategies need (indicators, backtest)."""
    return required_indicators(configured_strategies(settings))


class ReloadingStrategyProcessor(StrategyProcessor):
    """A :class:`StrategyProcessor` that polls its YAML files in :meth:`on_timer`."""

    def __init__(
        self,
        strategies: Sequence[Strategy],
        *,
        files: Sequence[Path],
        poll_seconds: float,
        max_pending_bars: int = 64,
    ) -> None:
        super().__init__(strategies, max_pending_bars=max_pending_bars)
        self._files = tuple(files)
        self._poll = timedelta(seconds=poll_seconds)
        self._next_poll: datetime | None = None
        self._mtimes = {path: _mtime(path) for path in self._files}
        self._reported_error: str | None = None

    def on_timer(self, now: datetime) -> list[Output]:
        if self.last_error is not None and self.last_error != self._reported_error:
            self._reported_error = self.last_error
            _log.error("strategy failed: %s", self.last_error, extra={"agent": self.name})
        if self._next_poll is not None and now < self._next_poll:
            return []
        self._next_poll = now + self._poll
        for path in self._files:
            mtime = _mtime(path)
            if mtime is None or mtime == self._mtimes.get(path):
                continue
            self._mtimes[path] = mtime
            self._reload_file(path)
        return []

    def _reload_file(self, path: Path) -> None:
        try:
            strategy = load_strategy_file(path)
        except ConfigError as exc:
            self._counters["reload_invalid"] += 1
            _log.error("strategy file invalid, not reloaded: %s", exc, extra={"agent": self.name})
            return
        try:
            accepted = self.reload(strategy)
        except ConfigError as exc:  # counted as reload_refused by the processor
            _log.error("strategy reload refused: %s", exc, extra={"agent": self.name})
            return
        if accepted:
            _log.info(
                "strategy %s reloaded at version %d from %s",
                strategy.name,
                strategy.version,
                path,
                extra={"agent": self.name},
            )


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError as exc:
        _log.warning("cannot stat strategy file %s: %s", path, exc, extra={"agent": "strategy"})
        return None


def build(settings: Settings) -> StrategyProcessor:
    """The processor for ``tapewire agent strategy``; strategies from ``TAPEWIRE_STRATEGIES``."""
    del settings  # the platform settings carry nothing the processor needs
    agent_settings = load_agent_settings()
    strategies = configured_strategies(agent_settings)
    files = [Path(ref) for ref in agent_settings.references if is_yaml_reference(ref)]
    return ReloadingStrategyProcessor(
        strategies,
        files=files,
        poll_seconds=agent_settings.strategy_reload_seconds,
        max_pending_bars=agent_settings.strategy_max_pending,
    )


AGENT = AgentSpec(
    name=StrategyProcessor.name,
    host="faust",
    build=build,
    snapshot_topic="strategy.snapshot",
    description="YAML and plug-in strategies (TAPEWIRE_STRATEGIES) over bars and indicators "
    "-> strategy.intent",
)
