"""What the selection's tables are written from and counted into: the read model's identity and
view, a panel seat, a published announcement, and the results of the stage-closing counts.

The store's data shapes, below the activities that carry them (``activities/selection_contracts.py``
re-exports them for the workflow and its activities).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class SelectionIdentity(BaseModel):
    """What the read-model row is keyed and filtered by; lets the activity create the row."""

    agency: str
    code: str
    post_title: str
    post_level: str
    rulebook_version: str
    appointing_authority_id: str
    oversight_body: str
    assessment_body: str | None = None


class SelectionViewData(BaseModel):
    """The whole selection read model as the workflow sees it; written in full each time.

    ``components`` maps a component code to ``pending`` | ``open`` | ``closed``: scores are accepted
    only for an ``open`` one. ``waiting_for`` lists who must act next, as
    ``{"who": <actor id or role>, "what": <sentence>, "due_at": <iso or None>}``.
    """

    stage: str
    status: str  # in_progress | completed | cancelled | failed
    scheme: dict[str, Any] | None = None
    scheme_frozen: bool = False
    scorers: dict[str, list[str]] = Field(default_factory=dict)
    components: dict[str, str] = Field(default_factory=dict)
    registration_opens: date | None = None
    registration_closes: date | None = None
    registration_closes_at: datetime | None = None
    extensions: int = 0
    applicants: int = 0
    eligible: int = 0
    shortlist: list[dict[str, Any]] | None = None
    plenary: dict[str, Any] | None = None
    plan_review_id: str | None = None
    shortlist_review_id: str | None = None
    return_count: int = 0
    findings: list[dict[str, Any]] | None = None
    appointee_id: str | None = None
    outcome_reason: str | None = None
    waiting_for: list[dict[str, Any]] = Field(default_factory=list)


class PanelMemberData(BaseModel):
    id: str
    name: str
    role: str  # chair | secretary | member
    internal: bool
    affiliation: str


class AnnouncementData(BaseModel):
    """One published result; ``key`` makes publishing idempotent (a retried activity writes once)."""

    key: str
    stage: str
    title: str
    body: dict[str, Any]


class PrecheckResult(BaseModel):
    applicants: int
    eligible: int
    ineligible: int


class ScreeningTally(BaseModel):
    applicants: int
    decided: int
    eligible: int  # final, after the committee's decisions
    undecided: list[str] = Field(default_factory=list)  # the first few ids still undecided
    # The published result: applicant id -> eligible ("MS"/"TMS"), no personal data.
    published: list[dict[str, Any]] = Field(default_factory=list)


class ComponentCheck(BaseModel):
    """Scores still missing before ``component`` can close: (scorer id, applicant id) pairs."""

    missing: list[tuple[str, str]] = Field(default_factory=list)
    missing_count: int = 0
    ranking: list[tuple[str, float]] = Field(default_factory=list)
    # Set by the closing activity, which publishes the ranking and returns only its digest.
    ranked: int = 0
    digest: str | None = None
