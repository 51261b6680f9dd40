"""ThirdPartyReviewWorkflow on the time-skipping server with the real activities and database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import select
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.enums import PromotionType, Step
from domain.ledger import Actor
from domain.review import REVIEW_RULES, Finding, Quorum, SubjectType, Verdict
from infra.settings import Settings
from store import ledger, reviews
from store.review_models import ReviewerConflict
from tests.conftest import PERIOD, employee, put_employee, register_body, skip_days
from tests.helpers.waits import recorded, refusal_type
from worker import build_worker
from workflows.contracts import (
    DecisionInput,
    DeclarationInput,
    ReviewRequest,
    ReviewState,
    StartPromotion,
    VerdictInput,
    promotion_workflow_id,
)
from workflows.promotion import PromotionWorkflow
from workflows.review import ThirdPartyReviewWorkflow

STARTED: list[WorkflowHandle] = []


@pytest_asyncio.fixture
async def worker(ts_env: WorkflowEnvironment, sessions, settings: Settings) -> AsyncIterator[None]:
    async with build_worker(ts_env.client, sessions, settings):
        yield
        while STARTED:  # the time-skipping server is shared: leave no workflow holding its clock
            try:
                await STARTED.pop().terminate("test finished")
            except RPCError:
                pass


def who(rid: str) -> Actor:
    return Actor(id=rid, role="reviewer")


async def body(
    sessions,
    *,
    n: int,
    kind: str = "oversight",
    head: str | None = "head",
    accreditation: str | None = None,
) -> tuple[str, list[str]]:
    code = f"B{uuid.uuid4().hex[:10].upper()}"
    ids = [f"{code.lower()}-{i}" for i in range(1, n + 1)]
    await register_body(
        sessions, code, kind=kind, reviewers=ids, head=head, accreditation=accreditation
    )
    return code, ids


async def start(
    env: WorkflowEnvironment,
    settings: Settings,
    code: str,
    subject: SubjectType = SubjectType.SHORTLIST,
    persons: list[str] | None = None,
    post_level: str | None = None,
    **rule_changes: object,
) -> WorkflowHandle:
    rule = REVIEW_RULES[subject].model_copy(update=rule_changes)
    req = ReviewRequest(
        subject_type=subject,
        subject_id=f"s-{uuid.uuid4().hex[:8]}",
        subject_persons=persons or ["p1"],
        agency="KEMENPANRB",
        body_code=code,
        post_level=post_level,
        rule=rule,
        rulebook_version="test",
        requested_by=Actor(id="sel-1", role="system"),
    )
    h = await env.client.start_workflow(
        ThirdPartyReviewWorkflow.run,
        req,
        id=f"review-test-{uuid.uuid4().hex[:12]}",
        task_queue=settings.task_queue,
    )
    STARTED.append(h)
    return h


async def until(h: WorkflowHandle, predicate: Callable[[ReviewState], bool]) -> ReviewState:
    deadline = asyncio.get_running_loop().time() + 120
    state = None
    while asyncio.get_running_loop().time() < deadline:
        try:
            state = await h.query(ThirdPartyReviewWorkflow.state)
        except RPCError:
            state = None
        if state is not None and predicate(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached: {state}")


async def vote(
    h: WorkflowHandle,
    rid: str,
    verdict: Verdict = Verdict.APPROVE,
    findings: list[Finding] | None = None,
) -> ReviewState:
    await h.execute_update(
        ThirdPartyReviewWorkflow.declare, DeclarationInput(actor=who(rid), has_conflict=False)
    )
    return await h.execute_update(
        ThirdPartyReviewWorkflow.verdict,
        VerdictInput(
            actor=who(rid), verdict=verdict, justification="checked", findings=findings or []
        ),
    )


async def kinds(sessions, review_id: str) -> list[str]:
    async with sessions() as s:
        return [r.kind for r in await ledger.entries(s, review_id)]


def active(state: ReviewState) -> list[str]:
    return [s.reviewer_id for s in state.seats if not s.recused]


@pytest.mark.usefixtures("worker")
async def test_declared_conflict_recuses_and_a_substitute_is_assigned(
    ts_env, settings, sessions
) -> None:
    code, _ = await body(sessions, n=4)
    h = await start(ts_env, settings, code, persons=["199001012020011001"])
    state = await until(h, lambda s: s.status == "open")
    first = active(state)[0]
    # a verdict before declaring is refused
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await h.execute_update(
            ThirdPartyReviewWorkflow.verdict,
            VerdictInput(actor=who(first), verdict=Verdict.APPROVE, justification="x"),
        )
    assert (
        isinstance(err.value.cause, ApplicationError)
        and refusal_type(err) == "conflict_declaration_required"
    )
    await h.execute_update(
        ThirdPartyReviewWorkflow.declare,
        DeclarationInput(actor=who(first), has_conflict=True, reason="my former student"),
    )
    state = await until(h, lambda s: len(active(s)) == 3)
    assert first not in active(state) and len(state.seats) == 4
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await vote(h, first)
    assert refusal_type(err) == "recused"
    for rid in active(state)[:2]:
        state = await vote(h, rid)
    result = await h.result()
    assert result.outcome is Verdict.APPROVE and "majority" in result.reason
    k = await kinds(sessions, h.id)
    assert k.count("review.reviewers_assigned") == 2 and "review.reviewer_recused" in k
    async with sessions() as s:
        stored = (
            await s.scalars(select(ReviewerConflict).where(ReviewerConflict.reviewer_id == first))
        ).all()
    assert [c.person_id for c in stored] == ["199001012020011001"]


@pytest.mark.usefixtures("worker")
async def test_a_verdict_carrying_the_declaration_writes_both_entries_in_order(
    ts_env, settings, sessions
) -> None:
    code, _ = await body(sessions, n=3)
    h = await start(ts_env, settings, code, reviewers=1, quorum=Quorum.ANY_ONE)
    state = await until(h, lambda s: s.status == "open")
    seated = active(state)[0]
    state = await h.execute_update(
        ThirdPartyReviewWorkflow.verdict,
        VerdictInput(
            actor=who(seated),
            verdict=Verdict.APPROVE,
            justification="checked",
            declares_no_conflict=True,
        ),
        id="verdict-with-declaration",
    )
    assert state.outcome is Verdict.APPROVE
    assert (await h.result()).outcome is Verdict.APPROVE
    async with sessions() as s:
        rows = await ledger.entries(s, h.id)
    mine = [r for r in rows if r.actor_id == seated]
    assert [r.kind for r in mine] == ["review.no_conflict_declared", "review.verdict"]
    assert {r.update_id for r in mine} == {"verdict-with-declaration"}


@pytest.mark.usefixtures("worker")
async def test_standing_conflict_keeps_a_reviewer_off_the_review(
    ts_env, settings, sessions
) -> None:
    code, ids = await body(sessions, n=3)
    async with sessions() as s, s.begin():
        await reviews.add_conflicts(
            s, ids[0], ["p-relative"], reason="sibling", review_id=None, now=datetime.now(UTC)
        )
    h = await start(ts_env, settings, code, persons=["p-relative"], reviewers=2)
    state = await until(h, lambda s: s.status == "open")
    assert sorted(active(state)) == sorted(ids[1:])


@pytest.mark.usefixtures("worker")
async def test_too_few_reviewers_is_a_recorded_escalation_and_the_head_decides(
    ts_env, settings, sessions
) -> None:
    code, ids = await body(sessions, n=1, head="the-head")
    h = await start(ts_env, settings, code)
    state = await until(h, lambda s: s.status == "open")
    assert state.escalated and active(state) == ids
    await recorded(sessions, h.id, "review.roster_insufficient")
    findings = [
        Finding(
            what="panel has 4 members; the rule needs an odd number", return_to_stage="planning"
        )
    ]
    await h.execute_update(
        ThirdPartyReviewWorkflow.verdict,
        VerdictInput(
            actor=who("the-head"),
            verdict=Verdict.RETURN,
            justification="see findings",
            findings=findings,
        ),
    )
    result = await h.result()
    assert result.outcome is Verdict.RETURN and result.findings == findings
    assert "head of the body" in result.reason


@pytest.mark.usefixtures("worker")
async def test_reminder_then_escalation_to_the_head(ts_env, settings, sessions) -> None:
    code, _ = await body(sessions, n=3, head="chief")
    h = await start(ts_env, settings, code)
    await until(h, lambda s: s.status == "open")
    await skip_days(ts_env, 20)
    state = await until(h, lambda s: s.escalated)
    k = await kinds(sessions, h.id)
    assert k.index("review.reminder_sent") < k.index("review.escalated")
    await h.execute_update(
        ThirdPartyReviewWorkflow.verdict,
        VerdictInput(actor=who("chief"), verdict=Verdict.APPROVE, justification="procedure ok"),
    )
    assert (await h.result()).outcome is Verdict.APPROVE
    assert state.outcome is None


@pytest.mark.usefixtures("worker")
async def test_silence_approves_where_the_rule_says_so(ts_env, settings, sessions) -> None:
    code, _ = await body(sessions, n=1, kind="technical_approval")
    h = await start(ts_env, settings, code, SubjectType.PROMOTION_TECHNICAL_APPROVAL)
    await until(h, lambda s: s.status == "open")
    await skip_days(ts_env, 15)
    result = await h.result()
    assert result.outcome is Verdict.APPROVE and result.automatic
    async with sessions() as s:
        auto = [r for r in await ledger.entries(s, h.id) if r.kind == "review.auto_approved"]
        view = await reviews.get_review(s, h.id)
    assert auto[0].payload["automatic"] is True and auto[0].actor_role == "system"
    assert view is not None and view.status == "concluded" and view.automatic


@pytest.mark.usefixtures("worker")
async def test_unanimity_fails_on_one_return_and_keeps_every_finding(
    ts_env, settings, sessions
) -> None:
    code, _ = await body(sessions, n=2, kind="assessment_centre", accreditation="A")
    h = await start(ts_env, settings, code, SubjectType.ASSESSMENT_REPORT, post_level="madya")
    state = await until(h, lambda s: s.status == "open")
    a, b = active(state)
    await vote(h, a, Verdict.RETURN, [Finding(what="assessor meeting minutes missing")])
    await vote(h, b, Verdict.APPROVE)
    result = await h.result()
    assert result.outcome is Verdict.RETURN and [f.what for f in result.findings] == [
        "assessor meeting minutes missing"
    ]


@pytest.mark.usefixtures("worker")
async def test_a_centre_below_the_required_accreditation_cannot_be_assigned(
    ts_env, settings, sessions
) -> None:
    code, _ = await body(sessions, n=2, kind="assessment_centre", accreditation="B")
    h = await start(ts_env, settings, code, SubjectType.ASSESSMENT_REPORT, post_level="madya")
    result = await h.result()
    assert result.status == "failed" and result.outcome is None and "needs A" in result.reason
    async with sessions() as s:
        failed = [r for r in await ledger.entries(s, h.id) if r.kind == "review.failed"]
    assert failed[0].payload["problem"] == "accreditation_insufficient"


async def test_cancelling_the_parent_cancels_the_review(dev_env, settings, sessions) -> None:
    # On the dev server: the time-skipping server fast-forwards while the test waits on a result,
    # which can run the review's own timers out before the cancellation reaches it.
    await register_body(sessions, "BKN")
    async with build_worker(dev_env.client, sessions, settings):
        await _cancel_parent_during_review(dev_env, settings, sessions)


async def _cancel_parent_during_review(ts_env, settings, sessions) -> None:
    rec = employee()
    await put_employee(sessions, rec)
    hr = Actor(id="simpeg", role="hr_system", agency="KEMENPANRB")
    inp = StartPromotion(
        nip=rec["nip"],
        agency="KEMENPANRB",
        period=PERIOD,
        promotion_type=PromotionType.REGULAR,
        rulebook_version="PerBKN-4-2025",
        requested_by=hr,
    )
    p = await ts_env.client.start_workflow(
        PromotionWorkflow.run,
        inp,
        id=promotion_workflow_id(rec["nip"], PERIOD),
        task_queue=settings.task_queue,
    )
    for role, sub in (
        ("supervisor", rec["supervisor_nip"]),
        ("promotion_board", "b"),
        ("agency_hr", "h"),
    ):
        await until_promotion(
            p, lambda s, role=role: s.pending is not None and s.pending.role == role
        )
        await p.execute_update(
            PromotionWorkflow.decide,
            DecisionInput(
                actor=Actor(id=sub, role=role, agency="KEMENPANRB"),
                decision="approve",
                justification="ok",
            ),
        )
    state = await until_promotion(
        p, lambda s: s.pending is not None and s.pending.review_id is not None
    )
    # BKN's review runs inside the promotion: cancelling the promotion cancels it, on the record.
    review_id = state.pending.review_id
    await until_promotion(p, lambda s: s.review is not None and s.review.status == "open")
    await p.cancel()
    with pytest.raises(WorkflowFailureError):
        await p.result()
    assert "review.cancelled" in await kinds(sessions, review_id)
    assert "promotion.cancelled" in await kinds(sessions, p.id)
    async with sessions() as s:
        cancelled = await reviews.get_review(s, review_id)
        assert cancelled is not None and cancelled.status == "cancelled"
    assert state.pending.step is Step.BKN_TECHNICAL_APPROVAL


async def until_promotion(h: WorkflowHandle, predicate):
    deadline = asyncio.get_running_loop().time() + 120
    while asyncio.get_running_loop().time() < deadline:
        state = await h.query(PromotionWorkflow.state)
        if predicate(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError("promotion never reached the state")


async def test_a_review_outlives_a_worker_restart(dev_env, settings, sessions) -> None:
    code, ids = await body(sessions, n=1)
    async with build_worker(dev_env.client, sessions, settings):
        h = await start(dev_env, settings, code, reviewers=1, quorum="any_one")
        state = await until(h, lambda s: s.status == "open")
    STARTED.remove(h)
    # the first worker is gone; the review waits durably and a new worker picks it up
    async with build_worker(dev_env.client, sessions, settings):
        await vote(h, active(state)[0])
        result = await h.result()
    assert result.outcome is Verdict.APPROVE
    assert (await kinds(sessions, h.id))[-1] == "review.concluded"
