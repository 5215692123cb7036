"""Encoding what an agent emits: outputs and dead letters, with nothing lost to a retry.

Encoding can fail in two ways. A non-retriable error (an output that does not match its
schema) is the processor's fault: the engine dead-letters the input. A retriable error (the
schema registry briefly unreachable while registering a subject) happens *after* the
processor changed its state, so the outputs must not be recomputed: :class:`Emitter` keeps
the not-yet-encoded rest in order and encodes it first on the next call
(:meth:`Emitter.stashed`), and the engine reports what was already encoded in
:class:`BatchInterruptedError` for the host to produce before it backs off and retries.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from streams.clock import Clock
from streams.codec import AvroCodec, dead_letter
from streams.errors import TapewireError
from streams.runtime.metrics import AgentMetrics
from streams.runtime.processor import Output
from streams.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A record as consumed: physical topic, position and undecoded bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class ProduceRequest:
    """An encoded record for a host to produce (``partition`` None = the key decides)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None


class BatchInterruptedError(TapewireError):
    """A retriable error stopped a batch; ``done`` must be produced before retrying it."""

    retriable = True

    def __init__(self, cause: TapewireError, done: Sequence[ProduceRequest]) -> None:
        super().__init__(f"batch interrupted by {type(cause).__name__}: {cause}")
        self.cause = cause
        self.done = list(done)


RUN_ID_HEADER: Final = "tapewire.run_id"
"""Header carrying ``Settings.run_id`` on every output of a replay run (the sink stores it)."""


class Emitter:
    """Encodes outputs and dead letters for one agent; see the module docstring."""

    def __init__(
        self,
        *,
        agent: str,
        settings: Settings,
        codec: AvroCodec,
        clock: Clock,
        metrics: AgentMetrics,
    ) -> None:
        self._agent = agent
        self._settings = settings
        self._codec = codec
        self._clock = clock
        self._metrics = metrics
        self.dead_letter_topic = settings.topic("system.deadletter")
        self._run_headers: tuple[tuple[str, bytes], ...] = (
            ((RUN_ID_HEADER, settings.run_id.encode()),) if settings.run_id else ()
        )
        self._stash: deque[Callable[[], ProduceRequest]] = deque()

    def stashed(self) -> list[ProduceRequest]:
        """Encode what an earlier retriable failure left over (interrupted again if it fails)."""
        done: list[ProduceRequest] = []
        while self._stash:
            try:
                done.append(self._stash[0]())
            except TapewireError as exc:
                if exc.retriable:
                    raise BatchInterruptedError(exc, done) from exc
                raise
            self._stash.popleft()
        return done

    def outputs(self, outputs: Sequence[Output]) -> list[ProduceRequest]:
        """Encode outputs in order; non-retriable errors propagate (the input is at fault).

        On a retriable error the outputs not yet encoded are stashed and the error raised.
        """
        done: list[ProduceRequest] = []
        for index, output in enumerate(outputs):
            try:
                done.append(self._encode(output))
            except TapewireError as exc:
                if exc.retriable:
                    self._stash.extend(_later(self._encode, o) for o in outputs[index:])
                    raise BatchInterruptedError(exc, done) from exc
                raise
        return done

    def dead_letter(self, raw: RawRecord, exc: BaseException) -> ProduceRequest:
        """The ``system.deadletter`` record for a failed input (counted and logged)."""
        self._metrics.error()
        self._metrics.dead_letter()
        logger.warning(
            "dead-lettered: %s",
            exc,
            extra={
                "agent": self._agent,
                "error_class": type(exc).__name__,
                "topic": raw.topic,
                "partition": raw.partition,
                "offset": raw.offset,
            },
        )
        key, value, headers = dead_letter(
            origin_topic=raw.topic,
            partition=raw.partition,
            offset=raw.offset,
            timestamp_ms=raw.timestamp_ms,
            key_bytes=raw.key,
            value_bytes=raw.value,
            error=exc,
            agent=self._agent,
            now=self._clock.now(),
        )
        topic = self.dead_letter_topic

        def encode() -> ProduceRequest:
            encoded = self._codec.encode_value(topic, "system.deadletter", value)
            return ProduceRequest(topic=topic, key=key, value=encoded, headers=tuple(headers))

        try:
            return encode()
        except TapewireError as error:
            if error.retriable:
                self._stash.append(encode)
                raise BatchInterruptedError(error, []) from error
            raise

    def count(self, requests: Sequence[ProduceRequest]) -> None:
        """Count produced outputs per topic (dead letters have their own counter)."""
        for request in requests:
            if request.topic != self.dead_letter_topic:
                self._metrics.events_out(request.topic)

    def _encode(self, output: Output) -> ProduceRequest:
        topic = self._settings.topic(output.topic)
        event_type = str(output.value["envelope"]["event_type"])
        return ProduceRequest(
            topic=topic,
            key=self._codec.encode_key(topic, output.key),
            value=self._codec.encode_value(topic, event_type, output.value),
            headers=(*output.headers, *self._run_headers),
        )


def _later(
    encode: Callable[[Output], ProduceRequest], output: Output
) -> Callable[[], ProduceRequest]:
    return lambda: encode(output)
