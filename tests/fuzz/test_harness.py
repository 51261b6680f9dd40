"""The fuzzer finds what it is there to find: on a small app that breaks each promise once (a 500,
an undeclared status, a body off its schema, a content type off the document, a valid request
refused, an invalid one served), each is reported; a refusal the harness lists as not about the
data (``NOT_ABOUT_THE_DATA``) is not."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from tests.fuzz.harness import fuzz, load, sender


class Thing(BaseModel):
    n: int


class Refusal(BaseModel):
    error: str
    detail: str
    fields: list[dict[str, str]]


REFUSED: dict[int | str, dict[str, Any]] = {422: {"model": Refusal}}


def broken_app() -> FastAPI:
    app = FastAPI()

    @app.get("/crash", response_model=Thing)
    async def crash(n: int = Query(ge=0, le=10)) -> Thing:
        raise RuntimeError("boom")

    @app.get("/undeclared", response_model=Thing)
    async def undeclared() -> JSONResponse:
        return JSONResponse({"n": 1}, status_code=418)

    @app.get("/off-schema", response_model=Thing)
    async def off_schema() -> JSONResponse:
        return JSONResponse({"n": "one"})

    @app.get("/off-type", response_model=Thing)
    async def off_type() -> PlainTextResponse:
        return PlainTextResponse("n=1")

    def refuse(code: str) -> JSONResponse:
        body = {"error": code, "detail": "No.", "fields": [{"field": "n", "message": "no"}]}
        return JSONResponse(body, status_code=422)

    # Routes that read no parameter themselves: whatever is sent, the answer is theirs.
    n_only: dict[str, Any] = {
        "parameters": [
            {
                "name": "n",
                "in": "query",
                "required": True,
                "schema": {"type": "integer", "minimum": 0, "maximum": 10},
            }
        ]
    }

    @app.get("/picky", response_model=Thing, responses=REFUSED, openapi_extra=n_only)
    async def picky() -> JSONResponse:
        return refuse("validation_error")

    @app.get("/stale-cursor", response_model=Thing, responses=REFUSED, openapi_extra=n_only)
    async def stale_cursor() -> JSONResponse:
        return refuse("invalid_cursor")

    @app.get("/lenient", response_model=Thing, openapi_extra=n_only)
    async def lenient() -> Thing:
        return Thing(n=1)

    @app.get("/fine", response_model=Thing)
    async def fine() -> Thing:
        return Thing(n=1)

    return app


async def test_each_broken_promise_is_reported() -> None:
    app = broken_app()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
        send = sender(http, asyncio.get_running_loop())
        tally = await asyncio.to_thread(
            fuzz, load(app.openapi()), send, headers={}, examples=2, derandomize=True
        )
    found = {(label, status) for label, status, _ in tally.failures}
    assert {
        ("GET /crash", 500),
        ("GET /undeclared", 418),
        ("GET /off-schema", 200),
        ("GET /off-type", 200),
        ("GET /picky", 422),
        ("GET /lenient", 200),
    } <= found, tally.report()
    quiet = ("GET /fine", "GET /stale-cursor")
    assert not [key for key in tally.failures if key[0] in quiet], tally.report()
    assert tally.server_errors >= 1 and tally.requests >= 5
