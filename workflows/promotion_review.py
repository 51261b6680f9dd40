"""BKN's technical approval (pertek) as a sub-state of the promotion that asks for it.

The review keeps its legal meaning: reviewers assigned from the body's roster (none with a standing
conflict with the employee or their supervisor), each declaring a conflict of interest or none
before a verdict (a declared conflict recuses them and a substitute is assigned), a verdict with
findings decided by the rule's quorum, a reminder and a due date in working days (silence approves
where the rule says so, otherwise the body's head may decide after escalation), and its own ledger
trail (``review.*`` entries under the review's id, with its read model and seats).

What changes is where it runs: in the promotion's workflow, not in a child workflow with its own
activities. The roster is given at the start (or read once) and the reviewer is drawn with the
workflow's deterministic random, so assignment needs no activity; the entries go through the
promotion's Outbox and are written with the promotion's own, in the same batches.

This class makes no commands: it changes its state and lists the entries to write
(:attr:`EmbeddedReview.events`); the workflow decides when to call it and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from typing import Any

from activities.contracts import ConflictData
from domain import reasons
from domain.calendar import WorkingCalendar
from domain.durations import after, describe
from domain.errors import RuleViolation, WrongStage
from domain.ledger import Actor
from domain.review import (
    Finding,
    RosterSnapshot,
    Seat,
    Verdict,
    check_declaration_allowed,
    check_verdict_allowed,
    eligible_reviewers,
    quorum_outcome,
)
from workflows.contracts import (
    DeclarationInput,
    ReviewRequest,
    ReviewState,
    SeatState,
    VerdictInput,
)
from workflows.review_records import request_payload

SYSTEM = Actor(id="system:review", role="system")


@dataclass
class ReviewEvent:
    """One ``review.*`` entry to write, with the state it leaves the review in."""

    kind: str
    actor: Actor
    payload: dict[str, Any]
    justification: str | None = None
    conflict: ConflictData | None = None
    status: str = ""


@dataclass
class EmbeddedReview:
    review_id: str
    req: ReviewRequest
    roster: RosterSnapshot
    reminder_at: datetime
    due_at: datetime
    rng: Random
    status: str = "assigning"
    seats: dict[str, SeatState] = field(default_factory=dict)
    head: str | None = None
    escalated: bool = False
    reminded: bool = False
    due_passed: bool = False
    outcome: Verdict | None = None
    findings: list[Finding] = field(default_factory=list)
    reason: str | None = None
    automatic: bool = False
    # Set by the workflow once the outcome is the promotion's decision.
    applied: bool = False
    events: list[ReviewEvent] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        review_id: str,
        req: ReviewRequest,
        roster: RosterSnapshot,
        *,
        now: datetime,
        calendar: WorkingCalendar,
        rng: Random,
    ) -> EmbeddedReview:
        rule = req.rule
        return cls(
            review_id=review_id,
            req=req,
            roster=roster,
            reminder_at=after(now, rule.reminder_after_days, rule.duration_unit, calendar),
            due_at=after(now, rule.due_after_days, rule.duration_unit, calendar),
            rng=rng,
        )

    def _emit(self, kind: str, actor: Actor, payload: dict[str, Any], **kw: Any) -> None:
        self.events.append(ReviewEvent(kind, actor, payload, status=self.status, **kw))

    # ---- opening and seats -------------------------------------------------------------------

    def open(self) -> bool:
        """Request, assign and open; False when no one can review (the review has failed)."""
        self._emit("review.requested", self.req.requested_by, request_payload(self.req))
        if not self._fill_seats():
            return False
        self.status = "open"
        self._emit("review.opened", SYSTEM, {"reviewers": sorted(self.seats)})
        return True

    def _active(self) -> int:
        return sum(1 for s in self.seats.values() if not s.recused)

    def short_of_reviewers(self) -> bool:
        return self._active() < self.req.rule.reviewers

    def refill(self, roster: RosterSnapshot) -> None:
        """Fill empty seats from the body's roster as it now stands."""
        self.roster = roster
        if self._is_open() and self.short_of_reviewers():
            self._fill_seats()

    def _fill_seats(self) -> bool:
        rule = self.req.rule
        missing = rule.reviewers - self._active()
        if missing <= 0:
            return True
        found = eligible_reviewers(
            self.roster,
            rule,
            self.req.post_level,
            exclude=set(self.seats),
            persons=self.req.subject_persons,
        )
        if found.problem is not None:
            self.status, self.outcome, self.reason = "failed", None, found.detail
            self._emit("review.failed", SYSTEM, {"problem": found.problem, "detail": found.detail})
            return False
        self.head = found.head_reviewer_id
        # Drawn with the workflow's seeded random: the same on every replay, unknown beforehand.
        chosen = sorted(self.rng.sample(found.reviewer_ids, k=min(missing, found.available)))
        for rid in chosen:
            self.seats[rid] = SeatState(reviewer_id=rid)
        if chosen:
            self._emit("review.reviewers_assigned", SYSTEM, {"reviewers": chosen})
        if len(chosen) < missing:
            self.escalated = True
            payload = {
                "needed": missing,
                "assigned": len(chosen),
                "available": found.available,
                "escalated_to": self.head,
            }
            self._emit("review.roster_insufficient", SYSTEM, payload)
        return True

    # ---- timers --------------------------------------------------------------------------------

    def next_timer(self) -> tuple[datetime | None, str]:
        if not self.reminded:
            return self.reminder_at, "reminder"
        if not self.due_passed:
            return self.due_at, "due"
        return None, ""

    def on_timer(self, event: str) -> None:
        rule = self.req.rule
        if event == "reminder":
            self.reminded = True
            waiting = sorted(r for r, s in self.seats.items() if not (s.voted or s.recused))
            self._emit("review.reminder_sent", SYSTEM, {"waiting_for": waiting})
            return
        self.due_passed = True
        if self.outcome is not None:
            return
        if rule.silence_approves:
            self.outcome, self.automatic = Verdict.APPROVE, True
            within = describe(rule.due_after_days, rule.duration_unit)
            self.reason = reasons.AUTO_APPROVED.format(within=within)
            payload = {
                "automatic": True,
                "rule": "silence_approves",
                "due_after_days": rule.due_after_days,
                "duration_unit": rule.duration_unit.value,
            }
            self._emit("review.auto_approved", SYSTEM, payload)
            return
        self.escalated = True
        self._emit("review.escalated", SYSTEM, {"escalated_to": self.head})

    # ---- declarations and verdicts -------------------------------------------------------------

    def _is_open(self) -> bool:
        return self.status == "open" and self.outcome is None

    def _facts(self) -> dict[str, Seat]:
        return {r: Seat(r, s.declared, s.recused, s.voted) for r, s in self.seats.items()}

    def _same_review(self, review_id: str | None) -> None:
        if review_id is not None and review_id != self.review_id:
            raise WrongStage("This review is closed.", code="review_closed")

    def check_declare(self, d: DeclarationInput) -> None:
        self._same_review(d.review_id)
        check_declaration_allowed(self._facts(), d.actor.id, open_=self._is_open())

    def declare(self, d: DeclarationInput) -> None:
        self.check_declare(d)
        seat = self.seats[d.actor.id]
        seat.declared = True
        conflict = None
        if d.has_conflict:
            seat.recused = True
            persons = d.persons or self.req.subject_persons
            conflict = ConflictData(reviewer_id=d.actor.id, persons=persons, reason=d.reason)
        payload = {"has_conflict": d.has_conflict, "persons": d.persons, "recused": seat.recused}
        kind = "review.reviewer_recused" if d.has_conflict else "review.no_conflict_declared"
        self._emit(kind, d.actor, payload, justification=d.reason or None, conflict=conflict)
        if d.has_conflict:
            # The substitute is drawn at once: the roster is already here.
            self._fill_seats()

    def check_verdict(self, v: VerdictInput) -> None:
        self._same_review(v.review_id)
        check_verdict_allowed(
            self._facts(),
            v.actor.id,
            head_id=self.head,
            escalated=self.escalated,
            open_=self._is_open(),
            declaring=v.declares_no_conflict,
        )
        if v.verdict is Verdict.RETURN and not v.findings:
            raise RuleViolation(
                "A return must name at least one finding.", code="findings_required"
            )

    def verdict(self, v: VerdictInput) -> None:
        self.check_verdict(v)
        if v.declares_no_conflict:
            self.declare(v.declaration())
        by_head = self.escalated and v.actor.id == self.head and v.actor.id not in self.seats
        if v.actor.id in self.seats:
            seat = self.seats[v.actor.id]
            seat.voted, seat.verdict = True, v.verdict
        self.findings.extend(v.findings)
        if by_head:
            self.outcome, self.reason = v.verdict, reasons.BY_HEAD
        else:
            votes = [s.verdict for s in self.seats.values() if s.verdict is not None]
            rule = self.req.rule
            decided = quorum_outcome(rule.quorum, rule.reviewers, votes)
            if decided is not None:
                self.outcome, self.reason = decided.verdict, decided.reason
        payload = {
            "verdict": v.verdict.value,
            "findings": [f.model_dump() for f in v.findings],
            "on_behalf_of_body": by_head,
        }
        self._emit("review.verdict", v.actor, payload, justification=v.justification)

    # ---- the end -------------------------------------------------------------------------------

    def conclude(self) -> None:
        assert self.outcome is not None
        self.status = "concluded"
        payload = {
            "outcome": self.outcome.value,
            "findings": [f.model_dump() for f in self.findings],
            "reason": self.reason,
            "automatic": self.automatic,
        }
        self._emit("review.concluded", SYSTEM, payload)

    def cancel(self) -> None:
        self.status = "cancelled"
        self.reason = reasons.REQUESTER_CANCELLED
        self._emit("review.cancelled", SYSTEM, {"reason": self.reason})

    def state(self) -> ReviewState:
        return ReviewState(
            review_id=self.review_id,
            status=self.status,
            seats=[s.model_copy() for s in self.seats.values()],
            head_reviewer_id=self.head,
            escalated=self.escalated,
            reminder_at=self.reminder_at,
            due_at=self.due_at,
            outcome=self.outcome,
            findings=list(self.findings),
            reason=self.reason,
            automatic=self.automatic,
        )
