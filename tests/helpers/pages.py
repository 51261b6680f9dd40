"""What the browser tests do on every page: sign in as a persona, and check accessibility."""

from __future__ import annotations

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
