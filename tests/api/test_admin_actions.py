"""Actions on things that are not processes — employee records, webhook subscriptions, review bodies,
reviewers — go through the one pipeline: the same status rule, request claims and one refusal
entry each, on the ledger chain of the administered object."""

from __future__ import annotations

import uuid
from typing import Any

from store import ledger
from tests.conftest import employee
from tests.helpers.promotion_api import AGENCY, Api, api

__all__ = ["api"]


async def refusals(sessions: Any, chain: str) -> list[tuple[str, str, str | None]]:
    async with sessions() as session:
        rows = await ledger.entries(session, chain)
    return [(e.kind, e.payload["error"], e.subject) for e in rows if e.outcome == "refused"]


# ---- employee records ---------------------------------------------------------------------------


async def test_another_agencys_employee_is_out_of_sight_and_the_attempt_recorded(
    api: Api, sessions: Any
) -> None:
    other = f"EMP{uuid.uuid4().hex[:8].upper()}"
    rec = employee(agency=other)
    r = await api.post("/v1/employees", rec, "agency_hr", "hr-1", AGENCY)
    assert r.status_code == 404 and r.json()["error"] == "agency_out_of_scope", r.text
    assert (await api.get(f"/v1/employees/{rec['nip']}", "agency_hr", None)).status_code == 404
    assert await refusals(sessions, f"employee-records-{other}") == [
        ("employees.write_refused", "agency_out_of_scope", rec["nip"])
    ]
    # A national writer may.
    r = await api.post("/v1/employees", rec, "hr_system", "siasn", None)
    assert r.status_code == 201, r.text


async def test_a_csv_naming_another_agency_is_refused_by_line(api: Api, sessions: Any) -> None:
    mine, theirs = employee(), employee(agency="ELSEWHERE")
    header = "nip,name,agency,grade,rank_since,education\n"
    rows = "".join(
        f"{e['nip']},{e['name']},{e['agency']},{e['grade']},{e['rank_since']},{e['education']}\n"
        for e in (mine, theirs)
    )
    h = {**api.auth("agency_hr", "hr-csv"), "content-type": "text/csv"}
    r = await api.http.post("/v1/employees/import", content=header + rows, headers=h)
    assert r.status_code == 422 and r.json()["error"] == "agency_out_of_scope", r.text
    assert [f["field"] for f in r.json()["fields"]] == ["line 3"]
    assert (await api.get(f"/v1/employees/{mine['nip']}", "agency_hr")).status_code == 404
    recorded = await refusals(sessions, f"employee-records-{AGENCY}")
    assert ("employees.import_refused", "agency_out_of_scope", None) in recorded


async def test_a_file_the_csv_module_cannot_split_is_refused_not_a_server_error(api: Api) -> None:
    """The fuzzer's find: a carriage return inside a line answered 500 (csv.Error); the file is
    now read with CSV's own line endings, and what the csv module still cannot read is a 422."""
    h = {**api.auth("agency_hr", "hr-csv"), "content-type": "text/csv"}
    for body, code in (
        (b"nip,na\rme\n1,x\n", "csv_columns_missing"),  # \r ends a line, as CSV allows
        (b'nip,name\n"' + b"x" * 140_000, "csv_invalid"),  # a field past the csv module's limit
    ):
        r = await api.http.post("/v1/employees/import", content=body, headers=h)
        assert r.status_code == 422 and r.json()["error"] == code, r.text


async def test_a_repeated_request_writes_once_and_a_reused_key_is_refused(
    api: Api, sessions: Any
) -> None:
    rec = employee()
    key = {"Idempotency-Key": f"emp-{uuid.uuid4().hex}"}

    async def post(body: dict[str, Any]) -> Any:
        headers = {**api.auth("hr_system", "simpeg"), **key}
        return await api.http.post("/v1/employees", json=body, headers=headers)

    first, again = await post(rec), await post(rec)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    reused = await post({**rec, "name": "Someone Else"})
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    got = (await api.get(f"/v1/employees/{rec['nip']}", "agency_hr")).json()["record"]
    assert got["name"] == rec["name"]
    recorded = await refusals(sessions, f"employee-records-{AGENCY}")
    assert ("employees.write_refused", "idempotency_key_reused", rec["nip"]) in recorded


