"""A realistic agency for talent reviews: generated employees, their CSV, the committee.

Deterministic (a seeded generator), so a test, a history capture and a benchmark see the same
people. The mix is rough but plausible: most ratings Good, a fifth Very Good; assessments between 50
and 98; a few sanctions; about one in a hundred without a competency assessment (excluded, with the
reason, by the review).
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from typing import Any

from domain.talent.committee import CommitteeMember, Seat
from domain.talent.records import CSV_COLUMNS, TalentRecord

CUTOFF = date(2026, 11, 30)
FAMILIES = ("finance", "health", "education", "infrastructure")
RATINGS = (
    ("very_good", 20),
    ("good", 55),
    ("needs_improvement", 15),
    ("poor", 7),
    ("very_poor", 3),
)
LEVELS = (("administrator", 60), ("ahli_madya", 25), ("pengawas", 15))
EDUCATION = (("S2", 40), ("S1", 40), ("S3", 5), ("D4", 10), ("D3", 5))


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def nip_of(i: int, birth: date) -> str:
    """18 digits: birth date, appointment year and month, sex, a sequence (unique per ``i``)."""
    return f"{birth:%Y%m%d}{2000 + i % 20}{(i % 12) + 1:02d}{i % 2 + 1}{i % 1000:03d}"[:18]


def record(i: int, rng: random.Random, agency: str, province: str) -> dict[str, Any]:
    birth = date(1966, 1, 1) + timedelta(days=rng.randrange(0, 24 * 365))
    sanctions = []
    roll = rng.random()
    if roll < 0.08:
        severity = "light" if roll < 0.05 else ("medium" if roll < 0.07 else "heavy")
        start = CUTOFF - timedelta(days=rng.randrange(60, 1500))
        sanctions.append({"severity": severity, "start": start, "end": start + timedelta(days=180)})
    assessed = CUTOFF - timedelta(days=rng.randrange(10, 700))
    return {
        "nip": nip_of(i, birth),
        "name": f"Pegawai {i:05d}",
        "agency": agency,
        "province": province,
        "job_family": FAMILIES[i % len(FAMILIES)],
        "position_level": _pick(rng, LEVELS),
        "grade": rng.choice(("III/d", "IV/a", "IV/b", "IV/c")),
        "education": _pick(rng, EDUCATION),
        "birth_date": birth,
        "years_experience": rng.randrange(5, 31),
        "years_senior_post": rng.randrange(0, 11),
        "ratings": [
            {"year": CUTOFF.year - 2, "rating": _pick(rng, RATINGS)},
            {"year": CUTOFF.year - 1, "rating": _pick(rng, RATINGS)},
        ],
        "awards": rng.randrange(0, 4),
        "team_assignments": rng.randrange(0, 7),
        "competency_score": None if rng.random() < 0.01 else rng.randrange(50, 99),
        "competency_assessed_on": assessed,
        "potential_score": rng.randrange(50, 99),
        "integrity": sanctions,
        "trainings": ["PKA"] + (["PKN II"] if rng.random() < 0.3 else []),
    }


def population(
    n: int, agency: str = "PEMKAB-DEMO", *, seed: int = 17, province: str = "JAWA TENGAH"
) -> list[TalentRecord]:
    rng = random.Random(seed)
    return [TalentRecord.model_validate(record(i, rng, agency, province)) for i in range(n)]


def to_csv(records: list[TalentRecord]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS))
    writer.writeheader()
    for r in records:
        row = r.model_dump(mode="json")
        row["ratings"] = ";".join(f"{x['year']}:{x['rating']}" for x in row["ratings"])
        row["integrity"] = ";".join(
            f"{x['severity']}:{x['start']}:{x['end'] or ''}".rstrip(":") for x in row["integrity"]
        )
        row["trainings"] = ";".join(row["trainings"])
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode()


def committee(prefix: str) -> list[CommitteeMember]:
    seats = (Seat.CHAIR, Seat.SECRETARY, Seat.MEMBER)
    return [
        CommitteeMember(id=f"{prefix}-c{i}", name=f"Committee {i}", seat=seat)
        for i, seat in enumerate(seats)
    ]
