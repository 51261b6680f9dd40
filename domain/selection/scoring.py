"""The candidate-level rules: screening decisions, conflict declarations, scores, blind reading.

The store applies these inside the transaction that holds the selection's lock, with the gate it
read under that lock (stage, component states, the caller's seat and declaration); the action
pipeline's precheck applies the value rules (:func:`check_score`) before anything is read. Numbers
(justification length, score scale) are the rulebook's.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from domain.errors import Conflict, NotFound, NotPermitted, RuleViolation, WrongStage
from domain.selection.rulebook import SelectionRulebook
from domain.selection.scheme import Component
from domain.selection.stages import Stage

_DECLARATION_STAGES = frozenset({Stage.SCREENING, Stage.ASSESSMENT})


def justified(text: str | None, rb: SelectionRulebook) -> bool:
    """Whether ``text`` says why in at least the rulebook's number of characters."""
    return text is not None and len(text.strip()) >= rb.justification_min_chars


# ---- screening -------------------------------------------------------------------------------


def screening_open(stage: str, components: Mapping[str, str]) -> bool:
    """Screening takes decisions until it closes; closing it opens the components for scores, in
    the same transaction that counted the decisions, before the workflow records the new stage."""
    return stage == Stage.SCREENING and not any(s == "open" for s in components.values())


def require_screening_open(stage: str, components: Mapping[str, str]) -> None:
    if screening_open(stage, components):
        return
    raise WrongStage(
        f"Cannot decide screening: the selection is at the {stage} stage and screening is "
        "closed or not yet open.",
        code="wrong_stage",
        current=stage,
        expected=[Stage.SCREENING.value],
    )


def check_screening_decision(
    applicant_id: str,
    auto_eligible: bool | None,
    eligible: bool,
    justification: str | None,
    rb: SelectionRulebook,
) -> bool:
    """Whether deciding ``eligible`` overrides the pre-check; an override must be justified.

    Without a pre-check result every decision is an override.
    """
    override = auto_eligible is None or eligible != auto_eligible
    if override and not justified(justification, rb):
        auto = {None: "no pre-check result", True: "eligible", False: "not eligible"}
        raise RuleViolation(
            f"The pre-check found {applicant_id} {auto[auto_eligible]}; deciding "
            f"{'eligible' if eligible else 'not eligible'} overrides it and needs a justification "
            f"of at least {rb.justification_min_chars} characters.",
            code="justification_required",
            field="justification",
            minimum=rb.justification_min_chars,
        )
    return override


# ---- declarations ----------------------------------------------------------------------------


def require_declaration_stage(stage: str) -> None:
    if stage in _DECLARATION_STAGES:
        return
    raise WrongStage(
        f"Cannot declare conflicts of interest: the selection is at the {stage} stage, and this "
        "is only possible during screening or assessment.",
        code="wrong_stage",
        current=stage,
        expected=sorted(s.value for s in _DECLARATION_STAGES),
    )


def require_known_applicants(unknown: list[str], listed: int = 20) -> None:
    """Refuse a declaration naming people who did not apply; nothing is declared."""
    if not unknown:
        return
    shown = ", ".join(unknown[:listed])
    more = f" and {len(unknown) - listed} more" if len(unknown) > listed else ""
    raise RuleViolation(
        f"Not applicants of this selection: {shown}{more}; nothing was declared.",
        code="applicant_not_found",
        field="conflicted",
        applicant_ids=unknown,
    )


# ---- scores --------------------------------------------------------------------------------


def check_score(score: float, component: Component | None, rb: SelectionRulebook) -> None:
    """A score on the rulebook's scale; a pass/fail component takes 1 (pass) or 0 (fail)."""
    name = component.name if component else "The"
    if not math.isfinite(score) or not rb.score_min <= score <= rb.score_max:
        raise RuleViolation(
            f"A {name} score must be between {rb.score_min:g} and {rb.score_max:g}, not {score:g}.",
            code="invalid_score",
            field="score",
        )
    if component is not None and component.pass_fail and score not in (0, 1):
        raise RuleViolation(
            f"{name} is pass/fail: score 1 for pass or 0 for fail, not {score:g}.",
            code="invalid_score",
            field="score",
        )


def require_component_open(stage: str, components: Mapping[str, str], code: str) -> None:
    """Scores are taken during assessment, for a component that is open."""
    if stage != Stage.ASSESSMENT:
        raise WrongStage(
            f"Cannot submit a score: the selection is at the {stage} stage, and this is only "
            "possible during assessment.",
            code="wrong_stage",
            current=stage,
            expected=[Stage.ASSESSMENT.value],
        )
    status = require_component(components, code)
    if status != "open":
        raise Conflict(
            f"Component {code} is {status}, not open for scores.",
            code="component_not_open",
            status=status,
        )


def require_component(components: Mapping[str, str], code: str) -> str:
    """The state of component ``code`` (pending, open, closed); an unknown code is not found."""
    status = components.get(code)
    if status is None:
        known = ", ".join(sorted(components)) or "none"
        raise NotFound(
            f"{code!r} is not a component of this selection (components: {known}).",
            code="unknown_component",
        )
    return status


def require_declared(declared: bool, scorer_id: str) -> None:
    if declared:
        return
    raise Conflict(
        f"{scorer_id} must declare conflicts of interest (or that there are none) before scoring.",
        code="declaration_required",
    )


def require_screened_in(final_eligible: bool | None, applicant_id: str) -> None:
    if final_eligible is True:
        return
    raise Conflict(
        f"{applicant_id} was not screened in to this selection, so cannot be scored.",
        code="applicant_not_eligible",
    )


def require_not_conflicted(
    conflicted: Collection[str], applicant_id: str, member_id: str, what: str = "score them"
) -> None:
    """A panel member or scorer who declared a conflict with an applicant does not act on them:
    neither scores them nor decides their screening (``what``)."""
    if applicant_id not in conflicted:
        return
    raise NotPermitted(
        f"{member_id} declared a conflict of interest with {applicant_id} and may not {what}.",
        code="conflict_of_interest",
    )


def check_amendment(
    previous: float, justification: str | None, rb: SelectionRulebook, what: str
) -> None:
    """A submitted score is locked: changing it needs a justification (``what``: whose score)."""
    if justification is None or not justification.strip():
        raise RuleViolation(
            f"You already scored {what} ({previous:g}); a submitted score is locked and can only "
            f"be amended with a justification of at least {rb.justification_min_chars} characters.",
            code="score_locked",
            field="justification",
            score=previous,
        )
    if not justified(justification, rb):
        raise RuleViolation(
            f"Amending your score for {what} needs a justification of at least "
            f"{rb.justification_min_chars} characters.",
            code="justification_required",
            field="justification",
            minimum=rb.justification_min_chars,
        )


def require_scores_visible(status: str, reader_scored: bool, what: str) -> None:
    """Scores stay blind to a reader until they scored the same applicant on the same component,
    or the component is closed. Nobody is exempt, the panel chair included."""
    if status == "closed" or reader_scored:
        return
    raise NotPermitted(
        f"Scores of {what} stay hidden until you submit your own score for them or the component "
        "is closed.",
        code="scores_blind",
    )
