"""The open selection's SQL layer: read model, gated candidate-level writes, stage-closing reads.

One migrated database for the module (SQLite, or PostgreSQL when MERITFLOW_TEST_DATABASE_URL is
set); every test makes its own selection under a fresh id, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from activities.selection_contracts import (
    AnnouncementData,
    SelectionIdentity,
    SelectionViewData,
)
from domain.errors import Conflict, DomainError, NotFound, NotPermitted, RuleViolation, WrongStage
from domain.ledger import canonical_json
from store import ledger
from store import selections as sel
from store.audit import InvalidCursor
from store.selection_models import SelectionScore
from tests.helpers.selection_store import (
    CLOSES_AT,
    HR,
    NOW,
    RB,
    Sel,
    Sessions,
    applicant_rows,
    decide,
    declare,
    entries,
    in_step,
    make_selection,
    nip,
    profile,
    refused,
    register,
    run,
    score,
    screened_selection,
    set_view,
    stamp,
    uid,
)
from tests.helpers.selection_store import (
    db as db,  # a fixture
)

# --- read model ---------------------------------------------------------------------------------


async def test_write_view_upserts_and_lock_bumps_the_version(db: Sessions) -> None:
    x = await make_selection(db)
    row = await run(db, sel.get, x.pid)
    assert (row.stage, row.agency, row.code, row.lock_version) == (
        "registration",
        "KEMENKEU",
        x.code,
        0,
    )
    assert row.scorers == x.scorers
    assert row.registration_closes_at == CLOSES_AT
    assert row.registration_closes == date(2027, 3, 20)
    later = NOW + timedelta(hours=1)
    async with db.begin() as s:
        await sel.write_view(
            s,
            x.pid,
            x.identity,
            x.view.model_copy(update={"stage": "screening", "applicants": 7}),
            later,
        )
    async with db.begin() as s:
        locked = await sel.lock(s, x.pid)
        assert (locked.stage, locked.applicants, locked.lock_version) == ("screening", 7, 2)
        assert (locked.created_at, locked.updated_at) == (NOW, later)


async def test_the_start_inserts_the_row_once_and_no_gate_moves_the_stage(db: Sessions) -> None:
    """The starting action learns whether it created the selection from inserting its row; from
    then on the stage is the workflow's (its view), never a stage-closing activity's."""
    x = await make_selection(db)
    pid = f"selection-KEMENKEU-{uid('NEW')}"
    identity = x.identity.model_copy(update={"code": pid.removeprefix("selection-KEMENKEU-")})
    async with db.begin() as s:
        assert await sel.insert_if_absent(s, pid, identity, NOW) is True
    async with db.begin() as s:
        assert await sel.insert_if_absent(s, pid, identity, NOW) is False
        row = await sel.get(s, pid)
        assert row is not None and (row.stage, row.status) == ("planning", "in_progress")
    for column in ("stage", "status"):
        async with db.begin() as s:
            with pytest.raises(ValueError, match="not gate columns"):
                await sel.update_gate(s, x.pid, **{column: "screening"})
    async with db.begin() as s:
        moved = await sel.update_gate(s, x.pid, components={"written": "open"}, eligible=3)
        assert (moved.stage, moved.components, moved.eligible) == (
            "registration",
            {"written": "open"},
            3,
        )


async def test_lock_of_an_unknown_selection_is_not_found(db: Sessions) -> None:
    err = await refused(db, sel.lock, "selection-nope-nope")
    assert isinstance(err, NotFound)
    assert err.code == "selection_not_found"


async def test_list_selections_filters_and_pages(db: Sessions) -> None:
    agency = uid("AG")
    made = []
    for i in range(5):
        identity = SelectionIdentity(
            agency=agency,
            code=f"C{i}",
            post_title="Direktur",
            post_level="madya" if i % 2 else "pratama",
            rulebook_version=RB.version,
            appointing_authority_id="m",
            oversight_body="BKN",
        )
        view = SelectionViewData(
            stage="planning" if i < 3 else "registration", status="in_progress"
        )
        async with db.begin() as s:
            await sel.write_view(s, f"selection-{agency}-C{i}", identity, view, NOW)
        made.append(f"selection-{agency}-C{i}")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page, cursor = await run(
            db,
            sel.list_selections,
            agency=agency,
            stage=None,
            post_level=None,
            limit=2,
            cursor=cursor,
        )
        seen += [r.process_id for r in page]
        pages += 1
        if cursor is None:
            break
    assert (seen, pages) == (made, 3)
    page, cursor = await run(
        db,
        sel.list_selections,
        agency=agency,
        stage="planning",
        post_level="pratama",
        limit=10,
        cursor=None,
    )
    assert ([r.code for r in page], cursor) == (["C0", "C2"], None)
    with pytest.raises(InvalidCursor):
        await run(
            db, sel.list_selections, agency=None, stage=None, post_level=None, limit=1, cursor="%%"
        )


async def test_panel_and_announcements(db: Sessions) -> None:
    x = await make_selection(db)
    members = await run(db, sel.panel, x.pid)
    assert [m.role for m in members] == ["chair", "secretary", "member"]
    assert members[0].member_id == x.chair
    a1 = AnnouncementData(
        key="registration-opened", stage="registration", title="Open", body={"n": 1}
    )
    a2 = AnnouncementData(key="registration-closed", stage="registration", title="Closed", body={})
    for a in (a1, a2, a1.model_copy(update={"title": "again"})):
        await run(db, sel.publish, x.pid, a, NOW)
    published = await run(db, sel.announcements, x.pid)
    assert [(p.key, p.title, p.body) for p in published] == [
        ("registration-opened", "Open", {"n": 1}),
        ("registration-closed", "Closed", {}),
    ]


# --- registration ---------------------------------------------------------------------------


async def test_register_writes_the_row_and_its_entry(db: Sessions) -> None:
    x = await make_selection(db)
    p = profile("A-1", nip(1))
    async with db.begin() as s:
        row = await sel.register_applicant(
            s, x.pid, p, source="api", stamp=stamp(x.pid, HR, key="r-1")
        )
    assert (row.applicant_id, row.nip, row.source, row.registered_by) == (
        "A-1",
        nip(1),
        "api",
        "hr-1",
    )
    assert (row.auto_eligible, row.decision, row.final_eligible) == (None, None, None)
    [entry] = await entries(db, x.pid)
    assert entry.entry_id == f"{x.pid}:accepted:r-1"
    assert (entry.kind, entry.outcome, entry.process_kind) == (
        "applicant.registered",
        "accepted",
        "selection",
    )
    assert (entry.subject, entry.agency, entry.rulebook_version) == ("A-1", "KEMENKEU", RB.version)
    assert (entry.stage_before, entry.stage_after, entry.actor_id) == ("registration",) * 2 + (
        "hr-1",
    )
    digest = hashlib.sha256(canonical_json([p.model_dump(mode="json")])).hexdigest()
    assert entry.payload == {"applicant_id": "A-1", "source": "api", "digest": digest}
    async with db.begin() as s:
        assert (await ledger.verify(s, x.pid)).ok


async def test_a_request_applied_again_writes_once(db: Sessions) -> None:
    """The same stamp (the same request, retried after a crash or a lapsed claim) finds its entry
    and answers from the rows; telling requests apart is the pipeline's (their fingerprints)."""
    x = await make_selection(db)
    again = stamp(x.pid, HR, key="same")
    for _ in range(2):
        async with db.begin() as s:
            row = await sel.register_applicant(s, x.pid, profile("A-1"), source="api", stamp=again)
        assert row.applicant_id == "A-1"
    assert len(await applicant_rows(db, x.pid)) == 1
    assert len(await entries(db, x.pid)) == 1


