from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.review import (
    REVIEW_RULES,
    Quorum,
    Seat,
    SubjectType,
    Verdict,
    accreditation_ok,
    check_declaration_allowed,
    check_verdict_allowed,
    quorum_outcome,
    required_accreditation,
)

A, R, X = Verdict.APPROVE, Verdict.RETURN, Verdict.REJECT


@pytest.mark.parametrize(
    ("quorum", "required", "votes", "expected"),
    [
        (Quorum.ANY_ONE, 1, [], None),
        (Quorum.ANY_ONE, 1, [A], A),
        (Quorum.ANY_ONE, 3, [X], X),
        (Quorum.MAJORITY, 3, [A], None),
        (Quorum.MAJORITY, 3, [A, A], A),
        (Quorum.MAJORITY, 3, [A, X], None),
        (Quorum.MAJORITY, 3, [X, A, X], X),
        (Quorum.MAJORITY, 3, [A, R, X], R),
        (Quorum.MAJORITY, 3, [A, X, X], X),
        (Quorum.MAJORITY, 4, [A, A, X, X], X),
        (Quorum.MAJORITY, 4, [A, A, R, X], R),
        (Quorum.MAJORITY, 5, [R, R, R], R),
        (Quorum.UNANIMOUS, 2, [A], None),
        (Quorum.UNANIMOUS, 2, [A, A], A),
        (Quorum.UNANIMOUS, 2, [A, R], R),
        (Quorum.UNANIMOUS, 2, [X, A], X),
        (Quorum.UNANIMOUS, 3, [A, X], None),
        (Quorum.UNANIMOUS, 3, [R, X, A], R),
    ],
)
def test_quorum(
    quorum: Quorum, required: int, votes: list[Verdict], expected: Verdict | None
) -> None:
    outcome = quorum_outcome(quorum, required, votes)
    assert (outcome.verdict if outcome else None) is expected
    if outcome:
        assert outcome.reason


@pytest.mark.parametrize(
    ("body", "required", "ok"),
    [
        ("A", "A", True),
        ("B", "A", False),
        ("A", "B", True),
        ("C", "B", False),
        (None, "C", False),
        (None, None, True),
    ],
)
def test_accreditation(body: str | None, required: str | None, ok: bool) -> None:
    assert accreditation_ok(body, required) is ok


def test_required_accreditation_takes_the_stricter_of_rule_and_post_level() -> None:
    rule = REVIEW_RULES[SubjectType.ASSESSMENT_REPORT]
    assert required_accreditation(rule, "pratama") == "B"
    assert required_accreditation(rule, "madya") == "A"
    assert required_accreditation(REVIEW_RULES[SubjectType.SHORTLIST], None) is None


SEATS = {
    "fresh": Seat("fresh"),
    "ready": Seat("ready", declared=True),
    "gone": Seat("gone", declared=True, recused=True),
    "done": Seat("done", declared=True, voted=True),
}


@pytest.mark.parametrize(
    ("who", "escalated", "open_", "code"),
    [
        ("ready", False, True, None),
        ("stranger", False, True, "not_assigned"),
        ("gone", False, True, "recused"),
        ("fresh", False, True, "conflict_declaration_required"),
        ("done", False, True, "already_voted"),
        ("ready", False, False, "review_closed"),
        ("head", True, True, None),
        ("head", False, True, "not_assigned"),
    ],
)
def test_who_may_give_a_verdict(who: str, escalated: bool, open_: bool, code: str | None) -> None:
    if code is None:
        check_verdict_allowed(SEATS, who, head_id="head", escalated=escalated, open_=open_)
        return
    with pytest.raises(DomainError) as err:
        check_verdict_allowed(SEATS, who, head_id="head", escalated=escalated, open_=open_)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("who", "code"),
    [("fresh", None), ("ready", "already_declared"), ("gone", "recused"), ("x", "not_assigned")],
)
def test_who_may_declare(who: str, code: str | None) -> None:
    if code is None:
        check_declaration_allowed(SEATS, who, open_=True)
        return
    with pytest.raises(DomainError) as err:
        check_declaration_allowed(SEATS, who, open_=True)
    assert err.value.code == code
