"""LedgerCheckpointWorkflow: sign a Merkle tree head over the whole ledger, once.

Started by the Temporal Schedule "ledger-checkpoint" every ``checkpoint_interval_minutes`` (see
``infra/checkpoint_schedule.py``); the API's on-demand checkpoint calls the same store function
directly, without a workflow.

Updates:   none.
Timers:    none.
Outcomes:  the checkpoint made (id, size, root); fails without retrying when no signing key is
           configured outside development/test.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.checkpoints import (
        KEY_MISSING,
        CheckpointActivities,
        CheckpointCreated,
        CreateCheckpoint,
    )

# Named here, beside their only user. A first checkpoint over a large ledger indexes every entry.
CHECKPOINT_TIMEOUT = timedelta(minutes=10)
CHECKPOINT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=5,
    non_retryable_error_types=[KEY_MISSING],
)


@workflow.defn
class LedgerCheckpointWorkflow:
    @workflow.run
    async def run(self, req: CreateCheckpoint) -> CheckpointCreated:
        return await workflow.execute_activity_method(
            CheckpointActivities.create_checkpoint,
            req,
            start_to_close_timeout=CHECKPOINT_TIMEOUT,
            retry_policy=CHECKPOINT_RETRY,
        )
