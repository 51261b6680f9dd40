"""Capture workflow histories for the replay tests: ``python -m tests.histories.capture``.

Runs each scenario on the time-skipping test server with the real activities on a throwaway SQLite
database and writes ``tests/histories/<workflow>-<scenario>.json``. Re-run it when a workflow changes
in a way that needs a new history (and keep the old ones: they are what running workflows look like).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.enums import Decision, PromotionType, Step
from domain.ledger import Actor
from domain.review import REVIEW_RULES, Finding, SubjectType, Verdict
from infra.db import create_engine, migrate, session_factory
from infra.settings import Settings
from infra.temporal_bin import find_test_server
from tests.conftest import PERIOD, employee, free_port, put_employee, register_body
from worker import build_worker
from workflows.contracts import (
    DecisionInput,
    DeclarationInput,
    PromotionState,
    ReviewRequest,
    ReviewState,
    StartPromotion,
    VerdictInput,
    promotion_workflow_id,
)
from workflows.promotion import PromotionWorkflow
from workflows.review import ThirdPartyReviewWorkflow

HERE = Path(__file__).resolve().parent
AGENCY = "KEMENPANRB"


def who(role: str, sub: str = "u1", agency: str | None = AGENCY) -> Actor:
    return Actor(id=sub, role=role, agency=agency)


async def approve(
    h: WorkflowHandle, actor: Actor, decision: Decision = Decision.APPROVE, **kw: object
) -> None:
    d = DecisionInput(actor=actor, decision=decision, justification="recorded for replay", **kw)  # type: ignore[arg-type]
    await h.execute_update(PromotionWorkflow.decide, d)


async def until_pending(h: WorkflowHandle, step: Step | None = None) -> PromotionState:
    for _ in range(2000):
        state = await h.query(PromotionWorkflow.state)
        if state.pending is not None and (step is None or state.pending.step is step):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never pending: {step}")


async def open_review(
    env: WorkflowEnvironment, h: WorkflowHandle
) -> tuple[WorkflowHandle, ReviewState]:
    for _ in range(2000):
        state = await h.query(PromotionWorkflow.state)
        if state.pending and state.pending.review_id:
            review = env.client.get_workflow_handle(state.pending.review_id)
            try:
                rstate = await review.query(ThirdPartyReviewWorkflow.state)
            except RPCError:
                rstate = None
            if rstate is not None and rstate.status == "open":
                return review, rstate
        await asyncio.sleep(0.05)
    raise AssertionError("review never opened")


async def pertek(
    env: WorkflowEnvironment, h: WorkflowHandle, verdict: Verdict = Verdict.APPROVE
) -> None:
    review, state = await open_review(env, h)
    reviewer = who("reviewer", state.seats[0].reviewer_id, None)
    await review.execute_update(
        ThirdPartyReviewWorkflow.declare, DeclarationInput(actor=reviewer, has_conflict=False)
    )
    findings = [Finding(what="rank history does not match SK")] if verdict is Verdict.RETURN else []
    await review.execute_update(
        ThirdPartyReviewWorkflow.verdict,
        VerdictInput(
            actor=reviewer, verdict=verdict, justification="recorded for replay", findings=findings
        ),
    )
    CHILDREN.append(review)


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


Scenario = Callable[[WorkflowEnvironment, WorkflowHandle, str], Awaitable[None]]
SCENARIOS: dict[str, tuple[Scenario | None, dict[str, object]]] = {
    "full-chain": (full_chain, {}),
    "return-and-reject": (return_and_reject, {}),
    "timers-and-auto-approval": (timers_and_auto_approval, {}),
    "ineligible": (None, {"rank_since": "2026-01-01"}),
}
CHILDREN: list[WorkflowHandle] = []
IDS: dict[str, str] = {}
IDS_FILE = HERE / "workflow_ids.json"


async def review_with_recusal(env: WorkflowEnvironment, task_queue: str) -> WorkflowHandle:
    """A majority review of three where one reviewer declares a conflict and is replaced."""
    rule = REVIEW_RULES[SubjectType.SHORTLIST]
    req = ReviewRequest(
        subject_type=SubjectType.SHORTLIST,
        subject_id="capture-shortlist",
        subject_persons=["p1"],
        body_code="OVERSIGHT",
        rule=rule,
        rulebook_version="PermenPANRB-15-2019",
        requested_by=who("system", "capture", None),
    )
    h = await env.client.start_workflow(
        ThirdPartyReviewWorkflow.run, req, id="review-capture-recusal", task_queue=task_queue
    )
    for _ in range(2000):
        state = await h.query(ThirdPartyReviewWorkflow.state)
        if state.status == "open":
            break
        await asyncio.sleep(0.05)
    first = who("reviewer", state.seats[0].reviewer_id, None)
    await h.execute_update(
        ThirdPartyReviewWorkflow.declare,
        DeclarationInput(actor=first, has_conflict=True, reason="former student"),
    )
    for _ in range(2000):
        state = await h.query(ThirdPartyReviewWorkflow.state)
        if sum(not s.recused for s in state.seats) == 3:
            break
        await asyncio.sleep(0.05)
    for seat in [s for s in state.seats if not s.recused][:2]:
        actor = who("reviewer", seat.reviewer_id, None)
        await h.execute_update(
            ThirdPartyReviewWorkflow.declare, DeclarationInput(actor=actor, has_conflict=False)
        )
        await h.execute_update(
            ThirdPartyReviewWorkflow.verdict,
            VerdictInput(actor=actor, verdict=Verdict.APPROVE, justification="procedure followed"),
        )
    return h


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
        await register_body(sessions, "BKN")
        await register_body(
            sessions, "OVERSIGHT", kind="oversight", reviewers=["o1", "o2", "o3", "o4"]
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
                IDS[f"promotion-{name}"] = h.id
            for i, child in enumerate(CHILDREN):
                await child.result()
                (HERE / f"review-pertek-{i + 1}.json").write_text(
                    (await child.fetch_history()).to_json()
                )
                IDS[f"review-pertek-{i + 1}"] = child.id
            recusal = await review_with_recusal(env, settings.task_queue)
            await recusal.result()
            (HERE / "review-recusal-majority.json").write_text(
                (await recusal.fetch_history()).to_json()
            )
            IDS["review-recusal-majority"] = recusal.id
        # Child ids derive from the parent's id, so replay must know each history's workflow id.
        known = json.loads(IDS_FILE.read_text()) if IDS_FILE.exists() else {}
        IDS_FILE.write_text(json.dumps({**known, **IDS}, indent=2, sort_keys=True) + "\n")
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
