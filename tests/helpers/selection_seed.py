"""A selection written straight into its read model (``store.selections``) and moved from stage to
stage, so that a test of the pipeline's or the store's refusals needs no workflow run: the read
model is the gate of the candidate-level writes (screening, declarations, scores)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.selection_contracts import PanelMemberData, SelectionIdentity, SelectionViewData
from domain.ledger import Actor
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.screening import ApplicantProfile
from store import selections

RULEBOOK = "PermenPANRB-15-2019"
HR = Actor(id="hr-1", role="agency_hr", agency=None)
PANEL = [
    ("chair", "chair", False),
    ("secretary", "secretary", True),
    ("m1", "member", False),
    ("m2", "member", True),
    ("m3", "member", False),
]
SCHEME = {
    "components": [
        {
            "code": "assessment",
            "name": "Assessment centre",
            "weight": 60,
            "scorer_kind": "assessor",
        },
        {"code": "interview", "name": "Interview", "weight": 40},
    ],
    "tie_break": ["assessment"],
}
SCORERS = {"assessment": ["as-1", "as-2"], "interview": ["chair", "m1"]}


def profile(i: int, **kw: Any) -> ApplicantProfile:
    data: dict[str, Any] = {
        "applicant_id": f"a{i}",
        "nip": f"19750101{i:010d}",
        "name": f"Applicant {i}",
        "degree": "S2",
        "years_experience": 12,
        "years_senior_post": 4,
        "birth_date": date(1975, 1, 1) + timedelta(days=i),
        "grade": "IV/b",
        "sanction_active": False,
    }
    return ApplicantProfile.model_validate(data | kw)


class Seed:
    """One selection written straight into the read model, moved from stage to stage."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], agency: str) -> None:
        self.sessions, self.agency = sessions, agency
        self.code = uuid.uuid4().hex[:10]
        self.pid = f"selection-{agency}-{self.code}"
        self.identity = SelectionIdentity(
            agency=agency,
            code=self.code,
            post_title="Kepala Biro Umum",
            post_level="pratama",
            rulebook_version=RULEBOOK,
            appointing_authority_id="ppk-1",
            oversight_body="BKN",
        )
        self.view = SelectionViewData(stage="planning", status="in_progress")

    def stamp(self, actor: Actor) -> selections.Stamp:
        entry = f"{self.pid}:accepted:{uuid.uuid4().hex[:12]}"
        return selections.Stamp(actor=actor, now=datetime.now(UTC), entry_id=entry)

    async def at(self, stage: str, **fields: Any) -> Seed:
        self.view = self.view.model_copy(update={"stage": stage, **fields})
        async with self.sessions() as s, s.begin():
            await selections.write_view(s, self.pid, self.identity, self.view, datetime.now(UTC))
        return self

    async def with_panel(self) -> Seed:
        members = [
            PanelMemberData(id=i, name=i.title(), role=r, internal=n, affiliation="X")
            for i, r, n in PANEL
        ]
        async with self.sessions() as s, s.begin():
            await selections.replace_panel(s, self.pid, members)
        return self

    async def registered(self, n: int) -> Seed:
        closes = datetime.now(UTC) + timedelta(days=5)
        await self.at(
            "registration",
            registration_opens=date.today() - timedelta(days=10),
            registration_closes=closes.date(),
            registration_closes_at=closes,
        )
        for i in range(1, n + 1):
            async with self.sessions() as s, s.begin():
                await selections.register_applicant(
                    s, self.pid, profile(i), source="api", stamp=self.stamp(HR)
                )
        return self

    async def screening(self, n: int, **fields: Any) -> Seed:
        """At screening with ``n`` applicants pre-checked and none decided yet."""
        await self.with_panel()
        await self.registered(n)
        await self.at("screening", applicants=n, **fields)
        req = get_selection_rulebook(RULEBOOK).requirements_for("pratama")
        async with self.sessions() as s, s.begin():
            await selections.precheck_all(s, self.pid, req, date.today())
        return self

    async def decide(self, applicant_id: str, by: str = "chair") -> None:
        """``by``, a committee member, confirms that ``applicant_id`` is eligible."""
        async with self.sessions() as s, s.begin():
            await selections.decide_screening(
                s,
                self.pid,
                applicant_id,
                eligible=True,
                justification=None,
                stamp=self.stamp(Actor(id=by, role="selection_committee")),
            )

    async def screened(self, n: int) -> Seed:
        await self.screening(n)
        for i in range(1, n + 1):
            await self.decide(f"a{i}")
        return self

    async def assessing(self, n: int = 4) -> Seed:
        await self.screened(n)
        return await self.at(
            "assessment",
            scheme=SCHEME,
            scheme_frozen=True,
            scorers=SCORERS,
            components={"assessment": "open", "interview": "open"},
            eligible=n,
        )
