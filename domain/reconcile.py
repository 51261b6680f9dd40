"""Reconciliation: does a process's ledger agree with its Temporal history?

Pure comparison over plain data, so it runs anywhere (an endpoint, a command, a unit test) and is
tested without a server. The caller passes:

- the ledger rows of one process (``store.ledger.entry_to_dict`` dicts, or any mapping with
  ``entry_id``, ``kind``, ``outcome``, ``workflow_id``, ``run_id``, ``update_id``);
- the history of each run, summarised as dicts (:class:`HistoryEvent`): workflow starts, accepted and
  completed updates, completions of the activity that writes the ledger, fired timers, and a
  ``history_unavailable`` marker for a run Temporal no longer has.

The rules:

1. every run's start has exactly one start entry (``shape.start_kind``) with that run id (a process
   that continues as new, the promotion period, has one start entry for the whole chain);
2. every accepted update has exactly one entry with its update id (at least one for the kinds whose
   updates may write several: a selection's closing vote also proposes, a review's last verdict also
   concludes), unless the update then failed (a failed update writes nothing; the API records the
   refusal without an update id);
3. no entry that names a workflow, run or update lacks its event;
4. entries the workflow writes for itself (timers, eligibility, step openings: actor ``system``) have
   no event of their own, so they are matched to the completions of the ledger-writing activities
   (normal ones, or local ones whose marker carries the entry id as activity id): one by one when
   the summaries carry the entry id the activity was given, by count otherwise. An update that
   handed its entries to its caller (``entries_handed_over``: they are in its result) is a writer
   of those entries like an activity; the same entry may be in several (a later update's result,
   the run's last batch), and written once.

Entries with no workflow, run or update (a selection's registrations, screening decisions and
scores, written by the API under the selection's row lock; refusals) have no history event to
match and are not compared.

A run whose history is gone is reported once as ``history_unavailable`` and its entries are not
checked against anything. A workflow still running may show a difference that its next step
removes (an entry written whose activity completion is not yet in the history).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.reconcile_contents import changed_fields
from domain.reconcile_shapes import SHAPES as SHAPES  # re-exported: callers import it from here
from domain.reconcile_shapes import ProcessShape

EventType = Literal[
    "workflow_started",
    "update_accepted",
    "update_completed",
    "activity_completed",
    "timer_fired",
    "history_unavailable",
    # The entries an update's result handed to its caller, who writes them once it completed.
    "entries_handed_over",
]


class HistoryEvent(BaseModel):
    """One history event, reduced to what reconciliation compares."""

    type: EventType
    run_id: str | None = None
    event_id: int | None = None
    update_id: str | None = None
    name: str | None = None  # an accepted update's
    activity: str | None = None
    # The ledger entry id the activity was asked to write, when its input could be read.
    entry_id: str | None = None
    # A batch's entry ids, in order (the activities that write a workflow's queued entries).
    entry_ids: list[str] = Field(default_factory=list)
    # The entries themselves as the history holds them, when its input could be read.
    entries: list[dict[str, Any]] = Field(default_factory=list)
    # An update that completed with a failure instead of a result.
    failed: bool = False
    detail: str | None = None


class Difference(BaseModel):
    kind: str
    detail: str
    entry_id: str | None = None
    event_id: int | None = None


class ReconciliationReport(BaseModel):
    process_id: str
    ok: bool
    runs: list[str]
    entries_checked: int
    events_checked: int
    differences: list[Difference]


class _Rows:
    """The ledger rows that name a workflow, indexed the ways the checks need."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], skip_runs: set[str]) -> None:
        self.all = [
            r
            for r in rows
            if (r.get("workflow_id") or r.get("run_id") or r.get("update_id"))
            and r.get("run_id") not in skip_runs
        ]
        self.by_update: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        self.by_run: dict[str | None, list[Mapping[str, Any]]] = defaultdict(list)
        for r in self.all:
            self.by_run[r.get("run_id")].append(r)
            if r.get("update_id"):
                self.by_update[str(r["update_id"])].append(r)


