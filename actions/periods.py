"""Promotion periods: opened by an HR event (``id.go.bkn.promotion_period.opened.v1``).

The event's target is the period (``promotion-period-<agency>-<YYYY-MM>``), so a refused event is
recorded on the period's chain. What it does depends on the period as its row shows it:

- none yet: the row is stored with the event, and the period starts one promotion per employee;
- starting or running: an event that carries only employees the period already has (or none, to
  pull the agency's candidates) joins it; one that carries new employees is refused 409, to be sent
  again once the period has completed (it would otherwise be dropped);
- completed: the period is opened again for the employees it carries (or, carrying none, the
  agency's candidates) that have no promotion in that period, and the answer lists which were
  started and which already had one — never a silent 202.

Every new period event is checked against the rulebook of its period and today's submission window
(``domain.rulebook.check_submission_window``); a repeat of a handled event is answered from its
stored row without that check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from actions import temporal
from actions.inbound import (
    Inbound,
    Plan,
    agency_of,
    event_action,
    event_target,
    in_data,
    inbound,
    parse_data,
)
from actions.pipeline import Attempt, actor_of
from actions.registry import spec
from actions.schemas.events import PeriodOpenedData
from actions.services import Services
from actions.targets import Target
from domain import cloudevents as ce
from domain.enums import PromotionType
from domain.errors import Conflict, DomainError, RuleViolation
from domain.processes import ProcessKind
from domain.rulebook import check_period, check_submission_window, rulebook_for_period
from infra.tokens import Principal
from store import events as store_events
from store.event_models import PromotionPeriod
from workflows.promotion_period import (
    PeriodInput,
    PromotionPeriodWorkflow,
    promotion_period_workflow_id,
)

log = structlog.get_logger(__name__)
KIND = ProcessKind.PROMOTION_PERIOD
# Employees named by an event are checked against the employee table, when that is the HR source.
UNKNOWN_SHOWN = 10


def _data(a: Attempt[Any]) -> PeriodOpenedData:
    data: PeriodOpenedData = inbound(a).data
    return data


def _row(a: Attempt[Any]) -> PromotionPeriod | None:
    row: PromotionPeriod | None = inbound(a).extra
    return row


async def _locate(services: Services, principal: Principal, found: Inbound) -> Target:
    data = parse_data(PeriodOpenedData, found.event)
    agency = agency_of(principal, data.agency)
    period_id = promotion_period_workflow_id(agency, data.period)
    async with services.sessions() as session:
        row = await store_events.get_period(session, period_id)
    return event_target(
        KIND,
        period_id,
        agency,
        Inbound(found.event, found.ref, found.stored, data, row),
        label=f"promotion period {period_id}",
        stage=row.status if row is not None else None,
        rulebook_version=row.rulebook_version if row is not None else None,
    )


def _check_period(a: Attempt[ce.CloudEvent]) -> None:
    """The rulebook of the period allows it, and today's submission window still takes it."""
    period = _data(a).period
    try:
        rulebook = rulebook_for_period(period)
        check_period(rulebook, period)
        check_submission_window(rulebook, period, a.now.date())
    except DomainError as err:
        raise in_data(err) from err


async def _plan(a: Attempt[ce.CloudEvent]) -> Plan:
    data, row = _data(a), _row(a)
    if data.nips is not None and a.services.settings.hr_source == "table":
        await _check_members(a.services, str(a.target.agency), data.nips)
    if row is None:
        return _first_opening(a)
    if row.status != "completed":
        return await _join(a, row)
    return await _open_again(a, row)


async def _check_members(services: Services, agency: str, nips: list[str]) -> None:
    async with services.sessions() as session:
        known = await store_events.nips_in_agency(session, agency, nips)
    unknown = [n for n in nips if n not in known]
    if unknown:
        shown = ", ".join(unknown[:UNKNOWN_SHOWN]) + (" …" if len(unknown) > UNKNOWN_SHOWN else "")
        raise RuleViolation(
            f"{len(unknown)} of the NIPs are not employees of {agency} on file: {shown}.",
            code="employees_not_in_agency",
            fields=[{"field": "data.nips", "message": f"not employees of {agency}: {shown}"}],
        )


def _input(a: Attempt[ce.CloudEvent], **carried: Any) -> PeriodInput:
    """The workflow's input; a period that exists keeps its rulebook and type."""
    data, row, settings = _data(a), _row(a), a.services.settings
    rulebook = a.target.rulebook_version or rulebook_for_period(data.period).version
    return PeriodInput(
        period_id=a.target.process_id,
        agency=str(a.target.agency),
        period=data.period,
        promotion_type=PromotionType(row.promotion_type) if row is not None else data.type,
        rulebook_version=rulebook,
        requested_by=actor_of(a.principal),
        promotion_task_queue=spec(ProcessKind.PROMOTION).queue(a.services),
        max_in_flight=settings.period_max_in_flight,
        children_per_run=settings.period_children_per_run,
        page_size=settings.period_page_size,
        **carried,
    )


