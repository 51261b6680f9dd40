"""Request id binding for logs, one access line per request, and the request body size limits."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import render
from api.limits import check_json, is_json
from domain.errors import BadRequest, HeadersTooLarge, TooLarge

log = structlog.get_logger("api.access")

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
    """Binds a request id to every log line, writes the request's access line once it is answered,
    and enforces the body size limit (413) while streaming, so a lying or missing Content-Length
    cannot get a large body past it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        route_limits: Sequence[BodyLimit] = (),
        max_json_depth: int = 32,
        max_json_elements: int = 100_000,
        max_header_bytes: int = 16_384,
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.route_limits = tuple(route_limits)
        self.max_depth = max_json_depth
        self.max_elements = max_json_elements
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        started = time.perf_counter()
        status = 0

        async def send_seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._handle(scope, receive, send_seen)
        finally:
            client = scope.get("client")
            log.info(
                "http.access",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status or 500,  # nothing sent: the error middleware outside answers 500
                ms=round((time.perf_counter() - started) * 1000, 1),
                client=client[0] if client else None,
            )

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_headers = scope.get("headers") or []
        if sum(len(k) + len(v) for k, v in raw_headers) > self.max_header_bytes:
            await render(
                HeadersTooLarge(
                    f"The request's headers are larger than {self.max_header_bytes} bytes.",
                    code="headers_too_large",
                )
            )(scope, receive, send)
            return
        headers = dict(raw_headers)
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
        structlog.contextvars.bind_contextvars(request_id=request_id, path=scope.get("path"))
        route = next((r for r in self.route_limits if r.path.match(scope.get("path", ""))), None)
        limit = route.max_bytes if route else self.max_body
        declared = headers.get(b"content-length")
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        read = False

        async def bounded_receive() -> Message:
            """The whole body at once, or the reason it is refused (raised to the reader)."""
            nonlocal read
            if read:
                return await receive()
            read = True
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise self._error(route)  # refused on its declared size: nothing is read
            chunks, total = [], 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return message
                chunk = message.get("body", b"")
                total += len(chunk)
                if total > limit:
                    raise self._error(route)
                chunks.append(chunk)
                if not message.get("more_body"):
                    break
            body = b"".join(chunks)
            if is_json(content_type):
                check_json(body, max_depth=self.max_depth, max_elements=self.max_elements)
            return {"type": "http.request", "body": body, "more_body": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        # Raised from inside the app, the ApiError is rendered by the app's own handler.
        await self.app(scope, bounded_receive, send_with_id)

    def _error(self, route: BodyLimit | None = None) -> TooLarge:
        if route is not None:
            detail = f"{route.what} is larger than the limit of {route.max_bytes} bytes."
            return TooLarge(detail, code=route.code, field="body")
        detail = f"The request body is larger than the limit of {self.max_body} bytes."
        return TooLarge(detail, code="body_too_large", field="body")
