"""Activity inputs and outputs of the open selection (kept apart from the promotion's contracts).

The selection's read model (``selections`` row) doubles as the gate for the writes the actions make
directly in SQL (registrations, screening decisions, declarations, scores): those lock the row and
check its ``stage``, ``registration_closes_at`` and ``components`` before writing. The ``stage`` is
the workflow's alone (written with its view); the stage-closing activities move the other gate
columns in the transaction that counts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.ledger import LedgerEntryIn


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


class RecordSelection(BaseModel):
    process_id: str
    entry: LedgerEntryIn
    view: SelectionViewData
    identity: SelectionIdentity
    # Written in the same transaction as the entry, when given.
    panel: list[PanelMemberData] | None = None
    announcement: AnnouncementData | None = None


class SelectionRecords(BaseModel):
    """Entries of one selection in decision order, written in one transaction."""

    items: list[RecordSelection] = Field(min_length=1)


class CloseRegistration(BaseModel):
    """Close the window that ran to the end of ``closes`` and decide, in one locked transaction."""

    process_id: str
    rulebook_version: str
    extensions: int
    closes: date
    # Where the window moves if the rulebook extends it; written with the count, so no
    # registration is refused or slips in between the count and the decision.
    extended_closes_at: datetime
    # The closing instant of the window being counted (runs from before it was sent: the row's).
    closes_at: datetime | None = None


class RegistrationCount(BaseModel):
    applicants: int
    decision: str  # a domain.selection.registration.RegistrationDecision value


class PrecheckRequest(BaseModel):
    process_id: str
    post_level: str
    rulebook_version: str
    closing_date: date


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


class ScreeningGate(BaseModel):
    """Close screening if every applicant is decided, opening ``components`` for scoring."""

    process_id: str
    components: dict[str, str]
    # When given, the screening result list is published under this key by the activity itself.
    announcement_key: str | None = None
    # The stage the workflow is at when it publishes (the row's may not show it yet).
    stage: str | None = None


class ComponentRequest(BaseModel):
    process_id: str
    component: str
    # When given, a closing component's ranked list is published under this key by the activity
    # itself, so the list (one row per applicant) never enters the workflow history.
    announcement_key: str | None = None
    title: str = ""
    stage: str | None = None


class ComponentCheck(BaseModel):
    """Scores still missing before ``component`` can close: (scorer id, applicant id) pairs."""

    missing: list[tuple[str, str]] = Field(default_factory=list)
    missing_count: int = 0
    ranking: list[tuple[str, float]] = Field(default_factory=list)
    # Set by the closing activity, which publishes the ranking and returns only its digest.
    ranked: int = 0
    digest: str | None = None


class ShortlistRequest(BaseModel):
    process_id: str
    scheme: dict[str, Any]
    size: int
    panel: list[str] = Field(default_factory=list)
    # The integrated ranking is published under this key by the activity (see ComponentRequest).
    announcement_key: str | None = None
    stage: str | None = None


class ShortlistData(BaseModel):
    """The ranked list (every screened-in applicant) and the proposed names, from SQL scores."""

    ranked: list[dict[str, Any]]
    proposed: list[dict[str, Any]]
    passed: int
    digest: str  # sha-256 over the canonical ranked list, carried into the ledger
    # Panel members who declared a conflict with a proposed name: they do not vote in the plenary.
    recused_members: list[str] = Field(default_factory=list)