@pytest.mark.parametrize(
    ("stage", "now", "counted", "code"),
    [
        ("planning", NOW, False, "registration_not_open"),
        ("plan_review", NOW, False, "registration_not_open"),
        ("announcement", NOW, False, "registration_not_open"),
        ("screening", NOW, False, "registration_closed"),
        ("cancelled", NOW, False, "registration_closed"),
        ("registration", CLOSES_AT, False, "registration_closed"),
        ("registration", CLOSES_AT + timedelta(days=2), False, "registration_closed"),
        ("registration", NOW, True, "registration_closed"),
    ],
)
async def test_registration_gate(
    db: Sessions, stage: str, now: datetime, counted: bool, code: str
) -> None:
    x = await make_selection(db, stage=stage)
    if counted:
        assert await run(db, sel.close_registration, x.pid, CLOSES_AT) == 0
    for call in (
        lambda: refused(
            db,
            sel.register_applicant,
            x.pid,
            profile("A-1"),
            source="api",
            stamp=stamp(x.pid, HR, now=now),
        ),
        lambda: refused(
            db, sel.import_applicants, x.pid, [profile("A-1")], stamp=stamp(x.pid, HR, now=now)
        ),
    ):
        err = await call()
        assert (type(err), err.code) == (WrongStage, code)
    assert await applicant_rows(db, x.pid) == []
    assert await entries(db, x.pid) == []


async def test_register_refuses_a_taken_id_or_nip(db: Sessions) -> None:
    x = await make_selection(db)
    await register(db, x, profile("A-1", nip(1)))
    for p, field_, text in (
        (profile("A-1", nip(2)), "applicant_id", "applicant id A-1 is already registered"),
        (profile("A-2", nip(1)), "nip", f"NIP {nip(1)} is already registered by A-1"),
    ):
        err = await refused(
            db, sel.register_applicant, x.pid, p, source="api", stamp=stamp(x.pid, HR)
        )
        assert (type(err), err.code) == (RuleViolation, "applicant_exists")
        assert text in err.message
        assert [d["field"] for d in err.details["duplicates"]] == [field_]
        assert [f["field"] for f in err.fields] == [field_]
    assert [a.applicant_id for a in await applicant_rows(db, x.pid)] == ["A-1"]
    assert len(await entries(db, x.pid)) == 1


