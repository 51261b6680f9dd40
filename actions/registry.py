"""The process-kind registry: what each kind of process is made of, declared once.

A kind names its workflow (and so its updates), the task queue it runs on, the read model the
pipeline loads it from, its stages, what its ledger looks like to reconciliation, the routes that
serve it and the module whose actions change it. Adding a kind of process is one entry here plus
the modules the entry names; README "Adding a kind of process" lists them.

Administered objects (employee records, webhook subscriptions, review bodies, reviewers) are kinds
too, without a workflow: their actions go through the same pipeline and their refusals onto a
ledger chain of the object (``domain/processes.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from operator import attrgetter

from sqlalchemy.ext.asyncio import AsyncSession

from actions.services import Services
from actions.targets import Target
from domain.enums import PromotionStatus
from domain.errors import NotFound
from domain.processes import (
    ProcessKind,
    agency_chain_id,
    review_body_chain_id,
    reviewer_chain_id,
)
from domain.reconcile_shapes import SHAPES, ProcessShape
from domain.selection.stages import Stage
from domain.talent.committee import Stage as TalentStage
from domain.talent.filling import AppointmentStage
from infra.settings import Settings
from store import events, reads, repositories, reviews, selections, webhook_subscriptions, webhooks
from store.talent import appointments as talent_appointments
from store.talent import reviews as talent_reviews
from workflows.promotion import PromotionWorkflow
from workflows.promotion_period import PromotionPeriodWorkflow
from workflows.review import ThirdPartyReviewWorkflow
from workflows.selection import OpenSelectionWorkflow
from workflows.talent_appointment import TalentAppointmentWorkflow
from workflows.talent_review import TalentReviewWorkflow

Loader = Callable[[AsyncSession, str], Awaitable[Target | None]]


@dataclass(frozen=True)
class ProcessSpec:
    kind: ProcessKind
    workflow: type | None  # None: an administered object, not a process
    load: Loader
    stages: tuple[str, ...]
    route: str
    actions: str  # the module of its actions
    # The task queue it runs on, from the settings: the worker's own (``MERITFLOW_TASK_QUEUE``)
    # unless the kind has one of its own.
    queue_of: Callable[[Settings], str] = attrgetter("task_queue")

    @property
    def shape(self) -> ProcessShape | None:
        """Its ledger as reconciliation compares it with the history (None: no workflow)."""
        return SHAPES.get(self.kind)

    def queue(self, services: Services) -> str:
        return self.queue_of(services.settings)


async def _promotion(session: AsyncSession, process_id: str) -> Target | None:
    v = await repositories.promotion_row(session, process_id)
    if v is None:
        return None
    return Target(
        ProcessKind.PROMOTION, v.process_id, v.agency, v.stage, v.nip, v.rulebook_version, v
    )


async def _review(session: AsyncSession, process_id: str) -> Target | None:
    v = await reviews.review_row(session, process_id)
    if v is None:
        return None
    return Target(ProcessKind.REVIEW, v.review_id, v.agency, v.status, v.subject_id, None, v)


async def _selection(session: AsyncSession, process_id: str) -> Target | None:
    v = await selections.get(session, process_id)
    if v is None:
        return None
    return Target(
        ProcessKind.SELECTION, v.process_id, v.agency, v.stage, None, v.rulebook_version, v
    )


async def _period(session: AsyncSession, process_id: str) -> Target | None:
    v = await events.get_period(session, process_id)
    if v is None:
        return None
    return Target(
        ProcessKind.PROMOTION_PERIOD, v.id, v.agency, v.status, None, v.rulebook_version, v
    )


async def _talent_review(session: AsyncSession, process_id: str) -> Target | None:
    v = await talent_reviews.get(session, process_id)
    if v is None:
        return None
    return Target(
        ProcessKind.TALENT_REVIEW, v.process_id, v.agency, v.stage, None, v.rulebook_version, v
    )


async def _talent_appointment(session: AsyncSession, process_id: str) -> Target | None:
    v = await talent_appointments.get(session, process_id)
    if v is None:
        return None
    return Target(
        ProcessKind.TALENT_APPOINTMENT,
        v.process_id,
        v.agency,
        v.stage,
        v.successor_nip,
        v.rulebook_version,
        v,
    )


async def _talent_records(_session: AsyncSession, process_id: str) -> Target | None:
    """``talent-records-<agency>``: an agency's talent inputs, approval, posts and plans."""
    kind = ProcessKind.TALENT_RECORDS
    agency = process_id.removeprefix("talent-records").removeprefix("-") or None
    if agency_chain_id(kind, agency) != process_id:
        return None
    return Target(kind, process_id, agency, label=f"talent records of {agency or 'all agencies'}")


async def _employee_records(_session: AsyncSession, process_id: str) -> Target | None:
    """``employee-records-<agency>`` (or ``employee-records``, national): nothing to read."""
    agency = process_id.removeprefix("employee-records").removeprefix("-") or None
    kind = ProcessKind.EMPLOYEE_RECORDS
    if agency_chain_id(kind, agency) != process_id:
        return None
    return Target(kind, process_id, agency, label=f"employee records of {agency or 'all agencies'}")


