"""Why a promotion stands where it stands, from the ledger (and the read model) alone.

Nothing here asks Temporal: an explanation must still be given years after the workflow's history
was deleted. The ledger is the source; the read model fills in what the ledger does not carry
(the current pending step) and stands in for the eligibility when no assessment entry exists.
Rows are ledger entries as ``store.ledger.entry_to_dict`` gives them, in chain order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from domain.eligibility import EligibilityResult
from domain.ledger import Actor

# A step is decided by a person (decision), by a deadline (auto_approved), or by a third-party
# review whose own ledger holds its verdicts (review_concluded, with the review's id).
DECISION_KINDS = frozenset(
    {"promotion.decision", "promotion.auto_approved", "promotion.review_concluded"}
)
NOTICE_KINDS = frozenset(
    {"promotion.reminder_sent", "promotion.escalated", "promotion.review_requested"}
)
ELIGIBILITY_KIND = "promotion.eligibility_assessed"
START_KIND = "promotion.started"


class StepDecision(BaseModel):
    """One decision on one step of the approval chain, as the ledger recorded it."""

    seq: int
    entry_id: str
    step: str | None
    decision: str | None
    actor: Actor
    justification: str | None
    decided_at: datetime
    recorded_at: datetime
    automatic: bool
    rule: str | None = None
    corrections: list[str]
    decree: dict[str, Any] | None = None
    review_id: str | None = None
    stage_before: str | None
    stage_after: str | None


class Notice(BaseModel):
    """A reminder or an escalation the deadline timers produced, or a review being requested."""

    seq: int
    kind: str
    step: str | None
    at: datetime
    escalated_to: str | None = None
    review_id: str | None = None


class Outcome(BaseModel):
    status: str
    stage: str
    reason: str | None = None
    decree: dict[str, Any] | None = None
    pending_step: str | None = None


class LedgerCheck(BaseModel):
    entries: int
    verified: bool
    problem: str | None = None


class PromotionExplanation(BaseModel):
    process_id: str
    process_kind: Literal["promotion"] = "promotion"
    nip: str | None
    agency: str | None
    period: date | None
    promotion_type: str | None
    rulebook_version: str | None
    eligibility: EligibilityResult | None
    eligibility_source: Literal["ledger", "read_model"] | None
    steps: list[StepDecision]
    notices: list[Notice]
    refused_attempts: int
    outcome: Outcome
    ledger: LedgerCheck


def _eligibility(
    rows: Sequence[Mapping[str, Any]], view: Mapping[str, Any] | None
) -> tuple[EligibilityResult | None, Literal["ledger", "read_model"] | None]:
    for row in reversed(rows):
        if row["kind"] == ELIGIBILITY_KIND and row["outcome"] == "accepted":
            try:
                return EligibilityResult.model_validate(row["payload"]["eligibility"]), "ledger"
            except (KeyError, TypeError, ValidationError):
                break
    if view and view.get("eligibility"):
        try:
            return EligibilityResult.model_validate(view["eligibility"]), "read_model"
        except ValidationError:
            return None, None
    return None, None


def _actor(row: Mapping[str, Any]) -> Actor:
    return Actor(
        id=row["actor_id"],
        role=row["actor_role"],
        agency=row.get("actor_agency"),
        on_behalf_of=row.get("on_behalf_of"),
    )


def _step(row: Mapping[str, Any]) -> StepDecision:
    payload = row.get("payload") or {}
    return StepDecision(
        seq=row["seq"],
        entry_id=row["entry_id"],
        step=payload.get("step"),
        decision=payload.get("decision"),
        actor=_actor(row),
        justification=row.get("justification"),
        decided_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        automatic=bool(payload.get("automatic")) or row["actor_role"] == "system",
        rule=payload.get("rule"),
        corrections=list(payload.get("corrections") or []),
        decree=payload.get("decree"),
        review_id=payload.get("review_id"),
        stage_before=row.get("stage_before"),
        stage_after=row.get("stage_after"),
    )


def _notice(row: Mapping[str, Any]) -> Notice:
    payload = row.get("payload") or {}
    return Notice(
        seq=row["seq"],
        kind=row["kind"],
        step=payload.get("step") or row.get("stage_after"),
        at=row["occurred_at"],
        escalated_to=payload.get("escalated_to"),
        review_id=payload.get("review_id"),
    )


def _outcome(rows: Sequence[Mapping[str, Any]], view: Mapping[str, Any] | None) -> Outcome:
    if view is not None:
        return Outcome(
            status=view["status"],
            stage=view["stage"],
            reason=view.get("outcome_reason"),
            decree=view.get("decree"),
            pending_step=view.get("pending_step"),
        )
    accepted = [r for r in rows if r["outcome"] == "accepted"]
    if not accepted:
        return Outcome(status="not_started", stage="not_started")
    last = accepted[-1]
    stage = str(last.get("stage_after") or "unknown")
    decree = next(
        (r["payload"]["decree"] for r in reversed(accepted) if "decree" in (r["payload"] or {})),
        None,
    )
    return Outcome(
        status=stage, stage=stage, reason=(last["payload"] or {}).get("reason"), decree=decree
    )


def _start_facts(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    for row in rows:
        if row["kind"] == START_KIND and row["outcome"] == "accepted":
            payload: Mapping[str, Any] = row.get("payload") or {}
            return payload
    return {}


def explain_promotion(
    process_id: str,
    rows: Sequence[Mapping[str, Any]],
    view: Mapping[str, Any] | None,
    ledger: LedgerCheck,
) -> PromotionExplanation:
    """Explain a promotion from its ledger ``rows`` and its read model ``view`` (may be missing)."""
    eligibility, source = _eligibility(rows, view)
    accepted = [r for r in rows if r["outcome"] == "accepted"]
    start = _start_facts(rows)
    first = rows[0] if rows else {}
    period = (view or {}).get("period") or start.get("period")
    return PromotionExplanation(
        process_id=process_id,
        nip=(view or {}).get("nip") or first.get("subject"),
        agency=(view or {}).get("agency") or first.get("agency"),
        period=period,
        promotion_type=(view or {}).get("promotion_type") or start.get("promotion_type"),
        rulebook_version=(view or {}).get("rulebook_version") or first.get("rulebook_version"),
        eligibility=eligibility,
        eligibility_source=source,
        steps=[_step(r) for r in accepted if r["kind"] in DECISION_KINDS],
        notices=[_notice(r) for r in accepted if r["kind"] in NOTICE_KINDS],
        refused_attempts=sum(1 for r in rows if r["outcome"] == "refused"),
        outcome=_outcome(rows, view),
        ledger=ledger,
    )
