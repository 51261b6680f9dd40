"""The panel's plenary on the proposed shortlist: members vote, the chair or secretary closes it."""

from __future__ import annotations

from actions.pipeline import Action, Attempt
from actions.schemas.selections import NoteBody, SelectionRead, VoteCreate
from actions.selections.common import update, visible
from domain.processes import ProcessKind
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import ActorInput, VoteInput


async def _vote(a: Attempt[VoteCreate]) -> SelectionRead:
    arg = VoteInput(actor=a.actor, approve=a.body.approve, note=a.body.note)
    return await update(a, OpenSelectionWorkflow.plenary_vote, arg)


VOTE = Action(
    name="selection.plenary_vote",
    kind=ProcessKind.SELECTION,
    refused="selection.vote_refused",
    body=VoteCreate,
    result=SelectionRead,
    visible=visible,
    execute=_vote,
    summary="A panel member votes on the proposed shortlist",
)


async def _close(a: Attempt[NoteBody]) -> SelectionRead:
    arg = ActorInput(actor=a.actor, note=a.body.note)
    return await update(a, OpenSelectionWorkflow.close_plenary, arg)


CLOSE_PLENARY = Action(
    name="selection.close_plenary",
    kind=ProcessKind.SELECTION,
    refused="selection.plenary_close_refused",
    body=NoteBody,
    result=SelectionRead,
    visible=visible,
    execute=_close,
    summary="Close the plenary (chair or secretary); needs the rulebook's quorum",
)
