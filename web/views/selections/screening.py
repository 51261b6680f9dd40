"""Administrative screening: each applicant's automatic pre-check with its reasons; a panel
member confirms or overrides it (an override needs a justification); the chair or secretary
closes screening once every applicant is decided."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from actions.queries import selections as reads
from actions.selections.screening import CLOSE_SCREENING, DECIDE
from web.forms import FormState, form_data, services, take_flash
from web.i18n import N_
from web.render import render
from web.routing import ConsoleRoute
from web.views.selections.common import act, seat_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/selections/{process_id}/screening", response_class=HTMLResponse)
async def screening(request: Request, process_id: str, cursor: str | None = None) -> Response:
    return await _page(request, process_id, FormState(), cursor=cursor)


async def _page(
    request: Request, process_id: str, form: FormState, status: int = 200, cursor: str | None = None
) -> Response:
    me = await seat_of(request, process_id)
    listing = await reads.screening(
        services(request), me.who.principal(), process_id, cursor=cursor
    )
    open_ = me.running and me.sel.stage == "screening"
    context = {
        "s": me.sel,
        "listing": listing,
        "may_decide": open_ and me.member,
        "may_close": open_ and me.secretariat,
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "selections/screening.html", context, status=status)


@router.post("/selections/{process_id}/screening/{applicant_id}")
async def decide(request: Request, process_id: str, applicant_id: str) -> Response:
    data = await form_data(request)
    body = {
        "applicant_id": applicant_id,
        "eligible": {"yes": True, "no": False}.get(data.get("eligible", ""), data.get("eligible")),
        "justification": data.get("justification", "").strip() or None,
    }

    async def redraw(form: FormState, status: int) -> Response:
        return await _page(request, process_id, form, status)

    return await act(
        request, process_id, DECIDE, body, data,
        done=N_("The screening decision is recorded."),
        then=f"/selections/{process_id}/screening#a-{applicant_id}", redraw=redraw,
        at="justification", row=applicant_id,
    )  # fmt: skip


@router.post("/selections/{process_id}/screening-close")
async def close(request: Request, process_id: str) -> Response:
    data = await form_data(request)

    async def redraw(form: FormState, status: int) -> Response:
        return await _page(request, process_id, form, status)

    return await act(
        request, process_id, CLOSE_SCREENING, {"note": data.get("note") or None}, data,
        done=N_("Screening is closed."), then=f"/selections/{process_id}", redraw=redraw,
        at="note", row="close",
    )  # fmt: skip
