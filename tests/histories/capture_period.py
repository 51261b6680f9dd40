"""Capture PromotionPeriodWorkflow histories for the replay test: ``python -m tests.histories.capture_period``.

One period of seven employees (one of whose promotions is already running) with three children per
run and pages of two, on a Temporal dev server with the real worker and a throwaway SQLite database.
It writes every run of the chain: ``promotion-period-run-1.json`` and ``-run-2.json`` end in
continue-as-new, ``-run-3.json`` begins from it and completes. Then the completed period is opened
again for four more employees (a later HR event): ``promotion-period-reopened-run-1.json`` ends in
continue-as-new, ``-run-2.json`` completes. Their workflow id goes to ``workflow_ids.json``. Keep
old captures when the workflow changes: they are what running periods look like (``--only`` writes
the named scenario alone, ``first`` or ``reopened``; ``--prefix`` names the files: the captures
since the period starts its promotions by client are ``promotion-period-client-starts-*``).
``--own-queue`` runs the period on the period queue and its promotions on the worker's queue, as
since periods have a queue of their own (``promotion-period-own-queue-*``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.enums import PromotionType
from domain.ledger import Actor
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_temporal_cli
from infra.worker_shutdown import running
from tests.conftest import PERIOD, employee, free_port, put_employee
from worker import build_workers
from workflows.contracts import StartPromotion, promotion_workflow_id
from workflows.promotion import PromotionWorkflow
from workflows.promotion_period import (
    PeriodInput,
    PeriodResult,
    PromotionPeriodWorkflow,
    promotion_period_workflow_id,
)

HERE = Path(__file__).resolve().parent
IDS_FILE = HERE / "workflow_ids.json"
AGENCY = "CAPTURE"
HR = Actor(id="siasn", role="hr_system", agency=AGENCY)


async def run_chain(client: Client, workflow_id: str, first_run_id: str) -> list[WorkflowHistory]:
    """Every run's history, following continue-as-new from the first run."""
    histories = []
    run_id: str | None = first_run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        last = history.events[-1]
        continued = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.event_type == continued
            else None
        )
    return histories


def period_queue(settings: Settings, own_queue: bool) -> tuple[str, str | None]:
    """The queue the period runs on, and the promotion queue its input names (None: its own)."""
    return (
        (settings.period_queue, settings.task_queue) if own_queue else (settings.task_queue, None)
    )


async def capture(
    client: Client, settings: Settings, nips: list[str], own_queue: bool
) -> list[WorkflowHistory]:
    await client.start_workflow(
        PromotionWorkflow.run,
        StartPromotion(
            nip=nips[0],
            agency=AGENCY,
            period=PERIOD,
            promotion_type=PromotionType.REGULAR,
            rulebook_version="PerBKN-4-2025",
            requested_by=HR,
        ),
        id=promotion_workflow_id(nips[0], PERIOD),
        task_queue=settings.task_queue,
    )
    queue, promotion_queue = period_queue(settings, own_queue)
    inp = PeriodInput(
        period_id=promotion_period_workflow_id(AGENCY, PERIOD),
        agency=AGENCY,
        period=PERIOD,
        rulebook_version="PerBKN-4-2025",
        requested_by=HR,
        nips=nips,
        promotion_task_queue=promotion_queue,
        children_per_run=3,
        page_size=2,
        max_in_flight=2,
    )
    handle = await client.start_workflow(
        PromotionPeriodWorkflow.run, inp, id=inp.period_id, task_queue=queue
    )
    await handle.result()
    assert handle.first_execution_run_id is not None
    return await run_chain(client, inp.period_id, handle.first_execution_run_id)


async def capture_reopened(
    client: Client, settings: Settings, first: list[str], more: list[str], own_queue: bool
) -> list[WorkflowHistory]:
    """The completed period opened again for ``more`` (as actions/periods.py does it)."""
    queue, promotion_queue = period_queue(settings, own_queue)
    period_id = promotion_period_workflow_id(AGENCY, PERIOD)
    done = await client.get_workflow_handle(period_id, result_type=PeriodResult).result()
    inp = PeriodInput(
        period_id=period_id,
        agency=AGENCY,
        period=PERIOD,
        rulebook_version="PerBKN-4-2025",
        requested_by=HR,
        nips=more,
        promotion_task_queue=promotion_queue,
        opening="capture-reopen",
        requested=len(first),
        cursor=len(first),
        started=done.started,
        already_running=done.already_running,
        run=done.runs + 1,
        children_per_run=3,
        page_size=2,
        max_in_flight=2,
    )
    handle = await client.start_workflow(
        PromotionPeriodWorkflow.run,
        inp,
        id=period_id,
        task_queue=queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    await handle.result()
    assert handle.first_execution_run_id is not None
    return await run_chain(client, period_id, handle.first_execution_run_id)


async def main(only: str | None, prefix: str, own_queue: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/capture.db"
        await migrate(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        settings = Settings(database_url=url, task_queue="capture-period")
        nips = []
        for i in range(11):
            record = employee(f"19910404{i:010d}", agency=AGENCY)
            await put_employee(sessions, record)
            nips.append(record["nip"])
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=find_temporal_cli(),
            port=free_port(),
            data_converter=pydantic_data_converter,
            dev_server_log_level="error",
        )
        async with env, running(*build_workers(env.client, sessions, settings)):
            scenarios = {
                "first": (
                    f"{prefix}-run",
                    await capture(env.client, settings, nips[:7], own_queue),
                ),
                "reopened": (
                    f"{prefix}-reopened-run",
                    await capture_reopened(env.client, settings, nips[:7], nips[7:], own_queue),
                ),
            }
        ids = {}
        for scenario, (stem, histories) in scenarios.items():
            if only is not None and scenario != only:
                continue
            for i, history in enumerate(histories, start=1):
                (HERE / f"{stem}-{i}.json").write_text(history.to_json())
                ids[f"{stem}-{i}"] = history.workflow_id
        known = json.loads(IDS_FILE.read_text()) if IDS_FILE.exists() else {}
        IDS_FILE.write_text(json.dumps({**known, **ids}, indent=2, sort_keys=True) + "\n")
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.histories.capture_period")
    parser.add_argument("--only", choices=("first", "reopened"))
    parser.add_argument("--prefix", default="promotion-period")
    parser.add_argument("--own-queue", action="store_true", help="the period on its own queue")
    args = parser.parse_args()
    asyncio.run(main(args.only, args.prefix, args.own_queue))
