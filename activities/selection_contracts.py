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
from store.selection_records import (
    AnnouncementData,
    ComponentCheck,
    PanelMemberData,
    PrecheckResult,
    ScreeningTally,
    SelectionIdentity,
    SelectionViewData,
)

__all__ = [
    "AnnouncementData",
    "CloseRegistration",
    "ComponentCheck",
    "ComponentRequest",
    "PanelMemberData",
    "PrecheckRequest",
    "PrecheckResult",
    "RecordSelection",
    "RegistrationCount",
    "ScreeningGate",
    "ScreeningTally",
    "SelectionIdentity",
    "SelectionRecords",
    "SelectionViewData",
    "ShortlistData",
    "ShortlistRequest",
]


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
