"""The auditor's reads: ledger search, reconciliation with Temporal, explanations of a process.

Every route here only reads. The auditor role takes no decision anywhere (the decision and start
routes do not admit it); here it sees the agencies in its scope: a token with an ``agency`` claim
sees that agency, a token without one is national. Explanations are built from the ledger and the
read model only, so they outlive the workflow's history in Temporal.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Query
from pydantic import Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from actions.queries import audit as audit_reads
from actions.queries import talent as talent_reads
from actions.reconciliation import reconcile
from actions.schemas.audit import EntryPage
from api.auth import PrincipalDep, can_see_agency
from api.deps import ContextDep, SessionDep
from api.errors import ApiError, responses
from api.params import IsoDateTime
from domain.errors import DomainError
from domain.explanation import LedgerCheck, PromotionExplanation, explain_promotion
from domain.reconcile import ReconciliationReport
from domain.selection.explanation import ApplicantRecord, SelectionExplanation, explain_selection
from domain.selection.scheme import ScoringScheme
from domain.talent.explanation import TalentExplanation
from store import audit, ledger, repositories, selections
from store.models import PromotionView
from store.selection_models import Selection

log = structlog.get_logger(__name__)

audit_router = APIRouter(prefix="/v1/audit", tags=["audit"])
explain_router = APIRouter(prefix="/v1/processes", tags=["audit"])
# One router for api.main to mount; the two prefixes stay as they are.
router = APIRouter()

# How many applicants one read of the selection's roster takes while building an explanation.
APPLICANT_PAGE = 1000

TALENT_KINDS = ("talent_review", "talent_appointment")
Explanation = Annotated[
    PromotionExplanation | SelectionExplanation | TalentExplanation,
    Field(discriminator="process_kind"),
]


@audit_router.get(
    "/entries",
    response_model=EntryPage,
    responses=responses(401, 403, 422),
    summary="Search ledger entries across processes",
)
async def search_entries(
    principal: PrincipalDep,
    ctx: ContextDep,
    process_kind: str | None = None,
    agency: str | None = None,
    actor: Annotated[str | None, Query(description="The actor's id")] = None,
    kind: Annotated[str | None, Query(description="Decision kind, e.g. promotion.decision")] = None,
    outcome: Literal["accepted", "refused"] | None = None,
    subject: str | None = None,
    process_id: str | None = None,
    recorded_from: Annotated[
        IsoDateTime | None, Query(alias="from", description="recorded_at ≥ this (inclusive)")
    ] = None,
    recorded_to: Annotated[
        IsoDateTime | None, Query(alias="to", description="recorded_at < this (exclusive)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> EntryPage:
    flt = audit.EntryFilter(
        process_kind=process_kind,
        agency=agency,
        actor_id=actor,
        kind=kind,
        outcome=outcome,
        subject=subject,
        process_id=process_id,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
    )
    items, next_cursor = await audit_reads.search(ctx, principal, flt, limit=limit, cursor=cursor)
    return EntryPage(items=items, next_cursor=next_cursor)


def _not_visible(process_id: str) -> DomainError:
    return ApiError(404, "not_found", f"No process '{process_id}' with a ledger is visible to you.")


@audit_router.get(
    "/processes/{process_id}/reconciliation",
    response_model=ReconciliationReport,
    response_model_exclude_none=True,
    responses=responses(401, 403, 404, 422, 503),
    summary="Compare a process's ledger with its Temporal history",
)
async def reconciliation(
    process_id: str, principal: PrincipalDep, ctx: ContextDep
) -> ReconciliationReport:
    return await reconcile(ctx, principal, process_id)


def _view_data(view: PromotionView | None) -> dict[str, object] | None:
    if view is None:
        return None
    return {column.key: getattr(view, column.key) for column in PromotionView.__table__.c}


async def _applicant_records(session: AsyncSession, process_id: str) -> list[ApplicantRecord]:
    """Every applicant's screening, page by page; NIPs and names are left behind."""
    records: list[ApplicantRecord] = []
    after: str | None = None
    while True:
        page = await selections.list_applicants(
            session, process_id, limit=APPLICANT_PAGE, after=after
        )
        records += [
            ApplicantRecord(
                applicant_id=a.applicant_id,
                auto_eligible=a.auto_eligible,
                auto_reasons=a.auto_reasons or [],
                decision=a.decision,
                final_eligible=a.final_eligible,
                decision_justification=a.decision_justification,
                decided_by=a.decided_by,
                decided_at=a.decided_at,
            )
            for a in page
        ]
        if len(page) < APPLICANT_PAGE:
            return records
        after = page[-1].applicant_id


