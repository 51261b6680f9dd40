"""The ledger of one process, and its verification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import PrincipalDep, can_see_agency
from api.deps import SessionDep
from api.errors import ApiError, responses
from infra.tokens import Principal
from store import ledger
from store.ledger import VerifyResult
from store.models import LedgerEntry

router = APIRouter(prefix="/v1/processes", tags=["ledger"])


class LedgerPage(BaseModel):
    process_id: str
    entries: list[dict[str, Any]]


async def _entries(session: SessionDep, principal: Principal, process_id: str) -> list[LedgerEntry]:
    rows = await ledger.entries(session, process_id)
    agency = next((r.agency for r in rows if r.agency), None)
    if not rows or not can_see_agency(principal, agency):
        raise ApiError(
            404, "not_found", f"No process '{process_id}' with a ledger is visible to you."
        )
    return rows


@router.get("/{process_id}/ledger", response_model=LedgerPage, responses=responses(401, 404))
async def get_ledger(process_id: str, principal: PrincipalDep, session: SessionDep) -> LedgerPage:
    rows = await _entries(session, principal, process_id)
    return LedgerPage(process_id=process_id, entries=[ledger.entry_to_dict(r) for r in rows])


@router.get(
    "/{process_id}/ledger/verify", response_model=VerifyResult, responses=responses(401, 404)
)
async def verify_ledger(
    process_id: str, principal: PrincipalDep, session: SessionDep
) -> VerifyResult:
    await _entries(session, principal, process_id)
    return await ledger.verify(session, process_id)
