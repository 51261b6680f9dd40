"""Every committed history must replay against the current workflow code."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from workflows.contracts import PromotionState, StartPromotion
from workflows.promotion import PromotionWorkflow
from workflows.promotion_period import PromotionPeriodWorkflow
from workflows.review import ThirdPartyReviewWorkflow
from workflows.selection import OpenSelectionWorkflow
from workflows.talent_appointment import TalentAppointmentWorkflow
from workflows.talent_contracts import StartTalentReview, TalentReviewState
from workflows.talent_review import TalentReviewWorkflow

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


IDS_FILE = Path(__file__).resolve().parent.parent / "histories" / "workflow_ids.json"
HISTORIES = [p for p in HISTORIES if p != IDS_FILE]


def load(path: Path) -> WorkflowHistory:
    # Child workflow ids derive from the parent's id: replay under the id the history was recorded with.
    ids = json.loads(IDS_FILE.read_text()) if IDS_FILE.exists() else {}
    return WorkflowHistory.from_json(ids.get(path.stem, path.stem), path.read_text())


def test_histories_are_committed() -> None:
    names = {p.stem for p in HISTORIES}
    for scenario in ("full-chain", "return-and-reject", "timers-and-auto-approval", "ineligible"):
        # before the BKN step became a review child (v1), before ledger entries waited for the
        # decision to be durable (v2), and now
        assert {f"promotion-{scenario}", *(f"promotion-v{n}-{scenario}" for n in (1, 2))} <= names
    assert {"review-pertek-1", "review-recusal-majority"} <= names
    assert {"review-v2-pertek-1", "review-v2-recusal-majority"} <= names
    # the training rulebook: timers in minutes, the BKN review approving itself
    assert {"promotion-training-timers", "review-training-pertek-1"} <= names
    for scenario in ("appointed", "returned-to-assessment", "extended-and-failed"):
        # before the ledger waited for durable decisions, and on the action pipeline after it
        assert {f"selection-{scenario}", f"selection-pipeline-{scenario}"} <= names
    assert "selection-pipeline-training-extended" in names
    # A period's first opening (three runs), and the same period opened again later (two runs).
    assert {f"promotion-period-run-{n}" for n in (1, 2, 3)} <= names
    assert {f"promotion-period-reopened-run-{n}" for n in (1, 2)} <= names
    # The same since promotions are started by an activity with the client: one call per run
    # (client-starts), and as first merged, one call per page (client-pages); and since periods
    # run on a queue of their own, their promotions on the worker's (own-queue).
    for kind in ("client-starts", "client-pages", "own-queue"):
        assert {f"promotion-period-{kind}-run-{n}" for n in (1, 2, 3)} <= names
        assert {f"promotion-period-{kind}-reopened-run-{n}" for n in (1, 2)} <= names
    # Talent management (python -m tests.histories.capture_talent): reviews on the pipeline, and
    # appointments with their successor review.
    assert {f"talent-review-{s}" for s in ("completed", "no-objection", "cancelled")} <= names
    assert {f"talent-appointment-{s}" for s in ("appointed", "rejected", "fell-back")} <= names
    assert "review-successor-appointed" in names
    # BKN's review inside the promotion: the roster given at the start, and read once.
    assert {"promotion-embedded-review-full-chain", "promotion-embedded-review-timers"} <= names
    # Decisions' entries handed to their callers (workflows/ledgered.py).
    assert {
        f"promotion-handover-{s}" for s in ("full-chain", "timers", "return-and-reject")
    } <= names
    # The same changes under one marker (workflows/changes.py).
    assert "promotion-baseline-confirmed-full-chain" in names
    assert "promotion-ends-confirmed-full-chain" in names
    assert "promotion-confirmed-apart-full-chain" in names


def _events(stem: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads((IDS_FILE.parent / f"{stem}.json").read_text())[
        "events"
    ]
    return events


def _patches(events: list[dict[str, Any]]) -> set[str]:
    found = set()
    for e in events:
        marker = e.get("markerRecordedEventAttributes")
        if marker and marker["markerName"] == "core_patch":
            for p in marker["details"]["patch-data"]["payloads"]:
                found.add(json.loads(base64.b64decode(p["data"]))["id"])
    return found


def test_both_bkn_review_paths_are_replayed() -> None:
    """The committed child-path history starts review children; the embedded one starts none,
    records the embedded patch, and writes review entries with the promotion's own."""
    child = _events("promotion-full-chain")
    embedded = _events("promotion-embedded-review-full-chain")
    kinds = [e["eventType"] for e in child]
    assert "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED" in kinds
    assert not any("CHILD_WORKFLOW" in str(e["eventType"]) for e in embedded)
    text = json.dumps(embedded)
    assert "bkn-technical-approval-embedded" in _patches(embedded)
    assert "bkn-technical-approval-embedded" not in _patches(child)
    assert "record_promotion_review_batch" in text and "review_verdict" in text
    assert "load_review_roster" not in text  # the start carried the roster
    assert "load_review_roster" in json.dumps(_events("promotion-embedded-review-timers"))


