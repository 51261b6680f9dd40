"""The open selection's SQL layer, continued: screening decisions and conflict declarations (set-up
and rule as in tests/store/test_selections.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import DomainError, NotFound, NotPermitted, RuleViolation, WrongStage
from store import selections as sel
from tests.helpers.selection_store import (
    RB,
    Sessions,
    applicant_rows,
    at_screening,
    decide,
    declare,
    entries,
    make_selection,
    nip,
    profile,
    refused,
    register,
    run,
    screened_selection,
    set_view,
    stamp,
)
from tests.helpers.selection_store import (
    db as db,  # a fixture
)

# --- screening ------------------------------------------------------------------------------


async def test_precheck_records_every_applicant(db: Sessions) -> None:
    x = await make_selection(db)
    await register(db, x, profile("OK", nip(1)))
    await register(db, x, profile("OLD", nip(2), birth_date=date(1970, 3, 20)))  # 57 on 20 March
    await register(db, x, profile("D3", nip(3), degree="D3"))
    await register(db, x, profile("NEW", None, years_experience=4.5, sanction_active=True))
    result = await run(
        db, sel.precheck_all, x.pid, RB.requirements_for("pratama"), date(2027, 3, 20)
    )
    assert (result.applicants, result.eligible, result.ineligible) == (4, 1, 3)
    rows = {r.applicant_id: r for r in await applicant_rows(db, x.pid)}
    assert {a: r.auto_eligible for a, r in rows.items()} == {
        "OK": True,
        "OLD": False,
        "D3": False,
        "NEW": False,
    }
    unmet = {
        a: [r["code"] for r in row.auto_reasons or [] if not r["met"]] for a, row in rows.items()
    }
    assert unmet == {
        "OK": [],
        "OLD": ["age"],
        "D3": ["degree"],
        "NEW": ["years_experience", "disciplinary_sanction"],
    }
    assert len(rows["OK"].auto_reasons or []) == 6
    assert all(r.decision is None for r in rows.values())


@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("wrong_stage", WrongStage, "wrong_stage"),
        ("screening_closed", WrongStage, "wrong_stage"),
        ("not_panel_member", NotPermitted, "not_panel_member"),
        ("seat_without_its_role", NotPermitted, "wrong_role_for_seat"),
        ("unknown_applicant", NotFound, "applicant_not_found"),
        ("override_without_justification", RuleViolation, "justification_required"),
        ("override_with_a_short_one", RuleViolation, "justification_required"),
        ("override_towards_ineligible", RuleViolation, "justification_required"),
    ],
)
async def test_screening_decision_gate(
    db: Sessions, case: str, error: type[DomainError], code: str
) -> None:
    x = await at_screening(db)
    args: dict[str, Any] = {
        "applicant": "D3",
        "eligible": False,
        "justification": None,
        "who": x.actor(x.chair),
    }
    if case == "wrong_stage":
        await set_view(db, x, stage="assessment")
    elif case == "screening_closed":  # closing opened the components; the stage is not yet moved
        await set_view(db, x, components={"written": "open", "interview": "open"})
    elif case == "not_panel_member":
        args["who"] = x.actor("outsider")
    elif case == "seat_without_its_role":
        args["who"] = x.actor(x.chair, "auditor")
    elif case == "unknown_applicant":
        args["applicant"] = "NOBODY"
    elif case == "override_without_justification":
        args["eligible"] = True
    elif case == "override_with_a_short_one":
        args |= {"eligible": True, "justification": "  ok fine  "}
    elif case == "override_towards_ineligible":
        args |= {"applicant": "OK", "eligible": False}
    before = len(await entries(db, x.pid))
    err = await refused(
        db,
        sel.decide_screening,
        x.pid,
        args["applicant"],
        eligible=args["eligible"],
        justification=args["justification"],
        stamp=stamp(x.pid, args["who"]),
    )
    assert (type(err), err.code) == (error, code)
    assert len(await entries(db, x.pid)) == before
    assert all(r.decision is None for r in await applicant_rows(db, x.pid))


async def test_screening_decisions_and_the_tally(db: Sessions) -> None:
    x = await at_screening(db)
    tally = await run(db, sel.screening_tally, x.pid)
    assert (tally.applicants, tally.decided, tally.eligible, tally.undecided) == (
        2,
        0,
        0,
        ["D3", "OK"],
    )
    row = await decide(db, x, "OK", True)
    assert (row.decision, row.final_eligible, row.decided_by) == ("confirmed", True, x.chair)
    why = "Ijazah D3 plus S1 terbuka diakui setara oleh panitia."
    row = await decide(db, x, "D3", True, why)
    assert (row.decision, row.final_eligible, row.decision_justification) == (
        "overridden",
        True,
        why,
    )
    # A re-decision while screening is open: back to the pre-check's result, its own entry.
    row = await decide(db, x, "D3", False)
    assert (row.decision, row.final_eligible) == ("confirmed", False)
    decided = [e for e in await entries(db, x.pid) if e.kind == "screening.decided"]
    assert [(e.subject, e.payload["decision"], e.justification) for e in decided] == [
        ("OK", "confirmed", None),
        ("D3", "overridden", why),
        ("D3", "confirmed", None),
    ]
    assert decided[2].payload["previous"] == {
        "decision": "overridden",
        "eligible": True,
        "by": x.chair,
    }
    assert decided[1].payload["auto_eligible"] is False
    tally = await run(db, sel.screening_tally, x.pid)
    assert (tally.applicants, tally.decided, tally.eligible, tally.undecided) == (2, 2, 1, [])
    assert tally.published == [
        {"applicant_id": "D3", "eligible": False, "result": "TMS"},
        {"applicant_id": "OK", "eligible": True, "result": "MS"},
    ]


# --- declarations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("wrong_stage", WrongStage, "wrong_stage"),
        ("not_assigned", NotPermitted, "not_assigned"),
        ("assignment_without_its_role", NotPermitted, "wrong_role_for_seat"),
        ("unknown_applicant", RuleViolation, "applicant_not_found"),
    ],
)
async def test_declaration_gate(
    db: Sessions, case: str, error: type[DomainError], code: str
) -> None:
    x = await screened_selection(db, eligible=["A", "B"], ineligible=[])
    who, conflicted = x.scorers["written"][0], ["A"]
    actor = x.actor(who)
    if case == "wrong_stage":
        await set_view(db, x, stage="shortlist")
    elif case == "not_assigned":
        who = x.members[1]  # the secretary scores nothing
        actor = x.actor(who)
    elif case == "assignment_without_its_role":
        actor = x.actor(who, "selection_committee")  # an assessor's id, the committee's role
    elif case == "unknown_applicant":
        conflicted = ["A", "GHOST"]
    err = await refused(
        db, sel.declare, x.pid, conflicted=conflicted, reason="r", stamp=stamp(x.pid, actor)
    )
    assert (type(err), err.code) == (error, code)
    if case == "unknown_applicant":
        assert "GHOST" in err.message and err.details["applicant_ids"] == ["GHOST"]
    async with db.begin() as s:
        assert await sel.get_declaration(s, x.pid, who) is None


async def test_declarations_only_add(db: Sessions) -> None:
    x = await screened_selection(db, eligible=["A", "B", "C"], ineligible=[])
    who = x.scorers["written"][0]
    await declare(db, x, who, ["B"])
    await declare(db, x, who, ["A"])  # B is not dropped
    await declare(db, x, who, [])
    async with db.begin() as s:
        d = await sel.get_declaration(s, x.pid, who)
        assert d is not None and d.conflicted == ["A", "B"]
        assert await sel.conflicts(s, x.pid) == {who: ["A", "B"]}
    declared = [e for e in await entries(db, x.pid) if e.kind == "scorer.declared"]
    assert [(e.payload["added"], e.payload["conflicted"]) for e in declared] == [
        (["B"], ["B"]),
        (["A"], ["A", "B"]),
        ([], ["A", "B"]),
    ]
    assert declared[0].payload["components"] == ["health", "written"]
