"""What the auditors' charts show, computed from ledger rows alone (pure; rows in chain order).

- time in stage: for each kind of process and stage, how long processes stayed in it (from the
  entry that moved them in to the entry that moved them out), in hours;
- refusals by code: refused attempts counted by the refusal's code;
- deadlines missed: escalations and automatic approvals, by the entry kind that records them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from statistics import median
from typing import Any

from pydantic import BaseModel

DEADLINE_KINDS = frozenset(
    {"promotion.escalated", "promotion.auto_approved", "review.escalated", "review.auto_approved"}
)


class StageTime(BaseModel):
    process_kind: str
    stage: str
    processes: int
    median_hours: float
    mean_hours: float


def time_in_stage(rows: Iterable[Mapping[str, Any]]) -> list[StageTime]:
    """Rows of accepted entries, ordered by process then sequence."""
    spans: dict[tuple[str, str], list[float]] = defaultdict(list)
    current: dict[str, tuple[str, str, datetime]] = {}
    for r in rows:
        if r.get("outcome") != "accepted":
            continue
        pid, kind = str(r["process_id"]), str(r["process_kind"])
        at, stage = _when(r["occurred_at"]), r.get("stage_after")
        held = current.get(pid)
        if held is not None and stage and stage != held[1]:
            spans[(held[0], held[1])].append((at - held[2]).total_seconds() / 3600)
        if stage and (held is None or stage != held[1]):
            current[pid] = (kind, str(stage), at)
    return [
        StageTime(
            process_kind=k,
            stage=s,
            processes=len(hours),
            median_hours=round(median(hours), 2),
            mean_hours=round(sum(hours) / len(hours), 2),
        )
        for (k, s), hours in sorted(spans.items())
    ]


def refusals_by_code(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    counts = Counter(
        str((r.get("payload") or {}).get("error") or "unknown")
        for r in rows
        if r.get("outcome") == "refused"
    )
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def deadlines_missed(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    counts = Counter(str(r["kind"]) for r in rows if r.get("kind") in DEADLINE_KINDS)
    return sorted(counts.items())


def _when(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
