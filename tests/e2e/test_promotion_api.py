"""End to end through the HTTP API, against a real Temporal dev server, a real worker and the database."""

from __future__ import annotations

import asyncio

import pytest

from store import ledger
from tests.conftest import new_nip
from tests.helpers.promotion_api import (
    AGENCY,
    Api,
    ledger_rows,
    new_employee,
    pertek_through_inbox,
    started,
)


async def test_promotion_end_to_end(api: Api, sessions) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    body = (await api.get(f"/v1/promotions/{pid}")).json()
    assert body["eligibility"]["eligible"] is True and body["pending"]["due_at"]
    chain = [
        ("supervisor", rec["supervisor_nip"], AGENCY, {}),
        ("promotion_board", "board-chair", AGENCY, {}),
        ("agency_hr", "hr-1", AGENCY, {}),
        ("review", "", None, {}),
        ("appointing_authority", "ppk", AGENCY, {"decree_number": "800/KP/2027/17"}),
    ]
    for role, sub, agency, extra in chain:
        if role == "review":
            await pertek_through_inbox(api, pid)
            continue
        r = await api.post(
            f"/v1/promotions/{pid}/decisions",
            {"decision": "approve", "justification": f"{role} checked", **extra},
            role,
            sub,
            agency,
        )
        assert r.status_code == 200, r.text
    final = r.json()
    assert final["status"] == "completed"
    assert final["decree"] == {
        "number": "800/KP/2027/17",
        "effective_date": "2027-04-01",
        "signed_by": "ppk",
    }
    led = (await api.get(f"/v1/processes/{pid}/ledger")).json()["entries"]
    kinds = [e["kind"] for e in led]
    assert kinds.count("promotion.decision") == 4 and kinds.count("promotion.review_concluded") == 1
    verify = (await api.get(f"/v1/processes/{pid}/ledger/verify")).json()
    assert verify["ok"] is True and verify["entries"] == len(led)
    listing = (await api.get("/v1/promotions?status=completed&period=2027-04-01")).json()
    assert pid in [p["id"] for p in listing["items"]]


