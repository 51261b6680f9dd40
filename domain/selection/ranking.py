"""Integrating scores into a ranked list: means per component, weighted totals, cut-offs, ties.

A component's score is the mean over its scorers, rounded to ``SCORE_DECIMALS`` as published; the
total is the weighted sum of the published component scores over 100, rounded the same way, so an
auditor can recompute it from the published list. Sums use ``math.fsum`` so the result does not
depend on the order sheets arrive in. Rank one post at a time: pass only that post's sheets.

Applicants who pass every cut-off and pass/fail component come first, ordered by total, then by the
scheme's tie-break tokens, then by applicant id, so the order is always total and deterministic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import RuleViolation
from domain.selection.scheme import AGE_TOKEN, ScoringScheme, validate_scheme

SCORE_DECIMALS = 4
APPLICANT_ID_TOKEN = "applicant_id"
MISSING_PREFIX = "missing:"

_SortKey = tuple[float | str, ...]


class ScoreSheet(BaseModel):
    """One scorer's score for one applicant on one component; pass/fail: 1 pass, 0 fail."""

    model_config = ConfigDict(frozen=True)

    applicant_id: str = Field(min_length=1, max_length=100)
    component: str = Field(pattern=r"^[a-z_]{2,32}$")
    scorer_id: str = Field(min_length=1, max_length=100)
    score: float = Field(ge=0, le=100)


class RankedApplicant(BaseModel):
    model_config = ConfigDict(frozen=True)

    applicant_id: str
    component_scores: dict[str, float]
    total: float
    passed: bool
    failed: list[str]
    rank: int | None
    tie_broken_by: str | None


def rank(
    sheets: list[ScoreSheet], scheme: ScoringScheme, birth_dates: dict[str, date]
) -> list[RankedApplicant]:
    """Rank every applicant named in ``sheets`` or ``birth_dates``; passed ones first.

    Pass every screened-in applicant in ``birth_dates`` so one without any score is listed (as
    missing every component) rather than silently left out.
    """
    validate_scheme(scheme)
    grouped = _group(sheets, scheme)
    roster = sorted(set(grouped) | set(birth_dates))
    if AGE_TOKEN in scheme.tie_break:
        _require_birth_dates(roster, birth_dates)
    scored = [_score(a, grouped.get(a, {}), scheme) for a in roster]
    passed = sorted((s for s in scored if s.passed), key=lambda s: _key(s, scheme, birth_dates))
    keys = [_key(s, scheme, birth_dates) for s in passed]
    tokens = [*scheme.tie_break, APPLICANT_ID_TOKEN]
    ranked = [
        s.model_copy(update={"rank": i + 1, "tie_broken_by": _tie_broken_by(keys, i, tokens)})
        for i, s in enumerate(passed)
    ]
    others = sorted((s for s in scored if not s.passed), key=lambda s: (-s.total, s.applicant_id))
    return ranked + others


def shortlist(ranked: list[RankedApplicant], size: int) -> list[RankedApplicant]:
    """The top ``size`` passed applicants; fewer when fewer passed."""
    if size < 0:
        raise ValueError("size must not be negative")
    passed = [r for r in ranked if r.passed and r.rank is not None]
    return sorted(passed, key=lambda r: r.rank or 0)[:size]


def component_ranking(sheets: list[ScoreSheet], component: str) -> list[tuple[str, float]]:
    """One component's published list: (applicant id, mean score), best first, ties by id."""
    scores: dict[str, list[float]] = defaultdict(list)
    for sheet in _unique(s for s in sheets if s.component == component):
        scores[sheet.applicant_id].append(sheet.score)
    means = [(applicant, _mean(values)) for applicant, values in scores.items()]
    return sorted(means, key=lambda item: (-item[1], item[0]))


def explain_rank(
    ranked: list[RankedApplicant],
    scheme: ScoringScheme,
    birth_dates: dict[str, date] | None = None,
) -> dict[str, str]:
    """For each applicant, a sentence saying why they hold their place, for auditors."""
    return {
        r.applicant_id: (
            _explain_passed(r, ranked, scheme, birth_dates or {})
            if r.passed
            else _explain_failed(r, scheme)
        )
        for r in ranked
    }


# --- scoring ----------------------------------------------------------------------------------


def _unique(sheets: Iterable[ScoreSheet]) -> list[ScoreSheet]:
    """The sheets, refusing a second score by one scorer for one applicant and component."""
    seen: set[tuple[str, str, str]] = set()
    result = []
    for sheet in sheets:
        key = (sheet.applicant_id, sheet.component, sheet.scorer_id)
        if key in seen:
            raise RuleViolation(
                f"{sheet.scorer_id} has more than one {sheet.component} score for "
                f"{sheet.applicant_id}; pass only the score in force (the last amendment).",
                code="duplicate_score",
            )
        seen.add(key)
        result.append(sheet)
    return result


