"""The embedded development stack: one Tansu broker plus one PostgreSQL server.

Both run as detached background processes that outlive the command that started them; their
pids are recorded in ``data_dir`` so ``stop`` ends only what ``start`` started. Used by
``tapewire dev up|status|down``, the integration-test fixtures and ``tapewire demo``::

    stack = EmbeddedStack(Path(".tapewire"), broker_port=19092, postgres_port=15432)
    stack.start()
    print(stack.bootstrap_servers, stack.database_url)
    stack.stop()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from streams.dev.broker import EmbeddedBroker
from streams.dev.postgres import EmbeddedPostgres
from streams.errors import StackError
from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    """What one component of the stack is doing right now."""

    name: str
    port: int
    url: str
    pid: int | None
    answering: bool

    @property
    def running(self) -> bool:
        return self.pid is not None

    def describe(self) -> str:
        state = f"running (pid {self.pid})" if self.running else "stopped"
        reply = "answering" if self.answering else "not answering"
        return f"{self.name:<9} {state:<22} port {self.port:<6} {reply:<14} {self.url}"


@dataclass(frozen=True, slots=True)
class StackStatus:
    """Status of the broker and the database."""

    broker: ComponentStatus
    postgres: ComponentStatus

    @property
    def components(self) -> tuple[ComponentStatus, ComponentStatus]:
        return (self.broker, self.postgres)

    @property
    def up(self) -> bool:
        """Both components run and answer."""
        return all(c.running and c.answering for c in self.components)


class EmbeddedStack:
    """Start, inspect and stop the embedded broker and PostgreSQL under ``data_dir``."""

    def __init__(
        self, data_dir: Path, broker_port: int = 19092, postgres_port: int = 15432
    ) -> None:
        if broker_port == postgres_port:
            raise StackError(f"broker and postgres cannot share port {broker_port}")
        self.data_dir = data_dir.expanduser().resolve()
        self.broker = EmbeddedBroker(self.data_dir, broker_port)
        self.postgres = EmbeddedPostgres(self.data_dir, postgres_port)

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedStack:
        return cls(settings.data_dir, settings.broker_port, settings.postgres_port)

    @property
    def bootstrap_servers(self) -> str:
        return self.broker.bootstrap_servers

    @property
    def database_url(self) -> str:
        return self.postgres.database_url

    def start(self, timeout: float = 30.0) -> StackStatus:
        """Start whatever is not running yet and wait until both answer (idempotent).

        If the database fails to start, a broker started by this call is stopped again, so a
        failed ``start`` leaves nothing new running.
        """
        broker_was_running = self.broker.record() is not None
        self.broker.start(timeout)
        try:
            self.postgres.start(timeout)
        except StackError:
            if not broker_was_running:
                self.broker.stop()
            raise
        return self.status()

    def stop(self) -> list[str]:
        """Stop both components this data_dir recorded; names of those that were running."""
        stopped: list[str] = []
        errors: list[str] = []
        for component in (self.postgres, self.broker):
            try:
                if component.stop():
                    stopped.append(component.name)
            except (OSError, StackError) as exc:
                errors.append(f"{component.name}: {exc}")
        if errors:
            raise StackError("; ".join(errors))
        return stopped

    def status(self) -> StackStatus:
        broker = self.broker.record()
        postgres = self.postgres.record()
        return StackStatus(
            broker=ComponentStatus(
                name=self.broker.name,
                port=self.broker.port,
                url=self.bootstrap_servers,
                pid=broker.pid if broker else None,
                answering=self.broker.answers(1.0),
            ),
            postgres=ComponentStatus(
                name=self.postgres.name,
                port=self.postgres.port,
                url=self.database_url,
                pid=postgres.pid if postgres else None,
                answering=self.postgres.answers(1.0),
            ),
        )
