"""A whole talent review of a realistic agency (2,000 generated employees) on the training rulebook,
walked through the action pipeline on the time-skipping server with the real worker and database:
the data cut-off, the scores, a calibration move with its justification (and the refusals a
conflicted or unjustified move gets), publication with explanations, an objection upheld and one
rejected, the objection window closing on its timer, and the pool, checked against an independent
computation of every box here in the test. New reviews number the boxes by rows of performance
(BKN-TM-2025.2); a review pinned to BKN-TM-2025 still numbers them along its diagonals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest_asyncio
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from actions.history import reconcile_process
from actions.services import Services
from actions.talent import people, reviews
from activities.calendar import national_holidays
from domain.calendar import WorkingCalendar
from domain.durations import DurationUnit, after
from domain.talent.records import TalentRecord
from infra.settings import Settings
from store import audit, ledger
from store.models import LedgerEntry
from store.talent.objections import pool_rows
from store.talent_models import PoolMember, TalentPerson
from tests.helpers.talent import CUTOFF, population
from tests.helpers.talent_run import TalentRun
from worker import build_worker
from workflows.talent_review import TalentReviewWorkflow

AGENCY = "PEMKAB-TALENT"
N = 2000


@pytest_asyncio.fixture
async def services(
    ts_env: WorkflowEnvironment, sessions, settings: Settings
) -> AsyncIterator[Services]:
    async with build_worker(ts_env.client, sessions, settings):
        yield Services(settings=settings, sessions=sessions, client=ts_env.client)


# ---- the independent computation: the 2025 table, written out here, in exact decimals ------------

SKP = {"very_good": 100, "good": 80, "needs_improvement": 60, "poor": 40, "very_poor": 20}
EDU = {"S3": 100, "S2": 90, "S1": 80, "D4": 80, "D3": 60}
INTEGRITY = {"light": 75, "medium": 50, "heavy": 0}
# BKN-TM-2025.2, as the sources draw the 9-box: performance up, potential across (low, medium, high).
ROWS = {"high": (4, 7, 9), "medium": (2, 5, 8), "low": (1, 3, 6)}
BOX = {
    (perf, pot): box
    for perf, row in ROWS.items()
    for pot, box in zip(("low", "medium", "high"), row, strict=True)
}
# BKN-TM-2025, along the diagonals: what the reviews pinned to it were numbered by.
DIAGONAL_BOX = {
    ("low", "low"): 1,
    ("low", "medium"): 2,
    ("medium", "low"): 3,
    ("low", "high"): 4,
    ("medium", "medium"): 5,
    ("high", "low"): 6,
    ("medium", "high"): 7,
    ("high", "medium"): 8,
    ("high", "high"): 9,
}


def level(x: Decimal) -> str:
    return "high" if x >= 80 else "medium" if x >= 60 else "low"


def expected_box(r: TalentRecord, table: dict[tuple[str, str], int] = BOX) -> int | None:
    if r.competency_score is None or r.potential_score is None:
        return None
    rated = [SKP[x.rating.value] for x in r.ratings if CUTOFF.year - 2 <= x.year < CUTOFF.year]
    main = Decimal(sum(rated)) / len(rated)
    supporting = min(Decimal(25 * r.awards + 10 * r.team_assignments), Decimal(100))
    perf = (Decimal("0.6") * main + Decimal("0.4") * supporting).quantize(Decimal("0.01"))
    since = CUTOFF.replace(year=CUTOFF.year - 5)
    ran = [
        i.severity.value for i in r.integrity if i.start <= CUTOFF and (i.end or CUTOFF) >= since
    ]
    integrity = min((INTEGRITY[s] for s in ran), default=100)
    pot = (
        Decimal("0.4") * Decimal(str(r.competency_score))
        + Decimal("0.25") * Decimal(str(r.potential_score))
        + Decimal("0.2") * EDU[r.education]
        + Decimal("0.15") * integrity
    ).quantize(Decimal("0.01"))
    return table[(level(perf), level(pot))]


async def test_a_whole_review_of_2000_employees_on_the_training_rulebook(
    services: Services, ts_env: WorkflowEnvironment, sessions
) -> None:
    everyone = population(N, AGENCY, seed=2026)
    run = TalentRun(services, AGENCY)
    assert await run.import_records(everyone) == N
    started = await run.start()
    assert started.created and started.review.stage == "cutoff"
    assert started.review.rulebook_version == "BKN-TM-2025.2-training"

    row = await run.until("calibration")
    inside = [r for r in everyone if r.position_level in ("administrator", "ahli_madya")]
    expected = {r.nip: expected_box(r) for r in inside}
    assert row.counts["included"] == len(inside)
    assert row.counts["excluded"] == sum(b is None for b in expected.values()) > 0

    # Calibration: declare first; a conflicted member and an unjustified move are refused.
    star = next(n for n, b in sorted(expected.items()) if b == 9)
    middling = [n for n, b in sorted(expected.items()) if b == 6]
    await run.declare_all({0: [star]})
    move = {"nip": star, "box": 8, "justification": "short"}
    assert await run.refused(people.CALIBRATE, run.member(1), move) == "justification_required"
    move["justification"] = "Recent audit finding on the unit's budget, not yet in the SKP"
    assert await run.refused(people.CALIBRATE, run.member(0), move) == "conflict_of_interest"
    assert await run.refused(people.CALIBRATE, run.who("agency_hr"), move) == "forbidden_role"
    moved = await run.act(people.CALIBRATE, run.member(1), move)
    assert (moved.computed_box, moved.box) == (9, 8)
    assert await run.refused(reviews.CLOSE_CALIBRATION, run.member(2), {}) == (
        "not_chair_or_secretary"
    )
    closed = await run.act(
        reviews.CLOSE_CALIBRATION, run.member(0), {"note": "meeting of 1 December"}
    )
    # The answer is the workflow's: published, and the employees' objections pending until the
    # window closes.
    assert closed.stage == "objection" and closed.pending.step == "object"
    assert closed.pending.role == "employee"
    assert closed.pending.due_at == closed.objections_close_at is not None

    # Publication: each box with its explanation; two employees object.
    row = await run.until("objection")
    upheld, rejected = middling[0], middling[1]
    for nip in (upheld, rejected):
        await run.act(
            people.OBJECT, run.who("employee", nip), {"grounds": "My 2025 SKP was revised"}
        )
    again = await run.refused(people.OBJECT, run.who("employee", upheld), {"grounds": "again"})
    assert again == "objection_exists"
    assert await run.refused(reviews.FINALIZE, run.member(0), {}) == "wrong_stage"
    answer = {
        "nip": upheld,
        "uphold": True,
        "box": 7,
        "justification": "The revised 2025 SKP is Very Good; potential unchanged",
    }
    await run.act(people.ANSWER, run.member(1), answer)
    no = {
        "nip": rejected,
        "uphold": False,
        "justification": "The revision concerns 2026, outside the years read",
    }
    await run.act(people.ANSWER, run.member(2), no)

    # The window closes on its timer (5 minutes on the training rulebook); then the pool.
    await ts_env.sleep(timedelta(minutes=6))
    await run.until("answering")
    done = await run.act(reviews.FINALIZE, run.member(0), {"note": "pool established"})
    row = await run.until("completed")
    assert done.counts["upheld"] == 1 and done.counts["rejected"] == 1
    assert (done.stage, done.status, done.pending) == ("completed", "completed", None)

    expected[star], expected[upheld] = 8, 7
    want = {n: b for n, b in expected.items() if b in (7, 8, 9)}
    async with sessions() as session:
        pool = (
            await session.execute(
                select(PoolMember.nip, PoolMember.box).where(PoolMember.review_id == run.id)
            )
        ).all()
        rows = await pool_rows(session, run.id)
        entries = await audit.process_rows(session, run.id)
        verified = await ledger.verify(session, run.id)
        refused = (
            await session.execute(
                select(func.count()).where(
                    LedgerEntry.process_id == run.id, LedgerEntry.outcome == "refused"
                )
            )
        ).scalar_one()
    assert dict(pool) == want and len(rows) == len(want) == row.counts["pool"]
    assert verified.ok and refused == 6
    kinds = [e["kind"] for e in entries if e["outcome"] == "accepted"]
    assert kinds.count("talent.calibrated") == 1 and kinds.count("talent.objection_answered") == 2

    # The workflow held counts, not people: its history is small, and it matches the ledger.
    history = await ts_env.client.get_workflow_handle(run.id).fetch_history()
    assert len(history.events) < 120, len(history.events)
    report = await reconcile_process(sessions, ts_env.client, run.id)
    assert report is not None and report.ok, report
    state = await ts_env.client.get_workflow_handle(run.id).query(TalentReviewWorkflow.state)
    assert state.stage == "completed"


async def test_on_the_legal_rulebook_the_objection_window_counts_working_days(
    services: Services, ts_env: WorkflowEnvironment
) -> None:
    run = TalentRun(services, "PEMKAB-LEGAL")
    await run.import_records(population(40, "PEMKAB-LEGAL", seed=9))
    started = await run.start(rulebook=None)  # the rulebook in force
    assert started.review.rulebook_version == "BKN-TM-2025.2"
    await run.until("calibration")
    published = await run.act(reviews.CLOSE_CALIBRATION, run.member(1), {})
    now = published.updated_at
    years = [now.year, now.year + 1]
    calendar = WorkingCalendar(sorted(national_holidays(years)))
    expected = after(now, 5, DurationUnit.WORKING_DAYS, calendar)
    assert published.stage == "objection" and published.objections_close_at is not None
    assert abs((published.objections_close_at - expected).total_seconds()) < 120
    assert (published.objections_close_at - now).days >= 5  # at least a weekend in 5 working days
    assert published.pending.step == "object"
    assert published.pending.due_at == published.objections_close_at
    cancelled = await run.act(reviews.CANCEL, run.who("agency_hr"), {"reason": "test finished"})
    assert (cancelled.stage, cancelled.status, cancelled.pending) == (
        "cancelled",
        "cancelled",
        None,
    )


async def test_a_review_pinned_to_bkn_tm_2025_still_numbers_along_the_diagonals(
    services: Services, sessions
) -> None:
    everyone = population(200, "PEMKAB-PINNED", seed=11)
    run = TalentRun(services, "PEMKAB-PINNED")
    await run.import_records(everyone)
    await run.start(rulebook="BKN-TM-2025-training")
    row = await run.until("calibration")
    inside = [r for r in everyone if r.position_level in ("administrator", "ahli_madya")]
    old = {r.nip: expected_box(r, DIAGONAL_BOX) for r in inside}
    new = {r.nip: expected_box(r) for r in inside}
    async with sessions() as session:
        boxes = dict(
            (
                await session.execute(
                    select(TalentPerson.nip, TalentPerson.computed_box).where(
                        TalentPerson.process_id == run.id
                    )
                )
            ).all()
        )
    assert boxes == old and boxes != new
    assert row.counts["boxes"] == {str(b): list(old.values()).count(b) for b in range(1, 10)}
    await run.act(reviews.CANCEL, run.who("agency_hr"), {"reason": "test finished"})
