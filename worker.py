"""The Temporal worker: every workflow and activity of Meritflow, on two task queues.

``MERITFLOW_TASK_QUEUE`` carries everything but promotion periods; periods (the workflow and its
activities) run on ``MERITFLOW_PERIOD_TASK_QUEUE``, so that a period's own tasks never wait
behind the first tasks of the thousands of promotions it has just started. Both workers register
everything: a period started on the first queue before periods had their own finishes there.
"""

from __future__ import annotations

import asyncio
import signal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from actions.checkpoint_schedule import ensure_checkpoint_schedule
from activities.calendar import CalendarActivities
from activities.checkpoints import CheckpointActivities
from activities.hr import HrActivities, HrSource, TableHrSource, TableTalentSource, TalentSource
from activities.hr_http import SiasnConfig, SiasnHttpSource
from activities.hr_talent_http import SiasnTalentSource
from activities.ledger import LedgerActivities
from activities.period_starts import OneByOneSnapshotSource, PeriodStarter, TableSnapshotSource
from activities.periods import PeriodActivities, TableCandidateSource
from activities.promotion_reviews import PromotionReviewActivities
from activities.reviews import ReviewActivities, RosterActivities
from activities.selections import SelectionActivities
from activities.talent import TalentActivities
from activities.talent_appointments import TalentAppointmentActivities
from activities.webhooks import DeliveryConfig, WebhookActivities
from infra.db import create_engine, session_factory
from infra.logging import configure_logging
from infra.settings import Settings, get_settings
from infra.temporal import connect
from infra.worker_shutdown import BoundedWorker, running
from integrity.checkpoint_signing import optional_signer
from store.ledger_writer import writer_for
from workflows.checkpoint import LedgerCheckpointWorkflow
from workflows.promotion import PromotionWorkflow
from workflows.promotion_period import PromotionPeriodWorkflow
from workflows.review import ThirdPartyReviewWorkflow
from workflows.selection import OpenSelectionWorkflow
from workflows.talent_appointment import TalentAppointmentWorkflow
from workflows.talent_review import TalentReviewWorkflow
from workflows.webhooks import WebhookDispatcherWorkflow

log = structlog.get_logger(__name__)

WORKFLOWS = [
    PromotionWorkflow,
    ThirdPartyReviewWorkflow,
    WebhookDispatcherWorkflow,
    LedgerCheckpointWorkflow,
    PromotionPeriodWorkflow,
    OpenSelectionWorkflow,
    TalentReviewWorkflow,
    TalentAppointmentWorkflow,
]


def hr_source(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> HrSource:
    """``MERITFLOW_HR_SOURCE``: "table" (Meritflow's employee table) or "http" (a SIASN service)."""
    if settings.hr_source == "http":
        return SiasnHttpSource(SiasnConfig.from_settings(settings))
    if settings.hr_source == "table":
        return TableHrSource(sessions)
    raise ValueError(f"MERITFLOW_HR_SOURCE must be 'table' or 'http', not {settings.hr_source!r}")


def talent_source(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> TalentSource:
    """Talent inputs from the same place as employee records (``MERITFLOW_HR_SOURCE``)."""
    if settings.hr_source == "http":
        return SiasnTalentSource(SiasnHttpSource(SiasnConfig.from_settings(settings)))
    if settings.hr_source == "table":
        return TableTalentSource(sessions)
    raise ValueError(f"MERITFLOW_HR_SOURCE must be 'table' or 'http', not {settings.hr_source!r}")


def build_worker(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    task_queue: str | None = None,
) -> BoundedWorker:
    # One writer for the process's ledger appends: group commit over one connection, and no
    # transaction left open by an activity cancelled mid-write.
    writer = writer_for(sessions)
    ledger = LedgerActivities(sessions, writer)
    hr = HrActivities(hr_source(settings, sessions))
    calendar = CalendarActivities(settings.joint_leave_days)
    # The worker enforces its own delivery policy (budget, loopback), whatever a dispatcher carries.
    webhook = WebhookActivities(sessions, DeliveryConfig.from_settings(settings))
    review = ReviewActivities(sessions, writer)
    roster = RosterActivities(sessions)
    promotion_review = PromotionReviewActivities(sessions, writer)
    checkpoint = CheckpointActivities(
        sessions, optional_signer(settings), settings.published_checkpoints_dir
    )
    periods = PeriodActivities(sessions, TableCandidateSource(sessions))
    snapshots = (
        OneByOneSnapshotSource(hr_source(settings, sessions))
        if settings.hr_source == "http"
        else TableSnapshotSource(sessions)
    )
    starter = PeriodStarter(client, sessions, snapshots, calendar)
    selection = SelectionActivities(sessions, writer)
    talents = talent_source(settings, sessions)
    talent = TalentActivities(sessions, talents, writer)
    appointment = TalentAppointmentActivities(sessions, talents, writer)
    return BoundedWorker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            ledger.record_promotion,
            ledger.record_promotion_batch,
            hr.snapshot_employee,
            webhook.deliver_batch,
            calendar.load_holidays,
            review.assign_reviewers,
            review.record_review,
            review.record_review_batch,
            roster.load_review_roster,
            promotion_review.record_promotion_review_batch,
            checkpoint.create_checkpoint,
            periods.prepare_period,
            periods.claim_page,
            periods.record_page,
            periods.finish_period,
            starter.start_page,
            selection.record_selection,
            selection.record_selection_batch,
            selection.close_registration,
            selection.precheck,
            selection.close_screening,
            selection.close_component,
            selection.compute_shortlist,
            talent.record_talent_review,
            talent.record_talent_review_batch,
            talent.cutoff,
            talent.score,
            talent.close_calibration,
            talent.publish,
            talent.close_objections,
            talent.finalize,
            talent.refresh_succession,
            appointment.record_talent_appointment,
            appointment.record_talent_appointment_batch,
            appointment.check_successor,
            appointment.prepare_selection,
        ],
    )


def build_workers(
    client: Client, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> list[BoundedWorker]:
    """The worker of the task queue and the worker of the period queue; serve them together
    with ``infra.worker_shutdown.running``."""
    return [
        build_worker(client, sessions, settings),
        build_worker(client, sessions, settings, task_queue=settings.period_queue),
    ]


async def main() -> None:
    settings = get_settings()
    configure_logging(json=settings.json_logs)
    engine = create_engine(settings.effective_database_url)
    client = await connect(settings)
    workers = build_workers(client, session_factory(engine), settings)
    await ensure_checkpoint_schedule(client, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker.started",
        task_queue=settings.task_queue,
        period_task_queue=settings.period_queue,
        temporal=settings.temporal_address,
    )
    async with running(*workers):
        await stop.wait()
    await engine.dispose()
    log.info("worker.stopped")


if __name__ == "__main__":
    asyncio.run(main())
