"""Versioned talent-management rulebooks: the formula, the 9-box, the windows, as data.

One ``TalentRulebook`` per regime; a talent review and a talent appointment are pinned to the
version they started under. The formula (axis weights) is one table, :class:`Formula`, and the
9-box one mapping, ``boxes``: an agency that must correct either pins a new version, no code
changes. Every number names its source (``domain/talent/sources.py``); a rulebook without one for
every number is refused.

A *training* rulebook counts the objection window, the answer time and the oversight review in
minutes, and is refused outside development, test and training (``domain/training.py``).

Versions: BKN-TM-2025 numbers the boxes along the diagonals (no source; superseded, kept for the
reviews pinned to it); BKN-TM-2025.2, the default for new reviews, has the same numbers but the
boxes numbered row by row of performance as every source found numbers them (not yet confirmed
against the regulation's annex). Each has its training twin.
"""

from __future__ import annotations

from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.durations import DurationUnit
from domain.employee import EDUCATION_LEVELS
from domain.enums import Rating
from domain.errors import NotFound, RuleViolation
from domain.review import ReviewRule, SubjectType, review_rule
from domain.selection.rulebook import POST_LEVELS, SELECTION_RULEBOOKS
from domain.talent import sources
from domain.training import require_usable

LEVELS: tuple[str, ...] = ("low", "medium", "high")

NUMBERS: tuple[str, ...] = (
    "formula",
    "rating_scores",
    "rating_years",
    "supporting_points",
    "qualification_points",
    "integrity_points",
    "competency_validity_years",
    "levels",
    "boxes",
    "pool_boxes",
    "successor_box",
    "justification_min_chars",
    "objection_window",
    "answer_within",
    "successors_per_post",
    "readiness",
    "competency_target",
    "required_training",
    "merit_categories",
    "merit_valid_years",
    "approval_valid_years",
    "eligibility_rulebook",
    "successor_review",
)


def _exact(value: float) -> Fraction:
    return Fraction(str(value))


class Formula(BaseModel):
    """The talent score: weights of each axis and of each part of an axis (each group sums to 1)."""

    model_config = ConfigDict(frozen=True)

    performance: float = Field(ge=0, le=1)
    potential: float = Field(ge=0, le=1)
    performance_main: float = Field(ge=0, le=1)
    performance_supporting: float = Field(ge=0, le=1)
    competency: float = Field(ge=0, le=1)
    potential_assessment: float = Field(ge=0, le=1)
    qualification: float = Field(ge=0, le=1)
    integrity: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _sums(self) -> Formula:
        groups = {
            "final": (self.performance, self.potential),
            "performance axis": (self.performance_main, self.performance_supporting),
            "potential axis": (
                self.competency,
                self.potential_assessment,
                self.qualification,
                self.integrity,
            ),
        }
        for name, weights in groups.items():
            if sum(_exact(w) for w in weights) != 1:
                raise ValueError(f"the {name} weights must sum to 1")
        return self


class SupportingPoints(BaseModel):
    model_config = ConfigDict(frozen=True)

    per_award: float = Field(ge=0)
    per_team_assignment: float = Field(ge=0)
    cap: float = Field(gt=0, le=100)


class IntegrityPoints(BaseModel):
    """Points by the worst sanction that ran within ``lookback_years`` of the cut-off."""

    model_config = ConfigDict(frozen=True)

    none: float = Field(ge=0, le=100)
    light: float = Field(ge=0, le=100)
    medium: float = Field(ge=0, le=100)
    heavy: float = Field(ge=0, le=100)
    lookback_years: int = Field(ge=1)


class Thresholds(BaseModel):
    """An axis score at or above ``high_from`` is high, at or above ``medium_from`` medium."""

    model_config = ConfigDict(frozen=True)

    high_from: float = Field(gt=0, le=100)
    medium_from: float = Field(gt=0, le=100)

    def level(self, score: float) -> str:
        if score >= self.high_from:
            return "high"
        return "medium" if score >= self.medium_from else "low"


