"""A talent review through the console over the real stack, in Bahasa Indonesia: agency HR starts it,
the committee declares, moves a person (a refused move shown in the person's language and recorded)
and publishes the boxes, an employee reads their box and why and objects, the committee answers;
the succession page shows the approval's checks."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx

from store import ledger
from tests.helpers.browser import Browser
from tests.helpers.promotion_api import Api
from tests.helpers.talent import population, to_csv


def browser(api: Api) -> Browser:
    transport = api.http._transport  # noqa: SLF001 - the same app, a cookie jar of its own
    return Browser(httpx.AsyncClient(transport=transport, base_url="http://meritflow.test"))


async def stage_of(api: Api, pid: str, agency: str, stage: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(1200):
        body = (await api.get(f"/v1/talent-reviews/{pid}", "agency_hr", agency)).json()
        if body.get("stage") == stage:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(body)


async def test_a_review_through_the_pages(api: Api, sessions, dev_env) -> None:
    agency = f"AG{uuid.uuid4().hex[:8].upper()}"
    people = population(30, agency, seed=5)
    headers = {**api.auth("agency_hr", "hr", agency), "content-type": "text/csv"}
    r = await api.http.post("/v1/talent/records/import", content=to_csv(people), headers=headers)
    assert r.status_code == 200, r.text

    hr = browser(api)
    await hr.sign_in("agency_hr", "Dewi HR", "hr-dewi", agency)
    page = await hr.get("/talent")
    assert "Mulai talent review" in page.text
    assert '<option value="BKN-TM-2025.2" selected>' in page.text  # the default for new reviews
    members = "tc-chair, Ketua, chair\ntc-sec, Sekretaris, secretary\ntc-m, Anggota, member"
    r = await hr.post(
        "/talent",
        {
            "code": "TR1",
            "title": "Talent review administrator",
            "cutoff_date": "2026-11-30",
            "position_levels": ["administrator", "ahli_madya"],
            "rulebook_version": "BKN-TM-2025.2-training",
            "committee": members,
            "request_id": hr.request_id(),
        },
    )
    assert r.status_code == 200, r.text
    pid = f"talent-review-{agency}-TR1"
    assert str(r.url).endswith(f"/talent/{pid}")
    review = await stage_of(api, pid, agency, "calibration")

    chair = browser(api)
    await chair.sign_in("talent_committee", "Ketua", "tc-chair", agency)
    page = await chair.get(f"/talent/{pid}")
    assert "Sembilan kotak" in page.text and "Konflik kepentingan" in page.text
    # The 9-box drawn as the sources draw it: performance up (high row first), potential across.
    ninebox = page.text.split('class="list ninebox"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"\?box=(\d)", ninebox) == list("479258136")
    r = await chair.post(
        f"/talent/{pid}/declarations",
        {"conflicted": "", "reason": "tidak ada", "request_id": chair.request_id()},
    )
    assert r.status_code == 200 and "Pernyataan Anda telah dicatat" in r.text, r.text
    listing = (
        await api.get(f"/v1/talent-reviews/{pid}/people?limit=50", "agency_hr", agency)
    ).json()
    someone = next(p for p in listing["items"] if p["box"] is not None)
    other = 1 if someone["box"] != 1 else 2
    move = {"nip": someone["nip"], "box": other, "justification": "pendek", "request_id": "m-1"}
    r = await chair.post(f"/talent/{pid}/moves", move)
    assert r.status_code == 422 and "Ini tidak diterima" in r.text
    move |= {"justification": "Temuan audit unit kerja yang belum tercermin", "request_id": "m-2"}
    r = await chair.post(f"/talent/{pid}/moves", move)
    assert r.status_code == 200 and "Pemindahan dicatat." in r.text, r.text
    tasks = (await api.get("/v1/me/tasks", "talent_committee", agency, sub="tc-chair")).json()
    assert [t["kind"] for t in tasks["items"]] == ["talent_review"], tasks
    await chair.get(f"/talent/{pid}")
    r = await chair.post(f"/talent/{pid}/close-calibration", {"request_id": chair.request_id()})
    assert r.status_code == 200, r.text
    await stage_of(api, pid, agency, "objection")

    tasks = (await api.get("/v1/me/tasks", "employee", agency, sub=someone["nip"])).json()
    assert [t["kind"] for t in tasks["items"]] == ["talent_objection"], tasks
    me = browser(api)
    await me.sign_in("employee", "Pegawai", someone["nip"], agency)
    inbox = await me.get("/inbox")
    assert "/me/talent" in inbox.text
    page = await me.get("/me/talent")
    assert "Asal setiap angka" in page.text and "LOW CONFIDENCE" in page.text
    # Why, in the employee's language: the formula's box, then the committee's move.
    assert "rumus menempatkan Anda di kotak" in page.text, page.text
    assert "Tim penilai talenta memindahkan Anda dari kotak" in page.text
    assert "moved you" not in page.text and "the formula places you" not in page.text
    r = await me.post(
        f"/me/talent/{pid}/objection",
        {"grounds": "SKP 2025 saya sudah direvisi", "request_id": me.request_id()},
    )
    assert r.status_code == 200 and "Keberatan Anda dicatat" in r.text, r.text

    sec = browser(api)
    await sec.sign_in("talent_committee", "Sekretaris", "tc-sec", agency)
    await sec.post(
        f"/talent/{pid}/declarations",
        {"conflicted": "", "reason": "tidak ada", "request_id": "d-sec"},
    )
    r = await sec.post(
        f"/talent/{pid}/answers",
        {
            "nip": someone["nip"],
            "uphold": "no",
            "justification": "Revisi itu untuk tahun 2026",
            "request_id": "a-1",
        },
    )
    assert r.status_code == 200 and "Jawaban Anda dicatat." in r.text, r.text
    assert review["counts"]["included"] > 0

    auditor = browser(api)
    await auditor.sign_in("auditor", "Inspektorat", "aud-1", agency)
    page = await auditor.get(f"/talent/{pid}")
    assert "Untuk auditor" in page.text and "rantai terverifikasi" in page.text

    posts = await hr.get("/talent-posts")
    assert posts.status_code == 200 and "Persetujuan manajemen talenta: tidak berlaku" in posts.text
    assert "No talent-management approval" in posts.text
    async with sessions() as s:
        rows = list(await ledger.entries(s, pid))
    refused = [r.payload["error"] for r in rows if r.outcome == "refused"]
    assert refused == ["justification_required"]
    await dev_env.client.get_workflow_handle(pid).terminate("test finished")
