"""A process's Temporal history, reduced to what reconciliation compares, and the comparison.

Fetches both sides, the ledger rows from ``store`` and every run's history from Temporal, and hands
them to the pure comparison in ``domain.reconcile``. ``actions.reconciliation`` is the auditor's
action over it (authorisation, errors), used by the API and the console; ``cli.reconcile`` is the
command.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent as PbEvent
from temporalio.api.history.v1 import MarkerRecordedEventAttributes
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.reconcile import SHAPES, ReconciliationReport, reconcile
from domain.reconcile_hosted import narrowed
from store import audit

# The marker the SDK's core records for a local activity (its result, and its type and id).
LOCAL_ACTIVITY_MARKER = "core_local_activity"


class UnsupportedProcess(ValueError):
    """Reconciliation knows no shape for this kind of process."""


def _entries(payloads: Payloads) -> list[dict[str, Any]] | None:
    """The ledger entries a ledger-writing activity was given (one entry, or a batch's items), as
    the history holds them, if its input is plain JSON."""
    if not payloads.payloads:
        return None
    payload = payloads.payloads[0]
    if payload.metadata.get("encoding") != b"json/plain":
        return None  # encrypted or otherwise encoded: fall back to counting
    try:
        data = json.loads(payload.data)
        items = data["items"] if "items" in data else [data]
        entries = [item["entry"] for item in items]
    except (ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(e, dict) and isinstance(e.get("entry_id"), str) for e in entries):
        return None
    return entries


def _handed(payloads: Payloads) -> list[dict[str, Any]]:
    """The entries an update's result handed to its caller (``workflows/ledgered.py``), if any."""
    if not payloads.payloads or payloads.payloads[0].metadata.get("encoding") != b"json/plain":
        return []
    try:
        data = json.loads(payloads.payloads[0].data)
        entries = [item["entry"] for item in data.get("ledger") or []]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    if not all(isinstance(e, dict) and isinstance(e.get("entry_id"), str) for e in entries):
        return []
    return entries


def summarise(events: Iterable[PbEvent], run_id: str) -> list[dict[str, Any]]:
    """Reduce one run's history to the events reconciliation compares."""
    scheduled: dict[int, tuple[str, list[dict[str, Any]] | None]] = {}
    out: list[dict[str, Any]] = []
    for ev in events:
        base = {"run_id": run_id, "event_id": ev.event_id}
        kind = ev.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            out.append({**base, "type": "workflow_started"})
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            acc = ev.workflow_execution_update_accepted_event_attributes
            update_id = acc.accepted_request.meta.update_id or acc.protocol_instance_id
            name = acc.accepted_request.input.name or None
            out.append({**base, "type": "update_accepted", "update_id": update_id, "name": name})
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            done = ev.workflow_execution_update_completed_event_attributes
            failed = done.outcome.HasField("failure")
            out.append(
                {
                    **base,
                    "type": "update_completed",
                    "update_id": done.meta.update_id,
                    "failed": failed,
                }
            )
            handed = [] if failed else _handed(done.outcome.success)
            if handed:
                # Written by the update's caller once it completed: a recorder of its own.
                ids = [e["entry_id"] for e in handed]
                out.append(
                    {
                        **base,
                        "type": "entries_handed_over",
                        "update_id": done.meta.update_id,
                        "entry_id": ids[0] if len(ids) == 1 else None,
                        "entry_ids": ids,
                        "entries": handed,
                    }
                )
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            sch = ev.activity_task_scheduled_event_attributes
            scheduled[ev.event_id] = (sch.activity_type.name, _entries(sch.input))
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            sched_id = ev.activity_task_completed_event_attributes.scheduled_event_id
            name, entries = scheduled.get(sched_id, ("", None))
            ids = [e["entry_id"] for e in entries or []]
            out.append(
                {
                    **base,
                    "type": "activity_completed",
                    "activity": name,
                    "entry_id": ids[0] if len(ids) == 1 else None,
                    "entry_ids": ids,
                    "entries": entries or [],
                }
            )
        elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
            out.append({**base, "type": "timer_fired"})
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            local = _local_activity(ev.marker_recorded_event_attributes)
            if local is not None:
                name, activity_id = local
                out.append(
                    {
                        **base,
                        "type": "activity_completed",
                        "activity": name,
                        "entry_id": activity_id,
                    }
                )
    return out


def _local_activity(marker: MarkerRecordedEventAttributes) -> tuple[str, str | None] | None:
    """``(activity type, activity id)`` of a local activity that completed, else None.

    Ledger entries are written by local activities whose activity id is the entry id
    (``workflows/records.py``); the SDK's marker carries both in its ``data`` detail.
    """
    if marker.marker_name != LOCAL_ACTIVITY_MARKER or marker.HasField("failure"):
        return None
    data = marker.details.get("data")
    if data is None or not data.payloads:
        return None
    try:
        meta = json.loads(data.payloads[0].data)
        name = meta["activity_type"]
    except (ValueError, KeyError, TypeError):
        return None
    activity_id = meta.get("activity_id")
    return str(name), activity_id if isinstance(activity_id, str) else None


def _gone(run_id: str | None, err: RPCError) -> dict[str, Any]:
    return {"type": "history_unavailable", "run_id": run_id, "detail": err.message}


async def fetch_history_summary(
    client: Client, workflow_id: str, run_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Summaries of every run the ledger names, and of the latest run if the ledger lacks it.

    A run Temporal does not have (deleted, past retention) becomes one ``history_unavailable``
    marker instead of an error. A workflow that never ran and is named by no entry yields nothing.
    """
    runs = list(dict.fromkeys(run_ids))
    try:
        latest = (await client.get_workflow_handle(workflow_id).describe()).run_id
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        latest = None
    if latest and latest not in runs:
        runs.append(latest)
    out: list[dict[str, Any]] = []
    for run_id in runs:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        try:
            history = await handle.fetch_history()
        except RPCError as err:
            # A run id that is not even well formed was never a run of this workflow either.
            if err.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise
            out.append(_gone(run_id, err))
            continue
        out += summarise(history.events, run_id)
    return out


async def reconcile_rows(
    client: Client, process_id: str, rows: Sequence[Mapping[str, Any]]
) -> ReconciliationReport:
    """Compare ``rows`` (one process's ledger, non-empty) with the history Temporal has of it."""
    kind = str(rows[0]["process_kind"])
    shape = SHAPES.get(kind)
    if shape is None:
        raise UnsupportedProcess(f"reconciliation does not know processes of kind {kind!r}")
    # A process run inside another's workflow (a promotion's BKN review) is compared with that
    # workflow's history, narrowed to what is its own; every process is narrowed to its entries.
    hosts = {str(r["workflow_id"]) for r in rows if r.get("workflow_id")}
    workflow_id = hosts.pop() if len(hosts) == 1 and process_id not in hosts else process_id
    run_ids = [
        str(r["run_id"]) for r in rows if r.get("run_id") and r.get("workflow_id") == workflow_id
    ]
    events = await fetch_history_summary(client, workflow_id, run_ids)
    mine = narrowed(process_id, events, hosted=workflow_id != process_id)
    return reconcile(process_id, rows, mine, shape, workflow_id=workflow_id)


async def reconcile_process(
    sessions: async_sessionmaker[AsyncSession], client: Client, process_id: str
) -> ReconciliationReport | None:
    """The report for ``process_id``; None if the ledger has no such process."""
    async with sessions() as session:
        rows = await audit.process_rows(session, process_id)
    if not rows:
        return None
    return await reconcile_rows(client, process_id, rows)
