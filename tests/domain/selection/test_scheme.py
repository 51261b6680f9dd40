from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.errors import RuleViolation
from domain.selection.scheme import Component, ScoringScheme, scheme_violations, validate_scheme


def _c(code: str, weight: float, **kw) -> Component:
    return Component(code=code, name=code.replace("_", " ").title(), weight=weight, **kw)


HEALTH = _c("health", 0, pass_fail=True)
# West Sumatra 2021 weights (domain-rules §1.5): 35 / 25 / 20 / 20.
GOOD = ScoringScheme(
    components=[_c("interview", 35), _c("assessment", 25, scorer_kind="assessor"),
                _c("paper", 20, cutoff=60), _c("track_record", 20), HEALTH],
    tie_break=["assessment", "age"],
)  # fmt: skip


def test_a_coherent_scheme_passes():
    validate_scheme(GOOD)


def test_decimal_weights_summing_to_100_pass():
    validate_scheme(ScoringScheme(components=[_c("a_a", 33.3), _c("b_b", 33.3), _c("c_c", 33.4)]))


@pytest.mark.parametrize(
    ("scheme", "code"),
    [
        (ScoringScheme(components=[]), "no_components"),
        (ScoringScheme(components=[_c("paper", 50), _c("paper", 50)]), "duplicate_component"),
        (ScoringScheme(components=[_c("paper", 50), _c("interview", 49.5)]), "weights_sum"),
        (ScoringScheme(components=[_c("paper", 60), _c("interview", 60)]), "weights_sum"),
        (ScoringScheme(components=[_c("paper", 95), _c("health", 5, pass_fail=True)]),
         "pass_fail_weight"),
        (ScoringScheme(components=[_c("paper", 100), _c("health", 0, pass_fail=True, cutoff=1)]),
         "pass_fail_cutoff"),
        (ScoringScheme(components=[_c("paper", 100)], tie_break=["interview"]),
         "tie_break_unknown"),
        (ScoringScheme(components=[_c("paper", 100), HEALTH], tie_break=["health"]),
         "tie_break_unknown"),
        (ScoringScheme(components=[_c("paper", 100)], tie_break=["paper", "paper"]),
         "tie_break_duplicate"),
    ],
)  # fmt: skip
def test_scheme_rules(scheme, code):
    assert [v.code for v in scheme_violations(scheme)] == [code]
    with pytest.raises(RuleViolation) as err:
        validate_scheme(scheme)
    assert err.value.code == code


def test_sum_message_names_the_sum():
    with pytest.raises(RuleViolation) as err:
        validate_scheme(ScoringScheme(components=[_c("paper", 50), _c("interview", 49.5)]))
    assert "99.5" in err.value.message


@pytest.mark.parametrize("code", ["age", "A", "x", "paper-1", "a" * 33])
def test_bad_component_codes_are_refused(code):
    with pytest.raises(ValidationError):
        _c(code, 10)


@pytest.mark.parametrize("field", [{"weight": 101}, {"weight": -1}, {"cutoff": 101}])
def test_component_ranges(field):
    with pytest.raises(ValidationError):
        Component(code="paper", name="Paper", **({"weight": 10} | field))
