"""The people, dates and shapes of the synthetic ledger (``bench/_ledger_fill.py``): forty agencies
of very different sizes (weights 1/rank^0.9), staff and supervisors drawn from per-agency pools, NIPs
that read like real ones, promotion periods the rulebooks allow, over about two years ending now.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from domain.errors import DomainError
from domain.ledger import GENESIS_HASH, Actor
from domain.rulebook import check_period, rulebook_for_period

AGENCIES = (
    "KEMENDIKBUDRISTEK", "KEMENAG", "KEMENKES", "KEMENKEU", "KEMENKUMHAM", "PEMPROV-JABAR",
    "PEMPROV-JATIM", "PEMPROV-JATENG", "KEMENHUB", "KEMENPUPR", "PEMPROV-DKI", "KEMENDAGRI",
    "PEMPROV-SUMUT", "KEMENTAN", "BPS", "PEMPROV-SULSEL", "KLHK", "KEMENLU", "PEMKOT-SURABAYA",
    "PEMKOT-BANDUNG", "KEMENSOS", "KEMNAKER", "PEMPROV-BALI", "PEMKAB-BOGOR", "KEMENPERIN",
    "KEMENDAG", "PEMPROV-KALTIM", "PEMKOT-MEDAN", "ESDM", "PEMPROV-ACEH", "BPK", "PEMKOT-MAKASSAR",
    "PEMKAB-SLEMAN", "PEMPROV-PAPUA", "BKN", "KEMENPANRB", "PEMKAB-BANYUWANGI", "PEMKAB-GOWA",
    "PEMKOT-YOGYAKARTA", "PEMKAB-BADUNG",
)  # fmt: skip
AGENCY_WEIGHTS = tuple(1 / (rank + 1) ** 0.9 for rank in range(len(AGENCIES)))
SPAN = timedelta(days=730)
# Entries per process start (measured ~13 with this mix): N entries then span a little under SPAN.
ENTRIES_PER_START = 12.5
DAY = 86_400.0


@dataclass
class Event:
    at: float  # seconds since the ledger's epoch
    kind: str
    actor: Actor
    outcome: str = "accepted"
    stage: tuple[str | None, str | None] = (None, None)
    payload: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None
    justification: str | None = None
    update_id: str | None = None


@dataclass
class Process:
    process_id: str
    kind: str
    agency: str
    subject: str | None
    rulebook: str | None
    run_id: str | None
    events: list[Event]
    entry_ids: Callable[[Event, int], str] | None = None
    next_event: int = 0
    workflow_entries: int = 0
    seq: int = 0
    head: str = GENESIS_HASH


class Population:
    """Who acts and when: the seeded source of every identity and gap in the ledger."""

    def __init__(self, entries: int, seed: int, end: datetime) -> None:
        self.rng = random.Random(seed)
        self.total = entries
        self.epoch = end - SPAN
        self.rate = entries / ENTRIES_PER_START / SPAN.total_seconds()
        self.used_ids: set[str] = set()
        self.periods: dict[tuple[int, int], date] = {}
        self.serial = Counter[str]()
        self.staff = {a: self._staff(a) for a in AGENCIES}

    # --- identities ----------------------------------------------------------------------------

    def nip(self, born_from: int = 1965, born_to: int = 1998) -> str:
        r = self.rng
        born = date(r.randint(born_from, born_to), r.randint(1, 12), r.randint(1, 28))
        hired = f"{min(born.year + r.randint(22, 30), 2024)}{r.randint(1, 12):02d}"
        return f"{born:%Y%m%d}{hired}{r.randint(1, 2)}{r.randint(1, 999):03d}"

    def _staff(self, agency: str) -> dict[str, list[str]]:
        return {
            "agency_hr": [self.nip() for _ in range(6)],
            "promotion_board": [self.nip() for _ in range(4)],
            "appointing_authority": [f"ppk-{agency.lower()}"],
            "supervisor": [self.nip(1960, 1985) for _ in range(200)],
            "selection_committee": [self.nip() for _ in range(5)],
            "assessor": [f"assessor-{agency.lower()}-{k}" for k in range(8)],
            "hr_system": [f"simpeg-{agency.lower()}"],
        }

    def person(self, agency: str, role: str) -> Actor:
        pool = self.staff[agency][role]
        national = role in ("bkn", "assessor")
        return Actor(id=self.rng.choice(pool), role=role, agency=None if national else agency)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def period_after(self, at: float) -> date:
        day = (self.epoch + timedelta(seconds=at)).date()
        key = (day.year, day.month)
        if key not in self.periods:
            d = day.replace(day=1)
            for _ in range(24):
                d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
                try:
                    check_period(rulebook_for_period(d), d)
                    break
                except DomainError:
                    continue
            self.periods[key] = d
        return self.periods[key]

    def gap(self, mean_days: float) -> float:
        return self.rng.expovariate(1 / (mean_days * DAY))

    def agency(self) -> str:
        return self.rng.choices(AGENCIES, AGENCY_WEIGHTS)[0]

    def unique(self, make: Callable[[], str]) -> str:
        while (value := make()) in self.used_ids:
            pass
        self.used_ids.add(value)
        return value
