"""Open selection for high leadership posts (seleksi terbuka JPT): the committee's API.

Stage-level actions (panel, scheme, plan, announcement, closing a stage, plenary, appointment,
cancellation) are updates of ``OpenSelectionWorkflow``; candidate-level writes (registrations,
screening decisions, conflict declarations, scores) go straight to SQL in one locked transaction
(``store.selections``), so the workflow's history stays small however many applicants there are.

Authorization, in this order: the role admits the caller; the caller's agency must be the
selection's (a token without an agency claim is national: bkn, admin, and the like); then the
object: committee actions need a seat on THIS selection's panel, scorer actions an assignment to
THAT component (checked by the store in the write's own transaction), appointment and cancellation
the appointing authority named at the start. Every refusal of an existing selection is recorded in
its ledger (``api.refusals.record_refusal``) before the error is answered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn, TypeVar

import structlog
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from actions.schemas.selections import (
    AnnouncementCreate,
    ApplicantCreate,
    ApplicantPage,
    ApplicantRead,
    AppointmentCreate,
    CancelCreate,
    CountsRead,
    DeclarationCreate,
    DeclarationRead,
    ImportResult,
    NoteBody,
    PanelMemberRead,
    PanelRead,
    PanelUpdate,
    RegistrationRead,
    SchemeUpdate,
    ScoreList,
    ScoreRead,
    ScoreSubmit,
    ScreeningDecision,
    ScreeningRead,
    ScreeningRow,
    SelectionCreate,
    SelectionPage,
    SelectionRead,
    ShortlistRead,
    VoteCreate,
)
from actions.temporal import refusal_of
from activities.selection_contracts import SelectionIdentity, SelectionViewData
from api import idempotency
from api.auth import PrincipalDep, actor_of, can_see_agency, require_roles
from api.deps import ClientDep, ContextDep, SessionDep
from api.errors import ApiError, responses, status_for, validation_error
from api.idempotency import IdempotencyKeyHeader
from api.refusals import record_refusal
from domain.enums import Role
from domain.errors import DomainError, NotYourStep
from domain.selection.panel import PanelRole, validate_panel
from domain.selection.rulebook import SELECTION_RULEBOOKS, get_selection_rulebook
from domain.selection.screening import ApplicantProfile
from domain.selection.stages import Stage
from infra.tokens import Principal
from store import selections
from store.selection_models import (
    Selection,
    SelectionApplicant,
    SelectionPanelMember,
    SelectionScore,
)
from workflows.selection_contracts import (
    ActorInput,
    AnnounceInput,
    AppointInput,
    CancelInput,
    ComponentInput,
    PanelInput,
    SchemeInput,
    SelectionState,
    StartSelection,
    VoteInput,
    selection_workflow_id,
)

router = APIRouter(prefix="/v1/selections", tags=["selections"])
log = structlog.get_logger(__name__)

WORKFLOW = "OpenSelectionWorkflow"
DEFAULT_RULEBOOK = next(iter(SELECTION_RULEBOOKS))
STARTERS = require_roles(Role.AGENCY_HR, Role.HR_SYSTEM)
NATIONAL_ROLES = {Role.BKN.value, Role.ADMIN.value}
REGISTRARS = {Role.AGENCY_HR.value, Role.HR_SYSTEM.value, Role.ADMIN.value}
# Roles that see candidates' personal data (NIP, birth date) besides the selection's own panel.
APPLICANT_READERS = {
    Role.AGENCY_HR.value,
    Role.HR_SYSTEM.value,
    Role.AUDITOR.value,
    Role.BKN.value,
    Role.ADMIN.value,
}
SECRETARIAT = {PanelRole.CHAIR.value, PanelRole.SECRETARY.value}
# The shortlist is public once the plenary approved it; the committee sees it as it is proposed.
SHORTLIST_PUBLIC_STAGES = {
    Stage.OVERSIGHT_REVIEW.value,
    Stage.APPOINTMENT.value,
    Stage.COMPLETED.value,
}

CSV_MAX_BYTES = 5 * 1024 * 1024
CSV_MAX_ROWS = 10_000
CSV_COLUMNS = (
    "applicant_id",
    "nip",
    "name",
    "degree",
    "years_experience",
    "years_senior_post",
    "birth_date",
    "grade",
    "sanction_active",
)
CSV_ERRORS_LISTED = 500
_TRUE = {"true", "1", "yes", "y", "ya"}
_FALSE = {"false", "0", "no", "n", "tidak", ""}

# Refusal codes (domain errors raised by the store, ApplicationError types raised by the
# workflow) and the status each is answered with. Unlisted: by the error's class, or 409.
_409 = (
    "wrong_stage",
    "registration_closed",
    "registration_not_open",
    "component_not_open",
    "screening_incomplete",
    "scores_missing",
    "already_voted",
    "process_closed",
    "update_refused",
)
_403 = (
    "not_panel_member",
    "not_assigned",
    "conflict_of_interest",
    "scores_blind",
    "not_chair_or_secretary",
    "not_appointing_authority",
    "not_eligible_to_vote",
    "agency_out_of_scope",
    "forbidden_role",
)
_404 = ("not_found", "selection_not_found", "applicant_not_found", "unknown_component")
_422 = (
    # panel composition (domain.selection.panel)
    "panel_size",
    "panel_not_odd",
    "internal_share",
    "chair_required",
    "secretary_required",
    "duplicate_member",
    # scheme (domain.selection.scheme) and its staffing (the workflow)
    "no_components",
    "duplicate_component",
    "pass_fail_weight",
    "pass_fail_cutoff",
    "weights_sum",
    "tie_break_unknown",
    "tie_break_duplicate",
    "scorers_required",
    "scorer_not_on_panel",
    "plan_incomplete",
    # candidate-level rules (store.selections)
    "applicant_exists",
    "justification_required",
    "declaration_required",
    "score_locked",
    "invalid_score",
    "applicant_not_eligible",
    # stage rules that are a rule broken, not a wrong moment
    "not_shortlisted",
    "plenary_quorum_not_met",
    "registration_window_too_short",
    "rulebook_not_found",
    "validation_error",
    "csv_invalid",
    "empty_import",
    "rule_violation",
)
STATUS_BY_CODE: dict[str, int] = {
    **dict.fromkeys(_409, 409),
    **dict.fromkeys(_403, 403),
    **dict.fromkeys(_404, 404),
    **dict.fromkeys(_422, 422),
}

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def selection_error(err: DomainError) -> DomainError:
    """A domain refusal as this API answers it: by code first, then by class (not your step: 403)."""
    fallback = 403 if isinstance(err, NotYourStep) else status_for(err)
    return ApiError(STATUS_BY_CODE.get(err.code, fallback), err.code, err.message, err.fields)


def same_agency(principal: Principal, agency: str) -> bool:
    return principal.role in NATIONAL_ROLES or can_see_agency(principal, agency)


# ---- reading ---------------------------------------------------------------------------------


def to_read(s: Selection, *, show_shortlist: bool = False) -> SelectionRead:
    public_shortlist = s.stage in SHORTLIST_PUBLIC_STAGES
    return SelectionRead(
        id=s.process_id,
        agency=s.agency,
        code=s.code,
        post_title=s.post_title,
        post_level=s.post_level,
        rulebook_version=s.rulebook_version,
        appointing_authority_id=s.appointing_authority_id,
        oversight_body=s.oversight_body,
        assessment_body=s.assessment_body,
        stage=s.stage,
        status=s.status,
        scheme=s.scheme,
        scheme_frozen=bool(s.scheme_frozen),
        components=dict(s.components or {}),
        registration=RegistrationRead(
            opens=s.registration_opens,
            closes=s.registration_closes,
            closes_at=s.registration_closes_at,
            extensions=s.extensions or 0,
        ),
        counts=CountsRead(applicants=s.applicants or 0, eligible=s.eligible or 0),
        waiting_for=list(s.waiting_for or []),
        shortlist=s.shortlist if (public_shortlist or show_shortlist) else None,
        plan_review_id=s.plan_review_id,
        shortlist_review_id=s.shortlist_review_id,
        return_count=s.return_count or 0,
        findings=s.findings,
        appointee_id=s.appointee_id,
        outcome_reason=s.outcome_reason,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


async def _panel_seat(
    session: AsyncSession, process_id: str, sub: str
) -> SelectionPanelMember | None:
    return await session.get(SelectionPanelMember, (process_id, sub))


def _is_scorer(s: Selection, sub: str) -> bool:
    return any(sub in ids for ids in (s.scorers or {}).values())


async def _privileged(session: AsyncSession, principal: Principal, s: Selection) -> bool:
    """May see the committee's working data: HR, oversight, audit, or a seat on this panel."""
    if principal.role in APPLICANT_READERS or principal.sub == s.appointing_authority_id:
        return True
    return await _panel_seat(session, s.process_id, principal.sub) is not None


