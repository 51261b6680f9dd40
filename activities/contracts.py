"""Activity inputs and outputs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.ledger import LedgerEntryIn


class PromotionViewData(BaseModel):
    """The whole promotion read model as the workflow sees it; written in full each time."""

    status: str
    stage: str
    pending_step: str | None = None
    pending_role: str | None = None
    pending_actor_id: str | None = None
    escalated_to_role: str | None = None
    reminder_at: datetime | None = None
    due_at: datetime | None = None
    auto_approve_at: datetime | None = None
    pending_review_id: str | None = None
    eligibility: dict[str, Any] | None = None
    decree: dict[str, Any] | None = None
    last_decision: dict[str, Any] | None = None
    return_count: int = 0
    outcome_reason: str | None = None


class PromotionIdentity(BaseModel):
    """What the read-model row is keyed and filtered by; lets the activity create the row."""

    nip: str
    agency: str
    period: date
    promotion_type: str
    rulebook_version: str


class RecordPromotion(BaseModel):
    process_id: str
    entry: LedgerEntryIn
    view: PromotionViewData
    identity: PromotionIdentity | None = None


class PromotionRecords(BaseModel):
    """Entries of one promotion in decision order, written in one transaction."""

    items: list[RecordPromotion] = Field(min_length=1)


class SnapshotRequest(BaseModel):
    nip: str


class HolidaysRequest(BaseModel):
    years: list[int] = Field(min_length=1)


class HolidaysResult(BaseModel):
    dates: list[date]


class AssignRequest(BaseModel):
    review_id: str
    body_code: str
    body_kind: str
    count: int
    exclude: list[str] = Field(default_factory=list)
    persons: list[str] = Field(default_factory=list)
    required_accreditation: str | None = None


class AssignResult(BaseModel):
    reviewer_ids: list[str] = Field(default_factory=list)
    head_reviewer_id: str | None = None
    # body_not_found | wrong_body_kind | accreditation_insufficient: the review cannot go on
    problem: str | None = None
    detail: str | None = None
    available: int = 0


class ReviewViewData(BaseModel):
    subject_type: str
    subject_id: str
    parent_process_id: str | None = None
    agency: str | None = None
    body_code: str
    status: str
    outcome: str | None = None
    quorum: str
    required_reviewers: int
    head_reviewer_id: str | None = None
    escalated: bool = False
    automatic: bool = False
    reminder_at: datetime | None = None
    due_at: datetime | None = None
    findings: list[dict[str, Any]] | None = None
    reason: str | None = None


class SeatData(BaseModel):
    reviewer_id: str
    status: str
    verdict: str | None = None


class ConflictData(BaseModel):
    reviewer_id: str
    persons: list[str]
    reason: str = ""


class RecordReview(BaseModel):
    review_id: str
    entry: LedgerEntryIn
    view: ReviewViewData
    seats: list[SeatData] = Field(default_factory=list)
    conflict: ConflictData | None = None


class ReviewRecords(BaseModel):
    """Entries of one review in decision order, written in one transaction."""

    items: list[RecordReview] = Field(min_length=1)


class RosterRequest(BaseModel):
    body_code: str
    persons: list[str] = Field(default_factory=list)


class PromotionReviewRecords(BaseModel):
    """Entries of a promotion and of its own review in decision order: one activity writes them."""

    # Each item has its ``entry`` where every batch has it (reconciliation reads it there); the
    # one is a promotion's (``process_id``), the other its review's (``review_id``).
    items: list[RecordPromotion | RecordReview] = Field(min_length=1)
