"""The standalone third-party review's capture (``python -m tests.histories.capture
review-recusal-majority review-declared-with-verdict``): a majority review of three, as the
selections and talent processes start it, where one reviewer recuses and is replaced."""

from __future__ import annotations

import asyncio

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.ledger import Actor
from domain.review import REVIEW_RULES, SubjectType, Verdict
from workflows.contracts import DeclarationInput, ReviewRequest, VerdictInput
from workflows.review import ThirdPartyReviewWorkflow

AGENCY = "KEMENPANRB"
# stem: whether the reviewers left declare no conflict with their verdicts (one update each)
STANDALONE = {"review-recusal-majority": False, "review-declared-with-verdict": True}


def who(role: str, sub: str = "u1", agency: str | None = AGENCY) -> Actor:
    return Actor(id=sub, role=role, agency=agency)


async def review_with_recusal(
    env: WorkflowEnvironment, task_queue: str, *, with_verdict: bool = False
) -> WorkflowHandle:
    """A majority review of three where one reviewer declares a conflict and is replaced
    (``with_verdict``: the others declare no conflict with their verdicts)."""
    rule = REVIEW_RULES[SubjectType.SHORTLIST]
    req = ReviewRequest(
        subject_type=SubjectType.SHORTLIST,
        subject_id="capture-shortlist",
        subject_persons=["p1"],
        body_code="OVERSIGHT",
        rule=rule,
        rulebook_version="PermenPANRB-15-2019",
        requested_by=who("system", "capture", None),
    )
    h = await env.client.start_workflow(
        ThirdPartyReviewWorkflow.run,
        req,
        id="review-capture-recusal" + ("-with-verdict" if with_verdict else ""),
        task_queue=task_queue,
    )
    for _ in range(2000):
        state = await h.query(ThirdPartyReviewWorkflow.state)
        if state.status == "open":
            break
        await asyncio.sleep(0.05)
    first = who("reviewer", state.seats[0].reviewer_id, None)
    await h.execute_update(
        ThirdPartyReviewWorkflow.declare,
        DeclarationInput(actor=first, has_conflict=True, reason="former student"),
    )
    for _ in range(2000):
        state = await h.query(ThirdPartyReviewWorkflow.state)
        if sum(not s.recused for s in state.seats) == 3:
            break
        await asyncio.sleep(0.05)
    for seat in [s for s in state.seats if not s.recused][:2]:
        actor = who("reviewer", seat.reviewer_id, None)
        if not with_verdict:
            await h.execute_update(
                ThirdPartyReviewWorkflow.declare, DeclarationInput(actor=actor, has_conflict=False)
            )
        await h.execute_update(
            ThirdPartyReviewWorkflow.verdict,
            VerdictInput(
                actor=actor,
                verdict=Verdict.APPROVE,
                justification="procedure followed",
                declares_no_conflict=with_verdict,
            ),
        )
    return h
