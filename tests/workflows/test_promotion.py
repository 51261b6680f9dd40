"""PromotionWorkflow on the time-skipping test server, with the real activities and database."""

from __future__ import annotations

import asyncio

import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.contracts import PromotionReviewRecords
from activities.promotion_reviews import PromotionReviewActivities
from domain.enums import Decision, PromotionStatus, Step
from domain.ledger import Actor
from domain.review import Verdict
from store import ledger, repositories
from tests.conftest import PERIOD, employee, put_employee, register_body, skip_days
from tests.helpers.promotion_workflow import (
    actor,
    decide,
    kinds,
    pertek_approved,
    start,
    wait_pending,
    wait_review,
    wait_seated,
    worker,
)
from tests.helpers.waits import refusal_type
from tests.helpers.workers import worker_with
from workflows.contracts import (
    DeclarationInput,
    VerdictInput,
)
from workflows.promotion import PromotionWorkflow

__all__ = ["worker"]  # the fixture


@pytest.mark.usefixtures("worker")
async def test_full_chain_to_decree(ts_env, settings, sessions) -> None:
    rec = employee()
    await put_employee(sessions, rec)
    h = await start(ts_env, settings, rec)
    await wait_pending(h, Step.SUPERVISOR)
    await decide(h, actor("supervisor", rec["supervisor_nip"]))
    await decide(h, actor("promotion_board"))
    await decide(h, actor("agency_hr"))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(h, actor("bkn", "bkn-1", None))
    assert refusal_type(err) == "under_review"
    await pertek_approved(ts_env, h)
    state = await decide(h, actor("appointing_authority", "ppk"), decree_number="800/KP/2027/001")
    assert state.status is PromotionStatus.COMPLETED
    result = await h.result()
    assert result.decree is not None and result.decree.number == "800/KP/2027/001"
    assert result.decree.effective_date == PERIOD
    k = await kinds(sessions, h.id)
    assert k[0] == "promotion.started" and k.count("promotion.decision") == 4
    assert k.count("promotion.review_requested") == k.count("promotion.review_concluded") == 1
    async with sessions() as s:
        assert (await ledger.verify(s, h.id)).ok
        row = await repositories.get_promotion(s, h.id)
        rows = await ledger.entries(s, h.id)
    # Only the assessment's view carries the eligibility; the later ones leave the row's as it is.
    assert row is not None and row.eligibility is not None and row.status == "completed"
    assert row.eligibility == result.eligibility.model_dump(mode="json")
    assert state.eligibility is None  # the answer leaves it out; the API fills it from the row
    assert [r.kind for r in rows].count("promotion.eligibility_assessed") == 1


@pytest.mark.usefixtures("worker")
async def test_ineligible_lists_every_reason(ts_env, settings, sessions) -> None:
    rec = employee(
        rank_since="2025-01-01",
        ratings=[(2026, "needs_improvement")],
        sanctions=[{"kind": "moderate", "start": "2026-06-01", "end": "2027-06-01"}],
    )
    await put_employee(sessions, rec)
    h = await start(ts_env, settings, rec)
    result = await h.result()
    assert result.status is PromotionStatus.INELIGIBLE
    unmet = {r.code for r in result.eligibility.reasons if not r.met}
    assert {"years_in_rank", "performance", "disciplinary_sanction"} <= unmet


@pytest.mark.usefixtures("worker")
async def test_reminder_then_escalation_lets_escalation_role_act(
    ts_env, settings, sessions
) -> None:
    rec = employee()
    await put_employee(sessions, rec)
    h = await start(ts_env, settings, rec)
    await wait_pending(h, Step.SUPERVISOR)
    # The supervisor step escalates to agency HR; before escalation agency HR may not act.
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(h, actor("agency_hr"))
    assert isinstance(err.value.cause, ApplicationError) and refusal_type(err) == "not_your_step"
    await skip_days(ts_env, 12)
    state = await h.query(PromotionWorkflow.state)
    assert state.pending is not None and state.pending.reminded and state.pending.escalated
    assert state.pending.escalated_to == "agency_hr"
    k = await kinds(sessions, h.id)
    assert k.index("promotion.reminder_sent") < k.index("promotion.escalated")
    state = await decide(h, actor("agency_hr", "hr-head"))
    assert state.pending is not None
    assert state.pending.step is Step.PROMOTION_BOARD


@pytest.mark.usefixtures("worker")
async def test_bkn_approves_itself_after_five_working_days(ts_env, settings, sessions) -> None:
    rec = employee()
    await put_employee(sessions, rec)
    h = await start(ts_env, settings, rec)
    await wait_pending(h, Step.SUPERVISOR)
    await decide(h, actor("supervisor", rec["supervisor_nip"]))
    await decide(h, actor("promotion_board"))
    await decide(h, actor("agency_hr"))
    await skip_days(ts_env, 15)
    await wait_pending(h, Step.APPOINTING_AUTHORITY)
    async with sessions() as s:
        concluded = [
            r for r in await ledger.entries(s, h.id) if r.kind == "promotion.review_concluded"
        ]
        review_id = concluded[0].payload["review_id"]
        auto = [r for r in await ledger.entries(s, review_id) if r.kind == "review.auto_approved"]
    assert len(concluded) == 1 and concluded[0].payload["automatic"] is True
    assert concluded[0].stage_before == "bkn_technical_approval"
    assert (
        len(auto) == 1
        and auto[0].actor_role == "system"
        and auto[0].payload["rule"] == "silence_approves"
    )


