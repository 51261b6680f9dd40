"""The console over the real stack: a promotion walked through the pages, in Bahasa Indonesia,
with a refusal shown in the person's language and recorded in the ledger like the API's."""

from __future__ import annotations

from store import ledger
from tests.helpers.browser import browser
from tests.helpers.promotion_api import Api, new_employee


async def test_landing_page_speaks_indonesian_without_sign_in(api: Api) -> None:
    b = browser(api)
    r = await b.get("/")
    assert r.status_code == 200 and 'lang="id"' in r.text
    assert "Seleksi dan kenaikan pangkat berbasis merit" in r.text
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    inbox = await b.http.get("/inbox")
    assert inbox.status_code == 303 and inbox.headers["location"].startswith("/signin")


async def test_forms_without_a_valid_csrf_token_are_refused(api: Api) -> None:
    b = browser(api)
    await b.sign_in("agency_hr", "Dewi HR")
    b.csrf = "forged-token-forged-token-forged"
    r = await b.post("/promotions", {"nip": "1" * 18, "period": "2027-04-01"})
    assert r.status_code == 403 and "csrf_failed" in r.text


async def test_a_promotion_is_started_and_decided_through_the_pages(api: Api, sessions) -> None:
    rec = await new_employee(api)
    hr = browser(api)
    await hr.sign_in("agency_hr", "Dewi HR", "hr-dewi")
    await hr.get("/promotions")
    r = await hr.post(
        "/promotions",
        {
            "nip": rec["nip"],
            "period": "2027-04-01",
            "type": "regular",
            "request_id": hr.request_id(),
        },
    )
    assert r.status_code == 200, r.text
    pid = f"promotion-{rec['nip']}-2027-04"
    assert str(r.url).endswith(f"/promotions/{pid}")
    await api.wait_for(pid, lambda b: (b["pending"] or {}).get("step") == "supervisor")

    # Someone else's step: the board sees no form, and a forged post is refused, in Indonesian,
    # with the refusal in the ledger like any API refusal.
    board = browser(api)
    await board.sign_in("promotion_board", "Budi Board", "board-budi")
    page = await board.get(f"/promotions/{pid}")
    assert "Catat keputusan saya" not in page.text
    r = await board.post(
        f"/promotions/{pid}/decisions",
        {"decision": "approve", "justification": "ok", "step": "supervisor", "request_id": "x1"},
    )
    assert r.status_code == 409, r.text
    assert "Ini tidak diterima" in r.text

    sup = browser(api)
    await sup.sign_in("supervisor", "Sari Atasan", rec["supervisor_nip"])
    page = await sup.get(f"/promotions/{pid}")
    assert "Catat keputusan saya" in page.text and "Masa kerja dalam pangkat" in page.text
    assert "tahun dalam pangkat III/b" in page.text  # the explanation reads in Indonesian
    # The ratings inside the explanation in Indonesian too (PermenPANRB 6/2022's predikat).
    assert "2025: baik, 2026: sangat baik" in page.text and "very good" not in page.text
    # Status, step and role by name, not the API's codes.
    assert "Sedang berjalan" in page.text and "Atasan langsung" in page.text
    assert ">in_progress<" not in page.text and "(supervisor)" not in page.text
    r = await sup.post(
        f"/promotions/{pid}/decisions",
        {
            "decision": "approve",
            "justification": "berkas lengkap",
            "step": "supervisor",
            "request_id": sup.request_id(),
        },
    )
    assert r.status_code == 200 and "Keputusan Anda telah dicatat." in r.text
    async with sessions() as s:
        rows = list(await ledger.entries(s, pid))
    assert [r.actor_id for r in rows if r.kind == "promotion.decision"] == [rec["supervisor_nip"]]
    refused = [r for r in rows if r.outcome == "refused"]
    assert [(r.actor_role, r.payload["error"]) for r in refused] == [
        ("promotion_board", "not_your_step")
    ]


async def test_an_ineligible_promotion_says_why_in_indonesian(api: Api) -> None:
    """The workflow joins the unmet checks' English sentences as the outcome reason; the page
    shows them as the eligibility table does, in the reader's language."""
    rec = await new_employee(api, grade="IV/e")
    r = await api.post(
        "/v1/promotions",
        {"nip": rec["nip"], "period": "2027-04-01", "type": "regular"},
        "hr_system",
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    body = await api.wait_for(pid, lambda b: b["status"] == "ineligible")
    # The API keeps the record's words.
    assert "IV/e is the highest grade." in body["outcome_reason"]
    hr = browser(api)
    await hr.sign_in("agency_hr", "Dewi HR", "hr-dewi")
    page = await hr.get(f"/promotions/{pid}")
    assert "Tidak memenuhi syarat" in page.text
    reason = page.text.split("<dt>Alasan</dt><dd>")[1].split("</dd>")[0]
    assert "IV/e adalah golongan tertinggi." in reason and "highest grade" not in reason
