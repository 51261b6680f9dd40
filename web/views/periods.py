"""Agency HR: open a promotion period and watch its fan-out (a progress bar that refreshes itself
with htmx, and the same numbers as a plain page without JavaScript)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from actions import policy
from actions.periods import OPENED
from actions.queries import periods as reads
from actions.statuses import status_for
from domain import cloudevents as ce
from domain.errors import DomainError
from web.forms import FormState, form_data, services, submit
from web.render import render
from web.routing import ConsoleRoute
from web.session import require_person

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
OPENERS = policy.action_roles("promotion_period.open")
SOURCE = "meritflow-console"


@router.get("/periods", response_class=HTMLResponse)
async def periods(request: Request) -> Response:
    return await _list(request, FormState())


async def _list(request: Request, form: FormState, status: int = 200) -> Response:
    who = require_person(request)
    page = await reads.page(services(request), who.principal())
    context = {"page": page, "form": form, "can_open": who.role in OPENERS}
    return render(request, "periods.html", context, status=status)


@router.post("/periods")
async def open_period(request: Request) -> Response:
    require_person(request)  # the role is the pipeline's to check (the period's action)
    data = await form_data(request)
    nips = [n.strip() for n in data.get("nips", "").replace(",", "\n").splitlines() if n.strip()]
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": data.get("request_id", ""),
        "source": SOURCE,
        "type": ce.PERIOD_OPENED,
        "datacontenttype": "application/json",
        "data": {
            "period": data.get("period", ""),
            "type": data.get("type") or "regular",
            **({"nips": nips} if nips else {}),
        },
    }
    try:
        accepted = await submit(request, OPENED, event, request_id=data.get("request_id", ""))
    except DomainError as err:
        return await _list(request, FormState(values=data, error=err), status_for(err))
    return RedirectResponse(f"/periods/{accepted.process_id}", status_code=303)


@router.get("/periods/{period_id}", response_class=HTMLResponse)
async def period(request: Request, period_id: str) -> Response:
    who = require_person(request)
    p = await reads.get(services(request), who.principal(), period_id)
    return render(request, "period.html", {"p": p, "progress": _progress(p)})


@router.get("/periods/{period_id}/progress", response_class=HTMLResponse)
async def progress(request: Request, period_id: str) -> Response:
    """The fragment the page polls while the period is still starting its promotions."""
    who = require_person(request)
    p = await reads.get(services(request), who.principal(), period_id)
    return render(request, "partials/period_progress.html", {"p": p, "progress": _progress(p)})


def _progress(p: Any) -> dict[str, Any]:
    requested = p.requested or 0
    done = p.started + p.already_running
    return {
        "done": done,
        "requested": requested,
        "percent": round(100 * done / requested) if requested else 0,
        "live": p.status != "completed",
    }
