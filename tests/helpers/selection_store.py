"""Set-up for tests of the open selection's SQL layer: a migrated database per module, a selection
made straight in its tables, and each gated write called the way the actions call it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.selection_contracts import (
    PanelMemberData,
    SelectionIdentity,
    SelectionViewData,
)
from domain.errors import DomainError
from domain.ledger import Actor
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.scheme import Component, ScoringScheme
from domain.selection.screening import ApplicantProfile
from infra.db import create_engine, session_factory
from store import ledger
from store import selections as sel
from store.models import LedgerEntry
from store.selection_models import SelectionApplicant, SelectionScore
from tests.store.conftest import fresh_database

NOW = datetime(2027, 3, 10, 3, 0, tzinfo=UTC)
CLOSES_AT = datetime(2027, 3, 20, 17, 0, tzinfo=UTC)  # 00:00 WIB on 21 March
HR = Actor(id="hr-1", role="agency_hr", agency="KEMENKEU")
RB = get_selection_rulebook("PermenPANRB-15-2019")
SCHEME = ScoringScheme(
    components=[
        Component(
            code="written", name="Written test", weight=60, cutoff=50, scorer_kind="assessor"
        ),
        Component(code="interview", name="Interview", weight=40),
        Component(
            code="health", name="Health check", weight=0, pass_fail=True, scorer_kind="assessor"
        ),
    ],
    tie_break=["written", "age"],
)

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
async def db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sessions]:
    async with fresh_database(Path(tmp_path_factory.mktemp("selections"))) as url:
        engine = create_engine(url)
        try:
            yield session_factory(engine)
        finally:
            await engine.dispose()


# --- builders ---------------------------------------------------------------------------------


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def profile(applicant_id: str, nip: str | None = None, **overrides: Any) -> ApplicantProfile:
    data: dict[str, Any] = {
        "applicant_id": applicant_id,
        "nip": nip,
        "name": f"Applicant {applicant_id}",
        "degree": "S2",
        "years_experience": 12,
        "years_senior_post": 4,
        "birth_date": date(1975, 6, 1),
        "grade": "IV/b",
        "posts": ["Kepala Biro Umum"],
    }
    data.update(overrides)
    return ApplicantProfile(**data)


def nip(n: int) -> str:
    return f"19750601200001{n:04d}"


@dataclass
class Sel:
    """One selection of a test: its id, panel and scorers."""

    pid: str
    code: str
    chair: str
    members: list[str]
    scorers: dict[str, list[str]]
    identity: SelectionIdentity
    view: SelectionViewData
    authority: str = "minister-1"
    extra: dict[str, Any] = field(default_factory=dict)

    def actor(self, who: str, role: str | None = None) -> Actor:
        """``who`` in the role their seat goes with (assessors score the centre's components)."""
        assessors = self.scorers["written"]
        role = role or ("assessor" if who in assessors else "selection_committee")
        return Actor(id=who, role=role, agency="KEMENKEU")


def stamp(pid: str, actor: Actor, *, now: datetime = NOW, key: str | None = None) -> sel.Stamp:
    """What the action pipeline hands a write: who, when, the entry id of its request."""
    return sel.Stamp(actor=actor, now=now, entry_id=f"{pid}:accepted:{key or uid('req')}")


async def make_selection(
    db: Sessions,
    *,
    stage: str = "registration",
    components: dict[str, str] | None = None,
    closes_at: datetime | None = CLOSES_AT,
    plenary: dict[str, Any] | None = None,
) -> Sel:
    code = uid("JPT")
    pid = f"selection-KEMENKEU-{code}"
    chair, secretary, member = uid("chair"), uid("sec"), uid("member")
    assessors = [uid("assessor"), uid("assessor")]
    scorers = {"written": assessors, "interview": [chair, member], "health": [assessors[0]]}
    identity = SelectionIdentity(
        agency="KEMENKEU",
        code=code,
        post_title="Sekretaris Jenderal",
        post_level="pratama",
        rulebook_version=RB.version,
        appointing_authority_id=uid("minister"),
        oversight_body="BKN",
        assessment_body="AC-1",
    )
    view = SelectionViewData(
        stage=stage,
        status="in_progress",
        scheme=SCHEME.model_dump(mode="json"),
        scheme_frozen=True,
        scorers=scorers,
        components=components or {},
        registration_opens=date(2027, 3, 1),
        registration_closes=date(2027, 3, 20),
        registration_closes_at=closes_at,
        plenary=plenary,
        waiting_for=[{"who": chair, "what": "decide", "due_at": "2027-04-01T00:00:00+00:00"}],
    )
    panel = [
        PanelMemberData(id=chair, name="Chair", role="chair", internal=True, affiliation="X"),
        PanelMemberData(id=secretary, name="Sec", role="secretary", internal=True, affiliation="X"),
        PanelMemberData(id=member, name="Member", role="member", internal=False, affiliation="Y"),
    ]
    async with db.begin() as s:
        await sel.write_view(s, pid, identity, view, NOW)
        await sel.replace_panel(s, pid, panel)
    return Sel(
        pid,
        code,
        chair,
        [chair, secretary, member],
        scorers,
        identity,
        view,
        identity.appointing_authority_id,
    )


async def set_view(db: Sessions, x: Sel, **changes: Any) -> None:
    x.view = x.view.model_copy(update=changes)
    async with db.begin() as s:
        await sel.write_view(s, x.pid, x.identity, x.view, NOW)


async def register(db: Sessions, x: Sel, p: ApplicantProfile, *, now: datetime = NOW) -> None:
    async with db.begin() as s:
        await sel.register_applicant(s, x.pid, p, source="api", stamp=stamp(x.pid, HR, now=now))


async def entries(db: Sessions, pid: str) -> list[LedgerEntry]:
    async with db.begin() as s:
        return await ledger.entries(s, pid)


async def applicant_rows(db: Sessions, pid: str) -> list[SelectionApplicant]:
    async with db.begin() as s:
        stmt = select(SelectionApplicant).where(SelectionApplicant.process_id == pid)
        return list((await s.scalars(stmt.order_by(SelectionApplicant.applicant_id))).all())


async def run(db: Sessions, fn: Any, *args: Any, **kwargs: Any) -> Any:
    async with db.begin() as s:
        return await fn(s, *args, **kwargs)


async def in_step(
    db: Sessions, barrier: asyncio.Barrier, fn: Any, *args: Any, **kwargs: Any
) -> Any:
    """Run ``fn`` in a transaction once every party holds its connection, so they truly overlap
    (without this the first may commit while the second is still connecting)."""
    async with db.begin() as s:
        await s.connection()
        await barrier.wait()
        return await fn(s, *args, **kwargs)


async def refused(db: Sessions, fn: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        await run(db, fn, *args, **kwargs)
    return info.value


async def screened_selection(db: Sessions, *, eligible: list[str], ineligible: list[str]) -> Sel:
    """A selection at assessment with its components open and these applicants screened."""
    x = await make_selection(db)
    for i, a in enumerate(eligible + ineligible):
        await register(db, x, profile(a, nip(i)))
    await set_view(db, x, stage="screening")
    await run(db, sel.precheck_all, x.pid, RB.requirements_for("pratama"), date(2027, 3, 20))
    for a in eligible:
        await decide(db, x, a, True)
    for a in ineligible:
        await decide(db, x, a, False, "Ijazah S2 belum disetarakan oleh kementerian.")
    await set_view(
        db,
        x,
        stage="assessment",
        components={"written": "open", "interview": "open", "health": "open"},
    )
    return x


async def decide(
    db: Sessions, x: Sel, applicant: str, eligible: bool, justification: str | None = None
) -> SelectionApplicant:
    result: SelectionApplicant = await run(
        db,
        sel.decide_screening,
        x.pid,
        applicant,
        eligible=eligible,
        justification=justification,
        stamp=stamp(x.pid, x.actor(x.chair)),
    )
    return result


async def declare(db: Sessions, x: Sel, who: str, conflicted: list[str]) -> None:
    await run(
        db,
        sel.declare,
        x.pid,
        conflicted=conflicted,
        reason="Former subordinate" if conflicted else "",
        stamp=stamp(x.pid, x.actor(who)),
    )


async def score(
    db: Sessions,
    x: Sel,
    who: str,
    component: str,
    applicant: str,
    value: float,
    justification: str | None = None,
    key: str | None = None,
) -> SelectionScore:
    result: SelectionScore = await run(
        db,
        sel.submit_score,
        x.pid,
        component=component,
        applicant_id=applicant,
        score=value,
        justification=justification,
        stamp=stamp(x.pid, x.actor(who), key=key),
    )
    return result


async def at_screening(db: Sessions) -> Sel:
    """A selection at screening with two applicants pre-checked: one eligible, one with a D3."""
    x = await make_selection(db)
    await register(db, x, profile("OK", nip(1)))
    await register(db, x, profile("D3", nip(2), degree="D3"))
    await set_view(db, x, stage="screening")
    await run(db, sel.precheck_all, x.pid, RB.requirements_for("pratama"), date(2027, 3, 20))
    return x
