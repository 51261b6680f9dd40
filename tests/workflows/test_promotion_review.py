"""BKN's technical approval as a sub-state of the promotion: the review's rules on their own
(``EmbeddedReview``, no server), then inside a running promotion on the time-skipping server with
the real activities and database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from random import Random

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.calendar import WorkingCalendar
from domain.enums import PromotionStatus, Step
from domain.errors import DomainError
from domain.ledger import Actor
from domain.review import BodyKind, Finding, RosterSnapshot, SubjectType, Verdict, review_rule
from infra.settings import Settings
from store import ledger, reviews
from tests.conftest import PERIOD, employee, put_employee, register_body, skip_days
from tests.helpers.promotion_workflow import (
    actor,
    decide,
    start_input,
    wait_pending,
    write_handed,
)
from tests.helpers.waits import refusal_type
from worker import build_worker
from workflows.contracts import (
    DeclarationInput,
    PromotionState,
    ReviewRequest,
    ReviewState,
    VerdictInput,
    promotion_workflow_id,
)
from workflows.promotion import PromotionWorkflow
from workflows.promotion_review import EmbeddedReview

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday
PERSON = "198001012021011001"


def roster(
    *ids: str, conflicts: list[tuple[str, str]] | None = None, **kw: object
) -> RosterSnapshot:
    values: dict[str, object] = {
        "body_code": "BKN",
        "body_kind": BodyKind.TECHNICAL_APPROVAL,
        "head_reviewer_id": "head",
        "reviewers": list(ids),
        "conflicts": conflicts or [],
    }
    values.update(kw)
    return RosterSnapshot.model_validate(values)


def review(r: RosterSnapshot, *, silence_approves: bool = True, seed: int = 7) -> EmbeddedReview:
    rule = review_rule(SubjectType.PROMOTION_TECHNICAL_APPROVAL).model_copy(
        update={"silence_approves": silence_approves}
    )
    req = ReviewRequest(
        subject_type=SubjectType.PROMOTION_TECHNICAL_APPROVAL,
        subject_id="promotion-x",
        subject_persons=[PERSON],
        parent_process_id="promotion-x",
        body_code="BKN",
        rule=rule,
        rulebook_version="PerBKN-4-2025",
        requested_by=Actor(id="promotion-x", role="system"),
    )
    calendar = WorkingCalendar([datetime(2027, 1, 6).date()])  # a holiday on the Wednesday
    return EmbeddedReview.create(
        "pertek-promotion-x-1", req, r, now=NOW, calendar=calendar, rng=Random(seed)
    )


def reviewer(rid: str) -> Actor:
    return Actor(id=rid, role="reviewer")


def kinds_of(r: EmbeddedReview) -> list[str]:
    return [e.kind for e in r.events]


# ---- the sub-state on its own ------------------------------------------------------------------


def test_assignment_is_a_function_of_the_roster_and_the_seed() -> None:
    drawn = set()
    for seed in range(20):
        one, two = (
            review(roster("a", "b", "c", "d"), seed=seed),
            review(roster("a", "b", "c", "d"), seed=seed),
        )
        assert one.open() and two.open()
        # The same seed draws the same reviewer: a replay assigns whom the run assigned.
        assert list(one.seats) == list(two.seats) and len(one.seats) == 1
        drawn |= set(one.seats)
    assert len(drawn) > 1  # and the draw is spread over the roster
    assert kinds_of(one) == ["review.requested", "review.reviewers_assigned", "review.opened"]
    assert one.status == "open" and one.head == "head"
    assert one.events[0].status == "assigning" and one.events[-1].status == "open"


def test_a_reviewer_with_a_standing_conflict_is_never_drawn() -> None:
    for seed in range(10):
        r = review(roster("a", "b", conflicts=[("a", PERSON)]), seed=seed)
        r.open()
        assert list(r.seats) == ["b"]


def test_deadlines_count_working_days() -> None:
    r = review(roster("a"))
    # Monday 4 Jan, Wednesday a holiday: 3 working days end on Friday, 5 on Tuesday the 12th.
    assert r.reminder_at.date() == datetime(2027, 1, 8).date()
    assert r.due_at.date() == datetime(2027, 1, 12).date()


@pytest.mark.parametrize(
    ("snapshot", "problem"),
    [
        (roster("a", found=False, body_kind=None), "body_not_found"),
        (roster("a", body_kind=BodyKind.OVERSIGHT), "wrong_body_kind"),
    ],
)
def test_a_body_that_cannot_review_fails_the_review(snapshot: RosterSnapshot, problem: str) -> None:
    r = review(snapshot)
    assert not r.open()
    assert r.status == "failed" and r.events[-1].kind == "review.failed"
    assert r.events[-1].payload["problem"] == problem


def test_declaration_comes_before_the_verdict_and_a_conflict_recuses_with_a_substitute() -> None:
    r = review(roster("a", "b"))
    r.open()
    first = next(iter(r.seats))
    with pytest.raises(DomainError) as err:
        r.verdict(VerdictInput(actor=reviewer(first), verdict=Verdict.APPROVE, justification="ok"))
    assert err.value.code == "conflict_declaration_required"
    r.declare(DeclarationInput(actor=reviewer(first), has_conflict=True, reason="my cousin"))
    assert r.seats[first].recused
    substitute = next(s for s in r.seats if s != first)
    assert kinds_of(r)[-2:] == ["review.reviewer_recused", "review.reviewers_assigned"]
    assert r.events[-2].conflict is not None and r.events[-2].conflict.persons == [PERSON]
    with pytest.raises(DomainError) as err:
        r.declare(DeclarationInput(actor=reviewer(first), has_conflict=False))
    assert err.value.code == "recused"
    r.declare(DeclarationInput(actor=reviewer(substitute), has_conflict=False))
    with pytest.raises(DomainError) as err:
        r.verdict(
            VerdictInput(actor=reviewer(substitute), verdict=Verdict.RETURN, justification="x")
        )
    assert err.value.code == "findings_required"
    finding = Finding(what="the decree of the last rank is missing")
    r.verdict(
        VerdictInput(
            actor=reviewer(substitute),
            verdict=Verdict.RETURN,
            justification="incomplete",
            findings=[finding],
        )
    )
    assert r.outcome is Verdict.RETURN and r.findings == [finding]
    r.conclude()
    assert r.state().status == "concluded" and kinds_of(r)[-1] == "review.concluded"


def with_declaration(rid: str, verdict: Verdict = Verdict.APPROVE) -> VerdictInput:
    return VerdictInput(
        actor=reviewer(rid),
        verdict=verdict,
        justification="file complete",
        declares_no_conflict=True,
    )


def test_a_verdict_may_carry_the_declaration_of_no_conflict_made_just_before_it() -> None:
    r = review(roster("a", "b"))
    r.open()
    (seated,) = r.seats
    before = len(r.events)
    r.verdict(with_declaration(seated))
    assert kinds_of(r)[before:] == ["review.no_conflict_declared", "review.verdict"]
    assert r.events[before].actor.id == seated
    assert r.events[before].payload["has_conflict"] is False
    assert r.seats[seated].declared and r.seats[seated].voted
    assert r.outcome is Verdict.APPROVE


def test_a_reviewer_declared_already_is_refused_a_second_declaration_with_the_verdict() -> None:
    r = review(roster("a", "b"))
    r.open()
    (seated,) = r.seats
    r.declare(DeclarationInput(actor=reviewer(seated), has_conflict=False))
    events = len(r.events)
    with pytest.raises(DomainError) as err:
        r.verdict(with_declaration(seated))
    assert err.value.code == "already_declared"
    assert len(r.events) == events and not r.seats[seated].voted and r.outcome is None
    r.verdict(with_declaration(seated).model_copy(update={"declares_no_conflict": False}))
    assert r.outcome is Verdict.APPROVE


def test_a_verdict_declaring_no_conflict_is_refused_to_the_recused_and_the_unseated() -> None:
    r = review(roster("a"), silence_approves=False)
    r.open()
    r.declare(DeclarationInput(actor=reviewer("a"), has_conflict=True))
    assert r.escalated
    for rid, code in (("a", "recused"), ("head", "not_assigned"), ("stranger", "not_assigned")):
        with pytest.raises(DomainError) as err:
            r.verdict(with_declaration(rid))
        assert err.value.code == code, rid
    assert r.outcome is None


def test_a_recusal_with_no_one_left_escalates_to_the_head_who_may_decide() -> None:
    r = review(roster("a"), silence_approves=False)
    r.open()
    r.declare(DeclarationInput(actor=reviewer("a"), has_conflict=True))
    assert r.escalated and kinds_of(r)[-1] == "review.roster_insufficient"
    r.verdict(VerdictInput(actor=reviewer("head"), verdict=Verdict.APPROVE, justification="ok"))
    assert r.outcome is Verdict.APPROVE and "head of the body" in (r.reason or "")


def test_the_due_date_approves_by_silence_or_escalates() -> None:
    silent = review(roster("a"))
    silent.open()
    assert silent.next_timer() == (silent.reminder_at, "reminder")
    silent.on_timer("reminder")
    assert silent.events[-1].payload == {"waiting_for": ["a"]}
    assert silent.next_timer() == (silent.due_at, "due")
    silent.on_timer("due")
    assert silent.outcome is Verdict.APPROVE and silent.automatic
    assert kinds_of(silent)[-1] == "review.auto_approved"
    strict = review(roster("a"), silence_approves=False)
    strict.open()
    strict.on_timer("reminder")
    strict.on_timer("due")
    assert strict.outcome is None and strict.escalated
    assert kinds_of(strict)[-1] == "review.escalated" and strict.next_timer() == (None, "")


# ---- inside a running promotion ----------------------------------------------------------------

STARTED: list[WorkflowHandle] = []


@pytest_asyncio.fixture
async def worker(
    ts_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    async with build_worker(ts_env.client, sessions, settings):
        yield
        while STARTED:
            try:
                await STARTED.pop().terminate("test finished")
            except RPCError:
                pass


async def start_with_body(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    rec: dict,
    body: str,
    *,
    give_roster: bool,
) -> WorkflowHandle:
    inp = start_input(rec).model_copy(update={"technical_approval_body": body})
    if give_roster:
        async with sessions() as s:
            snapshot = await reviews.roster_snapshot(s, body, [rec["nip"]])
        inp = inp.model_copy(update={"review_roster": snapshot})
    h = await env.client.start_workflow(
        PromotionWorkflow.run,
        inp,
        id=promotion_workflow_id(rec["nip"], PERIOD),
        task_queue=settings.task_queue,
    )
    STARTED.append(h)
    return h


async def to_bkn(h: WorkflowHandle, rec: dict, *, given: bool = True) -> PromotionState:
    await wait_pending(h, Step.SUPERVISOR)
    await decide(h, actor("supervisor", rec["supervisor_nip"]))
    await decide(h, actor("promotion_board"))
    state = await decide(h, actor("agency_hr"))
    assert isinstance(state, PromotionState)
    if given:
        # With the roster given at the start, the decision that opens BKN's step answers with
        # the review already open and seated: no read, no wait.
        return state
    # Read once, the roster comes with an activity after the answer.
    for _ in range(2000):
        state = await h.query(PromotionWorkflow.state)
        if state.review is not None and state.review.status == "open":
            return state
        await asyncio.sleep(0.05)
    raise AssertionError("the review never opened")


def seated(state: PromotionState) -> ReviewState:
    assert state.pending is not None and state.pending.step is Step.BKN_TECHNICAL_APPROVAL
    assert state.review is not None and state.review.status == "open"
    assert state.pending.review_id == state.review.review_id
    return state.review


@pytest.mark.usefixtures("worker")
@pytest.mark.parametrize("give_roster", [True, False], ids=["roster-at-start", "roster-read-once"])
async def test_the_review_opens_with_the_decision_and_skips_standing_conflicts(
    ts_env, settings, sessions, give_roster: bool
) -> None:
    body = f"BKN-A{int(give_roster)}"
    await register_body(sessions, body, reviewers=[f"{body}-1", f"{body}-2"])
    rec = employee()
    await put_employee(sessions, rec)
    async with sessions() as s, s.begin():
        await reviews.add_conflicts(
            s, f"{body}-1", [rec["nip"]], reason="sibling", review_id=None, now=datetime.now(UTC)
        )
    h = await start_with_body(ts_env, settings, sessions, rec, body, give_roster=give_roster)
    review_state = seated(await to_bkn(h, rec, given=give_roster))
    assert [seat.reviewer_id for seat in review_state.seats] == [f"{body}-2"]
    # No second workflow: the review is the promotion's.
    with pytest.raises(RPCError):
        await ts_env.client.get_workflow_handle(review_state.review_id).describe()
    for _ in range(2000):  # read once, the review's entries are written after the query saw it
        async with sessions() as s:
            view = await reviews.get_review(s, review_state.review_id)
        if view is not None and view.status == "open":
            break
        await asyncio.sleep(0.05)
    async with sessions() as s:
        view = await reviews.get_review(s, review_state.review_id)
        seats = await reviews.seats_of(s, review_state.review_id)
        trail = [e.kind for e in await ledger.entries(s, review_state.review_id)]
        assert (await ledger.verify(s, review_state.review_id)).ok
    assert view is not None and view.status == "open" and view.parent_process_id == h.id
    assert [x.reviewer_id for x in seats] == [f"{body}-2"]
    assert trail == ["review.requested", "review.reviewers_assigned", "review.opened"]


@pytest.mark.usefixtures("worker")
async def test_conflict_then_a_return_with_findings_sends_the_promotion_back(
    ts_env, settings, sessions
) -> None:
    await register_body(sessions, "BKN-C", reviewers=["c-1", "c-2"])
    rec = employee()
    await put_employee(sessions, rec)
    h = await start_with_body(ts_env, settings, sessions, rec, "BKN-C", give_roster=True)
    first = seated(await to_bkn(h, rec)).seats[0].reviewer_id
    # The validator refuses a verdict before a declaration, and decide() refuses BKN's own move.
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await h.execute_update(
            PromotionWorkflow.review_verdict,
            VerdictInput(actor=reviewer(first), verdict=Verdict.APPROVE, justification="ok"),
        )
    assert refusal_type(err) == "conflict_declaration_required"
    answer = await h.execute_update(
        PromotionWorkflow.review_declare,
        DeclarationInput(actor=reviewer(first), has_conflict=True, reason="former colleague"),
    )
    substitute = next(x.reviewer_id for x in answer.review.seats if not x.recused)
    assert substitute != first and answer.promotion.pending is not None
    assert answer.promotion.pending.step is Step.BKN_TECHNICAL_APPROVAL
    await h.execute_update(
        PromotionWorkflow.review_declare,
        DeclarationInput(actor=reviewer(substitute), has_conflict=False),
    )
    finding = Finding(what="SK of the last rank is not attached")
    answer = await h.execute_update(
        PromotionWorkflow.review_verdict,
        VerdictInput(
            actor=reviewer(substitute),
            verdict=Verdict.RETURN,
            justification="incomplete file",
            findings=[finding],
        ),
    )
    # The verdict's answer is the promotion after the review: back at agency HR, with the finding.
    assert answer.review.status == "concluded" and answer.review.outcome is Verdict.RETURN
    assert answer.promotion.pending is not None and answer.promotion.review is None
    assert answer.promotion.pending.step is Step.AGENCY_HR
    assert answer.promotion.return_count == 1
    await write_handed(sessions, answer)  # as the API does once the update has completed
    async with sessions() as s:
        conflicts = await reviews.conflicted_reviewers(s, [first], [rec["nip"]])
        review_id = answer.review.review_id
        trail = [e.kind for e in await ledger.entries(s, review_id)]
        concluded = [
            e for e in await ledger.entries(s, h.id) if e.kind == "promotion.review_concluded"
        ]
    assert conflicts == {first}  # the recusal is a standing conflict from now on
    assert trail == [
        "review.requested",
        "review.reviewers_assigned",
        "review.opened",
        "review.reviewer_recused",
        "review.reviewers_assigned",
        "review.no_conflict_declared",
        "review.verdict",
        "review.concluded",
    ]
    assert concluded[0].payload["corrections"] == [finding.what]
    # A second round opens a second review; the first is closed to updates.
    state = await decide(h, actor("agency_hr"))
    second = seated(state)
    assert second.review_id != review_id
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await h.execute_update(
            PromotionWorkflow.review_declare,
            DeclarationInput(actor=reviewer(substitute), has_conflict=False, review_id=review_id),
        )
    assert refusal_type(err) == "review_closed"


@pytest.mark.usefixtures("worker")
async def test_the_due_date_in_working_days_approves_by_silence(ts_env, settings, sessions) -> None:
    await register_body(sessions, "BKN-D", reviewers=["d-1"])
    rec = employee()
    await put_employee(sessions, rec)
    h = await start_with_body(ts_env, settings, sessions, rec, "BKN-D", give_roster=False)
    opened = seated(await to_bkn(h, rec, given=False))
    assert opened.due_at is not None and opened.reminder_at is not None
    assert opened.due_at - opened.reminder_at >= timedelta(days=2)
    await skip_days(ts_env, 15)
    await wait_pending(h, Step.APPOINTING_AUTHORITY)
    async with sessions() as s:
        trail = [e.kind for e in await ledger.entries(s, opened.review_id)]
        view = await reviews.get_review(s, opened.review_id)
    assert trail[-3:] == ["review.reminder_sent", "review.auto_approved", "review.concluded"]
    assert view is not None and view.status == "concluded" and view.automatic
    state = await h.query(PromotionWorkflow.state)
    assert state.status is PromotionStatus.IN_PROGRESS and state.last_decision is not None
    assert state.last_decision["actor_id"] == f"review:{opened.review_id}"


@pytest.mark.usefixtures("worker")
async def test_a_body_unknown_when_the_step_opens_fails_the_promotion(
    ts_env, settings, sessions
) -> None:
    rec = employee()
    await put_employee(sessions, rec)
    h = await start_with_body(ts_env, settings, sessions, rec, "NO-SUCH-BODY", give_roster=True)
    await wait_pending(h, Step.SUPERVISOR)
    await decide(h, actor("supervisor", rec["supervisor_nip"]))
    await decide(h, actor("promotion_board"))
    state = await decide(h, actor("agency_hr"))
    result = await asyncio.wait_for(h.result(), timeout=60)
    assert result.status is PromotionStatus.FAILED
    assert "could not be reviewed" in (result.outcome_reason or "")
    assert isinstance(state, PromotionState)


@pytest.mark.usefixtures("worker")
async def test_a_review_short_of_reviewers_fills_its_seat_when_the_roster_changes(
    ts_env, settings, sessions
) -> None:
    await register_body(sessions, "BKN-R", reviewers=["r-1"], head="r-head")
    rec = employee()
    await put_employee(sessions, rec)
    h = await start_with_body(ts_env, settings, sessions, rec, "BKN-R", give_roster=True)
    seated(await to_bkn(h, rec))
    answer = await h.execute_update(
        PromotionWorkflow.review_declare,
        DeclarationInput(actor=reviewer("r-1"), has_conflict=True, reason="neighbour"),
    )
    assert answer.review.escalated and not [x for x in answer.review.seats if not x.recused]
    # A reviewer joins the roster; the console's registration signals the promotion.
    await register_body(sessions, "BKN-R", reviewers=["r-1", "r-2"], head="r-head")
    await h.signal(PromotionWorkflow.review_roster_changed)
    for _ in range(2000):
        state = (await h.query(PromotionWorkflow.state)).review
        if state is not None and any(x.reviewer_id == "r-2" for x in state.seats):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the new reviewer was never seated")
    await h.execute_update(
        PromotionWorkflow.review_declare,
        DeclarationInput(actor=reviewer("r-2"), has_conflict=False),
    )
    answer = await h.execute_update(
        PromotionWorkflow.review_verdict,
        VerdictInput(actor=reviewer("r-2"), verdict=Verdict.APPROVE, justification="ok"),
    )
    assert answer.promotion.pending is not None
    assert answer.promotion.pending.step is Step.APPOINTING_AUTHORITY
    await write_handed(sessions, answer)
    async with sessions() as s:
        trail = [e.kind for e in await ledger.entries(s, answer.review.review_id)]
    assert trail[3:6] == [
        "review.reviewer_recused",
        "review.roster_insufficient",
        "review.reviewers_assigned",
    ]
