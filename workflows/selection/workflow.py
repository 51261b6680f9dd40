"""OpenSelectionWorkflow: one open, competitive selection for a high leadership post (seleksi terbuka JPT).

Updates (stage-level actions; each refused with the domain error of the rule it breaks, so the
caller's status follows the error's category): ``set_panel``, ``set_scheme``, ``submit_plan``
(planning.py), ``announce`` (registration.py), ``close_screening``, ``close_component``
(assessment.py), ``plenary_vote``, ``close_plenary``, ``appoint``, ``cancel`` (plenary.py). Every
seat is checked with the role that goes with it (``domain/selection/seats.py``). Query: ``state()``.

Candidate-level data (applicants, screening decisions, declarations, scores) is written by the
action pipeline straight to SQL, gated by the ``selections`` row: the activities that close a stage
move that gate in the same transaction as they count, so nothing slips in after a count, and the
history grows with the number of stage actions, not with the number of applicants or scores. The
row's ``stage`` is written only from this workflow's recorded view.

Timers: the opening of registration and its closing (dates, WIB, under a legal rulebook; instants
under a training one counting minutes), extended by the rulebook while applicants are too few.

Children: ThirdPartyReviewWorkflow for the oversight body's review of the plan and panel (approval
freezes the scoring scheme) and of the shortlist (a return sends the process back to the stage the
first finding names), each with the review rule of the selection's rulebook (reviews.py).

Outcomes: completed (an appointee), failed (too few applicants, nobody eligible, too few qualified,
the plenary or a review did not approve), cancelled. Every accepted action and timer event is
appended to the ledger with the read model, once it is durable (``workflows/ledgered.py``).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.review import SubjectType
    from domain.selection.stages import TERMINAL, Stage
    from workflows.selection_contracts import SelectionState, StartSelection

from workflows.selection.base import GATES_AFTER_RECORDS, SEATS_WITH_ROLES
from workflows.selection.planning import PlanningMixin
from workflows.selection.plenary import PlenaryMixin
from workflows.selection.registration import RegistrationMixin
from workflows.selection.reviews import ReviewMixin


@workflow.defn
class OpenSelectionWorkflow(PlanningMixin, RegistrationMixin, PlenaryMixin, ReviewMixin):
    @workflow.init
    def __init__(self, inp: StartSelection) -> None:
        # Known before any handler runs: an update can arrive in the same first task as the start
        # (an HR system that creates a selection and sets its panel at once), and its validator
        # then runs before ``run``.
        self._init_state(inp)

    @workflow.run
    async def run(self, inp: StartSelection) -> SelectionState:
        self._ledger.open()
        self._gates_wait = self._ledger.durable and workflow.patched(GATES_AFTER_RECORDS)
        self._seats_with_roles = workflow.patched(SEATS_WITH_ROLES)
        await self._append(
            "selection.started", inp.requested_by, None, payload=self._start_payload()
        )
        self._started = True
        while self._stage not in TERMINAL:
            await self._step()
        await self._ledger.settled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._snapshot()

    async def _step(self) -> None:
        stage = self._stage
        if stage is Stage.PLAN_REVIEW:
            await self._review(SubjectType.SELECTION_PLAN)
        elif stage is Stage.OVERSIGHT_REVIEW:
            await self._review(SubjectType.SHORTLIST)
        elif stage is Stage.ANNOUNCEMENT and self._window is not None:
            await self._until_opening()
        elif stage is Stage.REGISTRATION:
            await self._registration()
        else:
            # Planning, screening, assessment, shortlist, appointment: the committee moves on.
            await workflow.wait_condition(lambda: self._stage is not stage)

    def _start_payload(self) -> dict[str, object]:
        inp, rb = self._require()
        return {
            "agency": inp.agency,
            "code": inp.code,
            "post_title": inp.post_title,
            "post_level": inp.post_level,
            "rulebook": rb.version,
            "appointing_authority": inp.appointing_authority_id,
            "oversight_body": inp.oversight_body,
            "trigger": inp.trigger,
        }

    @workflow.query
    def state(self) -> SelectionState:
        return self._snapshot()
