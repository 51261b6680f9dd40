"""Inputs, update payloads, results and views of the workflows.

New fields always get defaults, so that running workflows keep replaying their histories.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from activities.contracts import RecordPromotion, RecordReview
from domain.eligibility import EligibilityResult
from domain.employee import EmployeeRecord
from domain.enums import Decision, PromotionStatus, PromotionType, Step
from domain.ledger import Actor
from domain.processes import promotion_workflow_id as promotion_workflow_id  # re-exported
from domain.review import Finding, ReviewRule, RosterSnapshot, SubjectType, Verdict


class StartPromotion(BaseModel):
    nip: str
    agency: str
    period: date
    promotion_type: PromotionType
    rulebook_version: str
    requested_by: Actor
    technical_approval_body: str = "BKN"
    # The technical approval body's roster as the starter read it: the promotion assigns BKN's
    # reviewer from it itself. None: the promotion reads it once, when BKN's step first opens.
    review_roster: RosterSnapshot | None = None
    # Given by a starter that has them at hand (a period's page, activities/period_starts.py), so
    # the first workflow task decides at once; absent, the promotion fetches them by activity.
    # The calendar is used only if ``holiday_years`` covers every year the promotion counts in.
    snapshot: EmployeeRecord | None = None
    holidays: list[date] | None = None
    holiday_years: list[int] = Field(default_factory=list)


class DecisionInput(BaseModel):
    actor: Actor
    decision: Decision
    justification: str = Field(min_length=1, max_length=4000)
    # The step the caller saw pending; a decision made against a stale view is refused.
    step: Step | None = None
    corrections: list[str] = Field(default_factory=list)
    decree_number: str | None = None
    # The newest entries of the process the caller read in the ledger (workflows/ledgered.py).
    written_through: list[str] = Field(default_factory=list, max_length=4)


class PendingStep(BaseModel):
    step: Step
    role: str
    actor_id: str | None = None
    started_at: datetime
    reminder_at: datetime
    due_at: datetime
    auto_approve_at: datetime | None = None
    reminded: bool = False
    escalated_to: str | None = None
    escalated: bool = False
    review_id: str | None = None


class NextStep(BaseModel):
    """Who must act next, on what, and by when if a deadline applies: what an update of a selection
    or a talent process answers as pending, beside its new stage. ``step`` names the awaited
    action (``submit_plan``, ``plenary_vote``, ``appoint``) or, with the role ``system``, what
    the process does itself when ``due_at`` comes (``registration_opens``). ``actors`` are the
    people who may take it, where the process names them (the panel's chair and secretary, the
    members yet to vote, the appointing authority). A promotion's step is :class:`PendingStep`,
    which carries its own timers."""

    step: str
    role: str
    actors: list[str] = Field(default_factory=list)
    due_at: datetime | None = None
    review_id: str | None = None


class Decree(BaseModel):
    number: str
    effective_date: date
    signed_by: str


class PromotionState(BaseModel):
    process_id: str
    status: PromotionStatus
    stage: str
    pending: PendingStep | None = None
    eligibility: EligibilityResult | None = None
    decree: Decree | None = None
    return_count: int = 0
    resume_at: Step | None = None
    outcome_reason: str | None = None
    last_decision: dict[str, Any] | None = None
    # BKN's review while it runs inside the promotion (its reviewers, deadlines, verdicts).
    review: ReviewState | None = None


# ---- third-party review ------------------------------------------------------------------------


def review_workflow_id(subject_type: str, subject_id: str, attempt: int = 1) -> str:
    return f"review-{subject_type}-{subject_id}-{attempt}"


# A review run inside its process (a promotion's pertek) rather than as a workflow of its own.
EMBEDDED_REVIEW_PREFIX = "pertek-"


def embedded_review_id(process_id: str, attempt: int) -> str:
    return f"{EMBEDDED_REVIEW_PREFIX}{process_id}-{attempt}"


def embedded_review_host(review_id: str, parent_process_id: str | None) -> str | None:
    """The process a review runs inside, or None for a review that is its own workflow."""
    if parent_process_id and review_id.startswith(EMBEDDED_REVIEW_PREFIX + parent_process_id):
        return parent_process_id
    return None


class ReviewRequest(BaseModel):
    subject_type: SubjectType
    subject_id: str
    # People named in the subject (employee, applicants, panel): no reviewer conflicted with any of
    # them is assigned.
    subject_persons: list[str] = Field(default_factory=list)
    parent_process_id: str | None = None
    agency: str | None = None
    body_code: str
    post_level: str | None = None
    rule: ReviewRule
    rulebook_version: str
    requested_by: Actor


class DeclarationInput(BaseModel):
    actor: Actor
    # The review meant, where the process runs its reviews inside itself (one after another).
    review_id: str | None = None
    has_conflict: bool
    persons: list[str] = Field(default_factory=list, max_length=100)
    reason: str = Field(default="", max_length=2000)
    written_through: list[str] = Field(default_factory=list, max_length=4)


class VerdictInput(BaseModel):
    actor: Actor
    review_id: str | None = None
    verdict: Verdict
    justification: str = Field(min_length=1, max_length=4000)
    findings: list[Finding] = Field(default_factory=list, max_length=100)
    written_through: list[str] = Field(default_factory=list, max_length=4)
    # The verdict comes with the reviewer's declaration of no conflict: both in one update, the
    # declaration first (its own ledger entry), as if it had been sent on its own just before.
    declares_no_conflict: bool = False

    def declaration(self) -> DeclarationInput:
        return DeclarationInput(actor=self.actor, review_id=self.review_id, has_conflict=False)


class SeatState(BaseModel):
    reviewer_id: str
    declared: bool = False
    recused: bool = False
    voted: bool = False
    verdict: Verdict | None = None


class ReviewState(BaseModel):
    review_id: str
    status: str
    seats: list[SeatState] = Field(default_factory=list)
    head_reviewer_id: str | None = None
    escalated: bool = False
    reminder_at: datetime | None = None
    due_at: datetime | None = None
    outcome: Verdict | None = None
    findings: list[Finding] = Field(default_factory=list)
    reason: str | None = None
    automatic: bool = False


class ReviewAnswer(BaseModel):
    """What a declaration or verdict on a review run inside a promotion did: the review, and the
    promotion as it stands after it (on a deciding verdict, already at its next step)."""

    review: ReviewState
    promotion: PromotionState
    # What the update decided and the workflow has not written yet (workflows/ledgered.py): the
    # caller writes it once the update has completed; empty for runs that write before answering.
    ledger: list[RecordPromotion | RecordReview] = Field(default_factory=list)
    # The run ends once its caller says these are written (workflows/ledgered.py, ENDS_PATCH).
    ending: bool = False


class PromotionAnswer(BaseModel):
    """What a decision on a promotion did: its state after it, and the entries handed over."""

    state: PromotionState
    ledger: list[RecordPromotion | RecordReview] = Field(default_factory=list)
    # The run ends once its caller says these are written (workflows/ledgered.py, ENDS_PATCH).
    ending: bool = False


PromotionState.model_rebuild()  # its review field names ReviewState, defined below it
