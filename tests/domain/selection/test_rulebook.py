from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain.durations import DurationUnit
from domain.errors import NotFound, RuleViolation
from domain.review import SubjectType
from domain.selection.rulebook import (
    DEFAULT_SELECTION_RULEBOOK,
    NUMBERS,
    POST_LEVELS,
    SELECTION_RULEBOOKS,
    PostLevelRequirements,
    SelectionRulebook,
    WindowUnit,
    degree_rank,
    get_selection_rulebook,
    rulebook_for_start,
)

STRICT = "PermenPANRB-15-2019"
FLOOR3 = "PermenPANRB-15-2019-floor3"
TRAINING = "PermenPANRB-15-2019-training"


def test_every_version_is_registered_under_its_own_version():
    assert set(SELECTION_RULEBOOKS) == {STRICT, FLOOR3, TRAINING}
    for key, rb in SELECTION_RULEBOOKS.items():
        assert rb.version == key


def test_the_variant_differs_only_in_the_floor():
    strict, floor3 = get_selection_rulebook(STRICT), get_selection_rulebook(FLOOR3)
    assert strict.floor_after_extensions is None
    assert floor3.floor_after_extensions == 3
    ignored = {"version", "title", "legal_basis", "floor_after_extensions", "sources"}
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
    assert (rb.min_applicants_per_post, rb.extension_length, rb.max_extensions) == (4, 7, 2)
    assert (rb.registration_min_length, rb.shortlist_size) == (15, 3)
    assert rb.window_unit is WindowUnit.DAYS and not rb.training
    assert rb.registration_min == timedelta(days=15) and rb.extension == timedelta(days=7)
    assert (rb.justification_min_chars, rb.score_min, rb.score_max) == (10, 0, 100)
    assert rb.plan_review.due_after_days == 10 and rb.shortlist_review.reminder_after_days == 5


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
        {"score_min": 100, "score_max": 0},
        {"window_unit": "minutes"},  # minutes only in a training rulebook
        {"training": True},  # and a training rulebook counts minutes
        {"sources": {}},
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


def test_every_number_of_every_rulebook_names_its_source():
    for rb in SELECTION_RULEBOOKS.values():
        assert all(rb.sources[n].strip() for n in NUMBERS), rb.version
    legal = get_selection_rulebook(STRICT)
    assert "[S9,S10]" in legal.sources["min_applicants_per_post"]
    assert legal.sources["justification_min_chars"].startswith("[GK]")


def test_the_training_rulebook_keeps_the_rules_and_counts_minutes():
    legal, training = get_selection_rulebook(STRICT), get_selection_rulebook(TRAINING)
    assert training.training and training.window_unit is WindowUnit.MINUTES
    assert training.registration_min == timedelta(minutes=1)
    assert training.extension == timedelta(minutes=1)
    same = {"panel_min", "panel_max", "internal_share_max", "min_applicants_per_post",
            "max_extensions", "shortlist_size", "plenary_quorum_fraction", "eligibility",
            "justification_min_chars", "score_max"}  # fmt: skip
    assert training.model_dump(include=same) == legal.model_dump(include=same)
    review = training.review_rule(SubjectType.SHORTLIST)
    assert (review.due_after_days, review.duration_unit) == (10, DurationUnit.MINUTES)
    assert legal.plan_review.duration_unit is DurationUnit.WORKING_DAYS
    assert legal.review_rule(SubjectType.SELECTION_PLAN) == legal.plan_review


@pytest.mark.parametrize("env", ["development", "test", "training"])
def test_a_training_rulebook_starts_where_training_is_allowed(env):
    assert rulebook_for_start(TRAINING, env).version == TRAINING


def test_a_training_rulebook_is_refused_in_production():
    with pytest.raises(RuleViolation) as err:
        rulebook_for_start(TRAINING, "production")
    assert err.value.code == "training_rulebook_not_allowed"
    assert err.value.fields[0]["field"] == "rulebook_version"
    assert rulebook_for_start(STRICT, "production").version == STRICT


def test_a_start_without_a_version_takes_the_default_and_an_unknown_one_is_a_bad_value():
    assert rulebook_for_start(None, "production").version == DEFAULT_SELECTION_RULEBOOK
    with pytest.raises(RuleViolation) as err:
        rulebook_for_start("PermenPANRB-13-2014", "production")
    assert err.value.code == "rulebook_not_found"
    assert [f["field"] for f in err.value.fields] == ["rulebook_version"]
