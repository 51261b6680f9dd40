"""An open selection on the training rulebook, from the HR officer's start to the appointing
authority's choice and the public's announcements, through the pages only: HR starts and plans
it, the oversight body's reviewers approve the plan and the shortlist, the committee declares,
screens, scores blind and votes, the PPK appoints, anyone reads every stage's results. Every page
visited passes axe-core with no serious or critical violation."""

from __future__ import annotations

import uuid

import pytest

from tests.browser import selection_steps as step
from tests.browser.conftest import Site
from tests.helpers import selection_setup as setup
from tests.helpers.pages import accessible, docs_shots

NAMES = ("Pelamar 1", "Pelamar 2", "Pelamar 3", "Pelamar 4")


@pytest.mark.timeout(900)
async def test_an_open_selection_through_every_page(site: Site) -> None:
    async with await step.api(site) as http:
        body_code, _ = await setup.oversight_body(http, site.settings)
    hr, pid = await step.start(site, body_code, f"JPT-UI-{uuid.uuid4().hex[:6].upper()}")
    await step.plan(hr, pid)
    await step.oversight(site, await step.wait_for_review(site, pid, "plan_review_id"))
    await step.wait_for(site, pid, "announcement")
    await step.announce(hr, pid)
    await step.register(hr, pid)
    await step.wait_for(site, pid, "screening")

    chair = await step.screen(site, pid)
    m1 = await step.persona(site, "selection_committee", "m1", "Anggota Satu")
    await step.declare(m1, pid, conflicted=("a3",))
    await step.declare(chair, pid)
    await step.visit(chair, f"/selections/{pid}/screening")
    await step.done(chair, "Tutup seleksi administrasi", "Seleksi administrasi telah ditutup.")
    await step.wait_for(site, pid, "assessment")

    # blind: the sheet shows codes, never a name or a NIP
    code = {a: setup.code_of(site.settings, pid, a) for a in ("a1", "a2", "a3")}
    await step.visit(chair, f"/selections/{pid}/scoring")
    sheet = await chair.inner_text("main")
    assert all(c in sheet for c in code.values()) and not any(n in sheet for n in NAMES)
    for aid, value in (("a1", 90), ("a2", 85), ("a3", 80)):
        await step.score(chair, pid, code[aid], value)
    await step.visit(m1, f"/selections/{pid}/scoring")
    for aid, value in (("a1", 88), ("a2", 82)):
        await step.score(m1, pid, code[aid], value)
    await accessible(m1)
    await step.visit(chair, f"/selections/{pid}/scoring/interview/{code['a1']}")
    assert "88" in await chair.inner_text("main")
    await step.visit(chair, f"/selections/{pid}/scoring")
    await step.done(chair, "Tutup interview", "Komponen telah ditutup")
    await step.wait_for(site, pid, "shortlist")

    for sub in ("chair", "secretary", "m2"):
        member = await step.persona(site, "selection_committee", sub, sub)
        await step.visit(member, f"/selections/{pid}/decision")
        await step.done(member, "Berikan suara saya", "Suara Anda telah dicatat.")
    await step.visit(chair, f"/selections/{pid}/decision")
    await step.done(chair, "Tutup rapat pleno", "Rapat pleno telah ditutup.")
    await step.oversight(site, await step.wait_for_review(site, pid, "shortlist_review_id"))
    await step.wait_for(site, pid, "appointment")

    ppk = await step.persona(site, "appointing_authority", "ppk-1", "Pak PPK")
    await step.visit(ppk, "/inbox")
    await ppk.click(f"a[href='/selections/{pid}/decision']")
    await ppk.wait_for_url(f"**/selections/{pid}/decision")
    await accessible(ppk)
    await ppk.check("input[name='applicant_id'][value='a1']")
    await ppk.fill("#f-reason-appoint", "Nilai tertinggi dan visi reformasi birokrasi.")
    await step.done(ppk, "Tetapkan pelamar ini", "Penetapan telah dicatat.")
    await step.wait_for(site, pid, "completed")

    # ---- the public: every stage's announcement, linkable, printable, readable at 360 px ---------
    public = await site.page(width=360, height=740)
    await step.visit(public, "/")
    await public.click(f"a[href='/public/selections/{pid}']")
    await public.wait_for_url(f"**/public/selections/{pid}")
    await accessible(public)
    if step.SHOTS:
        await public.screenshot(path=f"{step.SHOTS}/public-360.png", full_page=True)
    text = await public.inner_text("main")
    for title in (
        "Pengumuman lowongan",
        "Pendaftaran ditutup",
        "Hasil seleksi administrasi",
        "Hasil: Wawancara",
        "Peringkat nilai akhir",
        "Tiga besar yang diusulkan",
        "Penetapan",
    ):
        assert title in text, title
    assert "tidak lanjut" in text and "197601" not in text
    overflow = await public.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 360, f"the page is {overflow} px wide on a 360 px screen"
    await docs_shots(public, [("public-announcements", f"/public/selections/{pid}")])
    auditor = await step.persona(site, "auditor", "inspektorat-1", "Ani Auditor")
    await docs_shots(
        auditor,
        [
            ("audit-trace", f"/audit/processes/{pid}"),
            ("audit-verify", f"/audit/processes/{pid}/verify"),
            ("audit-charts", "/audit/charts"),
            ("selection", f"/selections/{pid}"),
        ],
    )
    await public.emulate_media(media="print")
    assert not await public.locator("header.top").is_visible()
    assert await public.locator("table.results").first.is_visible()
