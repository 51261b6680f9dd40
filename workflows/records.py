"""How a workflow writes one ledger entry: a local activity, behind a patch.

Each entry is one short transaction (ledger append plus the read model). As a normal activity it
cost a round trip through the task queue and three history events, and a promotion's review path
writes about nine in a row. As a local activity it runs in the worker that holds the workflow task
and leaves one marker event; its activity id is the entry id, which is how reconciliation matches
the marker to the ledger row (``infra/reconcile.py``). A retry after a crash writes nothing twice:
``store.ledger.append`` is idempotent by entry id.

Histories from before this rule recorded their entries with normal activities and replay that
way: ``workflow.patched`` is false for them.

Only activities whose effect is fixed by their input may become local: a local activity runs again
when the workflow task fails before its marker is written, and an entry's content comes from
workflow state that history determines. Reviewer assignment (a random choice) stays a normal
activity: re-run locally it could choose others after its entry had been written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import workflow

from workflows import policies

LOCAL_RECORDS = "ledger-records-as-local-activities"

ArgT = TypeVar("ArgT")


async def record(
    activity: Callable[[Any, ArgT], Awaitable[int]], arg: ArgT, *, entry_id: str
) -> None:
    """Write one entry with ``activity`` (a ``record_*`` method of an activities class)."""
    if workflow.patched(LOCAL_RECORDS):
        await workflow.execute_local_activity_method(
            activity,
            arg,
            activity_id=entry_id,
            start_to_close_timeout=policies.RECORD_TIMEOUT,
            retry_policy=policies.RECORD_RETRY,
        )
    else:
        await workflow.execute_activity_method(
            activity,
            arg,
            start_to_close_timeout=policies.RECORD_TIMEOUT,
            retry_policy=policies.RECORD_RETRY,
        )
