"""A one-line progress bar on a terminal (stderr); silent when the stream is not a tty.

:func:`render` is pure (counts and seconds in, text out); :class:`ProgressBar` draws it at
most every ``every`` seconds of the injected clock's monotonic time, plus once at the end.
"""

from __future__ import annotations

from typing import Final, TextIO

from streams.clock import Clock

WIDTH: Final = 30


def render(done: int, total: int | None, elapsed: float, *, unit: str = "rows") -> str:
    """``backtest [#####.....] 50% 2,500/5,000 rows 12,345 rows/s`` (no bar without a total)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    speed = f"{rate:,.0f} {unit}/s"
    if not total:
        return f"backtest {done:,} {unit} {speed}"
    fraction = min(done / total, 1.0)
    filled = round(fraction * WIDTH)
    bar = "#" * filled + "." * (WIDTH - filled)
    return f"backtest [{bar}] {fraction:4.0%} {done:,}/{total:,} {unit} {speed}"


class ProgressBar:
    """Counts work and redraws the line on ``stream`` when it is a terminal."""

    def __init__(
        self,
        stream: TextIO,
        clock: Clock,
        total: int | None,
        *,
        unit: str = "rows",
        every: float = 0.2,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._total = total
        self._unit = unit
        self._every = every
        self.enabled = stream.isatty()
        self.done = 0
        self._started = clock.monotonic()
        self._drawn = self._started - every

    def tick(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = self._clock.monotonic()
        if now - self._drawn >= self._every:
            self._draw(now)

    def close(self) -> None:
        """Draw the final state and end the line."""
        if not self.enabled:
            return
        self._draw(self._clock.monotonic())
        self._stream.write("\n")
        self._stream.flush()

    def _draw(self, now: float) -> None:
        self._drawn = now
        line = render(self.done, self._total, now - self._started, unit=self._unit)
        self._stream.write(f"\r{line}")
        self._stream.flush()
