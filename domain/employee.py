"""The employee record as the HR system reports it, validated at the boundary.

Eligibility rules read only this record, so everything they need (ratings, sanctions, trainings,
credit points) lives here and is checked for shape once, when the record is built.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from domain.enums import Rating
from domain.grades import Grade

EDUCATION_LEVELS: tuple[str, ...] = ("SD", "SMP", "SMA", "D1", "D2", "D3", "D4", "S1", "S2", "S3")


def _known_education(value: str) -> str:
    if value not in EDUCATION_LEVELS:
        raise ValueError(f"unknown education {value!r}; expected one of {EDUCATION_LEVELS}")
    return value


# An education level (highest degree) of a record sent in; its schema lists the levels.
Education = Annotated[
    str,
    AfterValidator(_known_education),
    WithJsonSchema({"type": "string", "enum": list(EDUCATION_LEVELS)}),
]

# ASCII digits only: a NIP is a fixed-layout number (birth date, appointment date, sex, sequence).
Nip = Annotated[str, StringConstraints(pattern=r"^[0-9]{18}$")]


class RatingRecord(BaseModel):
    """The annual performance rating (predikat kinerja) for one calendar year."""

    model_config = ConfigDict(frozen=True)

    year: int = Field(ge=1950, le=2200)
    rating: Rating


class Sanction(BaseModel):
    """A disciplinary sanction; ``end`` is the last day served, None while open-ended."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(min_length=1, max_length=100)
    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Sanction:
        if self.end is not None and self.end < self.start:
            raise ValueError("a sanction cannot end before it starts")
        return self

    def active_on(self, d: date) -> bool:
        """Whether the sanction is being served on ``d``; both ends are inclusive."""
        return self.start <= d and (self.end is None or d <= self.end)


class EmployeeRecord(BaseModel):
    """One civil servant's promotion-relevant data at the moment it was fetched."""

    model_config = ConfigDict(frozen=True)

    nip: Nip
    name: str = Field(min_length=1, max_length=200)
    agency: str = Field(min_length=1, max_length=32)
    grade: Grade
    rank_since: date
    education: Education
    position: str = ""
    position_kind: Literal["structural", "functional", "executor"] = "executor"
    supervisor_nip: Nip | None = None
    ratings: list[RatingRecord] = Field(default_factory=list)
    sanctions: list[Sanction] = Field(default_factory=list)
    trainings: list[str] = Field(default_factory=list)
    credit_points: float = Field(default=0, ge=0)
    has_position_decree: bool = False

    @field_validator("ratings")
    @classmethod
    def _one_rating_per_year(cls, value: list[RatingRecord]) -> list[RatingRecord]:
        # Two ratings for one year would make the performance check depend on list order.
        years = [r.year for r in value]
        if len(years) != len(set(years)):
            raise ValueError("at most one rating per year")
        return value

    def rating_for(self, year: int) -> Rating | None:
        """The rating for ``year``, or None when the HR system has none on file."""
        return next((r.rating for r in self.ratings if r.year == year), None)
