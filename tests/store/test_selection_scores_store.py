"""The open selection's SQL layer, continued: blind scores (locked on submit, amended only with a
justification), and the tasks each seat has (set-up and rule as in tests/store/test_selections.py)."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from domain.errors import Conflict, DomainError, NotFound, NotPermitted, RuleViolation, WrongStage
from store import ledger
from store import selections as sel
from store.selection_models import SelectionScore
from tests.helpers.selection_store import (
    NOW,
    Sessions,
    at_screening,
    decide,
    declare,
    entries,
    in_step,
    refused,
    run,
    score,
    screened_selection,
    set_view,
    stamp,
)
from tests.helpers.selection_store import (
    db as db,  # a fixture
)

# --- scores ---------------------------------------------------------------------------------


SCORE_CASES = [
    ("wrong_stage", WrongStage, "wrong_stage"),
    ("unknown_component", NotFound, "unknown_component"),
    ("component_not_open", Conflict, "component_not_open"),
    ("not_assigned", NotPermitted, "not_assigned"),
    ("assignment_without_its_role", NotPermitted, "wrong_role_for_seat"),
    ("declaration_required", Conflict, "declaration_required"),
    ("unknown_applicant", NotFound, "applicant_not_found"),
    ("applicant_not_eligible", Conflict, "applicant_not_eligible"),
    ("conflict_of_interest", NotPermitted, "conflict_of_interest"),
    ("above_100", RuleViolation, "invalid_score"),
    ("negative", RuleViolation, "invalid_score"),
    ("nan", RuleViolation, "invalid_score"),
    ("pass_fail_half", RuleViolation, "invalid_score"),
    ("score_locked", RuleViolation, "score_locked"),
    ("short_amendment_reason", RuleViolation, "justification_required"),
]


@pytest.mark.parametrize(("case", "error", "code"), SCORE_CASES)
async def test_score_gate(db: Sessions, case: str, error: type[DomainError], code: str) -> None:
    x = await screened_selection(db, eligible=["A", "B"], ineligible=["N"])
    assessor, other = x.scorers["written"]
    await declare(db, x, assessor, ["B"])
    call: dict[str, Any] = {
        "who": x.actor(assessor),
        "component": "written",
        "applicant": "A",
        "value": 70.0,
    }
    justification = None
    if case == "wrong_stage":
        await set_view(db, x, stage="screening")
    elif case == "unknown_component":
        call["component"] = "essay"
    elif case == "component_not_open":
        await set_view(
            db, x, components={"written": "closed", "interview": "open", "health": "open"}
        )
    elif case == "not_assigned":
        call["component"] = "interview"
    elif case == "assignment_without_its_role":
        call["who"] = x.actor(assessor, "selection_committee")
    elif case == "declaration_required":
        call["who"] = x.actor(other)
    elif case == "unknown_applicant":
        call["applicant"] = "GHOST"
    elif case == "applicant_not_eligible":
        call["applicant"] = "N"
    elif case == "conflict_of_interest":
        call["applicant"] = "B"
    elif case == "above_100":
        call["value"] = 100.5
    elif case == "negative":
        call["value"] = -1.0
    elif case == "nan":
        call["value"] = math.nan
    elif case == "pass_fail_half":
        call |= {"component": "health", "value": 0.5}
    elif case in ("score_locked", "short_amendment_reason"):
        await score(db, x, assessor, "written", "A", 60.0)
        justification = "typo" if case == "short_amendment_reason" else None
    before = len(await entries(db, x.pid))
    err = await refused(
        db,
        sel.submit_score,
        x.pid,
        component=call["component"],
        applicant_id=call["applicant"],
        score=call["value"],
        justification=justification,
        stamp=stamp(x.pid, call["who"]),
    )
    assert (type(err), err.code) == (error, code)
    assert len(await entries(db, x.pid)) == before
    async with db.begin() as s:
        stored = (
            await s.scalars(select(SelectionScore).where(SelectionScore.process_id == x.pid))
        ).all()
    assert [r.score for r in stored] == (
        [60.0] if case in ("score_locked", "short_amendment_reason") else []
    )


async def test_pass_fail_scores_and_an_amendment_are_recorded(db: Sessions) -> None:
    x = await screened_selection(db, eligible=["A"], ineligible=[])
    assessor = x.scorers["written"][0]
    await declare(db, x, assessor, [])
    assert (await score(db, x, assessor, "health", "A", 1)).score == 1.0
    first = await score(db, x, assessor, "written", "A", 62.5)
    assert (first.score, first.amendments, first.amended_at) == (62.5, 0, None)
    why = "Salah input: nilai esai 72,5 bukan 62,5."
    amended = await score(db, x, assessor, "written", "A", 72.5, why)
    assert (amended.score, amended.amendments, amended.amended_at) == (72.5, 1, NOW)
    kinds = [(e.kind, e.subject) for e in await entries(db, x.pid) if e.kind.startswith("score.")]
    assert kinds == [("score.submitted", "A"), ("score.submitted", "A"), ("score.amended", "A")]
    last = (await entries(db, x.pid))[-1]
    assert last.payload == {
        "component": "written",
        "applicant_id": "A",
        "score": 72.5,
        "old": 62.5,
        "new": 72.5,
        "amendment": 1,
    }
    assert (last.justification, last.actor_id, last.stage_before) == (why, assessor, "assessment")
    # The same request again gives the stored score back and writes nothing.
    again = await score(
        db, x, assessor, "written", "A", 72.5, why, key=last.entry_id.split(":accepted:")[1]
    )
    assert (again.score, again.amendments) == (72.5, 1)
    assert (await entries(db, x.pid))[-1].entry_id == last.entry_id


async def test_two_concurrent_first_scores_give_one_submission_and_one_lock(db: Sessions) -> None:
    x = await screened_selection(db, eligible=["A"], ineligible=[])
    assessor = x.scorers["written"][0]
    await declare(db, x, assessor, [])

    barrier = asyncio.Barrier(2)

    async def one(value: float) -> str:
        try:
            await in_step(
                db,
                barrier,
                sel.submit_score,
                x.pid,
                component="written",
                applicant_id="A",
                score=value,
                justification=None,
                stamp=stamp(x.pid, x.actor(assessor)),
            )
        except RuleViolation as err:
            return err.code
        return "submitted"

    results = await asyncio.gather(one(55.0), one(65.0))
    assert sorted(results) == ["score_locked", "submitted"]
    async with db.begin() as s:
        rows = (
            await s.scalars(select(SelectionScore).where(SelectionScore.process_id == x.pid))
        ).all()
        assert len(rows) == 1 and rows[0].amendments == 0
        assert (await ledger.verify(s, x.pid)).ok
    submitted = [e for e in await entries(db, x.pid) if e.kind == "score.submitted"]
    assert [e.payload["score"] for e in submitted] == [rows[0].score]


async def test_scores_are_blind_until_you_score_or_the_component_closes(db: Sessions) -> None:
    x = await screened_selection(db, eligible=["A"], ineligible=[])
    first, second = x.scorers["written"]
    for who in (first, second):
        await declare(db, x, who, [])
    await score(db, x, first, "written", "A", 80.0)

    async def read(reader: str) -> list[tuple[str, float]] | str:
        try:
            rows = await run(
                db, sel.read_scores, x.pid, component="written", applicant_id="A", reader_id=reader
            )
        except DomainError as err:
            return f"{type(err).__name__}:{err.code}"
        return [(r.scorer_id, r.score) for r in rows]

    # A scorer who has not scored, the panel chair, an outsider: blind. The one who scored: sees.
    assert await read(second) == "NotPermitted:scores_blind"
    assert await read(x.chair) == "NotPermitted:scores_blind"
    assert await read("outsider") == "NotPermitted:scores_blind"
    assert await read(first) == [(first, 80.0)]
    await score(db, x, second, "written", "A", 70.0)
    assert await read(second) == sorted([(first, 80.0), (second, 70.0)])
    await set_view(db, x, components={"written": "closed", "interview": "open", "health": "open"})
    assert await read(x.chair) == sorted([(first, 80.0), (second, 70.0)])
    err = await refused(
        db, sel.read_scores, x.pid, component="essay", applicant_id="A", reader_id=first
    )
    assert err.code == "unknown_component"


async def test_component_check_sheets_and_birth_dates(db: Sessions) -> None:
    x = await screened_selection(db, eligible=["A", "B", "C"], ineligible=["N"])
    first, second = x.scorers["written"]
    await declare(db, x, first, ["C"])
    await declare(db, x, second, [])
    check = await run(db, sel.check_component, x.pid, "written")
    assert check.missing_count == 5  # first owes A and B (not C), second owes A, B and C
    assert sorted(check.missing) == sorted(
        [(first, "A"), (first, "B"), (second, "A"), (second, "B"), (second, "C")]
    )
    assert check.ranking == []
    await score(db, x, first, "written", "A", 80.0)
    await score(db, x, first, "written", "B", 60.0)
    await score(db, x, second, "written", "A", 70.0)
    await score(db, x, second, "written", "B", 40.0)
    await score(db, x, second, "written", "C", 90.0)
    check = await run(db, sel.check_component, x.pid, "written")
    assert (check.missing, check.missing_count) == ([], 0)
    assert check.ranking == [("C", 90.0), ("A", 75.0), ("B", 50.0)]
    # A conflict declared after scoring sets that score aside: B keeps only the first's 60.
    await declare(db, x, second, ["B"])
    check = await run(db, sel.check_component, x.pid, "written")
    assert check.ranking == [("C", 90.0), ("A", 75.0), ("B", 60.0)]
    assert check.missing_count == 0
    sheets = await run(db, sel.score_sheets, x.pid)
    assert sorted((s.scorer_id, s.applicant_id, s.score) for s in sheets) == sorted(
        [(first, "A", 80.0), (first, "B", 60.0), (second, "A", 70.0), (second, "C", 90.0)]
    )
    last = (await entries(db, x.pid))[-1]
    assert last.payload["scores_set_aside"] == [{"component": "written", "applicant_id": "B"}]
    assert await run(db, sel.birth_dates, x.pid) == dict.fromkeys(["A", "B", "C"], date(1975, 6, 1))
    err = await refused(db, sel.check_component, x.pid, "essay")
    assert err.code == "unknown_component"


# --- tasks ----------------------------------------------------------------------------------


async def test_tasks_for_each_kind(db: Sessions) -> None:
    x = await at_screening(db)
    assessor = x.scorers["written"][0]
    chair_tasks = await run(db, sel.tasks_for, x.chair)
    # The chair decides screening and, scoring the interview, must declare.
    assert [(t["kind"], t["count"]) for t in chair_tasks] == [
        ("screening_decision", 2),
        ("conflict_declaration", 1),
    ]
    assert chair_tasks[0]["action"] == f"/v1/selections/{x.pid}/screening"
    assert chair_tasks[0]["due_at"] == datetime(2027, 4, 1, tzinfo=UTC)
    assert x.code in chair_tasks[0]["title"]
    assert [t["kind"] for t in await run(db, sel.tasks_for, assessor)] == ["conflict_declaration"]
    assert await run(db, sel.tasks_for, x.members[1]) == [
        {
            "kind": "screening_decision",
            "process_id": x.pid,
            "title": f"Decide administrative screening — Sekretaris Jenderal ({x.code})",
            "action": f"/v1/selections/{x.pid}/screening",
            "due_at": None,
            "count": 2,
        }
    ]
    await decide(db, x, "OK", True)
    await decide(db, x, "D3", True, "Setara S1 menurut keputusan panitia.")
    assert await run(db, sel.tasks_for, x.chair) == [chair_tasks[1]]  # all decided

    await set_view(
        db,
        x,
        stage="assessment",
        components={"written": "open", "interview": "pending", "health": "open"},
    )
    await declare(db, x, assessor, ["D3"])
    rows = await run(db, sel.tasks_for, assessor)
    assert [(t["kind"], t["action"].rsplit("/", 3)[-3:], t["count"]) for t in rows] == [
        ("score", ["components", "health", "scores"], 1),
        ("score", ["components", "written", "scores"], 1),
    ]
    assert rows[1]["title"].startswith("Score Written test")
    await score(db, x, assessor, "written", "OK", 77.0)
    assert [t["title"].split(" —")[0] for t in await run(db, sel.tasks_for, assessor)] == [
        "Score Health check"
    ]
    await declare(db, x, x.chair, [])
    assert await run(db, sel.tasks_for, x.chair) == []  # the interview is still pending

    chair, secretary, member = x.members
    await set_view(db, x, stage="shortlist", plenary={"votes": {chair: True}, "recused": [member]})
    assert [t["kind"] for t in await run(db, sel.tasks_for, secretary)] == ["plenary_vote"]
    assert await run(db, sel.tasks_for, chair) == []
    assert await run(db, sel.tasks_for, member) == []

    await set_view(db, x, stage="appointment")
    [task] = await run(db, sel.tasks_for, x.authority)
    assert (task["kind"], task["action"], task["count"]) == (
        "appointment",
        f"/v1/selections/{x.pid}/appointment",
        1,
    )
    assert await run(db, sel.tasks_for, secretary) == []
    await set_view(db, x, stage="completed", status="completed")
    assert await run(db, sel.tasks_for, x.authority) == []
