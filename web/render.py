"""Templates: Jinja2 with autoescape and gettext, rendered in the person's locale."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from actions import policy
from web.i18n import Formatter, pick_locale
from web.reasons import reason_text
from web.session import CSRF_FIELD, csrf_token, person

HERE = Path(__file__).resolve().parent
STATIC_VERSION = "1"
# No inline script or style anywhere: htmx is a file, its indicator styles are switched off
# (htmx-config meta), charts are SVG files with a policy of their own.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
# gettext/ngettext come from each render's context (the person's locale), never from globals.
ENV.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
# A link to a page only some roles may use names the page's rule, not a copy of its roles.
ENV.globals["roles_of"] = policy.roles_of


def locale_of(request: Request) -> str:
    return pick_locale(request.session.get("lang"), request.headers.get("accept-language"))


def formatter(request: Request) -> Formatter:
    return Formatter(locale_of(request))


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    fmt = formatter(request)
    ctx: dict[str, Any] = {
        "request": request,
        "fmt": fmt,
        "lang": fmt.locale,
        "me": person(request),
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(request),
        "htmx": request.headers.get("HX-Request") == "true",
        "static_version": STATIC_VERSION,
        **fmt.callables(),
        "reason": partial(reason_text, fmt),
        **(context or {}),
    }
    html = ENV.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status, headers=HEADERS)
