"""Why each applicant of an open selection holds the place they hold, rechecked against the record.

The ranking is recomputed from the scores in force and the scheme the ledger froze (the last
accepted ``scheme.set``), with the same pure rules the workflow used (:func:`rank`,
:func:`component_ranking`), and compared with what was published: the digest the ledger bound
(``shortlist.proposed`` / ``shortlist.insufficient`` and each ``component.closed``), the names
proposed, and the lists in the ``selection_announcements`` rows. Each score in force is also checked
against the ledger's last ``score.submitted`` / ``score.amended`` entry for it. Every difference is
named precisely: which list, which position, which field, what was published and what it should be.

Nothing here asks Temporal, and nothing is read but what the caller hands in: ledger rows as
``store.ledger.entry_to_dict`` gives them (in chain order), the score sheets, the birth dates of the
screened-in applicants, the screening records and the published bodies by announcement key.
Applicants are named by their ids only; NIPs and names never enter the explanation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from domain.eligibility import Reason
from domain.errors import DomainError
from domain.explanation import LedgerCheck
from domain.ledger import Actor
from domain.selection.ranking import (
    RankedApplicant,
    ScoreSheet,
    component_ranking,
    explain_rank,
    rank,
    shortlist,
)
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.scheme import ScoringScheme

# Per-candidate entries written straight by the API; everything else is a stage-level decision.
CANDIDATE_KINDS = frozenset(
    {
        "applicant.registered",
        "applicants.imported",
        "screening.decided",
        "scorer.declared",
        "score.submitted",
        "score.amended",
    }
)
SCORE_KINDS = frozenset({"score.submitted", "score.amended"})
SHORTLIST_KINDS = frozenset({"shortlist.proposed", "shortlist.insufficient"})
PUBLISHED_FIELDS = ("applicant_id", "rank", "total", "passed", "component_scores")


def ranking_digest(ranked: Sequence[Mapping[str, Any]]) -> str:
    """sha-256 over the canonical JSON of a ranked list (as ``activities.selections`` binds it)."""
    canonical = json.dumps(ranked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- inputs -------------------------------------------------------------------------------------


class ApplicantRecord(BaseModel):
    """One registration's screening, as the store keeps it (no NIP, no name)."""

    applicant_id: str
    auto_eligible: bool | None = None
    auto_reasons: list[Reason] = Field(default_factory=list)
    decision: str | None = None  # confirmed | overridden
    final_eligible: bool | None = None
    decision_justification: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


# --- output -------------------------------------------------------------------------------------


class ScreeningOutcome(BaseModel):
    pre_check_eligible: bool | None
    pre_check_reasons: list[Reason]
    decision: str | None
    eligible: bool | None
    justification: str | None
    decided_by: str | None
    decided_at: datetime | None


class ScoreInForce(BaseModel):
    component: str
    scorer_id: str
    score: float
    amendments: int
    ledger_seq: int | None


class ApplicantExplanation(BaseModel):
    applicant_id: str
    screening: ScreeningOutcome | None
    ranked: bool
    rank: int | None = None
    total: float | None = None
    component_scores: dict[str, float] = Field(default_factory=dict)
    passed: bool | None = None
    failed_cutoffs: list[str] = Field(default_factory=list)
    tie_broken_by: str | None = None
    shortlisted: bool = False
    explanation: str
    scores: list[ScoreInForce] = Field(default_factory=list)


class RecordDifference(BaseModel):
    """One place where the record disagrees with the recomputation."""

    kind: Literal[
        "score", "scheme", "ranking_digest", "ranking", "proposed", "component", "recompute"
    ]
    where: str
    detail: str


class PublishedCheck(BaseModel):
    """One published list and how it compares; ``matches`` is None when it was superseded."""

    what: str
    announcement: str | None
    ledger_seq: int | None
    digest: str | None
    recomputed_digest: str | None
    matches: bool | None
    note: str | None = None


class SelectionStageDecision(BaseModel):
    seq: int
    entry_id: str
    kind: str
    actor: Actor
    at: datetime
    justification: str | None
    stage_before: str | None
    stage_after: str | None
    payload: dict[str, Any]


class SelectionOutcome(BaseModel):
    status: str
    stage: str
    appointee_id: str | None = None
    reason: str | None = None


