"""A talent appointment's actions answer from the workflow update's result: the new stage and what
is pending next, while the read model (its recording held back) still shows the stage before."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from actions.pipeline import Action, perform
from actions.requests import Request
from actions.services import Services
from actions.talent import appointments
from domain.review import Verdict
from infra.settings import Settings
from infra.tokens import Principal
from store.talent import appointments as rows
from tests.helpers.held_records import HeldRecords
from tests.helpers.talent_appointment import PPK, Case
from tests.helpers.talent_run import review_verdict
from tests.helpers.workers import worker_with


@pytest_asyncio.fixture
async def held_case(
    ts_env: WorkflowEnvironment, sessions: Any, settings: Settings
) -> AsyncIterator[tuple[Case, HeldRecords]]:
    held = HeldRecords(sessions, settings)
    replaced = (held.record_selection_batch, held.record_talent_appointment_batch)
    async with worker_with(ts_env.client, sessions, settings, *replaced):
        services = Services(settings=settings, sessions=sessions, client=ts_env.client)
        yield Case(services, ts_env), held
        await held.release()


async def at_appointment(case: Case) -> None:
    """Started, the successor approved by the oversight body, and the read model showing it."""
    await case.start()
    await review_verdict(case.env.client, case.review_id, Verdict.APPROVE)
    state = await case.stage("appointment")
    assert state.pending is not None and (state.pending.step, state.pending.actors) == (
        "appoint",
        [PPK.id],
    )
    for _ in range(2400):
        if await stage_shown(case) == "appointment":
            return
        await case.env.sleep(0.05)
    raise AssertionError("the read model never showed the appointment stage")


async def stage_shown(case: Case) -> str:
    async with case.services.sessions() as session:
        row = await rows.get(session, case.id)
    assert row is not None
    return str(row.stage)


async def act(case: Case, action: Action[Any, Any], who: Principal, body: dict[str, Any]) -> Any:
    request = Request(id=uuid.uuid4().hex)
    done = await perform(case.services, action, who, process_id=case.id, body=body, request=request)
    return done.result


async def test_the_appointment_answers_appointed_before_the_read_model_shows_it(
    held_case: tuple[Case, HeldRecords],
) -> None:
    case, held = held_case
    await at_appointment(case)
    held.holding = True
    who = Principal(sub=PPK.id, role=PPK.role, agency=case.agency)
    answer = await act(case, appointments.APPOINT, who, {"decree_number": "821/7/2026"})
    assert (answer.stage, answer.status, answer.pending) == ("appointed", "completed", None)
    assert answer.decree["number"] == "821/7/2026"
    assert await stage_shown(case) == "appointment"
    await held.release()
    assert await stage_shown(case) == "appointed"


async def test_the_fall_back_answers_the_selection_it_started(
    held_case: tuple[Case, HeldRecords],
) -> None:
    case, held = held_case
    await at_appointment(case)
    held.holding = True
    hr = Principal(sub="hr-ta", role="agency_hr", agency=case.agency)
    answer = await act(case, appointments.FALL_BACK, hr, {"reason": "The successor declined"})
    assert (answer.stage, answer.status, answer.pending) == ("fell_back", "fell_back", None)
    assert answer.selection_id and answer.outcome_reason == "The successor declined"
    assert await stage_shown(case) == "appointment"
    await held.release()
    await case.env.client.get_workflow_handle(answer.selection_id).terminate("test finished")
