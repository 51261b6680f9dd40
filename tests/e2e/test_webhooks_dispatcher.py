"""WebhookDispatcherWorkflow on the time-skipping test server, with a scripted fake activity
registered under the real one's name: back-off, idling, pause / resume, continue-as-new, stop.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.webhooks import DeliverBatch, DeliverBatchResult
from workflows.webhooks import (
    DispatcherInput,
    DispatcherResult,
    WebhookDispatcherWorkflow,
    backoff_seconds,
)

IDLE = DeliverBatchResult(subscription_status="active")
GONE = DeliverBatchResult(subscription_status="deleted")


def failed(delivered: int = 0) -> DeliverBatchResult:
    return DeliverBatchResult(
        subscription_status="active", delivered=delivered, failed=1, pending=1
    )


def sent(pending: int) -> DeliverBatchResult:
    return DeliverBatchResult(subscription_status="active", delivered=1, pending=pending)


class Script:
    def __init__(self, *results: DeliverBatchResult, then: DeliverBatchResult = IDLE) -> None:
        self.results, self.then, self.calls = list(results), then, 0

    @activity.defn(name="webhooks.deliver_batch")
    async def deliver_batch(self, req: DeliverBatch) -> DeliverBatchResult:
        self.calls += 1
        return self.results.pop(0) if self.results else self.then


def worker(env: WorkflowEnvironment, script: Script, queue: str) -> Worker:
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[WebhookDispatcherWorkflow],
        activities=[script.deliver_batch],
    )


async def start(
    env: WorkflowEnvironment, queue: str, **kw: float
) -> WorkflowHandle[WebhookDispatcherWorkflow, DispatcherResult]:
    inp = DispatcherInput(subscription_id=f"whsub_{uuid.uuid4().hex[:8]}", **kw)  # type: ignore[arg-type]
    return await env.client.start_workflow(
        WebhookDispatcherWorkflow.run, inp, id=f"webhooks-{inp.subscription_id}", task_queue=queue
    )


async def timers(
    handle: WorkflowHandle[WebhookDispatcherWorkflow, DispatcherResult],
) -> list[float]:
    history = await handle.fetch_history()
    return [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta().total_seconds()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_seconds(n, 1.0, 4.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff_seconds(10_000, 1.0, 300.0) == 300.0


async def test_back_off_on_failures_go_on_when_more_is_queued_idle_when_empty(
    ts_env: WorkflowEnvironment,
) -> None:
    queue = f"tq-{uuid.uuid4().hex[:12]}"
    script = Script(
        failed(),
        failed(),
        failed(),
        failed(),  # receiver down: 1, 2, 4, 4 (capped)
        sent(pending=1),  # back: and more is queued, so no pause
        sent(pending=0),  # all sent: idle
        failed(delivered=1),  # partly refused: the receiver is up, back-off starts over
        then=GONE,
    )
    async with worker(ts_env, script, queue):
        handle = await start(
            ts_env, queue, idle_seconds=10, backoff_initial_seconds=1, backoff_max_seconds=4
        )
        result = await handle.result()
    assert result.delivered == 3
    assert await timers(handle) == [1, 2, 4, 4, 10, 1]


async def test_pause_holds_resume_wakes_stop_ends(ts_env: WorkflowEnvironment) -> None:
    queue = f"tq-{uuid.uuid4().hex[:12]}"
    script = Script()
    async with worker(ts_env, script, queue):
        handle = await start(ts_env, queue, idle_seconds=5)
        await ts_env.sleep(timedelta(seconds=30))
        assert script.calls >= 3
        await handle.signal(WebhookDispatcherWorkflow.pause)
        await ts_env.sleep(timedelta(seconds=5))
        paused_at = script.calls
        await ts_env.sleep(timedelta(seconds=120))  # shorter than the paused re-check
        assert script.calls == paused_at
        await handle.signal(WebhookDispatcherWorkflow.resume)
        await ts_env.sleep(timedelta(seconds=30))
        assert script.calls > paused_at
        await handle.signal(WebhookDispatcherWorkflow.stop)
        result = await handle.result()
    assert result.delivered == 0


async def test_continues_as_new_carrying_the_failure_count(ts_env: WorkflowEnvironment) -> None:
    queue = f"tq-{uuid.uuid4().hex[:12]}"
    script = Script(failed(), failed(), failed())
    async with worker(ts_env, script, queue):
        handle = await start(
            ts_env, queue, idle_seconds=5, backoff_initial_seconds=1, iterations_per_run=2
        )
        await ts_env.sleep(timedelta(seconds=60))
        await handle.signal(WebhookDispatcherWorkflow.stop)
        await handle.result()
    first = ts_env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    first_history = await first.fetch_history()
    last = first_history.events[-1]
    assert last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert await timers(first) == [1, 2]
    second_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    second = ts_env.client.get_workflow_handle(handle.id, run_id=second_id)
    # The third failure in a row backs off 4 s, though it is the new run's first.
    assert (await timers(second))[0] == 4
