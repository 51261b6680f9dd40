from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import AppContext, ContextDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Each dependency's state: ``ok`` or ``error: <kind>``."""

    status: Literal["ok", "degraded"]
    database: str
    temporal: str


@router.get(
    "/healthz",
    summary="Database and Temporal reachability",
    response_model=Health,
    responses={
        # Its own body, not the error body: the openapi module keeps a response marked so.
        503: {"model": Health, "description": "A dependency is down", "x-own-body": True},
    },
)
async def healthz(ctx: ContextDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with ctx.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, don't crash: this endpoint exists to say what is down
        checks["database"] = f"error: {type(exc).__name__}"
    checks["temporal"] = await _temporal(ctx)
    healthy = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status_code=200 if healthy else 503
    )


async def _temporal(ctx: AppContext) -> str:
    """``ok``, or the error of a second try: one dropped probe is not an outage."""
    for attempt in range(2):
        try:
            await ctx.client.service_client.check_health()
            return "ok"
        except Exception as exc:  # report, don't crash
            if attempt:
                return f"error: {type(exc).__name__}"
            await asyncio.sleep(0.2)
    raise AssertionError("unreachable")
