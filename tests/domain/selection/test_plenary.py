from __future__ import annotations

import pytest

from domain.errors import Conflict, RuleViolation
from domain.selection.plenary import check_quorum, plenary_result, quorum_met
from domain.selection.rulebook import get_selection_rulebook

RB = get_selection_rulebook("PermenPANRB-15-2019")
PANEL = ["chair", "sec", "m1", "m2", "m3"]
Y, N = True, False


@pytest.mark.parametrize(
    ("present", "eligible", "met"),
    [(3, 5, True), (2, 5, False), (3, 4, True), (2, 4, False), (1, 1, True), (0, 0, False),
     (4, 7, True), (3, 7, False)],
)  # fmt: skip
def test_quorum_is_more_than_the_fraction(present, eligible, met):
    assert quorum_met(present, eligible, RB) is met


def test_quorum_not_met_is_refused_before_tallying():
    # too few votes yet is a state of the plenary (409), not a value the caller sent
    with pytest.raises(Conflict) as err:
        check_quorum({"chair": Y, "m1": Y}, PANEL, RB)
    assert err.value.code == "plenary_quorum_not_met"
    assert "2 of 5" in err.value.message


def test_quorum_counts_only_non_recused_members():
    # m3 is recused: 4 eligible, so 3 voters make a quorum (2 do not).
    check_quorum({"chair": Y, "m1": Y, "m2": N}, PANEL[:4], RB)
    with pytest.raises(Conflict):
        check_quorum({"chair": Y, "m1": Y}, PANEL[:4], RB)


@pytest.mark.parametrize(
    ("votes", "approved", "yes", "no", "chair_cast_tie"),
    [
        ({"chair": Y, "sec": Y, "m1": N}, True, 2, 1, False),
        ({"chair": N, "sec": Y, "m1": N}, False, 1, 2, False),
        ({"chair": N, "sec": Y, "m1": Y, "m2": Y, "m3": N}, True, 3, 2, False),
        ({"chair": Y, "sec": Y, "m1": N, "m2": N}, True, 2, 2, True),
        ({"chair": N, "sec": Y, "m1": Y, "m2": N}, False, 2, 2, True),
        ({"sec": Y, "m1": Y, "m2": N, "m3": N}, False, 2, 2, False),  # the chair did not vote
    ],
)
def test_majority_and_chair_breaks_tie(votes, approved, yes, no, chair_cast_tie):
    result = plenary_result(votes, PANEL, "chair", RB)
    assert (result.approved, result.yes, result.no, result.chair_cast_tie) == (
        approved,
        yes,
        no,
        chair_cast_tie,
    )
    assert result.quorum_met
    assert result.present == len(votes)


def test_without_chair_tie_break_a_tie_is_not_approved():
    rb = RB.model_copy(update={"chair_breaks_ties": False})
    result = plenary_result({"chair": Y, "sec": Y, "m1": N, "m2": N}, PANEL, "chair", rb)
    assert (result.approved, result.chair_cast_tie) == (False, False)


def test_without_quorum_the_result_is_recorded_but_not_approved():
    result = plenary_result({"chair": Y, "m1": Y}, PANEL, "chair", RB)
    assert (result.approved, result.quorum_met, result.yes) == (False, False, 2)


@pytest.mark.parametrize(
    "call",
    [
        lambda votes, eligible: plenary_result(votes, eligible, "chair", RB),
        lambda votes, eligible: check_quorum(votes, eligible, RB),
    ],
    ids=["plenary_result", "check_quorum"],
)
def test_a_recused_members_vote_is_refused(call):
    eligible = ["chair", "sec", "m1", "m2"]  # m3 recused
    votes = {"chair": Y, "sec": Y, "m1": Y, "m3": N}
    with pytest.raises(RuleViolation) as err:
        call(votes, eligible)
    assert err.value.code == "not_eligible_to_vote"
    assert "m3" in err.value.message


def test_a_recused_chair_breaks_no_tie():
    eligible = ["sec", "m1", "m2", "m3"]
    result = plenary_result({"sec": Y, "m1": Y, "m2": N, "m3": N}, eligible, "chair", RB)
    assert (result.approved, result.chair_cast_tie) == (False, False)
