"""PromotionWorkflow as the workflow tests drive it: the worker fixture on the time-skipping server,
starting a promotion, waiting for a step, deciding, and BKN's review inside the promotion."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.promotion_reviews import write_items
from domain.enums import Decision, PromotionType, Step
from domain.ledger import Actor
from domain.review import Verdict
from infra.settings import Settings
from store import ledger
from store.ledger_writer import writer_for
from tests.conftest import PERIOD, register_body
from worker import build_worker
from workflows.contracts import (
    DecisionInput,
    DeclarationInput,
    PromotionState,
    ReviewState,
    StartPromotion,
    VerdictInput,
    promotion_workflow_id,
)
from workflows.ledgered import CONFIRM_SIGNAL
from workflows.promotion import PromotionWorkflow

AGENCY = "KEMENPANRB"
HR = Actor(id="simpeg", role="hr_system", agency=AGENCY)


def actor(role: str, sub: str = "u1", agency: str | None = AGENCY) -> Actor:
    return Actor(id=sub, role=role, agency=agency)


STARTED: list[WorkflowHandle] = []


@pytest_asyncio.fixture
async def worker(
    ts_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    await register_body(sessions, "BKN")
    async with build_worker(ts_env.client, sessions, settings):
        yield
        # The time-skipping server is shared: a workflow left running would hold its clock.
        while STARTED:
            handle = STARTED.pop()
            try:
                await handle.terminate("test finished")
            except RPCError:
                pass  # already closed


def start_input(record: dict, ptype: PromotionType = PromotionType.REGULAR) -> StartPromotion:
    return StartPromotion(
        nip=record["nip"],
        agency=record["agency"],
        period=PERIOD,
        promotion_type=ptype,
        rulebook_version="PerBKN-4-2025",
        requested_by=HR,
    )


async def start(
    env: WorkflowEnvironment,
    settings: Settings,
    record: dict,
    ptype: PromotionType = PromotionType.REGULAR,
) -> WorkflowHandle:
    handle = await env.client.start_workflow(
        PromotionWorkflow.run,
        start_input(record, ptype),
        id=promotion_workflow_id(record["nip"], PERIOD),
        task_queue=settings.task_queue,
    )
    STARTED.append(handle)
    return handle


async def wait_pending(handle: WorkflowHandle, step: Step) -> None:
    deadline = asyncio.get_running_loop().time() + 120  # generous: a loaded CI box is slow
    while asyncio.get_running_loop().time() < deadline:
        state = await handle.query(PromotionWorkflow.state)
        if state.pending is not None and state.pending.step is step:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"step {step} never became pending; state={state}")


async def decide(
    handle: WorkflowHandle,
    who: Actor,
    decision: Decision = Decision.APPROVE,
    *,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    **kw: Any,
) -> PromotionState:
    """Send a decision as the API does; with ``sessions``, write what it handed over and, on the
    run's last decision, tell the run so, as the API does too (without, the workflow catches up
    on its own)."""
    d = DecisionInput(
        actor=who,
        decision=decision,
        justification=kw.pop("justification", "checked the file"),
        **kw,
    )
    answer = await handle.execute_update(PromotionWorkflow.decide, d)
    if sessions is not None:
        await write_handed(sessions, answer)
        if answer.ending:
            await confirm_written(handle, answer)
    return answer.state


async def write_handed(sessions: async_sessionmaker[AsyncSession], answer: Any) -> None:
    """What the API does with an update's answer: write the entries it handed over (every entry
    the workflow has not written yet, so the last answer's covers the ones before)."""
    await write_items(writer_for(sessions), answer.ledger)


async def confirm_written(handle: WorkflowHandle, answer: Any) -> None:
    """What the API does once it has written the entries of the update that ended the run: tell
    the run so (``actions/handed.py``), and it ends without writing them itself."""
    await handle.signal(CONFIRM_SIGNAL, [i.entry.entry_id for i in answer.ledger])


def activities_after_last_update(events: Sequence[HistoryEvent]) -> int:
    """Activities a run scheduled after its last update completed (its end's own writes)."""
    completed = [
        n
        for n, e in enumerate(events)
        if e.HasField("workflow_execution_update_completed_event_attributes")
    ]
    last = max(completed)
    return sum(e.HasField("activity_task_scheduled_event_attributes") for e in events[last:])


def signal_names(events: Sequence[HistoryEvent]) -> list[str]:
    return [
        e.workflow_execution_signaled_event_attributes.signal_name
        for e in events
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]


async def pertek_approved(env: WorkflowEnvironment, handle: WorkflowHandle) -> None:
    """BKN's step is a third-party review run inside the promotion: its assigned reviewer declares
    no conflict and approves; the verdict's answer already shows the next step."""
    await wait_pending(handle, Step.BKN_TECHNICAL_APPROVAL)
    await wait_review(handle)
    state = await wait_seated(handle)
    reviewer = Actor(id=state.seats[0].reviewer_id, role="reviewer")
    await handle.execute_update(
        PromotionWorkflow.review_declare, DeclarationInput(actor=reviewer, has_conflict=False)
    )
    answer = await handle.execute_update(
        PromotionWorkflow.review_verdict,
        VerdictInput(actor=reviewer, verdict=Verdict.APPROVE, justification="pertek ok"),
    )
    assert answer.review.status == "concluded"
    assert answer.promotion.pending is not None
    assert answer.promotion.pending.step is Step.APPOINTING_AUTHORITY


async def wait_review(handle: WorkflowHandle) -> str:
    deadline = asyncio.get_running_loop().time() + 120
    while asyncio.get_running_loop().time() < deadline:
        state = await handle.query(PromotionWorkflow.state)
        if state.pending and state.pending.review_id:
            return state.pending.review_id
        await asyncio.sleep(0.05)
    raise AssertionError("no review was started")


async def wait_seated(handle: WorkflowHandle) -> ReviewState:
    """The open review of the promotion ``handle`` (it opens in the task that opened BKN's step)."""
    deadline = asyncio.get_running_loop().time() + 120
    while asyncio.get_running_loop().time() < deadline:
        review = (await handle.query(PromotionWorkflow.state)).review
        if review is not None and review.status == "open":
            return review
        await asyncio.sleep(0.05)
    raise AssertionError("review never opened")


async def kinds(sessions: async_sessionmaker[AsyncSession], process_id: str) -> list[str]:
    async with sessions() as s:
        return [r.kind for r in await ledger.entries(s, process_id)]
