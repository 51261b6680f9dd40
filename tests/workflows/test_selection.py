"""OpenSelectionWorkflow on the time-skipping server with the real activities and database.

Candidate-level writes (registrations, screening decisions, declarations, scores) go through
``store.selections`` exactly as the API sends them; stage actions are workflow updates.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.ledger import Actor
from domain.review import Finding, Verdict
from domain.selection.scheme import ScoringScheme
from store import ledger, selections
from store.selection_models import Selection
from store.selections import Stamp
from tests.conftest import skip_days
from tests.helpers.selection_workflow import (
    HR,
    PPK,
    SCHEME,
    SCORES,
    Run,
    member,
    panel,
    profile,
    run,
    scorers,
    to_shortlist,
    worker,
)
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import (
    ActorInput,
    AnnounceInput,
    AppointInput,
    CancelInput,
    ComponentInput,
    PanelInput,
    SchemeInput,
    VoteInput,
)

__all__ = ["run", "worker"]  # the fixtures


async def test_a_selection_runs_from_panel_to_appointment(run: Run) -> None:
    state = await to_shortlist(run)
    # Weighted: A0001 85*.6+85*.4=85, A0000 90*.6+80*.4=86, A0002 70; A0003 and A0004 fail.
    assert [r.applicant_id for r in state.shortlist] == ["A0000", "A0001", "A0002"]
    assert [r.total for r in state.shortlist] == [86.0, 85.0, 70.0]
    for i in range(4):
        await run.update(
            OpenSelectionWorkflow.plenary_vote, VoteInput(actor=member(run.prefix, i), approve=True)
        )
    state = await run.update(
        OpenSelectionWorkflow.close_plenary, ActorInput(actor=member(run.prefix, 0))
    )
    assert state.stage == "oversight_review"
    await run.review(f"review-shortlist-{run.id}-1", Verdict.APPROVE)
    await run.until(lambda s: s.stage == "appointment")
    code = await run.refused(
        OpenSelectionWorkflow.appoint, AppointInput(actor=PPK, applicant_id="A0003", reason="best")
    )
    assert code == "not_shortlisted"
    code = await run.refused(
        OpenSelectionWorkflow.appoint, AppointInput(actor=HR, applicant_id="A0001", reason="best")
    )
    assert code == "not_appointing_authority"
    state = await run.update(
        OpenSelectionWorkflow.appoint,
        AppointInput(actor=PPK, applicant_id="A0001", reason="fits the post"),
    )
    assert (state.stage, state.status, state.appointee_id) == ("completed", "completed", "A0001")
    result = await run.h.result()
    assert result.appointee_id == "A0001"

    view = await run.view()
    assert (view.stage, view.appointee_id, view.applicants, view.eligible) == (
        "completed",
        "A0001",
        6,
        6,
    )
    kinds = await run.kinds()
    for kind in (
        "selection.started",
        "panel.set",
        "scheme.set",
        "plan.submitted",
        "plan.review_concluded",
        "registration.opened",
        "registration.closed",
        "screening.prechecked",
        "screening.closed",
        "component.closed",
        "shortlist.proposed",
        "plenary.voted",
        "plenary.closed",
        "shortlist.review_concluded",
        "selection.appointed",
    ):
        assert kind in kinds, kind
    # every registration, screening decision, declaration and score is in the ledger too
    assert kinds.count("applicant.registered") == 6
    assert kinds.count("score.submitted") == 6 * 4
    published = {a.key for a in await run.announcements()}
    assert {
        "announcement",
        "registration-closed",
        "screening-0",
        "ranking-0",
        "shortlist-0",
        "appointment",
    } <= published
    assert {f"component-{c}-0" for c in ("assessment", "interview", "health")} <= published
    async with run.sessions() as s:
        verified = await ledger.verify(s, run.id)
    assert verified.ok, verified


async def test_stage_actions_out_of_turn_are_refused(run: Run) -> None:
    await run.start()
    bad = panel(run.prefix)[:4]  # even and too small
    assert await run.refused(
        OpenSelectionWorkflow.set_panel, PanelInput(actor=HR, members=bad)
    ) in {
        "panel_size",
        "panel_even",
        "panel_not_odd",
    }
    outsider = Actor(id="someone", role="selection_committee")
    assert (
        await run.refused(
            OpenSelectionWorkflow.set_panel, PanelInput(actor=outsider, members=panel(run.prefix))
        )
        == "not_chair_or_secretary"
    )
    assert (
        await run.refused(OpenSelectionWorkflow.submit_plan, ActorInput(actor=HR))
        == "plan_incomplete"
    )
    assert (
        await run.refused(
            OpenSelectionWorkflow.close_component, ComponentInput(actor=HR, component="interview")
        )
        == "wrong_stage"
    )
    await run.update(
        OpenSelectionWorkflow.set_panel, PanelInput(actor=HR, members=panel(run.prefix))
    )
    lopsided = SCHEME.model_copy(update={"components": SCHEME.components[:2]})
    lopsided = ScoringScheme(
        components=[
            c.model_copy(update={"weight": 50.0}) if c.code == "interview" else c
            for c in lopsided.components
        ],
        tie_break=[],
    )
    assert (
        await run.refused(
            OpenSelectionWorkflow.set_scheme,
            SchemeInput(actor=HR, scheme=lopsided, scorers=scorers(run.prefix)),
        )
        == "weights_sum"
    )
    outsiders = scorers(run.prefix) | {"interview": ["not-on-panel"]}
    assert (
        await run.refused(
            OpenSelectionWorkflow.set_scheme,
            SchemeInput(actor=HR, scheme=SCHEME, scorers=outsiders),
        )
        == "scorer_not_on_panel"
    )
    assert (
        await run.refused(OpenSelectionWorkflow.cancel, CancelInput(actor=HR, reason="no"))
        == "not_appointing_authority"
    )
    assert (await run.view()).stage == "planning"


async def test_too_few_applicants_extends_twice_then_fails(run: Run) -> None:
    await run.start()
    await run.plan_approved()
    await run.announce_now()
    await run.register(2)
    await skip_days(run.env, 16)
    state = await run.until(lambda s: s.extensions == 1)
    assert state.stage == "registration"
    await run.register(1, start=2)
    await skip_days(run.env, 7)
    await run.until(lambda s: s.extensions == 2)
    await skip_days(run.env, 8)
    state = await run.until(lambda s: s.stage == "failed")
    assert state.applicants == 3 and "no extension is left" in (state.outcome_reason or "")
    kinds = await run.kinds()
    assert kinds.count("registration.extended") == 2 and kinds[-1] == "registration.failed"
    # registering after the end is refused with the code the API answers with
    assert await run.store_refused(
        selections.register_applicant, profile(9), actor=HR, source="api"
    ) in {
        "registration_closed",
        "wrong_stage",
    }
    published = [a.key for a in await run.announcements()]
    assert published.count("registration-extended-1") == 1 and "failed" in published


async def test_the_floor_rulebook_proceeds_with_three_after_the_extensions(run: Run) -> None:
    await run.start("PermenPANRB-15-2019-floor3")
    await run.plan_approved()
    await run.announce_now()
    await run.register(3)
    await skip_days(run.env, 16 + 7 + 8)
    state = await run.until(lambda s: s.stage == "screening")
    assert (state.extensions, state.applicants) == (2, 3)


async def test_screening_and_components_cannot_close_with_work_left(run: Run) -> None:
    await run.start()
    await run.plan_approved()
    await run.announce_now()
    await run.register(5)
    await skip_days(run.env, 16)
    await run.until(lambda s: s.stage == "screening")
    secretary = member(run.prefix, 1)
    await run.screen_all(["A0000", "A0001"])
    code = await run.refused(OpenSelectionWorkflow.close_screening, ActorInput(actor=secretary))
    assert code == "screening_incomplete"
    assert (
        await run.refused(
            OpenSelectionWorkflow.close_screening, ActorInput(actor=member(run.prefix, 3))
        )
        == "not_chair_or_secretary"
    )
    await run.screen_all(["A0002", "A0003", "A0004"])
    await run.update(OpenSelectionWorkflow.close_screening, ActorInput(actor=secretary))
    assert (
        await run.refused(
            OpenSelectionWorkflow.close_component,
            ComponentInput(actor=secretary, component="interview"),
        )
        == "scores_missing"
    )
    assert (
        await run.refused(
            OpenSelectionWorkflow.close_component, ComponentInput(actor=secretary, component="nope")
        )
        == "unknown_component"
    )


async def test_a_returned_shortlist_review_goes_back_to_assessment_and_keeps_the_scores(
    run: Run,
) -> None:
    await to_shortlist(run)
    for i in range(3):
        await run.update(
            OpenSelectionWorkflow.plenary_vote, VoteInput(actor=member(run.prefix, i), approve=True)
        )
    await run.update(OpenSelectionWorkflow.close_plenary, ActorInput(actor=member(run.prefix, 0)))
    findings = [
        Finding(what="Interview scores of A0002 need checking", return_to_stage="assessment")
    ]
    await run.review(f"review-shortlist-{run.id}-1", Verdict.RETURN, findings)
    state = await run.until(lambda s: s.stage == "assessment")
    assert state.return_count == 1 and set(state.components.values()) == {"open"}
    assert state.findings[0].return_to_stage == "assessment"
    # the interviewer amends one score with a justification; everything else was kept
    await run.store(
        selections.submit_score,
        component="interview",
        applicant_id="A0002",
        actor=member(run.prefix, 0),
        score=100.0,
        justification="Transcription error found by the oversight body",
    )
    state = await run.close_components()
    assert state.stage == "shortlist"
    # A0002: 70*.6 + mean(100, 70)*.4 = 42 + 34 = 76
    assert [r.total for r in state.shortlist] == [86.0, 85.0, 76.0]
    kinds = await run.kinds()
    assert "score.amended" in kinds and kinds.count("component.closed") == 6


async def test_cancelling_during_the_plan_review_cancels_the_review(run: Run) -> None:
    await run.start()
    await run.update(
        OpenSelectionWorkflow.set_panel, PanelInput(actor=HR, members=panel(run.prefix))
    )
    await run.update(
        OpenSelectionWorkflow.set_scheme,
        SchemeInput(actor=HR, scheme=SCHEME, scorers=scorers(run.prefix)),
    )
    await run.update(OpenSelectionWorkflow.submit_plan, ActorInput(actor=HR))
    review = run.env.client.get_workflow_handle(f"review-plan-{run.id}-1")
    await run.until(lambda s: s.stage == "plan_review")
    for _ in range(600):  # cancel once the review is under way
        async with run.sessions() as s:
            if "review.opened" in [e.kind for e in await ledger.entries(s, review.id)]:
                break
        await asyncio.sleep(0.05)
    state = await run.update(
        OpenSelectionWorkflow.cancel, CancelInput(actor=PPK, reason="post abolished")
    )
    assert state.stage == "cancelled"
    result = await run.h.result()
    assert result.stage == "cancelled" and result.outcome_reason == "post abolished"
    # the child records its own cancellation in its ledger
    review_kinds: list[str] = []
    for _ in range(600):
        async with run.sessions() as s:
            review_kinds = [e.kind for e in await ledger.entries(s, review.id)]
        if "review.cancelled" in review_kinds:
            break
        await asyncio.sleep(0.05)
    assert "review.cancelled" in review_kinds
    assert (await run.kinds())[-1] == "selection.cancelled"


async def test_the_plenary_needs_a_quorum_and_recuses_the_conflicted(run: Run) -> None:
    await run.start()
    await run.plan_approved()
    await run.announce_now()
    await run.register(6)
    await skip_days(run.env, 16)
    await run.until(lambda s: s.stage == "screening")
    await run.screen_all(list(SCORES))
    await run.update(OpenSelectionWorkflow.close_screening, ActorInput(actor=member(run.prefix, 1)))
    # member 4 (no component) declares a conflict with a future shortlisted name: recused
    m4 = member(run.prefix, 4)
    assert (
        await run.store_refused(selections.declare, actor=m4, conflicted=["A0000"], reason="cousin")
        == "not_assigned"
    )
    # the interviewer m2 declares a conflict with A0005, who then cannot be scored by them
    m2 = member(run.prefix, 2)
    await run.store(selections.declare, actor=m2, conflicted=["A0000"], reason="former subordinate")
    code = await run.store_refused(
        selections.submit_score,
        component="interview",
        applicant_id="A0000",
        actor=m2,
        score=50.0,
        justification=None,
    )
    assert code == "conflict_of_interest"
    await run.score_all({a: v for a, v in SCORES.items() if a != "A0000"})
    await run.store(
        selections.submit_score,
        component="assessment",
        applicant_id="A0000",
        actor=Actor(id=f"{run.prefix}-assessor", role="assessor"),
        score=90.0,
        justification=None,
    )
    await run.store(
        selections.submit_score,
        component="interview",
        applicant_id="A0000",
        actor=member(run.prefix, 0),
        score=80.0,
        justification=None,
    )
    await run.store(
        selections.submit_score,
        component="health",
        applicant_id="A0000",
        actor=member(run.prefix, 1),
        score=1.0,
        justification=None,
    )
    state = await run.close_components()
    assert state.stage == "shortlist"
    assert (
        await run.refused(OpenSelectionWorkflow.plenary_vote, VoteInput(actor=m2, approve=True))
        == "not_eligible_to_vote"
    )
    await run.update(
        OpenSelectionWorkflow.plenary_vote, VoteInput(actor=member(run.prefix, 0), approve=True)
    )
    assert (
        await run.refused(
            OpenSelectionWorkflow.plenary_vote,
            VoteInput(actor=member(run.prefix, 0), approve=False),
        )
        == "already_voted"
    )
    await run.update(
        OpenSelectionWorkflow.plenary_vote, VoteInput(actor=member(run.prefix, 1), approve=True)
    )
    # 2 of 4 eligible is not more than half
    assert (
        await run.refused(
            OpenSelectionWorkflow.close_plenary, ActorInput(actor=member(run.prefix, 0))
        )
        == "plenary_quorum_not_met"
    )
    await run.update(
        OpenSelectionWorkflow.plenary_vote, VoteInput(actor=member(run.prefix, 3), approve=False)
    )
    state = await run.update(
        OpenSelectionWorkflow.close_plenary, ActorInput(actor=member(run.prefix, 0))
    )
    assert state.stage == "oversight_review"


@pytest.mark.parametrize("passed", [2])
async def test_fewer_qualified_than_three_fails_with_the_reason(run: Run, passed: int) -> None:
    await run.start()
    await run.plan_approved()
    await run.announce_now()
    await run.register(4)
    await skip_days(run.env, 16)
    await run.until(lambda s: s.stage == "screening")
    ids = [f"A{i:04d}" for i in range(4)]
    await run.screen_all(ids)
    await run.update(OpenSelectionWorkflow.close_screening, ActorInput(actor=member(run.prefix, 1)))
    scores = {
        a: ((90.0, 80.0, 1.0) if i < passed else (10.0, 80.0, 1.0)) for i, a in enumerate(ids)
    }
    await run.score_all(scores)
    state = await run.close_components()
    assert state.stage == "failed"
    assert f"Only {passed} applicant(s) passed" in (state.outcome_reason or "")
    assert (await run.kinds())[-1] == "shortlist.insufficient"


async def test_history_stays_small_with_many_applicants(run: Run, sessions) -> None:
    """Registrations and scores do not enter the workflow history: only stage actions do."""
    await run.start()
    await run.plan_approved()
    await run.announce_now()
    async with sessions() as s, s.begin():
        await selections.import_applicants(
            s,
            run.id,
            [profile(i) for i in range(300)],
            stamp=Stamp(actor=HR, now=datetime.now(UTC), entry_id=f"{run.id}:accepted:bulk"),
        )
    await skip_days(run.env, 16)
    state = await run.until(lambda s: s.stage == "screening")
    assert state.applicants == 300 and state.eligible == 300
    history = await run.h.fetch_history()
    assert len(history.events) < 200, len(history.events)
    async with sessions() as s:
        rows = (await s.scalars(select(Selection).where(Selection.process_id == run.id))).all()
    assert rows[0].applicants == 300


async def test_a_seat_is_taken_with_its_role_and_refusals_keep_their_category(run: Run) -> None:
    """The role-confusion defect, at the workflow: the chair's id with the role ``auditor`` is
    not the chair, and the appointing authority's id with another role is not the authority."""
    await run.start()
    await run.update(
        OpenSelectionWorkflow.set_panel, PanelInput(actor=HR, members=panel(run.prefix))
    )
    chair_as_auditor = Actor(id=f"{run.prefix}-m0", role="auditor")
    refusal = await run.refusal(
        OpenSelectionWorkflow.set_panel,
        PanelInput(actor=chair_as_auditor, members=panel(run.prefix)),
    )
    assert refusal == ("wrong_role_for_seat", "not_permitted")
    ppk_as_auditor = Actor(id=PPK.id, role="auditor")
    refusal = await run.refusal(
        OpenSelectionWorkflow.cancel, CancelInput(actor=ppk_as_auditor, reason="no")
    )
    assert refusal == ("not_appointing_authority", "not_permitted")
    # a value that breaks a rule, a state that does not allow it
    bad = panel(run.prefix)[:3]
    assert await run.refusal(
        OpenSelectionWorkflow.set_panel, PanelInput(actor=HR, members=bad)
    ) == ("panel_size", "rule_violation")
    assert await run.refusal(
        OpenSelectionWorkflow.close_screening, ActorInput(actor=member(run.prefix, 1))
    ) == ("wrong_stage", "conflict")
    assert (await run.view()).stage == "planning"