class TalentRulebook(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str = Field(min_length=1)
    title: str
    legal_basis: str
    formula: Formula
    rating_scores: dict[Rating, float]
    rating_years: int = Field(ge=1, le=5)
    supporting_points: SupportingPoints
    qualification_points: dict[str, float]
    integrity_points: IntegrityPoints
    competency_validity_years: int = Field(ge=1)
    levels: Thresholds
    # "<performance level>/<potential level>" -> box number 1..9
    boxes: dict[str, int]
    pool_boxes: tuple[int, ...]
    successor_box: int = Field(ge=1, le=9)
    justification_min_chars: int = Field(ge=1)
    duration_unit: DurationUnit = DurationUnit.WORKING_DAYS
    objection_window: int = Field(ge=1)
    answer_within: int = Field(ge=1)
    successors_per_post: int = Field(ge=1, le=20)
    # "<box>:<eligible|not_eligible>" -> readiness; a box not named has readiness "later"
    readiness: dict[str, str]
    competency_target: dict[str, float]
    required_training: dict[str, str]
    merit_categories: tuple[str, ...]
    merit_valid_years: int = Field(ge=1)
    approval_valid_years: int = Field(ge=1)
    eligibility_rulebook: str
    successor_review: ReviewRule
    sources: dict[str, str]
    training: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> TalentRulebook:
        expected = {f"{p}/{q}" for p in LEVELS for q in LEVELS}
        if set(self.boxes) != expected or sorted(self.boxes.values()) != list(range(1, 10)):
            raise ValueError("boxes must number each performance/potential pair once, 1 to 9")
        if (
            not set(self.pool_boxes) <= set(range(1, 10))
            or self.successor_box not in self.pool_boxes
        ):
            raise ValueError("pool_boxes are box numbers and hold the successor_box")
        if set(self.rating_scores) != set(Rating):
            raise ValueError("rating_scores must score every rating")
        if set(self.qualification_points) != set(EDUCATION_LEVELS):
            raise ValueError("qualification_points must score every education level")
        if self.levels.medium_from >= self.levels.high_from:
            raise ValueError("medium_from must be below high_from")
        for table in (self.competency_target, self.required_training):
            if set(table) != set(POST_LEVELS):
                raise ValueError(f"competency_target and required_training need {POST_LEVELS}")
        if self.eligibility_rulebook not in SELECTION_RULEBOOKS:
            raise ValueError(f"unknown eligibility_rulebook {self.eligibility_rulebook!r}")
        minutes = [
            self.duration_unit is DurationUnit.MINUTES,
            self.successor_review.duration_unit is DurationUnit.MINUTES,
        ]
        if any(m is not self.training for m in minutes):
            raise ValueError("durations in minutes are for training rulebooks only, and only them")
        unsourced = [n for n in NUMBERS if not self.sources.get(n, "").strip()]
        if unsourced:
            raise ValueError(f"every number needs its source; none for {', '.join(unsourced)}")
        return self

    def box(self, performance_level: str, potential_level: str) -> int:
        return self.boxes[f"{performance_level}/{potential_level}"]

    def box_levels(self, box: int) -> tuple[str, str]:
        """(performance level, potential level) of ``box``."""
        key = next(k for k, v in self.boxes.items() if v == box)
        perf, pot = key.split("/")
        return perf, pot

    def grid(self) -> list[list[int]]:
        """The boxes as the 9-box is drawn: performance up (the high row first), potential across
        (low to high)."""
        return [[self.box(perf, pot) for pot in LEVELS] for perf in reversed(LEVELS)]

    def readiness_of(self, box: int, eligible: bool) -> str:
        key = f"{box}:{'eligible' if eligible else 'not_eligible'}"
        return self.readiness.get(key, "later")

    @property
    def eligibility(self) -> dict[str, object]:
        return dict(SELECTION_RULEBOOKS[self.eligibility_rulebook].eligibility)


# BKN-TM-2025's numbering, along the diagonals ([GK]; superseded, see sources.BOX_NUMBERING).
_DIAGONAL = {
    "low/low": 1,
    "low/medium": 2,
    "medium/low": 3,
    "low/high": 4,
    "medium/medium": 5,
    "high/low": 6,
    "medium/high": 7,
    "high/medium": 8,
    "high/high": 9,
}

_BKN_TM_2025 = TalentRulebook(
    version="BKN-TM-2025",
    title="Talent management: 9-box talent review and succession (2025 formula)",
    legal_basis=(
        "PermenPANRB 3/2020 (talent management); Kepka BKN 411/2025 (integrated system from "
        "1 Jan 2026); UU 5/2014 Pasal 111 (filling JPT posts from an approved talent pool)"
    ),
    formula=Formula(
        performance=0.5,
        potential=0.5,
        performance_main=0.6,
        performance_supporting=0.4,
        competency=0.4,
        potential_assessment=0.25,
        qualification=0.2,
        integrity=0.15,
    ),
    rating_scores={
        Rating.VERY_GOOD: 100,
        Rating.GOOD: 80,
        Rating.NEEDS_IMPROVEMENT: 60,
        Rating.POOR: 40,
        Rating.VERY_POOR: 20,
    },
    rating_years=2,
    supporting_points=SupportingPoints(per_award=25, per_team_assignment=10, cap=100),
    qualification_points={
        "S3": 100,
        "S2": 90,
        "S1": 80,
        "D4": 80,
        "D3": 60,
        "D2": 50,
        "D1": 45,
        "SMA": 40,
        "SMP": 20,
        "SD": 10,
    },
    integrity_points=IntegrityPoints(none=100, light=75, medium=50, heavy=0, lookback_years=5),
    competency_validity_years=3,
    levels=Thresholds(high_from=80, medium_from=60),
    boxes=_DIAGONAL,
    pool_boxes=(7, 8, 9),
    successor_box=9,
    justification_min_chars=20,
    objection_window=5,
    answer_within=10,
    successors_per_post=3,
    readiness={
        "9:eligible": "ready_now",
        "9:not_eligible": "ready_1_2_years",
        "8:eligible": "ready_1_2_years",
        "8:not_eligible": "ready_1_2_years",
        "7:eligible": "ready_1_2_years",
    },
    competency_target={"pratama": 80, "madya": 85, "utama": 90},
    required_training={"pratama": "PKN II", "madya": "PKN I", "utama": "PKN I"},
    merit_categories=("good", "very_good"),
    merit_valid_years=2,
    approval_valid_years=3,
    eligibility_rulebook="PermenPANRB-15-2019",
    successor_review=review_rule(SubjectType.TALENT_SUCCESSOR),
    sources=sources.BKN_TM_2025,
)

# Performance (kinerja) up, potential (potensial) across: row by row, the boxes as every source
# found numbers them (sources.BOX_NUMBERING_2025_2).
_BY_PERFORMANCE_ROWS = {
    "high/low": 4,
    "high/medium": 7,
    "high/high": 9,
    "medium/low": 2,
    "medium/medium": 5,
    "medium/high": 8,
    "low/low": 1,
    "low/medium": 3,
    "low/high": 6,
}

# BKN-TM-2025 with the boxes renumbered; every other number is the same.
_BKN_TM_2025_2 = TalentRulebook.model_validate(
    _BKN_TM_2025.model_dump()
    | {
        "version": "BKN-TM-2025.2",
        "title": "Talent management: 9-box talent review and succession (2025 formula; the boxes "
        "numbered by rows of performance)",
        "boxes": _BY_PERFORMANCE_ROWS,
        "sources": sources.BKN_TM_2025_2,
    }
)


def _training(rb: TalentRulebook, title: str, training_sources: dict[str, str]) -> TalentRulebook:
    """``rb`` with its objection window, answer time and successor review in minutes."""
    return TalentRulebook.model_validate(
        rb.model_dump()
        | {
            "version": f"{rb.version}-training",
            "title": title,
            "legal_basis": "Training only (MERITFLOW_ENV development, test or training); rules as "
            + rb.version,
            "duration_unit": DurationUnit.MINUTES,
            "successor_review": review_rule(SubjectType.TALENT_SUCCESSOR, DurationUnit.MINUTES),
            "sources": training_sources,
            "training": True,
        }
    )


_TRAINING = _training(
    _BKN_TM_2025, "Training: the 2025 talent review with its windows in minutes", sources.TRAINING
)
_TRAINING_2025_2 = _training(
    _BKN_TM_2025_2,
    "Training: the 2025.2 talent review (boxes by rows of performance) with its windows in minutes",
    sources.TRAINING_2025_2,
)

TALENT_RULEBOOKS: dict[str, TalentRulebook] = {
    rb.version: rb for rb in (_BKN_TM_2025, _TRAINING, _BKN_TM_2025_2, _TRAINING_2025_2)
}
# New reviews and appointments: reviews already started stay on the version they were pinned to.
DEFAULT_TALENT_RULEBOOK = _BKN_TM_2025_2.version
TRAINING_TALENT_RULEBOOK = _TRAINING_2025_2.version


def get_talent_rulebook(version: str) -> TalentRulebook:
    try:
        return TALENT_RULEBOOKS[version]
    except KeyError:
        known = ", ".join(sorted(TALENT_RULEBOOKS))
        raise NotFound(
            f"No talent rulebook {version!r}; known versions are {known}.",
            code="rulebook_not_found",
        ) from None


def rulebook_for_start(version: str | None, env: str) -> TalentRulebook:
    """The rulebook a new review or appointment is pinned to; a training one only where allowed."""
    chosen = version or DEFAULT_TALENT_RULEBOOK
    rb = TALENT_RULEBOOKS.get(chosen)
    if rb is None:
        known = ", ".join(sorted(TALENT_RULEBOOKS))
        raise RuleViolation(
            f"No talent rulebook {chosen!r}; known versions are {known}.",
            code="rulebook_not_found",
            field="rulebook_version",
        )
    require_usable(rb, env)
    return rb
