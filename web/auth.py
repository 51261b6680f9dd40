"""Signing in to the console: a persona picker in development, test and training; the agency's
OpenID Connect provider (authorization code with PKCE, Authlib) wherever it is configured."""

from __future__ import annotations

import re
from typing import Annotated, Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.enums import Role
from domain.errors import NotFound, RuleViolation, Unauthenticated
from infra.settings import Settings
from web.render import render
from web.routing import ConsoleRoute, safe_next
from web.session import Person, check_csrf, sign_in, sign_out, switch_role

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
ROLES = [r.value for r in Role]
_SUB = re.compile(r"[^a-z0-9]+")
OIDC_NAME = "agency"


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def oauth_of(request: Request) -> OAuth | None:
    oauth: OAuth | None = request.app.state.oauth
    return oauth


def build_oauth(settings: Settings) -> OAuth | None:
    if not (settings.oidc_metadata_url and settings.oidc_client_id):
        return None
    oauth = OAuth()
    oauth.register(
        OIDC_NAME,
        server_metadata_url=settings.oidc_metadata_url,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
    )
    return oauth


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, next: str | None = None) -> Response:  # noqa: A002
    s = settings_of(request)
    return render(
        request,
        "signin.html",
        {
            "personas": s.personas_allowed,
            "oidc": oauth_of(request) is not None,
            "roles": ROLES,
            "next": safe_next(next),
        },
    )


@router.post("/signin/persona")
async def signin_persona(
    request: Request,
    csrf_token: Annotated[str, Form()],
    role: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=200)],
    agency: Annotated[str, Form(max_length=64)] = "",
    sub: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form()] = "/inbox",  # noqa: A002
) -> Response:
    if not settings_of(request).personas_allowed:
        raise NotFound("Persona sign-in is off here; sign in with your agency's account.")
    check_csrf(request, csrf_token)
    if role not in ROLES:
        raise RuleViolation(f"Unknown role {role!r}.", code="unknown_role", field="role")
    if not name.strip():
        raise RuleViolation("Give the persona a name.", code="name_required", field="name")
    subject = sub.strip() or _SUB.sub("-", name.lower()).strip("-") or "persona"
    who = Person(subject, name.strip(), agency.strip() or None, (role,), role)
    sign_in(request, who)
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/signin/oidc")
async def signin_oidc(request: Request, next: str | None = None) -> Response:  # noqa: A002
    oauth = oauth_of(request)
    if oauth is None:
        raise NotFound("No identity provider is configured here.")
    request.session["signin_next"] = safe_next(next)
    client = oauth.create_client(OIDC_NAME)
    redirect: Response = await client.authorize_redirect(
        request, str(request.url_for("signin_oidc_callback"))
    )
    return redirect


@router.get("/signin/oidc/callback")
async def signin_oidc_callback(request: Request) -> Response:
    oauth = oauth_of(request)
    if oauth is None:
        raise NotFound("No identity provider is configured here.")
    try:
        token = await oauth.create_client(OIDC_NAME).authorize_access_token(request)
    except OAuthError as err:
        raise Unauthenticated(f"Sign-in failed: {err.description or err.error}.") from err
    who = person_from_claims(dict(token.get("userinfo") or {}), settings_of(request))
    target = str(request.session.pop("signin_next", "/inbox"))
    sign_in(request, who)
    return RedirectResponse(safe_next(target), status_code=303)


def person_from_claims(claims: dict[str, Any], s: Settings) -> Person:
    raw = claims.get(s.oidc_roles_claim)
    roles = tuple(r for r in ([raw] if isinstance(raw, str) else list(raw or [])) if r in ROLES)
    if not roles:
        raise Unauthenticated(
            "Your account holds no role in Meritflow; ask your agency's administrator.",
            code="no_role",
        )
    sub = str(claims.get("sub") or "")
    if not sub:
        raise Unauthenticated("The identity provider sent no subject.", code="no_subject")
    agency = claims.get(s.oidc_agency_claim)
    name = str(claims.get(s.oidc_name_claim) or sub)
    return Person(sub, name, str(agency) if agency else None, roles, roles[0])


@router.post("/signout")
async def signout(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    check_csrf(request, csrf_token)
    sign_out(request)
    return RedirectResponse("/", status_code=303)


@router.post("/role")
async def choose_role(
    request: Request, csrf_token: Annotated[str, Form()], role: Annotated[str, Form()]
) -> Response:
    check_csrf(request, csrf_token)
    switch_role(request, role)
    return RedirectResponse("/inbox", status_code=303)


@router.post("/language")
async def choose_language(
    request: Request,
    csrf_token: Annotated[str, Form()],
    lang: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    check_csrf(request, csrf_token)
    if lang in ("id", "en"):
        request.session["lang"] = lang
    return RedirectResponse(safe_next(next), status_code=303)
