"""Request and response bodies of talent management (reviews, records, appointments)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from actions.schemas.pending import PendingRead
from domain.talent.committee import CommitteeMember
from domain.talent.records import Population
from domain.talent.succession import Successor
from workflows.selection_contracts import KEY_PATTERN


class TalentReviewCreate(BaseModel):
    """Start a talent review of a population (a level and job family, up to a province)."""

    agency: str | None = Field(None, pattern=KEY_PATTERN, description="Defaults to the token's")
    code: str = Field(pattern=KEY_PATTERN, description="The agency's code for this review")
    title: str = Field(min_length=1, max_length=300)
    population: Population
    cutoff_date: date | None = Field(None, description="The data cut-off; defaults to today")
    rulebook_version: str | None = Field(None, description="Defaults to the rulebook in force")
    committee: list[CommitteeMember] = Field(
        min_length=3, max_length=25, description="One chair, at most one secretary, no one twice"
    )


class TalentReviewRead(BaseModel):
    id: str
    agency: str
    code: str
    title: str
    population: dict[str, Any]
    cutoff_date: date
    rulebook_version: str
    committee: list[dict[str, Any]]
    stage: str
    status: str
    counts: dict[str, Any]
    waiting_for: list[dict[str, Any]]
    objections_close_at: datetime | None
    outcome_reason: str | None
    created_at: datetime
    updated_at: datetime
    pending: PendingRead | None = Field(
        None,
        description="On an action's answer: the step the review waits for next (who acts, on "
        "what, by when), from the workflow update's result, so the caller needs no read to learn "
        "what its action did. Reads leave it null; `waiting_for` lists everyone a stage waits on.",
    )


class TalentReviewStarted(BaseModel):
    created: bool
    review: TalentReviewRead


class NoteBody(BaseModel):
    note: str | None = Field(None, max_length=2000)


class CancelBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class DeclarationIn(BaseModel):
    conflicted: list[str] = Field(default_factory=list, max_length=1000, description="NIPs")
    reason: str = Field(min_length=1, max_length=2000)


class DeclarationRead(BaseModel):
    member_id: str
    conflicted: list[str]
    reason: str
    declared_at: datetime


class MoveIn(BaseModel):
    nip: str = Field(pattern=r"^[0-9]{18}$")
    box: int = Field(ge=1, le=9)
    justification: str = Field(min_length=1, max_length=4000)


class ObjectionIn(BaseModel):
    grounds: str = Field(min_length=1, max_length=4000)


class AnswerIn(BaseModel):
    nip: str = Field(pattern=r"^[0-9]{18}$")
    uphold: bool
    box: int | None = Field(None, ge=1, le=9, description="The new box of an upheld objection")
    justification: str = Field(min_length=1, max_length=4000)


class ObjectionRead(BaseModel):
    nip: str
    grounds: str
    status: str
    answer: str | None
    new_box: int | None
    answered_by: str | None
    filed_at: datetime
    answered_at: datetime | None


class PersonRead(BaseModel):
    review_id: str
    nip: str
    name: str
    agency: str
    excluded_code: str | None
    excluded_reason: str | None
    talent_score: float | None
    computed_box: int | None
    box: int | None
    moved_by: str | None
    move_justification: str | None
    published_box: int | None
    final_box: int | None
    explanation: dict[str, Any] | None
    objection: ObjectionRead | None = None


class PeoplePage(BaseModel):
    items: list[PersonRead]
    total: int
    offset: int


# ---- talent records ----------------------------------------------------------------------------


class TalentImported(BaseModel):
    imported: int


class CriticalPostIn(BaseModel):
    agency: str | None = Field(None, pattern=KEY_PATTERN, description="Defaults to the token's")
    post_id: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    post_level: Literal["pratama", "madya", "utama"]
    job_family: str | None = Field(None, max_length=64)
    critical: bool = True


class CriticalPostRead(BaseModel):
    agency: str
    post_id: str
    title: str
    post_level: str
    job_family: str | None
    successors: list[Successor]
    changed: bool = False


class ApprovalRead(BaseModel):
    agency: str
    approval: dict[str, Any] | None
    checks: list[dict[str, Any]]
    current: bool
    on: date


class PoolRead(BaseModel):
    agency: str
    members: list[dict[str, Any]]


# ---- talent appointments -----------------------------------------------------------------------


class AppointIn(BaseModel):
    decree_number: str = Field(min_length=1, max_length=100)
    note: str | None = Field(None, max_length=2000)


class FallBackIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class TalentAppointmentRead(BaseModel):
    id: str
    agency: str
    post_id: str
    post_title: str
    post_level: str
    vacated_on: date
    successor_nip: str
    successor_name: str
    appointing_authority_id: str
    oversight_body: str
    rulebook_version: str
    stage: str
    status: str
    decision: dict[str, Any]
    review_id: str | None
    decree: dict[str, Any] | None
    selection_id: str | None
    outcome_reason: str | None
    created_at: datetime
    updated_at: datetime
    pending: PendingRead | None = Field(
        None,
        description="On an action's answer: the step the appointment waits for next (who acts, on "
        "what, by when), from the workflow update's result, so the caller needs no read to learn "
        "what its action did. Reads leave it null.",
    )
