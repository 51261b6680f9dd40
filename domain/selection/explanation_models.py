"""What an explanation of a selection is made of: its inputs, its output, and the kinds of entry
it reads (``domain/selection/explanation.py`` puts them together)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.eligibility import Reason
from domain.explanation import LedgerCheck
from domain.ledger import Actor
from domain.selection.scheme import ScoringScheme

# Per-candidate entries written straight by the API; everything else is a stage-level decision.
CANDIDATE_KINDS = frozenset(
    {
        "applicant.registered",
        "applicants.imported",
        "screening.decided",
        "scorer.declared",
        "score.submitted",
        "score.amended",
    }
)
SCORE_KINDS = frozenset({"score.submitted", "score.amended"})
SHORTLIST_KINDS = frozenset({"shortlist.proposed", "shortlist.insufficient"})
PUBLISHED_FIELDS = ("applicant_id", "rank", "total", "passed", "component_scores")


def ranking_digest(ranked: Sequence[Mapping[str, Any]]) -> str:
    """sha-256 over the canonical JSON of a ranked list (as ``activities.selections`` binds it)."""
    canonical = json.dumps(ranked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- inputs -------------------------------------------------------------------------------------


class ApplicantRecord(BaseModel):
    """One registration's screening, as the store keeps it (no NIP, no name)."""

    applicant_id: str
    auto_eligible: bool | None = None
    auto_reasons: list[Reason] = Field(default_factory=list)
    decision: str | None = None  # confirmed | overridden
    final_eligible: bool | None = None
    decision_justification: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


# --- output -------------------------------------------------------------------------------------


class ScreeningOutcome(BaseModel):
    pre_check_eligible: bool | None
    pre_check_reasons: list[Reason]
    decision: str | None
    eligible: bool | None
    justification: str | None
    decided_by: str | None
    decided_at: datetime | None


class ScoreInForce(BaseModel):
    component: str
    scorer_id: str
    score: float
    amendments: int
    ledger_seq: int | None


class ApplicantExplanation(BaseModel):
    applicant_id: str
    screening: ScreeningOutcome | None
    ranked: bool
    rank: int | None = None
    total: float | None = None
    component_scores: dict[str, float] = Field(default_factory=dict)
    passed: bool | None = None
    failed_cutoffs: list[str] = Field(default_factory=list)
    tie_broken_by: str | None = None
    shortlisted: bool = False
    explanation: str
    scores: list[ScoreInForce] = Field(default_factory=list)


class RecordDifference(BaseModel):
    """One place where the record disagrees with the recomputation."""

    kind: Literal[
        "score", "scheme", "ranking_digest", "ranking", "proposed", "component", "recompute"
    ]
    where: str
    detail: str


class PublishedCheck(BaseModel):
    """One published list and how it compares; ``matches`` is None when it was superseded."""

    what: str
    announcement: str | None
    ledger_seq: int | None
    digest: str | None
    recomputed_digest: str | None
    matches: bool | None
    note: str | None = None


class SelectionStageDecision(BaseModel):
    seq: int
    entry_id: str
    kind: str
    actor: Actor
    at: datetime
    justification: str | None
    stage_before: str | None
    stage_after: str | None
    payload: dict[str, Any]


class SelectionOutcome(BaseModel):
    status: str
    stage: str
    appointee_id: str | None = None
    reason: str | None = None


class SelectionExplanation(BaseModel):
    process_id: str
    process_kind: Literal["selection"] = "selection"
    agency: str | None
    rulebook_version: str | None
    scheme: ScoringScheme | None
    scheme_source: Literal["ledger", "read_model"] | None
    applicants: list[ApplicantExplanation]
    published_matches: bool
    scores_match_ledger: bool
    first_difference: str | None
    differences: list[RecordDifference]
    checks: list[PublishedCheck]
    stage_decisions: list[SelectionStageDecision]
    refused_attempts: int
    outcome: SelectionOutcome
    ledger: LedgerCheck
