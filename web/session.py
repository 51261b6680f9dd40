"""Who is signed in to the console, in which role, and the session's CSRF token.

The session lives in a signed cookie (Starlette's SessionMiddleware, itsdangerous): HttpOnly,
SameSite=Lax, Secure outside development/test/training. It holds the person (subject, name,
agency, the roles they hold and the one they act in), the language and the CSRF token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from actions import policy
from domain.errors import NotPermitted, Unauthenticated
from infra.tokens import Principal

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Person:
    sub: str
    name: str
    agency: str | None
    roles: tuple[str, ...]
    role: str

    def principal(self) -> Principal:
        """The person as the pipeline sees them: acting in exactly one role."""
        return Principal(sub=self.sub, role=self.role, agency=self.agency)

    def to_session(self) -> dict[str, Any]:
        return {
            "sub": self.sub,
            "name": self.name,
            "agency": self.agency,
            "roles": list(self.roles),
            "role": self.role,
        }

    @classmethod
    def from_session(cls, data: Any) -> Person | None:
        if not isinstance(data, dict):
            return None
        try:
            roles = tuple(str(r) for r in data["roles"])
            role = str(data["role"])
            if role not in roles:
                return None
            return cls(str(data["sub"]), str(data["name"]), data.get("agency"), roles, role)
        except (KeyError, TypeError):
            return None


def person(request: Request) -> Person | None:
    return Person.from_session(request.session.get("person"))


def require_person(request: Request) -> Person:
    """The signed-in person, allowed by the page's rule in ``actions/policy.py`` (a form that runs
    an action is left to the pipeline); a page without a rule is refused."""
    found = person(request)
    if found is None:
        raise Unauthenticated("Sign in to see this page.", code="signin_required")
    route = request.scope.get("route")
    path = str(getattr(route, "path", request.url.path))
    rule = policy.route_rule(policy.CONSOLE, request.method, path)
    if not rule.action and not rule.allows(found.role):
        raise policy.forbidden(found.principal(), rule.roles)
    return found


def sign_in(request: Request, who: Person) -> None:
    # A new session on sign-in: nothing from before (a planted CSRF token) carries over.
    lang = request.session.get("lang")
    request.session.clear()
    request.session["person"] = who.to_session()
    if lang:
        request.session["lang"] = lang
    csrf_token(request)


def sign_out(request: Request) -> None:
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang


def switch_role(request: Request, role: str) -> Person:
    who = require_person(request)
    if role not in who.roles:
        raise NotPermitted(f"You do not hold the role '{role}'.", code="role_not_held")
    switched = Person(who.sub, who.name, who.agency, who.roles, role)
    request.session["person"] = switched.to_session()
    return switched


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    sent = submitted or request.headers.get(CSRF_HEADER)
    if not isinstance(expected, str) or not sent or not secrets.compare_digest(expected, sent):
        raise NotPermitted(
            "This form has expired or did not come from this site; reload the page and try again.",
            code="csrf_failed",
        )
