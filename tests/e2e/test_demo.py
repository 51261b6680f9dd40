"""``make demo`` walks its promotion to a decree on the training rulebook, against the real stack.

The demo is a synchronous command-line client; here it runs in a thread and its requests are
handed to the test's ASGI client on the event loop, so it talks to the same app, worker and dev
server as the other end-to-end tests.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cli.demo import Demo
from domain.rulebook import TRAINING_VERSION
from tests.helpers.promotion_api import Api


class OnLoop(httpx.BaseTransport):
    """A sync transport that sends each request through an async client on ``loop``."""

    def __init__(self, client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client, self.loop = client, loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            copy = self.client.build_request(
                request.method, request.url, headers=request.headers, content=request.read()
            )
            return await self.client.send(copy)

        sent = asyncio.run_coroutine_threadsafe(send(), self.loop).result(timeout=60)
        # ``sent.content`` is already decoded: passing on its Content-Encoding (the API gzips
        # bodies over 500 bytes) would make the outer client decode it a second time.
        headers = [
            (name, value)
            for name, value in sent.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length")
        ]
        return httpx.Response(sent.status_code, headers=headers, content=sent.content)


async def test_the_demo_walks_a_training_promotion_to_its_decree(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    transport = OnLoop(api.http, asyncio.get_running_loop())
    with httpx.Client(transport=transport, base_url="http://meritflow.test") as http:
        demo = Demo(timers=False, settings=api.settings, http=http)
        await asyncio.to_thread(demo.run)
    out = capsys.readouterr().out
    assert f"under {TRAINING_VERSION}" in out
    assert "-> appointing_authority" in out and "approved -> completed" in out
    assert "ledger verified: True" in out
