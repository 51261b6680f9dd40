"""Authentication (bearer JWT), then the route's rule in ``actions/policy.py``: a read route's roles
are checked here (after the object's visibility), an action's by the pipeline; a route without a
rule is refused. Object-level checks beyond the scope live with each resource."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from actions import policy
from actions.pipeline import can_see_agency as can_see_agency  # the routes' reads apply it too
from api.deps import ContextDep
from api.errors import ApiError
from domain.enums import Role
from domain.ledger import Actor
from infra.tokens import InvalidToken, Principal

KNOWN_ROLES = {r.value for r in Role}


async def current_principal(request: Request, ctx: ContextDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthenticated", "Send a bearer token in the Authorization header.")
    try:
        principal = ctx.verifier.verify(token)
    except InvalidToken as exc:
        raise ApiError(401, "invalid_token", f"The bearer token was not accepted: {exc}.") from exc
    if principal.role not in KNOWN_ROLES:
        raise ApiError(403, "unknown_role", f"The role '{principal.role}' is not known here.")
    request.state.principal = principal
    await authorize_route(request, ctx, principal)
    return principal


def route_path(request: Request) -> str:
    """The route's path as the app registers it (``/v1/promotions/{process_id}``)."""
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


async def authorize_route(request: Request, ctx: ContextDep, principal: Principal) -> None:
    rule = policy.route_rule(policy.API, request.method, route_path(request))
    await policy.authorize_read(ctx, rule, principal, request.path_params)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def actor_of(principal: Principal) -> Actor:
    return Actor(id=principal.sub, role=principal.role, agency=principal.agency)
