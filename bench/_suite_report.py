"""The summary of ``make bench``: issue 15's targets beside what this run measured.

Built from the JSON each benchmark wrote; a benchmark that did not run (or has no module yet)
leaves its rows saying so. The table is Markdown, so it can go into the README as printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from typing import Any

Row = dict[str, Any]


def _get(data: dict[str, Any] | None, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _find_rate(data: Any) -> float | None:
    """The ledger benchmark's appends/s: the first number under a key naming appends per second
    (its JSON comes from another branch; the full JSON is kept beside the summary)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if "append" in key and key.endswith("per_s") and isinstance(value, int | float):
                return float(value)
        for value in data.values():
            found = _find_rate(value)
            if found is not None:
                return found
    return None


def _row(measure: str, now: str, measured: Any, target: str, goal: str, met: bool | None) -> Row:
    return {
        "measure": measure,
        "now": now,
        "measured": measured,
        "target": target,
        "goal": goal,
        "met": met,
    }


def _ratio_cell(ratio: float | None, a: Any, b: Any, unit: str) -> str | None:
    if ratio is None:
        return None
    return f"{ratio:.2f}× ({a} vs {b} {unit})"


def summary(
    results: dict[str, dict[str, Any] | None],
    args: argparse.Namespace,
    started: datetime,
    load_start: list[float],
    load_end: list[float],
    failed: list[str],
) -> dict[str, Any]:
    d, p, ledger = results.get("decisions"), results.get("period"), results.get("ledger")
    ratio = _get(d, "ratio_meritflow_over_bare")
    m99, b99 = _get(d, "meritflow", "p99_ms"), _get(d, "bare", "p99_ms")
    p99_ratio = round(m99 / b99, 2) if m99 and b99 else None
    cpu_m, cpu_b = (
        _get(d, "cpu_ms_per_approval", "meritflow"),
        _get(d, "cpu_ms_per_approval", "bare"),
    )
    hm, hp = _get(d, "health", "meritflow") or {}, _get(p, "meritflow", "health") or {}
    timeouts: list[int] = [int(h.get("workflow_task_timeouts") or 0) for h in (hm, hp) if h]
    stuck: list[int] = [int(h.get("stuck") or 0) for h in (hm, hp) if h]
    promotions = _get(d, "parameters", "promotions")
    polls = _get(d, "meritflow", "counts", "GET polls (BKN review)") or 0
    per_promotion = round(polls / promotions, 1) if d and promotions else None
    p_ratio = _get(p, "ratios", "meritflow_over_bare_client")
    appends = _find_rate(ledger)
    rows = [
        _row("approvals/s vs bare Temporal updates, 20 drivers", "0.13×",
             _ratio_cell(ratio, _get(d, "meritflow", "per_s"), _get(d, "bare", "per_s"), "/s"),
             "≥ 0.5×", "≥ 0.8×", None if ratio is None else ratio >= 0.5),
        _row("p99 approval latency vs bare", "21×",
             _ratio_cell(p99_ratio, m99, b99, "ms"), "≤ 3×", "≤ 1.5×",
             None if p99_ratio is None else p99_ratio <= 3),
        _row("CPU per approval (bare update)", "244 ms (26 ms)",
             None if cpu_m is None else f"{cpu_m} ms ({cpu_b} ms)", "≤ 60 ms", "≤ 35 ms",
             None if cpu_m is None else cpu_m <= 60),
        _row("ledger appends/s, durable, SQLite, 20 writers", "~70/s", appends,
             "≥ 2,000/s", "≥ 10,000/s", None if appends is None else appends >= 2000),
        _row("workflow-task timeouts / stuck processes (approvals; period)", "> 0",
             f"{' ; '.join(map(str, timeouts))} / {' ; '.join(map(str, stuck))}" if hm else None,
             "0", "0", (sum(timeouts) == 0 and sum(stuck) == 0) if hm else None),
        _row(f"period of {args.employees:,} vs bare client starts", "0.22× at 10,000",
             _ratio_cell(p_ratio, _get(p, "meritflow", "per_s"), _get(p, "bare_client", "per_s"),
                         "/s"),
             "≥ 0.5×", "≥ 0.8×", None if p_ratio is None else p_ratio >= 0.5),
        _row("client polls per promotion", "~24", per_promotion, "0", "0",
             None if per_promotion is None else per_promotion == 0),
    ]  # fmt: skip
    dp, lp = results.get("decisions@postgres"), results.get("ledger@postgres")
    if dp is not None:
        pr, pg_scale = _get(dp, "ratio_meritflow_over_bare"), _get(dp, "scale") or {}
        hpg = [_get(dp, "health", "meritflow") or {}] + [
            v.get("health", {}) for v in pg_scale.values()
        ]
        two = _get(pg_scale, "2+2", "per_s")
        one = _get(dp, "meritflow", "per_s")
        rows += [
            _row("PostgreSQL: approvals/s vs bare Temporal updates", "-",
                 _ratio_cell(pr, one, _get(dp, "bare", "per_s"), "/s"), "≥ 0.5×", "≥ 0.8×",
                 None if pr is None else pr >= 0.5),
            _row("PostgreSQL: approvals/s, 1 worker + 1 API → 2 + 2", "6.0 → 6.85 (by hand)",
                 f"{one} → {two}" if two is not None else None, "-", "-", None),
            _row("PostgreSQL: workflow-task timeouts / stuck (1+1, 2+2)", "-",
                 " ; ".join(f"{h.get('workflow_task_timeouts')} / {h.get('stuck')}" for h in hpg),
                 "0", "0", all(not h.get("workflow_task_timeouts") and not h.get("stuck")
                               for h in hpg)),
        ]  # fmt: skip
    if lp is not None:
        lpr = _find_rate(lp)
        rows.append(_row("PostgreSQL: ledger appends/s, 20 writers", "-", lpr, "-", "-", None))
    scale = {
        "1+1": _get(d, "meritflow", "per_s"),
        **{k: v.get("per_s") for k, v in (_get(d, "scale") or {}).items()},
    }
    return {
        "benchmark": "suite",
        "measured_at": started.isoformat(timespec="seconds"),
        "command": " ".join(["python", "-m", "bench.suite", *sys.argv[1:]]),
        "machine": {"nproc": os.cpu_count(), "loadavg_start": load_start, "loadavg_end": load_end},
        "database": _get(d, "parameters", "database") or _get(p, "parameters", "database"),
        "targets": rows,
        "approvals": {
            side: {k: _get(d, side, k) for k in ("per_s", "p50_ms", "p95_ms", "p99_ms")}
            for side in ("meritflow", "bare")
        },
        "approvals_per_s_by_processes": scale,
        "ledger_appends": ledger if ledger is not None else "bench/ledger_appends.py absent",
        "console_pages_p95_ms": {
            page: v.get("p95_ms")
            for page, v in (_get(results.get("console"), "pages") or {}).items()
        },
        "failed": failed,
    }


