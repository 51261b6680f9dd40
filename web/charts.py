"""Charts for auditors, drawn by matplotlib as SVG files (no JavaScript, no hand-made drawing).

Each chart is served as its own ``image/svg+xml`` response and shown with ``<img>`` next to a
table of the same numbers, so screen readers and printouts get the data too. matplotlib is
imported on first use only: the pages that do not draw do not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from domain.analytics import StageTime

# The console's colours; text stays text in the SVG (smaller, selectable).
COLOURS = ("#0b4f8a", "#9b1c1c", "#1d6b35", "#7a4f01", "#5b2a86", "#00626a")
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def _figure(rows: int) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 11})
    from matplotlib.figure import Figure

    return Figure(figsize=(8, max(2.5, 0.45 * rows + 1.5)), layout="constrained")


def _svg(fig: Any) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def time_in_stage(rows: Sequence[StageTime], title: str, xlabel: str) -> bytes:
    fig = _figure(len(rows))
    ax = fig.add_subplot()
    kinds = sorted({r.process_kind for r in rows})
    labels = [f"{r.process_kind}: {r.stage}" for r in rows]
    colours = [COLOURS[kinds.index(r.process_kind) % len(COLOURS)] for r in rows]
    ax.barh(labels or ["—"], [r.median_hours for r in rows] or [0], color=colours or COLOURS[0])
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    return _svg(fig)


def counts(pairs: Sequence[tuple[str, int]], title: str, xlabel: str) -> bytes:
    fig = _figure(len(pairs))
    ax = fig.add_subplot()
    ax.barh([k for k, _ in pairs] or ["—"], [v for _, v in pairs] or [0], color=COLOURS[0])
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _svg(fig)
