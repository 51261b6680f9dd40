"""The open selection's SQL layer: read model, gated candidate-level writes, stage-closing reads.

One migrated database for the module (SQLite, or PostgreSQL when MERITFLOW_TEST_DATABASE_URL is
set); every test makes its own selection under a fresh id, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date, datetime, timedelta

import pytest

from activities.selection_contracts import (
    AnnouncementData,
    SelectionIdentity,
    SelectionViewData,
)
from domain.errors import NotFound, RuleViolation, WrongStage
from domain.ledger import canonical_json
from store import ledger
from store import selections as sel
from store.audit import InvalidCursor
from tests.helpers.selection_store import (
    CLOSES_AT,
    HR,
    NOW,
    RB,
    Sessions,
    applicant_rows,
    entries,
    in_step,
    make_selection,
    nip,
    profile,
    refused,
    register,
    run,
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
