"""Running totals, the sample stateful agent: per-instrument trade count and traded size.

Consumes raw ticks (``md.tick.raw``); for every trade it updates the instrument's count and
sum of sizes and emits one ``sample.total`` event carrying the new running totals. Quotes
carry no size: they are consumed and skipped. The output id derives from the input tick's id,
so an output re-emitted after a recovery is byte-for-byte the one emitted before.

It exists to exercise the runtime end to end (snapshots, fenced recovery, dead letters) and
as a worked example of docs/processors.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Final

from streams.decimals import DECIMAL_SCHEMA, ZERO, q
from streams.errors import ProcessingError
from streams.events import caused_by
from streams.runtime.agent_spec import AgentSpec
from streams.runtime.processor import Output, Processor, Record
from streams.settings import Settings

OUTPUT_EVENT_TYPE: Final = "sample.total"

STATE_SCHEMA: Final[dict[str, Any]] = {
    "type": "record",
    "name": "RunningTotalsState",
    "namespace": "tapewire.sample",
    "fields": [
        {
            "name": "totals",
            "type": {
                "type": "map",
                "values": {
                    "type": "record",
                    "name": "KeyTotal",
                    "fields": [
                        {"name": "count", "type": "long"},
                        {"name": "total", "type": DECIMAL_SCHEMA},
                    ],
                },
            },
        }
    ],
}


class RunningTotals(Processor):
    """Per-instrument trade count and sum of trade sizes."""

    name: ClassVar[str] = "running_totals"
    inputs: ClassVar[tuple[str, ...]] = ("md.tick.raw",)
    outputs: ClassVar[tuple[str, ...]] = ("sample.total",)
    state_schema: ClassVar[dict[str, Any] | None] = STATE_SCHEMA

    def __init__(self) -> None:
        self._totals: dict[str, tuple[int, Decimal]] = {}

    def process(self, record: Record) -> list[Output]:
        tick = record.value
        if tick["kind"] != "TRADE":
            return []
        size = tick["size"]
        if size is None or size < ZERO:
            raise ProcessingError(f"trade {tick['envelope']['event_id']} has no valid size: {size}")
        instrument = str(tick["instrument"])
        count, total = self._totals.get(instrument, (0, ZERO))
        count, total = count + 1, q(total + size)
        self._totals[instrument] = (count, total)
        env = caused_by(tick["envelope"], event_type=OUTPUT_EVENT_TYPE, agent=self.name)
        value = {"envelope": env, "key": instrument, "count": count, "total": total}
        return [Output(topic="sample.total", key=instrument, value=value)]

    def totals(self) -> dict[str, tuple[int, Decimal]]:
        """The current (count, total) per instrument."""
        return dict(self._totals)

    def snapshot(self) -> dict[str, Any]:
        return {
            "totals": {
                key: {"count": count, "total": total}
                for key, (count, total) in sorted(self._totals.items())
            }
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._totals = {
            key: (int(item["count"]), q(item["total"])) for key, item in state["totals"].items()
        }


def build(settings: Settings) -> RunningTotals:
    del settings  # no configuration
    return RunningTotals()


AGENT = AgentSpec(
    name=RunningTotals.name,
    host="faust",
    build=build,
    description="sample stateful agent: per-instrument trade count and traded size",
    snapshot_topic="sample.snapshot",
)
