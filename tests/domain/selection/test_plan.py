"""Stage-level rules of the workflow's validators: staffing, the plan, components, the choice."""

from __future__ import annotations

import pytest

from domain.errors import Conflict, NotFound, RuleViolation
from domain.selection.plan import (
    check_appointee,
    check_plan_complete,
    check_staffing,
    require_not_announced,
    require_open_component,
    require_shortlist,
)
from domain.selection.scheme import Component, ScoringScheme

SCHEME = ScoringScheme(
    components=[
        Component(code="assessment", name="Assessment", weight=60, scorer_kind="assessor"),
        Component(code="interview", name="Interview", weight=40),
    ]
)
PANEL = ["chair", "sec", "m1", "m2", "m3"]
SCORERS = {"assessment": ["as-1"], "interview": ["chair", "m1"]}


@pytest.mark.parametrize(
    ("scorers", "code"),
    [
        (SCORERS, None),
        (SCORERS | {"paper": ["m2"]}, "unknown_component"),
        ({"assessment": ["as-1"]}, "scorers_required"),
        (SCORERS | {"interview": ["outsider"]}, "scorer_not_on_panel"),
    ],
)
def test_every_component_is_staffed_the_committee_s_from_the_panel(scorers, code):
    if code is None:
        check_staffing(SCHEME, scorers, PANEL)
        return
    with pytest.raises(RuleViolation) as err:
        check_staffing(SCHEME, scorers, PANEL)
    assert (err.value.code, err.value.fields[0]["field"]) == (code, "scorers")


def test_an_incoherent_scheme_is_refused_naming_the_scheme():
    bad = SCHEME.model_copy(update={"components": SCHEME.components[:1]})
    with pytest.raises(RuleViolation) as err:
        check_staffing(bad, {"assessment": ["as-1"]}, PANEL)
    assert (err.value.code, err.value.fields[0]["field"]) == ("weights_sum", "scheme")


def test_the_plan_needs_its_panel_and_scheme_with_the_scorers_still_seated():
    check_plan_complete(PANEL, SCHEME, SCORERS)
    for panel, scheme in (([], SCHEME), (PANEL, None)):
        with pytest.raises(Conflict) as err:
            check_plan_complete(panel, scheme, SCORERS)
        assert err.value.code == "plan_incomplete"
    with pytest.raises(Conflict) as err:
        check_plan_complete(["chair", "sec", "m2", "m3", "m4"], SCHEME, SCORERS)
    assert err.value.code == "scorer_not_on_panel" and "m1" in err.value.message


def test_state_rules_are_conflicts():
    require_not_announced(False)
    with pytest.raises(Conflict):
        require_not_announced(True)
    require_open_component({"interview": "open"}, "interview")
    with pytest.raises(Conflict):
        require_open_component({"interview": "closed"}, "interview")
    with pytest.raises(NotFound):
        require_open_component({"interview": "open"}, "paper")
    with pytest.raises(Conflict):
        require_shortlist([])


def test_the_appointee_is_one_of_the_shortlist():
    check_appointee("a2", ["a1", "a2", "a3"])
    with pytest.raises(RuleViolation) as err:
        check_appointee("a4", ["a1", "a2", "a3"])
    assert err.value.code == "not_shortlisted" and err.value.fields[0]["field"] == "applicant_id"
