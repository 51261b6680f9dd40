"""A worker's shutdown ends even when an activity in flight never does, and says what was stuck."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import structlog
from temporalio import activity, workflow
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner

from infra.worker_shutdown import BoundedWorker

release = asyncio.Event()
entered = asyncio.Event()


@activity.defn(name="deaf_to_cancellation")
async def deaf_to_cancellation() -> str:
    """Ignores every cancellation until the test lets it go (what a stuck activity looks like)."""
    entered.set()
    while not release.is_set():
        try:
            await release.wait()
        except asyncio.CancelledError:
            continue
    return "released"


@workflow.defn(name="WaitsOnADeafActivity")
class WaitsOnADeafActivity:
    @workflow.run
    async def run(self) -> str:
        return str(
            await workflow.execute_activity(
                deaf_to_cancellation, start_to_close_timeout=timedelta(minutes=5)
            )
        )


def _worker(env: WorkflowEnvironment, queue: str, bound: float) -> BoundedWorker:
    return BoundedWorker(
        env.client,
        task_queue=queue,
        workflows=[WaitsOnADeafActivity],
        activities=[deaf_to_cancellation],
        workflow_runner=UnsandboxedWorkflowRunner(),
        shutdown_bound_s=bound,
    )


async def test_shutdown_is_bounded_and_logs_what_was_stuck(dev_env: WorkflowEnvironment) -> None:
    queue = f"shutdown-{uuid.uuid4().hex[:8]}"
    release.clear()
    entered.clear()
    worker = _worker(dev_env, queue, bound=1.0)
    handle = None
    with structlog.testing.capture_logs() as logs:
        async with worker:
            handle = await dev_env.client.start_workflow(
                WaitsOnADeafActivity.run, id=f"wf-{queue}", task_queue=queue
            )
            await asyncio.wait_for(entered.wait(), 60)
        # The `async with` exit returned although the activity is still running.
        assert not release.is_set()
    assert worker.shutdown_stuck
    stuck = [e for e in logs if e["event"] == "worker.shutdown_stuck"]
    assert len(stuck) == 1 and stuck[0]["task_queue"] == queue
    assert any("deaf_to_cancellation" in stack for stack in stuck[0]["tasks"]), stuck[0]["tasks"]
    release.set()
    await asyncio.sleep(0.1)
    await handle.terminate("test finished")
    try:
        await handle.result()
    except WorkflowFailureError:
        pass


async def test_a_worker_that_finishes_in_time_is_not_reported(dev_env: WorkflowEnvironment) -> None:
    queue = f"shutdown-{uuid.uuid4().hex[:8]}"
    release.clear()
    entered.clear()
    worker = _worker(dev_env, queue, bound=30.0)
    with structlog.testing.capture_logs() as logs:
        async with worker:
            handle = await dev_env.client.start_workflow(
                WaitsOnADeafActivity.run, id=f"wf-{queue}", task_queue=queue
            )
            await asyncio.wait_for(entered.wait(), 60)
            release.set()
            assert await handle.result() == "released"
    assert not worker.shutdown_stuck
    assert not [e for e in logs if e["event"] == "worker.shutdown_stuck"]
