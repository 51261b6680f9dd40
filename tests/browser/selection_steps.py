"""Steps of a selection as people take them in the browser: each signs in as a persona, opens
the page, checks it with axe-core, fills the form and waits for the confirmation."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import FilePayload, Page

from domain.calendar import WIB
from tests.browser.conftest import Site
from tests.helpers import selection_setup as setup
from tests.helpers.pages import accessible, sign_in


async def persona(site: Site, role: str, sub: str, name: str, agency: str = "KEMENPANRB") -> Page:
    page = await site.page()
    await sign_in(page, role, name, sub, agency)
    return page


# Set to a folder to keep a screenshot of every page visited (to look at them, or for docs/).
SHOTS = os.environ.get("MERITFLOW_SCREENSHOTS")


async def visit(page: Page, path: str) -> None:
    await page.goto(path)
    await accessible(page)
    if SHOTS:
        name = path.strip("/").replace("/", "_").replace("?", "_") or "landing"
        await page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


async def forget_flash(page: Page) -> None:
    """The confirmation of the previous form goes, so the next one is awaited for real."""
    await page.evaluate("document.querySelectorAll('.flash').forEach(e => e.remove())")


async def done(page: Page, button: str, message: str) -> None:
    await forget_flash(page)
    await page.click(f"button:has-text('{button}')")
    try:
        await page.wait_for_selector(f"text={message}")
    except PlaywrightError as err:
        raise AssertionError(f"{page.url}: {await page.inner_text('main')}") from err
    await accessible(page)


async def api(site: Site) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=site.url, timeout=30)


async def start(site: Site, body_code: str, code: str) -> tuple[Page, str]:
    hr = await persona(site, "agency_hr", "hr-1", "Dewi HR")
    await visit(hr, "/selections")
    await hr.fill("#f-code", code)
    await hr.fill("#f-post_title", "Kepala Biro Umum")
    await hr.select_option("#f-post_level", "pratama")
    await hr.fill("#f-appointing_authority_id", "ppk-1")
    await hr.select_option("#f-rulebook_version", setup.TRAINING)
    await hr.fill("#f-oversight_body", body_code)
    await hr.click("button:has-text('Mulai seleksi')")
    await hr.wait_for_url("**/selections/selection-*")
    await accessible(hr)
    return hr, hr.url.rsplit("/", 1)[1]


async def plan(hr: Page, pid: str) -> None:
    await visit(hr, f"/selections/{pid}/planning")
    for i, (mid, name, seat, internal) in enumerate(setup.PANEL):
        await hr.fill(f"#f-m-{i}-id", mid)
        await hr.fill(f"#f-m-{i}-name", name)
        await hr.select_option(f"#f-m-{i}-role", seat)
        await hr.set_checked(f"#f-m-{i}-internal", internal)
        where = "Kementerian PANRB" if internal else "Universitas Indonesia"
        await hr.fill(f"#f-m-{i}-affiliation", where)
    await done(hr, "Simpan panitia seleksi", "Panitia seleksi telah dicatat.")
    # the standard scheme is offered; the panel keeps one component, the interview
    rows = await hr.locator("input[id$='-code'][id^='f-c-']").count()
    for i in range(rows):
        await hr.fill(f"#f-c-{i}-code", "")
        await hr.fill(f"#f-c-{i}-name", "")
    await hr.fill("#f-c-0-code", "interview")
    await hr.fill("#f-c-0-name", "Wawancara")
    await hr.fill("#f-c-0-weight", "100")
    await hr.fill("#f-c-0-cutoff", "")
    await hr.set_checked("#f-c-0-pass_fail", False)
    await hr.select_option("#f-c-0-scorer_kind", "committee")
    await hr.fill("#f-c-0-scorers", "chair, m1")
    await hr.fill("#f-tie_break", "interview, age")
    await done(hr, "Simpan skema", "Skema penilaian dan penilainya telah dicatat.")
    await done(hr, "Ajukan rencana untuk ditinjau", "Rencana telah dikirim ke lembaga pengawas")


async def oversight(site: Site, review_id: str) -> None:
    """Two of the body's three reviewers declare and approve, through the review pages."""
    async with await api(site) as http:
        seats = await setup.open_review(http, site.settings, review_id)
    for seat in seats[:2]:
        reviewer = await persona(site, "reviewer", seat, f"Peninjau {seat}", agency="")
        await visit(reviewer, f"/reviews/{review_id}")
        await done(reviewer, "Nyatakan", "Pernyataan Anda telah dicatat.")
        await reviewer.fill("#f-justification", "Sesuai PermenPANRB 15/2019.")
        await done(reviewer, "Berikan putusan saya", "Putusan Anda telah dicatat.")


