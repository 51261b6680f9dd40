"""A promotion's history holds its BKN review's entries and updates: each is reconciled with
its own share of it."""

from __future__ import annotations

from typing import Any

from domain.reconcile_hosted import narrowed

PID, RID = "promotion-1", "pertek-promotion-1-1"


def entry(process_id: str, n: int) -> dict[str, str]:
    return {"entry_id": f"{process_id}:{n}", "process_id": process_id}


EVENTS: list[dict[str, Any]] = [
    {"type": "workflow_started", "run_id": "r"},
    {"type": "update_accepted", "run_id": "r", "update_id": "d1", "name": "decide"},
    {"type": "update_completed", "run_id": "r", "update_id": "d1"},
    {"type": "update_accepted", "run_id": "r", "update_id": "v1", "name": "review_verdict"},
    {"type": "update_completed", "run_id": "r", "update_id": "v1"},
    {
        "type": "activity_completed",
        "run_id": "r",
        "activity": "record_promotion_review_batch",
        "entry_ids": [f"{PID}:1", f"{RID}:1", f"{RID}:2"],
        "entries": [entry(PID, 1), entry(RID, 1), entry(RID, 2)],
    },
    {
        "type": "activity_completed",
        "run_id": "r",
        "activity": "record_promotion_review_batch",
        "entry_ids": [f"{RID}:3"],
        "entries": [entry(RID, 3)],
    },
]


def test_the_promotion_keeps_its_entries_and_its_own_updates() -> None:
    mine = narrowed(PID, EVENTS, hosted=False)
    assert [e.update_id for e in mine if e.type.startswith("update")] == ["d1", "d1"]
    batches = [e.entry_ids for e in mine if e.type == "activity_completed"]
    assert batches == [[f"{PID}:1"]]  # a batch of review entries only is not the promotion's
    assert [e.entry_id for e in mine if e.type == "activity_completed"] == [f"{PID}:1"]


def test_the_review_keeps_its_entries_and_the_review_updates() -> None:
    mine = narrowed(RID, EVENTS, hosted=True)
    assert [e.update_id for e in mine if e.type.startswith("update")] == ["v1", "v1"]
    batches = [e.entry_ids for e in mine if e.type == "activity_completed"]
    assert batches == [[f"{RID}:1", f"{RID}:2"], [f"{RID}:3"]]
    assert mine[0].type == "workflow_started"
