from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from domain.selection.rulebook import PostLevelRequirements, get_selection_rulebook
from domain.selection.screening import SCREENING_CODES, ApplicantProfile, age_on, screen

CLOSING = date(2025, 8, 15)
PRATAMA = get_selection_rulebook("PermenPANRB-15-2019").requirements_for("pratama")
WITH_GRADE = PRATAMA.model_copy(update={"min_grade": "IV/b"})


def _profile(**overrides: Any) -> ApplicantProfile:
    """An applicant who meets every pratama requirement, with a IV/b grade."""
    fields: dict[str, Any] = {
        "applicant_id": "a-1",
        "nip": "197503152000031001",
        "name": "Andi Pratama",
        "degree": "S2",
        "years_experience": 12,
        "years_senior_post": 4,
        "birth_date": date(1975, 3, 15),
        "grade": "IV/b",
        "posts": ["KADIS-PU"],
    }
    return ApplicantProfile(**(fields | overrides))


def _failed(profile: ApplicantProfile, req: PostLevelRequirements) -> list[str]:
    return [r.code for r in screen(profile, req, CLOSING).reasons if not r.met]


def test_an_eligible_applicant_passes_every_check_and_each_is_listed():
    result = screen(_profile(), WITH_GRADE, CLOSING)
    assert result.eligible
    assert [r.code for r in result.reasons] == list(SCREENING_CODES)
    assert all(r.met and r.message for r in result.reasons)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"degree": "D3"}, "degree"),
        ({"years_experience": 4.9}, "years_experience"),
        ({"years_senior_post": 1.5}, "years_senior_post"),
        ({"birth_date": date(1968, 8, 15)}, "age"),  # 57 on the closing date
        ({"grade": "IV/a"}, "min_grade"),
        ({"grade": None, "nip": None}, "min_grade"),
        ({"sanction_active": True}, "disciplinary_sanction"),
    ],
)
def test_each_failing_reason_alone(overrides, code):
    result = screen(_profile(**overrides), WITH_GRADE, CLOSING)
    assert not result.eligible
    assert _failed(_profile(**overrides), WITH_GRADE) == [code]


@pytest.mark.parametrize(
    ("overrides", "met"),
    [
        ({"degree": "D4"}, True),  # D-IV counts as S1
        ({"degree": "S1"}, True),
        ({"years_experience": 5}, True),
        ({"years_senior_post": 2}, True),
        ({"birth_date": date(1968, 8, 16)}, True),  # still 56 on the closing date
        ({"birth_date": date(1968, 8, 15)}, False),  # turns 57 on the closing date
        ({"grade": "IV/c"}, True),
        ({"grade": "IV/b"}, True),
    ],
)
def test_boundaries(overrides, met):
    assert screen(_profile(**overrides), WITH_GRADE, CLOSING).eligible is met


def test_several_failures_are_all_listed_with_numbers():
    profile = _profile(degree="D3", years_experience=3, birth_date=date(1960, 1, 1),
                       sanction_active=True)  # fmt: skip
    result = screen(profile, WITH_GRADE, CLOSING)
    failed = {r.code: r.message for r in result.reasons if not r.met}
    assert list(failed) == ["degree", "years_experience", "age", "disciplinary_sanction"]
    assert "D3" in failed["degree"] and "S1" in failed["degree"]
    assert "3 years" in failed["years_experience"] and "at least 5" in failed["years_experience"]
    assert "Aged 65" in failed["age"] and "maximum is 56" in failed["age"]
    assert len(result.reasons) == len(SCREENING_CODES)


def test_no_minimum_grade_means_the_grade_check_is_met():
    assert PRATAMA.min_grade is None
    assert screen(_profile(grade=None), PRATAMA, CLOSING).eligible


@pytest.mark.parametrize(
    ("level", "birth", "eligible"),
    [("pratama", date(1967, 1, 1), False), ("madya", date(1967, 1, 1), True),
     ("utama", date(1966, 8, 15), False)],
)  # fmt: skip
def test_age_limit_follows_the_level(level, birth, eligible):
    req = get_selection_rulebook("PermenPANRB-15-2019").requirements_for(level)
    assert screen(_profile(birth_date=birth), req, CLOSING).eligible is eligible


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1970, 5, 10), date(2025, 5, 9), 54),
        (date(1970, 5, 10), date(2025, 5, 10), 55),
        (date(1968, 2, 29), date(2025, 2, 28), 56),
        (date(1968, 2, 29), date(2025, 3, 1), 57),
        (date(1968, 2, 29), date(2024, 2, 29), 56),
    ],
)
def test_age_is_exact(birth, day, age):
    assert age_on(birth, day) == age


@pytest.mark.parametrize(
    "overrides", [{"degree": "PhD"}, {"grade": "V/a"}, {"nip": "123"}, {"years_experience": -1}]
)
def test_bad_profiles_are_refused(overrides):
    with pytest.raises(ValidationError):
        _profile(**overrides)
