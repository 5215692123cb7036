"""The benchmark framework (benchmarks/common.py, python -m benchmarks) and the codec bench.

No timing is asserted: only that ratios are computed the documented way, that the runner
reports every result and survives a failing benchmark, and that the codec bench runs.
"""

from __future__ import annotations

from collections.abc import Callable

import benchmarks.__main__ as runner
import pytest
from benchmarks import bench_codec
from benchmarks.common import (
    Result,
    cost_result,
    ops_per_second,
    paired_ops_per_second,
    throughput_result,
)


def test_ops_per_second_counts_calls() -> None:
    calls: list[int] = []
    rate = ops_per_second(lambda: calls.append(1), 50, repeats=3)
    assert len(calls) == 1 + 50 * 3  # one warm-up call, then the timed repeats
    assert rate > 0
    with pytest.raises(ValueError, match="positive"):
        ops_per_second(lambda: None, 0)


def test_paired_measurement_runs_both_alternately() -> None:
    order: list[str] = []
    subject, baseline = paired_ops_per_second(
        lambda: order.append("s"), lambda: order.append("b"), 2, repeats=2
    )
    assert order == ["s", "b", "b", "b", "s", "s", "b", "b", "s", "s"]
    assert subject > 0
    assert baseline > 0


def test_cost_and_throughput_ratios() -> None:
    cost = cost_result("c", 800.0, 1000.0, budget=1.5, what="bare", items_per_call=10)
    assert cost == Result(
        "c", 8000.0, "ops/s", 10000.0, 1.25, "cost vs bare; budget <= 1.5x: within budget"
    )
    assert "OVER BUDGET" in cost_result("c", 100.0, 1000.0, budget=1.5, what="bare").note
    rows = throughput_result("s", 70.0, 100.0, "rows/s", floor=0.8, what="COPY")
    assert rows.ratio == pytest.approx(0.7)
    assert rows.note == "throughput vs COPY; budget >= 0.8x: UNDER BUDGET"


def test_table_has_the_documented_columns() -> None:
    table = runner.format_table(
        [
            Result("codec.tick", 25_990.4, "ops/s", 31_516.0, 1.2127, "cost"),
            Result("x", 0.5, "s", None, None, ""),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split(" | ")[:4] == ["benchmark ", "value unit  ", "baseline    ", "ratio"]
    assert "25,990 ops/s" in lines[2]
    assert "31,516 ops/s" in lines[2]
    assert "1.21x" in lines[2]
    assert lines[3].split("|")[2].strip() == "-"


def test_runner_continues_after_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> list[Result]:
        raise RuntimeError("broker went away")

    def fine() -> list[Result]:
        return [Result("b.thing", 10.0, "ops/s", 20.0, 2.0, "fine")]

    benches: dict[str, Callable[[], list[Result]]] = {"bench_a": broken, "bench_b": fine}
    results, failed = runner.run_all(["bench_a", "bench_b"], benches.__getitem__)
    assert [r.name for r in results] == ["b.thing"]
    assert failed == ["bench_a"]
    err = capsys.readouterr().err
    assert "bench_a FAILED" in err
    assert "broker went away" in err


def test_runner_exit_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "run_all", lambda names: ([], ["bench_codec"]))
    assert runner.main(["codec"]) == 1
    assert "failed: bench_codec" in capsys.readouterr().err
    monkeypatch.setattr(runner, "run_all", lambda names: ([], []))
    assert runner.main(["codec"]) == 0
    assert runner.main(["no-such-bench"]) == 2


def test_discovery_finds_the_codec_bench() -> None:
    assert "bench_codec" in runner.discover()
    assert runner.discover(["codec"]) == ["bench_codec"]
    assert runner.discover(["nothing-like-this"]) == []


def test_codec_bench_reports_ratios(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_codec, "N", 20)
    monkeypatch.setattr(bench_codec, "BATCH", 5)
    results = bench_codec.run()
    assert [r.name for r in results][:3] == [
        "codec.tick encode+decode",
        "codec.tick encode (strict)",
        "codec.tick decode",
    ]
    assert all(r.ratio is not None and r.ratio > 0 for r in results)
    assert results[-1].unit == "records/s"
