"""Assessment: scorers declare conflicts, score (blind, locked once given), read each other's
scores once they scored, and the chair or secretary closes each component."""

from __future__ import annotations

import re

from actions.pipeline import Action, Attempt
from actions.schemas.selections import (
    ComponentClose,
    DeclarationCreate,
    DeclarationRead,
    ScoreIn,
    ScoreList,
    ScoreRead,
    ScoresQuery,
    SelectionRead,
)
from actions.selections.common import (
    stamp,
    update,
    visible,
    write,
)
from domain.errors import NotFound
from domain.processes import ProcessKind
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.scoring import check_score
from store import selections
from store.selection_models import SelectionScore
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import ComponentInput

COMPONENT_CODE = re.compile(r"^[a-z_]{2,32}$")


def score_read(x: SelectionScore) -> ScoreRead:
    return ScoreRead(
        component=x.component,
        applicant_id=x.applicant_id,
        scorer_id=x.scorer_id,
        score=x.score,
        submitted_at=x.submitted_at,
        amendments=x.amendments or 0,
        amended_at=x.amended_at,
    )


async def _declare(a: Attempt[DeclarationCreate]) -> DeclarationRead:
    b, pid, s = a.body, a.target.process_id, stamp(a)
    row = await write(
        a,
        lambda session: selections.declare(
            session, pid, conflicted=b.conflicted, reason=b.reason, stamp=s
        ),
    )
    return DeclarationRead(process_id=pid, scorer_id=a.actor.id, conflicted=list(row.conflicted))


DECLARE = Action(
    name="selection.declare",
    kind=ProcessKind.SELECTION,
    refused="selection.declaration_refused",
    body=DeclarationCreate,
    result=DeclarationRead,
    visible=visible,
    execute=_declare,
    summary="A scorer declares conflicts of interest (before scoring); later ones only add",
)


def _check_score(a: Attempt[ScoreIn]) -> None:
    """The scale only: pass/fail components are the store's to check, with the scheme it holds."""
    check_score(a.body.score, None, get_selection_rulebook(a.target.row.rulebook_version))


async def _score(a: Attempt[ScoreIn]) -> ScoreRead:
    b, pid, s = a.body, a.target.process_id, stamp(a)
    row = await write(
        a,
        lambda session: selections.submit_score(
            session,
            pid,
            component=b.component,
            applicant_id=b.applicant_id,
            score=b.score,
            justification=b.justification,
            stamp=s,
        ),
    )
    return score_read(row)


SCORE = Action(
    name="selection.submit_score",
    kind=ProcessKind.SELECTION,
    refused="selection.score_refused",
    body=ScoreIn,
    result=ScoreRead,
    visible=visible,
    precheck=_check_score,
    execute=_score,
    subject=lambda b: b.applicant_id,
    summary="Submit one score; a submitted score is locked, an amendment needs a justification",
)


async def _read_scores(a: Attempt[ScoresQuery]) -> ScoreList:
    b, pid = a.body, a.target.process_id
    async with a.services.sessions() as session:
        rows = await selections.read_scores(
            session, pid, component=b.component, applicant_id=b.applicant_id, reader_id=a.actor.id
        )
    items = [score_read(x) for x in rows]
    return ScoreList(component=b.component, applicant_id=b.applicant_id, items=items)


READ_SCORES = Action(
    name="selection.read_scores",
    kind=ProcessKind.SELECTION,
    refused="selection.scores_read_refused",
    body=ScoresQuery,
    result=ScoreList,
    visible=visible,
    execute=_read_scores,
    subject=lambda b: b.applicant_id,
    summary="Scores for one applicant: blind until you scored them, or the component closed",
)


def _check_code(a: Attempt[ComponentClose]) -> None:
    if not COMPONENT_CODE.fullmatch(a.body.component):
        raise NotFound(f"{a.body.component!r} is not a component code.", code="unknown_component")


async def _close_component(a: Attempt[ComponentClose]) -> SelectionRead:
    arg = ComponentInput(actor=a.actor, component=a.body.component)
    return await update(a, OpenSelectionWorkflow.close_component, arg)


CLOSE_COMPONENT = Action(
    name="selection.close_component",
    kind=ProcessKind.SELECTION,
    refused="selection.component_close_refused",
    body=ComponentClose,
    result=SelectionRead,
    visible=visible,
    precheck=_check_code,
    execute=_close_component,
    summary="Close a component (chair or secretary) once every score is in; publishes its ranking",
)