def _selection_view(sel: Selection | None) -> tuple[dict[str, Any] | None, ScoringScheme | None]:
    if sel is None:
        return None, None
    view = {
        key: getattr(sel, key)
        for key in ("agency", "rulebook_version", "stage", "status", "appointee_id")
    }
    view["outcome_reason"] = sel.outcome_reason
    try:
        scheme = ScoringScheme.model_validate(sel.scheme) if sel.scheme else None
    except ValidationError:
        scheme = None
    return view, scheme


async def _explain_selection(
    session: AsyncSession,
    process_id: str,
    rows: list[dict[str, Any]],
    sel: Selection | None,
    check: LedgerCheck,
) -> SelectionExplanation:
    view, scheme = _selection_view(sel)
    published = {a.key: a.body for a in await selections.announcements(session, process_id)}
    return explain_selection(
        process_id,
        rows,
        sheets=await selections.score_sheets(session, process_id),
        birth_dates=await selections.birth_dates(session, process_id),
        applicants=await _applicant_records(session, process_id),
        published=published,
        ledger=check,
        scheme=scheme,
        view=view,
    )


@explain_router.get(
    "/{process_id}/explanation",
    response_model=Explanation,
    responses=responses(401, 404, 422),
    summary="Why a process stands where it stands, recomputed from the record",
    description=(
        "A promotion: the eligibility reasons and each step's decision. An open selection: for "
        "each applicant (by applicant id) the screening outcome and decision, and the rank "
        "recomputed from the scores in force and the frozen scheme, checked against the digests "
        "the ledger bound and the lists that were published (the first difference named); plus "
        "each stage decision and the outcome. Read from the database only."
    ),
)
async def explanation(
    process_id: str, principal: PrincipalDep, session: SessionDep
) -> PromotionExplanation | SelectionExplanation | TalentExplanation:
    rows = await audit.process_rows(session, process_id)
    view = await repositories.get_promotion(session, process_id)
    sel = await selections.get(session, process_id) if view is None else None
    if view is not None:
        agency: str | None = view.agency
    elif sel is not None:
        agency = sel.agency
    else:
        agency = next((r["agency"] for r in rows if r["agency"]), None)
    if not (rows or view or sel) or not can_see_agency(principal, agency):
        raise _not_visible(process_id)
    kind = rows[0]["process_kind"] if rows else ("selection" if sel is not None else "promotion")
    if kind not in ("promotion", "selection", *TALENT_KINDS):
        raise ApiError(
            422, "explanation_unsupported", f"Processes of kind {kind!r} have no explanation yet."
        )
    verified = await ledger.verify(session, process_id)
    check = LedgerCheck(entries=verified.entries, verified=verified.ok, problem=verified.problem)
    if kind == "selection":
        return await _explain_selection(session, process_id, rows, sel, check)
    if kind in TALENT_KINDS:
        talent: Literal["talent_review", "talent_appointment"] = (
            "talent_review" if kind == "talent_review" else "talent_appointment"
        )
        return await talent_reads.explanation(session, process_id, talent, rows, check)
    return explain_promotion(process_id, rows, _view_data(view), check)


router.include_router(audit_router)
router.include_router(explain_router)
