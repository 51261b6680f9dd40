"""The landing page (anyone) and the inbox (signed in)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from actions.queries import inbox as inbox_reads
from actions.queries import public
from actions.queries.calendar import working_days_left
from web.forms import services, take_flash
from web.render import render
from web.routing import ConsoleRoute
from web.session import person, require_person

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

# Where each kind of task is acted on in the console.
TASK_PAGES = {
    "promotion_decision": "/promotions/{id}",
    "review_conflict_declaration": "/reviews/{id}",
    "review_verdict": "/reviews/{id}",
    "screening_decision": "/selections/{id}/screening",
    "conflict_declaration": "/selections/{id}/declaration",
    "score": "/selections/{id}/scoring",
    "plenary_vote": "/selections/{id}/decision",
    "appointment": "/selections/{id}/decision",
}


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request) -> Response:
    published = await public.published_selections(services(request))
    return render(request, "landing.html", {"selections": published, "me": person(request)})


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request) -> Response:
    who = require_person(request)
    ctx = services(request)
    tasks = (await inbox_reads.inbox(ctx, who.principal())).items
    now = datetime.now(UTC)
    leave = tuple(ctx.settings.joint_leave_days)
    rows: list[dict[str, Any]] = []
    for t in tasks:
        left = working_days_left(t.due_at, now, leave) if t.due_at else None
        page = TASK_PAGES.get(t.kind, "/selections/{id}").format(id=t.process_id)
        rows.append(
            {"task": t, "left": left, "overdue": left is not None and left < 0, "page": page}
        )
    rows.sort(key=lambda r: (not r["overdue"], r["left"] is None, r["left"] or 0))
    return render(request, "inbox.html", {"rows": rows, "flash": take_flash(request)})