class SelectionExplanation(BaseModel):
    process_id: str
    process_kind: Literal["selection"] = "selection"
    agency: str | None
    rulebook_version: str | None
    scheme: ScoringScheme | None
    scheme_source: Literal["ledger", "read_model"] | None
    applicants: list[ApplicantExplanation]
    published_matches: bool
    scores_match_ledger: bool
    first_difference: str | None
    differences: list[RecordDifference]
    checks: list[PublishedCheck]
    stage_decisions: list[SelectionStageDecision]
    refused_attempts: int
    outcome: SelectionOutcome
    ledger: LedgerCheck


# --- the pieces -----------------------------------------------------------------------------------


def _accepted(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in rows if r["outcome"] == "accepted"]


def _payload(row: Mapping[str, Any]) -> Mapping[str, Any]:
    payload: Mapping[str, Any] = row.get("payload") or {}
    return payload


def frozen_scheme(rows: Sequence[Mapping[str, Any]]) -> ScoringScheme | None:
    """The scheme of the last accepted ``scheme.set`` (the one the plan approval froze)."""
    for row in reversed(_accepted(rows)):
        if row["kind"] == "scheme.set":
            try:
                return ScoringScheme.model_validate(_payload(row).get("scheme"))
            except ValidationError:
                return None
    return None


def _actor(row: Mapping[str, Any]) -> Actor:
    return Actor(
        id=row["actor_id"],
        role=row["actor_role"],
        agency=row.get("actor_agency"),
        on_behalf_of=row.get("on_behalf_of"),
    )


def _ledger_scores(
    rows: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, str, str], tuple[float, int, int]]:
    """(component, applicant, scorer) -> (score in force, amendments, seq) from the ledger."""
    scores: dict[tuple[str, str, str], tuple[float, int, int]] = {}
    for row in _accepted(rows):
        if row["kind"] not in SCORE_KINDS:
            continue
        p = _payload(row)
        key = (str(p.get("component")), str(p.get("applicant_id")), str(row["actor_id"]))
        amendments = int(p.get("amendment") or 0) if row["kind"] == "score.amended" else 0
        scores[key] = (float(p["score"]), amendments, int(row["seq"]))
    return scores


def _check_scores(
    sheets: Sequence[ScoreSheet], ledger: Mapping[tuple[str, str, str], tuple[float, int, int]]
) -> list[RecordDifference]:
    found = []
    for s in sorted(sheets, key=lambda s: (s.component, s.applicant_id, s.scorer_id)):
        where = f"{s.component} score of {s.applicant_id} by {s.scorer_id}"
        recorded = ledger.get((s.component, s.applicant_id, s.scorer_id))
        if recorded is None:
            found.append(
                RecordDifference(kind="score", where=where, detail="no ledger entry records it")
            )
        elif recorded[0] != s.score:
            found.append(
                RecordDifference(
                    kind="score",
                    where=where,
                    detail=f"the score in force is {s.score:g}, the ledger's last entry "
                    f"(seq {recorded[2]}) says {recorded[0]:g}",
                )
            )
    return found


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


def _compare_lists(
    published: Sequence[Mapping[str, Any]],
    expected: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
) -> str | None:
    """The first difference between two ranked lists, position by position, or None."""
    for i, (got, want) in enumerate(zip(published, expected, strict=False)):
        for f in fields:
            if got.get(f) != want.get(f):
                who = want.get("applicant_id")
                return (
                    f"position {i + 1} ({who}): {f} published "
                    f"{_fmt(got.get(f))}, recomputed {_fmt(want.get(f))}"
                )
    if len(published) != len(expected):
        longer, side = (
            (published, "published")
            if len(published) > len(expected)
            else (
                expected,
                "recomputed",
            )
        )
        extra = longer[min(len(published), len(expected))].get("applicant_id")
        return (
            f"{len(published)} rows published, {len(expected)} recomputed; "
            f"position {min(len(published), len(expected)) + 1} ({extra}) is only {side}"
        )
    return None


def _latest(rows: Sequence[Mapping[str, Any]], kinds: frozenset[str]) -> Mapping[str, Any] | None:
    return next((r for r in reversed(_accepted(rows)) if r["kind"] in kinds), None)


