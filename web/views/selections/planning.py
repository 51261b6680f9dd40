"""Planning: the panel (a form of many rows that works without JavaScript), the scoring scheme
with its scorers (the standard scheme offered first, editable), submitting the plan to the
oversight body, and announcing the registration window (dates, or instants on a training
rulebook that counts minutes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from actions.queries import selections as reads
from actions.selections.planning import ANNOUNCE, PANEL, SCHEME, SUBMIT_PLAN
from domain.calendar import WIB
from web.forms import FormState, form_data, services, take_flash
from web.i18n import N_
from web.render import render
from web.routing import ConsoleRoute
from web.views.selections.common import act, lines, seat_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
EXTRA_ROWS = 2
MAX_ROWS = 25
PANEL_COLUMNS = ("id", "name", "role", "affiliation")
SCHEME_COLUMNS = ("code", "name", "weight", "cutoff", "scorer_kind", "scorers")


@router.get("/selections/{process_id}/planning", response_class=HTMLResponse)
async def planning(request: Request, process_id: str, rows: int = 0) -> Response:
    return await _page(request, process_id, FormState(), rows=rows)


async def _page(
    request: Request, process_id: str, form: FormState, status: int = 200, rows: int = 0
) -> Response:
    me = await seat_of(request, process_id)
    ctx, principal = services(request), me.who.principal()
    panel = (await reads.panel(ctx, principal, process_id)).members
    scorers = await reads.scorers(ctx, principal, process_id)
    declared = await reads.declarations(ctx, principal, process_id)
    members = [m.model_dump() for m in panel] or [{} for _ in range(5)]
    scheme = me.sel.scheme or reads.standard_scheme().model_dump()
    components = [
        {**c, "scorers": ", ".join(scorers.get(c["code"], []))} for c in scheme["components"]
    ]
    if form.error is not None:  # what the person sent, as they sent it
        members = _sent_rows(form.values, "m", PANEL_COLUMNS + ("internal",))
        components = _sent_rows(form.values, "c", SCHEME_COLUMNS + ("pass_fail",)) or components
    extra = EXTRA_ROWS + max(0, min(rows, MAX_ROWS))
    now = datetime.now(UTC).astimezone(WIB).replace(second=0, microsecond=0)
    context = {
        "s": me.sel,
        "planner": me.planner and me.running,
        "minutes": me.minutes,
        "members": members + [{} for _ in range(extra)],
        "components": components + [{} for _ in range(EXTRA_ROWS)],
        "tie_break": ", ".join(scheme.get("tie_break") or []),
        "standard": me.sel.scheme is None,
        "declared": declared,
        "scorer_ids": sorted({sid for ids in scorers.values() for sid in ids}),
        "more_rows": extra + 3,
        "default_closes_at": (now + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M"),
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "selections/planning.html", context, status=status)


def _sent_rows(
    values: dict[str, Any], prefix: str, columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    out = []
    for i in range(MAX_ROWS + EXTRA_ROWS + 10):
        row = {c: values.get(f"{prefix}-{i}-{c}", "") for c in columns}
        if any(row.values()):
            out.append(row)
    return out


def _redraw(request: Request, process_id: str) -> Any:
    async def redraw(form: FormState, status: int) -> Response:
        return await _page(request, process_id, form, status)

    return redraw


@router.post("/selections/{process_id}/panel")
async def set_panel(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    members = [
        {
            "id": r["id"].strip(),
            "name": r["name"].strip(),
            "role": r["role"] or "member",
            "internal": r["internal"] == "yes",
            "affiliation": r["affiliation"].strip(),
        }
        for r in _sent_rows(data, "m", PANEL_COLUMNS + ("internal",))
        if r["id"].strip() or r["name"].strip()
    ]
    return await act(
        request, process_id, PANEL, {"members": members}, data,
        done=N_("The panel is recorded."), then=f"/selections/{process_id}/planning",
        redraw=_redraw(request, process_id), at="members",
    )  # fmt: skip


def _number(text: str) -> float | str | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text  # refused by the action, named by its field


@router.post("/selections/{process_id}/scheme")
async def set_scheme(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    components, scorers = [], {}
    for r in _sent_rows(data, "c", SCHEME_COLUMNS + ("pass_fail",)):
        code = r["code"].strip()
        if not code and not r["name"].strip():
            continue
        components.append(
            {
                "code": code,
                "name": r["name"].strip(),
                "weight": _number(r["weight"]) or 0,
                "cutoff": _number(r["cutoff"]),
                "pass_fail": r["pass_fail"] == "yes",
                "scorer_kind": r["scorer_kind"] or "committee",
            }
        )
        scorers[code] = lines(r["scorers"])
    body = {
        "scheme": {"components": components, "tie_break": lines(data.get("tie_break", ""))},
        "scorers": scorers,
    }
    return await act(
        request, process_id, SCHEME, body, data,
        done=N_("The scoring scheme and its scorers are recorded."),
        then=f"/selections/{process_id}/planning", redraw=_redraw(request, process_id),
        at="scheme",
    )  # fmt: skip


@router.post("/selections/{process_id}/plan")
async def submit_plan(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    return await act(
        request, process_id, SUBMIT_PLAN, {"note": data.get("note") or None}, data,
        done=N_("The plan is sent to the oversight body for review."),
        then=f"/selections/{process_id}", redraw=_redraw(request, process_id), at="note",
    )  # fmt: skip


def _instant(text: str) -> str | None:
    """A date and time typed in WIB (``datetime-local``), as an instant; the text as it was when
    it is not one (the action names the field)."""
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=WIB).isoformat()
    except ValueError:
        return text


@router.post("/selections/{process_id}/announcement")
async def announce(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    body = {
        "opens": data.get("opens") or None,
        "closes": data.get("closes") or None,
        "opens_at": _instant(data.get("opens_at", "")),
        "closes_at": _instant(data.get("closes_at", "")),
        "text": data.get("text", ""),
    }
    return await act(
        request, process_id, ANNOUNCE, body, data,
        done=N_("The vacancy is announced."), then=f"/selections/{process_id}",
        redraw=_redraw(request, process_id), at="closes_at" if data.get("closes_at") is not None else "closes",
    )  # fmt: skip
