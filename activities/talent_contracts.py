"""Activity inputs and outputs of talent management (reviews and talent appointments).

Everything the review's activities send back is a count or a digest: per-person data stays in SQL,
so the workflow history does not grow with the population.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.ledger import LedgerEntryIn
from store.selection_records import SelectionIdentity
from store.talent.appointments import AppointmentView
from store.talent.reviews import ReviewView

__all__ = [
    "AppointmentView",
    "CutoffRequest",
    "CutoffResult",
    "FinalResult",
    "GateRequest",
    "PrepareSelection",
    "PublishRequest",
    "RecordTalentAppointment",
    "RecordTalentReview",
    "ReviewView",
    "ScoreRequest",
    "SuccessionRequest",
    "SuccessorCheck",
    "SuccessorCheckRequest",
    "Tally",
    "TalentAppointmentRecords",
    "TalentReviewRecords",
]


class RecordTalentReview(BaseModel):
    process_id: str
    entry: LedgerEntryIn
    view: ReviewView


class TalentReviewRecords(BaseModel):
    items: list[RecordTalentReview] = Field(min_length=1)


class CutoffRequest(BaseModel):
    process_id: str
    population: dict[str, Any]
    cutoff_date: date


class CutoffResult(BaseModel):
    read: int
    included: int
    outside: int
    row_errors: int
    # the first rows the source could not give (position, NIP, field, why); all are counted
    errors_named: list[dict[str, Any]] = Field(default_factory=list)
    digest: str


class ScoreRequest(BaseModel):
    process_id: str
    cutoff_date: date


class GateRequest(BaseModel):
    process_id: str


class PublishRequest(BaseModel):
    process_id: str
    closes_at: datetime


class Tally(BaseModel):
    """Counts (and a digest where a list was bound) an activity found."""

    data: dict[str, Any] = Field(default_factory=dict)


class FinalResult(BaseModel):
    objections: int = 0
    unanswered: int = 0
    upheld: int = 0
    rejected: int = 0
    named: list[str] = Field(default_factory=list)
    pool: int = 0
    digest: str | None = None


class SuccessionRequest(BaseModel):
    process_id: str
    agencies: list[str]
    rulebook_version: str
    on: date


class RecordTalentAppointment(BaseModel):
    process_id: str
    entry: LedgerEntryIn
    view: AppointmentView


class TalentAppointmentRecords(BaseModel):
    items: list[RecordTalentAppointment] = Field(min_length=1)


class SuccessorCheckRequest(BaseModel):
    nip: str
    agency: str
    post_level: str
    on: date
    rulebook_version: str


class SuccessorCheck(BaseModel):
    """The successor and the agency's approval as they stand on the day of appointment."""

    eligible: bool
    reasons: list[dict[str, Any]]
    approval_current: bool
    approval_checks: list[dict[str, Any]]
    source: str


class PrepareSelection(BaseModel):
    """The read-model row an open selection needs before its workflow starts."""

    process_id: str
    identity: SelectionIdentity