def _check_ranking(
    rows: Sequence[Mapping[str, Any]],
    ranked: list[RankedApplicant],
    proposed: list[str],
    published: Mapping[str, Mapping[str, Any]],
) -> tuple[list[PublishedCheck], list[RecordDifference]]:
    digest = ranking_digest([r.model_dump(mode="json") for r in ranked])
    checks: list[PublishedCheck] = []
    bound = [r for r in _accepted(rows) if r["kind"] in SHORTLIST_KINDS]
    for row in bound[:-1]:
        checks.append(
            PublishedCheck(
                what="integrated ranking",
                announcement=_payload(row).get("announcement"),
                ledger_seq=row["seq"],
                digest=_payload(row).get("digest"),
                recomputed_digest=None,
                matches=None,
                note="superseded by a later ranking after a return",
            )
        )
    if not bound:
        return checks, []
    row = bound[-1]
    p = _payload(row)
    key = p.get("announcement")
    mine: list[RecordDifference] = []
    if p.get("digest") != digest:
        mine.append(
            RecordDifference(
                kind="ranking_digest",
                where=f"{row['kind']} (seq {row['seq']})",
                detail=f"the ledger binds digest {p.get('digest')}, the recomputed ranking "
                f"hashes to {digest}",
            )
        )
    if "proposed" in p and list(p["proposed"]) != proposed:
        mine.append(
            RecordDifference(
                kind="proposed",
                where=f"{row['kind']} (seq {row['seq']})",
                detail=f"proposed {', '.join(p['proposed']) or 'nobody'}, recomputed "
                f"{', '.join(proposed) or 'nobody'}",
            )
        )
    body = published.get(str(key)) if key else None
    if key and body is None:
        mine.append(
            RecordDifference(kind="ranking", where=str(key), detail="the announcement is missing")
        )
    elif body is not None:
        expected = [{f: r.model_dump(mode="json")[f] for f in PUBLISHED_FIELDS} for r in ranked]
        problem = _compare_lists(list(body.get("ranking") or []), expected, PUBLISHED_FIELDS)
        if problem is not None:
            mine.append(RecordDifference(kind="ranking", where=str(key), detail=problem))
        if list(body.get("proposed") or []) != proposed:
            mine.append(
                RecordDifference(
                    kind="proposed",
                    where=str(key),
                    detail=f"published proposed {', '.join(body.get('proposed') or []) or 'nobody'}"
                    f", recomputed {', '.join(proposed) or 'nobody'}",
                )
            )
    checks.append(
        PublishedCheck(
            what="integrated ranking",
            announcement=key,
            ledger_seq=row["seq"],
            digest=p.get("digest"),
            recomputed_digest=digest,
            matches=not mine,
        )
    )
    return checks, mine


def _check_components(
    rows: Sequence[Mapping[str, Any]],
    sheets: list[ScoreSheet],
    published: Mapping[str, Mapping[str, Any]],
) -> tuple[list[PublishedCheck], list[RecordDifference]]:
    closed = [r for r in _accepted(rows) if r["kind"] == "component.closed"]
    last = {str(_payload(r).get("component")): r["seq"] for r in closed}
    checks: list[PublishedCheck] = []
    diffs: list[RecordDifference] = []
    for row in closed:
        p = _payload(row)
        code, key = str(p.get("component")), p.get("announcement")
        what = f"component {code} ranking"
        if last[code] != row["seq"]:
            checks.append(
                PublishedCheck(
                    what=what,
                    announcement=key,
                    ledger_seq=row["seq"],
                    digest=p.get("digest"),
                    recomputed_digest=None,
                    matches=None,
                    note="superseded: the component was closed again after a return",
                )
            )
            continue
        expected = [
            {"rank": i + 1, "applicant_id": a, "score": score}
            for i, (a, score) in enumerate(component_ranking(sheets, code))
        ]
        digest = ranking_digest(expected)
        mine: list[RecordDifference] = []
        if p.get("digest") != digest:
            mine.append(
                RecordDifference(
                    kind="component",
                    where=f"component.closed {code} (seq {row['seq']})",
                    detail=f"the ledger binds digest {p.get('digest')}, the recomputed "
                    f"{code} ranking hashes to {digest}",
                )
            )
        body = published.get(str(key)) if key else None
        if key and body is None:
            mine.append(
                RecordDifference(
                    kind="component", where=str(key), detail="the announcement is missing"
                )
            )
        elif body is not None:
            problem = _compare_lists(
                list(body.get("ranking") or []),
                expected,
                ("applicant_id", "rank", "score"),
            )
            if problem is not None:
                mine.append(RecordDifference(kind="component", where=str(key), detail=problem))
        checks.append(
            PublishedCheck(
                what=what,
                announcement=key,
                ledger_seq=row["seq"],
                digest=p.get("digest"),
                recomputed_digest=digest,
                matches=not mine,
            )
        )
        diffs += mine
    return checks, diffs


