"""A vacated post (``id.go.bkn.post.vacated.v1``): a talent appointment, an open selection, or the
reason there is none.

A post that is not a JPT post is filled within the agency: nothing is started and the stored event
says why. A JPT post goes where ``domain.talent.filling.decide`` sends it, from the agency's
approval, the post's succession plan and the successors' records as they stand (the rules and
every check, with their dates, are in the decision):

- talent management: ``talent-appointment-<agency>-<post_id>-<YYYYMMDD>`` starts (the oversight
  body reviews the successor, the appointing authority appoints; ``actions/talent/appointments.py``);
- otherwise ("blended" mode) the open selection ``selection-<agency>-<post_id>-<YYYYMMDD>`` starts,
  the one way every selection does (``actions.selections.planning.begin``).

The decision is appended to the agency's talent-records chain (``vacancy.routed``, its id from the
event) before anything starts, and what starts follows the recorded decision: a retried dispatch
finds it there and goes the same way. A training rulebook (either kind) is refused outside training
environments.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from actions.inbound import Inbound, Plan, agency_of, event_action, event_target, parse_data
from actions.pipeline import Attempt, actor_of
from actions.schemas.events import PostVacatedData
from actions.selections.planning import begin
from actions.services import Services
from actions.talent import appointments
from actions.targets import Target
from domain import cloudevents as ce
from domain.errors import RuleViolation
from domain.ledger import Actor, LedgerEntryIn, entry_id
from domain.processes import ProcessKind, agency_chain_id
from domain.selection.rulebook import DEFAULT_SELECTION_RULEBOOK, rulebook_for_start
from domain.talent import rulebook as talent_rulebook
from domain.talent.filling import Candidate, Decision, decide
from domain.talent.records import TalentRecord
from domain.vacancies import Filling, from_decision, is_jpt, within_agency
from infra.tokens import Principal
from store import ledger
from store.talent import records
from store.talent_models import PoolMember
from workflows.selection_contracts import StartSelection, selection_workflow_id
from workflows.talent_contracts import StartTalentAppointment, talent_appointment_workflow_id

log = structlog.get_logger(__name__)
KIND = ProcessKind.SELECTION


def _inbound(a: Attempt[Any]) -> Inbound:
    found: Inbound = a.target.row
    return found


def _data(a: Attempt[Any]) -> PostVacatedData:
    data: PostVacatedData = _inbound(a).data
    return data


def selection_code(data: PostVacatedData) -> str:
    return f"{data.post_id}-{data.vacated_on:%Y%m%d}"


async def _locate(services: Services, principal: Principal, found: Inbound) -> Target:  # noqa: ARG001 - a locator
    data = parse_data(PostVacatedData, found.event)
    agency = agency_of(principal, data.agency)
    try:
        process_id = selection_workflow_id(agency, selection_code(data))
    except ValueError as err:
        raise RuleViolation(
            f"The agency '{agency}' cannot name a selection: {err}.",
            code="validation_error",
            field="data.agency",
        ) from err
    return event_target(
        KIND,
        process_id,
        agency,
        Inbound(found.event, found.ref, found.stored, data),
        label=f"vacancy of post {data.post_id}",
    )


def _check_values(a: Attempt[ce.CloudEvent]) -> None:
    """A JPT post needs what either route starts with."""
    data = _data(a)
    if not is_jpt(data.post_level):
        return
    missing = [
        {"field": f"data.{name}", "message": "required to fill a JPT post"}
        for name in ("post_title", "appointing_authority_id")
        if getattr(data, name) is None
    ]
    if missing:
        names = ", ".join(f["field"] for f in missing)
        raise RuleViolation(
            f"A vacant JPT post needs {names}.", code="validation_error", fields=missing
        )
    env = a.services.settings.env
    for field, check in (
        ("rulebook_version", rulebook_for_start),
        ("talent_rulebook_version", talent_rulebook.rulebook_for_start),
    ):
        try:
            check(getattr(data, field), env)
        except RuleViolation as err:  # a version the event names: a value of the event's data
            raise RuleViolation(err.message, code=err.code, field=f"data.{field}") from err


async def decision_for(services: Services, agency: str, data: PostVacatedData) -> Decision:
    """The rules' answer for this vacancy, from the records as they stand."""
    rb = talent_rulebook.rulebook_for_start(data.talent_rulebook_version, services.settings.env)
    async with services.sessions() as session:
        approval = await records.current_approval(session, agency)
        post = await records.get_post(session, agency, data.post_id)
        plan = await records.plan_of(session, agency, data.post_id) if post else []
        candidates = []
        for s in plan:
            record = await records.get_profile(session, s.nip)
            if record is None:  # an HR source over HTTP: the record the pool was built on
                member = await session.get(PoolMember, (agency, s.nip))
                record = TalentRecord.model_validate(member.record) if member else None
            if record is not None:
                candidates.append(Candidate(successor=s, record=record))
    return decide(
        post_level=data.post_level,
        filled_by=data.filled_by,
        approval=approval,
        has_plan=post is not None,
        candidates=candidates,
        rb=rb,
        on=data.vacated_on,
    )


