"""Capture OpenSelectionWorkflow histories for the replay test: ``python -m tests.histories.capture_selection``.

Runs the scenarios of ``tests/workflows/test_selection.py`` on the time-skipping test server with the
real worker and a throwaway SQLite database, and writes ``<PREFIX>-<scenario>.json`` (their ids go
to ``workflow_ids.json``, since review children derive their ids from the selection's). Keep old
captures when the workflow changes: they are what running selections look like. ``selection-*``
without a prefix were recorded before the ledger waited for durable decisions;
``selection-pipeline-*`` on the action pipeline, with the ledger after durable decisions and stage
gates after earlier records, including a run on the training rulebook.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.review import Finding, Verdict
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_test_server
from tests.conftest import free_port, register_body, skip_days
from tests.helpers.selection_workflow import HR, PPK, Run, member, to_shortlist
from worker import build_worker
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import (
    ActorInput,
    AnnounceInput,
    AppointInput,
    CancelInput,
    VoteInput,
)

HERE = Path(__file__).resolve().parent
IDS_FILE = HERE / "workflow_ids.json"
PREFIX = "selection-pipeline"


async def appointed(run: Run) -> None:
    await to_shortlist(run)
    for i in range(4):
        vote = VoteInput(actor=member(run.prefix, i), approve=True)
        await run.update(OpenSelectionWorkflow.plenary_vote, vote)
    await run.update(OpenSelectionWorkflow.close_plenary, ActorInput(actor=member(run.prefix, 0)))
    await run.review(f"review-shortlist-{run.id}-1", Verdict.APPROVE)
    await run.until(lambda s: s.stage == "appointment")
    choice = AppointInput(actor=PPK, applicant_id="A0001", reason="recorded for replay")
    await run.update(OpenSelectionWorkflow.appoint, choice)


async def returned(run: Run) -> None:
    await to_shortlist(run)
    for i in range(3):
        vote = VoteInput(actor=member(run.prefix, i), approve=True)
        await run.update(OpenSelectionWorkflow.plenary_vote, vote)
    await run.update(OpenSelectionWorkflow.close_plenary, ActorInput(actor=member(run.prefix, 0)))
    findings = [Finding(what="recheck the interview", return_to_stage="assessment")]
    await run.review(f"review-shortlist-{run.id}-1", Verdict.RETURN, findings)
    await run.until(lambda s: s.stage == "assessment")
    await run.close_components()
    await run.update(OpenSelectionWorkflow.cancel, CancelInput(actor=PPK, reason="replay"))


async def extended_and_failed(run: Run) -> None:
    await run.start()
    await run.plan_approved()
    await run.announce_now()
    await run.register(2)
    await skip_days(run.env, 31)
    await run.until(lambda s: s.stage == "failed")


async def cancelled_in_review(run: Run) -> None:
    await run.start()
    from tests.helpers.selection_workflow import SCHEME, panel, scorers
    from workflows.selection_contracts import PanelInput, SchemeInput

    await run.update(
        OpenSelectionWorkflow.set_panel, PanelInput(actor=HR, members=panel(run.prefix))
    )
    scheme = SchemeInput(actor=HR, scheme=SCHEME, scorers=scorers(run.prefix))
    await run.update(OpenSelectionWorkflow.set_scheme, scheme)
    await run.update(OpenSelectionWorkflow.submit_plan, ActorInput(actor=HR))
    await run.until(lambda s: s.stage == "plan_review")
    await asyncio.sleep(1)
    await run.update(OpenSelectionWorkflow.cancel, CancelInput(actor=PPK, reason="replay"))


async def training_extended(run: Run) -> None:
    """The training rulebook: a window of minutes, extended once, then cancelled at screening."""
    await run.start("PermenPANRB-15-2019-training")
    await run.plan_approved()
    now = await run.env.get_current_time()
    window = AnnounceInput(actor=HR, closes_at=now + timedelta(minutes=2), text="Latihan")
    await run.update(OpenSelectionWorkflow.announce, window)
    await run.register(3)
    await run.env.sleep(timedelta(minutes=2, seconds=5))
    await run.until(lambda s: s.extensions == 1)
    await run.register(1, start=3)
    await run.env.sleep(timedelta(minutes=1, seconds=5))
    await run.until(lambda s: s.stage == "screening")
    await run.update(OpenSelectionWorkflow.cancel, CancelInput(actor=PPK, reason="replay"))


SCENARIOS: dict[str, Callable[[Run], Awaitable[None]]] = {
    "appointed": appointed,
    "returned-to-assessment": returned,
    "extended-and-failed": extended_and_failed,
    "cancelled-in-plan-review": cancelled_in_review,
    "training-extended": training_extended,
}


async def main() -> None:
    ids = json.loads(IDS_FILE.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/capture.db"
        await migrate(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        for name, scenario in SCENARIOS.items():
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=find_test_server(),
                port=free_port(),
                data_converter=pydantic_data_converter,
            )
            settings = Settings(
                database_url=url, task_queue=f"tq-{uuid.uuid4().hex[:8]}", env="test"
            )
            body = f"OV{uuid.uuid4().hex[:8].upper()}"
            reviewers = [f"{body.lower()}-r{i}" for i in range(3)]
            await register_body(sessions, body, kind="oversight", reviewers=reviewers, head="head")
            async with build_worker(env.client, sessions, settings):
                run = Run(env, sessions, settings, body)
                await scenario(run)
                await run.h.result()
                history = await run.h.fetch_history()
            (HERE / f"{PREFIX}-{name}.json").write_text(history.to_json())
            ids[f"{PREFIX}-{name}"] = run.id
            print(f"{PREFIX}-{name}: {len(history.events)} events")  # noqa: T201
            await env.shutdown()
        await engine.dispose()
    IDS_FILE.write_text(json.dumps(dict(sorted(ids.items())), indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
