from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import RuleViolation, WrongStage
from domain.selection.registration import (
    RegistrationDecision,
    announced_window,
    check_registration_open,
    explain_registration_decision,
    extended,
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


# ---- the window: dates under a legal rulebook, instants under the training one ----------------

TRAINING = get_selection_rulebook("PermenPANRB-15-2019-training")
NOW = datetime(2027, 3, 10, 3, 30, tzinfo=UTC)  # 10:30 WIB on 10 March


def test_a_window_of_dates_runs_from_the_start_of_the_first_day_to_the_end_of_the_last():
    w = announced_window(
        STRICT, opens=date(2027, 3, 10), closes=date(2027, 3, 24), opens_at=None,
        closes_at=None, now=NOW,
    )  # fmt: skip
    assert w.opens_at == datetime(2027, 3, 9, 17, 0, tzinfo=UTC)
    assert w.closes_at == datetime(2027, 3, 24, 17, 0, tzinfo=UTC)
    w2 = extended(w, STRICT)
    assert (w2.closes, w2.closes_at) == (date(2027, 3, 31), datetime(2027, 3, 31, 17, tzinfo=UTC))
    assert w2.opens_at == w.opens_at


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({"opens": date(2027, 3, 9), "closes": date(2027, 3, 30)}, "registration_window_in_past",
         "opens"),
        ({"opens": date(2027, 3, 10), "closes": date(2027, 3, 23)},
         "registration_window_too_short", "closes"),
        ({"opens": date(2027, 3, 10)}, "validation_error", "closes"),
        ({"closes_at": NOW + timedelta(days=20)}, "window_in_days", "closes_at"),
    ],
)  # fmt: skip
def test_a_window_of_dates_that_breaks_a_rule_names_the_field(kw, code, field):
    args = {"opens": None, "closes": None, "opens_at": None, "closes_at": None} | kw
    with pytest.raises(RuleViolation) as err:
        announced_window(STRICT, now=NOW, **args)
    assert err.value.code == code
    assert err.value.fields[0]["field"] == field


def test_a_training_window_opens_at_once_and_is_counted_in_minutes():
    w = announced_window(
        TRAINING, opens=None, closes=None, opens_at=None, closes_at=NOW + timedelta(minutes=2),
        now=NOW,
    )  # fmt: skip
    assert (w.opens_at, w.closes_at) == (NOW, NOW + timedelta(minutes=2))
    assert w.opens == w.closes == date(2027, 3, 10)
    assert extended(w, TRAINING).closes_at == NOW + timedelta(minutes=3)
    assert "extended by 1 minutes" in explain_registration_decision(2, 0, TRAINING)


@pytest.mark.parametrize(
    ("kw", "code", "field"),
    [
        ({"closes_at": NOW + timedelta(seconds=59)}, "registration_window_too_short", "closes_at"),
        ({"opens_at": NOW - timedelta(minutes=5), "closes_at": NOW + timedelta(minutes=5)},
         "registration_window_in_past", "opens_at"),
        ({"opens": date(2027, 3, 10), "closes_at": NOW + timedelta(minutes=5)},
         "window_in_minutes", "opens"),
        ({}, "validation_error", "closes_at"),
    ],
)  # fmt: skip
def test_a_training_window_that_breaks_a_rule_names_the_field(kw, code, field):
    args = {"opens": None, "closes": None, "opens_at": None, "closes_at": None} | kw
    with pytest.raises(RuleViolation) as err:
        announced_window(TRAINING, now=NOW, **args)
    assert err.value.code == code
    assert err.value.fields[0]["field"] == field


CLOSES_AT = NOW + timedelta(days=5)


@pytest.mark.parametrize(
    ("stage", "now", "counted", "code"),
    [
        ("announcement", NOW, None, "registration_not_open"),
        ("planning", NOW, None, "registration_not_open"),
        ("screening", NOW, None, "registration_closed"),
        ("registration", CLOSES_AT, None, "registration_closed"),
        ("registration", NOW, CLOSES_AT, "registration_closed"),
        ("registration", NOW, NOW - timedelta(days=1), None),
        ("registration", NOW, None, None),
    ],
)
def test_who_may_still_register(stage, now, counted, code):
    if code is None:
        check_registration_open(stage, CLOSES_AT, counted, now)
        return
    with pytest.raises(WrongStage) as err:
        check_registration_open(stage, CLOSES_AT, counted, now)
    assert err.value.code == code
