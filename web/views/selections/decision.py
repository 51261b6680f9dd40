"""The plenary on the proposed shortlist (members vote, the chair or secretary closes it), the
shortlist of three, the appointing authority's choice among them with a reason, and cancelling
the selection with a reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from actions.queries import selections as reads
from actions.selections.appointment import APPOINT, CANCEL
from actions.selections.plenary import CLOSE_PLENARY, VOTE
from domain.errors import DomainError
from web.forms import FormState, form_data, services, take_flash
from web.i18n import N_
from web.render import render
from web.routing import ConsoleRoute
from web.views.selections.common import act, seat_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/selections/{process_id}/decision", response_class=HTMLResponse)
async def decision(request: Request, process_id: str) -> Response:
    return await _page(request, process_id, FormState())


async def _page(request: Request, process_id: str, form: FormState, status: int = 200) -> Response:
    me = await seat_of(request, process_id)
    ctx, principal = services(request), me.who.principal()
    found = await reads.shortlist(ctx, principal, process_id)
    names: dict[str, str] = {}
    try:
        listing = await reads.screening(ctx, principal, process_id, limit=500)
        names = {a.applicant_id: a.name for a in listing.items}
    except DomainError:
        pass  # names are for the panel, HR and the appointing authority
    plenary = found.plenary or {}
    votes: dict[str, bool] = dict(plenary.get("votes") or {})
    recused: list[str] = list(plenary.get("recused") or [])
    stage, running = me.sel.stage, me.running
    context = {
        "s": me.sel,
        "shortlist": found.shortlist or [],
        "names": names,
        "votes": votes,
        "recused": recused,
        "my_vote": votes.get(me.who.sub),
        "may_vote": running and stage == "shortlist" and me.member and me.who.sub not in recused,
        "may_close": running and stage == "shortlist" and me.secretariat,
        "may_appoint": running and stage == "appointment" and me.authority,
        "may_cancel": running and me.authority,
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "selections/decision.html", context, status=status)


def _redraw(request: Request, process_id: str) -> Any:
    async def redraw(form: FormState, status: int) -> Response:
        return await _page(request, process_id, form, status)

    return redraw


def _then(process_id: str) -> str:
    return f"/selections/{process_id}/decision"


@router.post("/selections/{process_id}/plenary/votes")
async def vote(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    approve = {"yes": True, "no": False}.get(data.get("approve", ""), data.get("approve"))
    body = {"approve": approve, "note": data.get("note", "").strip() or None}
    return await act(
        request, process_id, VOTE, body, data, done=N_("Your vote is recorded."),
        then=_then(process_id), redraw=_redraw(request, process_id), at="approve", row="vote",
    )  # fmt: skip


@router.post("/selections/{process_id}/plenary/close")
async def close(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    return await act(
        request, process_id, CLOSE_PLENARY, {"note": data.get("note") or None}, data,
        done=N_("The plenary is closed."), then=_then(process_id),
        redraw=_redraw(request, process_id), at="note", row="close",
    )  # fmt: skip


@router.post("/selections/{process_id}/appointment")
async def appoint(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    body = {"applicant_id": data.get("applicant_id", ""), "reason": data.get("reason", "").strip()}
    return await act(
        request, process_id, APPOINT, body, data, done=N_("The appointment is recorded."),
        then=f"/selections/{process_id}", redraw=_redraw(request, process_id), at="applicant_id",
        row="appoint",
    )  # fmt: skip


@router.post("/selections/{process_id}/cancel")
async def cancel(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    return await act(
        request, process_id, CANCEL, {"reason": data.get("reason", "").strip()}, data,
        done=N_("The selection is cancelled."), then=f"/selections/{process_id}",
        redraw=_redraw(request, process_id), at="reason", row="cancel",
    )  # fmt: skip
