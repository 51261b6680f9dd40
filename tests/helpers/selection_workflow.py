"""OpenSelectionWorkflow as the workflow tests drive it: the worker fixture on the time-skipping
server, the panel, the scheme and applicants, and ``Run`` with the steps a selection walks through.

Candidate-level writes (registrations, screening decisions, declarations, scores) go through
``store.selections`` exactly as the API sends them; stage actions are workflow updates.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.calendar import WIB
from domain.errors import DomainError
from domain.ledger import Actor
from domain.review import Finding, Verdict
from domain.selection.panel import PanelMember, PanelRole
from domain.selection.scheme import Component, ScoringScheme
from domain.selection.screening import ApplicantProfile
from infra.settings import Settings
from store import ledger, selections
from store.selection_models import Selection, SelectionAnnouncement
from store.selections import Stamp
from tests.conftest import register_body, skip_days
from worker import build_worker
from workflows.contracts import DeclarationInput, ReviewState, VerdictInput
from workflows.review import ThirdPartyReviewWorkflow
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import (
    ActorInput,
    AnnounceInput,
    ComponentInput,
    PanelInput,
    SchemeInput,
    SelectionState,
    StartSelection,
    selection_workflow_id,
)

STARTED: list[WorkflowHandle] = []
HR = Actor(id="hr-1", role="agency_hr")
PPK = Actor(id="ppk-1", role="appointing_authority")


@pytest_asyncio.fixture
async def worker(ts_env: WorkflowEnvironment, sessions, settings: Settings) -> AsyncIterator[None]:
    async with build_worker(ts_env.client, sessions, settings):
        yield
        while STARTED:
            try:
                await STARTED.pop().terminate("test finished")
            except RPCError:
                pass


def panel(prefix: str) -> list[PanelMember]:
    # 5 members, 2 internal (40% <= 45%).
    roles = [
        PanelRole.CHAIR,
        PanelRole.SECRETARY,
        PanelRole.MEMBER,
        PanelRole.MEMBER,
        PanelRole.MEMBER,
    ]
    return [
        PanelMember(
            id=f"{prefix}-m{i}",
            name=f"Member {i}",
            role=role,
            internal=i < 2,
            affiliation="Agency" if i < 2 else "University",
        )
        for i, role in enumerate(roles)
    ]


def member(prefix: str, i: int) -> Actor:
    return Actor(id=f"{prefix}-m{i}", role="selection_committee")


SCHEME = ScoringScheme(
    components=[
        Component(
            code="assessment",
            name="Assessment centre",
            weight=60,
            cutoff=50,
            scorer_kind="assessor",
        ),
        Component(code="interview", name="Interview", weight=40, cutoff=None),
        Component(code="health", name="Health", weight=0, pass_fail=True),
    ],
    tie_break=["assessment", "age"],
)


def scorers(prefix: str) -> dict[str, list[str]]:
    return {
        "assessment": [f"{prefix}-assessor"],
        "interview": [f"{prefix}-m0", f"{prefix}-m2"],
        "health": [f"{prefix}-m1"],
    }


def profile(i: int, *, eligible: bool = True) -> ApplicantProfile:
    return ApplicantProfile(
        applicant_id=f"A{i:04d}",
        nip=f"19800101200501{i:04d}",
        name=f"Applicant {i}",
        degree="S2" if eligible else "D3",
        years_experience=12,
        years_senior_post=4,
        birth_date=date(1975, 1, 1) + timedelta(days=i),
        grade="IV/b",
    )


class Run:
    """One selection under test: its handle, ids and the shortcuts the scenarios share."""

    def __init__(self, env: WorkflowEnvironment, sessions, settings: Settings, body: str) -> None:
        self.env, self.sessions, self.settings, self.body = env, sessions, settings, body
        self.code = f"S{uuid.uuid4().hex[:8]}"
        self.prefix = self.code.lower()
        self.id = selection_workflow_id("KEMENPANRB", self.code)
        self.handle: WorkflowHandle | None = None
        self.requests = 0

    def start_input(self, rulebook: str = "PermenPANRB-15-2019") -> StartSelection:
        return StartSelection(
            agency="KEMENPANRB",
            code=self.code,
            post_title="Sekretaris Deputi",
            post_level="pratama",
            rulebook_version=rulebook,
            appointing_authority_id=PPK.id,
            oversight_body=self.body,
            requested_by=HR,
        )

    async def start(self, rulebook: str = "PermenPANRB-15-2019") -> None:
        self.handle = await self.env.client.start_workflow(
            OpenSelectionWorkflow.run,
            self.start_input(rulebook),
            id=self.id,
            task_queue=self.settings.task_queue,
        )
        STARTED.append(self.handle)

    @property
    def h(self) -> WorkflowHandle:
        assert self.handle is not None
        return self.handle

    async def update(self, method: Callable[..., object], arg: object) -> SelectionState:
        result = await self.h.execute_update(method, arg)  # type: ignore[call-overload]
        assert isinstance(result, SelectionState)
        return result

    async def refused(self, method: Callable[..., object], arg: object) -> str:
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await self.h.execute_update(method, arg)  # type: ignore[call-overload]
        cause = err.value.cause
        return str(getattr(cause, "type", ""))

    async def refusal(self, method: Callable[..., object], arg: object) -> tuple[str, str]:
        """The refusal's code and its category (which decides the API's status)."""
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await self.h.execute_update(method, arg)  # type: ignore[call-overload]
        cause = err.value.cause
        details = getattr(cause, "details", None) or [{}]
        return str(getattr(cause, "type", "")), str(details[0].get("category"))

    async def store(
        self, fn: Callable[..., object], *args: object, actor: Actor, **kw: object
    ) -> object:
        """A candidate-level write as an action makes it: one transaction, its own entry."""
        self.requests += 1
        stamp = Stamp(
            actor=actor, now=datetime.now(UTC), entry_id=f"{self.id}:accepted:t{self.requests}"
        )
        async with self.sessions() as s, s.begin():
            return await fn(s, self.id, *args, stamp=stamp, **kw)  # type: ignore[misc]

    async def store_refused(
        self, fn: Callable[..., object], *args: object, actor: Actor, **kw: object
    ) -> str:
        with pytest.raises(DomainError) as err:
            await self.store(fn, *args, actor=actor, **kw)
        return err.value.code

    async def view(self) -> Selection:
        async with self.sessions() as s:
            row = await selections.get(s, self.id)
            assert row is not None
            return row

    async def until(self, predicate: Callable[[SelectionState], bool]) -> SelectionState:
        deadline = asyncio.get_running_loop().time() + 120
        state = None
        while asyncio.get_running_loop().time() < deadline:
            state = await self.h.query(OpenSelectionWorkflow.state)
            if predicate(state):
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"never reached: {state}")

    async def review(
        self, review_id: str, verdict: Verdict, findings: list[Finding] | None = None
    ) -> None:
        """The oversight body's three reviewers declare no conflict and give ``verdict``."""
        rh = self.env.client.get_workflow_handle(review_id)
        deadline = asyncio.get_running_loop().time() + 120
        state: ReviewState | None = None
        while asyncio.get_running_loop().time() < deadline:
            try:
                state = await rh.query(ThirdPartyReviewWorkflow.state)
            except RPCError:
                state = None
            if state is not None and state.status == "open":
                break
            await asyncio.sleep(0.05)
        assert state is not None and state.status == "open", state
        for seat in state.seats:
            # a majority of three concludes the review: the third reviewer is then not needed
            if (await rh.query(ThirdPartyReviewWorkflow.state)).status != "open":
                break
            actor = Actor(id=seat.reviewer_id, role="reviewer")
            await rh.execute_update(
                ThirdPartyReviewWorkflow.declare, DeclarationInput(actor=actor, has_conflict=False)
            )
            await rh.execute_update(
                ThirdPartyReviewWorkflow.verdict,
                VerdictInput(
                    actor=actor, verdict=verdict, justification="checked", findings=findings or []
                ),
            )

    async def plan_approved(self) -> None:
        await self.update(
            OpenSelectionWorkflow.set_panel, PanelInput(actor=HR, members=panel(self.prefix))
        )
        await self.update(
            OpenSelectionWorkflow.set_scheme,
            SchemeInput(actor=HR, scheme=SCHEME, scorers=scorers(self.prefix)),
        )
        await self.update(OpenSelectionWorkflow.submit_plan, ActorInput(actor=HR))
        await self.review(f"review-plan-{self.id}-1", Verdict.APPROVE)
        await self.until(lambda s: s.stage == "announcement" and s.scheme_frozen)

    async def announce_now(self) -> None:
        today = (await self.env.get_current_time()).astimezone(WIB).date()
        await self.update(
            OpenSelectionWorkflow.announce,
            AnnounceInput(actor=HR, opens=today, closes=today + timedelta(days=14), text="Open"),
        )

    async def register(self, n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            await self.store(selections.register_applicant, profile(i), actor=HR, source="api")

    async def screen_all(self, applicant_ids: list[str]) -> None:
        secretary = member(self.prefix, 1)
        for a in applicant_ids:
            row = await self.applicant(a)
            await self.store(
                selections.decide_screening,
                a,
                eligible=bool(row.auto_eligible),
                justification=None,
                actor=secretary,
            )

    async def applicant(self, applicant_id: str):  # type: ignore[no-untyped-def]
        from store.selection_models import SelectionApplicant

        async with self.sessions() as s:
            row = await s.get(SelectionApplicant, (self.id, applicant_id))
            assert row is not None
            return row

    async def score_all(self, scores: dict[str, tuple[float, float, float]]) -> None:
        """``scores``: applicant -> (assessment, interview, health) given by every assigned scorer."""
        assigned = scorers(self.prefix)
        for component, ids in assigned.items():
            for scorer in ids:
                actor = Actor(
                    id=scorer,
                    role="assessor" if component == "assessment" else "selection_committee",
                )
                if not await self._declared(scorer):
                    await self.store(selections.declare, actor=actor, conflicted=[], reason="none")
                col = ["assessment", "interview", "health"].index(component)
                for a, values in scores.items():
                    await self.store(
                        selections.submit_score,
                        component=component,
                        applicant_id=a,
                        actor=actor,
                        score=values[col],
                        justification=None,
                    )

    async def _declared(self, scorer: str) -> bool:
        from store.selection_models import SelectionDeclaration

        async with self.sessions() as s:
            return await s.get(SelectionDeclaration, (self.id, scorer)) is not None

    async def close_components(self) -> SelectionState:
        state = None
        for c in ("assessment", "interview", "health"):
            state = await self.update(
                OpenSelectionWorkflow.close_component,
                ComponentInput(actor=member(self.prefix, 1), component=c),
            )
        assert state is not None
        return state

    async def kinds(self) -> list[str]:
        async with self.sessions() as s:
            return [(e.kind) for e in await ledger.entries(s, self.id)]

    async def announcements(self) -> list[SelectionAnnouncement]:
        async with self.sessions() as s:
            return list(await selections.announcements(s, self.id))


@pytest_asyncio.fixture
async def run(ts_env: WorkflowEnvironment, sessions, settings: Settings, worker: None) -> Run:
    code = f"OV{uuid.uuid4().hex[:8].upper()}"
    await register_body(
        sessions,
        code,
        kind="oversight",
        reviewers=[f"{code.lower()}-r{i}" for i in range(3)],
        head="head",
    )
    return Run(ts_env, sessions, settings, code)


SCORES = {
    "A0000": (90.0, 80.0, 1.0),
    "A0001": (85.0, 85.0, 1.0),
    "A0002": (70.0, 70.0, 1.0),
    "A0003": (40.0, 95.0, 1.0),  # below the assessment cut-off
    "A0004": (95.0, 90.0, 0.0),  # fails health
    "A0005": (60.0, 60.0, 1.0),
}


async def to_shortlist(run: Run) -> SelectionState:
    await run.start()
    await run.plan_approved()
    await run.announce_now()
    await run.register(6)
    await skip_days(run.env, 16)
    state = await run.until(lambda s: s.stage == "screening")
    assert state.applicants == 6
    await run.screen_all(list(SCORES))
    await run.update(OpenSelectionWorkflow.close_screening, ActorInput(actor=member(run.prefix, 1)))
    await run.score_all(SCORES)
    state = await run.close_components()
    assert state.stage == "shortlist"
    return state
