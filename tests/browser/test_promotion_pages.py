"""A promotion walks its whole approval chain, BKN's review included, through the pages."""

from __future__ import annotations

import uuid

import httpx

from infra.tokens import mint_token
from tests.browser.conftest import Site
from tests.conftest import employee
from tests.helpers.pages import DOCS_SHOTS, accessible, docs_shots, sign_in


async def _setup(site: Site) -> dict:
    rec = employee()
    async with httpx.AsyncClient(base_url=site.url) as http:

        def auth(role: str, agency: str | None = "KEMENPANRB") -> dict[str, str]:
            return {
                "Authorization": f"Bearer {mint_token(site.settings, role=role, sub='setup', agency=agency)}"
            }

        r = await http.post("/v1/employees", json=rec, headers=auth("hr_system"))
        assert r.status_code == 201, r.text
        body = {"code": "BKN", "name": "BKN", "kind": "technical_approval", "head_reviewer_id": "h"}
        r = await http.post("/v1/review-bodies", json=body, headers=auth("admin", None))
        assert r.status_code in (200, 201), r.text
        reviewer = {"id": f"bkn-{uuid.uuid4().hex[:6]}", "name": "Validator"}
        r = await http.post(
            "/v1/review-bodies/BKN/reviewers", json=reviewer, headers=auth("admin", None)
        )
        assert r.status_code in (200, 201), r.text
    return rec


async def _decide(site: Site, pid: str, role: str, sub: str, name: str, **extra: str) -> None:
    page = await site.page()
    await sign_in(page, role, name, sub)
    await page.goto(f"/promotions/{pid}")
    await accessible(page)
    await page.fill("#f-justification", "Berkas lengkap dan sesuai.")
    for field, value in extra.items():
        await page.fill(f"#f-{field}", value)
    await page.click("button:has-text('Catat keputusan saya')")
    await page.wait_for_selector("text=Keputusan Anda telah dicatat.")


async def test_a_promotion_through_every_page(site: Site) -> None:
    rec = await _setup(site)
    hr = await site.page()
    await sign_in(hr, "agency_hr", "Dewi HR", "hr-dewi")
    await hr.goto("/promotions")
    await accessible(hr)
    await hr.fill("#f-nip", rec["nip"])
    await hr.fill("#f-period", "2027-04-01")
    await hr.click("button:has-text('Mulai')")
    await hr.wait_for_url("**/promotions/promotion-*")
    pid = hr.url.rsplit("/", 1)[1]
    await accessible(hr)

    await _wait_for_step(site, pid, "supervisor")
    if DOCS_SHOTS:
        sup = await site.page()
        await sign_in(sup, "supervisor", "Sari Atasan", rec["supervisor_nip"])
        await docs_shots(sup, [("inbox", "/inbox"), ("promotion-decision", f"/promotions/{pid}")])
    await _decide(site, pid, "supervisor", rec["supervisor_nip"], "Sari Atasan")
    await _decide(site, pid, "promotion_board", "board-1", "Budi Board")
    await _decide(site, pid, "agency_hr", "hr-dewi", "Dewi HR")

    review_id = await _wait_for_review(site, pid)
    reviewer = await site.page()
    seat = await _seat(site, review_id)
    await sign_in(reviewer, "reviewer", "Rudi BKN", seat, agency="")
    await reviewer.goto("/inbox")
    await accessible(reviewer)
    await reviewer.click(f"a[href='/reviews/{review_id}']")
    await accessible(reviewer)
    # No conflict: declared with the verdict, one form (the selection's reviewers declare apart).
    await reviewer.check("input[name='declares_no_conflict']")
    await reviewer.fill("#f-justification", "Pertek sesuai.")
    await reviewer.click("button:has-text('Berikan putusan saya')")
    await reviewer.wait_for_selector("text=Putusan Anda telah dicatat.")

    await _wait_for_step(site, pid, "appointing_authority")
    await _decide(
        site, pid, "appointing_authority", "ppk-1", "Pak PPK", decree_number="800/KP/2027/7"
    )
    await hr.goto(f"/promotions/{pid}")
    await hr.wait_for_selector("text=800/KP/2027/7")
    await docs_shots(
        hr, [("promotion", f"/promotions/{pid}"), ("landing", "/"), ("signin", "/signin")]
    )

    facts = await hr.inner_text("dl.facts")
    assert "Selesai" in facts  # "completed", by name
    assert "800/KP/2027/7, berlaku 1 April 2027" in facts  # the decree's date through Babel


async def _api(site: Site, path: str, role: str = "auditor") -> dict:
    token = mint_token(
        site.settings, role=role, sub="t", agency=None if role == "bkn" else "KEMENPANRB"
    )
    async with httpx.AsyncClient(base_url=site.url) as http:
        r = await http.get(path, headers={"Authorization": f"Bearer {token}"})
    return r.json() if r.status_code == 200 else {}


async def _wait_for_step(site: Site, pid: str, step: str) -> None:
    import asyncio

    for _ in range(600):
        body = await _api(site, f"/v1/promotions/{pid}")
        if (body.get("pending") or {}).get("step") == step and not (body.get("pending") or {}).get(
            "review_id"
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{pid} never reached {step}")


async def _wait_for_review(site: Site, pid: str) -> str:
    import asyncio

    for _ in range(600):
        body = await _api(site, f"/v1/promotions/{pid}")
        review_id = (body.get("pending") or {}).get("review_id")
        if (
            review_id
            and (await _api(site, f"/v1/reviews/{review_id}", "bkn")).get("status") == "open"
        ):
            return str(review_id)
        await asyncio.sleep(0.1)
    raise AssertionError("the review never opened")


async def _seat(site: Site, review_id: str) -> str:
    body = await _api(site, f"/v1/reviews/{review_id}", "bkn")
    return str(body["seats"][0]["reviewer_id"])