def _first_opening(a: Attempt[ce.CloudEvent]) -> Plan:
    inp = _input(a, nips=_data(a).nips)
    now = datetime.now(UTC)
    row = {
        "id": inp.period_id,
        "agency": inp.agency,
        "period": inp.period,
        "promotion_type": inp.promotion_type.value,
        "rulebook_version": inp.rulebook_version,
        "member_source": "list" if inp.nips is not None else "hr_source",
        "status": "starting",
        "event_ref": inbound(a).ref,
        "requested_by": a.principal.sub,
        "created_at": now,
        "updated_at": now,
    }

    async def dispatch() -> dict[str, Any]:
        await _start(a.services, inp, reuse=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        return {}

    return Plan(
        detail=f"The promotion period {inp.period_id} is starting one promotion per employee; "
        f"follow GET /v1/promotion-periods/{inp.period_id}.",
        process_id=inp.period_id,
        process_kind=KIND,
        period_row=row,
        dispatch=dispatch,
    )


async def _partition(
    services: Services, row: PromotionPeriod, nips: list[str]
) -> tuple[list[str], list[str]]:
    """``(new, existing)``: the NIPs with no promotion in the period, and the others."""
    async with services.sessions() as session:
        members = await store_events.members_among(session, row.id, nips)
        promoted = await store_events.promoted_among(session, row.period, nips)
    have = members | promoted
    return [n for n in nips if n not in have], [n for n in nips if n in have]


async def _join(a: Attempt[ce.CloudEvent], row: PromotionPeriod) -> Plan:
    """A period still starting its promotions: join it, unless the event brings new employees."""
    nips = _data(a).nips
    if nips is not None:
        new, _ = await _partition(a.services, row, nips)
        if new:
            raise Conflict(
                f"The promotion period {row.id} is still starting its promotions, and {len(new)} "
                "of the NIPs are not among its employees; send the event again once GET "
                f"/v1/promotion-periods/{row.id} shows it completed, and they will be started.",
                code="period_still_starting",
            )
    # Its own employees: should the first event have stopped before starting the workflow, this
    # start is the period's first.
    inp = _input(a, nips=nips)

    async def dispatch() -> dict[str, Any]:
        await _start(a.services, inp, reuse=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        return {}

    return Plan(
        detail=f"The promotion period {row.id} is already starting one promotion per employee; "
        f"follow GET /v1/promotion-periods/{row.id}.",
        process_id=row.id,
        process_kind=KIND,
        dispatch=dispatch,
    )


async def _open_again(a: Attempt[ce.CloudEvent], row: PromotionPeriod) -> Plan:
    """A completed period: start promotions for the employees it carries that have none."""
    nips = _data(a).nips
    if nips is None:
        async with a.services.sessions() as session:
            nips = await store_events.agency_nips(session, row.agency)
    new, existing = await _partition(a.services, row, nips)
    inp = _input(
        a,
        nips=new,
        opening=inbound(a).ref[:16],
        requested=row.requested or 0,
        cursor=row.requested or 0,
        started=row.started,
        already_running=row.already_running,
        run=row.runs + 1,
    )

    async def dispatch() -> dict[str, Any]:
        if new:
            await _start(a.services, inp, reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE)
        return {"started": new, "already_existed": existing}

    if new:
        detail = (
            f"The promotion period {row.id} had completed; it is starting {len(new)} promotion(s) "
            f"for employees who had none in it ({len(existing)} already had one); follow GET "
            f"/v1/promotion-periods/{row.id}."
        )
    else:
        detail = (
            f"The promotion period {row.id} has completed, and every one of the {len(existing)} "
            "employee(s) already has a promotion in it: nothing was started."
        )
    return Plan(detail=detail, process_id=row.id, process_kind=KIND, dispatch=dispatch)


async def _start(services: Services, inp: PeriodInput, *, reuse: WorkflowIDReusePolicy) -> None:
    if inp.opening is None:
        policy = WorkflowIDConflictPolicy.USE_EXISTING
    else:  # an opening of its own: another run that is still open must not swallow it
        policy = WorkflowIDConflictPolicy.FAIL
    try:
        await temporal.guard_rpc(
            services.client.start_workflow(
                PromotionPeriodWorkflow.run,
                inp,
                id=inp.period_id,
                task_queue=spec(KIND).queue(services),
                id_conflict_policy=policy,
                id_reuse_policy=reuse,
            )
        )
    except WorkflowAlreadyStartedError as err:
        if inp.opening is None:
            # Finished, maybe long gone from Temporal: the row says so, and nothing is started.
            log.info("period.already_exists", period_id=inp.period_id)
            return
        raise temporal.unavailable(
            "the period's last run is still closing, or another event is opening it again"
        ) from err


OPENED = event_action(
    name="promotion_period.open",
    kind=KIND,
    refused="promotion_period.start_refused",
    locate=_locate,
    precheck=_check_period,
    plan=_plan,
    summary="Open (or open again) an agency's promotion period from an HR event",
    # Who may (actions/policy.py): an HR system sends the event; an agency's HR officer opens the
    # same period in the console.
)
