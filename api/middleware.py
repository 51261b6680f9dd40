"""Request id binding for logs, and the request body size limits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import render
from domain.errors import BadRequest, TooLarge

# Empty (none sent) or up to 64 visible ASCII characters.
_VALID_ID = re.compile(rb"[\x21-\x7e]{0,64}")


@dataclass(frozen=True)
class BodyLimit:
    """A route that takes more than the app-wide limit (a file upload), with its own 413 code.

    Its body is never refused on the declared Content-Length alone: the route reads it, meets the
    limit while streaming, and records the refusal in the ledger like any other.
    """

    path: re.Pattern[str]
    max_bytes: int
    code: str
    what: str = "The request body"


class RequestContextMiddleware:
    """Binds a request id to every log line and enforces the body size limit (413) while streaming,
    so a lying or missing Content-Length cannot get a large body past it."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, route_limits: Sequence[BodyLimit] = ()
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.route_limits = tuple(route_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw_id = headers.get(b"x-request-id", b"")
        if not _VALID_ID.fullmatch(raw_id):
            await render(
                BadRequest(
                    "X-Request-Id must be 1 to 64 visible ASCII characters.",
                    code="invalid_request_id",
                    field="X-Request-Id",
                )
            )(scope, receive, send)
            return
        request_id = raw_id.decode("ascii") or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        # A client's own id names one request that it may send again (see actions/pipeline.py).
        state["request_id_supplied"] = bool(raw_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, path=scope.get("path"))
        route = next((r for r in self.route_limits if r.path.match(scope.get("path", ""))), None)
        limit = route.max_bytes if route else self.max_body
        declared = headers.get(b"content-length")
        if (
            route is None
            and declared is not None
            and declared.isdigit()
            and int(declared) > self.max_body
        ):
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise self._error(route)
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        # Raised from inside the app, the ApiError is rendered by the app's own handler.
        await self.app(scope, limited_receive, send_with_id)

    def _error(self, route: BodyLimit | None = None) -> TooLarge:
        if route is not None:
            detail = f"{route.what} is larger than the limit of {route.max_bytes} bytes."
            return TooLarge(detail, code=route.code, field="body")
        detail = f"The request body is larger than the limit of {self.max_body} bytes."
        return TooLarge(detail, code="body_too_large", field="body")

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await render(self._error())(scope, receive, send)
