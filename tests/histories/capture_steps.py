"""A promotion's steps as the history captures drive them (``tests/histories/capture.py``):
decisions sent as the API sends them when a scenario plays its part, BKN's review as a child or
inside the promotion."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.promotion_reviews import write_items
from domain.enums import Decision, Step
from domain.ledger import Actor
from domain.review import Finding, Verdict
from store import ledger
from store.ledger_writer import writer_for
from tests.helpers.promotion_workflow import confirm_written
from tests.histories.capture_review import who
from workflows.contracts import (
    DecisionInput,
    DeclarationInput,
    PromotionState,
    ReviewState,
    VerdictInput,
)
from workflows.policies import LEDGER_CATCH_UP
from workflows.promotion import PromotionWorkflow
from workflows.review import ThirdPartyReviewWorkflow

Sessions = async_sessionmaker[AsyncSession]
# The review children a scenario started, in order.
CHILDREN: list[WorkflowHandle] = []


# Set while a scenario plays the API's part: each update carries the newest entries the ledger
# holds, and its answer's entries are written (actions/handed.py).
CALLER: list[Sessions] = []
# Set (with CALLER) while no decision follows the one before soon: the API confirms each answer's
# entries to the run with a signal, and the scenario waits past the run's catch-up.
APART: list[WorkflowEnvironment] = []


async def send(h: WorkflowHandle, method: Any, inp: Any) -> Any:
    """Send an update to the promotion ``h``, as the API does when a scenario plays its part."""
    if CALLER:
        review_id = getattr(inp, "review_id", None)
        state = await h.query(PromotionWorkflow.state)
        if review_id is None and isinstance(inp, DeclarationInput | VerdictInput) and state.review:
            review_id = state.review.review_id  # the review the update is for, as the API knows
        async with CALLER[0]() as session:
            through = await ledger.newest_entry_ids(
                session, [h.id, *([review_id] if review_id else [])]
            )
        inp = inp.model_copy(update={"written_through": through})
    answer = await h.execute_update(method, inp)
    if CALLER:
        await write_items(writer_for(CALLER[0]), answer.ledger)
        if answer.ending:  # the run's last update: it ends on the caller's word
            await confirm_written(h, answer)
        elif APART:
            await confirm_written(h, answer)
            await APART[0].sleep(LEDGER_CATCH_UP + timedelta(seconds=5))
    return answer


async def approve(
    h: WorkflowHandle, actor: Actor, decision: Decision = Decision.APPROVE, **kw: object
) -> None:
    d = DecisionInput(actor=actor, decision=decision, justification="recorded for replay", **kw)  # type: ignore[arg-type]
    await send(h, PromotionWorkflow.decide, d)


async def until_pending(h: WorkflowHandle, step: Step | None = None) -> PromotionState:
    for _ in range(2000):
        state = await h.query(PromotionWorkflow.state)
        if state.pending is not None and (step is None or state.pending.step is step):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never pending: {step}")


async def open_review(
    env: WorkflowEnvironment, h: WorkflowHandle
) -> tuple[WorkflowHandle, ReviewState]:
    for _ in range(2000):
        state = await h.query(PromotionWorkflow.state)
        if state.pending and state.pending.review_id:
            review = env.client.get_workflow_handle(state.pending.review_id)
            try:
                rstate = await review.query(ThirdPartyReviewWorkflow.state)
            except RPCError:
                rstate = None
            if rstate is not None and rstate.status == "open":
                return review, rstate
        await asyncio.sleep(0.05)
    raise AssertionError("review never opened")


async def pertek(
    env: WorkflowEnvironment, h: WorkflowHandle, verdict: Verdict = Verdict.APPROVE
) -> None:
    review, state = await open_review(env, h)
    reviewer = who("reviewer", state.seats[0].reviewer_id, None)
    await review.execute_update(
        ThirdPartyReviewWorkflow.declare, DeclarationInput(actor=reviewer, has_conflict=False)
    )
    findings = [Finding(what="rank history does not match SK")] if verdict is Verdict.RETURN else []
    await review.execute_update(
        ThirdPartyReviewWorkflow.verdict,
        VerdictInput(
            actor=reviewer, verdict=verdict, justification="recorded for replay", findings=findings
        ),
    )
    CHILDREN.append(review)


async def embedded_pertek(
    h: WorkflowHandle,
    verdict: Verdict = Verdict.APPROVE,
    *,
    recuse_first: bool = False,
    with_verdict: bool = False,
) -> None:
    """BKN's review inside the promotion: (a recusal and its substitute,) a declaration, a verdict."""
    state = await until_pending(h, Step.BKN_TECHNICAL_APPROVAL)
    for _ in range(2000):
        state = await h.query(PromotionWorkflow.state)
        if state.review is not None and state.review.status == "open":
            break
        await asyncio.sleep(0.05)
    assert state.review is not None
    seat = state.review.seats[0].reviewer_id
    if recuse_first:
        first = who("reviewer", seat, None)
        answer = await send(
            h,
            PromotionWorkflow.review_declare,
            DeclarationInput(actor=first, has_conflict=True, reason="the employee's relative"),
        )
        seat = next(s.reviewer_id for s in answer.review.seats if not s.recused)
    reviewer = who("reviewer", seat, None)
    if not with_verdict:  # else the declaration of no conflict rides with the verdict
        await send(
            h,
            PromotionWorkflow.review_declare,
            DeclarationInput(actor=reviewer, has_conflict=False),
        )
    findings = [Finding(what="rank history does not match SK")] if verdict is Verdict.RETURN else []
    await send(
        h,
        PromotionWorkflow.review_verdict,
        VerdictInput(
            actor=reviewer,
            verdict=verdict,
            justification="recorded for replay",
            findings=findings,
            declares_no_conflict=with_verdict,
        ),
    )
