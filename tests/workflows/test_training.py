"""A promotion under the training rulebook: every timer of the promotion and of its BKN review fires
after minutes, not working days (time-skipping server, real activities and database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.enums import PromotionStatus, Step
from domain.rulebook import TRAINING_VERSION
from infra.settings import Settings
from store import ledger
from tests.conftest import PERIOD, employee, put_employee
from tests.helpers.promotion_workflow import (
    STARTED,
    actor,
    decide,
    start_input,
    wait_pending,
    wait_review,
    wait_seated,
    worker,
)
from tests.helpers.waits import eventually, recorded
from workflows.contracts import PromotionState, ReviewState, promotion_workflow_id
from workflows.promotion import PromotionWorkflow

__all__ = ["worker"]

pytestmark = pytest.mark.usefixtures("worker")


async def start_training(
    env: WorkflowEnvironment, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> tuple[WorkflowHandle, dict]:
    rec = employee()
    await put_employee(sessions, rec)
    inp = start_input(rec).model_copy(update={"rulebook_version": TRAINING_VERSION})
    handle = await env.client.start_workflow(
        PromotionWorkflow.run,
        inp,
        id=promotion_workflow_id(rec["nip"], PERIOD),
        task_queue=settings.task_queue,
    )
    STARTED.append(handle)
    await wait_pending(handle, Step.SUPERVISOR)
    return handle, rec


async def pending(handle: WorkflowHandle, accept) -> PromotionState:
    return await eventually(lambda: handle.query(PromotionWorkflow.state), accept)


async def test_reminder_and_escalation_come_after_minutes(ts_env, settings, sessions) -> None:
    h, _ = await start_training(ts_env, settings, sessions)
    state = await h.query(PromotionWorkflow.state)
    p = state.pending
    assert p is not None and p.step is Step.SUPERVISOR
    # The supervisor step's 2 and 3 working days, as minutes.
    assert (p.reminder_at - p.started_at, p.due_at - p.started_at) == (
        timedelta(minutes=2),
        timedelta(minutes=3),
    )
    await ts_env.sleep(timedelta(seconds=90))
    state = await h.query(PromotionWorkflow.state)
    assert state.pending is not None and not state.pending.reminded
    await ts_env.sleep(timedelta(seconds=60))  # 2.5 minutes in
    state = await pending(h, lambda s: s.pending.reminded)
    assert state.pending is not None and not state.pending.escalated
    await ts_env.sleep(timedelta(seconds=60))  # 3.5 minutes in
    state = await pending(h, lambda s: s.pending.escalated)
    assert state.pending is not None and state.pending.escalated_to == "agency_hr"
    kinds = await recorded(sessions, h.id, "promotion.reminder_sent", "promotion.escalated")
    assert kinds.index("promotion.reminder_sent") < kinds.index("promotion.escalated")
    state = await decide(h, actor("agency_hr", "hr-head"))  # the escalation role acts
    assert state.pending is not None
    assert state.pending.step is Step.PROMOTION_BOARD
    async with sessions() as s:
        rows = await ledger.entries(s, h.id)
    assert {r.rulebook_version for r in rows} == {TRAINING_VERSION}


async def test_bkn_review_approves_itself_after_five_minutes(ts_env, settings, sessions) -> None:
    h, rec = await start_training(ts_env, settings, sessions)
    await decide(h, actor("supervisor", rec["supervisor_nip"]))
    await decide(h, actor("promotion_board"))
    await decide(h, actor("agency_hr"))
    await wait_pending(h, Step.BKN_TECHNICAL_APPROVAL)
    review_id = await wait_review(h)
    opened: ReviewState = await wait_seated(h)
    assert opened.reminder_at is not None and opened.due_at is not None
    assert opened.due_at - opened.reminder_at == timedelta(minutes=2)  # reminder 3, due 5
    await ts_env.sleep(timedelta(minutes=4))
    state = (await h.query(PromotionWorkflow.state)).review
    assert state is not None and state.outcome is None  # reminded, still waiting for BKN
    await ts_env.sleep(timedelta(minutes=2))
    await wait_pending(h, Step.APPOINTING_AUTHORITY)
    review_kinds = await recorded(
        sessions, review_id, "review.reminder_sent", "review.auto_approved"
    )
    assert review_kinds.index("review.reminder_sent") < review_kinds.index("review.auto_approved")
    async with sessions() as s:
        auto = [r for r in await ledger.entries(s, review_id) if r.kind == "review.auto_approved"]
        concluded = [
            r for r in await ledger.entries(s, h.id) if r.kind == "promotion.review_concluded"
        ]
    assert auto[0].payload["duration_unit"] == "minutes"
    assert auto[0].payload["due_after_days"] == 5
    assert concluded[0].payload["automatic"] is True
    assert "no verdict within 5 minutes" in (concluded[0].justification or "")
    final = await decide(h, actor("appointing_authority", "ppk"), decree_number="800/KP/T/1")
    assert final.status is PromotionStatus.COMPLETED
