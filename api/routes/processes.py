"""The ledger of one process, and its verification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from actions.queries import ledger as ledger_reads
from api.auth import PrincipalDep
from api.deps import ContextDep
from api.errors import responses
from store.ledger import VerifyResult

router = APIRouter(prefix="/v1/processes", tags=["ledger"])


class LedgerPage(BaseModel):
    process_id: str
    entries: list[dict[str, Any]]


@router.get("/{process_id}/ledger", response_model=LedgerPage, responses=responses(401, 404))
async def get_ledger(process_id: str, principal: PrincipalDep, ctx: ContextDep) -> LedgerPage:
    entries = await ledger_reads.trace(ctx, principal, process_id)
    return LedgerPage(process_id=process_id, entries=entries)


@router.get(
    "/{process_id}/ledger/verify", response_model=VerifyResult, responses=responses(401, 404)
)
async def verify_ledger(process_id: str, principal: PrincipalDep, ctx: ContextDep) -> VerifyResult:
    return await ledger_reads.verify(ctx, principal, process_id)
