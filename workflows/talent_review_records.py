"""What a talent review writes with its ledger entries and answers to its updates, built from its
input and state.

Pure functions of workflow state (no commands), kept apart from the workflow's decisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.enums import Role
from domain.talent import committee
from domain.talent.committee import Stage
from domain.talent.rulebook import TalentRulebook
from workflows.contracts import NextStep
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


def next_step(stage: Stage, inp: StartTalentReview, closes_at: datetime | None) -> NextStep | None:
    """The step the review waits for at ``stage`` (an update's answer names it as pending): the
    action that moves it on, who takes it and by when; None once it has ended."""
    secretariat = [m.id for m in inp.committee if m.seat in committee.SECRETARIAT]
    if stage is Stage.CUTOFF:
        return NextStep(step="cutoff", role="system")
    if stage is Stage.CALIBRATION:
        return NextStep(step="close_calibration", role=committee.COMMITTEE_ROLE, actors=secretariat)
    if stage is Stage.OBJECTION:
        return NextStep(step="object", role=Role.EMPLOYEE.value, due_at=closes_at)
    if stage is Stage.ANSWERING:
        return NextStep(step="finalize", role=committee.COMMITTEE_ROLE, actors=secretariat)
    return None
