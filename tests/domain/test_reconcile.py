"""Reconciliation as pure data: a clean run agrees; each kind of difference is reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.reconcile import SHAPES, reconcile

PID = "promotion-199001012015011001-2027-04"
RUN = "run-a"
SHAPE = SHAPES["promotion"]

Rows = list[dict[str, Any]]
Events = list[dict[str, Any]]


def row(n: int, kind: str, *, update_id: str | None = None, role: str = "system") -> dict[str, Any]:
    return {
        "entry_id": f"{PID}:{RUN}:{n}",
        "seq": n,
        "process_id": PID,
        "process_kind": "promotion",
        "kind": kind,
        "outcome": "accepted",
        "actor_role": role,
        "workflow_id": PID,
        "run_id": RUN,
        "update_id": update_id,
    }


def refused(n: int) -> dict[str, Any]:
    return {
        "entry_id": f"refused:{n}",
        "seq": n,
        "process_id": PID,
        "process_kind": "promotion",
        "kind": "promotion.decision_refused",
        "outcome": "refused",
        "actor_role": "auditor",
        "workflow_id": None,
        "run_id": None,
        "update_id": None,
    }


def recorded(event_id: int, n: int | None) -> dict[str, Any]:
    entry_id = f"{PID}:{RUN}:{n}" if n is not None else None
    return {
        "type": "activity_completed",
        "run_id": RUN,
        "event_id": event_id,
        "activity": "record_promotion",
        "entry_id": entry_id,
    }


def clean() -> tuple[Rows, Events]:
    """Start, eligibility, step opened, two human decisions (updates u1, u2), one reminder."""
    rows = [
        row(1, "promotion.started", role="hr_system"),
        row(2, "promotion.eligibility_assessed"),
        row(3, "promotion.step_opened"),
        row(4, "promotion.reminder_sent"),
        row(5, "promotion.decision", update_id="u1", role="supervisor"),
        refused(6),
        row(7, "promotion.decision", update_id="u2", role="promotion_board"),
    ]
    events = [
        {"type": "workflow_started", "run_id": RUN, "event_id": 1},
        recorded(10, 1),
        {"type": "activity_completed", "run_id": RUN, "event_id": 16, "activity": "snapshot"},
        recorded(20, 2),
        recorded(25, 3),
        {"type": "timer_fired", "run_id": RUN, "event_id": 30},
        recorded(35, 4),
        {"type": "update_accepted", "run_id": RUN, "event_id": 40, "update_id": "u1"},
        recorded(45, 5),
        {"type": "update_completed", "run_id": RUN, "event_id": 50, "update_id": "u1"},
        {"type": "update_accepted", "run_id": RUN, "event_id": 60, "update_id": "u2"},
        recorded(65, 7),
        {"type": "update_completed", "run_id": RUN, "event_id": 70, "update_id": "u2"},
    ]
    return rows, events


def by_entry_id(entry_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda r: r["entry_id"] == entry_id


def drop_rows(pred: Callable[[dict[str, Any]], bool]) -> Callable[[Rows, Events], None]:
    def apply(rows: Rows, _: Events) -> None:
        rows[:] = [r for r in rows if not pred(r)]

    return apply


def add_row(extra: dict[str, Any]) -> Callable[[Rows, Events], None]:
    return lambda rows, _: rows.append(extra)


def add_event(extra: dict[str, Any]) -> Callable[[Rows, Events], None]:
    return lambda _, events: events.append(extra)


def without_entry_ids(rows: Rows, events: Events) -> None:
    for e in events:
        e.pop("entry_id", None)


def with_counts(change: Callable[[Rows, Events], None]) -> Callable[[Rows, Events], None]:
    def apply(rows: Rows, events: Events) -> None:
        without_entry_ids(rows, events)
        change(rows, events)

    return apply


def history_gone(rows: Rows, events: Events) -> None:
    events[:] = [{"type": "history_unavailable", "run_id": RUN, "detail": "workflow not found"}]


def failed_update(rows: Rows, events: Events) -> None:
    events[-1]["failed"] = True


E5 = f"{PID}:{RUN}:5"
E8 = f"{PID}:{RUN}:8"

CASES: list[
    tuple[str, Callable[[Rows, Events], None], list[tuple[str, str | None, int | None]]]
] = [
    ("clean", lambda rows, events: None, []),
    ("clean, counted loosely", without_entry_ids, []),
    (
        "an update's entry is missing",
        drop_rows(by_entry_id(E5)),
        [("update_entry_missing", None, 40), ("recorded_entry_missing", E5, 45)],
    ),
    (
        "a timer-driven entry is missing, counted loosely",
        with_counts(drop_rows(lambda r: r["kind"] == "promotion.reminder_sent")),
        [("record_count_mismatch", None, None)],
    ),
    (
        "an extra entry with a made-up update id",
        add_row(row(8, "promotion.decision", update_id="made-up", role="bkn")),
        [("entry_without_update_event", E8, None), ("entry_without_activity", E8, None)],
    ),
    (
        "an extra system entry, counted loosely",
        with_counts(add_row(row(8, "promotion.escalated"))),
        [("record_count_mismatch", None, None)],
    ),
    (
        "a duplicated update id",
        add_row(row(8, "promotion.decision", update_id="u1", role="supervisor")),
        [("update_entry_duplicated", E8, 40), ("entry_without_activity", E8, None)],
    ),
    (
        "the start entry is missing",
        drop_rows(lambda r: r["kind"] == "promotion.started"),
        [("start_entry_missing", None, 1), ("recorded_entry_missing", f"{PID}:{RUN}:1", 10)],
    ),
    (
        "the start entry is duplicated",
        with_counts(add_row(row(8, "promotion.started", role="hr_system"))),
        [("start_entry_duplicated", E8, 1), ("record_count_mismatch", None, None)],
    ),
    (
        "an accepted update that failed has an entry",
        failed_update,
        [("entry_for_failed_update", f"{PID}:{RUN}:7", 70)],
    ),
    (
        "an update accepted but never completed has no entry",
        add_event({"type": "update_accepted", "run_id": RUN, "event_id": 80, "update_id": "u3"}),
        [("update_entry_missing", None, 80)],
    ),
    (
        "an entry names another run",
        add_row({**row(8, "promotion.decision"), "run_id": "run-x"}),
        [("entry_without_run", E8, None)],
    ),
    (
        "an entry names another workflow",
        lambda rows, _: rows[4].update(workflow_id="promotion-other"),
        [("entry_names_another_workflow", E5, None)],
    ),
    ("the history is gone", history_gone, [("history_unavailable", None, None)]),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_reconcile(
    change: Callable[[Rows, Events], None],
    expected: list[tuple[str, str | None, int | None]],
) -> None:
    rows, events = clean()
    change(rows, events)
    report = reconcile(PID, rows, events, SHAPE)
    got = [(d.kind, d.entry_id, d.event_id) for d in report.differences]
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert report.ok is (not expected)
    assert all(d.detail for d in report.differences)


def test_clean_report_counts_what_it_compared() -> None:
    rows, events = clean()
    report = reconcile(PID, rows, events, SHAPE)
    assert report.runs == [RUN]
    assert report.entries_checked == 6  # the refused attempt names no workflow
    assert report.events_checked == len(events)


def test_history_unavailable_says_so_and_checks_nothing_else() -> None:
    rows, _ = clean()
    events = [{"type": "history_unavailable", "run_id": RUN, "detail": "not found"}]
    report = reconcile(PID, rows, events, SHAPE)
    (diff,) = report.differences
    assert diff.kind == "history_unavailable"
    assert RUN in diff.detail and "6 ledger entries" in diff.detail
    assert report.entries_checked == 0


def test_a_refused_only_process_with_no_workflow_agrees() -> None:
    report = reconcile(PID, [refused(1)], [], SHAPE)
    assert report.ok and report.differences == [] and report.runs == []


# ---- the other kinds of process -----------------------------------------------------------------


def test_a_selection_update_may_write_several_entries_each_by_its_activity() -> None:
    """close_plenary writes plenary.closed and shortlist.review_requested: one update, two entries.

    Not a duplicate for a selection; still, an extra entry carrying that update's id is reported,
    because no completed activity wrote it.
    """
    shape = SHAPES["selection"]
    rows, events = clean()
    rows.append(row(8, "shortlist.review_requested", update_id="u2"))
    events.insert(-1, recorded(66, 8))
    for e in events:
        if e["type"] == "activity_completed" and e["activity"] == "record_promotion":
            e["activity"] = "record_selection"
    for r in rows:
        r["kind"] = r["kind"].replace("promotion.started", "selection.started")
    assert reconcile(PID, rows, events, shape).ok
    strict = shape.model_copy(update={"one_entry_per_update": True})
    assert [d.kind for d in reconcile(PID, rows, events, strict).differences] == [
        "update_entry_duplicated"
    ]
    rows.append(row(9, "plenary.closed", update_id="u2"))
    got = [(d.kind, d.entry_id) for d in reconcile(PID, rows, events, shape).differences]
    assert got == [("entry_without_activity", f"{PID}:{RUN}:9")]


def _period(runs: int) -> tuple[Rows, Events]:
    """A period continued as new over ``runs`` runs: started in the first, completed in the last."""
    first, last = "run-1", f"run-{runs}"

    def entry(n: int, kind: str, run: str) -> dict[str, Any]:
        return {**row(n, kind), "run_id": run, "entry_id": f"{PID}:{kind}"}

    rows = [
        entry(1, "promotion_period.started", first),
        entry(2, "promotion_period.completed", last),
    ]
    events: Events = []
    for i in range(1, runs + 1):
        run = f"run-{i}"
        events.append({"type": "workflow_started", "run_id": run, "event_id": 1})
        if run == first:
            events.append(
                {
                    "type": "activity_completed",
                    "run_id": run,
                    "event_id": 5,
                    "activity": "prepare_period",
                }
            )
        if run == last:
            events.append(
                {
                    "type": "activity_completed",
                    "run_id": run,
                    "event_id": 9,
                    "activity": "finish_period",
                }
            )
    return rows, events


@pytest.mark.parametrize("runs", [1, 3])
def test_a_period_has_one_start_entry_for_its_chain_of_runs(runs: int) -> None:
    shape = SHAPES["promotion_period"]
    rows, events = _period(runs)
    report = reconcile(PID, rows, events, shape)
    assert report.ok, report.differences
    assert report.runs == [f"run-{i}" for i in range(1, runs + 1)]

    missing = reconcile(PID, rows[1:], events, shape)
    assert [d.kind for d in missing.differences] == [
        "start_entry_missing",
        "record_count_mismatch",
    ]
    twice = reconcile(PID, [*rows, {**rows[0], "entry_id": "again"}], events, shape)
    assert [(d.kind, d.entry_id) for d in twice.differences] == [
        ("start_entry_duplicated", "again"),
        ("record_count_mismatch", None),
    ]
    elsewhere = reconcile(PID, [{**rows[0], "run_id": "run-x"}, rows[1]], events, shape)
    assert {d.kind for d in elsewhere.differences} >= {"start_entry_without_run"}


# ---- entries handed to an update's caller ----------------------------------------------------------


def handed(event_id: int, update_id: str, *ns: int) -> dict[str, Any]:
    """An update whose result handed entries ``ns`` to its caller (workflows/ledgered.py)."""
    ids = [f"{PID}:{RUN}:{n}" for n in ns]
    return {
        "type": "entries_handed_over",
        "run_id": RUN,
        "event_id": event_id,
        "update_id": update_id,
        "entry_ids": ids,
    }


def test_entries_handed_over_by_updates_are_written_by_them() -> None:
    """The decisions' entries ride with their updates' results: no activity wrote them, and each
    may be in several results (a later update's, until the workflow writes them itself)."""
    rows, events = clean()
    events = [e for e in events if not (e["type"] == "activity_completed" and e["event_id"] > 35)]
    events += [handed(46, "u1", 5), handed(61, "u2", 5, 7)]
    assert [e["type"] for e in events].count("update_accepted") == 2
    report = reconcile(PID, rows, events, SHAPE)
    assert report.ok, report.differences


def test_an_entry_handed_over_but_never_written_is_reported() -> None:
    """A caller that died after the update, before the workflow caught up: the history holds the
    entry, the ledger does not (yet)."""
    rows, events = clean()
    events = [e for e in events if not (e["type"] == "activity_completed" and e["event_id"] > 35)]
    events += [handed(46, "u1", 5), handed(61, "u2", 7)]
    rows = [r for r in rows if r["entry_id"] != f"{PID}:{RUN}:7"]
    got = [(d.kind, d.entry_id) for d in reconcile(PID, rows, events, SHAPE).differences]
    assert ("recorded_entry_missing", f"{PID}:{RUN}:7") in got
