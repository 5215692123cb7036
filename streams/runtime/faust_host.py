"""The Faust host: a faust-streaming agent around :class:`~streams.runtime.engine.AgentEngine`.

The agent reads its inputs as raw bytes (decoding is the engine's, so an undecodable record
becomes a dead letter instead of a Faust decode error), takes batches of events, lets the
engine process them, produces the encoded outputs and **awaits their delivery** before the
batch is acknowledged — Faust commits only acknowledged offsets, so the effect always
precedes the commit. Due snapshots are written after the outputs are durable.

Startup follows the fenced protocol: when partitions are assigned the host recovers the
instances (fence, read to the fence, restore) and repositions the inputs to the restored
offsets (:meth:`TapewireConsumer.reposition`); the consumer's own "seek to committed" is
pinned to those positions (whenever Faust runs it), and :class:`OrderGate` keeps records
Faust fetched before the seek from being processed out of order. SIGTERM: stop taking
batches, write final snapshots, commit, stop the app, exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import faust
from faust.types import TP, EventT, StreamT

from streams.errors import TapewireError
from streams.runtime.broadcast import BroadcastReader
from streams.runtime.emitter import BatchInterruptedError, ProduceRequest, RawRecord
from streams.runtime.faust_app import create_app
from streams.runtime.faust_transport import TapewireConsumer
from streams.runtime.host_base import HostContext
from streams.runtime.order_gate import OrderGate
from streams.runtime.recovery import EARLIEST

logger = logging.getLogger(__name__)


class FaustHost:
    """Runs one agent on faust-streaming until SIGTERM/SIGINT; see the module docstring."""

    def __init__(self, context: HostContext, *, batch_size: int = 1000) -> None:
        self.context = context
        self._engine = context.engine
        self._batch_size = batch_size
        self._within = max(context.settings.fetch_wait_ms or 0, 5) / 1000.0
        self._gate = OrderGate()
        self._starts: dict[tuple[str, int], int] = {}
        self._stopping = False
        self._stop = asyncio.Event()
        self._failure: BaseException | None = None
        self._lock = asyncio.Lock()
        self._app: faust.App | None = None
        self._broadcast: BroadcastReader | None = None
        if self._engine.broadcast_topics:
            self._broadcast = BroadcastReader(context.settings, self._engine, context.group_id)

    @property
    def app(self) -> faust.App:
        """The Faust app (exists while :meth:`run` runs)."""
        if self._app is None:
            raise RuntimeError("the Faust app exists only while the host runs")
        return self._app

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set (by SIGTERM via the runner) or the agent fails."""
        asyncio.run(self._main(stop))

    async def _main(self, stop: threading.Event) -> None:
        app = self._app = create_app(
            self.context.settings, self.context.group_id, self.context.codec
        )
        source = app.topic(
            *self._engine.partitioned_topics, key_serializer="raw", value_serializer="raw"
        )
        app.agent(source, name=f"{self.context.spec.name}-agent")(self._consume)
        if self._engine.stateful and isinstance(app.consumer, TapewireConsumer):
            app.consumer.pin_positions(self._positions)
        app.on_partitions_assigned.connect(self._on_assigned)
        app.on_partitions_revoked.connect(self._on_revoked)
        app.timer(1.0)(self._on_timer)
        await app.start()
        watcher = asyncio.create_task(self._watch(stop))
        reader = asyncio.create_task(self._read_broadcast()) if self._broadcast else None
        try:
            await self._stop.wait()
            if self._failure is None:
                logger.info("stopping", extra=self.context.log_extra)
                await self._drain()
        finally:
            self._stopping = True
            stop.set()  # releases the watcher's thread when the agent failed
            await watcher
            if reader is not None:
                await reader
            await app.stop()
            if self._broadcast is not None:
                self._broadcast.close()
        if self._failure is not None:
            # no final snapshot: outputs of the failed batch may be missing; recovery redoes it
            raise self._failure

    def _positions(self) -> dict[TP, int]:
        """Where each input of a stateful agent must be read from: what its state reflects."""
        merged = {**self._starts, **self._engine.positions()}
        return {TP(topic, partition): offset for (topic, partition), offset in merged.items()}

    async def _watch(self, stop: threading.Event) -> None:
        await asyncio.to_thread(stop.wait)
        self._stop.set()

    # -- the agent ---------------------------------------------------------------------------

    async def _consume(self, stream: StreamT[Any]) -> AsyncIterator[None]:
        batches = cast(faust.Stream[Any], stream).take_events
        async for events in batches(self._batch_size, within=self._within):
            if not self._stopping:
                try:
                    await self._process(events)
                except Exception as exc:  # handed to _main, which re-raises it
                    logger.exception("agent failed; stopping", extra=self.context.log_extra)
                    self._fail(exc)
            if self._stopping:
                # never acknowledge what was not processed: park until the app stops us
                await asyncio.Event().wait()
            yield None

    async def _process(self, events: Sequence[EventT[Any]]) -> None:
        await self._process_records([_raw(event) for event in events], partitioned=True)

    async def _in_order(self, records: Sequence[RawRecord]) -> list[RawRecord]:
        """Records the order gate admits; partitions with dropped records are re-sought."""
        expected: dict[tuple[str, int], int | None] = {}
        admitted: list[RawRecord] = []
        reseek: dict[tuple[str, int], int] = {}
        for record in records:
            tp = (record.topic, record.partition)
            if tp not in expected:
                expected[tp] = self._engine.stored_offset(record.partition, tp)
            cursor = expected[tp]
            if self._gate.admit(tp, record.offset, cursor):
                admitted.append(record)
                if cursor is not None and record.offset >= cursor:
                    expected[tp] = record.offset + 1
            elif cursor is not None:
                reseek[tp] = cursor
        consumer = self.app.consumer
        for (topic, partition), offset in reseek.items():
            if isinstance(consumer, TapewireConsumer):
                await consumer.reposition(TP(topic, partition), offset)
        if reseek:
            logger.info(
                "dropped %d out-of-order records; re-reading %s",
                len(records) - len(admitted),
                sorted(reseek.items()),
                extra=self.context.log_extra,
            )
        return admitted

    async def _process_records(
        self, records: Sequence[RawRecord], *, partitioned: bool = False
    ) -> None:
        """Process, send and await the outputs, snapshot when due (under the lock).

        The order gate runs under the lock too: what a record is checked against must be the
        state it will be applied to (an assignment may restore instances meanwhile).
        """
        async with self._lock:
            if partitioned and self._engine.stateful:
                records = await self._in_order(records)
            if not self._engine.stateful:
                # stateless instances need no recovery (no I/O): create them as they show up
                primary = {r.partition for r in records if r.topic == self._engine.primary_topic}
                self.context.recover(sorted(primary))
            delay = 0.1
            while True:
                try:
                    await self._send(self._engine.handle(records))
                    break
                except BatchInterruptedError as exc:
                    await self._send(exc.done)  # what was processed before the retriable error
                    logger.warning("retrying a batch after: %s", exc, extra=self.context.log_extra)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            await self._write_snapshots(force=False)

    async def _read_broadcast(self) -> None:
        """Feed every partition of the broadcast inputs to the engine until stopping."""
        reader = self._broadcast
        while reader is not None and not self._stopping:
            try:
                records = await asyncio.to_thread(reader.poll, self._batch_size, 0.1)
                if records and not self._stopping:
                    await self._process_records(records)
            except Exception as exc:  # handed to _main, which re-raises it
                logger.exception("broadcast input failed; stopping", extra=self.context.log_extra)
                self._fail(exc)

    async def _on_timer(self) -> None:
        if self._stopping:
            return
        try:
            await self._timer()
        except Exception as exc:  # handed to _main, which re-raises it
            logger.exception("timer failed; stopping", extra=self.context.log_extra)
            self._fail(exc)

    async def _timer(self) -> None:
        async with self._lock:
            try:
                requests = self._engine.on_timer()
            except BatchInterruptedError as exc:  # the rest is emitted with the next batch
                logger.warning("timer interrupted: %s", exc, extra=self.context.log_extra)
                requests = exc.done
            beat = self.context.heartbeat(assigned=self._assignment(), lag=self._update_lag())
            await self._send([*requests, beat] if beat is not None else requests)
            await self._write_snapshots(force=False)

    def _assignment(self) -> list[str]:
        return sorted(f"{tp.topic}[{tp.partition}]" for tp in self.app.consumer.assignment())

    def _update_lag(self) -> int | None:
        """Lag per input partition: the fetcher's high-water mark minus the processed position."""
        total: int | None = None
        consumer = self.app.consumer
        for (topic, partition), position in self._engine.positions().items():
            high = consumer.highwater(TP(topic, partition))
            if high is not None and high >= 0:
                lag = max(high - position, 0)
                self.context.metrics.lag(topic, partition, lag)
                total = lag + (total or 0)
        return total

    async def _send(self, requests: Iterable[ProduceRequest]) -> None:
        producer = self.app.producer
        pending = [
            await producer.send(
                r.topic,
                r.key,
                r.value,
                partition=r.partition,
                timestamp=None,
                headers=list(r.headers),
            )
            for r in requests
        ]
        if pending:
            await asyncio.gather(*pending)

    async def _write_snapshots(self, *, force: bool) -> None:
        store = self.context.store
        snapshots = self._engine.snapshots(force=force)
        if snapshots and store is not None:
            await self._retrying(lambda: store.write(snapshots))

    async def _retrying(self, action: Callable[[], int]) -> int:
        """Run blocking I/O in a thread; retriable errors back off (up to 5 s) and retry."""
        delay = 0.1
        while True:
            try:
                return await asyncio.to_thread(action)
            except TapewireError as exc:
                if not exc.retriable:
                    raise
                logger.warning("retrying after %s: %s", type(exc).__name__, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    # -- rebalancing and stopping -------------------------------------------------------------

    def _fail(self, exc: BaseException) -> None:
        """Stop for good without a final snapshot; :meth:`_main` re-raises ``exc``."""
        if self._failure is None:
            self._failure = exc
        self._stopping = True
        self._stop.set()

    async def _on_assigned(self, sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        """``app.on_partitions_assigned`` receiver: recover, then reposition the inputs."""
        del sender, signal, kwargs
        try:
            await self._assign(set(args[0]))
        except Exception as exc:  # a failed recovery must stop the worker, not hang it
            logger.exception("assignment failed; stopping", extra=self.context.log_extra)
            self._fail(exc)
            raise

    async def _assign(self, assigned: set[TP]) -> None:
        consumer = self.app.consumer
        async with self._lock:
            inputs = [tp for tp in assigned if tp.topic in self._engine.partitioned_topics]
            primary = sorted(
                tp.partition for tp in inputs if tp.topic == self._engine.primary_topic
            )
            await asyncio.to_thread(self.context.recover, primary)
            if self._engine.stateful and isinstance(consumer, TapewireConsumer):
                earliest = await consumer.earliest_offsets(*inputs) if inputs else {}
                for tp in inputs:
                    stored = self._engine.stored_offset(tp.partition, (tp.topic, tp.partition))
                    target = (
                        stored if stored is not None and stored != EARLIEST else earliest.get(tp, 0)
                    )
                    self._starts[(tp.topic, tp.partition)] = target
                    await consumer.reposition(tp, target)
                    logger.info(
                        "resuming at offset %d",
                        target,
                        extra={
                            **self.context.log_extra,
                            "topic": tp.topic,
                            "partition": tp.partition,
                        },
                    )
            if self._broadcast is not None:
                await asyncio.to_thread(self._broadcast.reassign)
            self.context.health.assigned(bool(inputs))
            self.context.health.recovered()
            logger.info(
                "assigned %s",
                sorted(f"{tp.topic}[{tp.partition}]" for tp in inputs),
                extra=self.context.log_extra,
            )

    async def _on_revoked(self, sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        """``app.on_partitions_revoked`` receiver: final snapshots, then drop instances."""
        del sender, signal, kwargs
        try:
            await self._revoke(set(args[0]))
        except Exception as exc:  # a failed final snapshot must stop the worker
            logger.exception("revocation failed; stopping", extra=self.context.log_extra)
            self._fail(exc)
            raise

    async def _revoke(self, revoked: set[TP]) -> None:
        async with self._lock:
            await self._write_snapshots(force=True)
            for tp in revoked:
                self._starts.pop((tp.topic, tp.partition), None)
                if tp.topic == self._engine.primary_topic:
                    self._engine.revoke(tp.partition)
            if self._broadcast is not None:
                await asyncio.to_thread(self._broadcast.reassign)
            self.context.health.assigned(bool(self._engine.instances))

    async def _drain(self) -> None:
        """Final snapshot and commit; processing stops for good."""
        self.context.health.stopping()
        async with self._lock:
            self._stopping = True
            await self._write_snapshots(force=True)
            await self.app.consumer.commit()


def _raw(event: EventT[Any]) -> RawRecord:
    message = event.message
    raw_headers: Any = message.headers or []
    pairs: Iterable[tuple[Any, Any]] = (
        raw_headers.items() if isinstance(raw_headers, Mapping) else raw_headers
    )
    return RawRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        timestamp_ms=int(message.timestamp * 1000) if message.timestamp else None,
        headers=tuple(
            (str(k), v if isinstance(v, bytes) else str(v or "").encode()) for k, v in pairs
        ),
    )
