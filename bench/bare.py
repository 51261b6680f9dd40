"""The baseline: a bare Temporal workflow that takes approval decisions and does nothing else.

``BareApprovalWorkflow`` is what ``PromotionWorkflow`` would be without HTTP, auth, the database,
the ledger activity and the domain rules: the benchmark drives it with the same number of updates at
the same concurrency, so the ratio of the two throughputs is what Meritflow costs over Temporal.

Run its worker on its own: ``python -m bench.bare --address 127.0.0.1:7233 --task-queue bare``.
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

STEPS = 5


class BareStart(BaseModel):
    steps: int = STEPS


class BareDecision(BaseModel):
    actor_id: str
    role: str
    decision: str
    justification: str
    decree_number: str | None = None


class BareState(BaseModel):
    decisions: list[str]
    completed: bool


@workflow.defn
class BareApprovalWorkflow:
    """A chain of ``steps`` approvals held in workflow state.

    Updates:   ``decide(BareDecision) -> BareState`` records the decision and returns at once.
    Timers:    none.
    Outcomes:  completed once ``steps`` decisions are recorded.
    """

    def __init__(self) -> None:
        self._decisions: list[str] = []
        self._steps = STEPS

    @workflow.run
    async def run(self, start: BareStart) -> BareState:
        self._steps = start.steps
        await workflow.wait_condition(lambda: len(self._decisions) >= self._steps)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.update
    def decide(self, d: BareDecision) -> BareState:
        self._decisions.append(f"{d.role}:{d.actor_id}:{d.decision}")
        return self._state()

    def _state(self) -> BareState:
        return BareState(
            decisions=list(self._decisions), completed=len(self._decisions) >= self._steps
        )


def build_bare_worker(client: Client, task_queue: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[BareApprovalWorkflow])


async def _serve(address: str, namespace: str, task_queue: str) -> None:
    client = await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with build_bare_worker(client, task_queue):
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the bare approval workflow's worker.")
    parser.add_argument("--address", required=True, help="Temporal frontend, host:port")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.address, args.namespace, args.task_queue))


if __name__ == "__main__":
    main()
