"""Versioned rulebooks for open selection to high leadership posts (seleksi terbuka JPT).

Every number the selection rules use lives here as data, one ``SelectionRulebook`` per regime; a
selection is pinned to the version it started under. The rule modules of this package only compare.
Each number carries its source in ``sources`` (a rulebook without one for every number is refused).

Tags follow /work/shared/domain-rules.md: [S#] is a source listed there, [GK] is general knowledge
that was not confirmed and must be checked before relying on it.

A *training* rulebook keeps every rule of its legal model but counts its durations in minutes, so a
whole selection can be walked through in one sitting; :func:`rulebook_for_start` refuses it outside
development, test and training (``domain/training.py``). The legal rulebooks count calendar days and
take registration windows as dates.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.durations import DurationUnit
from domain.employee import EDUCATION_LEVELS
from domain.errors import NotFound, RuleViolation
from domain.grades import GRADES
from domain.review import ReviewRule, SubjectType, review_rule
from domain.selection.sources import PERMENPANRB_15_2019 as _SOURCES_PERMENPANRB_15_2019
from domain.training import require_usable

POST_LEVELS: tuple[str, ...] = ("pratama", "madya", "utama")

# The degrees a JPT candidate may hold, lowest first. The regulation reads "sarjana atau diploma
# IV", so D4 counts as S1: a minimum of S1 admits a D4 holder.
ACCEPTED_DEGREES: tuple[str, ...] = ("D4", "S1", "S2", "S3")
_SAME_LEVEL_AS = {"D4": "S1"}


def degree_rank(degree: str) -> int:
    """Position of ``degree`` among education levels, D4 and S1 sharing one position."""
    if degree not in EDUCATION_LEVELS:
        raise RuleViolation(
            f"{degree!r} is not an education level; expected one of {', '.join(EDUCATION_LEVELS)}.",
            code="unknown_degree",
        )
    return EDUCATION_LEVELS.index(_SAME_LEVEL_AS.get(degree, degree))


def exact_fraction(value: float) -> Fraction:
    """The decimal the rulebook author wrote (0.45, not its binary neighbour), for exact compares."""
    return Fraction(str(value))


class PostLevelRequirements(BaseModel):
    """What a PNS candidate needs for one post level; a missing minimum grade means none applies."""

    model_config = ConfigDict(frozen=True)

    min_degree: str
    min_years_experience: float = Field(ge=0)
    min_years_senior_post: float = Field(ge=0)
    max_age: int = Field(ge=18, le=100)
    min_grade: str | None = None
    # Which posts count as "senior" differs by level; carried for the screening sentences.
    senior_post_label: str = "a qualifying senior post"

    @field_validator("min_degree")
    @classmethod
    def _accepted_degree(cls, value: str) -> str:
        if value not in ACCEPTED_DEGREES:
            raise ValueError(f"min_degree must be one of {ACCEPTED_DEGREES}, not {value!r}")
        return value

    @field_validator("min_grade")
    @classmethod
    def _known_grade(cls, value: str | None) -> str | None:
        if value is not None and value not in GRADES:
            raise ValueError(f"unknown grade {value!r}; expected one of I/a … IV/e")
        return value


class WindowUnit(StrEnum):
    """What the registration window and its extensions count: calendar days (windows are dates,
    each running to the end of its last day, WIB), or, in a training rulebook only, minutes
    (windows are instants). The oversight reviews count theirs in their ``ReviewRule``'s unit."""

    DAYS = "calendar_days"
    MINUTES = "minutes"


# The numbers of a rulebook, each of which must name its source.
NUMBERS: tuple[str, ...] = (
    "panel_min",
    "panel_max",
    "panel_must_be_odd",
    "internal_share_max",
    "require_chair",
    "require_secretary",
    "registration_min_length",
    "min_applicants_per_post",
    "extension_length",
    "max_extensions",
    "floor_after_extensions",
    "shortlist_size",
    "shortlist_min",
    "plenary_quorum_fraction",
    "chair_breaks_ties",
    "justification_min_chars",
    "score_min",
    "score_max",
    "plan_review",
    "shortlist_review",
    "eligibility",
)


