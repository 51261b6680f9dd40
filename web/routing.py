"""Console routes: a refusal is a page, not a JSON body.

Every console router uses :class:`ConsoleRoute`: a DomainError raised by a view (a read that is
not visible, a session that expired, a form from elsewhere) is rendered as a page in the person's
language with the status the API would give; a missing sign-in redirects to the sign-in page.
Form refusals that belong beside a field are handled by the views themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from actions.statuses import status_for
from domain.errors import DomainError, Unauthenticated
from web.render import render


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthenticated:
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/signin?next={target}", status_code=303)
            except DomainError as err:
                return render(request, "error.html", {"error": err}, status=status_for(err))

        return handle


def safe_next(value: str | None) -> str:
    """Only a path on this site: never an absolute or protocol-relative URL."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/inbox"