async def _record_routing(
    services: Services,
    agency: str,
    data: PostVacatedData,
    ref: str,
    decision: Decision,
    actor: Actor,
) -> Decision:
    """Append the decision once per event; the recorded one is what is dispatched, so a retried
    event goes where the first went even if the records changed in between."""
    chain = agency_chain_id(ProcessKind.TALENT_RECORDS, agency)
    now = datetime.now(UTC)
    entry = LedgerEntryIn(
        entry_id=entry_id(chain, "vacancy", ref[:64]),
        process_id=chain,
        process_kind=ProcessKind.TALENT_RECORDS,
        kind="vacancy.routed",
        outcome="accepted",
        actor=actor,
        subject=data.post_id,
        agency=agency,
        payload={
            "post_id": data.post_id,
            "vacated_on": data.vacated_on.isoformat(),
            "decision": decision.model_dump(mode="json"),
        },
        justification=decision.reason,
        rulebook_version=decision.rulebook_version,
        occurred_at=now,
    )
    row, _ = await services.writer.run(lambda s: ledger.append(s, entry, recorded_at=now))
    return Decision.model_validate(row.payload["decision"])


async def _plan(a: Attempt[ce.CloudEvent]) -> Plan:
    data = _data(a)
    if not is_jpt(data.post_level):
        return _not_started(data, within_agency(data.post_level))
    agency, found = str(a.target.agency), _inbound(a)
    decided = await decision_for(a.services, agency, data)
    decision = await _record_routing(
        a.services, agency, data, found.ref, decided, actor_of(a.principal)
    )
    selection = StartSelection(
        agency=agency,
        code=selection_code(data),
        post_title=str(data.post_title),
        post_level=data.post_level,
        rulebook_version=data.rulebook_version or DEFAULT_SELECTION_RULEBOOK,
        appointing_authority_id=str(data.appointing_authority_id),
        oversight_body=data.oversight_body,
        assessment_body=data.assessment_body,
        requested_by=actor_of(a.principal),
        trigger=f"event:{found.event.source}#{found.event.id}",
    )
    if decision.route == "talent_management" and decision.successor is not None:
        return _talent_plan(a, data, decision, selection)
    process_id = a.target.process_id

    async def dispatch() -> dict[str, Any]:
        if not (await begin(a.services, process_id, selection)).finished:
            return {}
        return {
            "detail": f"The selection {process_id} for this vacancy has already finished; "
            "nothing was started."
        }

    return _routed(data, decision, process_id, KIND, "selections", dispatch)


def _talent_plan(
    a: Attempt[ce.CloudEvent], data: PostVacatedData, decision: Decision, selection: StartSelection
) -> Plan:
    assert decision.successor is not None
    agency = selection.agency
    process_id = talent_appointment_workflow_id(agency, data.post_id, data.vacated_on)
    start = StartTalentAppointment(
        agency=agency,
        post_id=data.post_id,
        post_title=str(data.post_title),
        post_level=data.post_level,
        vacated_on=data.vacated_on,
        successor_nip=decision.successor.nip,
        successor_name=decision.successor.name,
        appointing_authority_id=str(data.appointing_authority_id),
        oversight_body=data.oversight_body,
        rulebook_version=decision.rulebook_version,
        decision=decision.model_dump(mode="json"),
        fallback=selection,
        requested_by=actor_of(a.principal),
    )

    async def dispatch() -> dict[str, Any]:
        await appointments.begin(a.services, process_id, start)
        return {}

    kind = ProcessKind.TALENT_APPOINTMENT
    return _routed(data, decision, process_id, kind, "talent-appointments", dispatch)


def _routed(
    data: PostVacatedData,
    decision: Decision,
    process_id: str,
    kind: ProcessKind,
    route: str,
    dispatch: Any,
) -> Plan:
    filling = from_decision(decision)
    return Plan(
        detail=f"{filling.reason} {process_id} is starting; follow GET /v1/{route}/{process_id}.",
        process_id=process_id,
        process_kind=kind,
        dispatch=dispatch,
        extra={
            "post_id": data.post_id,
            "filled_by": filling.route,
            "legal_basis": filling.legal_basis,
            "checks": [c.model_dump(mode="json") for c in decision.checks],
        },
    )


def _not_started(data: PostVacatedData, filling: Filling) -> Plan:
    return Plan(
        detail=f"Recorded, nothing started: {filling.reason} ({filling.legal_basis})",
        routed=False,
        extra={
            "post_id": data.post_id,
            "filled_by": filling.route,
            "legal_basis": filling.legal_basis,
        },
    )


VACATED = event_action(
    name="selection.open_for_vacancy",
    kind=KIND,
    refused="selection.start_refused",
    locate=_locate,
    precheck=_check_values,
    plan=_plan,
    summary="Fill a vacated JPT post from the talent pool or by open selection, as the rules "
    "decide; record why nothing is started for any other post",
)
