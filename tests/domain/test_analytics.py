"""The auditors' chart data, from hand-made ledger rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.analytics import deadlines_missed, refusals_by_code, time_in_stage

T0 = datetime(2027, 1, 4, 8, tzinfo=UTC)


def row(pid: str, hours: float, stage: str | None, **kw: object) -> dict[str, object]:
    return {
        "process_id": pid,
        "process_kind": kw.pop("process_kind", "promotion"),
        "outcome": kw.pop("outcome", "accepted"),
        "kind": kw.pop("kind", "promotion.decision"),
        "stage_after": stage,
        "occurred_at": T0 + timedelta(hours=hours),
        "payload": kw.pop("payload", {}),
    }


def test_time_in_stage_measures_from_entering_to_leaving() -> None:
    rows = [
        row("a", 0, "supervisor"),
        row("a", 1, "supervisor", kind="promotion.reminder_sent"),  # same stage: no span yet
        row("a", 10, "promotion_board"),
        row("a", 14, "completed"),
        row("b", 0, "supervisor"),
        row("b", 30, "promotion_board"),
        row("b", 31, "promotion_board", outcome="refused"),
    ]
    found = {(s.process_kind, s.stage): s for s in time_in_stage(rows)}
    sup = found[("promotion", "supervisor")]
    assert (sup.processes, sup.median_hours, sup.mean_hours) == (2, 20.0, 20.0)
    assert found[("promotion", "promotion_board")].median_hours == 4.0
    assert ("promotion", "completed") not in found  # never left


def test_refusals_by_code_counts_refused_entries_only() -> None:
    rows = [
        row("a", 0, "s", outcome="refused", payload={"error": "not_your_step"}),
        row("a", 1, "s", outcome="refused", payload={"error": "not_your_step"}),
        row("b", 0, "s", outcome="refused", payload={"error": "stale_step"}),
        row("b", 1, "s", payload={"error": "ignored: accepted"}),
    ]
    assert refusals_by_code(rows) == [("not_your_step", 2), ("stale_step", 1)]


def test_deadlines_missed_counts_escalations_and_automatic_approvals() -> None:
    rows = [
        row("a", 0, "s", kind="promotion.escalated"),
        row("a", 1, "s", kind="review.auto_approved"),
        row("b", 0, "s", kind="promotion.escalated"),
        row("b", 1, "s", kind="promotion.decision"),
    ]
    assert deadlines_missed(rows) == [("promotion.escalated", 2), ("review.auto_approved", 1)]
