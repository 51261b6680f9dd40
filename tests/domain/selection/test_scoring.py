"""Candidate-level rules: screening decisions, declarations, scores and blind reading."""

from __future__ import annotations

import math

import pytest

from domain.errors import Conflict, NotFound, NotPermitted, RuleViolation, WrongStage
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.scheme import Component
from domain.selection.scoring import (
    check_amendment,
    check_score,
    check_screening_decision,
    require_component_open,
    require_declaration_stage,
    require_declared,
    require_known_applicants,
    require_not_conflicted,
    require_scores_visible,
    require_screened_in,
    require_screening_open,
    screening_open,
)

RB = get_selection_rulebook("PermenPANRB-15-2019")
HEALTH = Component(code="health", name="Health", weight=0, pass_fail=True)
INTERVIEW = Component(code="interview", name="Interview", weight=40)


@pytest.mark.parametrize(
    ("auto", "eligible", "why", "override", "ok"),
    [
        (True, True, None, False, True),
        (False, False, None, False, True),
        (True, False, None, True, False),
        (True, False, "too short", True, False),  # 9 characters: the rulebook wants 10
        (True, False, "sanction found in the file", True, True),
        (None, True, None, True, False),  # no pre-check: every decision is an override
        (None, True, "checked the originals", True, True),
    ],
)
def test_an_override_of_the_pre_check_is_justified(auto, eligible, why, override, ok):
    if ok:
        assert check_screening_decision("a1", auto, eligible, why, RB) is override
        return
    with pytest.raises(RuleViolation) as err:
        check_screening_decision("a1", auto, eligible, why, RB)
    assert err.value.code == "justification_required"
    assert err.value.fields[0]["field"] == "justification"
    assert "at least 10" in err.value.message


def test_screening_is_open_until_its_close_opens_the_components():
    assert screening_open("screening", {"interview": "pending"})
    assert not screening_open("screening", {"interview": "open"})  # closed, stage not yet moved
    assert not screening_open("assessment", {"interview": "open"})
    with pytest.raises(WrongStage):
        require_screening_open("registration", {})


@pytest.mark.parametrize(
    ("score", "component", "ok"),
    [
        (0, INTERVIEW, True),
        (100, INTERVIEW, True),
        (100.5, INTERVIEW, False),
        (-1, INTERVIEW, False),
        (math.nan, INTERVIEW, False),
        (math.inf, None, False),
        (1, HEALTH, True),
        (0.5, HEALTH, False),
    ],
)
def test_a_score_is_on_the_rulebook_s_scale(score, component, ok):
    if ok:
        check_score(score, component, RB)
        return
    with pytest.raises(RuleViolation) as err:
        check_score(score, component, RB)
    assert (err.value.code, err.value.fields[0]["field"]) == ("invalid_score", "score")


def test_the_scale_is_the_rulebook_s():
    narrow = RB.model_copy(update={"score_max": 10})
    with pytest.raises(RuleViolation, match="between 0 and 10"):
        check_score(11, INTERVIEW, narrow)


@pytest.mark.parametrize(
    ("stage", "components", "error", "code"),
    [
        ("assessment", {"interview": "open"}, None, None),
        ("screening", {"interview": "pending"}, WrongStage, "wrong_stage"),
        ("assessment", {"interview": "closed"}, Conflict, "component_not_open"),
        ("assessment", {"interview": "open"}, NotFound, "unknown_component"),
    ],
)
def test_scores_go_to_an_open_component_in_assessment(stage, components, error, code):
    target = "paper" if error is NotFound else "interview"
    if error is None:
        require_component_open(stage, components, target)
        return
    with pytest.raises(error) as err:
        require_component_open(stage, components, target)
    assert err.value.code == code


def test_a_scorer_declares_first_and_scores_only_the_screened_in_and_unconflicted():
    require_declared(True, "as-1")
    with pytest.raises(Conflict, match="declare"):
        require_declared(False, "as-1")
    require_screened_in(True, "a1")
    for value in (False, None):
        with pytest.raises(Conflict):
            require_screened_in(value, "a1")
    require_not_conflicted(["a2"], "a1", "as-1")
    with pytest.raises(NotPermitted) as err:
        require_not_conflicted(["a2"], "a2", "as-1")
    assert err.value.code == "conflict_of_interest"


def test_an_amendment_needs_a_justification():
    with pytest.raises(RuleViolation) as err:
        check_amendment(80, None, RB, "a1 on Interview")
    assert err.value.code == "score_locked" and err.value.fields[0]["field"] == "justification"
    with pytest.raises(RuleViolation) as err:
        check_amendment(80, "oops", RB, "a1 on Interview")
    assert err.value.code == "justification_required"
    check_amendment(80, "arithmetic slip on the sheet", RB, "a1 on Interview")


def test_declarations_are_taken_in_screening_and_assessment_and_name_applicants():
    require_declaration_stage("screening")
    require_declaration_stage("assessment")
    with pytest.raises(WrongStage):
        require_declaration_stage("shortlist")
    require_known_applicants([])
    with pytest.raises(RuleViolation) as err:
        require_known_applicants(["x", "y"])
    assert err.value.code == "applicant_not_found" and err.value.fields[0]["field"] == "conflicted"


def test_scores_are_blind_until_you_scored_or_the_component_closed():
    require_scores_visible("open", True, "a1")
    require_scores_visible("closed", False, "a1")
    with pytest.raises(NotPermitted) as err:
        require_scores_visible("open", False, "a1")
    assert err.value.code == "scores_blind"
