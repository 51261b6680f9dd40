from __future__ import annotations

from datetime import date

import pytest

from domain.errors import RuleViolation
from domain.selection.registration import (
    RegistrationDecision,
    explain_registration_decision,
    extended_close,
    registration_decision,
    validate_window,
    window_days,
)
from domain.selection.rulebook import get_selection_rulebook

STRICT = get_selection_rulebook("PermenPANRB-15-2019")
FLOOR3 = get_selection_rulebook("PermenPANRB-15-2019-floor3")
D = RegistrationDecision


@pytest.mark.parametrize(
    ("applicants", "extensions_done", "strict", "floor3"),
    [
        (4, 0, D.PROCEED, D.PROCEED),
        (9, 2, D.PROCEED, D.PROCEED),
        (3, 0, D.EXTEND, D.EXTEND),
        (0, 1, D.EXTEND, D.EXTEND),
        (3, 2, D.FAIL, D.PROCEED_AT_FLOOR),
        (2, 2, D.FAIL, D.FAIL),
        (0, 2, D.FAIL, D.FAIL),
        (4, 2, D.PROCEED, D.PROCEED),
        (3, 3, D.FAIL, D.PROCEED_AT_FLOOR),
    ],
)
def test_registration_decisions_under_both_rulebooks(applicants, extensions_done, strict, floor3):
    assert registration_decision(applicants, extensions_done, STRICT) is strict
    assert registration_decision(applicants, extensions_done, FLOOR3) is floor3


def test_negative_counts_are_a_caller_error():
    with pytest.raises(ValueError, match="negative"):
        registration_decision(-1, 0, STRICT)


@pytest.mark.parametrize(
    ("applicants", "extensions_done", "rb", "words"),
    [
        (5, 0, STRICT, "proceeds"),
        (2, 0, STRICT, "extended by 7 days (extension 1 of at most 2)"),
        (3, 2, STRICT, "fails"),
        (3, 2, FLOOR3, "at the floor"),
    ],
)
def test_decision_sentences(applicants, extensions_done, rb, words):
    text = explain_registration_decision(applicants, extensions_done, rb)
    assert words in text
    assert f"{applicants} applicant(s)" in text


def test_an_extension_adds_the_rulebook_days():
    assert extended_close(date(2025, 8, 15), STRICT) == date(2025, 8, 22)


@pytest.mark.parametrize(
    ("opens", "closes", "days", "ok"),
    [
        (date(2025, 8, 1), date(2025, 8, 15), 15, True),
        (date(2025, 8, 1), date(2025, 8, 30), 30, True),
        (date(2025, 8, 1), date(2025, 8, 14), 14, False),
        (date(2025, 8, 1), date(2025, 8, 1), 1, False),
        (date(2025, 8, 10), date(2025, 8, 1), -8, False),
    ],
)
def test_registration_window(opens, closes, days, ok):
    assert window_days(opens, closes) == days
    if ok:
        validate_window(opens, closes, STRICT)
        return
    with pytest.raises(RuleViolation) as err:
        validate_window(opens, closes, STRICT)
    assert err.value.code == "registration_window_too_short"
    assert "at least 15" in err.value.message
