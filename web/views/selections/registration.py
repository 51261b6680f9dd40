"""Registration: the applicants, a form for one, and a CSV file for many (all rows or none), whose
refused rows are shown in place: the file as sent, each bad value marked by line and column."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from actions.queries import selections as reads
from actions.selections.csv_import import CSV_COLUMNS, CSV_MAX_BYTES
from actions.selections.registration import IMPORT, REGISTER
from domain.errors import DomainError, TooLarge
from web.forms import FormState, form_data, services, take_flash
from web.i18n import N_
from web.render import render
from web.routing import ConsoleRoute
from web.session import CSRF_FIELD, check_csrf
from web.views.selections.common import act, seat_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
SHOWN_LINES = 200
_AT = re.compile(r"^line (\d+)(?:, (\w+))?$")


@router.get("/selections/{process_id}/applicants", response_class=HTMLResponse)
async def applicants(request: Request, process_id: str, cursor: str | None = None) -> Response:
    return await _page(request, process_id, FormState(), cursor=cursor)


async def _page(
    request: Request,
    process_id: str,
    form: FormState,
    status: int = 200,
    *,
    cursor: str | None = None,
    upload: dict[str, Any] | None = None,
) -> Response:
    me = await seat_of(request, process_id)
    try:
        page = await reads.applicants(
            services(request), me.who.principal(), process_id, cursor=cursor
        )
    except DomainError:
        page = None  # not the person's to read: the forms still show, for whoever may register
    context = {
        "s": me.sel,
        "page": page,
        "may_register": me.registrar and me.sel.stage == "registration",
        "columns": CSV_COLUMNS,
        "upload": upload,
        "marks": marks(form.error),
        "form": form,
        "flash": take_flash(request),
    }
    return render(request, "selections/applicants.html", context, status=status)


@router.post("/selections/{process_id}/applicants")
async def register(request: Request, process_id: str) -> Response:
    data = await form_data(request)
    body = {
        "applicant_id": data.get("applicant_id", "").strip(),
        "nip": data.get("nip", "").strip() or None,
        "name": data.get("name", "").strip(),
        "degree": data.get("degree", ""),
        "years_experience": data.get("years_experience", "").strip() or None,
        "years_senior_post": data.get("years_senior_post", "").strip() or None,
        "birth_date": data.get("birth_date") or None,
        "grade": data.get("grade") or None,
        "sanction_active": data.get("sanction_active") == "yes",
    }

    async def redraw(form: FormState, status: int) -> Response:
        return await _page(request, process_id, form, status)

    return await act(
        request, process_id, REGISTER, body, data,
        done=N_("The applicant is registered."), then=f"/selections/{process_id}/applicants",
        redraw=redraw, at="applicant_id",
    )  # fmt: skip


@router.post("/selections/{process_id}/applicants/import")
async def import_file(request: Request, process_id: str) -> Response:
    form = await request.form(max_part_size=CSV_MAX_BYTES + 1)
    check_csrf(request, str(form.get(CSRF_FIELD) or ""))
    data = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    file = form.get("file")
    raw = await file.read(CSV_MAX_BYTES + 1) if isinstance(file, UploadFile) else b""
    upload: dict[str, Any] | None = None

    async def redraw(state: FormState, status: int) -> Response:
        return await _page(request, process_id, state, status, upload=upload)

    if len(raw) <= CSV_MAX_BYTES:
        upload = {"name": getattr(file, "filename", ""), "rows": _rows(raw)}
    else:
        err = TooLarge(
            f"The file has more than {CSV_MAX_BYTES} bytes; split it into several imports.",
            code="csv_too_large",
            field="file",
        )
        return await redraw(FormState(values=data, error=err), 413)

    response = await act(
        request, process_id, IMPORT, raw, data,
        done=N_("The applicants in the file are registered."),
        then=f"/selections/{process_id}/applicants", redraw=redraw, at="file",
    )  # fmt: skip
    return response


def _rows(raw: bytes) -> list[dict[str, Any]]:
    """The file as sent, line by line (what the refusal's line numbers count), for showing."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[dict[str, Any]] = []
    for values in reader:
        if len(out) >= SHOWN_LINES:
            break
        out.append({"line": reader.line_num, "cells": values})
    return out


def marks(err: DomainError | None) -> dict[int, dict[str, str]]:
    """The refusal's fields as ``{line: {column or "": message}}``."""
    found: dict[int, dict[str, str]] = {}
    for f in err.fields if err is not None else []:
        m = _AT.match(f.get("field", ""))
        if m:
            found.setdefault(int(m.group(1)), {})[m.group(2) or ""] = f.get("message", "")
    return found
