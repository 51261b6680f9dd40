"""The scoring scheme of one selection: components, weights, cut-offs and the tie-break order.

No national weighting table exists (domain-rules §1.5): each panel sets its own, and the scheme is
frozen when the oversight body approves the plan. This module checks a scheme is coherent.

Tie-break tokens are component codes, compared on the applicant's mean score (higher first), plus
the reserved token ``age``: the older applicant first, as in the CASN tie-break order [S55]. After
the listed tokens, ranking falls back to the applicant id so the order is always total.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.selection.violations import Violation, raise_first

AGE_TOKEN = "age"

# Weights are percentages; float sums of decimal weights (35 + 25 + 20 + 20) are not always exact.
WEIGHT_TOLERANCE = 1e-9
TOTAL_WEIGHT = 100.0


class Component(BaseModel):
    """One scored part of the selection (assessment centre, paper, interview, health, ...)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[a-z_]{2,32}$")
    name: str = Field(min_length=1, max_length=200)
    weight: float = Field(ge=0, le=100)
    cutoff: float | None = Field(default=None, ge=0, le=100)
    pass_fail: bool = False
    scorer_kind: Literal["assessor", "committee"] = "committee"

    @field_validator("code")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == AGE_TOKEN:
            raise ValueError(f"{AGE_TOKEN!r} is reserved for the age tie-break")
        return value


class ScoringScheme(BaseModel):
    model_config = ConfigDict(frozen=True)

    components: list[Component]
    tie_break: list[str] = Field(default_factory=list)

    def component(self, code: str) -> Component | None:
        return next((c for c in self.components if c.code == code), None)


def validate_scheme(s: ScoringScheme) -> None:
    """Refuse an incoherent scheme; the code names the first rule broken."""
    raise_first(scheme_violations(s), field="scheme")


def scheme_violations(s: ScoringScheme) -> list[Violation]:
    """Every rule ``s`` breaks, in a fixed order."""
    if not s.components:
        return [Violation(code="no_components", message="The scheme has no components.")]
    checks = (
        _duplicates(s),
        _pass_fail_weight(s),
        _pass_fail_cutoff(s),
        _weights_sum(s),
        _tie_break_unknown(s),
        _tie_break_duplicate(s),
    )
    return [v for v in checks if v is not None]


def _duplicates(s: ScoringScheme) -> Violation | None:
    repeated = sorted(c for c, n in Counter(c.code for c in s.components).items() if n > 1)
    if not repeated:
        return None
    text = f"Component code(s) used more than once: {', '.join(repeated)}."
    return Violation(code="duplicate_component", message=text)


def _pass_fail_weight(s: ScoringScheme) -> Violation | None:
    weighted = [f"{c.code} ({c.weight:g})" for c in s.components if c.pass_fail and c.weight]
    if not weighted:
        return None
    text = f"Pass/fail components must have weight 0: {', '.join(weighted)}."
    return Violation(code="pass_fail_weight", message=text)


def _pass_fail_cutoff(s: ScoringScheme) -> Violation | None:
    # A cut-off on a pass/fail result would be silently ignored; refuse it so nobody relies on it.
    with_cutoff = [c.code for c in s.components if c.pass_fail and c.cutoff is not None]
    if not with_cutoff:
        return None
    text = f"Pass/fail components take no cut-off: {', '.join(with_cutoff)}."
    return Violation(code="pass_fail_cutoff", message=text)


def _weights_sum(s: ScoringScheme) -> Violation | None:
    total = math.fsum(c.weight for c in s.components)
    if abs(total - TOTAL_WEIGHT) <= WEIGHT_TOLERANCE:
        return None
    listed = ", ".join(f"{c.code} {c.weight:g}" for c in s.components if c.weight)
    text = f"The weights sum to {total:g}, not {TOTAL_WEIGHT:g} ({listed or 'no weights'})."
    return Violation(code="weights_sum", message=text)


def _tie_break_unknown(s: ScoringScheme) -> Violation | None:
    scored = {c.code for c in s.components if not c.pass_fail}
    pass_fail = {c.code for c in s.components if c.pass_fail}
    problems = []
    for token in s.tie_break:
        if token in pass_fail:
            problems.append(f"{token} is pass/fail and cannot order applicants")
        elif token != AGE_TOKEN and token not in scored:
            problems.append(f"{token} is not a component of the scheme")
    if not problems:
        return None
    text = (
        f"Unusable tie-break(s): {'; '.join(problems)}. Use scored component codes "
        f"or {AGE_TOKEN!r} (older applicant first)."
    )
    return Violation(code="tie_break_unknown", message=text)


def _tie_break_duplicate(s: ScoringScheme) -> Violation | None:
    repeated = sorted(t for t, n in Counter(s.tie_break).items() if n > 1)
    if not repeated:
        return None
    text = f"Tie-break entries listed more than once: {', '.join(repeated)}."
    return Violation(code="tie_break_duplicate", message=text)