def _cell(value: Any) -> str:
    return "not measured" if value is None else str(value)


def render_summary(s: dict[str, Any]) -> str:
    m = s["machine"]
    lines = [
        "",
        "=" * 100,
        f"make bench summary, {s['measured_at']}: {m['nproc']} CPUs, load average "
        f"{m['loadavg_start']} at the start, {m['loadavg_end']} at the end (1/5/15 min); "
        f"database {s['database']}",
        f"command: {s['command']}",
        "",
        "| measure | now | measured | target | goal beyond | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in s["targets"]:
        met = {True: "yes", False: "**no**", None: "-"}[r["met"]]
        lines.append(
            f"| {r['measure']} | {r['now']} | {_cell(r['measured'])} | {r['target']} | "
            f"{r['goal']} | {met} |"
        )
    lines += ["", "approvals (ms):"]
    for side, v in s["approvals"].items():
        lines.append(
            f"  {side:<10} {_cell(v['per_s'])}/s  p50 {_cell(v['p50_ms'])}  "
            f"p95 {_cell(v['p95_ms'])}  p99 {_cell(v['p99_ms'])}"
        )
    scale = s["approvals_per_s_by_processes"]
    if len(scale) > 1:
        lines.append(
            "approvals/s by workers + APIs on one database: "
            + ", ".join(f"{k}: {_cell(v)}" for k, v in scale.items())
        )
    if s["console_pages_p95_ms"]:
        lines.append(
            "console pages, p95 ms with 10,000 processes (target 50 for the inbox and a process "
            "page): " + ", ".join(f"{k} {_cell(v)}" for k, v in s["console_pages_p95_ms"].items())
        )
    if s["failed"]:
        lines.append(f"FAILED steps: {', '.join(s['failed'])}")
    return "\n".join(lines)
