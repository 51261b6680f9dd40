"""Who may act: a role together with the seat or identity that goes with it, never one alone."""

from __future__ import annotations

import pytest

from domain.errors import Conflict, NotPermitted
from domain.ledger import Actor
from domain.selection.panel import PanelRole
from domain.selection.scheme import Component
from domain.selection.seats import (
    require_any_assignment,
    require_appointing_authority,
    require_member,
    require_planner,
    require_scorer,
    require_secretariat,
    require_voter,
)

CHAIR, SECRETARY, MEMBER = PanelRole.CHAIR, PanelRole.SECRETARY, PanelRole.MEMBER
ASSESSMENT = Component(code="assessment", name="Assessment", weight=60, scorer_kind="assessor")
INTERVIEW = Component(code="interview", name="Interview", weight=40)


def who(role: str, sub: str = "chair") -> Actor:
    return Actor(id=sub, role=role)


def refused(fn, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(NotPermitted) as err:
        fn(*args)
    return err.value.code


@pytest.mark.parametrize(
    ("actor", "seat", "code"),
    [
        (who("agency_hr", "hr-1"), None, None),  # the HR unit plans without a seat
        (who("selection_committee"), CHAIR, None),
        (who("selection_committee", "sec"), SECRETARY, None),
        (who("selection_committee", "m1"), MEMBER, "not_chair_or_secretary"),
        (who("selection_committee", "x"), None, "not_chair_or_secretary"),
        # the role-confusion defect: the chair's id with another role is not the chair
        (who("auditor"), CHAIR, "wrong_role_for_seat"),
        (who("appointing_authority"), SECRETARY, "wrong_role_for_seat"),
        (who("admin", "admin"), None, "not_chair_or_secretary"),
    ],
)
def test_who_plans(actor, seat, code):
    if code is None:
        require_planner(actor, seat)
    else:
        assert refused(require_planner, actor, seat) == code


@pytest.mark.parametrize(
    ("actor", "seat", "code"),
    [
        (who("selection_committee"), CHAIR, None),
        (who("selection_committee", "m1"), MEMBER, "not_chair_or_secretary"),
        (who("selection_committee", "x"), None, "not_panel_member"),
        (who("auditor"), CHAIR, "wrong_role_for_seat"),
    ],
)
def test_who_closes_a_stage(actor, seat, code):
    if code is None:
        require_secretariat(actor, seat, "close screening")
    else:
        assert refused(require_secretariat, actor, seat, "close screening") == code


def test_a_member_needs_the_committee_role():
    assert require_member(who("selection_committee", "m1"), "member", "decide") is MEMBER
    assert (
        refused(require_member, who("agency_hr", "m1"), MEMBER, "decide") == "wrong_role_for_seat"
    )


@pytest.mark.parametrize(
    ("actor", "code"),
    [
        (who("appointing_authority", "ppk-1"), None),
        (who("auditor", "ppk-1"), "not_appointing_authority"),  # the authority's id, wrong role
        (who("appointing_authority", "ppk-2"), "not_appointing_authority"),  # another authority
        (who("agency_hr", "hr-1"), "not_appointing_authority"),
    ],
)
def test_only_the_named_authority_with_its_role(actor, code):
    if code is None:
        require_appointing_authority(actor, "ppk-1")
    else:
        assert refused(require_appointing_authority, actor, "ppk-1") == code


@pytest.mark.parametrize(
    ("actor", "component", "code"),
    [
        (who("assessor", "as-1"), ASSESSMENT, None),
        (who("selection_committee", "as-1"), ASSESSMENT, "wrong_role_for_seat"),
        (who("selection_committee", "m1"), INTERVIEW, None),
        (who("assessor", "m1"), INTERVIEW, "wrong_role_for_seat"),
        (who("assessor", "as-9"), ASSESSMENT, "not_assigned"),
    ],
)
def test_a_scorer_is_assigned_and_holds_the_component_s_role(actor, component, code):
    assigned = ["as-1", "m1"]
    if code is None:
        require_scorer(actor, component.code, component, assigned)
    else:
        assert refused(require_scorer, actor, component.code, component, assigned) == code


def test_declaring_needs_an_assignment_in_a_matching_role():
    scorers = {"assessment": ["as-1"], "interview": ["m1"]}
    components = {"assessment": ASSESSMENT, "interview": INTERVIEW}
    assert require_any_assignment(who("assessor", "as-1"), scorers, components) == ["assessment"]
    assert refused(require_any_assignment, who("auditor", "as-1"), scorers, components) == (
        "wrong_role_for_seat"
    )
    assert refused(require_any_assignment, who("assessor", "x"), scorers, components) == (
        "not_assigned"
    )


def test_voting_needs_a_seat_no_recusal_and_no_earlier_vote():
    m1 = who("selection_committee", "m1")
    require_voter(m1, MEMBER, recused=[], votes=[])
    assert refused(require_voter, m1, None, [], []) == "not_panel_member"
    assert refused(require_voter, m1, MEMBER, ["m1"], []) == "not_eligible_to_vote"
    assert refused(require_voter, who("auditor", "m1"), MEMBER, [], []) == "wrong_role_for_seat"
    with pytest.raises(Conflict) as err:
        require_voter(m1, MEMBER, [], ["m1"])
    assert err.value.code == "already_voted"
