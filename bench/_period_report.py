"""The plain-text table of bench/promotion_period.py."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

from bench._memory import RSS_SAMPLE_S
from bench._report import machine

METHOD = (
    "one Temporal dev server (state in a SQLite file or memory, see parameters) for both "
    "sides; Meritflow worker, bare worker and API (uvicorn) one process each, load from this "
    "process over loopback; bare = client.start_workflow of a workflow that waits for updates, "
    "at most `concurrency` calls in flight, wall clock from first call to last answer; "
    "bare period (only with --bare-period) = one workflow starting that many of those as "
    "children, in pages, in-flight bound and continue-as-new, no activities, on its own worker; "
    "Meritflow = one CloudEvent POST /v1/events opening the period, wall clock until "
    "GET /v1/promotion-periods/{id} says completed (every promotion started; polled every "
    "0.25 s): start_period_page activities start `page_size` promotions each with the client, "
    "`concurrency` starts in flight, each promotion with its snapshot and calendar; the "
    "promotions run their first workflow task and ledger activity meanwhile on the same worker, "
    "server and database; peak memory = VmHWM of the worker subprocesses from /proc; workflow "
    "task timeouts counted in every history of the period and its promotions"
)


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cell(value: Any, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def render(res: dict[str, Any]) -> str:
    m, p, mf_ = res["machine"], res["parameters"], res["meritflow"]
    bc, bp = res["bare_client"], res["bare_period"]
    mem_before, mem_after = res["worker_peak_rss_mib"].values()
    ratios = res["ratios"]
    rows = [("bare: client.start_workflow", bc["started"], bc["wall_s"], bc["per_s"])]
    if bp:
        rows += [
            ("bare: period workflow, children started", bp["started"], bp["wall_s"], bp["per_s"]),
            ("  same, Temporal server-side span", bp["started"], bp["server_span_s"],
             bp["server_per_s"]),
        ]  # fmt: skip
    rows += [
        ("Meritflow period: promotions started", mf_["started"], mf_["wall_s"], mf_["per_s"]),
        ("  same, Temporal server-side span", mf_["started"], mf_["server_span_s"],
         mf_["server_per_s"]),
    ]  # fmt: skip
    h = mf_["health"]
    rss = mf_.get("rss_samples_mib") or {}
    lines = [
        "Meritflow: a promotion period's child starts vs bare Temporal workflow starts",
        f"machine     : {m['nproc']} CPUs, {m['platform']}, Python {m['python']}, load average "
        f"{m['loadavg_1m_at_start']} (1 min) at start, {m['loadavg_at_end']} (1/5/15 min) at the "
        f"end; temporalio {m['temporalio']}, {m['temporal_cli']}",
        f"parameters  : {p['employees']} employees (every {p['ineligible_every']}th ineligible), "
        f"{p['bare_starts']} bare starts, concurrency {p['concurrency']}, "
        f"{p['children_per_run']} children per run, pages of {p['page_size']}, period {p['period']}, "
        f"Temporal state in {p['temporal_db']}",
        f"measured    : {res['method']}",
        "",
        f"{'phase':<44}{'workflows':>10}{'wall s':>10}{'per s':>10}",
        *[f"{n:<44}{c:>10}{w:>10.2f}{_cell(r, '.1f'):>10}" for n, c, w, r in rows],
        "",
        "ratio Meritflow / bare client starts (starts per second): "
        f"{_cell(ratios['meritflow_over_bare_client'], '.4f')}",
        "ratio Meritflow / bare period workflow (children per second): "
        f"{_cell(ratios['meritflow_over_bare_period'], '.4f')}",
        f"period runs (continue-as-new): Meritflow {mf_['runs']} (largest history "
        f"{mf_['max_events_per_run']} events)"
        + (f", bare {bp['runs']} (largest {bp['max_events_per_run']})" if bp else ""),
        f"Temporal server, over {h['workflows']} histories: {h['workflow_task_timeouts']} workflow "
        f"task timeouts ({h.get('of_which_sticky_schedule_to_start', 0)} sticky schedule-to-start), "
        f"{h['workflow_task_failures']} failures; stuck (still starting): "
        f"{h['stuck']}",
        f"every promotion past eligibility after: {mf_['all_assessed_s']:.1f} s; "
        f"tally {mf_['tally']}",
        f"worker peak RSS (VmHWM of each worker subprocess, MiB): before the period {mem_before}; "
        f"at the end {mem_after}",
        f"Meritflow worker RSS during the period (VmRSS every {RSS_SAMPLE_S:.0f} s, MiB): "
        f"first {rss.get('first')}, max {rss.get('max')}, last {rss.get('last')}, "
        f"{rss.get('count', 0)} samples",
        f"CPU seconds, bare client starts: {bc['cpu_s']}",
        f"CPU seconds, bare period: {bp['cpu_s'] if bp else '-'}",
        f"CPU seconds, Meritflow period (until every promotion was past eligibility): "
        f"{mf_['cpu_s']}",
        f"checks: {res['checks']}",
    ]
    return "\n".join(lines)


def result_of(
    cfg: Any,
    period: date,
    loadavg: float,
    bare: dict[str, dict[str, Any] | None],
    merit: dict[str, Any],
    before: dict[str, float | None],
    after: dict[str, float | None],
) -> dict[str, Any]:
    ratios = {
        f"meritflow_over_bare_{name}": round(merit["per_s"] / side["per_s"], 4)
        if side and side["per_s"]
        else None
        for name, side in bare.items()
    }
    bare_period = bare["period"]
    return {
        "benchmark": "promotion_period",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            **machine(),
            "loadavg_1m_at_start": loadavg,
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "parameters": {
            "employees": cfg.employees,
            "bare_starts": cfg.bare,
            "concurrency": cfg.concurrency,
            "children_per_run": cfg.children_per_run,
            "page_size": cfg.page_size,
            "ineligible_every": cfg.ineligible_every,
            "temporal_db": cfg.temporal_db,
            "period": period.isoformat(),
            "bare_period_children": cfg.bare_period,
            "database": "PostgreSQL (127.0.0.1:5432)" if cfg.postgres else "SQLite (WAL)",
        },
        "method": METHOD,
        "bare_client": bare["client"],
        "bare_period": bare["period"],
        "meritflow": merit,
        "ratios": ratios,
        "ratio_meritflow_over_bare": ratios["meritflow_over_bare_client"],
        "worker_peak_rss_mib": {"before_period": before, "at_end": after},
        "checks": {
            "period_completed": merit["started"] + merit["already_running"] == cfg.employees,
            "bare_period_completed": bare_period is None
            or bare_period["started"] == cfg.bare_period,
            "no_workflow_task_timeouts": merit["health"]["workflow_task_timeouts"] == 0,
            "none_stuck": merit["health"]["stuck"] == 0,
        },
    }
