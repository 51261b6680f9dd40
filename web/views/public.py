"""A selection's announcements for anyone, signed in or not: linkable, printable, phone-sized."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from actions.queries import public
from web.announcements import shape
from web.forms import services
from web.render import render
from web.routing import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/public/selections/{process_id}", response_class=HTMLResponse)
async def announcements(request: Request, process_id: str) -> Response:
    found = await public.announcements(services(request), process_id)
    items = [shape(a) for a in reversed(found.items)]  # the latest first
    return render(request, "public_selection.html", {"s": found, "items": items})


@router.get("/public/checkpoints", response_class=HTMLResponse)
async def checkpoints(request: Request) -> Response:
    found = await public.published_checkpoints(services(request))
    return render(request, "public_checkpoints.html", found)
