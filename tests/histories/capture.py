"""Capture workflow histories for the replay tests: ``python -m tests.histories.capture``.

Runs each scenario on the time-skipping test server with the real activities on a throwaway SQLite
database and writes ``tests/histories/<workflow>-<scenario>.json``. Re-run it when a workflow changes
in a way that needs a new history (and keep the old ones: they are what running workflows look like).
Name scenarios to capture only those (``python -m tests.histories.capture training-timers``): a new
path gets its histories without rewriting the committed ones.

Since a decision's entries are handed to its caller, only the ``handover-*`` scenarios (and
``ineligible``, ``training-timers``) capture what new runs do; since a run takes its changes under
one marker, ``baseline-*``; since a run's catch-up ends on its callers' confirmation,
``confirmed-apart-*``. The steps are in ``capture_steps.py``. Since BKN's review runs inside the
promotion, the others drive the review child that new runs no longer start; their committed
histories are what runs of that time look like, and they keep replaying.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.enums import Decision, PromotionType, Step
from domain.review import Verdict
from domain.rulebook import TRAINING_VERSION
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_test_server
from store import reviews
from tests.conftest import PERIOD, employee, free_port, put_employee, register_body
from tests.histories.capture_review import AGENCY, STANDALONE, review_with_recusal, who
from tests.histories.capture_steps import (
    APART,
    CALLER,
    CHILDREN,
    Sessions,
    approve,
    embedded_pertek,
    open_review,
    pertek,
    until_pending,
)
from worker import build_worker
from workflows.contracts import (
    StartPromotion,
    promotion_workflow_id,
)
from workflows.promotion import PromotionWorkflow

HERE = Path(__file__).resolve().parent


async def embedded_full_chain(
    env: WorkflowEnvironment, h: WorkflowHandle, sup: str, *, with_verdict: bool = False
) -> None:
    await until_pending(h)
    await approve(h, who("supervisor", sup))
    await approve(h, who("promotion_board"))
    await approve(h, who("agency_hr"))
    await embedded_pertek(h, Verdict.RETURN, recuse_first=True)
    await until_pending(h, Step.AGENCY_HR)
    await approve(h, who("agency_hr"))
    await embedded_pertek(h, with_verdict=with_verdict)
    await until_pending(h, Step.APPOINTING_AUTHORITY)
    await approve(h, who("appointing_authority", "ppk"), decree_number="800/KP/E1")


async def declared_with_verdict(env: WorkflowEnvironment, h: WorkflowHandle, sup: str) -> None:
    """The full chain, the second review's reviewer declaring no conflict with the verdict."""
    await embedded_full_chain(env, h, sup, with_verdict=True)


async def embedded_timers(env: WorkflowEnvironment, h: WorkflowHandle, sup: str) -> None:
    await until_pending(h)
    await approve(h, who("supervisor", sup))
    await approve(h, who("promotion_board"))
    await approve(h, who("agency_hr"))
    await until_pending(h, Step.BKN_TECHNICAL_APPROVAL)
    await env.sleep(timedelta(days=15))  # reminder, then approval by silence
    await until_pending(h, Step.APPOINTING_AUTHORITY)
    await approve(h, who("appointing_authority", "ppk"), decree_number="800/KP/E2")


async def full_chain(env: WorkflowEnvironment, h: WorkflowHandle, sup: str) -> None:
    await until_pending(h)
    await approve(h, who("supervisor", sup))
    await approve(h, who("promotion_board"))
    await approve(h, who("agency_hr"))
    await pertek(env, h, Verdict.RETURN)
    await until_pending(h, Step.AGENCY_HR)
    await approve(h, who("agency_hr"))
    await pertek(env, h)
    await until_pending(h, Step.APPOINTING_AUTHORITY)
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
    review, _ = await open_review(env, h)
    CHILDREN.append(review)
    await env.sleep(timedelta(days=15))
    await until_pending(h, Step.APPOINTING_AUTHORITY)
    await approve(h, who("appointing_authority", "ppk"), decree_number="800/KP/2")


async def training_timers(env: WorkflowEnvironment, h: WorkflowHandle, sup: str) -> None:
    """The training rulebook: the same timers as above, after minutes instead of working days."""
    await until_pending(h)
    await env.sleep(timedelta(minutes=4))  # reminder at 2, escalation at 3
    await approve(h, who("agency_hr"))  # escalated supervisor step
    await approve(h, who("promotion_board"))
    await approve(h, who("agency_hr"))
    review, _ = await open_review(env, h)
    CHILDREN.append(review)
    await env.sleep(timedelta(minutes=6))  # review reminder at 3, automatic approval at 5
    await until_pending(h, Step.APPOINTING_AUTHORITY)
    await approve(h, who("appointing_authority", "ppk"), decree_number="800/KP/T/1")


