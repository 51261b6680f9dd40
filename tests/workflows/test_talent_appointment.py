"""TalentAppointmentWorkflow on the time-skipping server with the real worker and database: the
oversight review approving then the appointment; a review that rejects, falling back to the open
selection (started as an abandoned child, its row first); the appointing authority's identity and
the stage checked by the validators."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from actions.services import Services
from infra.settings import Settings
from store import selections
from tests.helpers.talent_appointment import PPK, Case, appointed, fell_back, rejected
from worker import build_worker


@pytest_asyncio.fixture
async def case(ts_env: WorkflowEnvironment, sessions, settings: Settings) -> AsyncIterator[Case]:
    async with build_worker(ts_env.client, sessions, settings):
        yield Case(Services(settings=settings, sessions=sessions, client=ts_env.client), ts_env)


async def test_approved_then_appointed(case: Case) -> None:
    done = await appointed(case)
    assert done.stage == "appointed" and done.decree and done.decree["number"] == "821/1/2026"


async def test_a_rejected_review_falls_back_to_open_selection(case: Case) -> None:
    done = await rejected(case)
    assert done.stage == "fell_back" and "did not approve" in (done.outcome_reason or "")
    async with case.services.sessions() as session:
        row = await selections.get(session, str(done.selection_id))
    assert row is not None and row.appointing_authority_id == PPK.id


async def test_fall_back_is_for_the_authority_or_hr_at_appointment(case: Case) -> None:
    done = await fell_back(case)
    assert done.stage == "fell_back" and done.outcome_reason == "The successor declined the post"
