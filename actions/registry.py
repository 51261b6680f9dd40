"""The process-kind registry: what each kind of process is made of, declared once.

A kind names its workflow (and so its updates), the task queue it runs on, the read model the
pipeline loads it from, its stages, what its ledger looks like to reconciliation, the routes that
serve it and the module whose actions change it. Adding a kind of process is one entry here plus
the modules the entry names; README "Adding a kind of process" lists them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from actions.services import Services
from actions.targets import Target
from domain.enums import PromotionStatus
from domain.processes import ProcessKind
from domain.reconcile import SHAPES, ProcessShape
from domain.selection.stages import Stage
from store import events, repositories, reviews, selections
from workflows.promotion import PromotionWorkflow
from workflows.promotion_period import PromotionPeriodWorkflow
from workflows.review import ThirdPartyReviewWorkflow
from workflows.selection import OpenSelectionWorkflow

Loader = Callable[[AsyncSession, str], Awaitable[Target | None]]


@dataclass(frozen=True)
class ProcessSpec:
    kind: ProcessKind
    workflow: type
    load: Loader
    stages: tuple[str, ...]
    route: str
    actions: str  # the module of its actions
    # None: the worker's own queue (``MERITFLOW_TASK_QUEUE``).
    task_queue: str | None = None

    @property
    def shape(self) -> ProcessShape:
        """Its ledger as reconciliation compares it with the history."""
        return SHAPES[self.kind]

    def queue(self, services: Services) -> str:
        return self.task_queue or services.settings.task_queue


async def _promotion(session: AsyncSession, process_id: str) -> Target | None:
    v = await repositories.get_promotion(session, process_id)
    if v is None:
        return None
    return Target(
        ProcessKind.PROMOTION, v.process_id, v.agency, v.stage, v.nip, v.rulebook_version, v
    )


async def _review(session: AsyncSession, process_id: str) -> Target | None:
    v = await reviews.get_review(session, process_id)
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
        ),
    )
}


def spec(kind: ProcessKind | str) -> ProcessSpec:
    return REGISTRY[ProcessKind(kind)]


async def load_target(services: Services, kind: ProcessKind, process_id: str) -> Target | None:
    async with services.sessions() as session:
        return await spec(kind).load(session, process_id)
