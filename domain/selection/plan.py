"""Stage-level rules of a selection beyond its stage machine: the plan, the components, the choice.

Each takes the workflow's own state as plain values, so the workflow's validators and the unit
tests call the same function. What the caller sent breaks a rule: :class:`RuleViolation` naming
the field; the selection is not in a state for it: :class:`Conflict`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from domain.errors import Conflict, RuleViolation
from domain.selection.scheme import ScoringScheme, validate_scheme
from domain.selection.scoring import require_component


def check_staffing(
    scheme: ScoringScheme, scorers: Mapping[str, Collection[str]], panel: Collection[str]
) -> None:
    """A coherent scheme whose every component has scorers, the committee's from the panel."""
    validate_scheme(scheme)
    codes = {c.code for c in scheme.components}
    unknown = sorted(set(scorers) - codes)
    if unknown:
        raise RuleViolation(
            f"Scorers are assigned to components the scheme does not have: {', '.join(unknown)}.",
            code="unknown_component",
            field="scorers",
        )
    unstaffed = sorted(c for c in codes if not scorers.get(c))
    if unstaffed:
        raise RuleViolation(
            f"Every component needs at least one scorer; none for: {', '.join(unstaffed)}.",
            code="scorers_required",
            field="scorers",
        )
    for c in scheme.components:
        outsiders = sorted(set(scorers[c.code]) - set(panel))
        if c.scorer_kind == "committee" and outsiders:
            raise RuleViolation(
                f"Component {c.code} is scored by the committee, but {', '.join(outsiders)} "
                f"{'is' if len(outsiders) == 1 else 'are'} not on the panel (set the panel first).",
                code="scorer_not_on_panel",
                field="scorers",
            )


def check_plan_complete(
    panel: Collection[str],
    scheme: ScoringScheme | None,
    scorers: Mapping[str, Collection[str]],
) -> None:
    """The plan goes to the oversight body with its panel and scheme, the committee's scorers still
    on the panel (a panel set again after the scheme may have dropped one)."""
    if not panel or scheme is None:
        missing = [n for n, v in (("panel", panel), ("scheme", scheme)) if not v]
        raise Conflict(
            f"The plan cannot go to the oversight body without its {' and '.join(missing)}.",
            code="plan_incomplete",
        )
    for c in scheme.components:
        outsiders = sorted(set(scorers.get(c.code, ())) - set(panel))
        if c.scorer_kind == "committee" and outsiders:
            raise Conflict(
                f"Component {c.code} lists scorers who are no longer on the panel: "
                f"{', '.join(outsiders)}.",
                code="scorer_not_on_panel",
            )


def require_not_announced(announced: bool) -> None:
    if announced:
        raise Conflict("The vacancy has already been announced.", code="already_announced")


def require_open_component(components: Mapping[str, str], code: str) -> None:
    """A component can be closed while it is open."""
    status = require_component(components, code)
    if status != "open":
        raise Conflict(f"Component {code} is {status}.", code="component_not_open")


def require_shortlist(shortlist: Sequence[str]) -> None:
    if not shortlist:
        raise Conflict("There is no proposed shortlist to vote on yet.", code="wrong_stage")


def check_appointee(applicant_id: str, shortlist: Sequence[str]) -> None:
    """The appointing authority chooses one of the approved names, nobody else."""
    if applicant_id in shortlist:
        return
    raise RuleViolation(
        f"{applicant_id} is not on the approved shortlist ({', '.join(shortlist)}); the "
        "appointing authority chooses one of those names.",
        code="not_shortlisted",
        field="applicant_id",
    )