async def _webhooks(session: AsyncSession, object_id: str) -> Target | None:
    """A subscription (``whsub_…``) or one of its deliveries (``msg_…``), on the chain of the
    subscriptions of its agency; the stage is the subscription's status."""
    delivery = None
    if object_id.startswith("msg_"):
        delivery = await webhooks.get_delivery(session, object_id)
        if delivery is None:
            raise NotFound(
                f"No delivery '{object_id}' is visible to you.", code="delivery_not_found"
            )
        object_id = delivery.subscription_id
    sub = await webhook_subscriptions.get_subscription(session, object_id)
    if sub is None:
        if delivery is not None:
            raise NotFound(
                f"No delivery '{delivery.id}' is visible to you.", code="delivery_not_found"
            )
        raise NotFound(
            f"No subscription '{object_id}' is visible to you.", code="subscription_not_found"
        )
    chain = agency_chain_id(ProcessKind.WEBHOOK_SUBSCRIPTIONS, sub.agency)
    if delivery is not None:
        return Target(
            ProcessKind.WEBHOOK_SUBSCRIPTIONS,
            chain,
            sub.agency,
            sub.status,
            subject=delivery.id,
            row=delivery,
            label=f"delivery '{delivery.id}'",
            missing="delivery_not_found",
        )
    return Target(
        ProcessKind.WEBHOOK_SUBSCRIPTIONS,
        chain,
        sub.agency,
        sub.status,
        subject=sub.id,
        row=sub,
        label=f"subscription '{sub.id}'",
        missing="subscription_not_found",
    )


async def _review_body(session: AsyncSession, code: str) -> Target | None:
    body = await reviews.get_body(session, code)
    if body is None:
        raise NotFound(f"No review body {code}.", code="body_not_found")
    return Target(ProcessKind.REVIEW_BODY, review_body_chain_id(code), None, row=body)


async def _reviewer(session: AsyncSession, reviewer_id: str) -> Target | None:
    # A standing conflict may be declared before the reviewer is on a roster: the row may be None.
    return Target(
        ProcessKind.REVIEWER,
        reviewer_chain_id(reviewer_id),
        None,
        subject=reviewer_id,
        row=await reviews.get_reviewer(session, reviewer_id),
        label=f"reviewer '{reviewer_id}'",
    )


REGISTRY: dict[ProcessKind, ProcessSpec] = {
    spec.kind: spec
    for spec in (
        ProcessSpec(
            ProcessKind.PROMOTION,
            PromotionWorkflow,
            _promotion,
            stages=tuple(s.value for s in PromotionStatus),
            route="/v1/promotions",
            actions="actions.promotions",
        ),
        ProcessSpec(
            ProcessKind.REVIEW,
            ThirdPartyReviewWorkflow,
            _review,
            stages=("assigning", "open", "concluded", "failed", "cancelled"),
            route="/v1/reviews",
            actions="actions.reviews",
        ),
        ProcessSpec(
            ProcessKind.SELECTION,
            OpenSelectionWorkflow,
            _selection,
            stages=tuple(s.value for s in Stage),
            route="/v1/selections",
            actions="actions.selections",
        ),
        ProcessSpec(
            ProcessKind.PROMOTION_PERIOD,
            PromotionPeriodWorkflow,
            _period,
            stages=("running", "completed"),
            route="/v1/promotion-periods",
            actions="actions.periods",
            queue_of=attrgetter("period_queue"),
        ),
        ProcessSpec(
            ProcessKind.TALENT_REVIEW,
            TalentReviewWorkflow,
            _talent_review,
            stages=tuple(s.value for s in TalentStage),
            route="/v1/talent-reviews",
            actions="actions.talent.reviews",
        ),
        ProcessSpec(
            ProcessKind.TALENT_APPOINTMENT,
            TalentAppointmentWorkflow,
            _talent_appointment,
            stages=tuple(s.value for s in AppointmentStage),
            route="/v1/talent-appointments",
            actions="actions.talent.appointments",
        ),
        ProcessSpec(
            ProcessKind.TALENT_RECORDS,
            None,
            _talent_records,
            stages=(),
            route="/v1/talent",
            actions="actions.talent.records",
        ),
        ProcessSpec(
            ProcessKind.EMPLOYEE_RECORDS,
            None,
            _employee_records,
            stages=(),
            route="/v1/employees",
            actions="actions.employees",
        ),
        ProcessSpec(
            ProcessKind.WEBHOOK_SUBSCRIPTIONS,
            None,
            _webhooks,
            stages=("active", "paused", "deleted"),
            route="/v1/webhooks",
            actions="actions.webhooks",
        ),
        ProcessSpec(
            ProcessKind.REVIEW_BODY,
            None,
            _review_body,
            stages=(),
            route="/v1/review-bodies",
            actions="actions.review_admin",
        ),
        ProcessSpec(
            ProcessKind.REVIEWER,
            None,
            _reviewer,
            stages=(),
            route="/v1/reviewers",
            actions="actions.review_admin",
        ),
    )
}


def spec(kind: ProcessKind | str) -> ProcessSpec:
    return REGISTRY[ProcessKind(kind)]


async def load_target(services: Services, kind: ProcessKind, process_id: str) -> Target | None:
    load = spec(kind).load
    return await reads.read(services.sessions, lambda session: load(session, process_id))
