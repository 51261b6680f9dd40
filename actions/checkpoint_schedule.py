"""The Temporal Schedule that makes a ledger checkpoint every ``checkpoint_interval_minutes``."""

from __future__ import annotations

from datetime import timedelta

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from activities.checkpoints import CreateCheckpoint
from infra.settings import Settings
from integrity.checkpoint_signing import signing_configured
from workflows.checkpoint import LedgerCheckpointWorkflow

log = structlog.get_logger(__name__)

SCHEDULE_ID = "ledger-checkpoint"


def checkpoint_schedule(settings: Settings, schedule_id: str = SCHEDULE_ID) -> Schedule:
    every = timedelta(minutes=settings.checkpoint_interval_minutes)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            LedgerCheckpointWorkflow.run,
            CreateCheckpoint(reason="schedule"),
            id=schedule_id,
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # One checkpoint covers everything not yet indexed, so a missed or overlapping run adds
        # nothing: skip overlaps and do not replay a backlog after an outage.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=every),
    )


async def ensure_checkpoint_schedule(
    client: Client, settings: Settings, *, schedule_id: str = SCHEDULE_ID
) -> bool:
    """Create the schedule unless it exists (an existing one is left as it is); True if created.

    Without a usable signing key (none outside development/test, or a malformed one),
    checkpointing does not start at all.
    """
    if not signing_configured(settings):
        log.error(
            "checkpoint.schedule_not_created", reason="no usable signing key", env=settings.env
        )
        return False
    try:
        await client.create_schedule(schedule_id, checkpoint_schedule(settings, schedule_id))
    except ScheduleAlreadyRunningError:
        log.info("checkpoint.schedule_exists", schedule_id=schedule_id)
        return False
    log.info(
        "checkpoint.schedule_created",
        schedule_id=schedule_id,
        every_minutes=settings.checkpoint_interval_minutes,
    )
    return True
