"""ThirdPartyReviewWorkflow: an outside party's review of a subject, used as a child by every process.

Updates:   ``declare(DeclarationInput)`` — an assigned reviewer declares a conflict of interest or none;
           a declared conflict recuses them and a substitute is assigned automatically.
           ``verdict(VerdictInput)`` — approve, return with findings, or reject, with a justification;
           refused before the reviewer has declared, for recused or unassigned reviewers.
Signals:   ``roster_changed`` — the body's roster changed; fill empty seats again.
Queries:   ``state() -> ReviewState``.
Timers:    in the rule's duration unit (working days; minutes under a training rulebook): a
           reminder, then at the due date either automatic approval (where the rule says silence
           approves, e.g. BKN's 5-working-day pertek) or escalation to the body's head, who may then
           decide for the body.
Outcomes:  approve / return (with every finding) / reject, by the subject type's quorum; failed when no
           body can review (unknown body, wrong kind, accreditation below what the post needs).
Cancelling the parent cancels the review; the cancellation is recorded.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from activities.contracts import (
        AssignRequest,
        ConflictData,
        HolidaysRequest,
        RecordReview,
        ReviewRecords,
    )
    from activities.reviews import ReviewActivities
    from domain import reasons
    from domain.calendar import WorkingCalendar
    from domain.durations import after, describe
    from domain.errors import RuleViolation
    from domain.ledger import Actor
    from domain.processes import ProcessKind
    from domain.review import (
        Finding,
        Seat,
        Verdict,
        check_declaration_allowed,
        check_verdict_allowed,
        quorum_outcome,
        required_accreditation,
    )
    from workflows import policies
    from workflows.contracts import (
        DeclarationInput,
        ReviewRequest,
        ReviewState,
        SeatState,
        VerdictInput,
    )
    from workflows.entries import decided_entry
    from workflows.errors import check as checked
    from workflows.ledgered import Outbox
    from workflows.review_records import request_payload, review_view, seat_rows

SYSTEM = Actor(id="system:review", role="system")


@workflow.defn
class ThirdPartyReviewWorkflow:
    def __init__(self) -> None:
        self._req: ReviewRequest | None = None
        self._status = "assigning"
        self._seats: dict[str, SeatState] = {}
        self._head: str | None = None
        self._escalated = False
        self._reminded = False
        self._due_passed = False
        self._reminder_at: datetime | None = None
        self._due_at: datetime | None = None
        self._outcome: Verdict | None = None
        self._findings: list[Finding] = []
        self._reason: str | None = None
        self._automatic = False
        self._need_seats = False
        self._lock = asyncio.Lock()
        self._entries = 0
        self._ledger: Outbox[RecordReview, ReviewRecords] = Outbox(
            write_one=ReviewActivities.record_review,
            write_batch=ReviewActivities.record_review_batch,
            batch_of=lambda items: ReviewRecords(items=items),
        )

    @workflow.run
    async def run(self, req: ReviewRequest) -> ReviewState:
        self._req = req
        self._ledger.open()
        try:
            state = await self._review(req)
            await self._ledger.settled()
            return state
        except asyncio.CancelledError:
            self._status, self._reason = "cancelled", reasons.REQUESTER_CANCELLED
            await self._append("review.cancelled", SYSTEM, payload={"reason": self._reason})
            await self._ledger.settled()
            raise

    async def _review(self, req: ReviewRequest) -> ReviewState:
        await self._append("review.requested", req.requested_by, payload=request_payload(req))
        calendar = await self._calendar()
        now = workflow.now()
        rule = req.rule
        self._reminder_at = after(now, rule.reminder_after_days, rule.duration_unit, calendar)
        self._due_at = after(now, rule.due_after_days, rule.duration_unit, calendar)
        if not await self._fill_seats():
            return self.state()
        self._status = "open"
        await self._append("review.opened", SYSTEM, payload={"reviewers": sorted(self._seats)})
        while self._outcome is None:
            await self._wait_for_something()
        await workflow.wait_condition(lambda: not self._lock.locked())
        self._status = "concluded"
        payload = {
            "outcome": self._outcome.value,
            "findings": [f.model_dump() for f in self._findings],
            "reason": self._reason,
            "automatic": self._automatic,
        }
        await self._append("review.concluded", SYSTEM, payload=payload)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _calendar(self) -> WorkingCalendar:
        year = workflow.now().year
        result = await workflow.execute_activity_method(
            CalendarActivities.load_holidays,
            HolidaysRequest(years=[year, year + 1]),
            start_to_close_timeout=policies.CALENDAR_TIMEOUT,
            retry_policy=policies.CALENDAR_RETRY,
        )
        return WorkingCalendar(result.dates)

    # ---- seats ---------------------------------------------------------------------------------

    def _active_seats(self) -> int:
        return sum(1 for s in self._seats.values() if not s.recused)

    async def _fill_seats(self) -> bool:
        """Assign reviewers to every empty seat; False when the review cannot go on at all."""
        req = self._require()
        missing = req.rule.reviewers - self._active_seats()
        self._need_seats = False
        if missing <= 0:
            return True
        result = await workflow.execute_activity_method(
            ReviewActivities.assign_reviewers,
            AssignRequest(
                review_id=workflow.info().workflow_id,
                body_code=req.body_code,
                body_kind=req.rule.body_kind.value,
                count=missing,
                exclude=sorted(self._seats),
                persons=req.subject_persons,
                required_accreditation=required_accreditation(req.rule, req.post_level),
            ),
            start_to_close_timeout=policies.RECORD_TIMEOUT,
            retry_policy=policies.RECORD_RETRY,
        )
        if result.problem is not None:
            self._status, self._outcome, self._reason = "failed", None, result.detail
            await self._append(
                "review.failed",
                SYSTEM,
                payload={"problem": result.problem, "detail": result.detail},
            )
            return False
        self._head = result.head_reviewer_id
        for rid in result.reviewer_ids:
            self._seats[rid] = SeatState(reviewer_id=rid)
        if result.reviewer_ids:
            await self._append(
                "review.reviewers_assigned", SYSTEM, payload={"reviewers": result.reviewer_ids}
            )
        if len(result.reviewer_ids) < missing:
            payload = {
                "needed": missing,
                "assigned": len(result.reviewer_ids),
                "available": result.available,
                "escalated_to": self._head,
            }
            self._escalated = True
            await self._append("review.roster_insufficient", SYSTEM, payload=payload)
        return True

    @workflow.signal
    def roster_changed(self) -> None:
        self._need_seats = self._active_seats() < self._require().rule.reviewers

    # ---- waiting and timers --------------------------------------------------------------------

    async def _wait_for_something(self) -> None:
        fire_at, event = self._next_timer()
        done = lambda: self._outcome is not None or self._need_seats  # noqa: E731
        try:
            if fire_at is None:
                await workflow.wait_condition(done)
            else:
                timeout = max((fire_at - workflow.now()).total_seconds(), 0.0)
                await workflow.wait_condition(done, timeout=timeout)
        except TimeoutError:
            await self._on_timer(event)
            return
        if self._outcome is None and self._need_seats:
            await self._fill_seats()

    def _next_timer(self) -> tuple[datetime | None, str]:
        if not self._reminded and self._reminder_at is not None:
            return self._reminder_at, "reminder"
        if not self._due_passed and self._due_at is not None:
            return self._due_at, "due"
        return None, ""

    async def _on_timer(self, event: str) -> None:
        req = self._require()
        if event == "reminder":
            self._reminded = True
            waiting = sorted(r for r, s in self._seats.items() if not (s.voted or s.recused))
            await self._append("review.reminder_sent", SYSTEM, payload={"waiting_for": waiting})
            return
        async with self._lock:
            self._due_passed = True
            if self._outcome is not None:
                return
            if req.rule.silence_approves:
                self._outcome, self._automatic = Verdict.APPROVE, True
                within = describe(req.rule.due_after_days, req.rule.duration_unit)
                self._reason = reasons.AUTO_APPROVED.format(within=within)
                await self._append(
                    "review.auto_approved",
                    SYSTEM,
                    payload={
                        "automatic": True,
                        "rule": "silence_approves",
                        "due_after_days": req.rule.due_after_days,
                        "duration_unit": req.rule.duration_unit.value,
                    },
                )
                return
            self._escalated = True
            await self._append("review.escalated", SYSTEM, payload={"escalated_to": self._head})

    # ---- updates -------------------------------------------------------------------------------

    def _seat_facts(self) -> dict[str, Seat]:
        return {r: Seat(r, s.declared, s.recused, s.voted) for r, s in self._seats.items()}

    @workflow.update
    async def declare(self, d: DeclarationInput) -> ReviewState:
        async with self._lock:
            self._validate_declare(d)
            await self._declared(d)
        await self._ledger.settled()
        return self.state()

    async def _declared(self, d: DeclarationInput) -> None:
        seat = self._seats[d.actor.id]
        seat.declared = True
        conflict = None
        if d.has_conflict:
            seat.recused = True
            persons = d.persons or self._require().subject_persons
            conflict = ConflictData(reviewer_id=d.actor.id, persons=persons, reason=d.reason)
            self._need_seats = True
        payload = {"has_conflict": d.has_conflict, "persons": d.persons, "recused": seat.recused}
        kind = "review.reviewer_recused" if d.has_conflict else "review.no_conflict_declared"
        await self._append(
            kind, d.actor, payload=payload, justification=d.reason or None, conflict=conflict
        )

    @declare.validator
    def _validate_declare(self, d: DeclarationInput) -> None:
        checked(
            lambda: check_declaration_allowed(self._seat_facts(), d.actor.id, open_=self._is_open())
        )

    @workflow.update
    async def verdict(self, v: VerdictInput) -> ReviewState:
        async with self._lock:
            self._validate_verdict(v)
            if v.declares_no_conflict:
                await self._declared(v.declaration())
            req = self._require()
            by_head = self._escalated and v.actor.id == self._head and v.actor.id not in self._seats
            if v.actor.id in self._seats:
                seat = self._seats[v.actor.id]
                seat.voted, seat.verdict = True, v.verdict
            self._findings.extend(v.findings)
            votes = [s.verdict for s in self._seats.values() if s.verdict is not None]
            if by_head:
                outcome_reason: tuple[Verdict, str] | None = (
                    v.verdict,
                    "decided by the head of the body after escalation",
                )
            else:
                decided = quorum_outcome(req.rule.quorum, req.rule.reviewers, votes)
                outcome_reason = (decided.verdict, decided.reason) if decided else None
            payload: dict[str, Any] = {
                "verdict": v.verdict.value,
                "findings": [f.model_dump() for f in v.findings],
                "on_behalf_of_body": by_head,
            }
            if outcome_reason is not None:
                self._outcome, self._reason = outcome_reason
            await self._append(
                "review.verdict", v.actor, payload=payload, justification=v.justification
            )
        await self._ledger.settled()
        return self.state()

    @verdict.validator
    def _validate_verdict(self, v: VerdictInput) -> None:
        def check() -> None:
            check_verdict_allowed(
                self._seat_facts(),
                v.actor.id,
                head_id=self._head,
                escalated=self._escalated,
                open_=self._is_open(),
                declaring=v.declares_no_conflict,
            )
            if v.verdict is Verdict.RETURN and not v.findings:
                raise RuleViolation(
                    "A return must name at least one finding.", code="findings_required"
                )

        checked(check)

    def _is_open(self) -> bool:
        return self._status == "open" and self._outcome is None

    @workflow.query
    def state(self) -> ReviewState:
        return ReviewState(
            review_id=workflow.info().workflow_id,
            status=self._status,
            seats=list(self._seats.values()),
            head_reviewer_id=self._head,
            escalated=self._escalated,
            reminder_at=self._reminder_at,
            due_at=self._due_at,
            outcome=self._outcome,
            findings=self._findings,
            reason=self._reason,
            automatic=self._automatic,
        )

    # ---- ledger ------------------------------------------------------------------------------

    async def _append(
        self,
        kind: str,
        actor: Actor,
        *,
        payload: dict[str, Any] | None = None,
        justification: str | None = None,
        conflict: ConflictData | None = None,
    ) -> None:
        req = self._require()
        self._entries += 1
        entry = decided_entry(
            self._entries,
            process_kind=ProcessKind.REVIEW,
            kind=kind,
            actor=actor,
            stage_before=None,
            stage_after=self._status,
            agency=req.agency,
            payload=payload,
            rulebook_version=req.rulebook_version,
            subject=req.subject_id,
            justification=justification,
        )
        request = RecordReview(
            review_id=entry.process_id,
            entry=entry,
            view=review_view(req, self.state()),
            seats=seat_rows(self._seats.values()),
            conflict=conflict,
        )
        await self._ledger.put(request, entry_id=entry.entry_id)

    def _require(self) -> ReviewRequest:
        assert self._req is not None
        return self._req
