"""Administrative screening: a panel member's decision on each applicant, and closing screening."""

from __future__ import annotations

from actions.pipeline import Action, Attempt
from actions.schemas.selections import ApplicantRead, NoteBody, ScreeningDecisionIn, SelectionRead
from actions.selections.common import stamp, update, visible, write
from actions.selections.registration import applicant_read
from domain.processes import ProcessKind
from store import selections
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import ActorInput


async def _decide(a: Attempt[ScreeningDecisionIn]) -> ApplicantRead:
    b, pid, s = a.body, a.target.process_id, stamp(a)
    row = await write(
        a,
        lambda session: selections.decide_screening(
            session,
            pid,
            b.applicant_id,
            eligible=b.eligible,
            justification=b.justification,
            stamp=s,
        ),
    )
    return applicant_read(row)


DECIDE = Action(
    name="selection.decide_screening",
    kind=ProcessKind.SELECTION,
    refused="selection.screening_refused",
    body=ScreeningDecisionIn,
    result=ApplicantRead,
    visible=visible,
    execute=_decide,
    subject=lambda b: b.applicant_id,
    summary="Confirm or override one applicant's automatic pre-check (override: justify it)",
)


async def _close(a: Attempt[NoteBody]) -> SelectionRead:
    arg = ActorInput(actor=a.actor, note=a.body.note)
    return await update(a, OpenSelectionWorkflow.close_screening, arg)


CLOSE_SCREENING = Action(
    name="selection.close_screening",
    kind=ProcessKind.SELECTION,
    refused="selection.screening_close_refused",
    body=NoteBody,
    result=SelectionRead,
    visible=visible,
    execute=_close,
    summary="Close screening (chair or secretary) once every applicant is decided",
)