async def test_ten_concurrent_identical_starts_make_one_workflow(
    api: Api, dev_env, sessions
) -> None:
    rec = await new_employee(api)
    body = {"nip": rec["nip"], "period": "2027-04-01", "type": "regular"}
    responses = await asyncio.gather(
        *[api.post("/v1/promotions", body, "hr_system", "simpeg") for _ in range(10)]
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    pid = ids.pop()
    await api.wait_for(pid, lambda b: b["pending"] is not None)
    runs = [w async for w in dev_env.client.list_workflows(f"WorkflowId = '{pid}'")]
    assert len({w.run_id for w in runs}) <= 1
    kinds = [r.kind for r in await ledger_rows(sessions, pid)]
    assert kinds.count("promotion.started") == 1


@pytest.mark.parametrize(
    ("role", "sub", "agency", "body", "status", "code"),
    [
        (
            "supervisor",
            "199999999999999999",
            AGENCY,
            {"decision": "approve", "justification": "ok"},
            403,
            "not_named_supervisor",
        ),
        (
            "promotion_board",
            "b",
            AGENCY,
            {"decision": "approve", "justification": "ok"},
            409,
            "not_your_step",
        ),
        (
            "auditor",
            "a",
            AGENCY,
            {"decision": "approve", "justification": "ok"},
            403,
            "forbidden_role",
        ),
        (
            "supervisor",
            "SUP",
            AGENCY,
            {"decision": "maybe", "justification": "ok"},
            422,
            "validation_error",
        ),
        ("supervisor", "SUP", AGENCY, {"decision": "approve"}, 422, "validation_error"),
        (
            "supervisor",
            "SUP",
            "OTHER-AGENCY",
            {"decision": "approve", "justification": "ok"},
            404,
            "not_found",
        ),
    ],
)
async def test_refused_attempts_get_a_code_and_land_in_the_ledger(
    api: Api, sessions, role, sub, agency, body, status, code
) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    sub = rec["supervisor_nip"] if sub == "SUP" else sub
    r = await api.post(f"/v1/promotions/{pid}/decisions", body, role, sub, agency)
    assert r.status_code == status, r.text
    err = r.json()
    assert err["error"] == code and err["detail"]
    if code == "validation_error":
        assert err["fields"] and err["fields"][0]["field"] in ("decision", "justification")
    refused = [row for row in await ledger_rows(sessions, pid) if row.outcome == "refused"]
    assert len(refused) == 1
    assert (
        refused[0].payload["error"] == code
        and refused[0].actor_id == sub
        and refused[0].actor_role == role
    )
    async with sessions() as s:
        assert (await ledger.verify(s, pid)).ok


async def test_oversize_body_is_refused_with_413(api: Api, sessions) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    big = {"decision": "approve", "justification": "x" * (api.settings.max_body_bytes + 10)}
    r = await api.post(f"/v1/promotions/{pid}/decisions", big, "supervisor", rec["supervisor_nip"])
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


async def test_period_not_in_rulebook_is_refused_at_start(api: Api, sessions) -> None:
    rec = await new_employee(api)
    for period in ("2027-04-15", "2024-03-01"):  # mid-month; an odd month under PerBKN 4/2023
        r = await api.post(
            "/v1/promotions", {"nip": rec["nip"], "period": period}, "hr_system", "simpeg"
        )
        assert r.status_code == 422 and r.json()["error"] == "period_not_allowed", r.text
    refused = await ledger_rows(sessions, f"promotion-{rec['nip']}-2024-03")
    assert refused and refused[0].outcome == "refused"
    # An allowed month of a past regime, but long before what can be proposed today.
    r = await api.post(
        "/v1/promotions", {"nip": rec["nip"], "period": "2024-04-01"}, "hr_system", "simpeg"
    )
    err = r.json()
    assert r.status_code == 422 and err["error"] == "period_outside_window", r.text
    assert err["fields"][0]["field"] == "period" and "months back" in err["detail"]


async def test_errors_have_one_shape(api: Api) -> None:
    r = await api.http.get("/v1/promotions")
    assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
    r = await api.post("/v1/promotions", {"nip": "123", "period": "2027-04-01"}, "hr_system")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "nip"
    r = await api.post("/v1/promotions", {"nip": new_nip(), "period": "2027-04-01"}, "hr_system")
    assert r.status_code == 404 and r.json()["error"] == "employee_not_found"
    r = await api.post("/v1/promotions", {"nip": new_nip(), "period": "2027-04-01"}, "supervisor")
    assert r.status_code == 403 and r.json()["error"] == "forbidden_role"
    r = await api.get("/v1/promotions/promotion-nope", "auditor")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


async def test_csv_import_is_all_or_nothing(api: Api) -> None:
    good, bad = new_nip(), new_nip()
    header = "nip,name,agency,grade,rank_since,education,supervisor_nip,ratings,trainings\n"
    ok_row = f"{good},Budi Santoso,{AGENCY},III/c,2020-10-01,S2,197505050000000001,2025:good;2026:good,PKA\n"
    bad_row = f"{bad},Ani,{AGENCY},IX/z,2020-10-01,S1,,,\n"
    h = {**api.auth("agency_hr"), "content-type": "text/csv"}
    r = await api.http.post("/v1/employees/import", content=header + ok_row + bad_row, headers=h)
    assert r.status_code == 422 and r.json()["error"] == "csv_invalid"
    assert r.json()["fields"][0]["field"] == "line 3"
    assert (await api.get(f"/v1/employees/{good}", "agency_hr")).status_code == 404
    r = await api.http.post("/v1/employees/import", content=header + ok_row, headers=h)
    assert r.status_code == 200 and r.json() == {"imported": 1}
    got = (await api.get(f"/v1/employees/{good}", "agency_hr")).json()["record"]
    assert got["ratings"][1] == {"year": 2026, "rating": "good"} and got["trainings"] == ["PKA"]


async def test_healthz_reports_database_and_temporal(api: Api) -> None:
    r = await api.http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok", "temporal": "ok"}
