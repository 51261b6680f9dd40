"""A talent appointment walked on the time-skipping server: a vacancy seeded with its successor, the
oversight body's review answered, and the appointment's three ends (appointed, rejected, fell back)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from actions.services import Services
from actions.talent.appointments import begin
from domain.ledger import Actor
from domain.review import Verdict
from domain.talent.filling import Approval
from store.talent import records
from tests.conftest import register_body
from tests.domain.talent_data import talent
from tests.helpers.talent_run import review_verdict
from workflows.selection_contracts import StartSelection
from workflows.talent_appointment import TalentAppointmentWorkflow
from workflows.talent_contracts import (
    AppointInput,
    FallBackInput,
    StartTalentAppointment,
    TalentAppointmentState,
    talent_appointment_workflow_id,
)

PPK = Actor(id="ppk-ta", role="appointing_authority")
HR = Actor(id="hr-ta", role="agency_hr")
TODAY = datetime.now(UTC).date()


class Case:
    """One vacancy of one agency, with its oversight body and its successor's record."""

    def __init__(self, services: Services, env: WorkflowEnvironment) -> None:
        self.services, self.env = services, env
        self.agency = f"AG{uuid.uuid4().hex[:6].upper()}"
        self.body = f"OV{uuid.uuid4().hex[:6].upper()}"
        self.nip = "197501012000011234"
        self.id = talent_appointment_workflow_id(self.agency, "KADIS", TODAY)

    async def prepare(self) -> None:
        sessions = self.services.sessions
        reviewers = [f"{self.body.lower()}-r{i}" for i in range(3)]
        await register_body(sessions, self.body, kind="oversight", reviewers=reviewers, head="h")
        approval = Approval(
            agency=self.agency,
            merit_category="good",
            merit_evaluated_on=date(2026, 5, 1),
            letter_number="B-1/2026",
            approved_on=date(2026, 2, 1),
            valid_until=date(2028, 1, 31),
        )
        async with sessions() as session, session.begin():
            await records.record_approval(session, approval, "bkn", datetime.now(UTC))
            record = talent(self.nip, agency=self.agency, birth_date=date(1975, 1, 1))
            await records.upsert_profiles(session, [record], datetime.now(UTC))

    def start_input(self) -> StartTalentAppointment:
        fallback = StartSelection(
            agency=self.agency,
            code=f"KADIS-{TODAY:%Y%m%d}",
            post_title="Kepala Dinas",
            post_level="pratama",
            rulebook_version="PermenPANRB-15-2019-training",
            appointing_authority_id=PPK.id,
            oversight_body=self.body,
            requested_by=HR,
        )
        return StartTalentAppointment(
            agency=self.agency,
            post_id="KADIS",
            post_title="Kepala Dinas",
            post_level="pratama",
            vacated_on=TODAY,
            successor_nip=self.nip,
            successor_name="Dewi Lestari",
            appointing_authority_id=PPK.id,
            oversight_body=self.body,
            rulebook_version="BKN-TM-2025.2-training",
            decision={"route": "talent_management", "checks": []},
            fallback=fallback,
            requested_by=HR,
        )

    async def start(self) -> WorkflowHandle[Any, TalentAppointmentState]:
        await self.prepare()
        await begin(self.services, self.id, self.start_input())
        return self.env.client.get_workflow_handle_for(TalentAppointmentWorkflow.run, self.id)

    async def stage(self, stage: str) -> TalentAppointmentState:
        handle = self.env.client.get_workflow_handle(self.id)
        for _ in range(2400):
            state = await handle.query(TalentAppointmentWorkflow.state)
            if state.stage == stage:
                return state
            await self.env.sleep(0.05)
        raise AssertionError(state)

    @property
    def review_id(self) -> str:
        return f"review-successor-{self.id}-1"


async def appointed(case: Case) -> TalentAppointmentState:
    handle = await case.start()
    await review_verdict(case.env.client, case.review_id, Verdict.APPROVE)
    await case.stage("appointment")
    other = Actor(id="ppk-other", role="appointing_authority")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            TalentAppointmentWorkflow.appoint, AppointInput(actor=other, decree_number="1")
        )
    done = await handle.execute_update(
        TalentAppointmentWorkflow.appoint, AppointInput(actor=PPK, decree_number="821/1/2026")
    )
    assert isinstance(done, TalentAppointmentState)
    return done


async def rejected(case: Case) -> TalentAppointmentState:
    handle = await case.start()
    await review_verdict(case.env.client, case.review_id, Verdict.REJECT)
    state = await case.stage("fell_back")
    assert state.selection_id is not None
    await case.env.client.get_workflow_handle(state.selection_id).terminate("test finished")
    return await handle.result()


async def fell_back(case: Case) -> TalentAppointmentState:
    handle = await case.start()
    await review_verdict(case.env.client, case.review_id, Verdict.APPROVE)
    await case.stage("appointment")
    reason = FallBackInput(actor=PPK, reason="The successor declined the post")
    done = await handle.execute_update(TalentAppointmentWorkflow.fall_back, reason)
    assert isinstance(done, TalentAppointmentState) and done.selection_id
    await case.env.client.get_workflow_handle(done.selection_id).terminate("test finished")
    return done
