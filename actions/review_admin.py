"""Review bodies and their rosters (an admin's), and a reviewer's standing conflicts.

No process: a body's registration and its roster are actions on the body's ledger chain
(``review-body-<code>``), a standing conflict on the reviewer's (``reviewer-<id>``), where refused
attempts are recorded. Bodies are national reference data, seen by everyone with a token.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from temporalio.client import Client
from temporalio.service import RPCError

from actions.pipeline import Action, Attempt
from actions.schemas.reviews import BodyCreate, BodyRead, ConflictCreate, ReviewerCreate
from actions.services import Services
from actions.targets import Target
from domain.enums import Role
from domain.errors import NotPermitted
from domain.processes import ProcessKind, review_body_chain_id
from infra.tokens import Principal
from store import reviews
from workflows.contracts import embedded_review_host
from workflows.promotion import PromotionWorkflow
from workflows.review import ThirdPartyReviewWorkflow

log = structlog.get_logger(__name__)
OPEN_REVIEWS_TOLD = 500


def _everyone(principal: Principal, target: Target) -> bool:  # noqa: ARG001 - a visibility rule
    return True


# ---- bodies -------------------------------------------------------------------------------------


async def _locate_body(services: Services, principal: Principal, body: BodyCreate) -> Target:  # noqa: ARG001 - a locator
    return Target(
        ProcessKind.REVIEW_BODY, review_body_chain_id(body.code), None, label=f"body {body.code}"
    )


async def _register_body(a: Attempt[BodyCreate]) -> BodyRead:
    async with a.services.sessions() as session, session.begin():
        await reviews.upsert_body(session, a.body.model_dump(mode="json"), now=datetime.now(UTC))
    return BodyRead.model_validate(a.body.model_dump())


REGISTER_BODY = Action(
    name="review_body.register",
    kind=ProcessKind.REVIEW_BODY,
    refused="review_body.register_refused",
    body=BodyCreate,
    result=BodyRead,
    locate=_locate_body,
    visible=_everyone,
    execute=_register_body,
    summary="Register a review body, or change one",
)


async def _register_reviewer(a: Attempt[ReviewerCreate]) -> ReviewerCreate:
    code = a.target.row.code
    async with a.services.sessions() as session, session.begin():
        await reviews.upsert_reviewer(
            session, {**a.body.model_dump(), "body_code": code}, now=datetime.now(UTC)
        )
    async with a.services.sessions() as session:
        open_reviews = await reviews.list_reviews(
            session,
            agency=None,
            status="open",
            subject_type=None,
            body_code=code,
            reviewer_id=None,
            limit=OPEN_REVIEWS_TOLD,
            after=None,
        )
    for review in open_reviews:  # a review short of reviewers fills its seats from the new roster
        await _signal_roster(a.services.client, review.review_id, review.parent_process_id)
    return a.body


async def _signal_roster(client: Client, review_id: str, parent: str | None) -> None:
    # A promotion's BKN review runs inside the promotion: the promotion is told.
    host = embedded_review_host(review_id, parent)
    try:
        if host is not None:
            await client.get_workflow_handle(host).signal(PromotionWorkflow.review_roster_changed)
        else:
            handle = client.get_workflow_handle(review_id)
            await handle.signal(ThirdPartyReviewWorkflow.roster_changed)
    except RPCError as err:
        log.warning("review.roster_signal_failed", review_id=review_id, error=str(err))


REGISTER_REVIEWER = Action(
    name="review_body.register_reviewer",
    kind=ProcessKind.REVIEW_BODY,
    refused="review_body.reviewer_refused",
    body=ReviewerCreate,
    result=ReviewerCreate,
    visible=_everyone,
    execute=_register_reviewer,
    subject=lambda b: b.id,
    summary="Put a reviewer on a body's roster (open reviews short of reviewers are told)",
)


# ---- a reviewer's standing conflicts ------------------------------------------------------------


async def _themselves(a: Attempt[ConflictCreate]) -> None:
    """A reviewer declares for themselves; an admin for anyone."""
    if a.principal.role == Role.REVIEWER.value and a.principal.sub != a.target.subject:
        raise NotPermitted(
            "Only the reviewer themselves or an admin may declare this.", code="not_the_reviewer"
        )


async def _declare(a: Attempt[ConflictCreate]) -> ConflictCreate:
    async with a.services.sessions() as session, session.begin():
        await reviews.add_conflicts(
            session,
            str(a.target.subject),
            [a.body.person_id],
            reason=a.body.reason,
            review_id=None,
            now=datetime.now(UTC),
        )
    return a.body


DECLARE_STANDING_CONFLICT = Action(
    name="reviewer.declare_standing_conflict",
    kind=ProcessKind.REVIEWER,
    refused="reviewer.conflict_refused",
    body=ConflictCreate,
    result=ConflictCreate,
    visible=_everyone,
    authorize=_themselves,
    execute=_declare,
    summary="A conflict known up front (a relative, a former student): no review naming that "
    "person is ever assigned to this reviewer",
)
