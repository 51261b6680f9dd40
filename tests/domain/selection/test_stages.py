from __future__ import annotations

import pytest

from domain.errors import Conflict, WrongStage
from domain.selection.stages import ALLOWED, TERMINAL, Stage, check_transition, require_stage

S = Stage

HAPPY_PATH = [S.PLANNING, S.PLAN_REVIEW, S.ANNOUNCEMENT, S.REGISTRATION, S.SCREENING,
              S.ASSESSMENT, S.SHORTLIST, S.OVERSIGHT_REVIEW, S.APPOINTMENT, S.COMPLETED]  # fmt: skip


def test_every_stage_has_an_entry():
    assert set(ALLOWED) == set(Stage)


@pytest.mark.parametrize(("a", "b"), list(zip(HAPPY_PATH, HAPPY_PATH[1:], strict=False)))
def test_happy_path(a, b):
    check_transition(a, b)


@pytest.mark.parametrize("a", [s for s in Stage if s not in TERMINAL])
def test_any_open_stage_can_be_cancelled(a):
    check_transition(a, S.CANCELLED)


@pytest.mark.parametrize("b", [S.PLANNING, S.SCREENING, S.ASSESSMENT, S.SHORTLIST])
def test_oversight_review_may_send_the_process_back(b):
    check_transition(S.OVERSIGHT_REVIEW, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [(S.PLAN_REVIEW, S.PLANNING), (S.PLAN_REVIEW, S.FAILED), (S.REGISTRATION, S.FAILED),
     (S.SCREENING, S.FAILED), (S.SHORTLIST, S.FAILED), (S.OVERSIGHT_REVIEW, S.FAILED)],
)  # fmt: skip
def test_returns_and_failures(a, b):
    check_transition(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (S.PLANNING, S.ANNOUNCEMENT),  # the plan must be reviewed first
        (S.REGISTRATION, S.ASSESSMENT),  # screening cannot be skipped
        (S.SHORTLIST, S.APPOINTMENT),  # oversight cannot be skipped
        (S.OVERSIGHT_REVIEW, S.REGISTRATION),
        (S.ASSESSMENT, S.SCREENING),
        (S.APPOINTMENT, S.FAILED),
        (S.COMPLETED, S.CANCELLED),
        (S.CANCELLED, S.PLANNING),
        (S.FAILED, S.CANCELLED),
        (S.SCREENING, S.SCREENING),
    ],
)
def test_refused_transitions(a, b):
    with pytest.raises(Conflict) as err:
        check_transition(a, b)
    assert err.value.code == "transition_not_allowed"
    assert b.value in err.value.message


def test_terminal_stages_lead_nowhere():
    assert all(ALLOWED[s] == set() for s in TERMINAL)


def test_require_stage_passes_at_the_expected_stage():
    require_stage(S.REGISTRATION, S.REGISTRATION, "register an applicant")
    require_stage(S.SHORTLIST, {S.ASSESSMENT, S.SHORTLIST}, "publish a ranking")


@pytest.mark.parametrize(
    ("current", "expected"),
    [(S.SCREENING, S.REGISTRATION), (S.COMPLETED, frozenset({S.ASSESSMENT, S.SHORTLIST}))],
)
def test_require_stage_names_the_action_and_both_stages(current, expected):
    with pytest.raises(WrongStage) as err:
        require_stage(current, expected, "register an applicant")
    assert err.value.code == "wrong_stage"
    message = err.value.message
    assert "register an applicant" in message and current.value in message
    wanted = [expected] if isinstance(expected, Stage) else expected
    assert all(s.value in message for s in wanted)
