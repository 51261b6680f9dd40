"""Talent appointments: start one for a vacancy the rules sent to talent management, appoint the
successor, or fall back to an open selection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import UpdateMethodMultiParam

from actions import temporal
from actions.pipeline import Action, Attempt
from actions.registry import spec
from actions.schemas.talent import AppointIn, FallBackIn, TalentAppointmentRead
from actions.services import Services
from actions.talent.common import appointment_from_state, sees_agency
from actions.targets import Target
from domain.processes import ProcessKind
from infra.tokens import Principal
from store.talent import appointments
from store.talent.appointments import AppointmentIdentity
from workflows.talent_appointment import TalentAppointmentWorkflow
from workflows.talent_contracts import (
    AppointInput,
    FallBackInput,
    StartTalentAppointment,
    TalentAppointmentState,
)

log = structlog.get_logger(__name__)
KIND = ProcessKind.TALENT_APPOINTMENT
A = TypeVar("A")


async def begin(services: Services, process_id: str, start: StartTalentAppointment) -> bool:
    """Its row inserted if absent, then its workflow started or joined; True if created here."""
    identity = AppointmentIdentity(
        **start.model_dump(include=set(AppointmentIdentity.model_fields))
    )
    async with services.sessions() as session, session.begin():
        created = await appointments.insert_if_absent(
            session, process_id, identity, datetime.now(UTC)
        )
    try:
        await temporal.guard_rpc(
            services.client.start_workflow(
                TalentAppointmentWorkflow.run,
                start,
                id=process_id,
                task_queue=spec(KIND).queue(services),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        )
    except WorkflowAlreadyStartedError:
        log.info("talent_appointment.already_exists", process_id=process_id)
    return created


def _visible(principal: Principal, target: Target) -> bool:
    return sees_agency(principal, target.agency)


async def _send(
    a: Attempt[Any], method: UpdateMethodMultiParam[[Any, A], TalentAppointmentState], arg: A
) -> TalentAppointmentRead:
    """The workflow's update, answered from its result: the new stage and the step pending next."""
    state = await temporal.update(
        a.services.client, a.target.process_id, method, arg, update_id=a.update_id
    )
    return appointment_from_state(a.target.row, state)


async def _appoint(a: Attempt[AppointIn]) -> TalentAppointmentRead:
    arg = AppointInput(actor=a.actor, decree_number=a.body.decree_number, note=a.body.note)
    return await _send(a, TalentAppointmentWorkflow.appoint, arg)


APPOINT = Action(
    name="talent_appointment.appoint",
    kind=KIND,
    refused="talent_appointment.appointment_refused",
    body=AppointIn,
    result=TalentAppointmentRead,
    visible=_visible,
    execute=_appoint,
    summary="Appoint the successor with the decree number; refused if the successor or the "
    "agency's approval no longer qualifies that day",
)


async def _fall_back(a: Attempt[FallBackIn]) -> TalentAppointmentRead:
    arg = FallBackInput(actor=a.actor, reason=a.body.reason)
    return await _send(a, TalentAppointmentWorkflow.fall_back, arg)


FALL_BACK = Action(
    name="talent_appointment.fall_back",
    kind=KIND,
    refused="talent_appointment.fall_back_refused",
    body=FallBackIn,
    result=TalentAppointmentRead,
    visible=_visible,
    execute=_fall_back,
    summary="Fill the post by open selection instead, with a reason; the selection is started",
)
