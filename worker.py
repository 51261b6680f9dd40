"""The Temporal worker: every workflow and activity of Meritflow on one task queue."""

from __future__ import annotations

import asyncio
import signal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.calendar import CalendarActivities
from activities.hr import HrActivities, TableHrSource
from activities.ledger import LedgerActivities
from infra.db import create_engine, session_factory
from infra.logging import configure_logging
from infra.settings import Settings, get_settings
from infra.temporal import connect
from workflows.promotion import PromotionWorkflow

log = structlog.get_logger(__name__)

WORKFLOWS = [PromotionWorkflow]


def build_worker(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    task_queue: str | None = None,
) -> Worker:
    ledger = LedgerActivities(sessions)
    hr = HrActivities(TableHrSource(sessions))
    calendar = CalendarActivities(settings.joint_leave_days)
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=[ledger.record_promotion, hr.snapshot_employee, calendar.load_holidays],
    )


async def main() -> None:
    settings = get_settings()
    configure_logging(json=settings.json_logs)
    engine = create_engine(settings.effective_database_url)
    client = await connect(settings)
    worker = build_worker(client, session_factory(engine), settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker.started", task_queue=settings.task_queue, temporal=settings.temporal_address)
    async with worker:
        await stop.wait()
    await engine.dispose()
    log.info("worker.stopped")


if __name__ == "__main__":
    asyncio.run(main())
