"""Codec cost: AvroCodec against bare fastavro schemaless calls on the same parsed schema.

Budget (docs/ARCHITECTURE.md): encode+decode of a tick within 1.5x the cost of bare
``schemaless_writer`` + ``schemaless_reader``. The codec adds strict validation, the
Confluent frame and the schema-id look-up; the bare calls do none of that.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from streams.codec import AvroCodec, LocalRegistry, SchemaStore
from streams.decimals import q
from streams.events import derive_event_id, envelope

from benchmarks.common import Result, cost_result, paired_ops_per_second

N = 3_000  # calls per timed round: short rounds, many of them, resist a busy machine
REPEATS = 12
BATCH = 1_000
BUDGET = 1.5
TOPIC = "md.tick"


def sample_tick(sequence: int = 1) -> dict[str, Any]:
    """A realistic trade tick, every field as the platform writes it."""
    event_time = datetime(2024, 3, 4, 14, 30, 0, 123_456, tzinfo=UTC)
    return {
        "envelope": envelope(
            event_type="md.tick",
            event_id=derive_event_id("bench", "SIMX", sequence),
            event_time=event_time,
            ingest_time=event_time + timedelta(microseconds=850),
            agent="feed_simulator",
        ),
        "instrument": "BTC-USD",
        "venue": "SIMX",
        "feed": "simx-trades",
        "sequence": sequence,
        "kind": "TRADE",
        "price": q("64123.125000000"),
        "size": q("0.012500000"),
        "aggressor": "BUY",
        "trade_id": f"T{sequence:012d}",
        "bid_price": None,
        "bid_size": None,
        "ask_price": None,
        "ask_size": None,
    }


def run() -> list[Result]:
    store = SchemaStore.load()
    codec = AvroCodec(LocalRegistry(store), store)
    parsed = store.latest("md.tick").parsed
    tick = sample_tick()
    framed = codec.encode_value(TOPIC, "md.tick", tick)
    body = framed[5:]
    if codec.decode_value(framed) != tick:
        raise RuntimeError("codec round trip changed the tick")

    def bare_round_trip() -> None:
        buffer = io.BytesIO()
        schemaless_writer(buffer, parsed, tick)
        schemaless_reader(io.BytesIO(buffer.getvalue()), parsed, None)

    def codec_round_trip() -> None:
        codec.decode_value(codec.encode_value(TOPIC, "md.tick", tick))

    def bare_encode() -> None:
        buffer = io.BytesIO()
        schemaless_writer(buffer, parsed, tick)
        buffer.getvalue()

    def codec_encode() -> None:
        codec.encode_value(TOPIC, "md.tick", tick)

    def bare_decode() -> None:
        schemaless_reader(io.BytesIO(body), parsed, None)

    def codec_decode() -> None:
        codec.decode_value(framed)

    batch = [codec.encode_value(TOPIC, "md.tick", sample_tick(i)) for i in range(BATCH)]
    bodies = [b[5:] for b in batch]

    def bare_batch() -> None:
        for item in bodies:
            schemaless_reader(io.BytesIO(item), parsed, None)

    def codec_batch() -> None:
        codec.decode_values(batch, "md.tick")

    what = "bare fastavro schemaless calls"
    results = []
    for name, subject, baseline in (
        ("codec.tick encode+decode", codec_round_trip, bare_round_trip),
        ("codec.tick encode (strict)", codec_encode, bare_encode),
        ("codec.tick decode", codec_decode, bare_decode),
    ):
        ops, baseline_ops = paired_ops_per_second(subject, baseline, N, repeats=REPEATS)
        results.append(cost_result(name, ops, baseline_ops, budget=BUDGET, what=what))
    ops, baseline_ops = paired_ops_per_second(
        codec_batch, bare_batch, max(1, N // BATCH), repeats=REPEATS
    )
    results.append(
        cost_result(
            f"codec.tick decode_values (batches of {BATCH})",
            ops,
            baseline_ops,
            budget=BUDGET,
            what=what,
            items_per_call=BATCH,
            unit="records/s",
        )
    )
    return results