class SelectionRulebook(BaseModel):
    """One regime for open JPT selection."""

    model_config = ConfigDict(frozen=True)

    version: str = Field(min_length=1)
    title: str
    legal_basis: str
    panel_min: int = Field(ge=1)
    panel_max: int = Field(ge=1)
    panel_must_be_odd: bool
    internal_share_max: float = Field(ge=0, le=1)
    require_chair: bool
    require_secretary: bool
    # The registration window's durations, in ``window_unit``.
    window_unit: WindowUnit = WindowUnit.DAYS
    registration_min_length: int = Field(ge=1)
    min_applicants_per_post: int = Field(ge=1)
    extension_length: int = Field(ge=1)
    max_extensions: int = Field(ge=0)
    floor_after_extensions: int | None = Field(default=None, ge=1)
    shortlist_size: int = Field(ge=1)
    # Fewer qualified applicants than this after the cut-offs fails the selection (it is re-run);
    # between this and ``shortlist_size`` the shorter list goes on. None: ``shortlist_size``.
    shortlist_min: int | None = Field(default=None, ge=1)
    # Quorum: strictly MORE than this fraction of the non-recused members must vote.
    plenary_quorum_fraction: float = Field(ge=0, lt=1)
    chair_breaks_ties: bool
    # A screening override and a score amendment must say why, in at least this many characters.
    justification_min_chars: int = Field(ge=1)
    # The scale every score is given on (pass/fail components: 0 or 1).
    score_min: float
    score_max: float
    # How the oversight body reviews the plan and the shortlist (the review child's rule).
    plan_review: ReviewRule
    shortlist_review: ReviewRule
    eligibility: dict[str, PostLevelRequirements]
    # Where each number comes from: a legal source, or [GK] with what is assumed.
    sources: dict[str, str]
    # Durations in minutes, for demonstrations: never for a real selection.
    training: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> SelectionRulebook:
        if self.panel_max < self.panel_min:
            raise ValueError("panel_max must not be below panel_min")
        if self.panel_must_be_odd and self.panel_min == self.panel_max and self.panel_min % 2 == 0:
            raise ValueError("an odd panel cannot have this even fixed size")
        floor = self.floor_after_extensions
        if floor is not None and floor >= self.min_applicants_per_post:
            raise ValueError("floor_after_extensions must be below min_applicants_per_post")
        if self.shortlist_min is not None and self.shortlist_min > self.shortlist_size:
            raise ValueError("shortlist_min must not exceed shortlist_size")
        if sorted(self.eligibility) != sorted(POST_LEVELS):
            raise ValueError(f"eligibility must have exactly the post levels {POST_LEVELS}")
        if not self.score_min < self.score_max:
            raise ValueError("score_min must be below score_max")
        minutes = [self.window_unit is WindowUnit.MINUTES] + [
            r.duration_unit is DurationUnit.MINUTES
            for r in (self.plan_review, self.shortlist_review)
        ]
        if any(m is not self.training for m in minutes):
            raise ValueError("durations in minutes are for training rulebooks only, and only them")
        unsourced = [n for n in NUMBERS if not self.sources.get(n, "").strip()]
        if unsourced:
            raise ValueError(f"every number needs its source; none for {', '.join(unsourced)}")
        return self

    def duration(self, length: int) -> timedelta:
        """``length`` of this rulebook's unit."""
        if self.window_unit is WindowUnit.MINUTES:
            return timedelta(minutes=length)
        return timedelta(days=length)

    @property
    def unit_name(self) -> str:
        """The unit as a sentence says it (``calendar days`` or ``minutes``)."""
        return "minutes" if self.window_unit is WindowUnit.MINUTES else "calendar days"

    @property
    def registration_min(self) -> timedelta:
        return self.duration(self.registration_min_length)

    @property
    def extension(self) -> timedelta:
        return self.duration(self.extension_length)

    def review_rule(self, subject: SubjectType) -> ReviewRule:
        """The oversight review's rule for the plan or the shortlist."""
        if subject is SubjectType.SELECTION_PLAN:
            return self.plan_review
        if subject is SubjectType.SHORTLIST:
            return self.shortlist_review
        raise ValueError(f"a selection has no {subject.value} review")

    @property
    def shortlist_floor(self) -> int:
        """The fewest qualified applicants a shortlist may go forward with."""
        return self.shortlist_size if self.shortlist_min is None else self.shortlist_min

    def requirements_for(self, post_level: str) -> PostLevelRequirements:
        """The eligibility rule for ``post_level``; an unknown level is refused, never defaulted."""
        try:
            return self.eligibility[post_level]
        except KeyError:
            raise RuleViolation(
                f"{post_level!r} is not a JPT level; expected one of {', '.join(POST_LEVELS)}.",
                code="unknown_post_level",
            ) from None


_ELIGIBILITY_PP_11_2017: dict[str, PostLevelRequirements] = {
    # PP 11/2017 Pasal 107 as amended by PP 17/2020: S1/D4, 5 years of related experience,
    # 2 years as Administrator or Ahli Madya, at most 56 [S26]. No minimum grade in the regulation:
    # agencies that add one (IV/b is common, domain-rules §1.2) configure a variant.
    "pratama": PostLevelRequirements(
        min_degree="S1",
        min_years_experience=5,
        min_years_senior_post=2,
        max_age=56,
        senior_post_label="Administrator or functional Ahli Madya",
    ),
    # Pasal 107 letter b: 7 years of related experience, 2 years as JPT Pratama or Ahli Utama, at
    # most 58. The text at [S26b] is cut before these numbers; they are taken from the same article
    # as quoted in a 2024 South Sumatra provincial Sekda announcement (palpres.disway.id) [GK until
    # checked against the regulation text].
    "madya": PostLevelRequirements(
        min_degree="S1",
        min_years_experience=7,
        min_years_senior_post=2,
        max_age=58,
        senior_post_label="JPT Pratama or functional Ahli Utama",
    ),
    # Pasal 107 letter a: 10 years, 2 years as JPT Madya or Ahli Utama, at most 58 [S26b].
    "utama": PostLevelRequirements(
        min_degree="S1",
        min_years_experience=10,
        min_years_senior_post=2,
        max_age=58,
        senior_post_label="JPT Madya or functional Ahli Utama",
    ),
}

