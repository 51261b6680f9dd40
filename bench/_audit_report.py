"""The audit benchmark's report: the machine, the filled ledger in numbers, and the printed table
(bench/audit_ledger.py measures; this module only says what it measured)."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._ledger_fill import FillStats

# --- report ------------------------------------------------------------------------------------


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    model = ""
    mem = ""
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        mem = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": mem,
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def ledger_summary(stats: FillStats, db_bytes: int) -> dict[str, Any]:
    sizes = sorted(stats.sizes.values())
    return {
        "entries": stats.entries,
        "processes": dict(stats.processes),
        "process_count": len(sizes),
        "entries_per_process": {
            "median": sizes[len(sizes) // 2],
            "p99": sizes[max(math.ceil(0.99 * len(sizes)) - 1, 0)],
            "max": sizes[-1],
        },
        "outcomes": dict(stats.outcomes),
        "agencies": len(stats.agency_entries),
        "largest_agency_entries": stats.agency_entries.most_common(1)[0][1],
        "smallest_agency_entries": stats.agency_entries.most_common()[-1][1],
        "recorded_from": stats.first.isoformat() if stats.first else None,
        "recorded_to": stats.last.isoformat() if stats.last else None,
        "fill_s": round(stats.seconds, 1),
        "fill_per_s": round(stats.entries / stats.seconds) if stats.seconds else None,
        "database_mib": round(db_bytes / 2**20, 1),
    }


def _plan_text(plan: list[str]) -> str:
    return " | ".join(plan)


def render(res: dict[str, Any]) -> str:
    m, led, p = res["machine"], res["ledger"], res["parameters"]
    cp, ex, vf = res["checkpoint"], res["export"], res["verify"]
    per = led["entries_per_process"]
    lines = [
        f"Meritflow: the auditor's toolkit over a ledger of {led['entries']:,} entries on SQLite",
        f"machine  : {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, {m['platform']}, "
        f"Python {m['python']}, SQLite {m['sqlite']}; load average {m['loadavg_at_start']} "
        f"(1/5/15 min) at start, {m['loadavg_at_end']} at the end",
        "Temporal : not involved (the API's client is lazy and never connects), so no ratio "
        "against bare Temporal applies to these numbers",
        f"ledger   : {led['process_count']:,} processes {led['processes']}, entries per process "
        f"median {per['median']}, p99 {per['p99']}, max {per['max']}; outcomes "
        f"{led['outcomes']}; {led['agencies']} agencies ({led['largest_agency_entries']:,} to "
        f"{led['smallest_agency_entries']:,} entries); recorded {led['recorded_from'][:10]} to "
        f"{led['recorded_to'][:10]}; database {led['database_mib']} MiB",
        f"fill     : {led['fill_s']} s ({led['fill_per_s']:,} entries/s; built and hashed by "
        "domain/ledger.py, bulk INSERT; untimed setup)",
        f"measured : {res['method']}",
        "",
        f"{'GET /v1/audit/entries?limit=100':<52}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'rows':>6}  SQLite plan",
    ]
    for s in res["search"]:
        lines.append(
            f"{s['query']:<52}{s['requests']:>5}{_c(s['p50_ms']):>9}{_c(s['p99_ms']):>9}"
            f"{_c(s['max_ms']):>9}{s['mean_rows']:>6.0f}  {_plan_text(s['plan'])}"
        )
    lines += [
        "",
        "history = GET /v1/processes/{id}/ledger, verify = GET /v1/processes/{id}/ledger/verify",
        f"{'single-process history':<52}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}  entries/process "
        "(min/median/max), processes",
    ]
    for h in res["history"]:
        what = "verify" if h["endpoint"].endswith("verify") else "history"
        name = f"{what}: {h['bucket']}"
        lines.append(
            f"{name[:52]:<52}{h['requests']:>5}{_c(h['p50_ms']):>9}{_c(h['p99_ms']):>9}  "
            f"{h['entries_min']}/{h['entries_median']}/{h['entries_max']}, {h['processes']}"
        )
    lines += [
        "",
        f"{'throughput':<52}{'entries':>10}{'wall s':>9}{'entries/s':>11}",
        f"{'checkpoint: POST /v1/audit/checkpoints (index+sign)':<52}{cp['tree_size']:>10}"
        f"{cp['wall_s']:>9.1f}{cp['per_s']:>11,}",
        f"{'export: GET /v1/audit/export?format=jsonl':<52}{ex['entries']:>10}{ex['wall_s']:>9.1f}"
        f"{ex['per_s']:>11,}   ({ex['mib_per_s']} MiB/s, {ex['bytes'] / 2**20:.0f} MiB)",
        f"{'offline verify: python -m cli.verify':<52}{vf['entries']:>10}{vf['wall_s']:>9.1f}"
        f"{vf['per_s']:>11,}   (CPU {vf['cpu_s']} s, peak RSS {vf['peak_rss_mib']} MiB)",
        f"verifier said: {vf['summary']}",
        "",
        f"checks: {res['checks']}",
        f"parameters: {p}",
    ]
    scans = [s["query"] for s in res["search"] if s["full_scan"]]
    if scans:
        lines.append(f"full table scans (no usable index) for: {', '.join(scans)}")
    return "\n".join(lines)


def full_scan(plan: list[str]) -> bool:
    """A table scan, or an index walk that must still sort: every row read before the first page.

    ``SCAN ledger_entries USING INDEX`` on the search order with no temporary B-tree is a walk in
    page order that stops after ``limit`` matches, which is not a full scan.
    """
    sorts = any("TEMP B-TREE FOR ORDER BY" in p for p in plan)
    for p in plan:
        if p.startswith("SCAN ledger_entries") and ("USING" not in p or sorts):
            return True
    return False


def _c(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def say(message: str) -> None:
    sys.stderr.write(f"• {message}\n")
