"""The JSON of bench/promotion_decisions.py: parameters, phases, ratios, CPU per approval."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench import _meritflow as mf
from bench._report import Phase, machine, percentile
from bench._scale import BARE_CPU, MERITFLOW_CPU, cpu_per_op

STEPS = len(mf.CHAIN)
METHOD = (
    "wall clock from the first request to the last response of each timed phase; one Temporal dev "
    "server for both sides; API = 1 uvicorn process, Meritflow worker and bare worker = 1 "
    "process each, load = this process (httpx.AsyncClient over loopback, keep-alive / "
    "temporalio Client with the pydantic data converter); every API request carries a bearer "
    "token; Meritflow database = SQLite (WAL) in a temp dir, or a fresh PostgreSQL database, or "
    "the deployment's (see parameters); setup and warm-up untimed; with the "
    "BKN step as review, that approval is the pertek review of tests/e2e (a bounded wait if the "
    "review is not yet open, declare no conflict with the verdict in one request, or apart "
    "first with review-apart, a bounded wait if the next step is not yet pending) and is timed "
    "as one approval"
)


def result_of(
    cfg: Any, phases: dict[str, Phase], checks: dict[str, int], loadavg: float
) -> dict[str, Any]:
    merit, bare = phases["meritflow"], phases["bare"]
    ratio = merit.per_s / bare.per_s if bare.per_s else None
    m99, b99 = percentile(merit.latencies_s, 0.99), percentile(bare.latencies_s, 0.99)
    return {
        "benchmark": "promotion_decisions",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "loadavg_1m_at_start": loadavg},
        "parameters": {
            "promotions": cfg.promotions,
            "steps": STEPS,
            "decisions": cfg.promotions * STEPS,
            "concurrency": cfg.concurrency,
            "reads": cfg.reads,
            "setup_concurrency": cfg.setup_concurrency,
            "temporal_db": cfg.temporal_db,
            "bkn_step": cfg.bkn_step,
            "settle_ms": cfg.settle_ms,
            "poll_ms": cfg.poll_ms,
            "request_timeout_s": cfg.request_timeout_s,
            "database": database_of(cfg),
            "deployment": list(cfg.deployment),
            "temporal": cfg.temporal,
            "scale": list(cfg.scale),
        },
        "method": METHOD,
        **{name: phase.summary() for name, phase in phases.items()},
        "ratio_meritflow_over_bare": round(ratio, 4) if ratio else None,
        "p99_ratio_meritflow_over_bare": round(m99 / b99, 2) if m99 and b99 else None,
        "cpu_ms_per_approval": {
            "meritflow": cpu_per_op(merit.cpu_s, merit.ok, MERITFLOW_CPU),
            "bare": cpu_per_op(bare.cpu_s, bare.ok, BARE_CPU),
            "meritflow_processes": list(MERITFLOW_CPU),
            "bare_processes": list(BARE_CPU),
        },
        "checks": checks,
    }


def database_of(cfg: Any) -> str:
    if cfg.deployment:
        return "the deployment's"
    return "PostgreSQL (127.0.0.1:5432)" if cfg.postgres else "SQLite (WAL)"
