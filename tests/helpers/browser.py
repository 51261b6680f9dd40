"""A form-filling client for the console without a browser: cookies, CSRF, persona sign-in."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.helpers.promotion_api import Api

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REQUEST = re.compile(r'name="request_id" value="([^"]+)"')


class Browser:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def get(self, url: str) -> httpx.Response:
        r = await self.http.get(url)
        found = _CSRF.search(r.text)
        if found:
            self.csrf = found.group(1)
        self.page = r.text
        return r

    def request_id(self) -> str:
        found = _REQUEST.search(self.page)
        assert found, "no form with a request id on the page"
        return found.group(1)

    async def post(self, url: str, data: dict[str, Any], *, follow: bool = True) -> httpx.Response:
        form = {"csrf_token": self.csrf, **data}
        r = await self.http.post(url, data=form, follow_redirects=follow)
        found = _CSRF.search(r.text)
        if found:
            self.csrf = found.group(1)
        self.page = r.text
        return r

    async def sign_in(
        self, role: str, name: str, sub: str = "", agency: str = "KEMENPANRB"
    ) -> httpx.Response:
        await self.get("/signin")
        r = await self.post(
            "/signin/persona", {"role": role, "name": name, "sub": sub, "agency": agency}
        )
        assert r.status_code == 200, r.text
        return r


def browser(api: Api) -> Browser:
    transport = api.http._transport  # noqa: SLF001 - the same app, a cookie jar of its own
    return Browser(httpx.AsyncClient(transport=transport, base_url="http://meritflow.test"))
