"""A conflicted panel member tries to score the applicant they declared a conflict with: the
score sheet refuses it in Bahasa Indonesia beside the score; the auditor then finds that refused
attempt in the ledger search and in the process's trace, verifies the chain, and opens the
time-in-stage chart. Every page visited passes axe-core."""

from __future__ import annotations

import uuid

import pytest

from tests.browser import selection_steps as step
from tests.browser.conftest import Site
from tests.helpers import selection_setup as setup
from tests.helpers.pages import accessible

REFUSAL = (
    "Anda memiliki konflik kepentingan dengan pelamar ini, sehingga tidak boleh menilai atau "
    "memutus seleksi administrasinya."
)


@pytest.mark.timeout(600)
async def test_a_conflicted_member_is_refused_and_the_auditor_finds_it(site: Site) -> None:
    async with await step.api(site) as http:
        code = f"JPT-COI-{uuid.uuid4().hex[:6].upper()}"
        pid = await setup.to_screening(http, site.settings, code)
    chair = await step.screen(site, pid)
    m1 = await step.persona(site, "selection_committee", "m1", "Anggota Satu")
    await step.declare(m1, pid, conflicted=("a3",))
    await step.visit(chair, f"/selections/{pid}/screening")
    await step.done(chair, "Tutup seleksi administrasi", "Seleksi administrasi telah ditutup.")
    await step.wait_for(site, pid, "assessment")

    blind = setup.code_of(site.settings, pid, "a3")
    await step.visit(m1, f"/selections/{pid}/scoring")
    await m1.fill(f"#f-score-interview-{blind}", "75")
    await m1.locator(f"#r-interview-{blind} button").click()
    beside = m1.locator(f"#e-score-interview-{blind}")
    await beside.wait_for()
    assert await beside.inner_text() == REFUSAL
    assert REFUSAL in await m1.inner_text(".error-summary")
    await accessible(m1)

    auditor = await step.persona(site, "auditor", "inspektorat-1", "Ani Auditor")
    await step.visit(auditor, "/audit")
    await auditor.fill("#q-process", pid)
    await auditor.select_option("#q-outcome", "refused")
    await auditor.click("button:has-text('Cari')")
    await auditor.wait_for_selector("text=conflict_of_interest")
    await accessible(auditor)
    row = auditor.locator("tr", has_text="selection.score_refused")
    assert "m1" in await row.inner_text()
    await row.locator(f"a[href='/audit/processes/{pid}']").click()
    await auditor.wait_for_url(f"**/audit/processes/{pid}")
    await accessible(auditor)
    trace = await auditor.inner_text("main")
    assert "selection.score_refused" in trace and "conflict_of_interest" in trace
    await auditor.click(f"a[href='/audit/processes/{pid}/verify']")
    await auditor.wait_for_url(f"**/audit/processes/{pid}/verify")
    await accessible(auditor)
    assert "Rantai hash utuh" in await auditor.inner_text("main")
    chart = await auditor.goto("/audit/charts/time-in-stage.svg")
    assert chart is not None and chart.ok
    assert chart.headers["content-type"] == "image/svg+xml"
    assert "<svg" in await chart.text()