def _group(sheets: list[ScoreSheet], scheme: ScoringScheme) -> dict[str, dict[str, list[float]]]:
    """Scores by applicant and component, after checking each sheet fits the scheme."""
    grouped: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for sheet in _unique(sheets):
        component = scheme.component(sheet.component)
        if component is None:
            raise RuleViolation(
                f"{sheet.component!r} is not a component of this selection's scheme.",
                code="unknown_component",
            )
        if component.pass_fail and sheet.score not in (0, 1):
            raise RuleViolation(
                f"{sheet.component} is pass/fail: score 1 for pass or 0 for fail, "
                f"not {sheet.score:g} ({sheet.scorer_id} for {sheet.applicant_id}).",
                code="pass_fail_score",
            )
        grouped[sheet.applicant_id][sheet.component].append(sheet.score)
    return grouped


def _require_birth_dates(roster: list[str], birth_dates: dict[str, date]) -> None:
    missing = [a for a in roster if a not in birth_dates]
    if missing:
        raise RuleViolation(
            f"The scheme breaks ties by age, but no birth date was given for {', '.join(missing)}.",
            code="birth_date_missing",
        )


def _mean(values: list[float]) -> float:
    return round(math.fsum(values) / len(values), SCORE_DECIMALS)


def _score(
    applicant_id: str, scores: dict[str, list[float]], scheme: ScoringScheme
) -> RankedApplicant:
    """Component means, the weighted total and the failures of one applicant, not yet ranked."""
    # In scheme order, so published lists read the way the scheme was announced.
    means = {c.code: _mean(scores[c.code]) for c in scheme.components if c.code in scores}
    failed: list[str] = []
    for c in scheme.components:
        score = means.get(c.code)
        if score is None:
            failed.append(MISSING_PREFIX + c.code)
        # A pass/fail mean below 1 means at least one scorer said fail.
        elif (c.pass_fail and score < 1) or (c.cutoff is not None and score < c.cutoff):
            failed.append(c.code)
    weighted = (c.weight * means[c.code] for c in scheme.components if c.code in means)
    return RankedApplicant(
        applicant_id=applicant_id,
        component_scores=means,
        total=round(math.fsum(weighted) / 100, SCORE_DECIMALS),
        passed=not failed,
        failed=failed,
        rank=None,
        tie_broken_by=None,
    )


# --- ordering ---------------------------------------------------------------------------------


def _key(r: RankedApplicant, scheme: ScoringScheme, birth_dates: dict[str, date]) -> _SortKey:
    """Ascending sort key: total desc, each tie-break token, then applicant id."""
    parts: list[float | str] = [-r.total]
    for token in scheme.tie_break:
        if token == AGE_TOKEN:
            parts.append(birth_dates[r.applicant_id].toordinal())  # earlier birth, older, first
        else:
            parts.append(-r.component_scores[token])
    parts.append(r.applicant_id)
    return tuple(parts)


def _deciding(a: _SortKey, b: _SortKey) -> int | None:
    """Index of the tie-break token that separates two keys; None when their totals differ."""
    if a[0] != b[0]:
        return None
    return next(i for i in range(1, len(a)) if a[i] != b[i]) - 1


def _tie_broken_by(keys: list[_SortKey], i: int, tokens: list[str]) -> str | None:
    """The furthest tie-break token needed to place applicant ``i`` among those sharing its total.

    With A, B and C tied, A above B by interview and B above C by age, B's place needed age.
    """
    neighbours = [keys[j] for j in (i - 1, i + 1) if 0 <= j < len(keys)]
    decided = [d for d in (_deciding(keys[i], k) for k in neighbours) if d is not None]
    return tokens[max(decided)] if decided else None


# --- explanations -----------------------------------------------------------------------------


def _explain_passed(
    r: RankedApplicant,
    ranked: list[RankedApplicant],
    scheme: ScoringScheme,
    birth_dates: dict[str, date],
) -> str:
    names = {c.code: c.name for c in scheme.components}
    pass_fail = {c.code for c in scheme.components if c.pass_fail}
    scores = ", ".join(
        f"{names[c]} {'pass' if c in pass_fail else f'{s:g}'}"
        for c, s in r.component_scores.items()
    )
    text = f"Rank {r.rank} with a total of {r.total:g} ({scores})."
    tied = [o.applicant_id for o in ranked if o.passed and o.total == r.total and o is not r]
    token = r.tie_broken_by
    if token is None or not tied:
        return text
    text += f" Tied on total with {', '.join(tied)};"
    if token == APPLICANT_ID_TOKEN:
        return text + " equal on every tie-break, so the applicant id settles the order."
    if token == AGE_TOKEN:
        born = birth_dates.get(r.applicant_id)
        detail = f"born {born.isoformat()}" if born else "the older applicant first"
        return text + f" the age tie-break ({detail}) settles its place."
    score = r.component_scores[token]
    return text + f" the tie-break on {names[token]} ({score:g}) settles its place."


def _explain_failed(r: RankedApplicant, scheme: ScoringScheme) -> str:
    problems = []
    for code in r.failed:
        if code.startswith(MISSING_PREFIX):
            missing = code.removeprefix(MISSING_PREFIX)
            component = scheme.component(missing)
            problems.append(f"no score for {component.name if component else missing}")
            continue
        component = scheme.component(code)
        if component is None:
            problems.append(code)
        elif component.pass_fail:
            problems.append(f"{component.name}: fail")
        else:
            problems.append(
                f"{component.name} {r.component_scores[code]:g} is under the cut-off "
                f"{component.cutoff:g}"
            )
    return f"Not ranked (total {r.total:g}): {'; '.join(problems)}."