@pytest.mark.usefixtures("worker")
async def test_return_for_correction_goes_back_to_the_step_that_returned(
    ts_env, settings, sessions
) -> None:
    rec = employee()
    await put_employee(sessions, rec)
    h = await start(ts_env, settings, rec)
    await wait_pending(h, Step.SUPERVISOR)
    await decide(h, actor("supervisor", rec["supervisor_nip"]))
    state = await decide(
        h, actor("promotion_board"), Decision.RETURN, corrections=["attach the 2026 SKP"]
    )
    assert state.pending is not None
    assert state.pending.step is Step.AGENCY_HR and state.resume_at is Step.PROMOTION_BOARD
    state = await decide(h, actor("agency_hr"), justification="SKP attached")
    assert state.pending is not None
    assert state.pending.step is Step.PROMOTION_BOARD and state.return_count == 1
    state = await decide(
        h,
        actor("promotion_board"),
        Decision.REJECT,
        justification="quota exhausted",
        sessions=sessions,  # written as the API writes them, not when the run ends
    )
    assert state.status is PromotionStatus.REJECTED
    async with sessions() as s:
        rows = await ledger.entries(s, h.id)
    returned = [r for r in rows if r.payload.get("decision") == "return"]
    assert returned[0].payload["corrections"] == ["attach the 2026 SKP"]


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize(
    ("who", "decision", "extra", "code"),
    [
        (actor("supervisor", "someone-else"), Decision.APPROVE, {}, "not_named_supervisor"),
        (actor("promotion_board"), Decision.APPROVE, {}, "not_your_step"),
        (actor("supervisor", "SUP", agency="OTHER"), Decision.APPROVE, {}, "wrong_agency"),
        (actor("supervisor", "SUP"), Decision.APPROVE, {"step": Step.AGENCY_HR}, "stale_step"),
    ],
)
async def test_validator_refuses(ts_env, settings, sessions, who, decision, extra, code) -> None:
    rec = employee()
    if who.id == "SUP":
        rec["supervisor_nip"] = "197505050000000001"
        who = who.model_copy(update={"id": rec["supervisor_nip"]})
    await put_employee(sessions, rec)
    h = await start(ts_env, settings, rec)
    await wait_pending(h, Step.SUPERVISOR)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await decide(h, who, decision, **extra)
    assert isinstance(err.value.cause, ApplicationError) and refusal_type(err) == code
    assert "promotion.decision" not in await kinds(sessions, h.id)


class SlowAfterReview(PromotionReviewActivities):
    """Commits like the real activity, then lingers after the review outcome: the window in which
    the read model already shows the next step but the workflow has not heard back yet."""

    @activity.defn(name="record_promotion_review_batch")
    async def record_promotion_review_batch(self, req: PromotionReviewRecords) -> int:
        seq = await super().record_promotion_review_batch(req)
        if any(i.entry.kind == "promotion.review_concluded" for i in req.items):
            await asyncio.sleep(1.0)
        return seq


async def test_a_decision_made_as_soon_as_the_read_model_moves_is_not_lost(
    ts_env, settings, sessions
) -> None:
    await register_body(sessions, "BKN")
    rec = employee()
    await put_employee(sessions, rec)
    slow = SlowAfterReview(sessions)
    async with worker_with(ts_env.client, sessions, settings, slow.record_promotion_review_batch):
        h = await start(ts_env, settings, rec)
        await wait_pending(h, Step.SUPERVISOR)
        for role, sub in (
            ("supervisor", rec["supervisor_nip"]),
            ("promotion_board", "b"),
            ("agency_hr", "h"),
        ):
            await decide(h, actor(role, sub))
        await wait_review(h)
        state = await wait_seated(h)
        reviewer = Actor(id=state.seats[0].reviewer_id, role="reviewer")
        await h.execute_update(
            PromotionWorkflow.review_declare, DeclarationInput(actor=reviewer, has_conflict=False)
        )
        await h.execute_update(
            PromotionWorkflow.review_verdict,
            VerdictInput(actor=reviewer, verdict=Verdict.APPROVE, justification="ok"),
        )
        deadline = asyncio.get_running_loop().time() + 60
        while (
            asyncio.get_running_loop().time() < deadline
        ):  # poll the read model, as an API client does
            async with sessions() as s:
                view = await repositories.get_promotion(s, h.id)
            if view is not None and view.pending_step == "appointing_authority":
                break
            await asyncio.sleep(0.02)
        final = await asyncio.wait_for(
            decide(h, actor("appointing_authority", "ppk"), decree_number="800/KP/9"), timeout=60
        )
        assert final.status is PromotionStatus.COMPLETED
