"""What the Temporal server says about a benchmark's workflows once the load is over.

Counted from the server, not from the driver's view: every history is read and its
``WorkflowTaskTimedOut`` and ``WorkflowTaskFailed`` events counted (a task that timed out was
retried, so the run may still have finished: the driver would never know); a workflow still
running when every chain driven through it has ended is stuck (a promotion left in a step, a
review left in ``assigning``). Both must be 0.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from bench._load import bounded

# Visibility and the last ledger activities lag the final answer a little.
SETTLE_S = 15.0
SAMPLE_IDS = 5


async def history_counts(client: Client, wid: str) -> tuple[int, int, int, int]:
    """(workflow task timeouts, of which a sticky queue's schedule-to-start, workflow task
    failures, events) over every run of ``wid``."""
    timeouts = sticky = failures = events = 0
    run_id: str | None = None
    while True:
        handle = client.get_workflow_handle(wid, run_id=run_id)
        next_run: str | None = None
        async for e in handle.fetch_history_events():
            events += 1
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                timeouts += 1
                kind = e.workflow_task_timed_out_event_attributes.timeout_type
                sticky += kind == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failures += 1
            elif e.HasField("workflow_execution_continued_as_new_event_attributes"):
                next_run = (
                    e.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
                )
        if next_run is None:
            return timeouts, sticky, failures, events
        run_id = next_run


async def health(
    client: Client,
    ids: Sequence[str],
    *,
    expect_closed: bool = True,
    concurrency: int = 16,
    settle_s: float = SETTLE_S,
) -> dict[str, Any]:
    """Workflow task timeouts and failures over the histories of ``ids`` (every run of each),
    and, with ``expect_closed``, how many are still running after ``settle_s``."""
    counts = await bounded(concurrency, [_counts(client, wid) for wid in ids])
    stuck: list[str] = []
    if expect_closed:
        deadline = time.monotonic() + settle_s
        while True:
            stuck = [
                w for w, s in zip(ids, await _statuses(client, ids, concurrency), strict=True) if s
            ]
            if not stuck or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
    return {
        "workflows": len(ids),
        "workflow_task_timeouts": sum(c[0] for c in counts),
        # Of those, the worker's sticky queue not polled in time (the task then went to the
        # normal queue); the others are tasks a worker took and did not finish in time.
        "of_which_sticky_schedule_to_start": sum(c[1] for c in counts),
        "workflow_task_failures": sum(c[2] for c in counts),
        "history_events": sum(c[3] for c in counts),
        "absent": sum(c[4] for c in counts),
        "stuck": len(stuck),
        "stuck_ids": stuck[:SAMPLE_IDS],
    }


async def _counts(client: Client, wid: str) -> tuple[int, int, int, int, int]:
    try:
        return (*await history_counts(client, wid), 0)
    except RPCError:
        return 0, 0, 0, 0, 1


async def _statuses(client: Client, ids: Sequence[str], concurrency: int) -> list[bool]:
    async def running(wid: str) -> bool:
        try:
            desc = await client.get_workflow_handle(wid).describe()
        except RPCError:
            return False
        return desc.status == WorkflowExecutionStatus.RUNNING

    return await bounded(concurrency, [running(w) for w in ids])
