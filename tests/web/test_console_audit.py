"""The auditor's pages: a refused attempt found by search and in the trace, the chain verified in
words, reconciliation, charts drawn by the charting library, a pseudonymised export."""

from __future__ import annotations

from tests.helpers.browser import browser
from tests.helpers.promotion_api import Api, new_employee, started


async def test_auditor_finds_a_refusal_verifies_and_reads_the_charts(api: Api) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    r = await api.post(
        f"/v1/promotions/{pid}/decisions",
        {"decision": "approve", "justification": "not mine"},
        "promotion_board",
        "board-x",
    )
    assert r.status_code == 409
    auditor = browser(api)
    await auditor.sign_in("auditor", "Ani Auditor", "inspektorat-1")
    page = await auditor.get(f"/audit?process_id={pid}&outcome=refused")
    assert page.status_code == 200 and "not_your_step" in page.text
    trace = await auditor.get(f"/audit/processes/{pid}")
    assert "promotion.decision_refused" in trace.text and "promotion.started" in trace.text
    verified = await auditor.get(f"/audit/processes/{pid}/verify")
    assert "Rantai hash utuh" in verified.text, verified.text
    report = await auditor.get(f"/audit/processes/{pid}/reconciliation")
    assert report.status_code == 200 and "sesuai" in report.text, report.text
    charts = await auditor.get("/audit/charts")
    assert charts.status_code == 200 and "time-in-stage.svg" in charts.text
    for name in ("time-in-stage", "refusals", "deadlines"):
        svg = await auditor.http.get(f"/audit/charts/{name}.svg")
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert b"<svg" in svg.content and b"matplotlib" in svg.content.lower()
    csv = await auditor.http.get(f"/audit/export.csv?process_id={pid}")
    assert csv.status_code == 200 and rec["nip"] not in csv.text and "pseudonymized" in csv.text


async def test_audit_pages_are_for_auditors_only(api: Api) -> None:
    hr = browser(api)
    await hr.sign_in("agency_hr", "Dewi HR")
    r = await hr.get("/audit")
    assert r.status_code == 403 and "forbidden_role" in r.text