_PERMENPANRB_15_2019 = SelectionRulebook(
    version="PermenPANRB-15-2019",
    title="Open, competitive filling of high leadership posts",
    legal_basis=(
        "PermenPANRB 15/2019; PP 11/2017 as amended by PP 17/2020 (Pasal 107, 127); "
        "UU 5/2014 Pasal 110-113"
    ),
    panel_min=5,
    panel_max=9,
    panel_must_be_odd=True,
    internal_share_max=0.45,
    require_chair=True,
    require_secretary=True,
    registration_min_length=15,
    min_applicants_per_post=4,
    extension_length=7,
    max_extensions=2,
    floor_after_extensions=None,
    shortlist_size=3,
    shortlist_min=3,
    plenary_quorum_fraction=0.5,
    chair_breaks_ties=True,
    justification_min_chars=10,
    score_min=0,
    score_max=100,
    plan_review=review_rule(SubjectType.SELECTION_PLAN),
    shortlist_review=review_rule(SubjectType.SHORTLIST),
    eligibility=_ELIGIBILITY_PP_11_2017,
    sources=_SOURCES_PERMENPANRB_15_2019,
)


def _variant(base: SelectionRulebook, **changes: object) -> SelectionRulebook:
    return SelectionRulebook.model_validate(base.model_dump() | changes)


_FLOOR3 = _variant(
    _PERMENPANRB_15_2019,
    version="PermenPANRB-15-2019-floor3",
    title="Open, competitive filling of high leadership posts (floor of 3 after extensions)",
    legal_basis=_PERMENPANRB_15_2019.legal_basis
    + "; agency practice accepting 3 applicants after the extensions",
    floor_after_extensions=3,
    sources=_SOURCES_PERMENPANRB_15_2019
    | {
        "floor_after_extensions": "agency practice: 3 applicants suffice after the extensions "
        "[S10,S68]"
    },
)

# The strict rulebook in minutes: a registration window of at least 1 minute, extensions of 1
# minute, the oversight reviews' reminders and due dates in minutes, everything else as the law
# has it.
_TRAINING = _variant(
    _PERMENPANRB_15_2019,
    version="PermenPANRB-15-2019-training",
    title="Training: open selection of PermenPANRB 15/2019 with durations in minutes",
    legal_basis="Training only (MERITFLOW_ENV development, test or training); rules as "
    + _PERMENPANRB_15_2019.version,
    window_unit=WindowUnit.MINUTES,
    training=True,
    registration_min_length=1,
    extension_length=1,
    plan_review=review_rule(SubjectType.SELECTION_PLAN, DurationUnit.MINUTES),
    shortlist_review=review_rule(SubjectType.SHORTLIST, DurationUnit.MINUTES),
    sources=_SOURCES_PERMENPANRB_15_2019
    | {
        "registration_min_length": "training: 1 minute stands for the 15 calendar days",
        "extension_length": "training: 1 minute stands for the 7 calendar days",
        "plan_review": "training: the legal reminder and due date, in minutes",
        "shortlist_review": "training: as plan_review",
    },
)

SELECTION_RULEBOOKS: dict[str, SelectionRulebook] = {
    rb.version: rb for rb in (_PERMENPANRB_15_2019, _FLOOR3, _TRAINING)
}
# The rulebook a selection started without naming one is pinned to.
DEFAULT_SELECTION_RULEBOOK = _PERMENPANRB_15_2019.version


def get_selection_rulebook(version: str) -> SelectionRulebook:
    """The rulebook a selection was pinned to; an unknown version is an error, never a default."""
    try:
        return SELECTION_RULEBOOKS[version]
    except KeyError:
        known = ", ".join(sorted(SELECTION_RULEBOOKS))
        raise NotFound(
            f"No selection rulebook {version!r}; known versions are {known}.",
            code="rulebook_not_found",
        ) from None


def rulebook_for_start(version: str | None, env: str) -> SelectionRulebook:
    """The rulebook a new selection is pinned to, as its starter names it (or the default).

    An unknown version, or a training one where ``env`` allows none, is a value the caller sent
    that breaks a rule: :class:`RuleViolation` naming ``rulebook_version``.
    """
    chosen = version or DEFAULT_SELECTION_RULEBOOK
    rb = SELECTION_RULEBOOKS.get(chosen)
    if rb is None:
        known = ", ".join(sorted(SELECTION_RULEBOOKS))
        raise RuleViolation(
            f"No selection rulebook {chosen!r}; known versions are {known}.",
            code="rulebook_not_found",
            field="rulebook_version",
        )
    require_usable(rb, env)
    return rb
