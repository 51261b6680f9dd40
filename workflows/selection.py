"""OpenSelectionWorkflow: one open, competitive selection for a high leadership post (seleksi terbuka JPT).

Stage-level actions are updates (each refused, when out of turn, with a code naming the rule):
``set_panel``, ``set_scheme``, ``submit_plan``, ``announce``, ``close_screening``,
``close_component``, ``plenary_vote``, ``close_plenary``, ``appoint``, ``cancel``. Query: ``state()``.

Candidate-level data (applicants, screening decisions, declarations, scores) is written by the API
straight to SQL, gated by the ``selections`` row this workflow keeps: the activities that close a
stage change that gate in the same transaction as they count, so nothing slips in after a count, and
the history grows with the number of stage actions, not with the number of applicants or scores.

Timers: the opening of registration (start of the first day, WIB) and its closing (end of the last
day, WIB), extended by the rulebook while applicants are too few.

Children: ThirdPartyReviewWorkflow for the oversight body's review of the plan and panel (approval
freezes the scoring scheme) and of the shortlist (a return sends the process back to the stage the
first finding names, keeping everything recorded so far).

Every accepted action and every timer event is appended to the ledger with the read model, by the
``record_selection`` activity, under an entry id derived from the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, is_cancelled_exception
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.selection_contracts import (
        AnnouncementData,
        CloseRegistration,
        ComponentRequest,
        PanelMemberData,
        PrecheckRequest,
        RecordSelection,
        ScreeningGate,
        SelectionIdentity,
        SelectionRecords,
        SelectionViewData,
        ShortlistRequest,
    )
    from activities.selections import SelectionActivities
    from domain.calendar import WIB
    from domain.errors import DomainError
    from domain.ledger import Actor, LedgerEntryIn, entry_id
    from domain.processes import ProcessKind
    from domain.review import REVIEW_RULES, Finding, SubjectType, Verdict
    from domain.selection.panel import PanelMember, PanelRole, validate_panel
    from domain.selection.plenary import check_quorum, plenary_result
    from domain.selection.ranking import RankedApplicant
    from domain.selection.registration import (
        RegistrationDecision,
        explain_registration_decision,
        validate_window,
    )
    from domain.selection.rulebook import SelectionRulebook, get_selection_rulebook
    from domain.selection.scheme import ScoringScheme, validate_scheme
    from domain.selection.stages import (
        OVERSIGHT_RETURN_TARGETS,
        TERMINAL,
        Stage,
        check_transition,
        require_stage,
    )
    from workflows import policies
    from workflows.contracts import ReviewRequest, ReviewState, review_workflow_id
    from workflows.ledgered import Outbox
    from workflows.review import ThirdPartyReviewWorkflow
    from workflows.selection_contracts import (
        ActorInput,
        AnnounceInput,
        AppointInput,
        CancelInput,
        ComponentInput,
        PanelInput,
        SchemeInput,
        SelectionState,
        StartSelection,
        VoteInput,
    )

SYSTEM = Actor(id="system:selection", role="system")
AGENCY_HR = "agency_hr"
SECRETARIAT = {PanelRole.CHAIR, PanelRole.SECRETARY}
# How many undecided applicants a refusal names; the count is always given in full.
NAMED_IN_REFUSAL = 10
# Patch id: updates wait until the start entry is written (see OpenSelectionWorkflow._turn).
UPDATES_AFTER_START = "selection-updates-after-start"


def _refuse(message: str, code: str, **details: Any) -> ApplicationError:
    return ApplicationError(message, details or None, type=code, non_retryable=True)


async def _outcome(child: workflow.ChildWorkflowHandle[Any, ReviewState]) -> ReviewState:
    return await child


def _start_of(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=WIB)


@workflow.defn
class OpenSelectionWorkflow:
    @workflow.init
    def __init__(self, inp: StartSelection) -> None:
        # Known before any handler runs: an update can arrive in the same first task as the start
        # (an HR system that creates a selection and sets its panel at once), and its validator
        # then runs before ``run``.
        self._inp: StartSelection | None = inp
        self._rb: SelectionRulebook | None = get_selection_rulebook(inp.rulebook_version)
        self._started = False
        self._stage = Stage.PLANNING
        self._status = "in_progress"
        self._panel: list[PanelMember] = []
        self._scheme: ScoringScheme | None = None
        self._scorers: dict[str, list[str]] = {}
        self._frozen = False
        self._components: dict[str, str] = {}
        self._opens: date | None = None
        self._closes: date | None = None
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

    # ---- run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: StartSelection) -> SelectionState:
        self._ledger.open()
        await self._append(
            "selection.started", inp.requested_by, None, payload=self._start_payload()
        )
        self._started = True
        while self._stage not in TERMINAL:
            await self._step()
        await self._ledger.settled()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _step(self) -> None:
        stage = self._stage
        if stage is Stage.PLAN_REVIEW:
            await self._review(SubjectType.SELECTION_PLAN)
        elif stage is Stage.OVERSIGHT_REVIEW:
            await self._review(SubjectType.SHORTLIST)
        elif stage is Stage.ANNOUNCEMENT and self._opens is not None:
            await self._until_opening()
        elif stage is Stage.REGISTRATION:
            await self._registration()
        else:
            # Planning, screening, assessment, shortlist, appointment: the committee moves on.
            await workflow.wait_condition(lambda: self._stage is not stage)

    async def _until_opening(self) -> None:
        assert self._opens is not None
        wait = (_start_of(self._opens) - workflow.now()).total_seconds()
        if wait > 0:
            try:
                await workflow.wait_condition(
                    lambda: self._stage is not Stage.ANNOUNCEMENT, timeout=wait
                )
                return
            except TimeoutError:
                pass
        async with self._lock:
            if self._stage is Stage.ANNOUNCEMENT:
                await self._move(Stage.REGISTRATION, "registration.opened", SYSTEM)

    # ---- registration --------------------------------------------------------------------------

    def _closes_at(self) -> datetime:
        assert self._closes is not None
        return _start_of(self._closes + timedelta(days=1))

    async def _registration(self) -> None:
        inp, rb = self._require()
        wait = (self._closes_at() - workflow.now()).total_seconds()
        try:
            await workflow.wait_condition(
                lambda: self._stage is not Stage.REGISTRATION, timeout=max(wait, 0.0)
            )
            return
        except TimeoutError:
            pass
        async with self._lock:
            if self._stage is not Stage.REGISTRATION:
                return
            closing = self._closes
            assert closing is not None
            result = await workflow.execute_activity_method(
                SelectionActivities.close_registration,
                CloseRegistration(
                    process_id=workflow.info().workflow_id,
                    rulebook_version=rb.version,
                    extensions=self._extensions,
                    closes=closing,
                    extended_closes_at=_start_of(closing + timedelta(days=rb.extension_length + 1)),
                ),
                start_to_close_timeout=policies.RECORD_TIMEOUT,
                retry_policy=policies.RECORD_RETRY,
            )
            self._applicants = result.applicants
            decision = RegistrationDecision(result.decision)
            sentence = explain_registration_decision(result.applicants, self._extensions, rb)
            payload = {"applicants": result.applicants, "decision": decision.value}
            if decision is RegistrationDecision.EXTEND:
                self._extensions += 1
                self._closes = closing + timedelta(days=rb.extension_length)
                payload |= {"closes": self._closes.isoformat(), "extension": self._extensions}
                await self._append(
                    "registration.extended",
                    SYSTEM,
                    self._stage,
                    payload=payload,
                    justification=sentence,
                    announcement=self._announcement(
                        f"registration-extended-{self._extensions}",
                        "Registration extended",
                        {
                            "applicants": result.applicants,
                            "closes": self._closes.isoformat(),
                            "extension": self._extensions,
                            "reason": sentence,
                        },
                    ),
                )
                return
            if decision is RegistrationDecision.FAIL:
                await self._fail("registration.failed", sentence, payload)
                return
            self._registered = True
            await self._move(
                Stage.SCREENING,
                "registration.closed",
                SYSTEM,
                payload=payload,
                justification=sentence,
                announcement=self._announcement(
                    "registration-closed",
                    "Registration closed",
                    {"applicants": result.applicants, "outcome": sentence},
                ),
            )
            pre = await workflow.execute_activity_method(
                SelectionActivities.precheck,
                PrecheckRequest(
                    process_id=workflow.info().workflow_id,
                    post_level=inp.post_level,
                    rulebook_version=rb.version,
                    closing_date=closing,
                ),
                start_to_close_timeout=policies.BULK_TIMEOUT,
                retry_policy=policies.RECORD_RETRY,
            )
            self._eligible = pre.eligible
            await self._append(
                "screening.prechecked", SYSTEM, self._stage, payload=pre.model_dump(mode="json")
            )

    # ---- reviews -------------------------------------------------------------------------------

    async def _review(self, subject: SubjectType) -> None:
        inp, rb = self._require()
        info = workflow.info()
        plan = subject is SubjectType.SELECTION_PLAN
        if plan:
            self._plan_reviews += 1
            n, tag = self._plan_reviews, "plan"
        else:
            self._shortlist_reviews += 1
            n, tag = self._shortlist_reviews, "shortlist"
        review_id = review_workflow_id(tag, info.workflow_id, n)
        if plan:
            self._plan_review_id = review_id
            persons = [m.id for m in self._panel]
        else:
            self._shortlist_review_id = review_id
            persons = [r.applicant_id for r in self._shortlist]
        request = ReviewRequest(
            subject_type=subject,
            subject_id=info.workflow_id,
            subject_persons=persons,
            parent_process_id=info.workflow_id,
            agency=inp.agency,
            body_code=inp.oversight_body,
            # No post level: the accreditation a post level asks for is the assessment centre's,
            # not the oversight body's.
            rule=REVIEW_RULES[subject],
            rulebook_version=rb.version,
            requested_by=Actor(id=info.workflow_id, role="system"),
        )
        stage = self._stage
        async with self._lock:
            if self._stage is not stage:
                return  # cancelled before the review could be requested
            requested: dict[str, Any] = {"review_id": review_id, "body": inp.oversight_body}
            # Started under the lock, so cancel() (which takes it) always sees the task.
            if self._ledger.durable:
                # Recorded once the review exists: the entry never names a review that a crash
                # kept from starting.
                child = await workflow.start_child_workflow(
                    ThirdPartyReviewWorkflow.run,
                    request,
                    id=review_id,
                    parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
                )
                await self._append(
                    f"{tag}.review_requested", SYSTEM, self._stage, payload=requested
                )
                task: asyncio.Task[ReviewState] = asyncio.create_task(_outcome(child))
            else:
                await self._append(
                    f"{tag}.review_requested", SYSTEM, self._stage, payload=requested
                )
                task = asyncio.create_task(
                    workflow.execute_child_workflow(
                        ThirdPartyReviewWorkflow.run,
                        request,
                        id=review_id,
                        parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
                    )
                )
            self._review_task = task
        try:
            result = await task
        except BaseException as err:
            if is_cancelled_exception(err) and self._stage is Stage.CANCELLED:
                return  # cancel() ended the selection while the review was open
            raise
        finally:
            self._review_task = None
        async with self._lock:
            if self._stage in TERMINAL:
                return
            self._findings = list(result.findings)
            payload = {
                "review_id": review_id,
                "outcome": result.outcome.value if result.outcome else None,
                "findings": [f.model_dump() for f in result.findings],
                "automatic": result.automatic,
            }
            actor = Actor(
                id=f"review:{review_id}", role="reviewer", on_behalf_of=inp.oversight_body
            )
            kind = f"{tag}.review_concluded"
            if result.outcome is None or result.outcome is Verdict.REJECT:
                why = result.reason or "the oversight body rejected it"
                await self._fail(kind, f"The {tag} review did not approve: {why}.", payload, actor)
            elif result.outcome is Verdict.APPROVE:
                if plan:
                    self._frozen = True
                    after = Stage.SCREENING if self._registered else Stage.ANNOUNCEMENT
                    await self._move(after, kind, actor, payload=payload | {"scheme_frozen": True})
                else:
                    await self._move(Stage.APPOINTMENT, kind, actor, payload=payload)
            else:
                self._return_count += 1
                target = Stage.PLANNING if plan else self._return_target(result.findings)
                await self._return_to(target, kind, actor, payload)

    @staticmethod
    def _return_target(findings: list[Finding]) -> Stage:
        for f in findings:
            if f.return_to_stage in {s.value for s in OVERSIGHT_RETURN_TARGETS}:
                return Stage(f.return_to_stage)
        return Stage.SHORTLIST

    async def _return_to(
        self, target: Stage, kind: str, actor: Actor, payload: dict[str, Any]
    ) -> None:
        if target is Stage.PLANNING:
            self._frozen = False
        if target in (Stage.PLANNING, Stage.SCREENING, Stage.ASSESSMENT):
            # Scores stay; components reopen so that what the findings name can be corrected.
            self._components = dict.fromkeys(self._components, "pending")
        if target is Stage.ASSESSMENT:
            self._components = dict.fromkeys(self._components, "open")
        self._votes, self._plenary = {}, None
        if target is not Stage.SHORTLIST:
            self._shortlist, self._ranked_digest = [], None
        await self._move(target, kind, actor, payload=payload | {"returned_to": target.value})
        if target is Stage.SHORTLIST:
            await self._propose_shortlist()

    # ---- updates: planning -----------------------------------------------------------------

    @workflow.update
    async def set_panel(self, inp: PanelInput) -> SelectionState:
        async with self._turn():
            self._check_set_panel(inp)
            self._panel = list(inp.members)
            await self._append(
                "panel.set",
                inp.actor,
                self._stage,
                payload={"members": [m.model_dump(mode="json") for m in self._panel]},
                panel=[PanelMemberData(**m.model_dump(mode="json")) for m in self._panel],
            )
        return self.state()

    @set_panel.validator
    def _check_set_panel(self, inp: PanelInput) -> None:
        _, rb = self._require()
        self._check(lambda: require_stage(self._stage, Stage.PLANNING, "set the panel"))
        self._require_planner(inp.actor)
        self._check(lambda: validate_panel(inp.members, rb))

    @workflow.update
    async def set_scheme(self, inp: SchemeInput) -> SelectionState:
        async with self._turn():
            self._check_set_scheme(inp)
            self._scheme = inp.scheme
            self._scorers = {
                c.code: sorted(set(inp.scorers[c.code])) for c in inp.scheme.components
            }
            self._components = {c.code: "pending" for c in inp.scheme.components}
            await self._append(
                "scheme.set",
                inp.actor,
                self._stage,
                payload={"scheme": inp.scheme.model_dump(mode="json"), "scorers": self._scorers},
            )
        return self.state()

    @set_scheme.validator
    def _check_set_scheme(self, inp: SchemeInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.PLANNING, "set the scoring scheme"))
        self._require_planner(inp.actor)
        self._check(lambda: validate_scheme(inp.scheme))
        codes = {c.code for c in inp.scheme.components}
        unknown = sorted(set(inp.scorers) - codes)
        if unknown:
            raise _refuse(
                f"Scorers are assigned to components the scheme does not have: {', '.join(unknown)}.",
                "unknown_component",
            )
        unstaffed = sorted(c for c in codes if not inp.scorers.get(c))
        if unstaffed:
            raise _refuse(
                f"Every component needs at least one scorer; none for: {', '.join(unstaffed)}.",
                "scorers_required",
            )
        panel = {m.id for m in self._panel}
        for c in inp.scheme.components:
            outsiders = sorted(set(inp.scorers[c.code]) - panel)
            if c.scorer_kind == "committee" and outsiders:
                raise _refuse(
                    f"Component {c.code} is scored by the committee, but "
                    f"{', '.join(outsiders)} {'is' if len(outsiders) == 1 else 'are'} not on the "
                    "panel (set the panel first).",
                    "scorer_not_on_panel",
                )

    @workflow.update
    async def submit_plan(self, inp: ActorInput) -> SelectionState:
        async with self._turn():
            self._check_submit_plan(inp)
            await self._move(Stage.PLAN_REVIEW, "plan.submitted", inp.actor)
        return self.state()

    @submit_plan.validator
    def _check_submit_plan(self, inp: ActorInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.PLANNING, "submit the plan"))
        self._require_planner(inp.actor)
        if not self._panel or self._scheme is None:
            missing = [n for n, v in (("panel", self._panel), ("scheme", self._scheme)) if not v]
            raise _refuse(
                f"The plan cannot go to the oversight body without its {' and '.join(missing)}.",
                "plan_incomplete",
            )
        committee = {m.id for m in self._panel}
        for c in self._scheme.components:
            outsiders = sorted(set(self._scorers.get(c.code, [])) - committee)
            if c.scorer_kind == "committee" and outsiders:
                raise _refuse(
                    f"Component {c.code} lists scorers who are no longer on the panel: "
                    f"{', '.join(outsiders)}.",
                    "scorer_not_on_panel",
                )

    # ---- updates: announcement, screening, assessment --------------------------------------

    @workflow.update
    async def announce(self, inp: AnnounceInput) -> SelectionState:
        async with self._turn():
            self._check_announce(inp)
            self._opens, self._closes = inp.opens, inp.closes
            opens_now = _start_of(inp.opens) <= workflow.now()
            body = {
                "post": self._require()[0].post_title,
                "opens": inp.opens.isoformat(),
                "closes": inp.closes.isoformat(),
                "text": inp.text,
            }
            announcement = self._announcement("announcement", "Vacancy announced", body)
            if opens_now:
                await self._move(
                    Stage.REGISTRATION,
                    "registration.opened",
                    inp.actor,
                    payload=body,
                    announcement=announcement,
                )
            else:
                await self._append(
                    "vacancy.announced",
                    inp.actor,
                    self._stage,
                    payload=body,
                    announcement=announcement,
                )
        return self.state()

    @announce.validator
    def _check_announce(self, inp: AnnounceInput) -> None:
        _, rb = self._require()
        self._check(lambda: require_stage(self._stage, Stage.ANNOUNCEMENT, "announce the vacancy"))
        self._require_planner(inp.actor)
        if self._opens is not None:
            raise _refuse("The vacancy has already been announced.", "already_announced")
        today = workflow.now().astimezone(WIB).date()
        if inp.opens < today:
            raise _refuse(
                f"Registration cannot open in the past ({inp.opens.isoformat()}; today is "
                f"{today.isoformat()} WIB).",
                "registration_window_in_past",
            )
        self._check(lambda: validate_window(inp.opens, inp.closes, rb))

    @workflow.update
    async def close_screening(self, inp: ActorInput) -> SelectionState:
        async with self._turn():
            self._check_close_screening(inp)
            opened = dict.fromkeys(self._components, "open")
            tally = await workflow.execute_activity_method(
                SelectionActivities.close_screening,
                ScreeningGate(
                    process_id=workflow.info().workflow_id,
                    components=opened,
                    announcement_key=f"screening-{self._return_count}",
                ),
                start_to_close_timeout=policies.BULK_TIMEOUT,
                retry_policy=policies.RECORD_RETRY,
            )
            if tally.undecided:
                named = ", ".join(tally.undecided[:NAMED_IN_REFUSAL])
                left = tally.applicants - tally.decided
                raise _refuse(
                    f"{left} applicant(s) still await the committee's screening decision "
                    f"(e.g. {named}).",
                    "screening_incomplete",
                    undecided=left,
                )
            self._eligible = tally.eligible
            self._components = opened
            results = {"applicants": tally.applicants, "eligible": tally.eligible}
            if tally.eligible == 0:
                await self._fail(
                    "screening.closed", "No applicant passed administrative screening.", results
                )
                return self.state()
            await self._move(
                Stage.ASSESSMENT,
                "screening.closed",
                inp.actor,
                # the per-applicant results were published by the activity
                payload=results | {"announcement": f"screening-{self._return_count}"},
            )
        return self.state()

    @close_screening.validator
    def _check_close_screening(self, inp: ActorInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.SCREENING, "close screening"))
        self._require_secretariat(inp.actor)

    @workflow.update
    async def close_component(self, inp: ComponentInput) -> SelectionState:
        async with self._turn():
            self._check_close_component(inp)
            key = f"component-{inp.component}-{self._return_count}"
            check = await workflow.execute_activity_method(
                SelectionActivities.close_component,
                ComponentRequest(
                    process_id=workflow.info().workflow_id,
                    component=inp.component,
                    announcement_key=key,
                    title=f"Results: {self._component_name(inp.component)}",
                ),
                start_to_close_timeout=policies.BULK_TIMEOUT,
                retry_policy=policies.RECORD_RETRY,
            )
            if check.missing_count:
                pairs = ", ".join(f"{s} for {a}" for s, a in check.missing[:NAMED_IN_REFUSAL])
                raise _refuse(
                    f"{check.missing_count} score(s) of component {inp.component} are missing "
                    f"(e.g. {pairs}).",
                    "scores_missing",
                    missing=check.missing_count,
                )
            self._components = self._components | {inp.component: "closed"}
            # The ranked list was published by the activity (one row per applicant); the ledger
            # binds it by its digest, so the history carries no per-applicant data.
            await self._append(
                "component.closed",
                inp.actor,
                self._stage,
                payload={
                    "component": inp.component,
                    "ranked": check.ranked,
                    "digest": check.digest,
                    "announcement": key,
                },
            )
            if all(v == "closed" for v in self._components.values()):
                await self._move(Stage.SHORTLIST, "assessment.closed", SYSTEM)
                await self._propose_shortlist()
        return self.state()

    @close_component.validator
    def _check_close_component(self, inp: ComponentInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.ASSESSMENT, "close a component"))
        self._require_secretariat(inp.actor)
        status = self._components.get(inp.component)
        if status is None:
            known = ", ".join(sorted(self._components))
            raise _refuse(
                f"{inp.component!r} is not a component of this selection ({known}).",
                "unknown_component",
            )
        if status != "open":
            raise _refuse(f"Component {inp.component} is {status}.", "component_not_open")

    # ---- shortlist and plenary ---------------------------------------------------------------

    async def _propose_shortlist(self) -> None:
        _, rb = self._require()
        assert self._scheme is not None
        key = f"ranking-{self._return_count}"
        data = await workflow.execute_activity_method(
            SelectionActivities.compute_shortlist,
            ShortlistRequest(
                process_id=workflow.info().workflow_id,
                scheme=self._scheme.model_dump(mode="json"),
                size=rb.shortlist_size,
                panel=[m.id for m in self._panel],
                announcement_key=key,
            ),
            start_to_close_timeout=policies.BULK_TIMEOUT,
            retry_policy=policies.RECORD_RETRY,
        )
        self._shortlist = [RankedApplicant.model_validate(r) for r in data.proposed]
        self._ranked_digest = data.digest
        self._recused = data.recused_members
        self._votes, self._plenary = {}, None
        payload = {
            "passed": data.passed,
            "proposed": [r.applicant_id for r in self._shortlist],
            "digest": data.digest,
            "announcement": key,
            "recused_members": data.recused_members,
        }
        if data.passed < rb.shortlist_floor:
            reason = (
                f"Only {data.passed} applicant(s) passed every cut-off; rulebook {rb.version} needs "
                f"at least {rb.shortlist_floor} names for the appointing authority."
            )
            await self._fail("shortlist.insufficient", reason, payload)
            return
        await self._append("shortlist.proposed", SYSTEM, self._stage, payload=payload)

    def _voters(self) -> list[str]:
        return [m.id for m in self._panel if m.id not in self._recused]

    @workflow.update
    async def plenary_vote(self, inp: VoteInput) -> SelectionState:
        async with self._turn():
            self._check_vote(inp)
            self._votes = self._votes | {inp.actor.id: inp.approve}
            await self._append(
                "plenary.voted",
                inp.actor,
                self._stage,
                payload={"approve": inp.approve, "votes_cast": len(self._votes)},
                justification=inp.note,
            )
        return self.state()

    @plenary_vote.validator
    def _check_vote(self, inp: VoteInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.SHORTLIST, "vote in the plenary"))
        if inp.actor.id not in {m.id for m in self._panel}:
            raise _refuse("Only members of this selection's panel vote.", "not_panel_member")
        if inp.actor.id in self._recused:
            raise _refuse(
                "You declared a conflict with a proposed name, so you are recused from this vote.",
                "not_eligible_to_vote",
            )
        if inp.actor.id in self._votes:
            raise _refuse("You have already voted in this plenary.", "already_voted")
        if not self._shortlist:
            raise _refuse("There is no proposed shortlist to vote on yet.", "wrong_stage")

    @workflow.update
    async def close_plenary(self, inp: ActorInput) -> SelectionState:
        _, rb = self._require()
        async with self._turn():
            self._check_close_plenary(inp)
            result = plenary_result(self._votes, self._voters(), self._chair_id(), rb)
            self._plenary = result.model_dump() | {"votes": dict(self._votes)}
            payload = {"plenary": self._plenary}
            if not result.approved:
                await self._fail(
                    "plenary.closed",
                    f"The plenary did not approve the shortlist ({result.yes} for, "
                    f"{result.no} against).",
                    payload,
                    inp.actor,
                )
                return self.state()
            names = [
                {"applicant_id": r.applicant_id, "rank": r.rank, "total": r.total}
                for r in self._shortlist
            ]
            await self._move(
                Stage.OVERSIGHT_REVIEW,
                "plenary.closed",
                inp.actor,
                payload=payload,
                justification=inp.note,
                announcement=self._announcement(
                    f"shortlist-{self._return_count}",
                    "Shortlist proposed to the appointing authority",
                    {"shortlist": names},
                ),
            )
        return self.state()

    @close_plenary.validator
    def _check_close_plenary(self, inp: ActorInput) -> None:
        _, rb = self._require()
        self._check(lambda: require_stage(self._stage, Stage.SHORTLIST, "close the plenary"))
        self._require_secretariat(inp.actor)
        self._check(lambda: check_quorum(self._votes, self._voters(), rb))

    # ---- appointment and cancellation ------------------------------------------------------

    @workflow.update
    async def appoint(self, inp: AppointInput) -> SelectionState:
        async with self._turn():
            self._check_appoint(inp)
            self._appointee = inp.applicant_id
            self._reason = inp.reason
            await self._move(
                Stage.COMPLETED,
                "selection.appointed",
                inp.actor,
                payload={"applicant_id": inp.applicant_id},
                justification=inp.reason,
                subject=inp.applicant_id,
                announcement=self._announcement(
                    "appointment", "Appointment", {"applicant_id": inp.applicant_id}
                ),
            )
        return self.state()

    @appoint.validator
    def _check_appoint(self, inp: AppointInput) -> None:
        self._check(lambda: require_stage(self._stage, Stage.APPOINTMENT, "appoint"))
        self._require_appointing_authority(inp.actor)
        names = [r.applicant_id for r in self._shortlist]
        if inp.applicant_id not in names:
            raise _refuse(
                f"{inp.applicant_id} is not on the approved shortlist ({', '.join(names)}); the "
                "appointing authority chooses one of those names.",
                "not_shortlisted",
            )

    @workflow.update
    async def cancel(self, inp: CancelInput) -> SelectionState:
        async with self._turn():
            self._check_cancel(inp)
            self._reason = inp.reason
            if self._review_task is not None:
                self._review_task.cancel()
            self._status = "cancelled"
            await self._move(
                Stage.CANCELLED,
                "selection.cancelled",
                inp.actor,
                justification=inp.reason,
                announcement=self._announcement(
                    "cancelled", "Selection cancelled", {"reason": inp.reason}
                ),
            )
        return self.state()

    @cancel.validator
    def _check_cancel(self, inp: CancelInput) -> None:
        if self._stage in TERMINAL:
            raise _refuse(
                f"The selection has ended ({self._stage.value}) and cannot be cancelled.",
                "process_closed",
            )
        self._require_appointing_authority(inp.actor)

    # ---- who may ---------------------------------------------------------------------------

    @staticmethod
    def _check(fn: Any) -> None:
        try:
            fn()
        except DomainError as err:
            raise ApplicationError(
                err.message, err.details or None, type=err.code, non_retryable=True
            ) from err

    def _member(self, actor: Actor) -> PanelMember | None:
        return next((m for m in self._panel if m.id == actor.id), None)

    def _chair_id(self) -> str:
        return next((m.id for m in self._panel if m.role is PanelRole.CHAIR), "")

    def _require_planner(self, actor: Actor) -> None:
        member = self._member(actor)
        if actor.role == AGENCY_HR or (member is not None and member.role in SECRETARIAT):
            return
        raise _refuse(
            "The plan is prepared by the agency's HR unit or the panel's chair or secretary.",
            "not_chair_or_secretary",
        )

    def _require_secretariat(self, actor: Actor) -> None:
        member = self._member(actor)
        if member is None:
            raise _refuse("Only members of this selection's panel may do this.", "not_panel_member")
        if member.role not in SECRETARIAT:
            raise _refuse(
                "Only the panel's chair or secretary may do this.", "not_chair_or_secretary"
            )

    def _require_appointing_authority(self, actor: Actor) -> None:
        inp, _ = self._require()
        if actor.id != inp.appointing_authority_id:
            raise _refuse(
                "Only this selection's appointing authority may do this.",
                "not_appointing_authority",
            )

    # ---- state -----------------------------------------------------------------------------

    @workflow.query
    def state(self) -> SelectionState:
        return SelectionState(
            process_id=workflow.info().workflow_id,
            stage=self._stage.value,
            status=self._status,
            scheme_frozen=self._frozen,
            components=dict(self._components),
            registration_closes_at=self._closes_at() if self._closes else None,
            extensions=self._extensions,
            applicants=self._applicants,
            eligible=self._eligible,
            shortlist=list(self._shortlist),
            votes=dict(self._votes),
            return_count=self._return_count,
            findings=list(self._findings),
            appointee_id=self._appointee,
            outcome_reason=self._reason,
        )

    def _component_name(self, code: str) -> str:
        component = self._scheme.component(code) if self._scheme else None
        return component.name if component else code

    def _waiting_for(self) -> list[dict[str, Any]]:
        inp, _ = self._require()
        secretariat = [m.id for m in self._panel if m.role in SECRETARIAT]
        stage = self._stage
        if stage is Stage.PLANNING:
            return [{"who": AGENCY_HR, "what": "set the panel and scheme, then submit the plan"}]
        if stage in (Stage.PLAN_REVIEW, Stage.OVERSIGHT_REVIEW):
            review = (
                self._plan_review_id if stage is Stage.PLAN_REVIEW else self._shortlist_review_id
            )
            return [{"who": inp.oversight_body, "what": f"review {review}"}]
        if stage is Stage.ANNOUNCEMENT:
            what = "announce the vacancy" if self._opens is None else "registration opens"
            return [{"who": AGENCY_HR, "what": what}]
        if stage is Stage.REGISTRATION:
            due = self._closes_at().isoformat()
            return [{"who": "applicants", "what": "register", "due_at": due}]
        if stage is Stage.SCREENING:
            return [{"who": w, "what": "decide screening and close it"} for w in secretariat]
        if stage is Stage.ASSESSMENT:
            return [
                {"who": s, "what": f"score {code}"}
                for code, status in self._components.items()
                if status == "open"
                for s in self._scorers.get(code, [])
            ]
        if stage is Stage.SHORTLIST:
            return [
                {"who": m, "what": "vote in the plenary"}
                for m in self._voters()
                if m not in self._votes
            ]
        if stage is Stage.APPOINTMENT:
            return [{"who": inp.appointing_authority_id, "what": "appoint one of the shortlist"}]
        return []

    # ---- ledger ----------------------------------------------------------------------------

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
        info = workflow.info()
        update = workflow.current_update_info()
        self._entries += 1
        entry = LedgerEntryIn(
            entry_id=entry_id(info.workflow_id, info.run_id, self._entries),
            process_id=info.workflow_id,
            process_kind=ProcessKind.SELECTION,
            kind=kind,
            outcome="accepted",
            stage_before=stage_before.value if stage_before else None,
            stage_after=self._stage.value,
            actor=actor,
            subject=subject,
            agency=inp.agency,
            payload=payload or {},
            justification=justification,
            rulebook_version=rb.version,
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            update_id=update.id if update else None,
            occurred_at=workflow.now(),
        )
        if announcement is not None:
            announcement = announcement.model_copy(update={"stage": self._stage.value})
        item = RecordSelection(
            process_id=info.workflow_id,
            entry=entry,
            view=self._view(),
            identity=self._identity(),
            panel=panel,
            announcement=announcement,
        )
        await self._ledger.put(item, entry_id=entry.entry_id)

    def _view(self) -> SelectionViewData:
        return SelectionViewData(
            stage=self._stage.value,
            status=self._status,
            scheme=self._scheme.model_dump(mode="json") if self._scheme else None,
            scheme_frozen=self._frozen,
            scorers=self._scorers,
            components=self._components,
            registration_opens=self._opens,
            registration_closes=self._closes,
            registration_closes_at=self._closes_at() if self._closes else None,
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

    def _start_payload(self) -> dict[str, Any]:
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

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """An update's exclusive turn, never before the start entry is written (see __init__)."""
        # Histories from before this rule let an update schedule its entry while the start's was
        # still being written; they replay without the wait (and with no yield once started).
        if not self._started and workflow.patched(UPDATES_AFTER_START):
            await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            yield
        # An accepted action answers once it is in the ledger and the read model.
        await self._ledger.settled()

    def _require(self) -> tuple[StartSelection, SelectionRulebook]:
        assert self._inp is not None
        assert self._rb is not None
        return self._inp, self._rb
