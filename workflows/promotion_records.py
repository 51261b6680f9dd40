"""What a promotion writes with each ledger entry, built from its input, rulebook and state.

Pure functions (no commands), kept apart from the workflow's decisions.
"""

from __future__ import annotations

from typing import Any

from activities.contracts import PromotionIdentity, PromotionViewData
from domain.rulebook import Rulebook
from workflows.contracts import PromotionState, StartPromotion


def promotion_view(state: PromotionState, *, eligibility: bool = True) -> PromotionViewData:
    """The read-model row as of ``state``; without the eligibility unless ``eligibility`` (it is
    assessed once and never changes: only the entry that assesses it needs to carry it, and a
    view without it leaves the row's as written)."""
    p = state.pending
    return PromotionViewData(
        status=state.status.value,
        stage=state.stage,
        pending_step=p.step.value if p else None,
        pending_role=p.role if p else None,
        pending_actor_id=p.actor_id if p else None,
        escalated_to_role=p.escalated_to if p else None,
        reminder_at=p.reminder_at if p else None,
        due_at=p.due_at if p else None,
        auto_approve_at=p.auto_approve_at if p else None,
        pending_review_id=p.review_id if p else None,
        eligibility=(
            state.eligibility.model_dump(mode="json") if state.eligibility and eligibility else None
        ),
        decree=state.decree.model_dump(mode="json") if state.decree else None,
        last_decision=state.last_decision,
        return_count=state.return_count,
        outcome_reason=state.outcome_reason,
    )


def identity(inp: StartPromotion, rb: Rulebook) -> PromotionIdentity:
    return PromotionIdentity(
        nip=inp.nip,
        agency=inp.agency,
        period=inp.period,
        promotion_type=inp.promotion_type.value,
        rulebook_version=rb.version,
    )


def start_payload(inp: StartPromotion, rb: Rulebook) -> dict[str, Any]:
    return {
        "nip": inp.nip,
        "period": inp.period.isoformat(),
        "promotion_type": inp.promotion_type.value,
        "rulebook": rb.version,
    }
