"""The record rechecked: scores in force against the ledger, rankings and component lists against
what the ledger bound and what was published (for ``domain/selection/explanation.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from domain.errors import DomainError
from domain.ledger import Actor
from domain.selection.explanation_models import (
    PUBLISHED_FIELDS,
    SCORE_KINDS,
    SHORTLIST_KINDS,
    PublishedCheck,
    RecordDifference,
    ranking_digest,
)
from domain.selection.ranking import (
    RankedApplicant,
    ScoreSheet,
    component_ranking,
)
from domain.selection.rulebook import get_selection_rulebook
from domain.selection.scheme import ScoringScheme

# --- the pieces -----------------------------------------------------------------------------------


def accepted_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in rows if r["outcome"] == "accepted"]


def payload_of(row: Mapping[str, Any]) -> Mapping[str, Any]:
    payload: Mapping[str, Any] = row.get("payload") or {}
    return payload


def frozen_scheme(rows: Sequence[Mapping[str, Any]]) -> ScoringScheme | None:
    """The scheme of the last accepted ``scheme.set`` (the one the plan approval froze)."""
    for row in reversed(accepted_rows(rows)):
        if row["kind"] == "scheme.set":
            try:
                return ScoringScheme.model_validate(payload_of(row).get("scheme"))
            except ValidationError:
                return None
    return None


def actor_of_row(row: Mapping[str, Any]) -> Actor:
    return Actor(
        id=row["actor_id"],
        role=row["actor_role"],
        agency=row.get("actor_agency"),
        on_behalf_of=row.get("on_behalf_of"),
    )


def ledger_scores(
    rows: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, str, str], tuple[float, int, int]]:
    """(component, applicant, scorer) -> (score in force, amendments, seq) from the ledger."""
    scores: dict[tuple[str, str, str], tuple[float, int, int]] = {}
    for row in accepted_rows(rows):
        if row["kind"] not in SCORE_KINDS:
            continue
        p = payload_of(row)
        key = (str(p.get("component")), str(p.get("applicant_id")), str(row["actor_id"]))
        amendments = int(p.get("amendment") or 0) if row["kind"] == "score.amended" else 0
        scores[key] = (float(p["score"]), amendments, int(row["seq"]))
    return scores


def check_scores(
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


def latest(rows: Sequence[Mapping[str, Any]], kinds: frozenset[str]) -> Mapping[str, Any] | None:
    return next((r for r in reversed(accepted_rows(rows)) if r["kind"] in kinds), None)


def check_ranking(
    rows: Sequence[Mapping[str, Any]],
    ranked: list[RankedApplicant],
    proposed: list[str],
    published: Mapping[str, Mapping[str, Any]],
) -> tuple[list[PublishedCheck], list[RecordDifference]]:
    digest = ranking_digest([r.model_dump(mode="json") for r in ranked])
    checks: list[PublishedCheck] = []
    bound = [r for r in accepted_rows(rows) if r["kind"] in SHORTLIST_KINDS]
    for row in bound[:-1]:
        checks.append(
            PublishedCheck(
                what="integrated ranking",
                announcement=payload_of(row).get("announcement"),
                ledger_seq=row["seq"],
                digest=payload_of(row).get("digest"),
                recomputed_digest=None,
                matches=None,
                note="superseded by a later ranking after a return",
            )
        )
    if not bound:
        return checks, []
    row = bound[-1]
    p = payload_of(row)
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


def check_components(
    rows: Sequence[Mapping[str, Any]],
    sheets: list[ScoreSheet],
    published: Mapping[str, Mapping[str, Any]],
) -> tuple[list[PublishedCheck], list[RecordDifference]]:
    closed = [r for r in accepted_rows(rows) if r["kind"] == "component.closed"]
    last = {str(payload_of(r).get("component")): r["seq"] for r in closed}
    checks: list[PublishedCheck] = []
    diffs: list[RecordDifference] = []
    for row in closed:
        p = payload_of(row)
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


def shortlist_size(rows: Sequence[Mapping[str, Any]]) -> int | None:
    version = next((r.get("rulebook_version") for r in rows if r.get("rulebook_version")), None)
    if version is None:
        return None
    try:
        return get_selection_rulebook(str(version)).shortlist_size
    except (DomainError, KeyError, ValueError):
        return None
