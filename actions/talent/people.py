"""The per-person writes of a talent review: the committee's declarations, calibration moves and
answers, and an employee's objection. Each is one SQL transaction that checks its gate under the
review's lock and appends its own ledger entry (``store.talent``)."""

from __future__ import annotations

from actions.pipeline import Action, Attempt
from actions.schemas.talent import (
    AnswerIn,
    DeclarationIn,
    DeclarationRead,
    MoveIn,
    ObjectionIn,
    ObjectionRead,
    PersonRead,
)
from actions.talent.common import (
    objection_read,
    person_read,
    stamp,
    visible,
)
from domain.processes import ProcessKind
from store.talent import objections, people

KIND = ProcessKind.TALENT_REVIEW


async def _declare(a: Attempt[DeclarationIn]) -> DeclarationRead:
    s, pid = stamp(a), a.target.process_id
    row = await a.services.writer.run(
        lambda session: people.declare(
            session, pid, conflicted=a.body.conflicted, reason=a.body.reason, stamp=s
        )
    )
    return DeclarationRead(
        member_id=row.member_id,
        conflicted=list(row.conflicted),
        reason=row.reason,
        declared_at=row.declared_at,
    )


DECLARE = Action(
    name="talent_review.declare",
    kind=KIND,
    refused="talent_review.declaration_refused",
    body=DeclarationIn,
    result=DeclarationRead,
    visible=visible,
    execute=_declare,
    summary="Declare your conflicts of interest with people of the review (or none)",
)


async def _move(a: Attempt[MoveIn]) -> PersonRead:
    b, s, pid = a.body, stamp(a), a.target.process_id
    row = await a.services.writer.run(
        lambda session: people.calibrate(
            session, pid, b.nip, to_box=b.box, justification=b.justification, stamp=s
        )
    )
    return person_read(row, None)


CALIBRATE = Action(
    name="talent_review.calibrate",
    kind=KIND,
    refused="talent_review.calibration_refused",
    body=MoveIn,
    result=PersonRead,
    visible=visible,
    execute=_move,
    subject=lambda b: b.nip,
    summary="Move a person to another box at calibration, with a justification",
)


async def _object(a: Attempt[ObjectionIn]) -> ObjectionRead:
    s, pid = stamp(a), a.target.process_id
    row = await a.services.writer.run(
        lambda session: objections.file(session, pid, grounds=a.body.grounds, stamp=s)
    )
    return objection_read(row)


OBJECT = Action(
    name="talent_review.object",
    kind=KIND,
    refused="talent_review.objection_refused",
    body=ObjectionIn,
    result=ObjectionRead,
    visible=visible,
    execute=_object,
    summary="Object to your own published box while the objection window is open",
)


async def _answer(a: Attempt[AnswerIn]) -> ObjectionRead:
    b, s, pid = a.body, stamp(a), a.target.process_id
    row = await a.services.writer.run(
        lambda session: objections.answer(
            session,
            pid,
            b.nip,
            uphold=b.uphold,
            new_box=b.box,
            reason=b.justification,
            stamp=s,
        )
    )
    return objection_read(row)


ANSWER = Action(
    name="talent_review.answer",
    kind=KIND,
    refused="talent_review.answer_refused",
    body=AnswerIn,
    result=ObjectionRead,
    visible=visible,
    execute=_answer,
    subject=lambda b: b.nip,
    summary="Answer an objection: uphold it with the new box, or reject it; always say why",
)