async def test_the_training_rulebook_counts_the_window_in_minutes(run: Run) -> None:
    await run.start("PermenPANRB-15-2019-training")
    await run.plan_approved()
    now = await run.env.get_current_time()
    days = AnnounceInput(actor=HR, opens=now.date(), closes=now.date() + timedelta(days=20))
    assert await run.refusal(OpenSelectionWorkflow.announce, days) == (
        "window_in_minutes",
        "rule_violation",
    )
    state = await run.update(
        OpenSelectionWorkflow.announce,
        AnnounceInput(actor=HR, closes_at=now + timedelta(minutes=2), text="Training"),
    )
    assert state.stage == "registration"
    await run.register(3)
    await run.env.sleep(timedelta(minutes=2, seconds=5))
    state = await run.until(lambda s: s.extensions == 1)
    assert state.registration_closes_at is not None
    assert state.registration_closes_at - now == timedelta(minutes=3)
    await run.register(1, start=3)
    await run.env.sleep(timedelta(minutes=1, seconds=5))
    state = await run.until(lambda s: s.stage == "screening")
    assert (state.applicants, state.extensions) == (4, 1)
    extended = next(a for a in await run.announcements() if a.key == "registration-extended-1")
    assert "extended by 1 minutes" in extended.body["reason"]
