"""Starting a selection and planning it: panel, scoring scheme, plan, announcement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from pydantic import BaseModel
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from actions import temporal
from actions.pipeline import Action, Attempt
from actions.registry import spec
from actions.schemas.selections import (
    AnnouncementCreate,
    NoteBody,
    PanelUpdate,
    SchemeUpdate,
    SelectionCreate,
    SelectionRead,
)
from actions.selections.common import (
    same_agency,
    to_read,
    update,
    visible,
)
from actions.services import Services
from actions.targets import Target
from activities.selection_contracts import SelectionIdentity
from domain.errors import NotFound, RuleViolation
from domain.processes import ProcessKind
from domain.selection.panel import validate_panel
from domain.selection.registration import announced_window
from domain.selection.rulebook import get_selection_rulebook, rulebook_for_start
from domain.selection.scheme import validate_scheme
from infra.tokens import Principal
from store import selections
from workflows.selection import OpenSelectionWorkflow
from workflows.selection_contracts import (
    ActorInput,
    AnnounceInput,
    PanelInput,
    SchemeInput,
    StartSelection,
    selection_workflow_id,
)

log = structlog.get_logger(__name__)


class Started(BaseModel):
    """A start's answer: the selection, and whether this request created it."""

    created: bool
    selection: SelectionRead


# ---- start --------------------------------------------------------------------------------------


async def _locate(_: Services, principal: Principal, body: SelectionCreate) -> Target:
    agency = body.agency or principal.agency
    if agency is None:
        raise RuleViolation(
            "Name the agency: your token carries none.",
            code="agency_required",
            field="agency",
        )
    if not same_agency(principal, agency):
        # Another agency is not the caller's to see, let alone to start selections for.
        raise NotFound(f"No agency '{agency}' is visible to you.", code="not_found", field="agency")
    try:
        pid = selection_workflow_id(agency, body.code)
    except ValueError as err:
        raise RuleViolation(
            f"The agency code {agency!r} cannot name a selection: {err}.",
            code="validation_error",
            field="agency",
        ) from err
    return Target(ProcessKind.SELECTION, pid, agency, None, body.code, body.rulebook_version)


def _check_rulebook(a: Attempt[SelectionCreate]) -> None:
    rulebook_for_start(a.body.rulebook_version, a.services.settings.env)


async def _start(a: Attempt[SelectionCreate]) -> Started:
    body, target = a.body, a.target
    rb = rulebook_for_start(body.rulebook_version, a.services.settings.env)
    start = StartSelection(
        agency=str(target.agency),
        code=body.code,
        post_title=body.post_title,
        post_level=body.post_level,
        rulebook_version=rb.version,
        appointing_authority_id=body.appointing_authority_id,
        oversight_body=body.oversight_body,
        assessment_body=body.assessment_body,
        requested_by=a.actor,
    )
    begun = await begin(a.services, target.process_id, start)
    async with a.services.sessions() as session:
        sel = await selections.get(session, target.process_id)
    assert sel is not None
    return Started(created=begun.created, selection=to_read(sel, show_shortlist=True))


@dataclass(frozen=True)
class Begun:
    """What starting did: ``created`` the selection (its row was inserted by this call), or found
    it ``finished`` (a finished selection holds the id; nothing was started)."""

    created: bool
    finished: bool


