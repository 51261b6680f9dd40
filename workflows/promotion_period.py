"""PromotionPeriodWorkflow: one promotion period of one agency (id ``promotion-period-<agency>-<YYYY-MM>``).

Run:       the first run stores the period's members (the employees named by the HR trigger, or the
           agency's candidates pulled from the HR source) through an activity; then every run takes
           the members in order, one ``start_period_page`` activity per run working through them
           a page at a time (activities/period_starts.py): it starts one ``PromotionWorkflow`` per
           employee with
           the Temporal client (id ``promotion-<nip>-<YYYY-MM>``, conflict policy USE_EXISTING and
           reuse policy REJECT_DUPLICATE: an id already taken — running, or finished within
           retention — counts as "already running" and starts nothing), at most ``max_in_flight``
           starts in flight, each with the employee's snapshot and the holiday calendar so its
           first workflow task needs no activity. Promotions outlive the period; their results
           are never awaited. Runs from before patch ``period-starts-promotions-by-client`` start
           them as children (parent close policy ABANDON), a page read and a page recorded by
           activities around the starts, and replay that way.
Task queue: its own (``MERITFLOW_PERIOD_TASK_QUEUE``), its activities with it, and its promotions on
           ``promotion_task_queue``: the period's workflow tasks then never wait behind the first
           tasks of the thousands of promotions it has just started (on one queue, a period of
           10,000 stalled after its first run). A period started before that runs, continues as
           new and starts its promotions on the one queue it began on, which the worker polls too.
Continue-as-new: after ``children_per_run`` members (or when Temporal suggests it), carrying only
           the cursor and the counters, so ten thousand employees never strain one history.
Opened again: a completed period is started once more (same id, a new chain of runs) by a later
           event that carries employees it does not have: ``opening`` is that event's key, the
           counters and cursor carry on from the period row, and the first run adds the new
           members after the last one; the commands are those of any run.
Signals, updates: none. Query: ``state() -> PeriodState``.
Timers:    none.
Outcomes:  completed once every member's promotion was started or found; the period row (requested,
           started, already running, status) is kept by the activities after every page, and the
           live tally is read from the promotions read model (GET /v1/promotion-periods/{id}).
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.period_starts import PeriodStarter, StartPage
    from activities.periods import (
        ClaimPage,
        FinishPeriod,
        PeriodActivities,
        PeriodMember,
        PreparePeriod,
        RecordPage,
    )
    from domain.enums import PromotionType
    from domain.ledger import Actor
    from domain.processes import promotion_workflow_id
    from workflows.contracts import StartPromotion
    from workflows.promotion import PromotionWorkflow

PERIOD_ACTIVITY_TIMEOUT = timedelta(minutes=2)
# A run's starts (5,000 at most, a page at a time) take minutes on a loaded server; a worker lost
# mid-run is noticed by its silence, and its last heartbeat says where to resume.
START_PAGE_TIMEOUT = timedelta(hours=2)
START_PAGE_HEARTBEAT = timedelta(minutes=2)
STARTS_BY_CLIENT_PATCH = "period-starts-promotions-by-client"
PERIOD_ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500), maximum_interval=timedelta(seconds=30)
)


def promotion_period_workflow_id(agency: str, period: date) -> str:
    """One period per agency and month: the business key is the workflow id."""
    return f"promotion-period-{agency}-{period:%Y-%m}"


class PeriodInput(BaseModel):
    period_id: str
    agency: str
    period: date
    promotion_type: PromotionType = PromotionType.REGULAR
    rulebook_version: str
    requested_by: Actor
    # First run only: the employees named by the trigger; None pulls the agency's candidates.
    nips: list[str] | None = None
    # The key of the event that opened a completed period again; None: its first opening.
    opening: str | None = None
    # The task queue its promotions run on, when the period runs on a queue of its own
    # (``MERITFLOW_PERIOD_TASK_QUEUE``); None: the period's own queue, as every run before it.
    promotion_task_queue: str | None = None
    max_in_flight: int = Field(50, ge=1)
    children_per_run: int = Field(500, ge=1)
    page_size: int = Field(100, ge=1)
    # Carried across continue-as-new.
    prepared: bool = False
    requested: int = 0
    cursor: int = 0
    started: int = 0
    already_running: int = 0
    run: int = 1


class PeriodState(BaseModel):
    period_id: str
    requested: int
    cursor: int
    started: int
    already_running: int
    run: int
    completed: bool


class PeriodResult(BaseModel):
    period_id: str
    requested: int
    started: int
    already_running: int
    runs: int


@workflow.defn
class PromotionPeriodWorkflow:
    def __init__(self) -> None:
        self._inp: PeriodInput | None = None
        self._requested = 0
        self._cursor = 0
        self._started = 0
        self._already_running = 0
        self._completed = False

    @workflow.run
    async def run(self, inp: PeriodInput) -> PeriodResult:
        self._inp = inp
        self._requested, self._cursor = inp.requested, inp.cursor
        self._started, self._already_running = inp.started, inp.already_running
        if not inp.prepared:
            self._requested = await self._prepare(inp)
        taken = 0
        # From this change on, pages of promotions are started by an activity with the client;
        # runs from before it replay their child starts.
        by_client = workflow.patched(STARTS_BY_CLIENT_PATCH)
        while self._cursor < self._requested and taken < inp.children_per_run:
            if by_client:
                # The rest of this run in one call, a page at a time inside it: the period's own
                # tasks then never wait in the task queue behind the promotions it started.
                taken += await self._start_page(inp, inp.children_per_run - taken)
            else:
                taken += await self._next_page(
                    inp, min(inp.page_size, inp.children_per_run - taken)
                )
            if workflow.info().is_continue_as_new_suggested():
                break
        if self._cursor < self._requested:
            workflow.continue_as_new(self._carry(inp))
        await self._finish(inp)
        return PeriodResult(
            period_id=inp.period_id,
            requested=self._requested,
            started=self._started,
            already_running=self._already_running,
            runs=inp.run,
        )

    async def _prepare(self, inp: PeriodInput) -> int:
        info = workflow.info()
        result = await workflow.execute_activity_method(
            PeriodActivities.prepare_period,
            PreparePeriod(
                period_id=inp.period_id,
                agency=inp.agency,
                period=inp.period,
                promotion_type=inp.promotion_type.value,
                rulebook_version=inp.rulebook_version,
                nips=inp.nips,
                actor=inp.requested_by,
                run_id=info.run_id,
                occurred_at=workflow.now(),
                opening=inp.opening,
            ),
            start_to_close_timeout=PERIOD_ACTIVITY_TIMEOUT,
            retry_policy=PERIOD_ACTIVITY_RETRY,
        )
        return result.requested

    async def _start_page(self, inp: PeriodInput, limit: int) -> int:
        """Start the promotions of the next ``limit`` members (one activity, a page at a time
        inside it); how many members it took."""
        page = await workflow.execute_activity_method(
            PeriodStarter.start_page,
            StartPage(
                period_id=inp.period_id,
                agency=inp.agency,
                period=inp.period,
                promotion_type=inp.promotion_type.value,
                rulebook_version=inp.rulebook_version,
                requested_by=inp.requested_by,
                task_queue=inp.promotion_task_queue or workflow.info().task_queue,
                after=self._cursor,
                limit=limit,
                max_in_flight=inp.max_in_flight,
                page_size=inp.page_size,
                started=self._started,
                already_running=self._already_running,
                runs=inp.run,
            ),
            start_to_close_timeout=START_PAGE_TIMEOUT,
            heartbeat_timeout=START_PAGE_HEARTBEAT,
            retry_policy=PERIOD_ACTIVITY_RETRY,
        )
        if page.taken == 0:  # fewer members than counted: nothing more to take
            self._requested = self._cursor
            return 0
        self._cursor = page.cursor
        self._started += page.started
        self._already_running += page.already_running
        return page.taken

    async def _next_page(self, inp: PeriodInput, limit: int) -> int:
        """Runs from before the client starts: the children of the next ``limit`` members."""
        page = await workflow.execute_activity_method(
            PeriodActivities.claim_page,
            ClaimPage(
                period_id=inp.period_id,
                agency=inp.agency,
                period=inp.period,
                promotion_type=inp.promotion_type.value,
                rulebook_version=inp.rulebook_version,
                after=self._cursor,
                limit=limit,
            ),
            start_to_close_timeout=PERIOD_ACTIVITY_TIMEOUT,
            retry_policy=PERIOD_ACTIVITY_RETRY,
        )
        if not page.members:  # fewer members than counted: nothing more to take
            self._requested = self._cursor
            return 0
        started, existing = await self._start_children(inp, page.members)
        self._cursor = page.members[-1].position
        self._started += len(started)
        self._already_running += len(existing)
        await workflow.execute_activity_method(
            PeriodActivities.record_page,
            RecordPage(
                period_id=inp.period_id,
                cursor=self._cursor,
                started_nips=started,
                already_running_nips=existing,
                started=self._started,
                already_running=self._already_running,
                runs=inp.run,
            ),
            start_to_close_timeout=PERIOD_ACTIVITY_TIMEOUT,
            retry_policy=PERIOD_ACTIVITY_RETRY,
        )
        return len(page.members)

    async def _start_children(
        self, inp: PeriodInput, members: list[PeriodMember]
    ) -> tuple[list[str], list[str]]:
        """Start one promotion per member, at most ``max_in_flight`` starts at a time."""
        gate = asyncio.Semaphore(inp.max_in_flight)

        async def start(nip: str) -> bool:
            async with gate:
                return await self._start_child(inp, nip)

        outcomes = await asyncio.gather(*(start(m.nip) for m in members))
        started = [m.nip for m, new in zip(members, outcomes, strict=True) if new]
        existing = [m.nip for m, new in zip(members, outcomes, strict=True) if not new]
        return started, existing

    async def _start_child(self, inp: PeriodInput, nip: str) -> bool:
        """True if this call started the promotion, False if its id was already taken."""
        try:
            await workflow.start_child_workflow(
                PromotionWorkflow.run,
                StartPromotion(
                    nip=nip,
                    agency=inp.agency,
                    period=inp.period,
                    promotion_type=inp.promotion_type,
                    rulebook_version=inp.rulebook_version,
                    requested_by=inp.requested_by,
                ),
                id=promotion_workflow_id(nip, inp.period),
                parent_close_policy=ParentClosePolicy.ABANDON,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def _finish(self, inp: PeriodInput) -> None:
        await workflow.execute_activity_method(
            PeriodActivities.finish_period,
            FinishPeriod(
                period_id=inp.period_id,
                agency=inp.agency,
                requested=self._requested,
                started=self._started,
                already_running=self._already_running,
                runs=inp.run,
                actor=Actor(id=inp.period_id, role="system"),
                run_id=workflow.info().run_id,
                occurred_at=workflow.now(),
                opening=inp.opening,
            ),
            start_to_close_timeout=PERIOD_ACTIVITY_TIMEOUT,
            retry_policy=PERIOD_ACTIVITY_RETRY,
        )
        self._completed = True

    def _carry(self, inp: PeriodInput) -> PeriodInput:
        return inp.model_copy(
            update={
                "nips": None,
                "prepared": True,
                "requested": self._requested,
                "cursor": self._cursor,
                "started": self._started,
                "already_running": self._already_running,
                "run": inp.run + 1,
            }
        )

    @workflow.query
    def state(self) -> PeriodState:
        inp = self._inp
        assert inp is not None
        return PeriodState(
            period_id=inp.period_id,
            requested=self._requested,
            cursor=self._cursor,
            started=self._started,
            already_running=self._already_running,
            run=inp.run,
            completed=self._completed,
        )
