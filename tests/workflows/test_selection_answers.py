"""A selection's stage actions answer from the workflow update's result: the new stage and the step
pending next, even while the read model lags behind the workflow (its recording held back), and a
replayed request gets that same answer again.

Each answer is checked against the read model at that moment: it still shows the stage before the
action, so an answer that re-read it would fail here.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from actions.pipeline import Action, Done, perform
from actions.requests import Request
from actions.schemas.selections import SelectionRead
from actions.selections import appointment, planning
from actions.services import Services
from domain.review import Verdict
from infra.settings import Settings
from infra.tokens import Principal
from store import selections
from tests.conftest import register_body
from tests.helpers.held_records import HeldRecords
from tests.helpers.selection_setup import PANEL
from tests.helpers.talent_run import review_verdict
from tests.helpers.workers import worker_with

AGENCY = "KEMENPANRB"
TRAINING = "PermenPANRB-15-2019-training"
HR = Principal(sub="hr-1", role="agency_hr", agency=AGENCY)
PPK = Principal(sub="ppk-1", role="appointing_authority", agency=AGENCY)
MEMBERS = [
    {"id": m, "name": n, "role": r, "internal": i, "affiliation": "Universitas Indonesia"}
    for m, n, r, i in PANEL
]
SCHEME = {
    "components": [{"code": "interview", "name": "Wawancara", "weight": 100}],
    "tie_break": ["interview", "age"],
}


@dataclass
class Stack:
    services: Services
    held: HeldRecords
    env: WorkflowEnvironment


@pytest_asyncio.fixture
async def stack(
    ts_env: WorkflowEnvironment, sessions: Any, settings: Settings
) -> AsyncIterator[Stack]:
    held = HeldRecords(sessions, settings)
    replaced = (held.record_selection_batch, held.record_talent_appointment_batch)
    async with worker_with(ts_env.client, sessions, settings, *replaced):
        yield Stack(
            Services(settings=settings, sessions=sessions, client=ts_env.client), held, ts_env
        )
        await held.release()


async def act(
    s: Stack,
    action: Action[Any, Any],
    who: Principal,
    pid: str | None,
    body: dict[str, Any],
    request_id: str | None = None,
) -> Done[Any]:
    request = Request(id=request_id or uuid.uuid4().hex, supplied=request_id is not None)
    return await perform(s.services, action, who, process_id=pid, body=body, request=request)


async def row_stage(s: Stack, pid: str, until: str | None = None) -> str:
    """The read model's stage (once it is ``until``, if given)."""
    stage = None
    for _ in range(2400):
        async with s.services.sessions() as session:
            row = await selections.get(session, pid)
        assert row is not None
        stage = str(row.stage)
        if until is None or stage == until:
            return stage
        await asyncio.sleep(0.05)
    raise AssertionError(f"the read model never reached {until}: {stage}")


def step(answer: SelectionRead) -> tuple[str, str, str | None, list[str]]:
    p = answer.pending
    assert p is not None, answer
    return p.step, p.role, p.actor_id, p.actors


async def started(s: Stack) -> tuple[str, str]:
    body_code = f"PENGAWAS-{uuid.uuid4().hex[:6].upper()}"
    reviewers = [f"{body_code.lower()}-r{i}" for i in (1, 2, 3)]
    await register_body(s.services.sessions, body_code, kind="oversight", reviewers=reviewers)
    create = {
        "code": f"ANS-{uuid.uuid4().hex[:8]}",
        "post_title": "Kepala Biro Umum",
        "post_level": "pratama",
        "appointing_authority_id": PPK.sub,
        "oversight_body": body_code,
        "rulebook_version": TRAINING,
    }
    done = await act(s, planning.START, HR, None, create)
    return str(done.result.selection.id), body_code


async def test_planning_actions_answer_their_stage_and_next_step_ahead_of_the_read_model(
    stack: Stack,
) -> None:
    s = stack
    pid, _ = await started(s)
    await row_stage(s, pid, "planning")
    s.held.holding = True
    panel = (await act(s, planning.PANEL, HR, pid, {"members": MEMBERS})).result
    assert panel.stage == "planning" and step(panel) == ("set_scheme", "agency_hr", None, [])
    body = {"scheme": SCHEME, "scorers": {"interview": ["chair", "m1"]}}
    scheme = (await act(s, planning.SCHEME, HR, pid, body)).result
    assert scheme.scheme is not None and scheme.scheme["components"][0]["code"] == "interview"
    assert step(scheme) == ("submit_plan", "agency_hr", None, [])
    plan = (await act(s, planning.SUBMIT_PLAN, HR, pid, {})).result
    assert plan.stage == "plan_review" and plan.status == "in_progress"
    assert step(plan)[:2] == ("plan_review", "reviewer")
    assert plan.pending is not None and plan.pending.review_id == plan.plan_review_id
    assert plan.plan_review_id == f"review-plan-{pid}-1"
    # The read model has none of it yet: the answers were the workflow's.
    async with s.services.sessions() as session:
        row = await selections.get(session, pid)
    assert row is not None and (row.stage, row.scheme, row.plan_review_id) == (
        "planning",
        None,
        None,
    )
    await s.held.release()
    assert await row_stage(s, pid, "plan_review") == "plan_review"


async def test_announce_and_cancel_answer_ahead_of_the_read_model_and_replay_the_same(
    stack: Stack,
) -> None:
    s = stack
    pid, _ = await started(s)
    await act(s, planning.PANEL, HR, pid, {"members": MEMBERS})
    await act(s, planning.SCHEME, HR, pid, {"scheme": SCHEME, "scorers": {"interview": ["m1"]}})
    await act(s, planning.SUBMIT_PLAN, HR, pid, {})
    await review_verdict(s.env.client, f"review-plan-{pid}-1", Verdict.APPROVE)
    await row_stage(s, pid, "announcement")
    s.held.holding = True
    closes_at = datetime.now(UTC) + timedelta(minutes=30)
    window = {"closes_at": closes_at.isoformat()}
    announced = (await act(s, planning.ANNOUNCE, HR, pid, window)).result
    assert announced.stage == "registration" and announced.registration.closes_at == closes_at
    assert step(announced) == ("register_applicant", "agency_hr", None, [])
    assert announced.pending is not None and announced.pending.due_at == closes_at
    assert await row_stage(s, pid) == "announcement"
    key = uuid.uuid4().hex
    reason = {"reason": "the post was merged into another bureau"}
    first = await act(s, appointment.CANCEL, PPK, pid, reason, request_id=key)
    cancelled = first.result
    assert (cancelled.stage, cancelled.status, cancelled.pending) == (
        "cancelled",
        "cancelled",
        None,
    )
    assert cancelled.outcome_reason == reason["reason"]
    assert await row_stage(s, pid) == "announcement"
    again = await act(s, appointment.CANCEL, PPK, pid, reason, request_id=key)
    assert again.replayed and again.result == cancelled
    await s.held.release()
    assert await row_stage(s, pid, "cancelled") == "cancelled"
