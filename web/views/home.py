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

# The first promotions shown, soonest due first (the overdue come first); the rest are counted.
INBOX_ROWS = 50
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
    "talent_review": "/talent/{id}",
    "talent_objection": "/me/talent",
    "talent_appointment": "/talent-appointments/{id}",
}


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request) -> Response:
    published = await public.published_selections(services(request))
    return render(request, "landing.html", {"selections": published, "me": person(request)})


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(request: Request) -> Response:
    who = require_person(request)
    ctx = services(request)
    tasks = (await inbox_reads.inbox(ctx, who.principal(), limit=INBOX_ROWS)).items
    promotions = await inbox_reads.waiting_promotions(ctx, who.principal())
    now = datetime.now(UTC)
    leave = tuple(ctx.settings.joint_leave_days)
    rows: list[dict[str, Any]] = []
    for t in tasks:
        left = working_days_left(t.due_at, now, leave) if t.due_at else None
        # Within a day (and always on a training rulebook, whose deadlines are minutes away) the
        # time itself says more than "0 working days".
        minutes = int((t.due_at - now).total_seconds() // 60) if t.due_at else None
        soon = minutes is not None and abs(minutes) < 24 * 60
        page = TASK_PAGES.get(t.kind, "/selections/{id}").format(id=t.process_id)
        rows.append(
            {
                "task": t,
                "left": left,
                "minutes": minutes if soon else None,
                "overdue": minutes is not None and minutes < 0,
                "page": page,
            }
        )
    rows.sort(key=lambda r: (not r["overdue"], r["task"].due_at is None, r["task"].due_at or now))
    context = {
        "rows": rows,
        "flash": take_flash(request),
        "more": max(promotions - INBOX_ROWS, 0),
    }
    return render(request, "inbox.html", context)