async def _visible(session: AsyncSession, principal: Principal, process_id: str) -> Selection:
    s = await selections.get(session, process_id)
    if s is None or not same_agency(principal, s.agency):
        raise ApiError(404, "not_found", f"No selection '{process_id}' is visible to you.")
    return s


# ---- one action on one selection ----------------------------------------------------------------


class _Action:
    """One attempt to act on a selection: every way it can be refused ends in its ledger."""

    def __init__(
        self, ctx: ContextDep, sel: Selection, principal: Principal, request_id: str, kind: str
    ) -> None:
        self.ctx, self.sel, self.principal = ctx, sel, principal
        self.request_id, self.kind = request_id, kind
        self.actor = actor_of(principal)

    @classmethod
    async def load(
        cls, ctx: ContextDep, process_id: str, principal: Principal, request: Request, kind: str
    ) -> _Action:
        async with ctx.sessions() as session:
            sel = await selections.get(session, process_id)
        if sel is None:
            raise ApiError(404, "not_found", f"No selection '{process_id}' is known here.")
        action = cls(ctx, sel, principal, request.state.request_id, kind)
        if not same_agency(principal, sel.agency):
            await action.refuse(
                ApiError(
                    403,
                    "agency_out_of_scope",
                    f"Selection {process_id} belongs to agency {sel.agency}; your token is for "
                    f"{principal.agency}.",
                )
            )
        return action

    @property
    def pid(self) -> str:
        return self.sel.process_id

    async def refuse(self, error: DomainError, subject: str | None = None) -> NoReturn:
        s = self.sel
        await record_refusal(
            self.ctx.sessions,
            process_id=s.process_id,
            process_kind="selection",
            kind=self.kind,
            actor=self.actor,
            error=error,
            agency=s.agency,
            subject=subject,
            stage=s.stage,
            rulebook_version=s.rulebook_version,
            request_id=self.request_id,
        )
        raise error

    async def roles(self, *allowed: Role) -> None:
        names = {r.value for r in allowed} | {Role.ADMIN.value}
        if self.principal.role not in names:
            await self.refuse(
                ApiError(
                    403,
                    "forbidden_role",
                    f"The role '{self.principal.role}' may not do this; allowed: "
                    f"{', '.join(sorted(names))}.",
                )
            )

    async def parse(self, request: Request, model: type[M]) -> M:
        try:
            raw = await request.body()
        except DomainError as err:  # the size limit, raised while the body streams in
            await self.refuse(err)
        try:
            return model.model_validate_json(raw)
        except ValidationError as err:
            await self.refuse(validation_error(err.errors()))

    async def seat(self) -> SelectionPanelMember | None:
        async with self.ctx.sessions() as session:
            return await _panel_seat(session, self.pid, self.principal.sub)

    async def require_member(self) -> SelectionPanelMember:
        seat = await self.seat()
        if seat is None:
            await self.refuse(
                ApiError(
                    403,
                    "not_panel_member",
                    f"Only members of the panel of selection {self.pid} may do this.",
                )
            )
        return seat

    async def require_secretariat(self) -> None:
        seat = await self.require_member()
        if seat.role not in SECRETARIAT:
            await self.refuse(
                ApiError(
                    403,
                    "not_chair_or_secretary",
                    f"Only the chair or the secretary of the panel of {self.pid} may do this.",
                )
            )

    async def require_planner(self) -> None:
        """Planning is the agency HR unit's, or the panel chair's or secretary's."""
        if self.principal.role in (Role.AGENCY_HR.value, Role.ADMIN.value):
            return
        seat = await self.seat()
        if seat is None or seat.role not in SECRETARIAT:
            await self.refuse(
                ApiError(
                    403,
                    "not_chair_or_secretary",
                    "The plan is prepared by the agency's HR unit or the panel's chair or "
                    "secretary.",
                )
            )

    async def require_appointing_authority(self) -> None:
        if self.principal.sub != self.sel.appointing_authority_id:
            await self.refuse(
                ApiError(
                    403,
                    "not_appointing_authority",
                    f"Only the appointing authority of selection {self.pid} may do this.",
                )
            )

    async def check(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except DomainError as err:
            await self.refuse(selection_error(err))

    async def write(
        self, fn: Callable[[AsyncSession], Awaitable[T]], subject: str | None = None
    ) -> T:
        """One locked transaction of ``store.selections``; a refusal is recorded after rollback."""
        try:
            async with self.ctx.sessions() as session, session.begin():
                return await fn(session)
        except DomainError as err:
            await self.refuse(selection_error(err), subject)

    async def update(self, client: Client, name: str, arg: BaseModel) -> SelectionState:
        handle = client.get_workflow_handle(self.pid)
        try:
            state: SelectionState = await handle.execute_update(
                name, arg, id=f"{name}-{self.request_id}", result_type=SelectionState
            )
            return state
        except WorkflowUpdateFailedError as err:
            await self.refuse(refusal_of(err))
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            await self.refuse(
                ApiError(
                    409,
                    "process_closed",
                    f"Selection {self.pid} is no longer running ({self.sel.stage}).",
                )
            )

    async def reread(self, *, show_shortlist: bool = True) -> SelectionRead:
        async with self.ctx.sessions() as session:
            sel = await selections.get(session, self.pid)
        assert sel is not None
        return to_read(sel, show_shortlist=show_shortlist)


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422)


