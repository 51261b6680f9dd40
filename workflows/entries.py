"""The one way a workflow builds a ledger entry for what it decided.

The entry's id is ``<workflow id>:<run id>:<n>`` (:func:`domain.ledger.entry_id`, origin the run),
``n`` the entry's number in the run, so a retried batch activity finds it written. The workflow,
run and update ids and the decision's time come from the workflow context, never from arguments:
every kind of process stamps them the same way.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from temporalio import workflow

# Passed through the sandbox, as in every workflow module: the entry must be built from the same
# model classes the workflow's Actor and the activities' inputs come from.
with workflow.unsafe.imports_passed_through():
    from domain.ledger import Actor, LedgerEntryIn, entry_id
    from domain.processes import ProcessKind


# "The update being handled", told apart from an explicit None (no update).
CURRENT_UPDATE = "\x00current-update"


def _stage(value: Enum | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value.value)


def decided_entry(
    number: int,
    *,
    process_kind: ProcessKind,
    kind: str,
    actor: Actor,
    stage_before: Enum | str | None,
    stage_after: Enum | str | None,
    agency: str | None,
    payload: dict[str, Any] | None,
    rulebook_version: str | None,
    subject: str | None = None,
    justification: str | None = None,
    process_id: str | None = None,
    update_id: str | None = CURRENT_UPDATE,
) -> LedgerEntryIn:
    """Entry number ``number`` of this run: an accepted decision, stamped by the workflow.

    ``process_id`` is the workflow's own unless the entry belongs to a process the workflow hosts
    (a review run inside a promotion); ``update_id`` is the update being handled unless given (an
    entry queued for an earlier update, or None for none).
    """
    info = workflow.info()
    if update_id == CURRENT_UPDATE:
        update = workflow.current_update_info()
        update_id = update.id if update else None
    process = process_id or info.workflow_id
    return LedgerEntryIn(
        entry_id=entry_id(process, info.run_id, number),
        process_id=process,
        process_kind=process_kind,
        kind=kind,
        outcome="accepted",
        stage_before=_stage(stage_before),
        stage_after=_stage(stage_after),
        actor=actor,
        subject=subject,
        agency=agency,
        payload=payload or {},
        justification=justification,
        rulebook_version=rulebook_version,
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        update_id=update_id,
        occurred_at=workflow.now(),
    )
