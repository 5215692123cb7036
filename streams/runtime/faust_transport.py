"""Faust's aiokafka transport with the fetch wait as a setting, by subclassing (no patching).

faust-streaming 0.15 builds its worker consumer with ``fetch_max_wait_ms=1500`` hard-coded
(``faust/transport/drivers/aiokafka.py``). On the embedded broker a waiting fetch does not
wake when data arrives, so every hop costs the whole wait. :class:`FetchWaitTransport` is the
transport an app built by :func:`streams.runtime.faust_app.create_app` uses: its consumer
thread builds the aiokafka consumer from the app's settings and the transport's
``fetch_wait_ms`` (``Settings.fetch_wait_ms``: 10 ms embedded, 500 ms on Redpanda).

:class:`TapewireConsumer` adds :meth:`TapewireConsumer.reposition`, the seek the fenced
recovery uses: after it Faust reads from the restored offset and commits follow the
processed position again, also when that is behind (or far ahead of) the old commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import aiokafka
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from faust.auth import SASLCredentials
from faust.transport.drivers.aiokafka import (
    AIOKafkaConsumerThread,
    Consumer,
    Transport,
    credentials_to_aiokafka_auth,
    server_list,
)
from faust.types import TP, AppT
from faust.types.transports import ConsumerT
from yarl import URL


class FetchWaitConsumerThread(AIOKafkaConsumerThread):
    """Builds the worker's aiokafka consumer with a configurable fetch wait."""

    def _create_worker_consumer(self, transport: Transport) -> aiokafka.AIOKafkaConsumer:
        conf = self.app.conf
        if conf.table_standby_replicas > 0 or self.app.tables.changelog_topics:
            raise ValueError("Tapewire agents use no Faust tables and no standby replicas")
        self._assignor = RoundRobinPartitionAssignor
        fetch_wait_ms = (
            transport.fetch_wait_ms if isinstance(transport, FetchWaitTransport) else 500
        )
        max_poll_interval_ms = int((conf.broker_max_poll_interval or 0) * 1000.0)
        return aiokafka.AIOKafkaConsumer(
            client_id=conf.broker_client_id,
            group_id=conf.id,
            group_instance_id=conf.consumer_group_instance_id,
            bootstrap_servers=server_list(transport.url, transport.default_port),
            partition_assignment_strategy=[self._assignor],
            enable_auto_commit=False,
            auto_offset_reset=conf.consumer_auto_offset_reset,
            max_poll_records=conf.broker_max_poll_records,
            max_poll_interval_ms=max_poll_interval_ms,
            max_partition_fetch_bytes=conf.consumer_max_fetch_size,
            fetch_max_wait_ms=fetch_wait_ms,
            request_timeout_ms=int(conf.broker_request_timeout * 1000.0),
            check_crcs=conf.broker_check_crcs,
            session_timeout_ms=int(conf.broker_session_timeout * 1000.0),
            rebalance_timeout_ms=int(conf.broker_rebalance_timeout * 1000.0),
            heartbeat_interval_ms=int(conf.broker_heartbeat_interval * 1000.0),
            isolation_level="read_uncommitted",
            metadata_max_age_ms=conf.consumer_metadata_max_age_ms,
            connections_max_idle_ms=conf.consumer_connections_max_idle_ms,
            **credentials_to_aiokafka_auth(conf.broker_credentials, conf.ssl_context),
        )


class TapewireConsumer(Consumer):
    """Faust's aiokafka consumer using :class:`FetchWaitConsumerThread`, with pinned positions.

    Faust seeks partitions to their committed offsets on its own schedule (table recovery
    after a rebalance, any fetch while the flow is paused). For an agent that recovers from
    snapshots the right position is the one its restored state reflects, whatever was
    committed: :meth:`pin_positions` makes every such seek go there instead.
    """

    _positions: Callable[[], Mapping[TP, int]] | None = None

    def _new_consumer_thread(self) -> FetchWaitConsumerThread:
        return FetchWaitConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def pin_positions(self, positions: Callable[[], Mapping[TP, int]]) -> None:
        """Seek "to committed" goes to ``positions()`` for the partitions it names."""
        self._positions = positions

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = dict(await super().seek_to_committed())
        if self._positions is not None:
            assigned = self.assignment()
            for tp, offset in self._positions().items():
                if tp in assigned:
                    await self.seek(tp, offset)
                    committed[tp] = offset
        return committed

    async def reposition(self, tp: TP, offset: int) -> None:
        """Read ``tp`` from ``offset`` next; commits then follow what is processed from there."""
        await self.seek(tp, offset)
        # Faust only commits offsets above the last commit it knows and contiguous with it;
        # after a recovery the restored position is the new baseline, whatever was committed.
        self._committed_offset[tp] = None


class FetchWaitTransport(Transport):
    """The aiokafka transport with :class:`TapewireConsumer` and a fetch wait setting."""

    Consumer: ClassVar[type[ConsumerT]] = TapewireConsumer

    def __init__(self, url: list[URL], app: AppT, *, fetch_wait_ms: int, **kwargs: Any) -> None:
        super().__init__(url, app, **kwargs)
        self.fetch_wait_ms = fetch_wait_ms


def sasl_credentials(username: str | None, password: str | None) -> SASLCredentials | None:
    """Faust credentials for SASL/PLAIN when a username is configured."""
    if username is None:
        return None
    return SASLCredentials(username=username, password=password or "")
