"""Committee, calibration and objection rules; succession plans; filling a vacant JPT post."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.errors import DomainError
from domain.ledger import Actor
from domain.talent import committee as c
from domain.talent.filling import Approval, Candidate, approval_checks, decide
from domain.talent.rulebook import get_talent_rulebook
from domain.talent.succession import CriticalPost, PoolMember, successors
from tests.domain.talent_data import talent

RB = get_talent_rulebook("BKN-TM-2025.2")
VACATED = date(2027, 6, 1)
MEMBER = Actor(id="tc-2", role="talent_committee")


def code_of(fn: object) -> str:
    with pytest.raises(DomainError) as err:
        fn()  # type: ignore[operator]
    return err.value.code


def test_seats_go_with_their_role_and_the_secretariat_closes() -> None:
    assert c.require_member(MEMBER, "member", "calibrate") is c.Seat.MEMBER
    assert code_of(lambda: c.require_member(MEMBER, None, "x")) == "not_committee_member"
    auditor = Actor(id="tc-2", role="auditor")
    assert code_of(lambda: c.require_member(auditor, "member", "x")) == "wrong_role_for_seat"
    assert code_of(lambda: c.require_secretariat(MEMBER, "member", "x")) == "not_chair_or_secretary"


def test_a_committee_has_one_chair_and_at_least_three_members() -> None:
    m = [c.CommitteeMember(id=f"m{i}", name="n", seat="member") for i in range(3)]
    assert code_of(lambda: c.validate_committee(m)) == "invalid_committee"
    c.validate_committee([m[0].model_copy(update={"seat": c.Seat.CHAIR}), *m[1:]])


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"current_box": 9, "to_box": 9, "justification": "x" * 30}, "same_box"),
        ({"current_box": 9, "to_box": 10, "justification": "x" * 30}, "invalid_box"),
        ({"current_box": 9, "to_box": 8, "justification": "too short"}, "justification_required"),
        ({"current_box": None, "to_box": 8, "justification": "x" * 30}, "not_scored"),
    ],
)
def test_a_calibration_move_needs_another_box_and_a_reason(
    kw: dict[str, object], code: str
) -> None:
    assert code_of(lambda: c.check_move(RB, **kw)) == code  # type: ignore[arg-type]


def test_conflicts_gate_a_member() -> None:
    assert code_of(lambda: c.check_conflict(MEMBER, False, set(), "n1")) == (
        "conflict_declaration_required"
    )
    assert code_of(lambda: c.check_conflict(MEMBER, True, {"n1"}, "n1")) == "conflict_of_interest"
    c.check_conflict(MEMBER, True, {"n2"}, "n1")


def test_objections_are_the_employees_own_once_within_the_window() -> None:
    now = datetime(2027, 3, 10, tzinfo=UTC)
    me = Actor(id="n1", role="employee")
    ok: dict[str, Any] = {
        "nip": "n1",
        "published_box": 5,
        "closes_at": now + timedelta(days=1),
        "now": now,
    }
    c.check_objection(filer=me, already=False, **ok)
    other = Actor(id="n2", role="employee")
    assert code_of(lambda: c.check_objection(filer=other, already=False, **ok)) == "not_your_record"
    late = ok | {"closes_at": now}
    assert code_of(lambda: c.check_objection(filer=me, already=False, **late)) == (
        "objection_window_closed"
    )
    assert code_of(lambda: c.check_objection(filer=me, already=True, **ok)) == "objection_exists"


def test_answers_to_objections() -> None:
    reason = "the 2026 rating was corrected by the HR unit"
    c.check_answer(RB, uphold=True, published_box=5, new_box=7, reason=reason)
    c.check_answer(RB, uphold=False, published_box=5, new_box=None, reason=reason)
    assert (
        code_of(
            lambda: c.check_answer(RB, uphold=True, published_box=5, new_box=None, reason=reason)
        )
        == "validation_error"
    )
    assert (
        code_of(
            lambda: c.check_answer(RB, uphold=False, published_box=5, new_box=None, reason="no")
        )
        == "justification_required"
    )


def pool_member(nip: str, box: int, score: float, **kw: object) -> PoolMember:
    return PoolMember(
        nip=nip, name=nip, box=box, talent_score=score, review_id="r", record=talent(nip, **kw)
    )


POST = CriticalPost(
    agency="PEMPROV-JATENG",
    post_id="KADIS-KEU",
    title="Kepala",
    post_level="pratama",
    job_family="finance",
)


def test_successors_rank_by_box_then_score_and_carry_readiness_and_gaps() -> None:
    pool = [
        pool_member("198001012005011001", 8, 95),
        pool_member("198001012005011002", 9, 80),
        pool_member("198001012005011003", 9, 85, education="D3", trainings=[]),
        pool_member("198001012005011004", 9, 99, job_family="health"),
    ]
    plan = successors(POST, pool, RB, VACATED)
    assert [s.nip[-1] for s in plan] == ["3", "2", "1"]
    assert [s.readiness for s in plan] == ["ready_1_2_years", "ready_now", "ready_1_2_years"]
    assert {g.code for g in plan[0].gaps} >= {"degree", "training"}


def approval(**kw: object) -> Approval:
    data: dict[str, object] = {
        "agency": "PEMPROV-JATENG",
        "merit_category": "very_good",
        "merit_score": 340,
        "merit_evaluated_on": date(2026, 12, 1),
        "letter_number": "B-123/KASN/2026",
        "approved_on": date(2027, 1, 10),
        "valid_until": date(2028, 1, 9),
    }
    return Approval.model_validate(data | kw)


@pytest.mark.parametrize(
    ("kw", "failed"),
    [
        ({}, set()),
        ({"merit_category": "fair"}, {"merit_category"}),
        ({"merit_evaluated_on": date(2024, 12, 1)}, {"merit_current"}),
        ({"valid_until": date(2027, 5, 31)}, {"approval_current"}),
        ({"valid_until": None, "approved_on": date(2024, 1, 1)}, {"approval_current"}),
    ],
)
def test_a_current_approval(kw: dict[str, object], failed: set[str]) -> None:
    checks = approval_checks(approval(**kw), VACATED, RB)
    assert {x.code for x in checks if not x.met} == failed


def candidates(*entries: tuple[str, int, dict[str, object]]) -> list[Candidate]:
    members = [pool_member(nip, box, 90 - i, **kw) for i, (nip, box, kw) in enumerate(entries)]
    return [
        Candidate(successor=s, record=m.record)
        for s, m in zip(successors(POST, members, RB, VACATED), members, strict=True)
    ]


def test_the_top_ranked_eligible_successor_in_box_9_is_proposed_and_those_above_named() -> None:
    old: dict[str, object] = {"birth_date": date(1970, 1, 1)}  # 57 on the day the post fell vacant
    found = candidates(("198001012005011001", 9, old), ("198001012005011002", 9, {}))
    d = decide(
        post_level="pratama",
        filled_by=None,
        approval=approval(),
        has_plan=True,
        candidates=found,
        rb=RB,
        on=VACATED,
    )
    assert d.route == "talent_management" and d.successor and d.successor.nip.endswith("2")
    assert d.passed_over[0]["nip"].endswith("1") and "Aged 57" in d.passed_over[0]["why"]
    assert all(x.met for x in d.checks)


@pytest.mark.parametrize(
    ("kw", "unmet"),
    [
        ({"filled_by": "open_selection"}, "agency_choice"),
        ({"approval": None}, "approval_on_record"),
        ({"approval": approval(valid_until=date(2027, 5, 1))}, "approval_current"),
        ({"has_plan": False}, "succession_plan"),
        ({"candidates": []}, "qualified_successor"),
    ],
)
def test_otherwise_an_open_selection_and_the_unmet_rule_is_named(
    kw: dict[str, object], unmet: str
) -> None:
    args: dict[str, object] = {
        "post_level": "pratama",
        "filled_by": "talent_management",
        "approval": approval(),
        "has_plan": True,
        "candidates": candidates(("198001012005011002", 8, {})),
        "rb": RB,
        "on": VACATED,
    }
    d = decide(**(args | kw))  # type: ignore[arg-type]
    assert d.route == "open_selection" and d.successor is None
    assert [x.code for x in d.checks if not x.met] == [unmet]
