"""Writing what an update handed over: the entries its workflow decided and left to the caller.

A workflow that hands over (``workflows/ledgered.py``) answers an update with the state and with
every entry it has not written yet, oldest first. Once the update has completed, the decision is
durable in the workflow's history, so these entries may be written, and the action writes them
here, before it answers: the caller who sees the answer then finds the entries in the ledger and
the read model at the new step, as before, without the workflow's own activity on the way. The
update carries the newest entries the ledger already holds (:func:`written_through`), so the
workflow hands over only what may still be missing. Every
entry is idempotent by its id, so a replayed request, or the workflow catching up later for a
caller that died, writes nothing twice; the writer is the process's one ledger writer (group
commit), shared with every other action of the process.

An answer marked ``ending`` comes from the update that ended its run: the run waits for the
caller's word that the entries are written (a signal) instead of writing them itself, and this
caller gives it once they are. If the signal is lost, the run writes them itself a little later
(``workflows/ledgered.py``), so a failed signal is logged, never the request's failure.

Any other answer's entries are confirmed to the run by the next update, which carries
:func:`written_through`. When no next update comes soon (people decide hours apart), the run would
write them again itself after its catch-up wait (finding them written: an activity and the
workflow task its completion wakes, for nothing), so this caller tells it with the same signal
:data:`CONFIRM_AFTER_S` after writing, unless a newer decision on the process has passed through
this process meanwhile (its update said so); in runs from the 2026-12-04 baseline the signal also
ends the run's catch-up wait, so its timer never fires. A process that dies before costs only
that catch-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog
from temporalio.service import RPCError

from actions.services import Services
from activities.contracts import RecordPromotion, RecordReview
from activities.promotion_reviews import write_items
from store import ledger, reads
from store.ledger_writer import writer_for
from workflows.ledgered import CONFIRM_SIGNAL

log = structlog.get_logger(__name__)

# Processes whose newest written entry this process remembers (the oldest forgotten first).
WRITTEN_KEPT = 10_000
# How long after writing a decision's entries the caller tells the run, if no newer decision on
# the process did: well inside the run's catch-up wait (workflows/policies.LEDGER_CATCH_UP, 10 s),
# and longer than a client walking several steps takes between them (its next update tells the
# run for free).
CONFIRM_AFTER_S = 2.0


async def written_through(services: Services, *process_ids: str) -> list[str]:
    """The newest entry of each process as the ledger holds it, to tell the workflow with the
    update: those and every entry before them need no writing any more.

    What this process wrote last for each of them answers without a query (an entry it committed
    is durable; one written since by another process is newer, and the workflow then keeps a
    little more than it must, never less); otherwise the ledger is asked."""
    known = [services.written.get(p) for p in process_ids]
    if all(known):
        return [k for k in known if k]
    return await reads.read(
        services.sessions, lambda session: ledger.newest_entry_ids(session, process_ids)
    )


async def record(
    services: Services,
    items: Sequence[RecordPromotion | RecordReview],
    *,
    run: str,
    ending: bool = False,
) -> None:
    """Write the handed-over ``items`` (nothing when the workflow wrote them before answering)
    that the update to the workflow ``run`` answered with; the run is told they are written at
    once if the update ``ending`` its run, or a little later (:data:`CONFIRM_AFTER_S`)."""
    if not items:
        return
    await write_items(writer_for(services.sessions), items)
    for item in items:  # committed, in order: the last of each process is its newest
        process_id = item.entry.process_id
        services.written.pop(process_id, None)
        services.written[process_id] = item.entry.entry_id
    while len(services.written) > WRITTEN_KEPT:
        del services.written[next(iter(services.written))]
    if ending:
        await confirm(services, run, items)
    else:
        task = asyncio.create_task(_confirm_later(services, run, items))
        services.later.add(task)
        task.add_done_callback(services.later.discard)


async def _confirm_later(
    services: Services, run: str, items: Sequence[RecordPromotion | RecordReview]
) -> None:
    """Tell ``run`` that ``items`` are written, unless a newer decision passed through here."""
    newest = {item.entry.process_id: item.entry.entry_id for item in items}
    await asyncio.sleep(CONFIRM_AFTER_S)
    if all(services.written.get(p) == e for p, e in newest.items()):
        await confirm(services, run, items)


async def confirm(
    services: Services, process_id: str, items: Sequence[RecordPromotion | RecordReview]
) -> None:
    """Tell the run ``process_id`` that ``items`` are written, so that it does not write them
    itself; if it cannot be told, it writes them after its catch-up wait."""
    ids = [item.entry.entry_id for item in items]
    try:
        await services.client.get_workflow_handle(process_id).signal(CONFIRM_SIGNAL, ids)
    except RPCError as err:
        log.warning("handed.confirm_failed", process_id=process_id, error=str(err))
