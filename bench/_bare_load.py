"""The bare side of the comparison: start ``BareApprovalWorkflow``s and decide on them directly."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Sequence

from temporalio.client import Client, WorkflowExecutionStatus

from bench._load import Op, bounded
from bench._stack import BenchError
from bench.bare import BareApprovalWorkflow, BareDecision, BareStart

SETUP_TIMEOUT_S = 60.0
# The workflow's history once its first task is done: started, task scheduled, started, completed.
FIRST_TASK_DONE = 4


async def setup_bare(client: Client, task_queue: str, count: int, limit: int) -> list[str]:
    run = secrets.token_hex(4)
    ids = [f"bare-{run}-{i}" for i in range(count)]
    starts = [
        client.start_workflow(BareApprovalWorkflow.run, BareStart(), id=wid, task_queue=task_queue)
        for wid in ids
    ]
    await bounded(limit, starts)

    async def first_task_done(wid: str) -> None:
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        while (await client.get_workflow_handle(wid).describe()).history_length < FIRST_TASK_DONE:
            if time.monotonic() > deadline:
                raise BenchError(f"bare workflow {wid} never ran its first task; no bare worker?")
            await asyncio.sleep(0.05)

    await bounded(limit, [first_task_done(wid) for wid in ids])
    return ids


def bare_op(client: Client, chain: Sequence[tuple[str, str | None, str | None]]) -> Op[str]:
    async def op(wid: str, k: int) -> tuple[str, str] | None:
        role, sub, _ = chain[k]
        d = BareDecision(
            actor_id=sub or f"supervisor-of-{wid}",
            role=role,
            decision="approve",
            justification=f"{role}: file complete and verified",
            decree_number="800/KP/1" if k == len(chain) - 1 else None,
        )
        handle = client.get_workflow_handle_for(BareApprovalWorkflow.run, wid)
        await handle.execute_update(BareApprovalWorkflow.decide, d)
        return None

    return op


async def bare_completed(client: Client, ids: list[str], limit: int) -> int:
    async def completed(wid: str) -> bool:
        desc = await client.get_workflow_handle(wid).describe()
        return desc.status == WorkflowExecutionStatus.COMPLETED

    return sum(await bounded(limit, [completed(wid) for wid in ids]))
