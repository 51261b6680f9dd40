"""One structured access line per request, and uvicorn's own lines in the same shape as ours."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from structlog.stdlib import ProcessorFormatter

from api import errors
from api.middleware import RequestContextMiddleware
from infra.logging import configure_logging


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def access(self) -> list[dict[str, object]]:
        lines = [r.msg for r in self.records if isinstance(r.msg, dict)]
        return [line for line in lines if line.get("event") == "http.access"]


@pytest.fixture
def records() -> Iterator[_Records]:
    configure_logging(json=True)
    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _client() -> httpx.AsyncClient:
    """The middleware and the error handlers as ``api/main.py`` wires them, on two routes."""
    app = FastAPI()
    errors.install(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=10)

    @app.post("/made")
    async def made(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"ok": True}, status_code=201)

    @app.get("/bug")
    async def bug() -> JSONResponse:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_each_request_writes_one_access_line_with_its_status_and_id(
    records: _Records,
) -> None:
    async with _client() as client:
        made = await client.post("/made", content=b"{}", headers={"X-Request-Id": "req-1"})
        refused = await client.post("/made", content=b"x" * 11)
        bad_id = await client.post("/made", headers={"X-Request-Id": "bad id"})
        bug = await client.get("/bug")
    assert (made.status_code, refused.status_code, bad_id.status_code) == (201, 413, 400)
    assert bug.status_code == 500
    lines = records.access()
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        ("POST", "/made", 201),
        ("POST", "/made", 413),
        ("POST", "/made", 400),
        ("GET", "/bug", 500),  # the app raised: nothing was sent, the line still says so
    ]
    assert lines[0]["request_id"] == "req-1"
    assert lines[1]["request_id"] == refused.headers["x-request-id"]
    assert all(isinstance(x["ms"], float) and x["ms"] >= 0 for x in lines)


def test_uvicorn_lines_take_the_root_handler_and_its_access_line_is_off(
    records: _Records,
) -> None:
    uvicorn.Config("server:app")  # applies uvicorn's own logging config, as its CLI does
    assert logging.getLogger("uvicorn.access").handlers  # uvicorn's plain-text handlers
    configure_logging(json=True)  # the process may have configured itself before: still rerouted
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        assert not logger.handlers and logger.propagate
    assert logging.getLogger("uvicorn.access").disabled
    coloured = "Started server process [\x1b[36m%d\x1b[0m]"  # as uvicorn logs it
    logging.getLogger("uvicorn.error").info(
        "Started server process [%d]", 7, extra={"color_message": coloured}
    )
    assert [r.getMessage() for r in records.records] == ["Started server process [7]"]
    # The root handler renders it with structlog's processors, like every line of ours, without
    # uvicorn's copy of the message in terminal colours.
    shaped = [
        h for h in logging.getLogger().handlers if isinstance(h.formatter, ProcessorFormatter)
    ]
    assert shaped
    line = shaped[0].format(records.records[0])
    assert "Started server process [7]" in line and "color_message" not in line
