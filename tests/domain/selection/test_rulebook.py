from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.errors import NotFound, RuleViolation
from domain.selection.rulebook import (
    POST_LEVELS,
    SELECTION_RULEBOOKS,
    PostLevelRequirements,
    SelectionRulebook,
    degree_rank,
    get_selection_rulebook,
)

STRICT = "PermenPANRB-15-2019"
FLOOR3 = "PermenPANRB-15-2019-floor3"


def test_both_versions_are_registered_under_their_own_version():
    assert set(SELECTION_RULEBOOKS) == {STRICT, FLOOR3}
    for key, rb in SELECTION_RULEBOOKS.items():
        assert rb.version == key


def test_the_variant_differs_only_in_the_floor():
    strict, floor3 = get_selection_rulebook(STRICT), get_selection_rulebook(FLOOR3)
    assert strict.floor_after_extensions is None
    assert floor3.floor_after_extensions == 3
    ignored = {"version", "title", "legal_basis", "floor_after_extensions"}
    assert strict.model_dump(exclude=ignored) == floor3.model_dump(exclude=ignored)


@pytest.mark.parametrize(
    ("level", "years", "senior", "age"),
    [("pratama", 5, 2, 56), ("madya", 7, 2, 58), ("utama", 10, 2, 58)],
)
def test_eligibility_numbers_per_level(level, years, senior, age):
    req = get_selection_rulebook(STRICT).requirements_for(level)
    assert (req.min_degree, req.min_years_experience, req.min_years_senior_post, req.max_age) == (
        "S1",
        years,
        senior,
        age,
    )


def test_strict_rulebook_numbers():
    rb = get_selection_rulebook(STRICT)
    assert (rb.panel_min, rb.panel_max, rb.panel_must_be_odd) == (5, 9, True)
    assert rb.internal_share_max == 0.45
    assert (rb.min_applicants_per_post, rb.extension_days, rb.max_extensions) == (4, 7, 2)
    assert (rb.registration_min_days, rb.shortlist_size) == (15, 3)


def test_unknown_version_is_not_found():
    with pytest.raises(NotFound) as err:
        get_selection_rulebook("PermenPANRB-13-2014")
    assert err.value.code == "rulebook_not_found"


def test_unknown_post_level_is_refused():
    with pytest.raises(RuleViolation) as err:
        get_selection_rulebook(STRICT).requirements_for("eselon_ii")
    assert err.value.code == "unknown_post_level"


@pytest.mark.parametrize(
    ("degree", "minimum", "ok"),
    [("D4", "S1", True), ("S1", "S1", True), ("S2", "S1", True), ("D3", "S1", False),
     ("S1", "S2", False), ("S3", "S2", True), ("S1", "D4", True)],
)  # fmt: skip
def test_degree_ladder_counts_d4_as_s1(degree, minimum, ok):
    assert (degree_rank(degree) >= degree_rank(minimum)) is ok


@pytest.mark.parametrize(
    "update",
    [
        {"panel_min": 9, "panel_max": 5},
        {"panel_min": 6, "panel_max": 6},
        {"floor_after_extensions": 4},
        {"internal_share_max": 1.5},
        {"plenary_quorum_fraction": 1.0},
        {"eligibility": {}},
    ],
)
def test_inconsistent_rulebook_data_is_refused(update):
    data = get_selection_rulebook(STRICT).model_dump() | update
    with pytest.raises(ValidationError):
        SelectionRulebook.model_validate(data)


@pytest.mark.parametrize(
    "update", [{"min_degree": "D3"}, {"min_grade": "IV/f"}, {"min_years_experience": -1}]
)
def test_bad_requirements_are_refused(update):
    base = {"min_degree": "S1", "min_years_experience": 5, "min_years_senior_post": 2,
            "max_age": 56}  # fmt: skip
    with pytest.raises(ValidationError):
        PostLevelRequirements.model_validate(base | update)


def test_every_rulebook_covers_every_level():
    for rb in SELECTION_RULEBOOKS.values():
        assert sorted(rb.eligibility) == sorted(POST_LEVELS)
