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

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from domain.errors import DomainError
from domain.explanation import LedgerCheck
from domain.selection.explanation_models import (
    CANDIDATE_KINDS,
    SHORTLIST_KINDS,
    ApplicantExplanation,
    ApplicantRecord,
    PublishedCheck,
    RecordDifference,
    ScoreInForce,
    ScreeningOutcome,
    SelectionExplanation,
    SelectionOutcome,
    SelectionStageDecision,
    ranking_digest,
)
from domain.selection.ranking import (
    RankedApplicant,
    ScoreSheet,
    explain_rank,
    rank,
    shortlist,
)
from domain.selection.record_checks import (
    accepted_rows,
    actor_of_row,
    check_components,
    check_ranking,
    check_scores,
    frozen_scheme,
    latest,
    ledger_scores,
    payload_of,
    shortlist_size,
)
from domain.selection.scheme import ScoringScheme


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
    accepted = accepted_rows(rows)
    if not accepted:
        return SelectionOutcome(status="not_started", stage="not_started")
    stage = str(accepted[-1].get("stage_after") or "unknown")
    status = {"completed": "completed", "failed": "failed", "cancelled": "cancelled"}
    appointed = latest(rows, frozenset({"selection.appointed"}))
    last = accepted[-1]
    ended = stage in ("failed", "cancelled")
    return SelectionOutcome(
        status=status.get(stage, "in_progress"),
        stage=stage,
        appointee_id=payload_of(appointed).get("applicant_id") if appointed else None,
        reason=payload_of(last).get("reason") or (last.get("justification") if ended else None),
    )


def _stage_decision(row: Mapping[str, Any]) -> SelectionStageDecision:
    return SelectionStageDecision(
        seq=row["seq"],
        entry_id=row["entry_id"],
        kind=row["kind"],
        actor=actor_of_row(row),
        at=row["occurred_at"],
        justification=row.get("justification"),
        stage_before=row.get("stage_before"),
        stage_after=row.get("stage_after"),
        payload=dict(payload_of(row)),
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
    scores = ledger_scores(rows)
    score_diffs = check_scores(sheet_list, scores)
    differences += score_diffs

    ranked: list[RankedApplicant] = []
    sentences: dict[str, str] = {}
    proposed: list[str] = []
    checks: list[PublishedCheck] = []
    scored = any(r["kind"] in SHORTLIST_KINDS | {"component.closed"} for r in accepted_rows(rows))
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
            size = shortlist_size(rows)
            if size is not None:
                proposed = [r.applicant_id for r in shortlist(ranked, size)]
            comp_checks, comp_diffs = check_components(rows, sheet_list, published)
            rank_checks, rank_diffs = check_ranking(rows, ranked, proposed, published)
            checks = comp_checks + rank_checks
            differences += comp_diffs + rank_diffs

    accepted = accepted_rows(rows)
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


__all__ = [
    "ApplicantRecord",
    "SelectionExplanation",
    "explain_selection",
    "ranking_digest",
]
