"""A process's ledger as a principal may read it: the trace with hashes, and its verification."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from actions.services import Services
from domain.errors import NotFound
from infra.tokens import Principal
from store import ledger
from store.models import LedgerEntry
from store.reads import reading


def _visible(principal: Principal, rows: list[LedgerEntry], process_id: str) -> None:
    agency = next((r.agency for r in rows if r.agency), None)
    if not rows or not (principal.agency is None or principal.agency == agency):
        raise NotFound(f"No process '{process_id}' with a ledger is visible to you.")


async def trace_rows(
    session: AsyncSession, principal: Principal, process_id: str
) -> list[LedgerEntry]:
    rows = list(await ledger.entries(session, process_id))
    _visible(principal, rows, process_id)
    return rows


async def trace(services: Services, principal: Principal, process_id: str) -> list[dict[str, Any]]:
    async with reading(services.sessions) as session:
        rows = await trace_rows(session, principal, process_id)
    return [ledger.entry_to_dict(r) for r in rows]
