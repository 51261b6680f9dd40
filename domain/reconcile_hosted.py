"""Reconciling a process that runs inside another's workflow (a promotion's BKN review), and the
host without it: one history, narrowed to what is the process's own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.reconcile import HistoryEvent
from domain.reconcile_shapes import HOSTED_REVIEW_UPDATES


def narrowed(
    process_id: str, events: Sequence[Mapping[str, Any]], *, hosted: bool
) -> list[HistoryEvent]:
    """One workflow's history events as they concern ``process_id``: the entries of the batches
    that are its own (written by an activity or handed over by any update), and its own updates.
    A promotion's history also holds the entries and the updates of the BKN review run inside it
    (``hosted`` is True when reconciling that review)."""
    out: list[HistoryEvent] = []
    own_updates: set[str] = set()
    for raw in events:
        e = HistoryEvent.model_validate(raw)
        if e.type == "update_accepted":
            is_review = e.name in HOSTED_REVIEW_UPDATES
            if is_review != hosted:
                continue
            if e.update_id:
                own_updates.add(e.update_id)
        elif e.type == "update_completed":
            if e.update_id not in own_updates:
                continue
        elif e.type in ("activity_completed", "entries_handed_over") and e.entries:
            mine = [x for x in e.entries if x.get("process_id", process_id) == process_id]
            if not mine:
                continue
            ids = [str(x["entry_id"]) for x in mine]
            e = e.model_copy(
                update={
                    "entries": mine,
                    "entry_ids": ids,
                    "entry_id": ids[0] if len(ids) == 1 else None,
                }
            )
        out.append(e)
    return out
