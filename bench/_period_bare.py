"""The bare sides of bench/promotion_period.py, and the runs of a workflow as Temporal lists them."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from temporalio.client import Client

from bench._bare_period import BarePeriodInput, BarePeriodWorkflow
from bench._load import bounded
from bench._stack import BenchError
from bench.bare import BareApprovalWorkflow, BareStart

POLL_S = 0.25
VISIBILITY_TIMEOUT_S = 120.0


async def bare_starts(client: Client, queue: str, cfg: Any) -> dict[str, Any]:
    run = secrets.token_hex(4)

    async def start(i: int) -> None:
        await client.start_workflow(
            BareApprovalWorkflow.run, BareStart(), id=f"bare-{run}-{i}", task_queue=queue
        )

    t0 = time.perf_counter()
    await bounded(cfg.concurrency, [start(i) for i in range(cfg.bare)])
    wall = time.perf_counter() - t0
    return {"started": cfg.bare, "wall_s": round(wall, 3), "per_s": round(cfg.bare / wall, 1)}


async def bare_period(client: Client, queue: str, cfg: Any, children: int) -> dict[str, Any]:
    wid = f"bare-period-{secrets.token_hex(4)}"
    inp = BarePeriodInput(
        prefix=f"{wid}-child",
        total=children,
        max_in_flight=cfg.concurrency,
        children_per_run=cfg.children_per_run,
        page_size=cfg.page_size,
    )
    t0 = time.perf_counter()
    result = await client.execute_workflow(BarePeriodWorkflow.run, inp, id=wid, task_queue=queue)
    wall = time.perf_counter() - t0
    runs = await runs_of(client, wid)
    span = (max(r["close"] for r in runs) - min(r["start"] for r in runs)).total_seconds()
    return {
        "started": result.started,
        "wall_s": round(wall, 3),
        "per_s": round(result.started / wall, 1),
        "server_span_s": round(span, 3),
        "server_per_s": round(result.started / span, 1) if span > 0 else None,
        "runs": len(runs),
        "max_events_per_run": max(r["events"] for r in runs),
    }


async def runs_of(client: Client, pid: str) -> list[dict[str, Any]]:
    """Every run of ``pid`` once all are closed. The period's row says "completed" from its last
    activity, before the run itself closes, and the dev server's visibility lags a little."""
    handle = client.get_workflow_handle(pid)
    await handle.result()  # the last run (the handle follows continue-as-new) has closed
    deadline = time.monotonic() + VISIBILITY_TIMEOUT_S
    while True:
        runs: list[dict[str, Any]] = []
        async for w in client.list_workflows(f"WorkflowId = '{pid}'"):
            runs.append({"run_id": w.run_id, "start": w.start_time, "close": w.close_time})
        if runs and all(r["close"] is not None for r in runs):
            break
        if time.monotonic() > deadline:
            raise BenchError(f"{pid}: runs not all closed in Temporal's visibility: {runs}")
        await asyncio.sleep(POLL_S)
    for r in runs:
        history = await client.get_workflow_handle(pid, run_id=r["run_id"]).fetch_history()
        r["events"] = len(history.events)
    return runs