async def announce(hr: Page, pid: str, seconds: int = 80) -> None:
    await visit(hr, f"/selections/{pid}/planning")
    closes = (datetime.now(UTC) + timedelta(seconds=seconds)).astimezone(WIB)
    await hr.fill("#f-closes_at", closes.strftime("%Y-%m-%dT%H:%M:%S"))
    await hr.fill("#f-text", "Pendaftaran seleksi terbuka (latihan).")
    await done(hr, "Umumkan", "Lowongan telah diumumkan.")


async def register(hr: Page, pid: str) -> None:
    """One applicant by the form, three from a CSV file (the fourth under a sanction)."""
    await visit(hr, f"/selections/{pid}/applicants")
    await hr.fill("#f-applicant_id", "a1")
    await hr.fill("#f-name", "Pelamar 1")
    await hr.fill("#f-nip", "197601152000031001")
    await hr.select_option("#f-degree", "S2")
    await hr.fill("#f-years_experience", "12")
    await hr.fill("#f-years_senior_post", "4")
    await hr.fill("#f-birth_date", "1976-01-15")
    await hr.fill("#f-grade", "IV/b")
    await done(hr, "Daftarkan", "Pelamar telah didaftarkan.")
    rows = "".join(setup.applicant_row(i, sanction=i == 4) for i in (2, 3, 4))
    upload = FilePayload(
        name="pelamar.csv", mimeType="text/csv", buffer=(setup.CSV_HEADER + rows).encode()
    )
    await hr.set_input_files("#f-file", files=[upload])
    await done(hr, "Impor", "Pelamar dalam berkas telah didaftarkan.")


async def wait_for(site: Site, pid: str, stage: str, seconds: float = 300) -> dict:
    async with await api(site) as http:
        return await setup.until(http, site.settings, pid, lambda b: b["stage"] == stage, seconds)


async def wait_for_review(site: Site, pid: str, field: str) -> str:
    async with await api(site) as http:
        body = await setup.until(http, site.settings, pid, lambda b: b[field] is not None)
    return str(body[field])


async def screen(site: Site, pid: str) -> Page:
    """The chair finds the task in the inbox, decides each applicant as pre-checked."""
    chair = await persona(site, "selection_committee", "chair", "Prof. Ketua")
    await visit(chair, "/inbox")
    await chair.click(f"a[href='/selections/{pid}/screening']")
    await chair.wait_for_url(f"**/selections/{pid}/screening")
    await accessible(chair)
    for aid in ("a1", "a2", "a3", "a4"):
        section = chair.locator(f"section[aria-labelledby='a-{aid}']")
        await forget_flash(chair)
        await section.locator("button").click()
        await chair.wait_for_selector("text=Keputusan seleksi administrasi telah dicatat.")
    await accessible(chair)
    return chair


async def declare(page: Page, pid: str, conflicted: tuple[str, ...] = ()) -> None:
    await visit(page, f"/selections/{pid}/declaration")
    for aid in conflicted:
        await page.check(f"input[name='conflicted'][value='{aid}']")
    await page.fill("#f-reason-declare", "hubungan keluarga" if conflicted else "tidak ada")
    await done(page, "Buat pernyataan saya", "Pernyataan Anda telah dicatat.")


async def score(page: Page, pid: str, code: str, value: int) -> None:
    await page.fill(f"#f-score-interview-{code}", str(value))
    await forget_flash(page)
    await page.locator(f"#r-interview-{code} button").click()
    await page.wait_for_selector("text=Nilai Anda telah dicatat dan dikunci.")
