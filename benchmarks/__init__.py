"""Reproducible benchmarks: each ``bench_<area>.py`` measures against a baseline in the same run.

A benchmark module exposes ``run() -> list[benchmarks.common.Result]``, times its subject and
its baseline alternately with :func:`benchmarks.common.paired_ops_per_second` and reports the
ratio with :func:`~benchmarks.common.cost_result` or :func:`~benchmarks.common.throughput_result`
(budget in the note, never an assertion on time). Keep each under about 30 seconds.

Run them all with ``python -m benchmarks`` (``make bench``) or some with
``python -m benchmarks codec``.
"""
