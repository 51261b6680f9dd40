"""Requests spread over several API processes, round robin, as a load balancer would.

The drivers keep using one ``httpx.AsyncClient`` with relative URLs (bench/_approvals.py does);
its transport sends each request to the next API in turn, every API with its own keep-alive pool.
With one API it is a plain transport.
"""

from __future__ import annotations

import itertools

import httpx


class SpreadTransport(httpx.AsyncBaseTransport):
    def __init__(self, base_urls: list[str], limits: httpx.Limits) -> None:
        if not base_urls:
            raise ValueError("at least one API base URL")
        self._targets = [
            (httpx.URL(u), httpx.AsyncHTTPTransport(limits=limits, retries=0)) for u in base_urls
        ]
        self._next = itertools.cycle(range(len(self._targets)))
        self.sent = [0] * len(self._targets)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        i = next(self._next)
        base, transport = self._targets[i]
        request.url = request.url.copy_with(scheme=base.scheme, host=base.host, port=base.port)
        request.headers["host"] = base.netloc.decode("ascii")
        self.sent[i] += 1
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for _, transport in self._targets:
            await transport.aclose()


def spread_client(base_urls: list[str], *, timeout: float, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections)
    return httpx.AsyncClient(
        base_url=base_urls[0],
        timeout=timeout,
        transport=SpreadTransport(base_urls, limits),
        trust_env=False,
    )
