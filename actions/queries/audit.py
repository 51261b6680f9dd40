"""The auditors' reads: ledger search across processes and the data behind the charts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from actions import cursors, policy
from actions.services import Services
from domain import analytics
from domain.enums import Role
from domain.errors import NotPermitted, RuleViolation
from domain.ledger import iso_utc
from infra.tokens import Principal
from store import audit, ledger
from store.models import LedgerEntry
from store.reads import reading

SEARCHERS = policy.roles_of("audit.search")
CHART_WINDOW = timedelta(days=90)
CHART_ROWS = 200_000


def scope(principal: Principal, agency: str | None) -> str | None:
    """The agency a search is confined to (None: national)."""
    if principal.role not in SEARCHERS:
        raise NotPermitted(
            f"The role '{principal.role}' may not search the ledger.", code="forbidden_role"
        )
    if principal.agency is None:
        if principal.role == Role.AGENCY_HR.value:
            raise NotPermitted(
                "An agency_hr token must name its agency to search.", code="agency_required"
            )
        return agency
    if agency is not None and agency != principal.agency:
        raise NotPermitted(
            f"You may search the ledger of agency {principal.agency} only, not {agency}.",
            code="agency_out_of_scope",
        )
    return principal.agency


async def search(
    services: Services,
    principal: Principal,
    flt: audit.EntryFilter,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    flt = audit.EntryFilter(**{**flt.__dict__, "agency": scope(principal, flt.agency)})
    if flt.recorded_from and flt.recorded_to and flt.recorded_to <= flt.recorded_from:
        raise RuleViolation(
            "The time range is empty: `to` must be later than `from`.",
            code="validation_error",
            field="to",
        )
    with cursors.guard():
        after = audit.decode_cursor(cursor) if cursor else None
    async with reading(services.sessions) as session:
        rows = await audit.search_entries(session, flt, limit=limit + 1, after=after)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = audit.encode_cursor((page[-1].recorded_at, page[-1].entry_id))
    return [ledger.entry_to_dict(r) for r in page], next_cursor


# Chart data per agency scope, kept briefly: the page and its three SVGs ask for it together, and
# a 90-day window does not move in a minute.
CHART_TTL_S = 60.0
_charts: dict[str | None, tuple[float, dict[str, Any]]] = {}


async def chart_data(
    services: Services, principal: Principal, *, now: datetime | None = None
) -> dict[str, Any]:
    """Time in stage, refusals by code and deadlines missed over the last 90 days, in scope."""
    agency = scope(principal, None)
    cached = _charts.get(agency)
    if now is None and cached is not None and time.monotonic() - cached[0] < CHART_TTL_S:
        return cached[1]
    data = await _chart_data(services, agency, now or datetime.now(UTC))
    if now is None:
        _charts[agency] = (time.monotonic(), data)
    return data


async def _chart_data(services: Services, agency: str | None, now: datetime) -> dict[str, Any]:
    since = now - CHART_WINDOW
    cols = (
        LedgerEntry.process_id,
        LedgerEntry.process_kind,
        LedgerEntry.kind,
        LedgerEntry.outcome,
        LedgerEntry.stage_after,
        LedgerEntry.occurred_at,
        LedgerEntry.payload,
    )
    stmt = select(*cols).where(LedgerEntry.recorded_at >= since)
    if agency is not None:
        stmt = stmt.where(LedgerEntry.agency == agency)
    stmt = stmt.order_by(LedgerEntry.process_id, LedgerEntry.seq).limit(CHART_ROWS)
    async with reading(services.sessions) as session:
        rows = [dict(r) for r in (await session.execute(stmt)).mappings()]
    return {
        "since": iso_utc(since),
        "agency": agency,
        "rows": len(rows),
        "time_in_stage": analytics.time_in_stage(rows),
        "refusals": analytics.refusals_by_code(rows),
        "deadlines": analytics.deadlines_missed(rows),
    }