def _shortlist_size(rows: Sequence[Mapping[str, Any]]) -> int | None:
    version = next((r.get("rulebook_version") for r in rows if r.get("rulebook_version")), None)
    if version is None:
        return None
    try:
        return get_selection_rulebook(str(version)).shortlist_size
    except (DomainError, KeyError, ValueError):
        return None


def _screening(a: ApplicantRecord | None) -> ScreeningOutcome | None:
    if a is None:
        return None
    return ScreeningOutcome(
        pre_check_eligible=a.auto_eligible,
        pre_check_reasons=list(a.auto_reasons),
        decision=a.decision,
        eligible=a.final_eligible,
        justification=a.decision_justification,
        decided_by=a.decided_by,
        decided_at=a.decided_at,
    )


def _not_ranked_sentence(a: ApplicantRecord) -> str:
    if a.final_eligible is None:
        return "Not ranked: the committee has not decided the screening yet."
    unmet = [r.message for r in a.auto_reasons if not r.met]
    why = f" ({'; '.join(unmet)})" if unmet else ""
    how = "overriding the pre-check" if a.decision == "overridden" else "confirming the pre-check"
    return f"Not ranked: screened out by the committee, {how}{why}."


def _applicants(
    records: Sequence[ApplicantRecord],
    ranked: list[RankedApplicant],
    sentences: Mapping[str, str],
    proposed: list[str],
    sheets: Sequence[ScoreSheet],
    ledger: Mapping[tuple[str, str, str], tuple[float, int, int]],
) -> list[ApplicantExplanation]:
    by_id = {a.applicant_id: a for a in records}
    sheets_of: dict[str, list[ScoreInForce]] = {}
    for s in sorted(sheets, key=lambda s: (s.applicant_id, s.component, s.scorer_id)):
        recorded = ledger.get((s.component, s.applicant_id, s.scorer_id))
        sheets_of.setdefault(s.applicant_id, []).append(
            ScoreInForce(
                component=s.component,
                scorer_id=s.scorer_id,
                score=s.score,
                amendments=recorded[1] if recorded else 0,
                ledger_seq=recorded[2] if recorded else None,
            )
        )
    result = [
        ApplicantExplanation(
            applicant_id=r.applicant_id,
            screening=_screening(by_id.get(r.applicant_id)),
            ranked=True,
            rank=r.rank,
            total=r.total,
            component_scores=dict(r.component_scores),
            passed=r.passed,
            failed_cutoffs=list(r.failed),
            tie_broken_by=r.tie_broken_by,
            shortlisted=r.applicant_id in proposed,
            explanation=sentences[r.applicant_id],
            scores=sheets_of.get(r.applicant_id, []),
        )
        for r in ranked
    ]
    listed = {r.applicant_id for r in ranked}
    result += [
        ApplicantExplanation(
            applicant_id=a.applicant_id,
            screening=_screening(a),
            ranked=False,
            explanation=_not_ranked_sentence(a),
        )
        for a in sorted(records, key=lambda a: a.applicant_id)
        if a.applicant_id not in listed
    ]
    return result


def _outcome(rows: Sequence[Mapping[str, Any]], view: Mapping[str, Any] | None) -> SelectionOutcome:
    if view is not None:
        return SelectionOutcome(
            status=str(view["status"]),
            stage=str(view["stage"]),
            appointee_id=view.get("appointee_id"),
            reason=view.get("outcome_reason"),
        )
    accepted = _accepted(rows)
    if not accepted:
        return SelectionOutcome(status="not_started", stage="not_started")
    stage = str(accepted[-1].get("stage_after") or "unknown")
    status = {"completed": "completed", "failed": "failed", "cancelled": "cancelled"}
    appointed = _latest(rows, frozenset({"selection.appointed"}))
    last = accepted[-1]
    ended = stage in ("failed", "cancelled")
    return SelectionOutcome(
        status=status.get(stage, "in_progress"),
        stage=stage,
        appointee_id=_payload(appointed).get("applicant_id") if appointed else None,
        reason=_payload(last).get("reason") or (last.get("justification") if ended else None),
    )


