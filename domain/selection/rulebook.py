"""Versioned rulebooks for open selection to high leadership posts (seleksi terbuka JPT).

Every number the selection rules use lives here as data, one ``SelectionRulebook`` per regime; a
selection is pinned to the version it started under. The rule modules of this package only compare.

Tags follow /work/shared/domain-rules.md: [S#] is a source listed there, [GK] is general knowledge
that was not confirmed and must be checked before relying on it.
"""

from __future__ import annotations

from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.employee import EDUCATION_LEVELS
from domain.errors import NotFound, RuleViolation
from domain.grades import GRADES

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
    registration_min_days: int = Field(ge=1)
    min_applicants_per_post: int = Field(ge=1)
    extension_days: int = Field(ge=1)
    max_extensions: int = Field(ge=0)
    floor_after_extensions: int | None = Field(default=None, ge=1)
    shortlist_size: int = Field(ge=1)
    # Fewer qualified applicants than this after the cut-offs fails the selection (it is re-run);
    # between this and ``shortlist_size`` the shorter list goes on. None: ``shortlist_size``.
    shortlist_min: int | None = Field(default=None, ge=1)
    # Quorum: strictly MORE than this fraction of the non-recused members must vote.
    plenary_quorum_fraction: float = Field(ge=0, lt=1)
    chair_breaks_ties: bool
    eligibility: dict[str, PostLevelRequirements]

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
        return self

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
    # 5 to 9 members, odd [GK: observed panels have 5 or 7 members, S5,S12,S66,S67,S72b].
    panel_min=5,
    panel_max=9,
    panel_must_be_odd=True,
    # Internal members at most 45% [S5].
    internal_share_max=0.45,
    # A chair and a secretary, each also a member, as observed in panel decrees [S72b,S10b].
    require_chair=True,
    require_secretary=True,
    # 15 calendar days: the CPNS minimum and the observed JPT windows [S11,S12]; [GK] that
    # PermenPANRB 15/2019 sets the same minimum for JPT is unconfirmed.
    registration_min_days=15,
    # At least 4 applicants per post; otherwise extend at most twice by 7 calendar days [S9,S10].
    min_applicants_per_post=4,
    extension_days=7,
    max_extensions=2,
    # Strict reading: still fewer than 4 after both extensions fails the selection.
    floor_after_extensions=None,
    # 3 names per vacancy go to the appointing authority [S2,S14].
    shortlist_size=3,
    # [GK] No rule for fewer than three qualified names was found: the strict reading (three names
    # are required to give the appointing authority a choice) fails the selection, to be re-run.
    shortlist_min=3,
    # [GK] No plenary quorum rule was found: more than half of the non-recused members must vote,
    # a simple majority of votes cast decides, and the chair's side wins a tie.
    plenary_quorum_fraction=0.5,
    chair_breaks_ties=True,
    eligibility=_ELIGIBILITY_PP_11_2017,
)

SELECTION_RULEBOOKS: dict[str, SelectionRulebook] = {
    _PERMENPANRB_15_2019.version: _PERMENPANRB_15_2019,
    # The practice some agencies follow: 3 applicants suffice once the extensions are used up
    # [S10,S68]. Everything else as the strict version.
    "PermenPANRB-15-2019-floor3": SelectionRulebook.model_validate(
        _PERMENPANRB_15_2019.model_dump()
        | {
            "version": "PermenPANRB-15-2019-floor3",
            "title": "Open, competitive filling of high leadership posts (floor of 3 after extensions)",
            "legal_basis": _PERMENPANRB_15_2019.legal_basis
            + "; agency practice accepting 3 applicants after the extensions",
            "floor_after_extensions": 3,
        }
    ),
}


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
