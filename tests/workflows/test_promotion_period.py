"""PromotionPeriodWorkflow on a Temporal dev server with the real worker, activities and database.

The dev server rather than the time-skipping one: the children are real promotions, and skipping
time would run their reminders and escalations while the period is still starting them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import workflow
from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from activities.periods import PeriodActivities, PreparePeriod, TableCandidateSource
from domain.enums import PromotionType
from domain.ledger import Actor
from infra.settings import Settings
from infra.worker_shutdown import running
from store import events, ledger, repositories
from store.event_models import PromotionPeriodMember
from tests.conftest import PERIOD, employee, new_nip, put_employee
from worker import build_workers
from workflows.contracts import StartPromotion, promotion_workflow_id
from workflows.promotion import PromotionWorkflow
from workflows.promotion_period import (
    PeriodInput,
    PromotionPeriodWorkflow,
    promotion_period_workflow_id,
)

HR = Actor(id="siasn", role="hr_system")


@pytest_asyncio.fixture
async def worker(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    async with running(*build_workers(dev_env.client, sessions, settings)):
        yield
        # The children outlive the period on purpose; end them here so that nothing of this test
        # is still running on the shared dev server while the worker shuts down.
        query = f"TaskQueue = '{settings.task_queue}' AND ExecutionStatus = 'Running'"
        async for wf in dev_env.client.list_workflows(query):
            try:
                await dev_env.client.get_workflow_handle(wf.id).terminate("test finished")
            except RPCError:
                pass


def period_input(agency: str, nips: list[str] | None, **kw: int) -> PeriodInput:
    return PeriodInput(
        period_id=promotion_period_workflow_id(agency, PERIOD),
        agency=agency,
        period=PERIOD,
        promotion_type=PromotionType.REGULAR,
        rulebook_version="PerBKN-4-2025",
        requested_by=HR,
        nips=nips,
        **kw,
    )


async def employees(sessions: async_sessionmaker[AsyncSession], agency: str, n: int) -> list[str]:
    nips = []
    for _ in range(n):
        record = employee(new_nip("19900303"), agency=agency)
        await put_employee(sessions, record)
        nips.append(record["nip"])
    return nips


# A period runs on the period queue and starts its promotions on the worker's queue; one started
# before periods had a queue of their own runs, and starts them, on the worker's queue still.
@pytest.mark.parametrize("own_queue", [True, False], ids=["period-queue", "started-before"])
async def test_children_start_across_runs_and_outlive_the_period(
    worker: None,
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    own_queue: bool,
) -> None:
    agency = f"WF{uuid.uuid4().hex[:8].upper()}"
    nips = await employees(sessions, agency, 6)
    stranger = new_nip("19700707")  # not in the HR source: its promotion fails at the snapshot
    # One promotion of the period exists already: the period must not start it again.
    await dev_env.client.start_workflow(
        PromotionWorkflow.run,
        StartPromotion(
            nip=nips[0],
            agency=agency,
            period=PERIOD,
            promotion_type=PromotionType.REGULAR,
            rulebook_version="PerBKN-4-2025",
            requested_by=HR,
        ),
        id=promotion_workflow_id(nips[0], PERIOD),
        task_queue=settings.task_queue,
    )
    inp = period_input(agency, [*nips, stranger], children_per_run=3, page_size=2, max_in_flight=2)
    queue = settings.task_queue
    if own_queue:
        inp, queue = inp.model_copy(update={"promotion_task_queue": queue}), settings.period_queue
    handle = await dev_env.client.start_workflow(
        PromotionPeriodWorkflow.run, inp, id=inp.period_id, task_queue=queue
    )
    result = await handle.result()
    assert (result.requested, result.started, result.already_running) == (7, 6, 1)
    assert result.runs == 3  # 7 members, 3 per run
    child = dev_env.client.get_workflow_handle(promotion_workflow_id(nips[1], PERIOD))
    described = await child.describe()
    assert described.status == WorkflowExecutionStatus.RUNNING
    assert described.task_queue == settings.task_queue
    assert (await handle.describe()).task_queue == queue  # the last run: continued where it ran
    # Started with its snapshot and calendar: its first task assessed it, no activity fetched them.
    assert (await child.query(PromotionWorkflow.state)).stage == "supervisor"
    scheduled = {
        e.activity_task_scheduled_event_attributes.activity_type.name
        async for e in child.fetch_history_events()
        if e.HasField("activity_task_scheduled_event_attributes")
    }
    assert scheduled.isdisjoint({"snapshot_employee", "load_holidays"}), scheduled
    async with sessions() as session:
        row = await events.get_period(session, inp.period_id)
        members = (
            await session.execute(
                select(PromotionPeriodMember.nip, PromotionPeriodMember.status)
                .where(PromotionPeriodMember.period_id == inp.period_id)
                .order_by(PromotionPeriodMember.position)
            )
        ).all()
        view = await repositories.get_promotion(session, promotion_workflow_id(stranger, PERIOD))
        verified = await ledger.verify(session, inp.period_id)
    assert row is not None and row.status == "completed" and row.runs == 3
    assert (row.requested, row.started, row.already_running) == (7, 6, 1)
    assert [m.nip for m in members] == [*nips, stranger]
    assert [m.status for m in members] == ["already_running"] + ["started"] * 6
    assert view is not None and view.agency == agency
    assert verified.ok and verified.entries == 2


async def test_an_agency_without_candidates_completes_at_once(
    worker: None, dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    inp = period_input(f"EMPTY{uuid.uuid4().hex[:6].upper()}", None)
    result = await dev_env.client.execute_workflow(
        PromotionPeriodWorkflow.run, inp, id=inp.period_id, task_queue=settings.task_queue
    )
    assert (result.requested, result.started, result.runs) == (0, 0, 1)


async def test_prepare_stores_the_members_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    agency = f"PR{uuid.uuid4().hex[:8].upper()}"
    nips = await employees(sessions, agency, 3)
    acts = PeriodActivities(sessions, TableCandidateSource(sessions))
    req = PreparePeriod(
        period_id=promotion_period_workflow_id(agency, PERIOD),
        agency=agency,
        period=PERIOD,
        promotion_type="regular",
        rulebook_version="PerBKN-4-2025",
        nips=None,
        actor=HR,
        run_id="run-1",
        occurred_at=datetime.now(UTC),
    )
    env = ActivityEnvironment()
    first = await env.run(acts.prepare_period, req)
    again = await env.run(acts.prepare_period, req)
    assert first.requested == again.requested == 3 and first.member_source == "hr_source"
    async with sessions() as session:
        assert await events.member_count(session, req.period_id) == 3
        assert await events.member_page(session, req.period_id, 0, 10) == [
            (i, n) for i, n in enumerate(sorted(nips), start=1)
        ]
        kinds = [e.kind for e in await ledger.entries(session, req.period_id)]
    assert kinds == ["promotion_period.started"]


@workflow.defn(name="PromotionPeriodWorkflow")
class ChildrenFirstPeriodWorkflow:
    """The period with its commands reordered (children before the members are stored)."""

    @workflow.run
    async def run(self, inp: PeriodInput) -> None:
        await workflow.start_child_workflow("PromotionWorkflow", id="promotion-x-2027-04")
        raise AssertionError("unreachable in replay")


async def test_a_reordered_period_does_not_replay() -> None:
    histories = Path(__file__).resolve().parent.parent / "histories"
    ids = json.loads((histories / "workflow_ids.json").read_text())
    path = histories / "promotion-period-run-1.json"
    history = WorkflowHistory.from_json(ids[path.stem], path.read_text())
    replayer = Replayer(
        workflows=[ChildrenFirstPeriodWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(history)