def reconcile(
    process_id: str,
    rows: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any] | HistoryEvent],
    shape: ProcessShape,
    workflow_id: str | None = None,  # the host's, for a review run inside it (reconcile_hosted)
) -> ReconciliationReport:
    parsed = [e if isinstance(e, HistoryEvent) else HistoryEvent.model_validate(e) for e in events]
    gone = [e for e in parsed if e.type == "history_unavailable"]
    gone_runs = {e.run_id for e in gone if e.run_id}
    present = [e for e in parsed if e.type != "history_unavailable"]
    indexed = _Rows(rows, gone_runs)
    differences = [_unavailable(e, rows) for e in gone]
    differences += _foreign_workflows(workflow_id or process_id, indexed)
    differences += _unknown_runs(present, indexed, gone_runs)
    differences += _starts(present, indexed, shape)
    differences += _updates(present, indexed, shape, check_orphans=not gone)
    differences += _records(present, indexed, shape)
    differences += _contents(present, indexed)
    runs = list(dict.fromkeys(e.run_id for e in parsed if e.run_id))
    return ReconciliationReport(
        process_id=process_id,
        ok=not differences,
        runs=runs,
        entries_checked=len(indexed.all),
        events_checked=len(present),
        differences=differences,
    )


def _unavailable(event: HistoryEvent, rows: Sequence[Mapping[str, Any]]) -> Difference:
    run = event.run_id
    count = sum(1 for r in rows if run is not None and r.get("run_id") == run)
    where = f"run {run}" if run else "the workflow"
    detail = (
        f"Temporal no longer has the history of {where} (deleted, past retention, or never "
        f"existed); its {count} ledger entries cannot be compared. The ledger remains the record."
    )
    if event.detail:
        detail += f" Server said: {event.detail}"
    return Difference(kind="history_unavailable", detail=detail)


def _foreign_workflows(process_id: str, rows: _Rows) -> list[Difference]:
    return [
        Difference(
            kind="entry_names_another_workflow",
            detail=f"entry {r['entry_id']} names workflow {r['workflow_id']!r}, not {process_id!r}",
            entry_id=str(r["entry_id"]),
        )
        for r in rows.all
        if r.get("workflow_id") and r["workflow_id"] != process_id
    ]


def _unknown_runs(
    present: list[HistoryEvent], rows: _Rows, gone_runs: set[str]
) -> list[Difference]:
    known = {e.run_id for e in present if e.run_id} | gone_runs
    return [
        Difference(
            kind="entry_without_run",
            detail=f"entry {r['entry_id']} names run {r['run_id']}, which is not in the history",
            entry_id=str(r["entry_id"]),
        )
        for r in rows.all
        if r.get("run_id") and r["run_id"] not in known
    ]


def _starts(present: list[HistoryEvent], rows: _Rows, shape: ProcessShape) -> list[Difference]:
    if not shape.start_in_every_run:
        return _chain_start(present, rows, shape)
    out: list[Difference] = []
    for start in (e for e in present if e.type == "workflow_started"):
        found = [r for r in rows.by_run.get(start.run_id, []) if r["kind"] == shape.start_kind]
        if not found:
            out.append(
                Difference(
                    kind="start_entry_missing",
                    detail=f"run {start.run_id} started but the ledger has no {shape.start_kind}",
                    event_id=start.event_id,
                )
            )
        out += [
            Difference(
                kind="start_entry_duplicated",
                detail=f"run {start.run_id} has {len(found)} {shape.start_kind} entries",
                entry_id=str(extra["entry_id"]),
                event_id=start.event_id,
            )
            for extra in found[1:]
        ]
    return out


def _chain_start(present: list[HistoryEvent], rows: _Rows, shape: ProcessShape) -> list[Difference]:
    """One start entry for a chain of runs, naming a run the history has."""
    found = [r for r in rows.all if r["kind"] == shape.start_kind]
    starts = {e.run_id: e for e in present if e.type == "workflow_started"}
    if not starts:
        return []
    if not found:
        return [
            Difference(
                kind="start_entry_missing",
                detail=f"the workflow ran ({len(starts)} run(s) in the history) but the ledger has "
                f"no {shape.start_kind}",
            )
        ]
    out = [
        Difference(
            kind="start_entry_duplicated",
            detail=f"the chain of runs has {len(found)} {shape.start_kind} entries",
            entry_id=str(extra["entry_id"]),
        )
        for extra in found[1:]
    ]
    first = found[0]
    if first.get("run_id") not in starts:
        out.append(
            Difference(
                kind="start_entry_without_run",
                detail=f"{shape.start_kind} entry {first['entry_id']} names run "
                f"{first.get('run_id')}, whose start is not in the history",
                entry_id=str(first["entry_id"]),
            )
        )
    return out