# ---- webhook subscriptions ----------------------------------------------------------------------


async def test_an_unsafe_subscription_is_refused_and_recorded(api: Api, sessions: Any) -> None:
    agency = f"WH{uuid.uuid4().hex[:8].upper()}"
    body = {"url": "https://10.0.0.5/hooks", "event_types": ["meritflow.process.completed.v1"]}
    r = await api.post("/v1/webhooks/subscriptions", body, "agency_hr", "hr-1", agency)
    assert r.status_code == 422 and r.json()["error"] == "webhook_url_forbidden_address", r.text
    assert r.json()["fields"][0]["field"] == "url"
    assert await refusals(sessions, f"webhook-subscriptions-{agency}") == [
        ("webhooks.subscription_refused", "webhook_url_forbidden_address", None)
    ]


async def test_the_same_subscription_request_makes_one_subscription(api: Api) -> None:
    agency = f"WH{uuid.uuid4().hex[:8].upper()}"
    body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["meritflow.process.completed.v1"]}
    headers = {**api.auth("agency_hr", "hr-1", agency), "Idempotency-Key": uuid.uuid4().hex}
    first = await api.http.post("/v1/webhooks/subscriptions", json=body, headers=headers)
    again = await api.http.post("/v1/webhooks/subscriptions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["secret"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    listed = (await api.get("/v1/webhooks/subscriptions", "agency_hr", agency)).json()["items"]
    assert [s["id"] for s in listed] == [first.json()["id"]]
    sid = first.json()["id"]
    # A delivery's path does not name a subscription, nor a subscription's a delivery.
    r = await api.post(f"/v1/webhooks/subscriptions/{sid}/pause", {}, "agency_hr", "hr-1", "X")
    assert r.status_code == 404 and r.json()["error"] == "subscription_not_found"
    r = await api.post(f"/v1/webhooks/deliveries/{sid}/replay", {}, "agency_hr", "hr-1", agency)
    assert r.status_code == 404 and r.json()["error"] == "delivery_not_found", r.text
    r = await api.http.delete(
        f"/v1/webhooks/subscriptions/{sid}", headers=api.auth("agency_hr", "hr-1", agency)
    )
    assert r.status_code == 204


# ---- review bodies and reviewers ----------------------------------------------------------------


async def test_standing_conflicts_need_the_role_and_the_reviewer_themselves(
    api: Api, sessions: Any
) -> None:
    conflict = {"person_id": "198001010000000001", "reason": "my cousin"}
    rid = f"rev-{uuid.uuid4().hex[:8]}"
    url = f"/v1/reviewers/{rid}/conflicts"
    r = await api.post(url, conflict, "reviewer", "another-reviewer", None)
    assert r.status_code == 403 and r.json()["error"] == "not_the_reviewer", r.text
    r = await api.post(url, conflict, "supervisor", rid, None)  # the identity without the role
    assert r.status_code == 403 and r.json()["error"] == "forbidden_role", r.text
    assert (await api.post(url, conflict, "reviewer", rid, None)).status_code == 201
    assert (await api.post(url, conflict, "admin", "admin", None)).status_code == 201
    assert [(k, e) for k, e, _ in await refusals(sessions, f"reviewer-{rid}")] == [
        ("reviewer.conflict_refused", "not_the_reviewer"),
        ("reviewer.conflict_refused", "forbidden_role"),
    ]


async def test_a_roster_needs_its_body(api: Api, sessions: Any) -> None:
    r = await api.post("/v1/review-bodies/NOPE/reviewers", {"id": "r", "name": "R"}, "admin")
    assert r.status_code == 404 and r.json()["error"] == "body_not_found"
    code = f"B-{uuid.uuid4().hex[:8].upper()}"
    body = {"code": code, "name": "Assessment centre", "kind": "assessment_centre"}
    assert (await api.post("/v1/review-bodies", body, "admin", "admin", None)).status_code == 201
    r = await api.post(f"/v1/review-bodies/{code}/reviewers", {"id": "r"}, "admin", "admin", None)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "name"
    assert await refusals(sessions, f"review-body-{code}") == [
        ("review_body.reviewer_refused", "validation_error", None)
    ]
