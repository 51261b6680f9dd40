"""What a talent review writes with its ledger entries, built from its input and state.

Pure functions of workflow state (no commands), kept apart from the workflow's decisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.talent import committee
from domain.talent.committee import Stage
from domain.talent.rulebook import TalentRulebook
from workflows.talent_contracts import StartTalentReview


def start_payload(inp: StartTalentReview, rb: TalentRulebook) -> dict[str, Any]:
    """The ``talent_review.started`` entry: the population, the committee, the pinned rule."""
    return {
        "agency": inp.agency,
        "code": inp.code,
        "title": inp.title,
        "population": inp.population.model_dump(mode="json"),
        "cutoff_date": inp.cutoff_date.isoformat(),
        "committee": [m.model_dump(mode="json") for m in inp.committee],
        "rulebook": rb.version,
        "formula_source": rb.sources["formula"],
        "boxes_source": rb.sources["boxes"],
    }


def waiting_for(
    stage: Stage, inp: StartTalentReview, closes_at: datetime | None
) -> list[dict[str, Any]]:
    """Who the review waits for at ``stage`` (the read model's, for inboxes and pages)."""
    secretariat = [m.id for m in inp.committee if m.seat in committee.SECRETARIAT]
    if stage is Stage.CALIBRATION:
        what = "calibrate, then close calibration"
        return [{"who": "talent_committee", "what": what, "ids": secretariat}]
    if stage is Stage.OBJECTION:
        until = closes_at.isoformat() if closes_at else None
        return [{"who": "employee", "what": "object to their box", "until": until}]
    if stage is Stage.ANSWERING:
        what = "answer every objection, then establish the pool"
        return [{"who": "talent_committee", "what": what, "ids": secretariat}]
    return []