def _count(events: list[dict[str, Any]], kind: str) -> int:
    return sum(1 for e in events if e["eventType"] == f"EVENT_TYPE_{kind}")


def test_a_handed_over_decision_costs_its_update_s_workflow_task_alone() -> None:
    """Before: each decision was its update's task, a ledger activity and the task its completion
    woke. Handed over: each update completes in its own task and the entries ride with its answer;
    the workflow writes what is left once, when the run ends."""
    before = _events("promotion-embedded-review-full-chain")
    after = _events("promotion-handover-full-chain")
    updates = _count(after, "WORKFLOW_EXECUTION_UPDATE_COMPLETED")
    assert updates == _count(before, "WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 10
    assert "ledger-entries-handed-to-the-updates-caller" in _patches(after)
    assert "ledger-entries-handed-to-the-updates-caller" not in _patches(before)

    def record_activities(events: list[dict[str, Any]]) -> int:
        return sum(1 for e in events if _is_record(e))

    # The start's entries, and the run's end; no decision waits for a write of its own.
    assert record_activities(after) == 3 and record_activities(before) >= updates
    # One task per update, plus the start's and the activities' and timers' (the catch-up timer
    # may fire while the capture waits, so a few more or less): 31 before, 18-19 captured after.
    tasks_after = _count(after, "WORKFLOW_TASK_COMPLETED")
    assert tasks_after <= updates + 10 < _count(before, "WORKFLOW_TASK_COMPLETED")


def test_a_run_from_the_baseline_takes_its_four_changes_under_one_marker() -> None:
    """Each marker comes with an upsert of the run's TemporalChangeVersion search attribute (a
    visibility write on the server); a run from the baseline records one instead of four, takes
    the same path (review inside the promotion, entries handed over) and hands over the same."""
    before = _events("promotion-handover-confirmed-full-chain")
    after = _events("promotion-baseline-confirmed-full-chain")
    changes = {
        "ledger-entries-after-durable-decisions",
        "ledger-entries-handed-to-the-updates-caller",
        "bkn-technical-approval-as-review",
        "bkn-technical-approval-embedded",
    }
    assert _patches(before) == changes
    assert _patches(after) == {"promotion-changes-to-2026-12-under-one-marker"}
    for kind in ("MARKER_RECORDED", "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"):
        assert (_count(before, kind), _count(after, kind)) == (4, 1)
    assert not any("CHILD_WORKFLOW" in str(e["eventType"]) for e in after)
    assert [len(ids) for ids in _handed(after)] == [len(ids) for ids in _handed(before)]


def test_a_run_from_the_newer_baseline_ends_on_its_last_callers_word() -> None:
    """Runs from the newer baseline take the four changes and the end on the caller's signal
    under one marker, and hand over the same; the run's end writes nothing itself: the decree's
    caller wrote it and said so (a signal), so no record activity follows the last update."""
    before = _events("promotion-baseline-confirmed-full-chain")
    after = _events("promotion-ends-confirmed-full-chain")
    assert _patches(after) == {"promotion-changes-to-2026-12-03-under-one-marker"}
    for kind in ("MARKER_RECORDED", "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES"):
        assert _count(after, kind) == 1
    assert [len(ids) for ids in _handed(after)] == [len(ids) for ids in _handed(before)]
    assert _signals(before) == [] and _signals(after) == ["ledger_written"]
    assert (_writes_after_last_update(before), _writes_after_last_update(after)) == (1, 0)


def _update_inputs(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    out = []
    for e in events:
        if e["eventType"] != "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
            continue
        request = e["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"]
        if request["name"] == name:
            out.append(json.loads(base64.b64decode(request["args"]["payloads"][0]["data"])))
    return out


@pytest.mark.parametrize(
    ("stem", "update"),
    [
        ("promotion-declared-with-verdict-full-chain", "review_verdict"),
        ("review-declared-with-verdict", "verdict"),
    ],
)
def test_a_verdict_that_carries_the_declaration_is_replayed(stem: str, update: str) -> None:
    """Both review paths have a committed history in which a verdict declares no conflict."""
    verdicts = _update_inputs(_events(stem), update)
    assert any(v.get("declares_no_conflict") for v in verdicts), verdicts


def _signals(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["workflowExecutionSignaledEventAttributes"]["signalName"]
        for e in events
        if e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"
    ]


def _is_record(event: dict[str, Any]) -> bool:
    """A ledger activity scheduled by the run (``record_*``)."""
    return event["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" and event[
        "activityTaskScheduledEventAttributes"
    ]["activityType"]["name"].startswith("record_")


def _writes_after_last_update(events: list[dict[str, Any]]) -> int:
    kinds = [e["eventType"] for e in events]
    last = max(n for n, k in enumerate(kinds) if k.endswith("WORKFLOW_EXECUTION_UPDATE_COMPLETED"))
    return sum(1 for e in events[last:] if _is_record(e))


def _handed(events: list[dict[str, Any]]) -> list[list[str]]:
    """The entry ids each completed update handed to its caller, in order."""
    out = []
    for e in events:
        if e["eventType"] != "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED":
            continue
        payload = e["workflowExecutionUpdateCompletedEventAttributes"]["outcome"]["success"]
        answer = json.loads(base64.b64decode(payload["payloads"][0]["data"]))
        out.append([item["entry"]["entry_id"] for item in answer["ledger"]])
    return out


def test_a_caller_that_says_what_the_ledger_holds_is_handed_only_what_is_new() -> None:
    """Unconfirmed, an answer hands over every entry since the workflow last wrote (the run's
    tail grows); confirmed by each update (written_through), each entry is handed over once."""
    unconfirmed = _handed(_events("promotion-handover-full-chain"))
    confirmed = _handed(_events("promotion-handover-confirmed-full-chain"))
    assert len(confirmed) == len(unconfirmed) == 10
    flat = [i for ids in confirmed for i in ids]
    assert len(flat) == len(set(flat))
    assert max(map(len, unconfirmed)) > max(map(len, confirmed))
    assert sum(map(len, unconfirmed)) > 2 * len(flat)


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[
            PromotionWorkflow,
            ThirdPartyReviewWorkflow,
            PromotionPeriodWorkflow,
            OpenSelectionWorkflow,
            TalentReviewWorkflow,
            TalentAppointmentWorkflow,
        ],
        data_converter=pydantic_data_converter,
    )
    result = await replayer.replay_workflow(load(path))
    assert result.replay_failure is None


@workflow.defn(name="PromotionWorkflow")
class ReorderedPromotionWorkflow:
    """The same workflow type with a command the history never saw: replay must refuse it."""

    @workflow.run
    async def run(self, inp: StartPromotion) -> PromotionState:
        await workflow.sleep(timedelta(seconds=1))
        raise AssertionError("unreachable in replay")


async def test_changed_command_order_is_caught() -> None:
    path = next(p for p in HISTORIES if p.stem == "promotion-full-chain")
    # Unsandboxed: the sandbox would re-import this test module, which reads files at import.
    replayer = Replayer(
        workflows=[ReorderedPromotionWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(load(path))


@workflow.defn(name="TalentReviewWorkflow")
class ReorderedTalentReviewWorkflow:
    """A review that reads the HR source before recording its start: replay must refuse it."""

    @workflow.run
    async def run(self, inp: StartTalentReview) -> TalentReviewState:
        await workflow.sleep(timedelta(seconds=1))
        raise AssertionError("unreachable in replay")


async def test_a_reordered_talent_review_is_caught() -> None:
    path = next(p for p in HISTORIES if p.stem == "talent-review-completed")
    replayer = Replayer(
        workflows=[ReorderedTalentReviewWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    with pytest.raises(workflow.NondeterminismError):
        await replayer.replay_workflow(load(path))


def test_a_run_from_the_newest_baseline_ends_its_catch_up_on_the_callers_signal() -> None:
    """Every decision of this run was confirmed by its caller's signal and none followed within
    the catch-up (10 s): each catch-up wait ended on the signal, its timer cancelled, none fired,
    and the workflow wrote none of the handed entries itself."""
    events = _events("promotion-confirmed-apart-full-chain")
    assert _patches(events) == {"promotion-changes-to-2026-12-04-under-one-marker"}
    assert _signals(events) == ["ledger_written"] * _count(
        events, "WORKFLOW_EXECUTION_UPDATE_COMPLETED"
    )
    catch_ups = {
        e["timerStartedEventAttributes"]["timerId"]
        for e in events
        if e["eventType"] == "EVENT_TYPE_TIMER_STARTED"
        and e["timerStartedEventAttributes"]["startToFireTimeout"] == "10s"
    }
    cancelled = {
        e["timerCanceledEventAttributes"]["timerId"]
        for e in events
        if e["eventType"] == "EVENT_TYPE_TIMER_CANCELED"
    }
    assert catch_ups and catch_ups <= cancelled
    assert _count(events, "TIMER_FIRED") == 0
    first = next(n for n, e in enumerate(events) if e["eventType"].endswith("UPDATE_ACCEPTED"))
    writes = [n for n, e in enumerate(events) if _is_record(e)]
    assert writes and max(writes) < first  # the start's entries only
