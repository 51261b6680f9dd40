"""A vacated post (``id.go.bkn.post.vacated.v1``): an open selection, or the reason there is none.

The event's target is the selection for that vacancy, ``selection-<agency>-<post_id>-<YYYYMMDD>``
(the day the post fell vacant, so a post vacated again years later gets a selection of its own and
two HR systems reporting one vacancy start one). Where the law fills the post another way
(``domain.vacancies.how_filled``: not a JPT post, or a JPT post filled from an approved talent
pool), nothing is started and the stored event says why; the answer names the process it started.

The selection starts the one way every selection does (``actions.selections.planning.begin``, as
the API's START), pinned to the rulebook the event names, refused as a training one outside
training environments.
"""

from __future__ import annotations

from typing import Any

import structlog

from actions.inbound import Inbound, Plan, agency_of, event_action, event_target, parse_data
from actions.pipeline import Attempt, actor_of
from actions.schemas.events import PostVacatedData
from actions.selections.planning import begin
from actions.services import Services
from actions.targets import Target
from domain import cloudevents as ce
from domain.errors import RuleViolation
from domain.processes import ProcessKind
from domain.selection.rulebook import DEFAULT_SELECTION_RULEBOOK, rulebook_for_start
from domain.vacancies import Filling, how_filled
from infra.tokens import Principal
from workflows.selection_contracts import StartSelection, selection_workflow_id

log = structlog.get_logger(__name__)
KIND = ProcessKind.SELECTION


def _data(a: Attempt[Any]) -> PostVacatedData:
    found: Inbound = a.target.row
    data: PostVacatedData = found.data
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
        label=f"selection {process_id}",
    )


def _check_values(a: Attempt[ce.CloudEvent]) -> None:
    """A post filled by open selection needs what a selection starts with."""
    data = _data(a)
    if not how_filled(data.post_level, data.filled_by).open_selection:
        return
    missing = [
        {"field": f"data.{name}", "message": "required to start an open selection"}
        for name in ("post_title", "appointing_authority_id")
        if getattr(data, name) is None
    ]
    if missing:
        names = ", ".join(f["field"] for f in missing)
        raise RuleViolation(
            f"A JPT post filled by open selection needs {names}.",
            code="validation_error",
            fields=missing,
        )
    try:
        rulebook_for_start(data.rulebook_version, a.services.settings.env)
    except RuleViolation as err:  # a version the event names: a value of the event's data
        raise RuleViolation(err.message, code=err.code, field="data.rulebook_version") from err


async def _plan(a: Attempt[ce.CloudEvent]) -> Plan:
    data = _data(a)
    filling = how_filled(data.post_level, data.filled_by)
    if not filling.open_selection:
        return _not_started(data, filling)
    start = StartSelection(
        agency=str(a.target.agency),
        code=selection_code(data),
        post_title=str(data.post_title),
        post_level=data.post_level,
        rulebook_version=data.rulebook_version or DEFAULT_SELECTION_RULEBOOK,
        appointing_authority_id=str(data.appointing_authority_id),
        oversight_body=data.oversight_body,
        assessment_body=data.assessment_body,
        requested_by=actor_of(a.principal),
        trigger=f"event:{a.target.row.event.source}#{a.target.row.event.id}",
    )
    process_id = a.target.process_id

    async def dispatch() -> dict[str, Any]:
        if not (await begin(a.services, process_id, start)).finished:
            return {}
        return {
            "detail": f"The selection {process_id} for this vacancy has already finished; "
            "nothing was started."
        }

    return Plan(
        detail=f"{filling.reason} The selection {process_id} is starting at the planning stage; "
        f"follow GET /v1/selections/{process_id}.",
        process_id=process_id,
        process_kind=KIND,
        dispatch=dispatch,
        extra={"post_id": data.post_id, "filled_by": filling.route},
    )


def _not_started(data: PostVacatedData, filling: Filling) -> Plan:
    return Plan(
        detail=f"Recorded, no selection started: {filling.reason} ({filling.legal_basis})",
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
    summary="Start an open selection for a vacated JPT post, or record why none is started",
)
