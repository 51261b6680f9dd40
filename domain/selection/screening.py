"""Administrative screening: the automatic eligibility pre-check of one applicant for one level.

Like rank-promotion eligibility, every check is listed, met or not, so the committee (which confirms
or overrides each result) and the applicant see everything at once. Numbers come from the
``PostLevelRequirements`` of the selection's rulebook; age is taken on the registration closing date.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from domain.eligibility import N_, Reason, reason
from domain.employee import Education, Nip
from domain.grades import Grade, grade_index
from domain.selection.rulebook import PostLevelRequirements, degree_rank

SCREENING_CODES: tuple[str, ...] = (
    "degree",
    "years_experience",
    "years_senior_post",
    "age",
    "min_grade",
    "disciplinary_sanction",
)


class ApplicantProfile(BaseModel):
    """What an applicant declares (and HR confirms) for screening."""

    model_config = ConfigDict(frozen=True)

    applicant_id: str = Field(min_length=1, max_length=100)
    nip: Nip | None
    name: str = Field(min_length=1, max_length=200)
    degree: Education
    years_experience: float = Field(ge=0)
    years_senior_post: float = Field(ge=0)
    birth_date: date
    grade: Grade | None
    sanction_active: bool = False
    posts: list[str] = Field(default_factory=list)


class ScreeningResult(BaseModel):
    """Eligible exactly when every reason is met."""

    model_config = ConfigDict(frozen=True)

    eligible: bool
    reasons: list[Reason]


def screen(
    profile: ApplicantProfile, req: PostLevelRequirements, closing_date: date
) -> ScreeningResult:
    """Check ``profile`` against ``req``, the age being taken on ``closing_date``."""
    reasons = [
        _degree(profile, req),
        _experience(profile, req),
        _senior_post(profile, req),
        _age(profile, req, closing_date),
        _grade(profile, req),
        _sanction(profile),
    ]
    return ScreeningResult(eligible=all(r.met for r in reasons), reasons=reasons)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``. Someone born on 29 February turns a year older on 1 March."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def _degree(profile: ApplicantProfile, req: PostLevelRequirements) -> Reason:
    met = degree_rank(profile.degree) >= degree_rank(req.min_degree)
    template = (
        N_("Degree {degree} meets the minimum of {minimum} (D4 counts as S1).")
        if met
        else N_("Degree {degree} is below the minimum of {minimum} (D4 counts as S1).")
    )
    return reason("degree", met, template, degree=profile.degree, minimum=req.min_degree)


def _experience(profile: ApplicantProfile, req: PostLevelRequirements) -> Reason:
    return reason(
        "years_experience",
        profile.years_experience >= req.min_years_experience,
        N_("{years} years of related experience; at least {minimum} required."),
        years=f"{profile.years_experience:g}",
        minimum=f"{req.min_years_experience:g}",
    )


def _senior_post(profile: ApplicantProfile, req: PostLevelRequirements) -> Reason:
    return reason(
        "years_senior_post",
        profile.years_senior_post >= req.min_years_senior_post,
        N_("{years} years as {post}; at least {minimum} required."),
        years=f"{profile.years_senior_post:g}",
        post=req.senior_post_label,
        minimum=f"{req.min_years_senior_post:g}",
    )


def _age(profile: ApplicantProfile, req: PostLevelRequirements, closing_date: date) -> Reason:
    age = age_on(profile.birth_date, closing_date)
    return reason(
        "age",
        age <= req.max_age,
        N_("Aged {age} on the closing date {closing} (born {born}); the maximum is {maximum}."),
        age=age,
        closing=closing_date.isoformat(),
        born=profile.birth_date.isoformat(),
        maximum=req.max_age,
    )


def _grade(profile: ApplicantProfile, req: PostLevelRequirements) -> Reason:
    if req.min_grade is None:
        return reason("min_grade", True, N_("No minimum grade applies."))
    if profile.grade is None:
        template = N_("No grade on file; at least {minimum} required.")
        return reason("min_grade", False, template, minimum=req.min_grade)
    met = grade_index(profile.grade) >= grade_index(req.min_grade)
    template = N_("Grade {grade}; at least {minimum} required.")
    return reason("min_grade", met, template, grade=profile.grade, minimum=req.min_grade)


def _sanction(profile: ApplicantProfile) -> Reason:
    if profile.sanction_active:
        return reason("disciplinary_sanction", False, N_("A disciplinary sanction is active."))
    return reason("disciplinary_sanction", True, N_("No disciplinary sanction is active."))
