"""The appointing authority's acts: choosing one of the shortlist, or cancelling the selection.

Both need the role ``appointing_authority`` and the identity named when the selection started,
together (``authorize``, and again in the workflow's validator).
"""

from __future__ import annotations

from actions.pipeline import Action, Attempt
from actions.schemas.selections import AppointmentCreate, CancelCreate, SelectionRead
from actions.selections.common import authority_only, update, visible
from domain.processes import ProcessKind
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import AppointInput, CancelInput


async def _appoint(a: Attempt[AppointmentCreate]) -> SelectionRead:
    arg = AppointInput(actor=a.actor, applicant_id=a.body.applicant_id, reason=a.body.reason)
    return await update(a, OpenSelectionWorkflow.appoint, arg)


APPOINT = Action(
    name="selection.appoint",
    kind=ProcessKind.SELECTION,
    refused="selection.appointment_refused",
    body=AppointmentCreate,
    result=SelectionRead,
    visible=visible,
    authorize=authority_only,
    execute=_appoint,
    subject=lambda b: b.applicant_id,
    summary="The appointing authority picks one of the shortlisted names, with a reason",
)


async def _cancel(a: Attempt[CancelCreate]) -> SelectionRead:
    arg = CancelInput(actor=a.actor, reason=a.body.reason)
    return await update(a, OpenSelectionWorkflow.cancel, arg)


CANCEL = Action(
    name="selection.cancel",
    kind=ProcessKind.SELECTION,
    refused="selection.cancel_refused",
    body=CancelCreate,
    result=SelectionRead,
    visible=visible,
    authorize=authority_only,
    execute=_cancel,
    summary="The appointing authority cancels the selection, with a reason",
)
