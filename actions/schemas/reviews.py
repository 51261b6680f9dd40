from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.review import BodyKind, Finding, Verdict


class BodyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9_-]{2,64}$")
    name: str = Field(min_length=1, max_length=300)
    kind: BodyKind
    accreditation_level: str | None = Field(
        None, pattern=r"^[ABC]$", description="BKN accreditation (A best)"
    )
    head_reviewer_id: str | None = Field(None, max_length=200)
    active: bool = True


class BodyRead(BodyCreate):
    pass


class ReviewerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1, max_length=200, description="the reviewer's subject in their bearer token"
    )
    name: str = Field(min_length=1, max_length=300)
    active: bool = True


class ConflictCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class DeclarationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    has_conflict: bool
    persons: list[str] = Field(default_factory=list, max_length=100)
    reason: str = Field(default="", max_length=2000)


class VerdictCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    justification: str = Field(min_length=1, max_length=4000)
    findings: list[Finding] = Field(default_factory=list, max_length=100)
    declares_no_conflict: bool = Field(
        default=False,
        description="The reviewer, not yet declared, declares no conflict of interest with this "
        "verdict: one request records the declaration, then the verdict, each its own ledger "
        "entry. A reviewer with a conflict declares it on its own (conflict-declarations).",
    )


class SeatRead(BaseModel):
    reviewer_id: str
    status: str
    verdict: str | None


class ProcessAfter(BaseModel):
    """The process a review decides, as the review's action left it: taken from the workflow's
    answer to that action, so a client learns what its declaration or verdict did without
    reading again (a deciding verdict on a promotion's pertek shows the promotion's next step)."""

    process_id: str
    status: str
    stage: str
    pending_step: str | None = None
    pending_role: str | None = None


class ReviewRead(BaseModel):
    id: str
    subject_type: str
    subject_id: str
    parent_process_id: str | None
    agency: str | None
    body_code: str
    status: str
    outcome: str | None
    quorum: str
    required_reviewers: int
    head_reviewer_id: str | None
    escalated: bool
    automatic: bool
    reminder_at: datetime | None
    due_at: datetime | None
    findings: list[dict[str, Any]] | None
    reason: str | None
    seats: list[SeatRead]
    created_at: datetime
    updated_at: datetime
    # Only on a declaration's or verdict's answer, for a review run inside its process.
    process: ProcessAfter | None = None


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    next_cursor: str | None


class Task(BaseModel):
    kind: str
    process_id: str
    title: str
    due_at: datetime | None
    action: str
    method: str = "POST"


class TaskList(BaseModel):
    items: list[Task]
