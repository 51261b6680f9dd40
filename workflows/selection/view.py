"""Who the selection waits for at each stage: everyone, as the read model lists it
(``waiting_for``), and the one step an update's answer names as pending (``next_step``).

Pure functions of the workflow's state, kept apart so the state module stays about state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.enums import Role
    from domain.selection.panel import PanelMember
    from domain.selection.seats import COMMITTEE, SECRETARIAT
    from domain.selection.stages import Stage
    from workflows.contracts import NextStep
    from workflows.selection_contracts import StartSelection

AGENCY_HR = Role.AGENCY_HR.value
REVIEWER = Role.REVIEWER.value


def waiting_for(
    stage: Stage,
    inp: StartSelection,
    *,
    panel: Sequence[PanelMember],
    announced: bool,
    closes_at: datetime | None,
    review_id: str | None,
    open_components: Sequence[str],
    scorers: Mapping[str, Sequence[str]],
    voters: Sequence[str],
) -> list[dict[str, Any]]:
    """``{"who", "what", "due_at"?}`` for everyone the selection waits for at ``stage``."""
    if stage is Stage.PLANNING:
        return [{"who": AGENCY_HR, "what": "set the panel and scheme, then submit the plan"}]
    if stage in (Stage.PLAN_REVIEW, Stage.OVERSIGHT_REVIEW):
        return [{"who": inp.oversight_body, "what": f"review {review_id}"}]
    if stage is Stage.ANNOUNCEMENT:
        what = "registration opens" if announced else "announce the vacancy"
        return [{"who": AGENCY_HR, "what": what}]
    if stage is Stage.REGISTRATION:
        due = closes_at.isoformat() if closes_at else None
        return [{"who": "applicants", "what": "register", "due_at": due}]
    if stage is Stage.SCREENING:
        secretariat = [m.id for m in panel if m.role in SECRETARIAT]
        return [{"who": w, "what": "decide screening and close it"} for w in secretariat]
    if stage is Stage.ASSESSMENT:
        return [
            {"who": s, "what": f"score {code}"}
            for code in open_components
            for s in scorers.get(code, [])
        ]
    if stage is Stage.SHORTLIST:
        return [{"who": m, "what": "vote in the plenary"} for m in voters]
    if stage is Stage.APPOINTMENT:
        return [{"who": inp.appointing_authority_id, "what": "appoint one of the shortlist"}]
    return []


def next_step(
    stage: Stage,
    inp: StartSelection,
    *,
    panel: Sequence[PanelMember],
    scheme_set: bool,
    opens_at: datetime | None,
    closes_at: datetime | None,
    review_id: str | None,
    voters_left: Sequence[str],
) -> NextStep | None:
    """The step the selection waits for at ``stage``: the action that moves it on (or, for the
    plenary, the votes still missing), who takes it and by when; None once it has ended."""
    secretariat = [m.id for m in panel if m.role in SECRETARIAT]
    if stage is Stage.PLANNING:
        step = "submit_plan" if panel and scheme_set else "set_scheme" if panel else "set_panel"
        return NextStep(step=step, role=AGENCY_HR)
    if stage in (Stage.PLAN_REVIEW, Stage.OVERSIGHT_REVIEW):
        step = "plan_review" if stage is Stage.PLAN_REVIEW else "shortlist_review"
        return NextStep(step=step, role=REVIEWER, review_id=review_id)
    if stage is Stage.ANNOUNCEMENT:
        if opens_at is None:
            return NextStep(step="announce", role=AGENCY_HR)
        return NextStep(step="registration_opens", role="system", due_at=opens_at)
    if stage is Stage.REGISTRATION:
        return NextStep(step="register_applicant", role=AGENCY_HR, due_at=closes_at)
    if stage is Stage.SCREENING:
        return NextStep(step="close_screening", role=COMMITTEE, actors=secretariat)
    if stage is Stage.ASSESSMENT:
        return NextStep(step="close_component", role=COMMITTEE, actors=secretariat)
    if stage is Stage.SHORTLIST:
        if voters_left:
            return NextStep(step="plenary_vote", role=COMMITTEE, actors=list(voters_left))
        return NextStep(step="close_plenary", role=COMMITTEE, actors=secretariat)
    if stage is Stage.APPOINTMENT:
        authority = inp.appointing_authority_id
        return NextStep(step="appoint", role=Role.APPOINTING_AUTHORITY.value, actors=[authority])
    return None
