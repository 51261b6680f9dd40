"""Each page, cold, is at most 150 KB on the wire: HTML, CSS and script together, compressed as
the server sends them; and every page states a viewport for a 360 px phone."""

from __future__ import annotations

from tests.helpers.browser import browser
from tests.helpers.page_weight import BUDGET, cold_bytes
from tests.helpers.promotion_api import Api, new_employee, started


async def test_pages_stay_within_150_kb_cold(api: Api) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    b = browser(api)
    assert await cold_bytes(b.http, "/") <= BUDGET
    await b.sign_in("auditor", "Ani Auditor")
    for url in ("/inbox", f"/promotions/{pid}", "/audit", f"/audit/processes/{pid}"):
        size = await cold_bytes(b.http, url)
        assert size <= BUDGET, (url, size)
    htmx = await b.http.get(
        "/static/vendor/htmx-2.0.11/htmx.min.js", headers={"Accept-Encoding": "gzip"}
    )
    assert htmx.headers.get("content-encoding") == "gzip" and htmx.num_bytes_downloaded < 25_000
