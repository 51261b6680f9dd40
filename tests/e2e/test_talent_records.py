"""An agency's talent inputs by CSV through the API: all rows or none, every bad row named by line
and column, the refusal and the import each on the agency's talent-records chain."""

from __future__ import annotations

import uuid

from tests.helpers.promotion_api import Api
from tests.helpers.talent import population, to_csv


async def post_csv(api: Api, body: bytes, agency: str) -> object:
    headers = {**api.auth("agency_hr", "hr", agency), "content-type": "text/csv"}
    return await api.http.post("/v1/talent/records/import", content=body, headers=headers)


async def test_a_csv_is_all_or_nothing_with_every_bad_row_named(api: Api, sessions) -> None:
    agency = f"AG{uuid.uuid4().hex[:8].upper()}"
    good = to_csv(population(50, agency, seed=3)).decode().splitlines()
    lines = list(good)
    lines[3] = (
        lines[3].replace(",administrator,", ",minister,").replace(",ahli_madya,", ",minister,")
    )
    lines[3] = lines[3].replace(",pengawas,", ",minister,")
    lines[7] = lines[7].replace(agency, "ANOTHER-AGENCY", 1)
    r = await post_csv(api, ("\n".join(lines) + "\n").encode(), agency)
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["error"] == "csv_invalid"
    assert [f["field"] for f in body["fields"]] == ["line 4, position_level", "line 8, agency"]
    r = await api.get("/v1/talent/pool", "agency_hr", agency)
    assert r.json()["members"] == []
    ok = await post_csv(api, ("\n".join(good) + "\n").encode(), agency)
    assert ok.status_code == 200 and ok.json() == {"imported": 50}  # type: ignore[attr-defined]
    trail = await api.get(f"/v1/processes/talent-records-{agency}/ledger", "auditor", agency)
    kinds = [(e["kind"], e["outcome"]) for e in trail.json()["entries"]]
    assert kinds == [
        ("talent_records.import_refused", "refused"),
        ("talent_records.imported", "accepted"),
    ]
