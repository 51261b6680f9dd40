"""A page's cold weight as the console sends it: the HTML and every asset it links, compressed."""

from __future__ import annotations

import re

import httpx

BUDGET = 150 * 1024
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


async def cold_bytes(http: httpx.AsyncClient, url: str) -> int:
    headers = {"Accept-Encoding": "gzip"}
    page = await http.get(url, headers=headers)
    assert page.status_code == 200, (url, page.status_code)
    assert 'name="viewport" content="width=device-width' in page.text
    total = page.num_bytes_downloaded
    for asset in sorted(set(ASSET.findall(page.text))):
        r = await http.get(asset, headers=headers)
        assert r.status_code == 200, asset
        total += r.num_bytes_downloaded
    return total
