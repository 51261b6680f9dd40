"""How a workflow writes its ledger entries: never before the decision they record is durable.

A workflow decides inside a workflow task; the server makes the task's outcome (an update accepted,
a timer handled) durable only when the task completes. Anything written *during* the task, by a
local activity for instance, is written before that, and a crash between the two leaves an entry
for a decision the history does not have: a phantom that the API then believes and the workflow
contradicts. So entries wait here, in workflow state, and a normal activity writes them: an
activity is scheduled by the completion of the task that decided, which makes it run only after
that decision is durable. A crash at any point leaves either nothing (the task is retried and
decides again) or the whole decision with its entries still to write (the activity is retried).

Entries queue in order and are written in batches, one activity at a time per workflow, so the
chain order is the decision order and the read model, written with each batch, only moves forward.
An update handler that must answer with what was recorded awaits :meth:`Outbox.settled`; a run
awaits it before it returns or continues as new.

Histories from before this rule wrote each entry with its own (local) activity at the moment of
the decision, and replay that way: :data:`PATCH` is false for them.

**Handed over** (runs from :data:`HANDOVER_PATCH` on): an update's caller writes what the update
decided. Entries queued while an update handler is open (:meth:`Outbox.handling`) are not written
by the workflow at once; the handler answers with :meth:`Outbox.tail`, every entry not yet known
written, in order, and the caller (the API, once the update has completed and so is durable in the
history) writes them through the same idempotent writer. The workflow still writes them itself, so
that a caller who dies after the update loses nothing: with the next entry it must write at once (a
timer's, a start's), when :data:`~workflows.policies.MAX_HANDED` wait, when the run ends
(:meth:`settled`), or :data:`~workflows.policies.LEDGER_CATCH_UP` after the first of them,
whichever comes first. A caller's write and the workflow's find each other's rows by entry id;
every writer writes a tail from the oldest entry not yet known written, so a process's chain keeps
decision order whoever writes first. A caller tells the workflow, with its update, the newest
entries it read in the ledger (:meth:`Outbox.confirm`): those and the ones before them leave the
queue, so a tail holds what the last callers may not have written, not the whole run. A decision
then costs its update's one workflow task instead of that task, an activity and the task the
activity's completion wakes. A caller that no next update follows soon says what it wrote with
the :data:`CONFIRM_SIGNAL` signal instead (``actions/handed.py``), so the catch-up finds nothing
left to write. In runs that take :data:`CONFIRMED_PATCH`, the catch-up's wait ends as soon as a
caller's confirmation leaves nothing queued, and its timer is cancelled with it: a decision nobody
follows costs its update's task and the signal's, not also the timer's 10 s later.

**Ended on the caller's word** (runs that take :data:`ENDS_PATCH`): the update that ends a run
answers with ``ending`` set, and its caller, once it has written the entries, says so with the
:data:`CONFIRM_SIGNAL` signal (their ids). The run waits for that (:meth:`Outbox.drained`) instead
of writing its last entries itself: a signal and its task instead of an activity, its dispatch and
the task its completion wakes. A caller who dies before the signal costs the run
:data:`~workflows.policies.LEDGER_CATCH_UP`, after which the run writes them itself, as above.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from temporalio import workflow

from workflows import policies
from workflows.records import record

PATCH = "ledger-entries-after-durable-decisions"
HANDOVER_PATCH = "ledger-entries-handed-to-the-updates-caller"
ENDS_PATCH = "runs-end-on-the-callers-confirmation"
CONFIRMED_PATCH = "catch-up-ends-when-callers-confirmed-everything"
# The signal by which an update's caller says which handed entries it has written.
CONFIRM_SIGNAL = "ledger_written"

ItemT = TypeVar("ItemT")
BatchT = TypeVar("BatchT")
# Another activity for a batch that the usual one cannot write (a promotion's batch that holds
# entries of the review it runs inside itself), or None for the usual one.
Route = Callable[[list[ItemT]], "tuple[Callable[[Any, Any], Awaitable[Any]], Any] | None"]


class Outbox(Generic[ItemT, BatchT]):
    """A workflow's queue of entries (each with the read model as it stood when it was decided)."""

    def __init__(
        self,
        *,
        write_one: Callable[[Any, ItemT], Awaitable[int]],
        write_batch: Callable[[Any, BatchT], Awaitable[Any]],
        batch_of: Callable[[list[ItemT]], BatchT],
        route: Route[ItemT] | None = None,
    ) -> None:
        self._write_one = write_one
        self._write_batch = write_batch
        self._batch_of = batch_of
        self._route = route
        self._durable: bool | None = None
        self._handover = False
        # Whether the catch-up's wait ends when confirmations leave nothing queued (and its timer
        # is cancelled), or lasts until the timer fires.
        self._wait_ends_on_empty = False
        self._queue: list[ItemT] = []
        # Beside each queued entry: its id, and whether the workflow writes it at once (no
        # update's caller is handed it).
        self._queue_ids: list[str] = []
        self._queue_own: list[bool] = []
        self._in_flight: list[ItemT] = []
        self._in_flight_ids: list[str] = []
        # How many of the batch being written a caller has confirmed (they leave the tail).
        self._in_flight_confirmed = 0
        self._queued = 0
        self._written = 0
        self._handlers = 0
        self._forced = 0
        self._task: asyncio.Task[None] | None = None

    def open(
        self, *, handover: bool = False, patched: Callable[[str], bool] = workflow.patched
    ) -> None:
        """Decide, once per run and at a fixed point of it, which way this run writes
        (``handover``: whether this kind's update handlers answer with :meth:`tail`; ``patched``:
        how the run asks for a change, ``workflows/changes.py``)."""
        if self._durable is not None:
            return
        self._durable = patched(PATCH)
        if self._durable:
            self._handover = handover and patched(HANDOVER_PATCH)
            self._wait_ends_on_empty = self._handover and patched(CONFIRMED_PATCH)
            self._task = asyncio.create_task(self._flush())

    @property
    def durable(self) -> bool:
        return bool(self._durable)

    @property
    def handover(self) -> bool:
        """Whether this run's update handlers hand their entries to their callers."""
        return self._handover

    @contextmanager
    def handling(self) -> Iterator[None]:
        """An update handler's body: what is queued meanwhile is its caller's to write first."""
        self._handlers += 1
        try:
            yield
        finally:
            self._handlers -= 1

    def confirm(self, entry_ids: Iterable[str]) -> None:
        """A caller read these entries in the ledger before its update: each of them, and every
        entry queued before it, is written (every writer writes in order, each entry only after
        the ones before it are committed), so they leave the queue without a write of ours."""
        if not self._handover:
            return
        known = set(entry_ids)
        cut = max((n + 1 for n, i in enumerate(self._queue_ids) if i in known), default=0)
        flying = max((n + 1 for n, i in enumerate(self._in_flight_ids) if i in known), default=0)
        if cut:
            del self._queue[:cut], self._queue_ids[:cut], self._queue_own[:cut]
            self._written += cut
            flying = len(self._in_flight)
        # The batch being written is counted when its activity completes, confirmed or not.
        self._in_flight_confirmed = max(self._in_flight_confirmed, flying)

    def tail(self) -> list[ItemT]:
        """Every entry not yet known written, oldest first (empty unless this run hands over)."""
        if not self._handover:
            return []
        return [*self._in_flight[self._in_flight_confirmed :], *self._queue]

    async def put(self, item: ItemT, *, entry_id: str) -> None:
        """Queue one entry; in a legacy run, write it now as that run's history says it was."""
        if self._durable is None:
            raise RuntimeError("Outbox.open() must run before the first entry")
        if not self._durable:
            await record(self._write_one, item, entry_id=entry_id)
            return
        self._queue.append(item)
        self._queue_ids.append(entry_id)
        self._queue_own.append(not (self._handover and self._handlers))
        self._queued += 1

    async def settled(self) -> None:
        """Wait until every entry queued so far is written (at once in a legacy run)."""
        if self._written >= self._queued:
            return  # no yield: a legacy run's commands keep their order
        self._forced = max(self._forced, self._queued)
        await self.drained()

    async def drained(self) -> None:
        """Wait until every entry queued so far is written, by a caller (:meth:`confirm`) or by
        the workflow when it catches up; unlike :meth:`settled`, nothing is written at once."""
        target = self._queued
        if self._written < target:
            await workflow.wait_condition(lambda: self._written >= target)

    @property
    def idle(self) -> bool:
        return self._written >= self._queued

    def _due(self) -> bool:
        """Whether the workflow writes the queue now rather than leave it to the callers."""
        return bool(self._queue) and (
            not self._handover
            or any(self._queue_own)
            or self._forced > self._written
            or len(self._queue) >= policies.MAX_HANDED
        )

    def _catching_up_ends(self) -> bool:
        return self._due() or (self._wait_ends_on_empty and not self._queue)

    async def _flush(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._queue))
            if not self._due():
                # Handed over: written by their callers (and confirmed by the next), or caught up
                # here. One timer from the first of them, not one per decision: entries confirmed
                # meanwhile leave the queue, and what is left when it fires is written.
                try:
                    await workflow.wait_condition(
                        self._catching_up_ends, timeout=policies.LEDGER_CATCH_UP.total_seconds()
                    )
                except TimeoutError:
                    pass
                if not self._queue:
                    continue
            batch, ids = self._queue, self._queue_ids
            self._queue, self._queue_ids, self._queue_own = [], [], []
            self._in_flight, self._in_flight_ids = batch, ids
            self._in_flight_confirmed = 0
            routed = self._route(batch) if self._route is not None else None
            method, arg = routed or (self._write_batch, self._batch_of(batch))
            await workflow.execute_activity_method(
                method,
                arg,
                start_to_close_timeout=policies.RECORD_TIMEOUT,
                retry_policy=policies.RECORD_RETRY,
            )
            self._written += len(batch)
            self._in_flight, self._in_flight_ids, self._in_flight_confirmed = [], [], 0
