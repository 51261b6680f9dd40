"""The fuzzer finds what it is there to find: on a small app that breaks each promise once (a 500,
an undeclared status, a body off its schema, a content type off the document), each is reported."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from tests.fuzz.harness import fuzz, load, sender


class Thing(BaseModel):
    n: int


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
    } <= found, tally.report()
    assert not [key for key in tally.failures if key[0] == "GET /fine"], tally.report()
    assert tally.server_errors >= 1 and tally.requests >= 5
