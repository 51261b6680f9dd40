"""The activities that close a selection's stage count and move the gate in one transaction, and
never write the stage: that column is the workflow's, written with its recorded view."""

from __future__ import annotations

from datetime import date, timedelta

from activities.selection_contracts import CloseRegistration, ScreeningGate
from activities.selections import SelectionActivities
from domain.errors import WrongStage
from store import selections as sel
from tests.helpers.selection_store import (
    CLOSES_AT,
    HR,
    RB,
    Sessions,
    decide,
    make_selection,
    nip,
    profile,
    refused,
    register,
    run,
    set_view,
    stamp,
)
from tests.helpers.selection_store import db as db  # noqa: F401  (a fixture)


def closing(pid: str, extensions: int = 0) -> CloseRegistration:
    return CloseRegistration(
        process_id=pid,
        rulebook_version=RB.version,
        extensions=extensions,
        closes=date(2027, 3, 20),
        extended_closes_at=CLOSES_AT + timedelta(days=7),
        closes_at=CLOSES_AT,
    )


async def test_too_few_at_closing_extends_the_window_and_leaves_the_stage(db: Sessions) -> None:
    x = await make_selection(db)
    for i in range(3):
        await register(db, x, profile(f"A-{i}", nip(i)))
    acts = SelectionActivities(db)
    result = await acts.close_registration(closing(x.pid))
    assert (result.applicants, result.decision) == (3, "extend")
    row = await run(db, sel.get, x.pid)
    assert (row.stage, row.extensions, row.registration_closes_at) == (
        "registration",
        1,
        CLOSES_AT + timedelta(days=7),
    )
    # Registrations come in again; a retry of the same close answers as the first did.
    await register(db, x, profile("A-9", nip(9)), now=CLOSES_AT + timedelta(days=1))
    again = await acts.close_registration(closing(x.pid))
    assert (again.applicants, again.decision) == (3, "extend")


async def test_enough_at_closing_shuts_registration_without_moving_the_stage(
    db: Sessions,
) -> None:
    x = await make_selection(db)
    for i in range(4):
        await register(db, x, profile(f"A-{i}", nip(i)))
    result = await SelectionActivities(db).close_registration(closing(x.pid))
    assert (result.applicants, result.decision) == (4, "proceed")
    row = await run(db, sel.get, x.pid)
    assert (row.stage, row.registration_counted_at) == ("registration", CLOSES_AT)
    err = await refused(
        db, sel.register_applicant, x.pid, profile("LATE"), source="api", stamp=stamp(x.pid, HR)
    )
    assert (type(err), err.code) == (WrongStage, "registration_closed")


async def test_closing_screening_opens_the_components_and_shuts_decisions(db: Sessions) -> None:
    x = await make_selection(db)
    await register(db, x, profile("OK", nip(1)))
    await set_view(db, x, stage="screening", components={"written": "pending"})
    acts = SelectionActivities(db)
    gate = ScreeningGate(process_id=x.pid, components={"written": "open"}, stage="assessment")
    assert (await acts.close_screening(gate)).undecided == ["OK"]
    assert (await run(db, sel.get, x.pid)).components == {"written": "pending"}
    await decide(db, x, "OK", True, "Diperiksa langsung oleh panitia seleksi.")
    tally = await acts.close_screening(gate)
    assert (tally.applicants, tally.eligible, tally.undecided) == (1, 1, [])
    row = await run(db, sel.get, x.pid)
    assert (row.stage, row.components, row.eligible) == ("screening", {"written": "open"}, 1)
    err = await refused(
        db,
        sel.decide_screening,
        x.pid,
        "OK",
        eligible=False,
        justification="Terlambat, setelah penutupan.",
        stamp=stamp(x.pid, x.actor(x.chair)),
    )
    assert (type(err), err.code) == (WrongStage, "wrong_stage")
