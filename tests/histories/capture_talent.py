"""Capture talent-management histories for the replay test: ``python -m tests.histories.capture_talent``.

Runs on the time-skipping test server with the real worker and a throwaway SQLite database, and
writes ``talent-review-<scenario>.json`` (reviews driven through the action pipeline, 40 generated
employees on the training rulebook) and ``talent-appointment-<scenario>.json`` (the scenarios of
``tests/workflows/test_talent_appointment.py``), plus the successor review of the appointed one;
their ids go to ``workflow_ids.json``. Keep old captures when the workflows change: they are what
running reviews and appointments look like.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from actions.queries import talent as reads
from actions.services import Services
from actions.talent import people, reviews
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_test_server
from tests.conftest import free_port
from tests.helpers.talent import population
from tests.helpers.talent_appointment import Case, appointed, fell_back, rejected
from tests.helpers.talent_run import TalentRun
from worker import build_worker

HERE = Path(__file__).resolve().parent
IDS_FILE = HERE / "workflow_ids.json"
AGENCY = "PEMKAB-CAPTURE"


async def completed(run: TalentRun, env: WorkflowEnvironment) -> None:
    await calibrating(run)
    await run.declare_all()
    (target, box), (a, _), (b, _) = await scored(run, 3)
    move = {
        "nip": target,
        "box": 1 if box != 1 else 2,
        "justification": "Calibrated at the meeting of 1 December",
    }
    await run.act(people.CALIBRATE, run.member(1), move)
    await run.act(reviews.CLOSE_CALIBRATION, run.member(0), {"note": "closed"})
    await run.until("objection")
    published = dict(await scored(run, 3))
    for nip in (a, b):
        await run.act(people.OBJECT, run.who("employee", nip), {"grounds": "My SKP was revised"})
    up = {
        "nip": a,
        "uphold": True,
        "box": 9 if published[a] != 9 else 8,
        "justification": "The revised SKP changes the axis",
    }
    await run.act(people.ANSWER, run.member(1), up)
    no = {"nip": b, "uphold": False, "justification": "The revision is outside the years read"}
    await run.act(people.ANSWER, run.member(2), no)
    await env.sleep(timedelta(minutes=6))
    await run.until("answering")
    await run.act(reviews.FINALIZE, run.member(0), {"note": "pool established"})


async def no_objection(run: TalentRun, env: WorkflowEnvironment) -> None:
    await calibrating(run)
    await run.act(reviews.CLOSE_CALIBRATION, run.member(1), {})
    await run.until("objection")
    await env.sleep(timedelta(minutes=6))


async def cancelled(run: TalentRun, env: WorkflowEnvironment) -> None:  # noqa: ARG001
    await calibrating(run)
    await run.act(reviews.CANCEL, run.who("agency_hr"), {"reason": "population redefined"})


async def calibrating(run: TalentRun) -> Any:
    await run.import_records(population(40, AGENCY, seed=11))
    await run.start()
    return await run.until("calibration")


async def scored(run: TalentRun, n: int) -> list[tuple[str, int]]:
    """The first ``n`` people with a box, and their boxes."""
    page = await reads.people_page(run.services, run.who("agency_hr"), run.id, limit=50)
    return [(p.nip, p.box) for p in page.items if p.box is not None][:n]


REVIEWS: dict[str, Callable[[TalentRun, WorkflowEnvironment], Awaitable[None]]] = {
    "completed": completed,
    "no-objection": no_objection,
    "cancelled": cancelled,
}
APPOINTMENTS: dict[str, Callable[[Case], Awaitable[Any]]] = {
    "appointed": appointed,
    "rejected": rejected,
    "fell-back": fell_back,
}


async def save(client: Client, name: str, workflow_id: str, ids: dict[str, str]) -> None:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    (HERE / f"{name}.json").write_text(history.to_json())
    ids[name] = workflow_id
    print(f"{name}: {len(history.events)} events")  # noqa: T201


async def main() -> None:
    ids = json.loads(IDS_FILE.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/capture.db"
        await migrate(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        jobs: list[tuple[str, str, Any]] = [("talent-review", n, s) for n, s in REVIEWS.items()]
        jobs += [("talent-appointment", n, s) for n, s in APPOINTMENTS.items()]
        for prefix, name, scenario in jobs:
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=find_test_server(),
                port=free_port(),
                data_converter=pydantic_data_converter,
            )
            settings = Settings(
                database_url=url, task_queue=f"tq-{uuid.uuid4().hex[:8]}", env="test"
            )
            services = Services(settings=settings, sessions=sessions, client=env.client)
            async with build_worker(env.client, sessions, settings):
                if prefix == "talent-review":
                    run = TalentRun(services, AGENCY)
                    await scenario(run, env)
                    await env.client.get_workflow_handle(run.id).result()
                    await save(env.client, f"{prefix}-{name}", run.id, ids)
                else:
                    case = Case(services, env)
                    await scenario(case)
                    await env.client.get_workflow_handle(case.id).result()
                    await save(env.client, f"{prefix}-{name}", case.id, ids)
                    if name == "appointed":
                        await save(env.client, "review-successor-appointed", case.review_id, ids)
            await env.shutdown()
        await engine.dispose()
    IDS_FILE.write_text(json.dumps(dict(sorted(ids.items())), indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
