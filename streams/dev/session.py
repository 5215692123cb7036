"""A broker + database for a session of tests or a demo: external when configured, else embedded.

``TAPEWIRE_BOOTSTRAP_SERVERS`` and ``TAPEWIRE_DATABASE_URL`` (when set) point at external
services, e.g. Redpanda and TimescaleDB from docker-compose; whatever is not given is started
embedded (Tansu, PostgreSQL) on a free port under ``data_dir``, lazily, when first asked for.
:meth:`StackSession.stop` stops only what the session started.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from streams.dev.broker import EmbeddedBroker
from streams.dev.postgres import EmbeddedPostgres
from streams.dev.process import free_port
from streams.errors import StackError
from streams.settings import Settings, load_settings


class StackSession:
    """The broker and database of one session; embedded components start on first use."""

    def __init__(
        self,
        data_dir: Path,
        *,
        bootstrap_servers: str | None = None,
        database_url: str | None = None,
    ) -> None:
        self._external_bootstrap = bootstrap_servers
        self._external_database = database_url
        self._data_dir = data_dir
        self._broker: EmbeddedBroker | None = None
        self._postgres: EmbeddedPostgres | None = None

    @classmethod
    def from_environment(cls, data_dir: Path) -> StackSession:
        """External services named by ``TAPEWIRE_BOOTSTRAP_SERVERS``/``_DATABASE_URL``, if set."""
        return cls(
            data_dir,
            bootstrap_servers=os.environ.get("TAPEWIRE_BOOTSTRAP_SERVERS") or None,
            database_url=os.environ.get("TAPEWIRE_DATABASE_URL") or None,
        )

    @property
    def embedded(self) -> bool:
        """True when the broker is the embedded Tansu (its known deviations apply)."""
        return self._external_bootstrap is None

    @property
    def bootstrap_servers(self) -> str:
        if self._external_bootstrap is not None:
            return self._external_bootstrap
        if self._broker is None:
            broker = EmbeddedBroker(self._data_dir, free_port())
            broker.start()
            self._broker = broker
        return self._broker.bootstrap_servers

    @property
    def database_url(self) -> str:
        if self._external_database is not None:
            return self._external_database
        if self._postgres is None:
            postgres = EmbeddedPostgres(self._data_dir, free_port())
            postgres.start()
            self._postgres = postgres
        return self._postgres.database_url

    def settings(self, **overrides: Any) -> Settings:
        """Settings for this session (profile ``embedded`` on the embedded broker).

        On an external broker the profile is ``TAPEWIRE_PROFILE`` or ``redpanda``.
        """
        profile = "embedded" if self.embedded else os.environ.get("TAPEWIRE_PROFILE", "redpanda")
        values: dict[str, Any] = {
            "profile": profile,
            "bootstrap_servers": self.bootstrap_servers,
            "database_url": self.database_url,
            "data_dir": self._data_dir,
        }
        values.update(overrides)
        return load_settings(**values)

    def stop(self) -> None:
        """Stop what this session started (database first, then broker)."""
        errors: list[str] = []
        for component in (self._postgres, self._broker):
            if component is None:
                continue
            try:
                component.stop()
            except (StackError, OSError) as exc:  # stop the other one too, then report
                errors.append(f"{component.name}: {exc}")
        self._postgres = self._broker = None
        if errors:
            raise StackError("; ".join(errors))