def _stage_decision(row: Mapping[str, Any]) -> SelectionStageDecision:
    return SelectionStageDecision(
        seq=row["seq"],
        entry_id=row["entry_id"],
        kind=row["kind"],
        actor=_actor(row),
        at=row["occurred_at"],
        justification=row.get("justification"),
        stage_before=row.get("stage_before"),
        stage_after=row.get("stage_after"),
        payload=dict(_payload(row)),
    )


# --- the explanation ------------------------------------------------------------------------------


def explain_selection(
    process_id: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    sheets: Sequence[ScoreSheet],
    birth_dates: Mapping[str, date],
    applicants: Sequence[ApplicantRecord],
    published: Mapping[str, Mapping[str, Any]],
    ledger: LedgerCheck,
    scheme: ScoringScheme | None = None,
    view: Mapping[str, Any] | None = None,
) -> SelectionExplanation:
    """Explain an open selection from its ledger ``rows`` and what the store holds.

    ``sheets`` are the scores in force that count (screened-in applicants, conflicted scorers left
    out); ``birth_dates`` those of the screened-in applicants (the ranking's roster and the age
    tie-break); ``published`` the announcement bodies by key; ``scheme`` the read model's scheme,
    used when the ledger holds none; ``view`` the read model (status, appointee), may be missing.
    """
    differences: list[RecordDifference] = []
    ledger_scheme = frozen_scheme(rows)
    source: Literal["ledger", "read_model"] | None = None
    if ledger_scheme is not None:
        source = "ledger"
        if scheme is not None and scheme != ledger_scheme:
            differences.append(
                RecordDifference(
                    kind="scheme",
                    where="read model",
                    detail="the read model's scheme is not the one the ledger's scheme.set froze; "
                    "the ledger's is used",
                )
            )
        scheme = ledger_scheme
    elif scheme is not None:
        source = "read_model"

    sheet_list = list(sheets)
    scores = _ledger_scores(rows)
    score_diffs = _check_scores(sheet_list, scores)
    differences += score_diffs

    ranked: list[RankedApplicant] = []
    sentences: dict[str, str] = {}
    proposed: list[str] = []
    checks: list[PublishedCheck] = []
    scored = any(r["kind"] in SHORTLIST_KINDS | {"component.closed"} for r in _accepted(rows))
    if scheme is not None and (sheet_list or scored):
        try:
            ranked = rank(sheet_list, scheme, dict(birth_dates))
            sentences = explain_rank(ranked, scheme, dict(birth_dates))
        except DomainError as err:
            differences.append(
                RecordDifference(
                    kind="recompute", where="ranking", detail=f"{err.code}: {err.message}"
                )
            )
        else:
            size = _shortlist_size(rows)
            if size is not None:
                proposed = [r.applicant_id for r in shortlist(ranked, size)]
            comp_checks, comp_diffs = _check_components(rows, sheet_list, published)
            rank_checks, rank_diffs = _check_ranking(rows, ranked, proposed, published)
            checks = comp_checks + rank_checks
            differences += comp_diffs + rank_diffs

    accepted = _accepted(rows)
    published_diffs = [d for d in differences if d.kind != "score"]
    return SelectionExplanation(
        process_id=process_id,
        agency=(view or {}).get("agency") or next((r["agency"] for r in rows if r["agency"]), None),
        rulebook_version=(view or {}).get("rulebook_version")
        or next((r["rulebook_version"] for r in rows if r.get("rulebook_version")), None),
        scheme=scheme,
        scheme_source=source,
        applicants=_applicants(applicants, ranked, sentences, proposed, sheet_list, scores),
        published_matches=not published_diffs,
        scores_match_ledger=not score_diffs,
        first_difference=f"{differences[0].where}: {differences[0].detail}"
        if differences
        else None,
        differences=differences,
        checks=checks,
        stage_decisions=[_stage_decision(r) for r in accepted if r["kind"] not in CANDIDATE_KINDS],
        refused_attempts=sum(1 for r in rows if r["outcome"] == "refused"),
        outcome=_outcome(rows, view),
        ledger=ledger,
    )
