"""Talent reviews: start one (idempotent by agency and code), close calibration, establish the
pool, cancel."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from actions import temporal
from actions.pipeline import Action, Attempt
from actions.registry import spec
from actions.schemas.talent import (
    CancelBody,
    NoteBody,
    TalentReviewCreate,
    TalentReviewRead,
    TalentReviewStarted,
)
from actions.services import Services
from actions.talent.common import (
    sees_agency,
    to_read,
    update,
    visible,
)
from actions.targets import Target
from domain.calendar import WIB
from domain.errors import Conflict, NotFound, RuleViolation
from domain.processes import ProcessKind
from domain.talent.committee import validate_committee
from domain.talent.rulebook import rulebook_for_start
from infra.tokens import Principal
from store.talent import reviews
from store.talent.reviews import ReviewIdentity
from workflows.talent_contracts import (
    ActorNote,
    CancelInput,
    StartTalentReview,
    talent_review_workflow_id,
)
from workflows.talent_review import TalentReviewWorkflow

log = structlog.get_logger(__name__)
KIND = ProcessKind.TALENT_REVIEW


async def _locate(_: Services, principal: Principal, body: TalentReviewCreate) -> Target:
    agency = body.agency or principal.agency
    if agency is None:
        raise RuleViolation(
            "Name the agency: your token carries none.", code="agency_required", field="agency"
        )
    if not sees_agency(principal, agency):
        raise NotFound(f"No agency '{agency}' is visible to you.", field="agency")
    try:
        pid = talent_review_workflow_id(agency, body.code)
    except ValueError as err:
        raise RuleViolation(
            f"The agency {agency!r} cannot name a review: {err}.",
            code="validation_error",
            field="agency",
        ) from err
    return Target(KIND, pid, agency, None, body.code, body.rulebook_version)


def _precheck(a: Attempt[TalentReviewCreate]) -> None:
    rulebook_for_start(a.body.rulebook_version, a.services.settings.env)
    validate_committee(a.body.committee)
    if a.target.agency not in a.body.population.agencies:
        raise RuleViolation(
            "The population must include the agency that runs the review.",
            code="validation_error",
            field="population.agencies",
        )


async def _start(a: Attempt[TalentReviewCreate]) -> TalentReviewStarted:
    body, target = a.body, a.target
    rb = rulebook_for_start(body.rulebook_version, a.services.settings.env)
    start = StartTalentReview(
        agency=str(target.agency),
        code=body.code,
        title=body.title,
        population=body.population,
        cutoff_date=body.cutoff_date or datetime.now(WIB).date(),
        rulebook_version=rb.version,
        committee=body.committee,
        requested_by=a.actor,
    )
    created = await begin(a.services, target.process_id, start)
    async with a.services.sessions() as session:
        row = await reviews.get(session, target.process_id)
    assert row is not None
    if row.rulebook_version != rb.version:
        raise Conflict(
            f"{row.process_id} already exists under the rulebook {row.rulebook_version!r}.",
            code="review_exists_under_other_rulebook",
            field="rulebook_version",
        )
    return TalentReviewStarted(created=created, review=to_read(row))


async def begin(services: Services, process_id: str, start: StartTalentReview) -> bool:
    """The one way a review starts: its row inserted if absent (the gate of every write), then its
    workflow started, or joined while it runs. True if this call created it."""
    identity = ReviewIdentity(
        **start.model_dump(mode="json", include={"agency", "code", "title", "rulebook_version"}),
        population=start.population.model_dump(mode="json"),
        cutoff_date=start.cutoff_date,
        committee=[m.model_dump(mode="json") for m in start.committee],
    )
    async with services.sessions() as session, session.begin():
        created = await reviews.insert_if_absent(session, process_id, identity, datetime.now(UTC))
    try:
        await temporal.guard_rpc(
            services.client.start_workflow(
                TalentReviewWorkflow.run,
                start,
                id=process_id,
                task_queue=spec(KIND).queue(services),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        )
    except WorkflowAlreadyStartedError:
        log.info("talent_review.already_exists", process_id=process_id)
    return created


START = Action(
    name="talent_review.start",
    kind=KIND,
    refused="talent_review.start_refused",
    body=TalentReviewCreate,
    result=TalentReviewStarted,
    locate=_locate,
    precheck=_precheck,
    execute=_start,
    subject=lambda b: b.code,
    summary="Start a talent review; the same agency and code returns the existing one (200)",
)


async def _close_calibration(a: Attempt[NoteBody]) -> TalentReviewRead:
    arg = ActorNote(actor=a.actor, note=a.body.note)
    return await update(a, TalentReviewWorkflow.close_calibration, arg)


CLOSE_CALIBRATION = Action(
    name="talent_review.close_calibration",
    kind=KIND,
    refused="talent_review.close_calibration_refused",
    body=NoteBody,
    result=TalentReviewRead,
    visible=visible,
    execute=_close_calibration,
    summary="Close calibration (chair or secretary): every box is published with its explanation "
    "and the objection window opens",
)


async def _finalize(a: Attempt[NoteBody]) -> TalentReviewRead:
    arg = ActorNote(actor=a.actor, note=a.body.note)
    return await update(a, TalentReviewWorkflow.finalize, arg)


FINALIZE = Action(
    name="talent_review.finalize",
    kind=KIND,
    refused="talent_review.finalize_refused",
    body=NoteBody,
    result=TalentReviewRead,
    visible=visible,
    execute=_finalize,
    summary="Establish the talent pool (chair or secretary) once every objection is answered; "
    "succession plans are refreshed",
)


async def _cancel(a: Attempt[CancelBody]) -> TalentReviewRead:
    arg = CancelInput(actor=a.actor, reason=a.body.reason)
    return await update(a, TalentReviewWorkflow.cancel, arg)


CANCEL = Action(
    name="talent_review.cancel",
    kind=KIND,
    refused="talent_review.cancel_refused",
    body=CancelBody,
    result=TalentReviewRead,
    visible=visible,
    execute=_cancel,
    summary="Cancel the review with a reason (agency HR, or the committee's chair)",
)
