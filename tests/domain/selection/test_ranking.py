from __future__ import annotations

import random
from datetime import date

import pytest

from domain.errors import RuleViolation
from domain.selection.ranking import (
    RankedApplicant,
    ScoreSheet,
    component_ranking,
    explain_rank,
    rank,
    shortlist,
)
from domain.selection.scheme import Component, ScoringScheme

SCHEME = ScoringScheme(
    components=[
        Component(code="interview", name="Interview", weight=40),
        Component(code="paper", name="Paper", weight=30, cutoff=60),
        Component(code="assessment", name="Assessment centre", weight=30, scorer_kind="assessor"),
        Component(code="health", name="Health", weight=0, pass_fail=True),
    ],
    tie_break=["assessment", "age"],
)
BORN = date(1975, 1, 1)


def _sheets(applicant: str, *, interview=(80.0,), paper=(70.0,), assessment=(90.0,), health=(1,)):
    """Score sheets for one applicant; each component a tuple of scores, one per scorer."""
    parts = {"interview": interview, "paper": paper, "assessment": assessment, "health": health}
    return [
        ScoreSheet(applicant_id=applicant, component=code, scorer_id=f"s{i}", score=score)
        for code, scores in parts.items()
        for i, score in enumerate(scores)
    ]


def _by_id(ranked: list[RankedApplicant]) -> dict[str, RankedApplicant]:
    return {r.applicant_id: r for r in ranked}


def test_weighted_total_uses_the_mean_over_scorers():
    [r] = rank(_sheets("a", interview=(78, 82), paper=(65, 75)), SCHEME, {"a": BORN})
    assert r.component_scores == {"interview": 80, "paper": 70, "assessment": 90, "health": 1}
    assert list(r.component_scores) == [c.code for c in SCHEME.components]
    assert r.total == 80.0  # (40*80 + 30*70 + 30*90) / 100
    assert (r.passed, r.failed, r.rank, r.tie_broken_by) == (True, [], 1, None)


def test_totals_are_rounded_to_four_decimals():
    [r] = rank(_sheets("a", interview=(80, 81, 81)), SCHEME, {"a": BORN})
    assert r.component_scores["interview"] == 80.6667
    assert r.total == 80.2667


@pytest.mark.parametrize(
    ("scores", "failed"),
    [
        ({"paper": (55,)}, ["paper"]),
        ({"paper": (60,)}, []),  # at the cut-off stays in
        ({"paper": (58, 61)}, ["paper"]),  # the mean is compared
        ({"assessment": ()}, ["missing:assessment"]),
        ({"health": (0,)}, ["health"]),
        ({"health": (1, 0)}, ["health"]),  # one scorer's fail fails
        ({"health": (), "paper": (10,)}, ["paper", "missing:health"]),
    ],
)
def test_cutoffs_missing_scores_and_pass_fail(scores, failed):
    [r] = rank(_sheets("a", **scores), SCHEME, {"a": BORN})
    assert r.failed == failed
    assert r.passed is (not failed)
    assert r.rank is (None if failed else 1)


def test_passed_first_by_total_then_not_passed_by_total():
    sheets = (
        _sheets("low", interview=(60,))
        + _sheets("high", interview=(95,))
        + _sheets("cut_hi", interview=(100,), paper=(50,))
        + _sheets("cut_lo", interview=(10,), paper=(50,))
    )
    ranked = rank(sheets, SCHEME, dict.fromkeys(["low", "high", "cut_hi", "cut_lo"], BORN))
    assert [(r.applicant_id, r.rank) for r in ranked] == [
        ("high", 1), ("low", 2), ("cut_hi", None), ("cut_lo", None)
    ]  # fmt: skip


def test_an_applicant_without_any_score_is_listed_as_missing_everything():
    ranked = rank(_sheets("a"), SCHEME, {"a": BORN, "ghost": BORN})
    ghost = _by_id(ranked)["ghost"]
    assert ghost.failed == [f"missing:{c.code}" for c in SCHEME.components]
    assert (ghost.total, ghost.rank) == (0, None)


def test_tie_broken_by_the_first_tie_break_component():
    # Both total 80: e (80, 70, 90) and f (83, 70, 86); e has the better assessment.
    sheets = _sheets("f", interview=(83,), assessment=(86,)) + _sheets("e")
    ranked = rank(sheets, SCHEME, {"e": BORN, "f": BORN})
    assert [(r.applicant_id, r.total, r.rank, r.tie_broken_by) for r in ranked] == [
        ("e", 80, 1, "assessment"), ("f", 80, 2, "assessment")
    ]  # fmt: skip


def test_tie_broken_by_age_older_first():
    sheets = _sheets("young") + _sheets("old")
    ranked = rank(sheets, SCHEME, {"young": date(1980, 6, 1), "old": date(1972, 6, 1)})
    assert [(r.applicant_id, r.rank, r.tie_broken_by) for r in ranked] == [
        ("old", 1, "age"), ("young", 2, "age")
    ]  # fmt: skip