Scenario = Callable[[WorkflowEnvironment, WorkflowHandle, str], Awaitable[None]]
LEGAL = "PerBKN-4-2025"
# name: (steps, employee record changes, rulebook version)
SCENARIOS: dict[str, tuple[Scenario | None, dict[str, object], str]] = {
    "full-chain": (full_chain, {}, LEGAL),
    "return-and-reject": (return_and_reject, {}, LEGAL),
    "timers-and-auto-approval": (timers_and_auto_approval, {}, LEGAL),
    "ineligible": (None, {"rank_since": "2026-01-01"}, LEGAL),
    "training-timers": (training_timers, {}, TRAINING_VERSION),
    # BKN's review inside the promotion: the roster given at the start (as the API starts it)...
    "embedded-review-full-chain": (embedded_full_chain, {}, LEGAL),
    # ... and read once by the workflow (as a period starts it), the review approving by silence.
    "embedded-review-timers": (embedded_timers, {}, LEGAL),
    # The same, since a decision's entries are handed to its caller (workflows/ledgered.py): the
    # workflow writes them at the run's end, with a timer's entry, or when it catches up.
    "handover-full-chain": (embedded_full_chain, {}, LEGAL),
    "handover-timers": (embedded_timers, {}, LEGAL),
    "handover-return-and-reject": (return_and_reject, {}, LEGAL),
    # ... with the API's part played: each update tells what the ledger holds, and is written.
    "handover-confirmed-full-chain": (embedded_full_chain, {}, LEGAL),
    # ... and since a run takes those changes under one marker (workflows/changes.py).
    "baseline-confirmed-full-chain": (embedded_full_chain, {}, LEGAL),
    # ... and since the run ends on its last caller's word (a newer baseline).
    "ends-confirmed-full-chain": (embedded_full_chain, {}, LEGAL),
    # ... and since the catch-up ends on a confirmation that leaves nothing queued: every decision
    # confirmed by the API's signal, none followed within the catch-up.
    "confirmed-apart-full-chain": (embedded_full_chain, {}, LEGAL),
    # ... with a reviewer's declaration of no conflict sent with the verdict (one update).
    "declared-with-verdict-full-chain": (declared_with_verdict, {}, LEGAL),
}
# Scenarios in which the capture plays the API's part (CALLER).
AS_THE_API = {
    "confirmed-apart-full-chain",
    "handover-confirmed-full-chain",
    "baseline-confirmed-full-chain",
    "ends-confirmed-full-chain",
    "declared-with-verdict-full-chain",
}
# Scenarios whose start carries BKN's roster.
# ... of which these confirm each decision apart (APART).
CONFIRMED_APART = {"confirmed-apart-full-chain"}
WITH_ROSTER = {
    "confirmed-apart-full-chain",
    "embedded-review-full-chain",
    "handover-full-chain",
    "handover-confirmed-full-chain",
    "baseline-confirmed-full-chain",
    "ends-confirmed-full-chain",
    "declared-with-verdict-full-chain",
}
IDS: dict[str, str] = {}
IDS_FILE = HERE / "workflow_ids.json"


async def capture_promotion(
    env: WorkflowEnvironment, sessions: Sessions, settings: Settings, name: str
) -> list[WorkflowHandle]:
    """Run one scenario, write its history; the review children it started, in order."""
    scenario, overrides, version = SCENARIOS[name]
    rec = employee(**overrides)  # type: ignore[arg-type]
    await put_employee(sessions, rec)
    inp = StartPromotion(
        nip=rec["nip"],
        agency=AGENCY,
        period=PERIOD,
        promotion_type=PromotionType.REGULAR,
        rulebook_version=version,
        requested_by=who("hr_system", "simpeg"),
    )
    if name in WITH_ROSTER:
        async with sessions() as session:
            roster = await reviews.roster_snapshot(session, "BKN", [rec["nip"]])
        inp = inp.model_copy(update={"review_roster": roster})
    h = await env.client.start_workflow(
        PromotionWorkflow.run,
        inp,
        id=promotion_workflow_id(rec["nip"], PERIOD),
        task_queue=settings.task_queue,
    )
    before = len(CHILDREN)
    if name in AS_THE_API:
        CALLER.append(sessions)
    if name in CONFIRMED_APART:
        APART.append(env)
    try:
        if scenario is not None:
            await scenario(env, h, rec["supervisor_nip"])
    finally:
        CALLER.clear()
        APART.clear()
    await h.result()
    await write(f"promotion-{name}", h)
    return CHILDREN[before:]


async def write(stem: str, handle: WorkflowHandle) -> None:
    (HERE / f"{stem}.json").write_text((await handle.fetch_history()).to_json())
    IDS[stem] = handle.id


async def main(only: set[str]) -> None:
    unknown = only - {*SCENARIOS, *STANDALONE}
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
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
        # Three on BKN's roster: a recused reviewer has a substitute.
        await register_body(sessions, "BKN", reviewers=["bkn-r1", "bkn-r2", "bkn-r3"])
        await register_body(
            sessions, "OVERSIGHT", kind="oversight", reviewers=["o1", "o2", "o3", "o4"]
        )
        async with env, build_worker(env.client, sessions, settings):
            numbered: dict[str, int] = {}
            for name in [n for n in SCENARIOS if not only or n in only]:
                # Reviews of training runs are named apart, so capturing them renames nothing.
                stem = "review-training-pertek" if name.startswith("training") else "review-pertek"
                for child in await capture_promotion(env, sessions, settings, name):
                    numbered[stem] = numbered.get(stem, 0) + 1
                    await child.result()
                    await write(f"{stem}-{numbered[stem]}", child)
            for stem, with_verdict in STANDALONE.items():
                if only and stem not in only:
                    continue
                recusal = await review_with_recusal(
                    env, settings.task_queue, with_verdict=with_verdict
                )
                await recusal.result()
                await write(stem, recusal)
        # Child ids derive from the parent's id, so replay must know each history's workflow id.
        known = json.loads(IDS_FILE.read_text()) if IDS_FILE.exists() else {}
        IDS_FILE.write_text(json.dumps({**known, **IDS}, indent=2, sort_keys=True) + "\n")
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(set(sys.argv[1:])))
