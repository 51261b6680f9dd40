"""Capture workflow histories for the replay tests: ``python -m tests.histories.capture``.

Runs each scenario on the time-skipping test server with the real activities on a throwaway SQLite
database and writes ``tests/histories/<workflow>-<scenario>.json``. Re-run it when a workflow changes
in a way that needs a new history (and keep the old ones: they are what running workflows look like).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.enums import Decision, PromotionType
from domain.ledger import Actor
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_test_server
from tests.conftest import PERIOD, employee, free_port, put_employee
from worker import build_worker
from workflows.contracts import DecisionInput, StartPromotion, promotion_workflow_id
from workflows.promotion import PromotionWorkflow

HERE = Path(__file__).resolve().parent
AGENCY = "KEMENPANRB"


def who(role: str, sub: str = "u1", agency: str | None = AGENCY) -> Actor:
    return Actor(id=sub, role=role, agency=agency)


async def approve(
    h: WorkflowHandle, actor: Actor, decision: Decision = Decision.APPROVE, **kw: object
) -> None:
    d = DecisionInput(actor=actor, decision=decision, justification="recorded for replay", **kw)  # type: ignore[arg-type]
    await h.execute_update(PromotionWorkflow.decide, d)


async def until_pending(h: WorkflowHandle) -> None:
    for _ in range(200):
        if (await h.query(PromotionWorkflow.state)).pending is not None:
            return
        await asyncio.sleep(0.05)


async def full_chain(env: WorkflowEnvironment, h: WorkflowHandle, sup: str) -> None:
    await until_pending(h)
    await approve(h, who("supervisor", sup))
    await approve(h, who("promotion_board"))
    await approve(h, who("agency_hr"))
    await approve(h, who("bkn", "bkn", None))
    await approve(h, who("appointing_authority", "ppk"), decree_number="800/KP/1")


async def return_and_reject(env: WorkflowEnvironment, h: WorkflowHandle, sup: str) -> None:
    await until_pending(h)
    await approve(h, who("supervisor", sup))
    await approve(h, who("promotion_board"), Decision.RETURN, corrections=["attach SKP"])
    await approve(h, who("agency_hr"))
    await approve(h, who("promotion_board"), Decision.REJECT)


async def timers_and_auto_approval(env: WorkflowEnvironment, h: WorkflowHandle, sup: str) -> None:
    await until_pending(h)
    await env.sleep(timedelta(days=12))
    await approve(h, who("agency_hr"))  # escalated supervisor step
    await approve(h, who("promotion_board"))
    await approve(h, who("agency_hr"))
    await env.sleep(timedelta(days=15))
    await approve(h, who("appointing_authority", "ppk"), decree_number="800/KP/2")


Scenario = Callable[[WorkflowEnvironment, WorkflowHandle, str], Awaitable[None]]
SCENARIOS: dict[str, tuple[Scenario | None, dict[str, object]]] = {
    "full-chain": (full_chain, {}),
    "return-and-reject": (return_and_reject, {}),
    "timers-and-auto-approval": (timers_and_auto_approval, {}),
    "ineligible": (None, {"rank_since": "2026-01-01"}),
}


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/capture.db"
        await migrate(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        settings = Settings(database_url=url, task_queue="capture")
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=find_test_server(),
            port=free_port(),
            data_converter=pydantic_data_converter,
        )
        async with env, build_worker(env.client, sessions, settings):
            for name, (scenario, overrides) in SCENARIOS.items():
                rec = employee(**overrides)  # type: ignore[arg-type]
                await put_employee(sessions, rec)
                inp = StartPromotion(
                    nip=rec["nip"],
                    agency=AGENCY,
                    period=PERIOD,
                    promotion_type=PromotionType.REGULAR,
                    rulebook_version="PerBKN-4-2025",
                    requested_by=who("hr_system", "simpeg"),
                )
                h = await env.client.start_workflow(
                    PromotionWorkflow.run,
                    inp,
                    id=promotion_workflow_id(rec["nip"], PERIOD),
                    task_queue=settings.task_queue,
                )
                if scenario is not None:
                    await scenario(env, h, rec["supervisor_nip"])
                await h.result()
                history = await h.fetch_history()
                (HERE / f"promotion-{name}.json").write_text(history.to_json())
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
