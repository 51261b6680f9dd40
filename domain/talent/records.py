"""What the HR source gives for one employee's talent review: performance and potential inputs.

A :class:`TalentRecord` is the employee as the talent formula and the JPT eligibility rules read
them at a data cut-off: the yearly SKP ratings (PermenPANRB 6/2022: Very Good, Good, Needs
Improvement, Poor, Very Poor), the supporting performance (awards, team assignments), and the inputs
of potential: the competency assessment result, the potential assessment, the qualification
(education) and the integrity record (disciplinary sanctions by severity). The same record also
carries what JPT eligibility (§1.2) needs: degree, experience, senior-post years, birth date, grade.

Rows arrive from a CSV file or from a SIASN-style service; :func:`record_from_row` maps one CSV row
and raises :class:`RowError` naming the column at fault, so an import can list every bad row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.employee import Education, Nip, RatingRecord
from domain.grades import Grade

# Where an employee sits now: what the population of a review is drawn by.
PositionLevel = Literal[
    "pelaksana",
    "pengawas",
    "administrator",
    "ahli_pertama",
    "ahli_muda",
    "ahli_madya",
    "ahli_utama",
    "jpt_pratama",
    "jpt_madya",
    "jpt_utama",
]
POSITION_LEVELS: tuple[str, ...] = get_args(PositionLevel)


class Severity(StrEnum):
    """Disciplinary sanctions by severity (hukuman disiplin ringan, sedang, berat)."""

    LIGHT = "light"
    MEDIUM = "medium"
    HEAVY = "heavy"


SEVERITY_ALIASES = {"ringan": "light", "sedang": "medium", "berat": "heavy"}


class IntegrityRecord(BaseModel):
    """One disciplinary sanction: its severity and when it ran (end None: still running)."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    start: date
    end: date | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _indonesian(cls, value: Any) -> Any:
        return SEVERITY_ALIASES.get(str(value).strip().lower(), value)

    def active_on(self, d: date) -> bool:
        return self.start <= d and (self.end is None or d <= self.end)


class TalentRecord(BaseModel):
    """One employee's inputs to the talent formula and to JPT eligibility."""

    model_config = ConfigDict(frozen=True)

    nip: Nip
    name: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=1, max_length=32)
    province: str | None = Field(None, max_length=64)
    job_family: str | None = Field(None, max_length=64)
    position_level: PositionLevel
    grade: Grade | None = None
    education: Education
    birth_date: date
    years_experience: float = Field(ge=0, le=60)
    years_senior_post: float = Field(ge=0, le=60)
    ratings: list[RatingRecord] = Field(default_factory=list)
    awards: int = Field(0, ge=0, le=100)
    team_assignments: int = Field(0, ge=0, le=100)
    competency_score: float | None = Field(None, ge=0, le=100)
    competency_assessed_on: date | None = None
    potential_score: float | None = Field(None, ge=0, le=100)
    integrity: list[IntegrityRecord] = Field(default_factory=list)
    trainings: list[str] = Field(default_factory=list)

    @field_validator("ratings")
    @classmethod
    def _one_rating_per_year(cls, value: list[RatingRecord]) -> list[RatingRecord]:
        years = [r.year for r in value]
        if len(years) != len(set(years)):
            raise ValueError("at most one rating per year")
        return sorted(value, key=lambda r: r.year)

    def sanction_active(self, d: date) -> bool:
        return any(i.active_on(d) for i in self.integrity)


class Population(BaseModel):
    """Who a talent review covers: a level (or levels) and a job family, in one or more agencies
    (up to every agency of a province)."""

    model_config = ConfigDict(frozen=True)

    agencies: list[str] = Field(min_length=1, max_length=600)
    position_levels: list[PositionLevel] = Field(min_length=1)
    job_family: str | None = Field(None, max_length=64)
    province: str | None = Field(None, max_length=64)

    def includes(self, record: TalentRecord) -> bool:
        return (
            record.agency in self.agencies
            and record.position_level in self.position_levels
            and (self.job_family is None or record.job_family == self.job_family)
            and (self.province is None or record.province == self.province)
        )

    def describe(self) -> str:
        where = f"province {self.province}, " if self.province else ""
        family = f", job family {self.job_family}" if self.job_family else ""
        agencies = ", ".join(self.agencies[:5]) + ("…" if len(self.agencies) > 5 else "")
        return f"{where}{', '.join(self.position_levels)}{family} in {agencies}"


# ---- one CSV row ----------------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "nip",
    "name",
    "agency",
    "province",
    "job_family",
    "position_level",
    "grade",
    "education",
    "birth_date",
    "years_experience",
    "years_senior_post",
    "ratings",
    "awards",
    "team_assignments",
    "competency_score",
    "competency_assessed_on",
    "potential_score",
    "integrity",
    "trainings",
)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "nip",
    "name",
    "agency",
    "position_level",
    "education",
    "birth_date",
    "years_experience",
    "years_senior_post",
)


class RowError(ValueError):
    """A row that cannot be a record: the column at fault (or ``row``) and why."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")
        self.column = column
        self.message = message


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(";") if p.strip()]


def _parts(column: str, value: str | None, size: int) -> list[list[str]]:
    out = []
    for part in _split(value):
        pieces = [p.strip() for p in part.split(":")]
        if not 2 <= len(pieces) <= size:
            raise RowError(column, f"{part!r} is not in the form the column takes")
        out.append(pieces)
    return out


def _row_dict(row: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v.strip() for k, v in row.items() if k in CSV_COLUMNS and v.strip()}
    out["ratings"] = [{"year": y, "rating": r} for y, r in _parts("ratings", row.get("ratings"), 2)]
    out["integrity"] = [
        dict(zip(("severity", "start", "end"), p, strict=False))
        for p in _parts("integrity", row.get("integrity"), 3)
    ]
    out["trainings"] = _split(row.get("trainings"))
    return out


def record_from_row(row: Mapping[str, str]) -> TalentRecord:
    """One CSV row (``ratings`` as ``2025:good;2026:very_good``, ``integrity`` as
    ``light:2024-01-01:2024-06-30``, ``trainings`` as ``PKA;PKN II``); :class:`RowError` if bad."""
    missing = [c for c in REQUIRED_COLUMNS if not (row.get(c) or "").strip()]
    if missing:
        raise RowError(missing[0], "required")
    try:
        return TalentRecord.model_validate(_row_dict(row))
    except ValidationError as err:
        first = err.errors()[0]
        column = str(first.get("loc", ("row",))[0])
        raise RowError(column, str(first.get("msg", "invalid"))) from err