def test_full_tie_falls_back_to_applicant_id():
    ranked = rank(_sheets("b") + _sheets("a"), SCHEME, {"a": BORN, "b": BORN})
    assert [(r.applicant_id, r.rank, r.tie_broken_by) for r in ranked] == [
        ("a", 1, "applicant_id"), ("b", 2, "applicant_id")
    ]  # fmt: skip


def test_tie_broken_by_names_the_furthest_token_needed_and_untied_ones_get_none():
    sheets = (
        _sheets("a")  # 80, assessment 90
        + _sheets("b", interview=(83,), assessment=(86,))  # 80, assessment 86, older
        + _sheets("c", interview=(83,), assessment=(86,))  # 80, assessment 86, younger
        + _sheets("top", interview=(100,))
    )
    births = {"a": BORN, "b": date(1970, 1, 1), "c": date(1971, 1, 1), "top": BORN}
    ranked = rank(sheets, SCHEME, births)
    assert [(r.applicant_id, r.tie_broken_by) for r in ranked] == [
        ("top", None), ("a", "assessment"), ("b", "age"), ("c", "age")
    ]  # fmt: skip


def test_ranking_does_not_depend_on_sheet_order():
    sheets = _sheets("a", interview=(70.1, 80.2, 90.3)) + _sheets("b", interview=(90.3, 70.1, 80.2))
    births = {"a": BORN, "b": BORN}
    expected = rank(sheets, SCHEME, births)
    shuffled = sheets[:]
    random.Random(7).shuffle(shuffled)
    assert rank(shuffled, SCHEME, births) == expected
    assert expected[0].total == expected[1].total


def test_ties_without_age_in_the_scheme_need_no_birth_dates():
    scheme = SCHEME.model_copy(update={"tie_break": ["assessment"]})
    ranked = rank(_sheets("b") + _sheets("a"), scheme, {})
    assert [r.applicant_id for r in ranked] == ["a", "b"]


@pytest.mark.parametrize(
    ("sheets", "births", "code"),
    [
        (_sheets("a") + [ScoreSheet(applicant_id="a", component="essay", scorer_id="s", score=1)],
         {"a": BORN}, "unknown_component"),
        (_sheets("a", health=(0.5,)), {"a": BORN}, "pass_fail_score"),
        (_sheets("a") + _sheets("a")[:1], {"a": BORN}, "duplicate_score"),
        (_sheets("a") + _sheets("b"), {"a": BORN}, "birth_date_missing"),
    ],
)  # fmt: skip
def test_bad_input_is_refused(sheets, births, code):
    with pytest.raises(RuleViolation) as err:
        rank(sheets, SCHEME, births)
    assert err.value.code == code


def test_an_invalid_scheme_is_refused_before_ranking():
    bad = SCHEME.model_copy(update={"tie_break": ["essay"]})
    with pytest.raises(RuleViolation) as err:
        rank(_sheets("a"), bad, {"a": BORN})
    assert err.value.code == "tie_break_unknown"


@pytest.mark.parametrize(("size", "expected"), [(3, ["p1", "p2", "p3"]), (5, ["p1", "p2", "p3", "p4"]),
                                                (0, [])])  # fmt: skip
def test_shortlist_takes_the_top_passed(size, expected):
    sheets = [
        s
        for i, name in enumerate(["p1", "p2", "p3", "p4"])
        for s in _sheets(name, interview=(90 - i,))
    ] + _sheets("x", interview=(100,), health=(0,))
    ranked = rank(sheets, SCHEME, dict.fromkeys(["p1", "p2", "p3", "p4", "x"], BORN))
    assert [r.applicant_id for r in shortlist(ranked, size)] == expected


def test_component_ranking_publishes_means_best_first():
    sheets = _sheets("b", paper=(70, 80)) + _sheets("a", paper=(75,)) + _sheets("c", paper=(90,))
    assert component_ranking(sheets, "paper") == [("c", 90), ("a", 75), ("b", 75)]
    assert component_ranking(sheets, "essay") == []


def test_explanations_name_the_total_and_what_broke_the_tie():
    sheets = (
        _sheets("e")
        + _sheets("f", interview=(83,), assessment=(86,))
        + _sheets("old")
        + _sheets("cut", paper=(40,))
        + _sheets("sick", health=(0,), assessment=())
    )
    births = {"e": date(1980, 1, 1), "f": BORN, "old": date(1960, 1, 1), "cut": BORN, "sick": BORN}
    ranked = rank(sheets, SCHEME, births)
    text = explain_rank(ranked, SCHEME, births)
    assert text["old"].startswith("Rank 1 with a total of 80")
    assert "born 1960-01-01" in text["old"]
    assert "(Interview 80, Paper 70, Assessment centre 90, Health pass)" in text["old"]
    assert "Tied on total with e, f" in text["old"]
    assert "age tie-break (born 1980-01-01)" in text["e"]  # e ties old on assessment too
    assert "Assessment centre (86)" in text["f"]
    assert "Paper 40 is under the cut-off 60" in text["cut"]
    assert "Health: fail" in text["sick"] and "no score for Assessment centre" in text["sick"]
