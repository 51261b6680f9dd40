"""Inputs and views of ``OpenSelectionWorkflow``; new fields always get defaults (replay)."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel, Field

from domain.ledger import Actor
from domain.review import Finding
from domain.selection.panel import PanelMember
from domain.selection.ranking import RankedApplicant
from domain.selection.scheme import ScoringScheme
from store.selection_records import SelectionViewData
from workflows.contracts import NextStep

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_KEY = re.compile(KEY_PATTERN)


def selection_workflow_id(agency: str, code: str) -> str:
    """One selection per agency and selection code: the business key is the workflow id."""
    if not _KEY.match(agency) or not _KEY.match(code):
        raise ValueError("agency and selection code must match " + KEY_PATTERN)
    return f"selection-{agency}-{code}"


class StartSelection(BaseModel):
    agency: str = Field(pattern=KEY_PATTERN)
    code: str = Field(pattern=KEY_PATTERN)
    post_title: str = Field(min_length=1, max_length=300)
    post_level: str  # pratama | madya | utama
    rulebook_version: str
    appointing_authority_id: str = Field(min_length=1, max_length=100)
    oversight_body: str = "BKN-OVERSIGHT"
    assessment_body: str | None = None
    requested_by: Actor
    # The HR event or key that started it, if any (kept in the first ledger entry).
    trigger: str | None = None


class PanelInput(BaseModel):
    actor: Actor
    members: list[PanelMember] = Field(min_length=1, max_length=25)


class SchemeInput(BaseModel):
    actor: Actor
    scheme: ScoringScheme
    # component code -> scorer ids (assessors of the centre, or panel members for committee parts)
    scorers: dict[str, list[str]] = Field(default_factory=dict)


class ActorInput(BaseModel):
    """An action whose only argument is who takes it (submit the plan, close screening, ...)."""

    actor: Actor
    note: str | None = Field(default=None, max_length=2000)


class AnnounceInput(BaseModel):
    """The registration window: dates under a rulebook counting days, instants under a training
    rulebook counting minutes (``opens_at`` absent: registration opens at the announcement)."""

    actor: Actor
    opens: date | None = None
    closes: date | None = None
    text: str = Field(default="", max_length=10_000)
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class ComponentInput(BaseModel):
    actor: Actor
    component: str = Field(pattern=r"^[a-z_]{2,32}$")


class VoteInput(BaseModel):
    actor: Actor
    approve: bool
    note: str | None = Field(default=None, max_length=2000)


class AppointInput(BaseModel):
    actor: Actor
    applicant_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=4000)


class CancelInput(BaseModel):
    actor: Actor
    reason: str = Field(min_length=1, max_length=4000)


class SelectionState(BaseModel):
    process_id: str
    stage: str
    status: str
    scheme_frozen: bool = False
    components: dict[str, str] = Field(default_factory=dict)
    registration_closes_at: datetime | None = None
    extensions: int = 0
    applicants: int = 0
    eligible: int = 0
    shortlist: list[RankedApplicant] = Field(default_factory=list)
    votes: dict[str, bool] = Field(default_factory=dict)
    return_count: int = 0
    findings: list[Finding] = Field(default_factory=list)
    appointee_id: str | None = None
    outcome_reason: str | None = None
    # What an update answers with (and the query shows): the view it recorded with its ledger
    # entry, and the step the selection waits for next. None in results from before they existed.
    view: SelectionViewData | None = None
    pending: NextStep | None = None
