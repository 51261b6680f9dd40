"""Inputs, update payloads and states of the talent review and the talent appointment workflows.

New fields get defaults, so running workflows keep replaying.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.ledger import Actor
from domain.talent.committee import CommitteeMember
from domain.talent.records import Population
from workflows.contracts import NextStep
from workflows.selection_contracts import KEY_PATTERN, StartSelection

_KEY = re.compile(KEY_PATTERN)


def talent_review_workflow_id(agency: str, code: str) -> str:
    """One review per agency and review code: the business key is the workflow id."""
    if not _KEY.match(agency) or not _KEY.match(code):
        raise ValueError("agency and review code must match " + KEY_PATTERN)
    return f"talent-review-{agency}-{code}"


def talent_appointment_workflow_id(agency: str, post_id: str, vacated_on: date) -> str:
    """One talent appointment per vacancy (post and the day it fell vacant), as a selection is."""
    if not _KEY.match(agency) or not _KEY.match(post_id):
        raise ValueError("agency and post id must match " + KEY_PATTERN)
    return f"talent-appointment-{agency}-{post_id}-{vacated_on:%Y%m%d}"


class StartTalentReview(BaseModel):
    agency: str = Field(pattern=KEY_PATTERN)
    code: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    population: Population
    cutoff_date: date
    rulebook_version: str
    committee: list[CommitteeMember]
    requested_by: Actor


class ActorNote(BaseModel):
    actor: Actor
    note: str | None = Field(None, max_length=2000)


class CancelInput(BaseModel):
    actor: Actor
    reason: str = Field(min_length=1, max_length=2000)


class TalentReviewState(BaseModel):
    process_id: str
    stage: str
    status: str
    counts: dict[str, Any] = Field(default_factory=dict)
    objections_close_at: datetime | None = None
    outcome_reason: str | None = None
    # Who the review waits for (as its read model lists them) and the step it waits for next.
    waiting_for: list[dict[str, Any]] = Field(default_factory=list)
    pending: NextStep | None = None


class StartTalentAppointment(BaseModel):
    agency: str = Field(pattern=KEY_PATTERN)
    post_id: str = Field(pattern=KEY_PATTERN)
    post_title: str
    post_level: str
    vacated_on: date
    successor_nip: str
    successor_name: str
    appointing_authority_id: str
    oversight_body: str
    rulebook_version: str
    # domain.talent.filling.Decision as JSON: every check with its dates, the successor, those
    # passed over; kept in the first ledger entry.
    decision: dict[str, Any]
    # The open selection this vacancy falls back to when the talent route ends without appointing.
    fallback: StartSelection
    requested_by: Actor


class AppointInput(BaseModel):
    actor: Actor
    decree_number: str = Field(min_length=1, max_length=100)
    note: str | None = Field(None, max_length=2000)


class FallBackInput(BaseModel):
    actor: Actor
    reason: str = Field(min_length=1, max_length=2000)


class TalentAppointmentState(BaseModel):
    process_id: str
    stage: str
    status: str
    review_id: str | None = None
    decree: dict[str, Any] | None = None
    selection_id: str | None = None
    outcome_reason: str | None = None
    # The step the appointment waits for next; None once it has ended.
    pending: NextStep | None = None
