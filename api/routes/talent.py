"""An agency's talent records (inputs by CSV or JSON, the approval, critical posts, the pool,
succession plans), an employee's own boxes, and talent appointments. Thin adapters over
``actions/talent`` and ``actions/queries/talent``."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response

from actions.employees import csv_body
from actions.queries import talent as reads
from actions.schemas.talent import (
    AppointIn,
    ApprovalRead,
    CriticalPostIn,
    CriticalPostRead,
    FallBackIn,
    PersonRead,
    PoolRead,
    TalentAppointmentRead,
    TalentImported,
)
from actions.talent import appointments, records
from api.actions import ANSWERED, act, answered, body_schema, csv_body_schema
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses
from api.params import IsoDate
from domain.calendar import WIB
from domain.talent.filling import Approval
from domain.talent.records import REQUIRED_COLUMNS, TalentRecord

router = APIRouter(tags=["talent"])
ACTION_ERRORS = responses(401, 403, 404, 409, 413, 422, 503)
# A province's talent inputs in one file: 100,000 rows of about 300 bytes.
CSV_MAX_BYTES = 40 * 1024 * 1024


@router.post(
    "/v1/talent/records",
    response_model=TalentImported,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(TalentRecord),
    summary=records.UPSERT.summary,
)
async def upsert_record(
    request: Request, principal: PrincipalDep, ctx: ContextDep
) -> TalentImported:
    return (await act(request, ctx, records.UPSERT, principal)).result


@router.post(
    "/v1/talent/records/import",
    response_model=TalentImported,
    responses=ACTION_ERRORS,
    openapi_extra=csv_body_schema(REQUIRED_COLUMNS, "header with at least"),
    summary=records.IMPORT.summary,
)
async def import_records(
    request: Request, principal: PrincipalDep, ctx: ContextDep
) -> TalentImported:
    async def read() -> bytes:
        return csv_body(await request.body())

    return (await act(request, ctx, records.IMPORT, principal, body=read)).result


@router.post(
    "/v1/talent/approvals",
    status_code=201,
    response_model=Approval,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(Approval),
    summary=records.RECORD_APPROVAL.summary,
)
async def record_approval(request: Request, principal: PrincipalDep, ctx: ContextDep) -> Approval:
    return (await act(request, ctx, records.RECORD_APPROVAL, principal)).result


@router.get("/v1/talent/approval", response_model=ApprovalRead, responses=responses(401, 403, 404))
async def get_approval(
    principal: PrincipalDep, ctx: ContextDep, agency: str | None = None, on: IsoDate | None = None
) -> ApprovalRead:
    return await reads.approval(ctx, principal, agency, on or datetime.now(WIB).date())


@router.post(
    "/v1/talent/critical-posts",
    response_model=CriticalPostRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(CriticalPostIn),
    summary=records.MARK_POST.summary,
)
async def mark_post(request: Request, principal: PrincipalDep, ctx: ContextDep) -> CriticalPostRead:
    return (await act(request, ctx, records.MARK_POST, principal)).result


@router.get(
    "/v1/talent/critical-posts",
    response_model=list[CriticalPostRead],
    responses=responses(401, 403, 404),
    summary="The agency's critical posts, each with its ranked successors",
)
async def list_posts(
    principal: PrincipalDep, ctx: ContextDep, agency: str | None = None
) -> list[CriticalPostRead]:
    return await reads.posts(ctx, principal, agency)


@router.get("/v1/talent/pool", response_model=PoolRead, responses=responses(401, 403, 404))
async def get_pool(principal: PrincipalDep, ctx: ContextDep, agency: str | None = None) -> PoolRead:
    return await reads.pool(ctx, principal, agency)


@router.get(
    "/v1/me/talent",
    response_model=list[PersonRead],
    responses=responses(401),
    summary="Your boxes in every talent review, and why (the employee's NIP is the subject)",
)
async def my_boxes(principal: PrincipalDep, ctx: ContextDep) -> list[PersonRead]:
    return await reads.my_boxes(ctx, principal)


@router.get(
    "/v1/talent-appointments",
    response_model=list[TalentAppointmentRead],
    responses=responses(401),
)
async def list_appointments(
    principal: PrincipalDep, ctx: ContextDep
) -> list[TalentAppointmentRead]:
    return await reads.appointment_list(ctx, principal)


@router.get(
    "/v1/talent-appointments/{process_id}",
    response_model=TalentAppointmentRead,
    responses=responses(401, 404),
)
async def get_appointment(
    process_id: str, principal: PrincipalDep, ctx: ContextDep
) -> TalentAppointmentRead:
    return await reads.appointment(ctx, principal, process_id)


@router.post(
    "/v1/talent-appointments/{process_id}/appointment",
    response_model=TalentAppointmentRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(AppointIn),
    summary=appointments.APPOINT.summary,
    description=ANSWERED,
)
async def appoint(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> TalentAppointmentRead:
    done = await act(request, ctx, appointments.APPOINT, principal, process_id)
    return answered(done, response)


@router.post(
    "/v1/talent-appointments/{process_id}/fall-back",
    response_model=TalentAppointmentRead,
    responses=ACTION_ERRORS,
    openapi_extra=body_schema(FallBackIn),
    summary=appointments.FALL_BACK.summary,
    description=ANSWERED,
)
async def fall_back(
    process_id: str, request: Request, response: Response, principal: PrincipalDep, ctx: ContextDep
) -> TalentAppointmentRead:
    done = await act(request, ctx, appointments.FALL_BACK, principal, process_id)
    return answered(done, response)
