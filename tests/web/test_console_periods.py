"""Agency HR opens a promotion period in the console and watches its fan-out."""

from __future__ import annotations

import re

from tests.helpers.browser import browser
from tests.helpers.promotion_api import Api, new_employee
from tests.helpers.waits import eventually


async def test_hr_opens_a_period_and_watches_the_tally(api: Api) -> None:
    recs = [await new_employee(api) for _ in range(3)]
    hr = browser(api)
    await hr.sign_in("agency_hr", "Dewi HR", "hr-dewi")
    await hr.get("/periods")
    page = await hr.post(
        "/periods",
        {
            "period": "2027-06-01",
            "type": "regular",
            "nips": "\n".join(r["nip"] for r in recs),
            "request_id": hr.request_id(),
        },
    )
    assert page.status_code == 200, page.text
    period_id = str(page.url).rsplit("/", 1)[1]
    assert "<progress" in page.text

    async def started() -> int:
        fragment = await hr.http.get(f"/periods/{period_id}/progress")
        found = re.search(r'<progress id="bar" max="(\d+)" value="(\d+)"', fragment.text)
        return int(found.group(2)) if found else -1

    assert await eventually(started, lambda n: n == 3, what="three promotions started") == 3
    final = await eventually(
        lambda: hr.get(f"/periods/{period_id}"),
        lambda r: "<strong>Selesai</strong>" in r.text,  # "completed", by name
        what="the period completing",
    )
    assert 'hx-trigger="every 2s"' not in final.text  # done: it stops polling


async def test_a_period_outside_the_window_is_refused_beside_its_field(api: Api) -> None:
    hr = browser(api)
    await hr.sign_in("agency_hr", "Dewi HR", "hr-dewi")
    await hr.get("/periods")
    page = await hr.post(
        "/periods", {"period": "2024-04-01", "type": "regular", "request_id": hr.request_id()}
    )
    assert page.status_code == 422, page.text
    assert "error-summary" in page.text and 'class="field-error"' in page.text
    assert "2024-04-01" in page.text  # the window is named in the sentence
