"""WebhookDispatcherWorkflow: one per subscription (id ``webhooks-<subscription_id>``), long-running.

Loop: the activity ``webhooks.deliver_batch`` sends the head of each process's queue (so order per
process holds) and reports how many went through. Then:

- all sent and more queued: go again at once;
- some failed: wait on a durable timer, exponentially longer after each failing batch
  (``backoff_initial_seconds`` doubling up to ``backoff_max_seconds``), then try again;
- nothing queued: sleep ``idle_seconds`` on a durable timer and look again.

Each delivery has a retry budget (``max_attempts`` / ``max_age_seconds``); the activity marks one
``dead`` when it is spent, and the process's later deliveries wait behind it until a replay.

Signals:   ``pause`` (stop sending until resumed), ``resume``, ``wake`` (cut a sleep or a back-off
           short, e.g. after a replay), ``stop`` (the subscription was deleted).
Timers:    the back-off and idle sleeps above; while paused, a long re-check in case a resume signal
           was lost (the subscription row is the source of truth, and the activity reads it).
Outcomes:  returns when the subscription is deleted; otherwise continues as new every
           ``iterations_per_run`` loops (or when Temporal suggests it) to keep its history small,
           carrying the failure count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import DeliverBatch, DeliverBatchResult, WebhookActivities

DELIVER_TIMEOUT = timedelta(minutes=2)
# Sending failures are results, not errors; only the database or a crash fails the activity, and
# those are worth retrying for as long as it takes.
DELIVER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=60)
)
PAUSED_RECHECK_SECONDS = 300.0


def dispatcher_workflow_id(subscription_id: str) -> str:
    return f"webhooks-{subscription_id}"


class DispatcherInput(BaseModel):
    subscription_id: str
    idle_seconds: float = 5.0
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    iterations_per_run: int = 500
    # Retry budget per delivery, and the SSRF guard's development allowance (see DeliverBatch).
    max_attempts: int = 0
    max_age_seconds: float = 86400.0
    allow_loopback: bool = False
    # Carried across continue-as-new (the paused flag is not: the first batch reads the row).
    consecutive_failures: int = 0


class DispatcherResult(BaseModel):
    subscription_id: str
    delivered: int


def backoff_seconds(failures: int, initial: float, maximum: float) -> float:
    """Delay after the ``failures``-th failing batch in a row (1-based): initial × 2^(n-1), capped."""
    return float(min(initial * 2 ** min(max(failures - 1, 0), 30), maximum))


@workflow.defn
class WebhookDispatcherWorkflow:
    def __init__(self) -> None:
        self._paused = False
        self._stopped = False
        self._woken = False
        self._failures = 0
        self._delivered = 0

    @workflow.run
    async def run(self, inp: DispatcherInput) -> DispatcherResult:
        self._failures = inp.consecutive_failures
        for _ in range(inp.iterations_per_run):
            if self._stopped:
                return self._result(inp)
            if self._paused:
                await self._sleep(PAUSED_RECHECK_SECONDS, until=lambda: not self._paused)
                self._paused = False  # the activity reads the row and says if it still is
                continue
            result = await workflow.execute_activity_method(
                WebhookActivities.deliver_batch,
                DeliverBatch(
                    subscription_id=inp.subscription_id,
                    max_attempts=inp.max_attempts,
                    max_age_seconds=inp.max_age_seconds,
                    allow_loopback=inp.allow_loopback,
                ),
                start_to_close_timeout=DELIVER_TIMEOUT,
                retry_policy=DELIVER_RETRY,
            )
            self._delivered += result.delivered
            if result.subscription_status == "deleted":
                return self._result(inp)
            if result.subscription_status == "paused":
                self._paused = True
                continue
            delay = self._delay_after(result, inp)
            if delay > 0:
                await self._sleep(delay, until=lambda: self._woken or self._paused)
            if workflow.info().is_continue_as_new_suggested():
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._stopped:
            return self._result(inp)
        workflow.continue_as_new(inp.model_copy(update={"consecutive_failures": self._failures}))

    def _delay_after(self, result: DeliverBatchResult, inp: DispatcherInput) -> float:
        if result.failed:
            # The receiver took some: it is up, so start the back-off over for what it refused.
            self._failures = 1 if result.delivered else self._failures + 1
            return backoff_seconds(
                self._failures, inp.backoff_initial_seconds, inp.backoff_max_seconds
            )
        self._failures = 0
        return 0.0 if result.pending else inp.idle_seconds

    async def _sleep(self, seconds: float, *, until: Callable[[], bool]) -> None:
        # A wake that arrived while the batch was being sent still counts: it means "look again".
        try:
            await workflow.wait_condition(lambda: self._stopped or until(), timeout=seconds)
        except TimeoutError:
            pass
        self._woken = False

    def _result(self, inp: DispatcherInput) -> DispatcherResult:
        workflow.logger.info("webhooks.dispatcher_stopped: %s", inp.subscription_id)
        return DispatcherResult(subscription_id=inp.subscription_id, delivered=self._delivered)

    @workflow.signal
    def pause(self) -> None:
        self._paused = True

    @workflow.signal
    def resume(self) -> None:
        self._paused = False
        self._woken = True

    @workflow.signal
    def wake(self) -> None:
        self._woken = True

    @workflow.signal
    def stop(self) -> None:
        self._stopped = True
