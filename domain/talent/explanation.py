"""Why someone is in their box, and why a talent review or a talent appointment ended as it did.

The person's explanation is built when the boxes are published and kept with the person: which
numbers (each part of each axis, where its points came from), which rule (the rulebook's formula,
thresholds and box table, with its version and source), and what the committee did (a calibration
move with its justification; an objection and its answer).

The process explanations read the ledger alone (plus the rows a review keeps per person, checked
against the digest the ledger bound), so they stand after Temporal has deleted the history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.ledger import canonical_json
from domain.talent.rulebook import TalentRulebook
from domain.talent.scoring import Scored, rule_sentence
from domain.talent.why import filled, why_sentences

KIND_LABELS = {
    "talent_review.started": "started",
    "talent_review.data_cut_off": "data cut-off",
    "talent_review.scored": "axis scores and boxes computed",
    "talent_review.calibration_closed": "calibration closed",
    "talent_review.published": "boxes published",
    "talent_review.objection_window_closed": "objection window closed",
    "talent_review.pool_established": "talent pool established",
    "talent_review.succession_refreshed": "succession plans refreshed",
    "talent_review.cancelled": "cancelled",
    "talent_review.failed": "failed",
    "talent.calibrated": "calibration move",
    "talent.conflicts_declared": "conflicts declared",
    "talent.objection_filed": "objection filed",
    "talent.objection_answered": "objection answered",
}


def person_explanation(
    scored: Scored,
    rb: TalentRulebook,
    *,
    final_box: int,
    calibration: Mapping[str, Any] | None = None,
    objection: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The explanation a person (and an auditor) reads for one box."""
    why = filled(
        why_sentences(
            rb,
            performance=scored.performance,
            performance_level=scored.performance_level,
            potential=scored.potential,
            potential_level=scored.potential_level,
            computed_box=scored.box,
            final_box=final_box,
            calibration=calibration,
            objection=objection,
        )
    )
    in_pool = final_box in rb.pool_boxes
    return {
        "box": final_box,
        "computed_box": scored.box,
        "in_pool": in_pool,
        "performance": scored.performance,
        "potential": scored.potential,
        "talent_score": scored.talent_score,
        "levels": {"performance": scored.performance_level, "potential": scored.potential_level},
        "parts": [p.model_dump() for p in scored.parts],
        "rule": rule_sentence(rb),
        "rulebook": rb.version,
        "sources": {k: rb.sources[k] for k in ("formula", "levels", "boxes", "pool_boxes")},
        "calibration": dict(calibration) if calibration else None,
        "objection": dict(objection) if objection else None,
        "why": why,
    }


def digest(rows: Sequence[Mapping[str, Any]]) -> str:
    """sha-256 of a list of per-person rows (in the order given): the ledger binds lists by it."""
    return hashlib.sha256(canonical_json([dict(r) for r in rows])).hexdigest()


class Step(BaseModel):
    seq: int
    kind: str
    label: str
    outcome: str
    actor_id: str
    actor_role: str
    subject: str | None = None
    justification: str | None = None
    stage_after: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    occurred_at: Any = None


class DigestCheck(BaseModel):
    what: str
    bound: str | None
    recomputed: str
    ok: bool


class TalentExplanation(BaseModel):
    """A talent review or a talent appointment, as its ledger (and, for a review, its rows) tell."""

    process_id: str
    process_kind: Literal["talent_review", "talent_appointment"]
    stage: str | None
    outcome: str
    ledger: Any
    steps: list[Step]
    refusals: list[Step]
    decision: dict[str, Any] | None = None
    counts: dict[str, Any] = Field(default_factory=dict)
    digests: list[DigestCheck] = Field(default_factory=list)


def _step(row: Mapping[str, Any]) -> Step:
    return Step(
        seq=int(row["seq"]),
        kind=str(row["kind"]),
        label=KIND_LABELS.get(str(row["kind"]), str(row["kind"])),
        outcome=str(row["outcome"]),
        actor_id=str(row["actor_id"]),
        actor_role=str(row["actor_role"]),
        subject=row.get("subject"),
        justification=row.get("justification"),
        stage_after=row.get("stage_after"),
        payload=dict(row.get("payload") or {}),
        occurred_at=row.get("occurred_at"),
    )


def explain(
    process_id: str,
    kind: Literal["talent_review", "talent_appointment"],
    rows: Sequence[Mapping[str, Any]],
    *,
    ledger: Any,
    pool: Sequence[Mapping[str, Any]] | None = None,
) -> TalentExplanation:
    """``rows``: the process's ledger in chain order; ``pool``: for a review, its final pool rows
    (nip, box) as stored, checked against the digest of ``talent_review.pool_established``."""
    accepted = [_step(r) for r in rows if r["outcome"] == "accepted"]
    refused = [_step(r) for r in rows if r["outcome"] != "accepted"]
    last = accepted[-1] if accepted else None
    decision = next((s.payload.get("decision") for s in accepted if "decision" in s.payload), None)
    counts: dict[str, Any] = {}
    for s in accepted:
        counts.update({k: v for k, v in s.payload.items() if k in _COUNT_KEYS})
    counts["calibration_moves"] = sum(s.kind == "talent.calibrated" for s in accepted)
    answers = [s for s in accepted if s.kind == "talent.objection_answered"]
    counts["objections_upheld"] = sum(s.payload.get("upheld") is True for s in answers)
    counts["objections_rejected"] = sum(s.payload.get("upheld") is False for s in answers)
    digests = []
    bound = next(
        (s.payload.get("digest") for s in accepted if s.kind == "talent_review.pool_established"),
        None,
    )
    if pool is not None and bound is not None:  # no pool established yet: nothing to check
        recomputed = digest(pool)
        digests.append(
            DigestCheck(
                what="talent pool", bound=bound, recomputed=recomputed, ok=bound == recomputed
            )
        )
    return TalentExplanation(
        process_id=process_id,
        process_kind=kind,
        stage=last.stage_after if last else None,
        outcome=last.label if last else "not started",
        ledger=ledger,
        steps=accepted,
        refusals=refused,
        decision=decision,
        counts=counts,
        digests=digests,
    )


_COUNT_KEYS = frozenset(
    {
        "read",
        "included",
        "excluded",
        "excluded_by_reason",
        "row_errors",
        "scored",
        "boxes",
        "published",
        "objections",
        "pool",
        "plans_changed",
        "posts",
    }
)
