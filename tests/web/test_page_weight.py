"""Each page, cold, is at most 150 KB on the wire: HTML, CSS and script together, compressed as
the server sends them; and every page states a viewport for a 360 px phone."""

from __future__ import annotations

import re

import httpx

from tests.helpers.promotion_api import Api, new_employee, started
from tests.web.test_console_promotion import browser

BUDGET = 150 * 1024
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


async def _cold_bytes(http: httpx.AsyncClient, url: str) -> int:
    headers = {"Accept-Encoding": "gzip"}
    page = await http.get(url, headers=headers)
    assert page.status_code == 200, (url, page.status_code)
    assert 'name="viewport" content="width=device-width' in page.text
    total = page.num_bytes_downloaded
    for asset in sorted(set(ASSET.findall(page.text))):
        r = await http.get(asset, headers=headers)
        assert r.status_code == 200, asset
        total += r.num_bytes_downloaded
    return total


async def test_pages_stay_within_150_kb_cold(api: Api) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    b = browser(api)
    assert await _cold_bytes(b.http, "/") <= BUDGET
    await b.sign_in("auditor", "Ani Auditor")
    for url in ("/inbox", f"/promotions/{pid}", "/audit", f"/audit/processes/{pid}"):
        size = await _cold_bytes(b.http, url)
        assert size <= BUDGET, (url, size)
    htmx = await b.http.get(
        "/static/vendor/htmx-2.0.11/htmx.min.js", headers={"Accept-Encoding": "gzip"}
    )
    assert htmx.headers.get("content-encoding") == "gzip" and htmx.num_bytes_downloaded < 25_000