# ---- start, list, read ------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=SelectionRead,
    responses=responses(200, 401, 403, 413, 422),
    summary="Start a selection; the same agency and code returns the existing one (200)",
)
async def start_selection(
    body: SelectionCreate,
    response: Response,
    request: Request,
    principal: Annotated[Principal, Depends(STARTERS)],
    ctx: ContextDep,
    client: ClientDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> SelectionRead:
    agency = body.agency or principal.agency
    if agency is None:
        raise ApiError(
            422,
            "agency_required",
            "Name the agency: your token carries none.",
            [{"field": "agency", "message": "required for a token without an agency"}],
        )
    if principal.agency is not None and agency != principal.agency:
        raise ApiError(
            403,
            "agency_out_of_scope",
            f"You may start selections of agency {principal.agency} only, not {agency}.",
        )
    process_id = selection_workflow_id(agency, body.code)
    version = body.rulebook_version or DEFAULT_RULEBOOK
    key = await idempotency.claim(
        ctx,
        principal,
        idempotency_key,
        scope="selections.start",
        body={**body.model_dump(mode="json"), "agency": agency},
        process_id=process_id,
    )
    try:
        get_selection_rulebook(version)
    except DomainError as err:
        error = ApiError(422, err.code, err.message)
        await record_refusal(
            ctx.sessions,
            process_id=process_id,
            process_kind="selection",
            kind="selection.start_refused",
            actor=actor_of(principal),
            error=error,
            agency=agency,
            subject=body.code,
            payload={"rulebook_version": version},
            request_id=request.state.request_id,
        )
        raise error from err
    start = StartSelection(
        agency=agency,
        code=body.code,
        post_title=body.post_title,
        post_level=body.post_level,
        rulebook_version=version,
        appointing_authority_id=body.appointing_authority_id,
        oversight_body=body.oversight_body,
        assessment_body=body.assessment_body,
        requested_by=actor_of(principal),
        trigger=f"idempotency-key:{idempotency_key}" if idempotency_key else None,
    )
    await _ensure_view(ctx, process_id, start)
    created = False
    if not key.replayed:
        created = await _start_workflow(client, ctx.settings.task_queue, process_id, start)
    response.status_code = 201 if created else 200
    await idempotency.complete(ctx, key, response, response.status_code)
    async with ctx.sessions() as fresh:
        sel = await selections.get(fresh, process_id)
    assert sel is not None
    return to_read(sel, show_shortlist=True)


async def _ensure_view(ctx: ContextDep, process_id: str, start: StartSelection) -> None:
    """The read-model row exists before the workflow does: it is every SQL write's gate, and the
    response has something to show. Written only when absent (the workflow owns it after)."""
    async with ctx.sessions() as session, session.begin():
        if await selections.get(session, process_id) is not None:
            return
        await selections.write_view(
            session,
            process_id,
            SelectionIdentity(
                agency=start.agency,
                code=start.code,
                post_title=start.post_title,
                post_level=start.post_level,
                rulebook_version=start.rulebook_version,
                appointing_authority_id=start.appointing_authority_id,
                oversight_body=start.oversight_body,
                assessment_body=start.assessment_body,
            ),
            SelectionViewData(stage=Stage.PLANNING.value, status="in_progress"),
            datetime.now(UTC),
        )


async def _start_workflow(
    client: Client, task_queue: str, process_id: str, start: StartSelection
) -> bool:
    """Start (or join) the workflow; True when this call started it."""
    try:
        handle = await client.start_workflow(
            WORKFLOW,
            start,
            id=process_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        # A finished selection with this agency and code: return it, start nothing.
        log.info("selection.already_exists", process_id=process_id)
        return False
    # The server says whether it started a run or the conflict policy joined a running one.
    started = getattr(getattr(handle, "_start_workflow_response", None), "started", True)
    return bool(started)


@router.get("", response_model=SelectionPage, responses=responses(401, 403, 422))
async def list_selections(
    principal: PrincipalDep,
    session: SessionDep,
    agency: str | None = None,
    stage: Stage | None = None,
    post_level: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> SelectionPage:
    if principal.agency is not None and principal.role not in NATIONAL_ROLES:
        if agency is not None and agency != principal.agency:
            raise ApiError(
                403, "agency_out_of_scope", "You can list your own agency's selections only."
            )
        agency = principal.agency
    try:
        rows, next_cursor = await selections.list_selections(
            session,
            agency=agency,
            stage=stage.value if stage else None,
            post_level=post_level,
            limit=limit,
            cursor=cursor,
        )
    except ValueError as err:
        raise ApiError(
            422,
            "validation_error",
            "The cursor is not one this API gave out.",
            [{"field": "cursor", "message": str(err)}],
        ) from err
    return SelectionPage(items=[to_read(r) for r in rows], next_cursor=next_cursor)


@router.get("/{process_id}", response_model=SelectionRead, responses=responses(401, 404))
async def get_selection(
    process_id: str, principal: PrincipalDep, session: SessionDep
) -> SelectionRead:
    s = await _visible(session, principal, process_id)
    return to_read(s, show_shortlist=await _privileged(session, principal, s))


# ---- planning ---------------------------------------------------------------------------------


@router.put(
    "/{process_id}/panel",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(PanelUpdate),
    summary="Set the panel (Pansel); its composition is checked against the rulebook",
)
async def set_panel(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.panel_refused")
    body = await a.parse(request, PanelUpdate)
    await a.require_planner()
    rulebook = get_selection_rulebook(a.sel.rulebook_version)
    await a.check(lambda: validate_panel(body.members, rulebook))
    await a.update(client, "set_panel", PanelInput(actor=a.actor, members=body.members))
    return await a.reread()


@router.get("/{process_id}/panel", response_model=PanelRead, responses=responses(401, 404))
async def get_panel(process_id: str, principal: PrincipalDep, session: SessionDep) -> PanelRead:
    await _visible(session, principal, process_id)
    members = await selections.panel(session, process_id)
    return PanelRead(
        process_id=process_id,
        members=[
            PanelMemberRead(
                id=m.member_id,
                name=m.name,
                role=m.role,
                internal=m.internal,
                affiliation=m.affiliation,
            )
            for m in members
        ],
    )


@router.put(
    "/{process_id}/scheme",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(SchemeUpdate),
    summary="Set the scoring scheme and who scores each component",
)
async def set_scheme(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.scheme_refused")
    body = await a.parse(request, SchemeUpdate)
    await a.require_planner()
    arg = SchemeInput(actor=a.actor, scheme=body.scheme, scorers=body.scorers)
    await a.update(client, "set_scheme", arg)
    return await a.reread()


@router.post(
    "/{process_id}/plan/submit",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    summary="Send the plan (panel and scheme) to the oversight body's review",
)
async def submit_plan(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.plan_refused")
    body = await _optional_note(a, request)
    await a.require_planner()
    await a.update(client, "submit_plan", ActorInput(actor=a.actor, note=body.note))
    return await a.reread()


async def _optional_note(a: _Action, request: Request) -> NoteBody:
    """The note is optional, and so is the body carrying it."""
    try:
        raw = await request.body()
    except DomainError as err:
        await a.refuse(err)
    return NoteBody() if not raw.strip() else await a.parse(request, NoteBody)


@router.post(
    "/{process_id}/announcement",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(AnnouncementCreate),
    summary="Announce the selection and set the registration window",
)
async def announce(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.announcement_refused")
    body = await a.parse(request, AnnouncementCreate)
    await a.require_planner()
    arg = AnnounceInput(actor=a.actor, opens=body.opens, closes=body.closes, text=body.text)
    await a.update(client, "announce", arg)
    return await a.reread()


# ---- registration -----------------------------------------------------------------------------


def _applicant_read(x: SelectionApplicant) -> ApplicantRead:
    return ApplicantRead(
        applicant_id=x.applicant_id,
        nip=x.nip,
        name=x.name,
        degree=x.degree,
        years_experience=x.years_experience,
        years_senior_post=x.years_senior_post,
        birth_date=x.birth_date,
        grade=x.grade,
        sanction_active=bool(x.sanction_active),
        source=x.source,
        registered_at=x.registered_at,
        auto_eligible=x.auto_eligible,
        auto_reasons=x.auto_reasons,
        decision=x.decision,
        final_eligible=x.final_eligible,
        decision_justification=x.decision_justification,
        decided_by=x.decided_by,
        decided_at=x.decided_at,
    )


@router.post(
    "/{process_id}/applicants",
    status_code=201,
    response_model=ApplicantRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(ApplicantCreate),
    summary="Register one applicant while registration is open",
)
async def register_applicant(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ApplicantRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.registration_refused")
    await a.roles(Role.AGENCY_HR, Role.HR_SYSTEM)
    body = await a.parse(request, ApplicantCreate)
    profile = ApplicantProfile.model_validate(body.model_dump())
    row = await a.write(
        lambda s: selections.register_applicant(
            s,
            process_id,
            profile,
            actor=a.actor,
            source="api",
            now=datetime.now(UTC),
            request_id=a.request_id,
        ),
        subject=profile.applicant_id,
    )
    return _applicant_read(row)


@router.post(
    "/{process_id}/applicants/import",
    status_code=201,
    response_model=ImportResult,
    responses=ACTION_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "description": "header: " + ",".join(CSV_COLUMNS)}
                }
            },
        }
    },
    summary="Register applicants from a CSV file: all rows or none",
)
async def import_applicants(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ImportResult:
    a = await _Action.load(ctx, process_id, principal, request, "selection.import_refused")
    await a.roles(Role.AGENCY_HR, Role.HR_SYSTEM)
    try:
        raw = await request.body()
    except DomainError as err:
        await a.refuse(err)
    if len(raw) > CSV_MAX_BYTES:
        await a.refuse(
            ApiError(
                413,
                "csv_too_large",
                f"The file has {len(raw)} bytes; at most {CSV_MAX_BYTES} are accepted at once.",
            )
        )
    try:
        profiles = parse_csv(raw)
    except DomainError as err:
        await a.refuse(err)
    count = await a.write(
        lambda s: selections.import_applicants(
            s, process_id, profiles, actor=a.actor, now=datetime.now(UTC), request_id=a.request_id
        )
    )
    return ImportResult(process_id=process_id, imported=count)


def parse_csv(raw: bytes) -> list[ApplicantProfile]:
    """Every row as a profile, or an ApiError naming the line and column of every bad value."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ApiError(422, "csv_invalid", f"The file is not UTF-8 text: {err.reason}.") from err
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if tuple(header) != CSV_COLUMNS:
        raise ApiError(
            422,
            "csv_invalid",
            "Line 1 must be the header " + ",".join(CSV_COLUMNS) + ".",
            [{"field": "line 1", "message": "header must be " + ",".join(CSV_COLUMNS)}],
        )
    profiles: list[ApplicantProfile] = []
    errors: list[dict[str, str]] = []
    bad_rows = 0
    rows = 0
    for values in reader:
        if not any(v.strip() for v in values):
            continue  # blank lines are not rows
        rows += 1
        if rows > CSV_MAX_ROWS:
            raise ApiError(
                413,
                "csv_too_many_rows",
                f"The file has more than {CSV_MAX_ROWS} rows; split it into several imports.",
            )
        line = reader.line_num
        row_errors = _row_errors(values, line, profiles)
        if row_errors:
            bad_rows += 1
            errors.extend(row_errors)
    if errors:
        listed = errors[:CSV_ERRORS_LISTED]
        more = (
            f" ({len(errors) - len(listed)} more not listed)" if len(errors) > len(listed) else ""
        )
        raise ApiError(
            422,
            "csv_invalid",
            f"{bad_rows} row(s) have invalid values{more}; nothing was imported.",
            listed,
        )
    if not profiles:
        raise ApiError(422, "csv_invalid", "The file has a header but no rows.")
    return profiles


def _row_errors(values: list[str], line: int, out: list[ApplicantProfile]) -> list[dict[str, str]]:
    if len(values) != len(CSV_COLUMNS):
        return [
            {
                "field": f"line {line}",
                "message": f"{len(values)} values; expected {len(CSV_COLUMNS)}",
            }
        ]
    cells = {c: v.strip() for c, v in zip(CSV_COLUMNS, values, strict=True)}
    errors: list[dict[str, str]] = []
    sanction = cells["sanction_active"].lower()
    if sanction not in _TRUE | _FALSE:
        errors.append(
            {"field": f"line {line}, sanction_active", "message": "expected true or false"}
        )
    data: dict[str, Any] = {
        **cells,
        "nip": cells["nip"] or None,
        "grade": cells["grade"] or None,
        "sanction_active": sanction in _TRUE,
    }
    try:
        profile = ApplicantProfile.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            column = str(e["loc"][0]) if e.get("loc") else "row"
            errors.append({"field": f"line {line}, {column}", "message": str(e["msg"])})
        return errors
    if not errors:
        out.append(profile)
    return errors


@router.get(
    "/{process_id}/applicants", response_model=ApplicantPage, responses=responses(401, 403, 404)
)
async def list_applicants(
    process_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ApplicantPage:
    s = await _visible(session, principal, process_id)
    if not await _privileged(session, principal, s):
        raise ApiError(
            403,
            "not_panel_member",
            "Applicants' records are for the agency's HR unit and this selection's panel.",
        )
    rows, next_cursor = await _applicants(session, process_id, limit, cursor)
    return ApplicantPage(items=[_applicant_read(x) for x in rows], next_cursor=next_cursor)


async def _applicants(
    session: AsyncSession, process_id: str, limit: int, cursor: str | None
) -> tuple[list[SelectionApplicant], str | None]:
    rows = await selections.list_applicants(session, process_id, limit=limit + 1, after=cursor)
    next_cursor = rows[limit - 1].applicant_id if len(rows) > limit else None
    return rows[:limit], next_cursor


# ---- screening --------------------------------------------------------------------------------


@router.get(
    "/{process_id}/screening", response_model=ScreeningRead, responses=responses(401, 403, 404)
)
async def get_screening(
    process_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ScreeningRead:
    s = await _visible(session, principal, process_id)
    if not (await _privileged(session, principal, s) or _is_scorer(s, principal.sub)):
        raise ApiError(
            403,
            "not_panel_member",
            "The screening list is for the agency's HR unit, the panel and the scorers.",
        )
    rows, next_cursor = await _applicants(session, process_id, limit, cursor)
    A = SelectionApplicant
    counts = (
        await session.execute(
            select(
                func.count(),
                func.count(A.decision),
                func.count().filter(A.final_eligible.is_(True)),
            ).where(A.process_id == process_id)
        )
    ).one()
    return ScreeningRead(
        process_id=process_id,
        stage=s.stage,
        total=counts[0],
        decided=counts[1],
        eligible=counts[2],
        items=[
            ScreeningRow(
                applicant_id=x.applicant_id,
                name=x.name,
                auto_eligible=x.auto_eligible,
                auto_reasons=x.auto_reasons,
                decision=x.decision,
                final_eligible=x.final_eligible,
                justification=x.decision_justification,
            )
            for x in rows
        ],
        next_cursor=next_cursor,
    )


@router.put(
    "/{process_id}/screening/{applicant_id}",
    response_model=ApplicantRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(ScreeningDecision),
    summary="Confirm or override one applicant's automatic pre-check (override: justify it)",
)
async def decide_screening(
    process_id: str, applicant_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> ApplicantRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.screening_refused")
    body = await a.parse(request, ScreeningDecision)
    row = await a.write(
        lambda s: selections.decide_screening(
            s,
            process_id,
            applicant_id,
            eligible=body.eligible,
            justification=body.justification,
            actor=a.actor,
            now=datetime.now(UTC),
            request_id=a.request_id,
        ),
        subject=applicant_id,
    )
    return _applicant_read(row)


@router.post(
    "/{process_id}/screening/close",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    summary="Close screening (chair or secretary) once every applicant is decided",
)
async def close_screening(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.screening_close_refused")
    body = await _optional_note(a, request)
    await a.require_secretariat()
    await a.update(client, "close_screening", ActorInput(actor=a.actor, note=body.note))
    return await a.reread()


# ---- assessment -------------------------------------------------------------------------------


@router.post(
    "/{process_id}/declarations",
    status_code=201,
    response_model=DeclarationRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(DeclarationCreate),
    summary="A scorer declares conflicts of interest (before scoring); later ones only add",
)
async def declare(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep
) -> DeclarationRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.declaration_refused")
    body = await a.parse(request, DeclarationCreate)

    row = await a.write(
        lambda s: selections.declare(
            s,
            process_id,
            actor=a.actor,
            conflicted=body.conflicted,
            reason=body.reason,
            now=datetime.now(UTC),
            request_id=a.request_id,
        )
    )
    conflicted = list(row.conflicted)
    return DeclarationRead(process_id=process_id, scorer_id=principal.sub, conflicted=conflicted)


def _score_read(x: SelectionScore) -> ScoreRead:
    return ScoreRead(
        component=x.component,
        applicant_id=x.applicant_id,
        scorer_id=x.scorer_id,
        score=x.score,
        submitted_at=x.submitted_at,
        amendments=x.amendments or 0,
        amended_at=x.amended_at,
    )


@router.put(
    "/{process_id}/components/{component}/scores/{applicant_id}",
    response_model=ScoreRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(ScoreSubmit),
    summary="Submit one score; a submitted score is locked, an amendment needs a justification",
)
async def submit_score(
    process_id: str,
    component: str,
    applicant_id: str,
    request: Request,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> ScoreRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.score_refused")
    body = await a.parse(request, ScoreSubmit)
    row = await a.write(
        lambda s: selections.submit_score(
            s,
            process_id,
            component=component,
            applicant_id=applicant_id,
            actor=a.actor,
            score=body.score,
            justification=body.justification,
            now=datetime.now(UTC),
            request_id=a.request_id,
        ),
        subject=applicant_id,
    )
    return _score_read(row)


@router.get(
    "/{process_id}/components/{component}/scores/{applicant_id}",
    response_model=ScoreList,
    responses=responses(401, 403, 404),
    summary="Scores for one applicant: blind until you scored them, or the component closed",
)
async def read_scores(
    process_id: str,
    component: str,
    applicant_id: str,
    request: Request,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> ScoreList:
    a = await _Action.load(ctx, process_id, principal, request, "selection.scores_read_refused")

    async def run(s: AsyncSession) -> list[SelectionScore]:
        return await selections.read_scores(
            s, process_id, component=component, applicant_id=applicant_id, reader_id=principal.sub
        )

    rows = await a.write(run, subject=applicant_id)
    return ScoreList(
        component=component, applicant_id=applicant_id, items=[_score_read(x) for x in rows]
    )


@router.post(
    "/{process_id}/components/{component}/close",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    summary="Close a component (chair or secretary) once every score is in; publishes its ranking",
)
async def close_component(
    process_id: str,
    component: str,
    request: Request,
    principal: PrincipalDep,
    ctx: ContextDep,
    client: ClientDep,
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.component_close_refused")
    await a.require_secretariat()
    try:
        arg = ComponentInput(actor=a.actor, component=component)
    except ValidationError:
        await a.refuse(
            ApiError(404, "unknown_component", f"{component!r} is not a component code.")
        )
    await a.update(client, "close_component", arg)
    return await a.reread()


# ---- shortlist, plenary, appointment ----------------------------------------------------------


@router.get("/{process_id}/shortlist", response_model=ShortlistRead, responses=responses(401, 404))
async def get_shortlist(
    process_id: str, principal: PrincipalDep, session: SessionDep
) -> ShortlistRead:
    s = await _visible(session, principal, process_id)
    shown = s.stage in SHORTLIST_PUBLIC_STAGES or await _privileged(session, principal, s)
    return ShortlistRead(
        process_id=process_id,
        stage=s.stage,
        shortlist=s.shortlist if shown else None,
        plenary=s.plenary if shown else None,
    )


@router.post(
    "/{process_id}/plenary/votes",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(VoteCreate),
    summary="A panel member votes on the proposed shortlist",
)
async def plenary_vote(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.vote_refused")
    body = await a.parse(request, VoteCreate)
    await a.require_member()
    arg = VoteInput(actor=a.actor, approve=body.approve, note=body.note)
    await a.update(client, "plenary_vote", arg)
    return await a.reread()


@router.post(
    "/{process_id}/plenary/close",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    summary="Close the plenary (chair or secretary); needs the rulebook's quorum",
)
async def close_plenary(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.plenary_close_refused")
    body = await _optional_note(a, request)
    await a.require_secretariat()
    await a.update(client, "close_plenary", ActorInput(actor=a.actor, note=body.note))
    return await a.reread()


@router.post(
    "/{process_id}/appointment",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(AppointmentCreate),
    summary="The appointing authority picks one of the shortlisted names, with a reason",
)
async def appoint(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.appointment_refused")
    body = await a.parse(request, AppointmentCreate)
    await a.require_appointing_authority()
    names = [str(r.get("applicant_id")) for r in (a.sel.shortlist or [])]
    if a.sel.stage == Stage.APPOINTMENT.value and names and body.applicant_id not in names:
        await a.refuse(
            ApiError(
                422,
                "not_shortlisted",
                f"{body.applicant_id} is not on the approved shortlist ({', '.join(names)}); "
                "the appointing authority chooses one of those names.",
            ),
            subject=body.applicant_id,
        )
    arg = AppointInput(actor=a.actor, applicant_id=body.applicant_id, reason=body.reason)
    await a.update(client, "appoint", arg)
    return await a.reread()


@router.post(
    "/{process_id}/cancel",
    response_model=SelectionRead,
    responses=ACTION_ERRORS,
    openapi_extra=_body(CancelCreate),
    summary="The appointing authority cancels the selection, with a reason",
)
async def cancel(
    process_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> SelectionRead:
    a = await _Action.load(ctx, process_id, principal, request, "selection.cancel_refused")
    body = await a.parse(request, CancelCreate)
    await a.require_appointing_authority()
    await a.update(client, "cancel", CancelInput(actor=a.actor, reason=body.reason))
    return await a.reread()