def _updates(
    present: list[HistoryEvent], rows: _Rows, shape: ProcessShape, *, check_orphans: bool
) -> list[Difference]:
    accepted = {e.update_id: e for e in present if e.type == "update_accepted" and e.update_id}
    completed = {e.update_id: e for e in present if e.type == "update_completed" and e.update_id}
    out: list[Difference] = []
    for update_id, event in accepted.items():
        found = rows.by_update.get(update_id, [])
        done = completed.get(update_id)
        if done is not None and done.failed:
            out += [_entry_for_failed(update_id, r, done) for r in found]
            continue
        if not found:
            state = "completed" if done is not None else "not completed yet"
            out.append(
                Difference(
                    kind="update_entry_missing",
                    detail=f"update {update_id} was accepted ({state}) but has no ledger entry",
                    event_id=event.event_id,
                )
            )
        if not shape.one_entry_per_update:
            continue  # several are allowed; each is matched to its activity by _records
        out += [
            Difference(
                kind="update_entry_duplicated",
                detail=f"update {update_id} has {len(found)} ledger entries",
                entry_id=str(extra["entry_id"]),
                event_id=event.event_id,
            )
            for extra in found[1:]
        ]
    if check_orphans:
        out += [
            Difference(
                kind="entry_without_update_event",
                detail=f"entry {r['entry_id']} names update {update_id}, which the history "
                "never accepted",
                entry_id=str(r["entry_id"]),
            )
            for update_id, found in rows.by_update.items()
            if update_id not in accepted
            for r in found
        ]
    return out


def _entry_for_failed(update_id: str, row: Mapping[str, Any], done: HistoryEvent) -> Difference:
    return Difference(
        kind="entry_for_failed_update",
        detail=f"update {update_id} failed in the workflow, yet entry {row['entry_id']} records it",
        entry_id=str(row["entry_id"]),
        event_id=done.event_id,
    )


def _records(present: list[HistoryEvent], rows: _Rows, shape: ProcessShape) -> list[Difference]:
    out: list[Difference] = []
    for run in dict.fromkeys(e.run_id for e in present if e.type == "workflow_started"):
        done = [
            e
            for e in present
            if e.run_id == run
            and (
                (e.type == "activity_completed" and e.activity in shape.record_activities)
                or e.type == "entries_handed_over"
            )
        ]
        written = [r for r in rows.by_run.get(run, []) if r.get("outcome") == "accepted"]
        if done and all(e.entry_id or e.entry_ids for e in done):
            out += _records_by_id(done, written)
        elif len(done) != len(written):
            out.append(
                Difference(
                    kind="record_count_mismatch",
                    detail=f"run {run}: {len(done)} completed {shape.recorders} activities "
                    f"but {len(written)} accepted ledger entries",
                )
            )
    return out


def _records_by_id(done: list[HistoryEvent], written: list[Mapping[str, Any]]) -> list[Difference]:
    ledger_ids = {str(r["entry_id"]) for r in written}
    each = [(e, i) for e in done for i in (e.entry_ids or [str(e.entry_id)])]
    recorded = Counter(i for _, i in each)
    out = [
        Difference(
            kind="recorded_entry_missing",
            detail=f"the history recorded entry {i}, which the ledger lacks",
            entry_id=i,
            event_id=e.event_id,
        )
        for e, i in each
        if i not in ledger_ids
    ]
    out += [
        Difference(
            kind="entry_without_activity",
            detail=f"entry {r['entry_id']} was not written by any completed activity of its run "
            "nor handed over by an update of it",
            entry_id=str(r["entry_id"]),
        )
        for r in written
        if recorded[str(r["entry_id"])] == 0
    ]
    return out


def _contents(present: list[HistoryEvent], rows: _Rows) -> list[Difference]:
    """Every entry the history holds a copy of must say in the ledger what the history says: an
    entry edited in the database (and its chain recomputed to hide it) differs from its copy."""
    stored = {str(r["entry_id"]): r for r in rows.all}
    out: list[Difference] = []
    for event in present:
        for copy in event.entries:
            row = stored.get(str(copy.get("entry_id")))
            if row is None:
                continue  # a missing entry is _records' to report
            changed = changed_fields(copy, row)
            if changed:
                out.append(
                    Difference(
                        kind="entry_differs_from_history",
                        detail=f"entry {row['entry_id']} (seq {row.get('seq')}) differs from the "
                        f"copy the history holds in: {', '.join(changed)}",
                        entry_id=str(row["entry_id"]),
                        event_id=event.event_id,
                    )
                )
    return sorted(out, key=lambda d: int(stored[str(d.entry_id)].get("seq") or 0))
