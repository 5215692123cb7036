"""The runtime's "done when": a stateful agent SIGKILLed mid-stream recovers exactly.

The running-totals agent runs as ``tapewire agent running_totals`` on each host while ticks
keep arriving; it is SIGKILLed three times and restarted, then stopped with SIGTERM. Its
outputs must equal those of an uninterrupted in-process run (same ids, same payloads, every
input processed), no output id may appear with two payloads, SIGTERM must exit 0 after a
final snapshot reflecting every input, and a poison record must be dead-lettered with its
origin while every other record is processed.
"""

from __future__ import annotations

import signal
from collections import defaultdict
from typing import Any

import pytest
from streams.agents.running_totals import RunningTotals
from streams.codec import deadletter
from streams.dev.process import free_port, wait_until
from streams.runtime.harness import run_processor
from streams.runtime.processor import Record

TOTAL = 1200
KILLS = 3


def _expected(env: Any, sequences: range) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Outputs by id and final state of an uninterrupted in-process run."""
    records = [Record(topic="md.tick.raw", key=None, value=env.tick(s)) for s in sequences]
    result = run_processor(RunningTotals(), records)
    by_id = {str(v["envelope"]["event_id"]): v for v in result.values("sample.total")}
    return by_id, result.state


def _by_id(values: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for value in values:
        out[str(value["envelope"]["event_id"])].append(value)
    return out


@pytest.mark.parametrize("host", ["bulk", "faust"])
def test_killed_agent_recovers_to_the_uninterrupted_result(totals_env: Any, host: str) -> None:
    expected, expected_state = _expected(totals_env, range(TOTAL))
    chunk = TOTAL // (KILLS + 1)
    for round_number in range(KILLS):
        process = totals_env.start_agent(host)
        totals_env.produce_ticks(range(round_number * chunk, (round_number + 1) * chunk))
        wanted = len(
            [1 for s in range((round_number + 1) * chunk) if totals_env.tick(s)["kind"] == "TRADE"]
        )
        seen = len(totals_env.read("sample.total", until=wanted * 2 // 3, timeout=30))
        assert seen > 0, f"round {round_number}: the agent produced nothing"
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    process = totals_env.start_agent(host)
    totals_env.produce_ticks(range(KILLS * chunk, TOTAL))
    outputs = totals_env.decode(totals_env.read("sample.total", until=len(expected), timeout=60))
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0

    restored = totals_env.logs().count("recovered from snapshot")
    assert restored >= KILLS, "restarts after a kill must resume from snapshots, not from scratch"

    by_id = _by_id(outputs)
    conflicting = {i: vs for i, vs in by_id.items() if any(v != vs[0] for v in vs)}
    assert not conflicting, "an output event id was emitted with two different payloads"
    assert set(by_id) == set(expected), "every input is processed exactly once in effect"
    assert {i: vs[0] for i, vs in by_id.items()} == expected

    snapshots = totals_env.decode(totals_env.read("sample.snapshot", until=1, timeout=10))
    latest = {s["instance"]: s for s in snapshots if s["kind"] == "SNAPSHOT"}
    final = list(latest.values())
    processed = sum(o["offset"] for s in final for o in s["offsets"])
    assert processed == TOTAL, "the final snapshots reflect every input after SIGTERM"
    merged: dict[str, Any] = {}
    for snap in final:
        state = totals_env.codec.decode_state(RunningTotals.state_schema or {}, snap["state"])
        merged.update(state["totals"])
    assert merged == expected_state["totals"]


@pytest.mark.parametrize("host", ["bulk", "faust"])
def test_poison_records_are_dead_lettered_and_the_rest_processed(
    totals_env: Any, host: str
) -> None:
    port = free_port()
    process = totals_env.start_agent(host, "--metrics-port", str(port))
    assert wait_until(lambda: totals_env.scrape(port, "/readyz")[0] == 200, 30), (
        "never became ready"
    )
    totals_env.produce_ticks(range(50))
    totals_env.produce_raw("AAA", b"\x00garbage that is not avro")
    negative = totals_env.tick(50)
    negative["size"] = -negative["size"]
    raw_topic = totals_env.topic("md.tick.raw")
    totals_env.produce_raw("AAA", totals_env.codec.encode_value(raw_topic, "md.tick", negative))
    totals_env.produce_ticks(range(51, 100))
    expected, _ = _expected(totals_env, range(100))
    poisoned = negative["envelope"]["event_id"]
    expected = {i: v for i, v in expected.items() if v["envelope"]["causation_id"] != poisoned}
    outputs = totals_env.decode(totals_env.read("sample.total", until=len(expected), timeout=40))
    letters = totals_env.read("system.deadletter", until=2, timeout=10)
    beats = totals_env.decode(totals_env.read("system.heartbeat", until=1, timeout=15))
    assert beats[0]["agent"] == "running_totals"
    assert beats[0]["status"] in {"STARTING", "READY"}
    metrics = totals_env.scrape(port, "/metrics")[1]
    assert 'tapewire_dead_letters_total{agent="running_totals"} 2.0' in metrics
    assert totals_env.scrape(port, "/healthz")[0] == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0

    assert set(_by_id(outputs)) == set(expected)
    assert len(letters) == 2
    headers = [totals_env.headers_of(message) for message in letters]
    assert {h[deadletter.HEADER_ORIGIN_TOPIC] for h in headers} == {raw_topic}
    assert all(int(h[deadletter.HEADER_ORIGIN_OFFSET]) >= 0 for h in headers)
    classes = sorted(h[deadletter.HEADER_ERROR_CLASS] for h in headers)
    assert classes == ["streams.errors.ProcessingError", "streams.errors.ValueDecodeError"]
    values = totals_env.decode(letters)
    assert {v["origin_topic"] for v in values} == {raw_topic}


@pytest.mark.parametrize("host", ["bulk", "faust"])
def test_sigterm_writes_a_final_snapshot_and_exits_0(totals_env: Any, host: str) -> None:
    process = totals_env.start_agent(host, snapshot_every=(1_000_000, 3600.0))
    totals_env.produce_ticks(range(60))
    trades = sum(1 for s in range(60) if totals_env.tick(s)["kind"] == "TRADE")
    assert len(totals_env.read("sample.total", until=trades, timeout=30)) == trades
    before = totals_env.decode(totals_env.read("sample.snapshot", until=3, timeout=2))
    assert {r["kind"] for r in before} == {"FENCE"}, "only fences: no snapshot was due yet"
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    records = totals_env.decode(totals_env.read("sample.snapshot", until=4, timeout=10))
    latest = {r["instance"]: r for r in records if r["kind"] == "SNAPSHOT"}
    assert sum(o["offset"] for r in latest.values() for o in r["offsets"]) == 60
    _, expected_state = _expected(totals_env, range(60))
    merged: dict[str, Any] = {}
    for record in latest.values():
        schema = RunningTotals.state_schema or {}
        merged.update(totals_env.codec.decode_state(schema, record["state"])["totals"])
    assert merged == expected_state["totals"]