async def test_import_is_all_or_nothing_and_names_every_duplicate(db: Sessions) -> None:
    x = await make_selection(db)
    await register(db, x, profile("OLD", nip(1)))
    batch = [
        profile("B-1", nip(10)),
        profile("OLD", nip(11)),  # id already registered
        profile("B-2", nip(1)),  # NIP already registered (by OLD)
        profile("B-1", nip(12)),  # id twice in the file
        profile("B-3", nip(10)),  # NIP twice in the file (B-1's)
        profile("B-4", None),
        profile("B-5", None),  # two without a NIP are fine
    ]
    err = await refused(db, sel.import_applicants, x.pid, batch, stamp=stamp(x.pid, HR))
    assert (type(err), err.code) == (RuleViolation, "applicant_exists")
    assert [f["field"] for f in err.fields][:2] == ["row 2, applicant_id", "row 3, nip"]
    found = [(d["index"], d["field"], d["conflict"], d["with"]) for d in err.details["duplicates"]]
    assert found == [
        (1, "applicant_id", "registered", None),
        (2, "nip", "registered", "OLD"),
        (3, "applicant_id", "listed_twice", 0),
        (4, "nip", "listed_twice", "B-1"),
    ]
    assert "4 duplicate(s)" in err.message
    assert "row 4 (B-1): applicant id B-1 is listed twice (first at row 1)" in err.message
    assert f"row 5 (B-3): NIP {nip(10)} is also given for B-1" in err.message
    assert [a.applicant_id for a in await applicant_rows(db, x.pid)] == ["OLD"]
    assert len(await entries(db, x.pid)) == 1

    good = [profile(f"C-{i}", nip(100 + i)) for i in range(30)] + [profile("C-x", None)]
    async with db.begin() as s:
        count = await sel.import_applicants(s, x.pid, good, stamp=stamp(x.pid, HR, key="imp-1"))
    assert count == 31
    rows = await applicant_rows(db, x.pid)
    assert len(rows) == 32
    assert {r.source for r in rows if r.applicant_id != "OLD"} == {"csv"}
    last = (await entries(db, x.pid))[-1]
    digest = hashlib.sha256(canonical_json([p.model_dump(mode="json") for p in good])).hexdigest()
    assert (last.entry_id, last.kind, last.subject) == (
        f"{x.pid}:accepted:imp-1",
        "applicants.imported",
        None,
    )
    assert last.payload == {
        "count": 31,
        "applicant_ids": [p.applicant_id for p in good],
        "digest": digest,
    }
    # The same request again: the stored count, nothing written.
    again = stamp(x.pid, HR, key="imp-1")
    assert await run(db, sel.import_applicants, x.pid, good, stamp=again) == 31
    assert len(await entries(db, x.pid)) == 2
    err = await refused(db, sel.import_applicants, x.pid, [], stamp=stamp(x.pid, HR))
    assert err.code == "empty_import"


async def test_registration_racing_the_close_is_counted_or_refused(db: Sessions) -> None:
    x = await make_selection(db)
    before_close = CLOSES_AT - timedelta(seconds=1)

    parties = 12  # and the close: within the connection pool's 15
    barrier = asyncio.Barrier(parties + 1)

    async def one(i: int) -> str:
        try:
            await in_step(
                db,
                barrier,
                sel.register_applicant,
                x.pid,
                profile(f"R-{i:02d}", nip(i)),
                source="api",
                stamp=stamp(x.pid, HR, now=before_close),
            )
        except WrongStage as err:
            return err.code
        return "registered"

    async def close() -> int:
        count: int = await in_step(db, barrier, sel.close_registration, x.pid, CLOSES_AT)
        return count

    *outcomes, count = await asyncio.gather(*(one(i) for i in range(parties)), close())
    assert set(outcomes) <= {"registered", "registration_closed"}
    rows = await applicant_rows(db, x.pid)
    registered = sorted(f"R-{i:02d}" for i, o in enumerate(outcomes) if o == "registered")
    assert count == len(rows) == len(registered)
    assert [r.applicant_id for r in rows] == registered
    assert len(await entries(db, x.pid)) == count
    # Counted: refused until the window is extended, then open again.
    err = await refused(
        db,
        sel.register_applicant,
        x.pid,
        profile("LATE"),
        source="api",
        stamp=stamp(x.pid, HR, now=before_close),
    )
    assert err.code == "registration_closed"
    async with db.begin() as s:
        await sel.update_gate(s, x.pid, registration_closes_at=CLOSES_AT + timedelta(days=7))
    await register(db, x, profile("LATE"), now=CLOSES_AT + timedelta(days=1))
    assert await run(db, sel.close_registration, x.pid, CLOSES_AT + timedelta(days=7)) == count + 1


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


async def _at_screening(db: Sessions) -> Sel:
    x = await make_selection(db)
    await register(db, x, profile("OK", nip(1)))
    await register(db, x, profile("D3", nip(2), degree="D3"))
    await set_view(db, x, stage="screening")
    await run(db, sel.precheck_all, x.pid, RB.requirements_for("pratama"), date(2027, 3, 20))
    return x


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
    x = await _at_screening(db)
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
    x = await _at_screening(db)
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
    x = await _at_screening(db)
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
