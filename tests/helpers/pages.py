"""What the browser tests do on every page: sign in as a persona, and check accessibility."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

AXE = Axe()
SERIOUS = ("serious", "critical")
CHECKED: list[str] = []


async def accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    results = await AXE.run(page)
    bad: list[Any] = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not bad, f"{page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in bad
    )
    CHECKED.append(page.url)


async def sign_in(
    page: Page, role: str, name: str, sub: str = "", agency: str = "KEMENPANRB"
) -> None:
    await page.goto("/signin")
    await accessible(page)
    await page.fill("#p-name", name)
    await page.fill("#p-sub", sub)
    await page.select_option("#p-role", role)
    await page.fill("#p-agency", agency)
    await page.click("button:has-text('Masuk sebagai persona ini')")
    await page.wait_for_url("**/inbox")


# `make screenshots` sets this: the main pages, in both languages, for docs/ and the README.
DOCS_SHOTS = os.environ.get("MERITFLOW_DOCS_SHOTS")


async def docs_shots(page: Page, shots: list[tuple[str, str]]) -> None:
    """Each (name, path) as ``<DOCS_SHOTS>/<name>-<lang>.png`` in Indonesian and in English, as the
    signed-in person of ``page`` sees it (the language chosen with the page's own switcher)."""
    if not DOCS_SHOTS:
        return
    Path(DOCS_SHOTS).mkdir(parents=True, exist_ok=True)
    for lang in ("id", "en"):
        await page.goto(shots[0][1])
        await page.select_option("#lang-choice", lang)
        await page.click("form[action='/language'] button")
        await page.wait_for_load_state()
        for name, path in shots:
            await page.goto(path)
            await page.screenshot(path=f"{DOCS_SHOTS}/{name}-{lang}.png")
    await page.goto(shots[0][1])
    await page.select_option("#lang-choice", "id")
    # Back in Indonesian before the test reads the page again (it did not wait: a race the
    # test lost once statuses were shown by name, which differ between the two languages).
    async with page.expect_navigation():
        await page.click("form[action='/language'] button")
