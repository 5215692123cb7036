"""Equity and drawdown pictures of a backtest: a PNG (matplotlib, Agg) and a self-contained
HTML page (inline SVG, no scripts, no external resources). Both are byte-for-byte the same for
the same input: no timestamps or software versions are written into them."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from streams.backtest.report import EquityPoint

_WIDTH, _HEIGHT, _PAD = 960, 260, 40


def write_png(points: Sequence[EquityPoint], title: str, path: Path) -> None:
    times = [p.time for p in points]
    fig = Figure(figsize=(10, 6), dpi=100)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot(times, [float(p.equity) for p in points], color="#1f77b4", linewidth=1.2)
    top.set_title(title)
    top.set_ylabel("equity")
    top.grid(visible=True, alpha=0.3)
    bottom.fill_between(
        times, [-100 * float(p.drawdown) for p in points], 0, color="#d62728", alpha=0.4
    )
    bottom.set_ylabel("drawdown %")
    bottom.grid(visible=True, alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})


def _polyline(values: Sequence[float], colour: str, top: float, height: float) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (_WIDTH - 2 * _PAD) / max(1, len(values) - 1)
    coords = " ".join(
        f"{_PAD + i * step:.1f},{top + height - (v - low) / span * height:.1f}"
        for i, v in enumerate(values)
    )
    return (
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.2" points="{coords}"/>'
        f'<text x="4" y="{top + 10:.0f}" font-size="10">{high:,.2f}</text>'
        f'<text x="4" y="{top + height:.0f}" font-size="10">{low:,.2f}</text>'
    )


def write_html(
    points: Sequence[EquityPoint], summary: dict[str, Any], title: str, path: Path
) -> None:
    equity = [float(p.equity) for p in points]
    drawdown = [-100 * float(p.drawdown) for p in points]
    first = points[0].time.date().isoformat() if points else ""
    last = points[-1].time.date().isoformat() if points else ""
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in summary.items()
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT + 120}" '
        f'role="img" aria-label="equity and drawdown">'
        f'<rect width="100%" height="100%" fill="white"/>'
        f"{_polyline(equity, '#1f77b4', 10, _HEIGHT - 20)}"
        f"{_polyline(drawdown, '#d62728', _HEIGHT + 10, 90)}"
        f'<text x="{_PAD}" y="{_HEIGHT + 115}" font-size="10">{first}</text>'
        f'<text x="{_WIDTH - _PAD - 60}" y="{_HEIGHT + 115}" font-size="10">{last}</text>'
        "</svg>"
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:2px 8px;text-align:left}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><h2>Equity (top) and drawdown % (bottom)</h2>{svg}"
        f"<h2>Summary</h2><table>{rows}</table></body></html>\n"
    )
    path.write_text(page, encoding="utf-8")
