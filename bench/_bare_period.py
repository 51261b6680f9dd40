"""The bare side of the period benchmark: one workflow that starts N children, and nothing else.

``BarePeriodWorkflow`` is what ``PromotionPeriodWorkflow`` would be without its activities (members
from the database, read-model rows, counters, ledger): pages of ``page_size`` children
(``BareApprovalWorkflow``, which waits for updates as a promotion waits for its supervisor), at most
``max_in_flight`` starts in flight, continue-as-new after ``children_per_run``, parent close policy
ABANDON. The children never run anything but their first workflow task.

Run its worker on its own: ``python -m bench._bare_period --address 127.0.0.1:7233 --task-queue q``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from bench.bare import BareApprovalWorkflow, BareStart


class BarePeriodInput(BaseModel):
    prefix: str
    total: int
    max_in_flight: int = 50
    children_per_run: int = 500
    page_size: int = 100
    cursor: int = 0
    run: int = 1


class BarePeriodResult(BaseModel):
    started: int
    runs: int


@workflow.defn
class BarePeriodWorkflow:
    @workflow.run
    async def run(self, inp: BarePeriodInput) -> BarePeriodResult:
        cursor, taken = inp.cursor, 0
        gate = asyncio.Semaphore(inp.max_in_flight)

        async def start(i: int) -> None:
            async with gate:
                await workflow.start_child_workflow(
                    BareApprovalWorkflow.run,
                    BareStart(),
                    id=f"{inp.prefix}-{i}",
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )

        while cursor < inp.total and taken < inp.children_per_run:
            size = min(inp.page_size, inp.children_per_run - taken, inp.total - cursor)
            await asyncio.gather(*(start(i) for i in range(cursor, cursor + size)))
            cursor, taken = cursor + size, taken + size
            if workflow.info().is_continue_as_new_suggested():
                break
        if cursor < inp.total:
            workflow.continue_as_new(inp.model_copy(update={"cursor": cursor, "run": inp.run + 1}))
        return BarePeriodResult(started=cursor, runs=inp.run)


async def _serve(address: str, namespace: str, task_queue: str) -> None:
    client = await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client, task_queue=task_queue, workflows=[BarePeriodWorkflow, BareApprovalWorkflow]
    )
    async with worker:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the bare period workflow's worker.")
    parser.add_argument("--address", required=True, help="Temporal frontend, host:port")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.address, args.namespace, args.task_queue))


if __name__ == "__main__":
    main()