async def begin(services: Services, process_id: str, start: StartSelection) -> Begun:
    """The one way a selection starts (the API's START, a vacated post's event): its read-model row
    inserted if absent, then its workflow started, or joined while it runs.

    The row exists before the workflow does: it is every SQL write's gate, and whether this call
    inserted it is whether it created the selection (no private SDK attribute is read for that).
    """
    identity = SelectionIdentity(**start.model_dump(include=set(SelectionIdentity.model_fields)))
    async with services.sessions() as session, session.begin():
        created = await selections.insert_if_absent(
            session, process_id, identity, datetime.now(UTC)
        )
    try:
        await temporal.guard_rpc(
            services.client.start_workflow(
                OpenSelectionWorkflow.run,
                start,
                id=process_id,
                task_queue=spec(ProcessKind.SELECTION).queue(services),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        )
    except WorkflowAlreadyStartedError:
        # A finished selection with this id: return it, start nothing.
        log.info("selection.already_exists", process_id=process_id)
        return Begun(created=created, finished=True)
    return Begun(created=created, finished=False)


START = Action(
    name="selection.start",
    kind=ProcessKind.SELECTION,
    refused="selection.start_refused",
    body=SelectionCreate,
    result=Started,
    locate=_locate,
    visible=visible,
    precheck=_check_rulebook,
    execute=_start,
    subject=lambda b: b.code,
    summary="Start a selection; the same agency and code returns the existing one (200)",
)


# ---- planning -----------------------------------------------------------------------------------


def _check_panel(a: Attempt[PanelUpdate]) -> None:
    validate_panel(a.body.members, get_selection_rulebook(a.target.row.rulebook_version))


async def _set_panel(a: Attempt[PanelUpdate]) -> SelectionRead:
    arg = PanelInput(actor=a.actor, members=a.body.members)
    return await update(a, OpenSelectionWorkflow.set_panel, arg)


PANEL = Action(
    name="selection.set_panel",
    kind=ProcessKind.SELECTION,
    refused="selection.panel_refused",
    body=PanelUpdate,
    result=SelectionRead,
    visible=visible,
    precheck=_check_panel,
    execute=_set_panel,
    summary="Set the panel (Pansel); its composition is checked against the rulebook",
)


def _check_scheme(a: Attempt[SchemeUpdate]) -> None:
    validate_scheme(a.body.scheme)


async def _set_scheme(a: Attempt[SchemeUpdate]) -> SelectionRead:
    arg = SchemeInput(actor=a.actor, scheme=a.body.scheme, scorers=a.body.scorers)
    return await update(a, OpenSelectionWorkflow.set_scheme, arg)


SCHEME = Action(
    name="selection.set_scheme",
    kind=ProcessKind.SELECTION,
    refused="selection.scheme_refused",
    body=SchemeUpdate,
    result=SelectionRead,
    visible=visible,
    precheck=_check_scheme,
    execute=_set_scheme,
    summary="Set the scoring scheme and who scores each component",
)


async def _submit_plan(a: Attempt[NoteBody]) -> SelectionRead:
    return await update(
        a, OpenSelectionWorkflow.submit_plan, ActorInput(actor=a.actor, note=a.body.note)
    )


SUBMIT_PLAN = Action(
    name="selection.submit_plan",
    kind=ProcessKind.SELECTION,
    refused="selection.plan_refused",
    body=NoteBody,
    result=SelectionRead,
    visible=visible,
    execute=_submit_plan,
    summary="Send the plan (panel and scheme) to the oversight body's review",
)


def _check_window(a: Attempt[AnnouncementCreate]) -> None:
    b = a.body
    rb = get_selection_rulebook(a.target.row.rulebook_version)
    announced_window(
        rb, opens=b.opens, closes=b.closes, opens_at=b.opens_at, closes_at=b.closes_at, now=a.now
    )


async def _announce(a: Attempt[AnnouncementCreate]) -> SelectionRead:
    b = a.body
    arg = AnnounceInput(
        actor=a.actor,
        opens=b.opens,
        closes=b.closes,
        opens_at=b.opens_at,
        closes_at=b.closes_at,
        text=b.text,
    )
    return await update(a, OpenSelectionWorkflow.announce, arg)


ANNOUNCE = Action(
    name="selection.announce",
    kind=ProcessKind.SELECTION,
    refused="selection.announcement_refused",
    body=AnnouncementCreate,
    result=SelectionRead,
    visible=visible,
    precheck=_check_window,
    execute=_announce,
    summary="Announce the selection and set the registration window",
)
