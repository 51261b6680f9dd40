"""The selection workflow's state and what every stage group shares: turns, refusals, the ledger.

:class:`SelectionBase` holds the process state (stage, panel, scheme, window, shortlist, ...); the
mixins of this package add the updates and timers of one stage group each, and
``workflows/selection/workflow.py`` puts them together. Nothing here does I/O: entries queue in the
outbox (``workflows/ledgered.py``) and activities write them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.selection_contracts import (
        AnnouncementData,
        PanelMemberData,
        RecordSelection,
        SelectionIdentity,
        SelectionRecords,
        SelectionViewData,
    )
    from activities.selections import SelectionActivities
    from domain.errors import DomainError
    from domain.ledger import Actor
    from domain.processes import ProcessKind
    from domain.review import Finding
    from domain.selection.panel import PanelMember, PanelRole
    from domain.selection.ranking import RankedApplicant
    from domain.selection.registration import RegistrationWindow
    from domain.selection.rulebook import SelectionRulebook, get_selection_rulebook
    from domain.selection.scheme import ScoringScheme
    from domain.selection.stages import Stage, check_transition
    from workflows import policies
    from workflows.contracts import NextStep
    from workflows.errors import refused
    from workflows.ledgered import Outbox
    from workflows.selection_contracts import SelectionState, StartSelection

from workflows.entries import decided_entry
from workflows.selection.view import next_step, waiting_for

SYSTEM = Actor(id="system:selection", role="system")
# Patch id: updates wait until the start entry is written (see SelectionBase._turn).
UPDATES_AFTER_START = "selection-updates-after-start"
# Patch id: an activity that moves a gate column runs once every entry decided before it is
# written, so no view recorded earlier can overwrite the gate it moved (SelectionBase._gate).
GATES_AFTER_RECORDS = "selection-gates-after-earlier-records"
# Patch id: a seat is taken with its role. Validators (which never run on replay) always check the
# role; an update's handler re-checks it only in runs that began under this rule, so an update a
# run accepted before it replays as it ran.
SEATS_WITH_ROLES = "selection-seats-with-their-roles"

A = TypeVar("A")
R = TypeVar("R")


class SelectionBase:
    """State of one open selection, and the helpers its updates and timers share."""

    def _init_state(self, inp: StartSelection) -> None:
        self._inp: StartSelection | None = inp
        self._rb: SelectionRulebook | None = get_selection_rulebook(inp.rulebook_version)
        self._started = False
        self._gates_wait = False
        self._seats_with_roles = True
        self._lenient = False
        self._stage = Stage.PLANNING
        self._status = "in_progress"
        self._panel: list[PanelMember] = []
        self._scheme: ScoringScheme | None = None
        self._scorers: dict[str, list[str]] = {}
        self._frozen = False
        self._components: dict[str, str] = {}
        self._window: RegistrationWindow | None = None
        self._extensions = 0
        self._applicants = 0
        self._eligible = 0
        self._registered = False
        self._ranked_digest: str | None = None
        self._shortlist: list[RankedApplicant] = []
        self._recused: list[str] = []
        self._votes: dict[str, bool] = {}
        self._plenary: dict[str, Any] | None = None
        self._plan_reviews = 0
        self._shortlist_reviews = 0
        self._plan_review_id: str | None = None
        self._shortlist_review_id: str | None = None
        self._findings: list[Finding] = []
        self._return_count = 0
        self._appointee: str | None = None
        self._reason: str | None = None
        self._entries = 0
        self._lock = asyncio.Lock()
        self._review_task: asyncio.Task[Any] | None = None
        self._ledger: Outbox[RecordSelection, SelectionRecords] = Outbox(
            write_one=SelectionActivities.record_selection,
            write_batch=SelectionActivities.record_selection_batch,
            batch_of=lambda items: SelectionRecords(items=items),
        )

    def _require(self) -> tuple[StartSelection, SelectionRulebook]:
        assert self._inp is not None
        assert self._rb is not None
        return self._inp, self._rb

    # ---- turns and refusals ------------------------------------------------------------------

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """An update's exclusive turn, never before the start entry is written."""
        # An update can arrive in the same first task as the start (update with start); histories
        # from before this rule let it schedule its entry while the start's was still being
        # written, and replay without the wait (and with no yield once started).
        if not self._started and workflow.patched(UPDATES_AFTER_START):
            await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            yield
        # An accepted action answers once it is in the ledger and the read model.
        await self._ledger.settled()

    @contextmanager
    def _rechecking(self) -> Iterator[None]:
        """A handler re-checks its validator under the lock: the state may have moved since."""
        self._lenient = not self._seats_with_roles
        try:
            yield
        finally:
            self._lenient = False

    @property
    def _role_required(self) -> bool:
        return not self._lenient

    @staticmethod
    def _check(fn: Callable[[], None]) -> None:
        """Run a domain rule; its refusal leaves as the update's refusal, category kept."""
        try:
            fn()
        except DomainError as err:
            raise refused(err) from err

    @staticmethod
    def _refuse(err: DomainError) -> BaseException:
        return refused(err)

    async def _gate(
        self,
        activity: Callable[[Any, A], Awaitable[R]],
        arg: A,
        timeout: timedelta = policies.RECORD_TIMEOUT,
    ) -> R:
        """Run an activity that counts and moves gate columns of the selection's row."""
        if self._gates_wait:
            await self._ledger.settled()
        result: R = await workflow.execute_activity_method(
            activity,
            arg,
            start_to_close_timeout=timeout,
            retry_policy=policies.RECORD_RETRY,
        )
        return result

    # ---- seats -------------------------------------------------------------------------------

    def _seat(self, actor: Actor) -> PanelRole | None:
        return next((m.role for m in self._panel if m.id == actor.id), None)

    def _chair_id(self) -> str:
        return next((m.id for m in self._panel if m.role is PanelRole.CHAIR), "")

    def _voters(self) -> list[str]:
        return [m.id for m in self._panel if m.id not in self._recused]

    def _component_name(self, code: str) -> str:
        component = self._scheme.component(code) if self._scheme else None
        return component.name if component else code

    def _closes_at(self) -> datetime | None:
        return self._window.closes_at if self._window else None

    # ---- the ledger --------------------------------------------------------------------------

    async def _move(self, to: Stage, kind: str, actor: Actor, **kw: Any) -> None:
        before = self._stage
        check_transition(before, to)
        self._stage = to
        if to is Stage.COMPLETED:
            self._status = "completed"
        await self._append(kind, actor, before, **kw)

    async def _fail(
        self,
        kind: str,
        reason: str,
        payload: dict[str, Any],
        actor: Actor = SYSTEM,
        announcement: AnnouncementData | None = None,
    ) -> None:
        self._status, self._reason = "failed", reason
        await self._move(
            Stage.FAILED,
            kind,
            actor,
            payload=payload | {"reason": reason},
            justification=reason,
            announcement=announcement
            or self._announcement("failed", "Selection failed", {"reason": reason}),
        )

    def _announcement(self, key: str, title: str, body: dict[str, Any]) -> AnnouncementData:
        return AnnouncementData(key=key, stage=self._stage.value, title=title, body=body)

    async def _append(
        self,
        kind: str,
        actor: Actor,
        stage_before: Stage | None,
        *,
        payload: dict[str, Any] | None = None,
        justification: str | None = None,
        subject: str | None = None,
        panel: list[PanelMemberData] | None = None,
        announcement: AnnouncementData | None = None,
    ) -> None:
        inp, rb = self._require()
        self._entries += 1
        entry = decided_entry(
            self._entries,
            process_kind=ProcessKind.SELECTION,
            kind=kind,
            actor=actor,
            stage_before=stage_before,
            stage_after=self._stage,
            agency=inp.agency,
            payload=payload,
            rulebook_version=rb.version,
            subject=subject,
            justification=justification,
        )
        if announcement is not None:
            announcement = announcement.model_copy(update={"stage": self._stage.value})
        item = RecordSelection(
            process_id=entry.process_id,
            entry=entry,
            view=self._view(),
            identity=self._identity(),
            panel=panel,
            announcement=announcement,
        )
        await self._ledger.put(item, entry_id=entry.entry_id)

    def _view(self) -> SelectionViewData:
        w = self._window
        return SelectionViewData(
            stage=self._stage.value,
            status=self._status,
            scheme=self._scheme.model_dump(mode="json") if self._scheme else None,
            scheme_frozen=self._frozen,
            scorers=self._scorers,
            components=self._components,
            registration_opens=w.opens if w else None,
            registration_closes=w.closes if w else None,
            registration_closes_at=w.closes_at if w else None,
            extensions=self._extensions,
            applicants=self._applicants,
            eligible=self._eligible,
            shortlist=[r.model_dump(mode="json") for r in self._shortlist] or None,
            plenary=self._plenary
            or (
                {"votes": dict(self._votes), "recused": self._recused} if self._shortlist else None
            ),
            plan_review_id=self._plan_review_id,
            shortlist_review_id=self._shortlist_review_id,
            return_count=self._return_count,
            findings=[f.model_dump() for f in self._findings] or None,
            appointee_id=self._appointee,
            outcome_reason=self._reason,
            waiting_for=self._waiting_for(),
        )

    def _review_id(self) -> str | None:
        """The oversight review the selection is at (or last was at, for ``waiting_for``)."""
        if self._stage is Stage.PLAN_REVIEW:
            return self._plan_review_id
        return self._shortlist_review_id

    def _waiting_for(self) -> list[dict[str, Any]]:
        inp, _ = self._require()
        review = self._review_id()
        return waiting_for(
            self._stage,
            inp,
            panel=self._panel,
            announced=self._window is not None,
            closes_at=self._closes_at(),
            review_id=review,
            open_components=[c for c, s in self._components.items() if s == "open"],
            scorers=self._scorers,
            voters=[m for m in self._voters() if m not in self._votes],
        )

    def _identity(self) -> SelectionIdentity:
        inp, rb = self._require()
        return SelectionIdentity(
            agency=inp.agency,
            code=inp.code,
            post_title=inp.post_title,
            post_level=inp.post_level,
            rulebook_version=rb.version,
            appointing_authority_id=inp.appointing_authority_id,
            oversight_body=inp.oversight_body,
            assessment_body=inp.assessment_body,
        )

    def _snapshot(self) -> SelectionState:
        return SelectionState(
            process_id=workflow.info().workflow_id,
            stage=self._stage.value,
            status=self._status,
            scheme_frozen=self._frozen,
            components=dict(self._components),
            registration_closes_at=self._closes_at(),
            extensions=self._extensions,
            applicants=self._applicants,
            eligible=self._eligible,
            shortlist=list(self._shortlist),
            votes=dict(self._votes),
            return_count=self._return_count,
            findings=list(self._findings),
            appointee_id=self._appointee,
            outcome_reason=self._reason,
            view=self._view(),
            pending=self._next_step(),
        )

    def _next_step(self) -> NextStep | None:
        inp, _ = self._require()
        return next_step(
            self._stage,
            inp,
            panel=self._panel,
            scheme_set=self._scheme is not None,
            opens_at=self._window.opens_at if self._window else None,
            closes_at=self._closes_at(),
            review_id=self._review_id(),
            voters_left=[m for m in self._voters() if m not in self._votes],
        )
