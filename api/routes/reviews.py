"""Third-party review: review bodies and their rosters, reviews, conflict declarations, verdicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.auth import PrincipalDep, actor_of, can_see_agency, require_roles
from api.deps import ClientDep, ContextDep, SessionDep
from api.errors import ApiError, from_domain, responses, update_refusal, validation_error
from api.refusals import record_refusal
from api.schemas.reviews import (
    BodyCreate,
    BodyRead,
    ConflictCreate,
    DeclarationCreate,
    ReviewerCreate,
    ReviewPage,
    ReviewRead,
    SeatRead,
    VerdictCreate,
)
from domain.enums import Role
from domain.errors import DomainError
from domain.review import Seat, check_declaration_allowed, check_verdict_allowed
from infra.tokens import Principal
from store import reviews
from store.review_models import ReviewSeat, ReviewView
from workflows.contracts import DeclarationInput, VerdictInput
from workflows.review import ThirdPartyReviewWorkflow

router = APIRouter(tags=["reviews"])
log = structlog.get_logger(__name__)
ADMIN = require_roles(Role.ADMIN)
UPDATE_ERROR_STATUS = {"conflict_declaration_required": 422, "findings_required": 422}


@router.post(
    "/v1/review-bodies",
    status_code=201,
    response_model=BodyRead,
    responses=responses(401, 403, 422),
)
async def register_body(
    body: BodyCreate, _: Annotated[Principal, Depends(ADMIN)], session: SessionDep
) -> BodyRead:
    async with session.begin():
        await reviews.upsert_body(session, body.model_dump(mode="json"), now=datetime.now(UTC))
    return BodyRead.model_validate(body.model_dump())


@router.get("/v1/review-bodies", response_model=list[BodyRead], responses=responses(401))
async def list_bodies(_: PrincipalDep, session: SessionDep) -> list[BodyRead]:
    return [
        BodyRead.model_validate(b, from_attributes=True) for b in await reviews.list_bodies(session)
    ]


@router.post(
    "/v1/review-bodies/{code}/reviewers",
    status_code=201,
    response_model=ReviewerCreate,
    responses=responses(401, 403, 404, 422),
)
async def register_reviewer(
    code: str,
    body: ReviewerCreate,
    _: Annotated[Principal, Depends(ADMIN)],
    session: SessionDep,
    client: ClientDep,
) -> ReviewerCreate:
    if await reviews.get_body(session, code) is None:
        raise ApiError(404, "body_not_found", f"No review body {code}.")
    await session.rollback()
    async with session.begin():
        await reviews.upsert_reviewer(
            session, {**body.model_dump(), "body_code": code}, now=datetime.now(UTC)
        )
    open_reviews = await reviews.list_reviews(
        session,
        agency=None,
        status="open",
        subject_type=None,
        body_code=code,
        reviewer_id=None,
        limit=500,
        after=None,
    )
    for review in open_reviews:  # a review short of reviewers fills its seats from the new roster
        await _signal_roster(client, review.review_id)
    return body


async def _signal_roster(client: Client, review_id: str) -> None:
    try:
        await client.get_workflow_handle(review_id).signal(ThirdPartyReviewWorkflow.roster_changed)
    except RPCError as err:
        log.warning("review.roster_signal_failed", review_id=review_id, error=str(err))


@router.post(
    "/v1/reviewers/{reviewer_id}/conflicts",
    status_code=201,
    response_model=ConflictCreate,
    responses=responses(401, 403, 422),
)
async def declare_standing_conflict(
    reviewer_id: str, body: ConflictCreate, principal: PrincipalDep, session: SessionDep
) -> ConflictCreate:
    """A conflict known up front (a relative, a former student): no review naming that person is
    ever assigned to this reviewer."""
    if principal.role != Role.ADMIN.value and principal.sub != reviewer_id:
        raise ApiError(
            403, "forbidden", "Only the reviewer themselves or an admin may declare this."
        )
    async with session.begin():
        await reviews.add_conflicts(
            session,
            reviewer_id,
            [body.person_id],
            reason=body.reason,
            review_id=None,
            now=datetime.now(UTC),
        )
    return body


def to_read(view: ReviewView, seats: list[ReviewSeat]) -> ReviewRead:
    concluded = view.status != "open"
    seat_rows = [
        SeatRead(
            reviewer_id=s.reviewer_id, status=s.status, verdict=s.verdict if concluded else None
        )
        for s in seats
    ]
    return ReviewRead(
        id=view.review_id,
        subject_type=view.subject_type,
        subject_id=view.subject_id,
        parent_process_id=view.parent_process_id,
        agency=view.agency,
        body_code=view.body_code,
        status=view.status,
        outcome=view.outcome,
        quorum=view.quorum,
        required_reviewers=view.required_reviewers,
        head_reviewer_id=view.head_reviewer_id,
        escalated=view.escalated,
        automatic=view.automatic,
        reminder_at=view.reminder_at,
        due_at=view.due_at,
        findings=view.findings,
        reason=view.reason,
        seats=seat_rows,
        created_at=view.created_at,
        updated_at=view.updated_at,
    )


def _may_read(principal: Principal, view: ReviewView, seats: list[ReviewSeat]) -> bool:
    if principal.role == Role.REVIEWER.value:
        return principal.sub == view.head_reviewer_id or any(
            s.reviewer_id == principal.sub for s in seats
        )
    return can_see_agency(principal, view.agency)


@router.get("/v1/reviews", response_model=ReviewPage, responses=responses(401, 422))
async def list_reviews(
    principal: PrincipalDep,
    session: SessionDep,
    status: str | None = None,
    subject_type: str | None = None,
    body_code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ReviewPage:
    mine = principal.sub if principal.role == Role.REVIEWER.value else None
    agency = principal.agency if mine is None else None
    rows = await reviews.list_reviews(
        session,
        agency=agency,
        status=status,
        subject_type=subject_type,
        body_code=body_code,
        reviewer_id=mine,
        limit=limit + 1,
        after=cursor,
    )
    items = [to_read(r, list(await reviews.seats_of(session, r.review_id))) for r in rows[:limit]]
    return ReviewPage(
        items=items, next_cursor=items[-1].id if len(rows) > limit and items else None
    )


@router.get("/v1/reviews/{review_id}", response_model=ReviewRead, responses=responses(401, 404))
async def get_review(review_id: str, principal: PrincipalDep, session: SessionDep) -> ReviewRead:
    view = await reviews.get_review(session, review_id)
    seats = list(await reviews.seats_of(session, review_id)) if view else []
    if view is None or not _may_read(principal, view, seats):
        raise ApiError(404, "not_found", f"No review '{review_id}' is visible to you.")
    return to_read(view, seats)


@router.post(
    "/v1/reviews/{review_id}/conflict-declarations",
    response_model=ReviewRead,
    responses=responses(401, 403, 404, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": DeclarationCreate.model_json_schema()}},
        }
    },
)
async def declare(
    review_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> ReviewRead:
    attempt = await _ReviewAttempt.load(
        ctx, review_id, principal, request, "review.declaration_refused"
    )
    body = await attempt.parse(request, DeclarationCreate)
    await attempt.precheck(
        lambda seats, view: check_declaration_allowed(
            seats, principal.sub, open_=view.status == "open"
        )
    )
    d = DeclarationInput(actor=actor_of(principal), **body.model_dump())
    await attempt.send(client, ThirdPartyReviewWorkflow.declare, d)
    return await attempt.reread()


@router.post(
    "/v1/reviews/{review_id}/verdicts",
    response_model=ReviewRead,
    responses=responses(401, 403, 404, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": VerdictCreate.model_json_schema()}},
        }
    },
)
async def give_verdict(
    review_id: str, request: Request, principal: PrincipalDep, ctx: ContextDep, client: ClientDep
) -> ReviewRead:
    attempt = await _ReviewAttempt.load(
        ctx, review_id, principal, request, "review.verdict_refused"
    )
    body = await attempt.parse(request, VerdictCreate)
    await attempt.precheck(
        lambda seats, view: check_verdict_allowed(
            seats,
            principal.sub,
            head_id=view.head_reviewer_id,
            escalated=view.escalated,
            open_=view.status == "open",
        )
    )
    v = VerdictInput(
        actor=actor_of(principal),
        verdict=body.verdict,
        justification=body.justification,
        findings=body.findings,
    )
    await attempt.send(client, ThirdPartyReviewWorkflow.verdict, v)
    return await attempt.reread()


class _ReviewAttempt:
    """One reviewer action: every way it can be refused ends in the review's ledger."""

    def __init__(
        self,
        ctx: ContextDep,
        view: ReviewView,
        seats: list[ReviewSeat],
        principal: Principal,
        request_id: str,
        kind: str,
    ) -> None:
        self.ctx, self.view, self.seats, self.principal = ctx, view, seats, principal
        self.request_id, self.kind = request_id, kind

    @classmethod
    async def load(
        cls, ctx: ContextDep, review_id: str, principal: Principal, request: Request, kind: str
    ) -> _ReviewAttempt:
        async with ctx.sessions() as session:
            view = await reviews.get_review(session, review_id)
            seats = list(await reviews.seats_of(session, review_id)) if view else []
        if view is None:
            raise ApiError(404, "not_found", f"No review '{review_id}' is visible to you.")
        attempt = cls(ctx, view, seats, principal, request.state.request_id, kind)
        if principal.role not in (Role.REVIEWER.value, Role.BKN.value, Role.ADMIN.value):
            await attempt.refuse(
                ApiError(
                    403,
                    "forbidden_role",
                    f"The role '{principal.role}' does not review; reviewers do.",
                )
            )
        return attempt

    async def refuse(self, error: ApiError) -> None:
        v = self.view
        await record_refusal(
            self.ctx.sessions,
            process_id=v.review_id,
            process_kind="review",
            kind=self.kind,
            actor=actor_of(self.principal),
            error=error,
            agency=v.agency,
            subject=v.subject_id,
            stage=v.status,
            request_id=self.request_id,
        )
        raise error

    async def parse(self, request: Request, model: type[Any]) -> Any:
        try:
            raw = await request.body()
        except ApiError as err:
            await self.refuse(err)
        try:
            return model.model_validate_json(raw)
        except ValidationError as err:
            await self.refuse(validation_error(err.errors()))

    async def precheck(self, check: Callable[[dict[str, Seat], ReviewView], None]) -> None:
        facts = {
            s.reviewer_id: Seat(
                s.reviewer_id,
                declared=s.status != "assigned",
                recused=s.status == "recused",
                voted=s.status == "voted",
            )
            for s in self.seats
        }
        try:
            check(facts, self.view)
        except DomainError as err:
            await self.refuse(from_domain(err))

    async def send(self, client: ClientDep, update: Any, arg: BaseModel) -> None:
        handle = client.get_workflow_handle(self.view.review_id)
        try:
            await handle.execute_update(update, arg, id=f"review-{self.request_id}")
        except WorkflowUpdateFailedError as err:
            await self.refuse(update_refusal(err, UPDATE_ERROR_STATUS))

    async def reread(self) -> ReviewRead:
        async with self.ctx.sessions() as session:
            view = await reviews.get_review(session, self.view.review_id)
            seats = list(await reviews.seats_of(session, self.view.review_id))
        assert view is not None
        return to_read(view, seats)
