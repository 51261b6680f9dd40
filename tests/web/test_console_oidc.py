"""Sign-in through the agency's OpenID Connect provider (authorization code with PKCE), a person
with two roles choosing the one they act in, and the persona picker refused in production."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from infra.settings import Settings
from server import create_app
from tests.helpers.browser import Browser
from tests.helpers.fake_idp import CLIENT_ID, CLIENT_SECRET, FakeIdP, running_idp

BASE = "http://meritflow.test"


@pytest_asyncio.fixture
async def idp() -> AsyncIterator[FakeIdP]:
    async with running_idp() as found:
        yield found


async def _app(settings: Settings, client: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, client=client)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            yield http


async def _sign_in_through(idp: FakeIdP, app: httpx.AsyncClient) -> httpx.Response:
    start = await app.get("/signin/oidc?next=/inbox")
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    assert location.startswith(f"{idp.issuer}/authorize") and "code_challenge=" in location
    async with httpx.AsyncClient() as outside:
        back = await outside.get(location)
    assert back.status_code == 302
    callback = back.headers["location"]
    assert callback.startswith(f"{BASE}/signin/oidc/callback")
    return await app.get(callback.removeprefix(BASE))


async def test_oidc_sign_in_with_pkce_and_role_choice(idp: FakeIdP, settings, dev_env) -> None:
    s = settings.model_copy(
        update={
            "oidc_metadata_url": idp.metadata_url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
        }
    )
    idp.next_user = {
        "sub": "198001012005011001",
        "name": "Rina Pejabat",
        "agency": "KEMENPANRB",
        "roles": ["promotion_board", "auditor", "not-a-meritflow-role"],
    }
    async for app in _app(s, dev_env.client):
        done = await _sign_in_through(idp, app)
        assert done.status_code == 303 and done.headers["location"] == "/inbox", done.text
        b = Browser(app)
        page = await b.get("/inbox")
        assert page.status_code == 200 and "Rina Pejabat · Tim penilai kinerja" in page.text
        assert 'name="role"' in page.text  # two roles held: a choice is offered
        forbidden = await b.get("/audit")
        assert forbidden.status_code == 403  # acting as the board, not as an auditor
        r = await b.post("/role", {"role": "auditor"})
        assert r.status_code == 200 and "Rina Pejabat · Auditor" in r.text
        assert (await b.get("/audit")).status_code == 200
        refused = await b.post("/role", {"role": "admin"})  # a role not held
        assert refused.status_code == 403


async def test_a_used_code_cannot_sign_in_twice(idp: FakeIdP, settings, dev_env) -> None:
    s = settings.model_copy(
        update={
            "oidc_metadata_url": idp.metadata_url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
        }  # fmt: skip
    )
    idp.next_user = {"sub": "x", "name": "X", "roles": ["auditor"]}
    async for app in _app(s, dev_env.client):
        start = await app.get("/signin/oidc")
        async with httpx.AsyncClient() as outside:
            back = await outside.get(start.headers["location"])
        path = back.headers["location"].removeprefix(BASE)
        assert (await app.get(path)).status_code == 303
        again = await app.get(path)
        assert again.status_code == 303 and again.headers["location"].startswith("/signin")


async def test_persona_picker_is_refused_in_production(settings, dev_env) -> None:
    s = settings.model_copy(update={"env": "production"})
    async for app in _app(s, dev_env.client):
        b = Browser(app)
        page = await b.get("/signin")
        assert "/signin/persona" not in page.text
        r = await b.post("/signin/persona", {"role": "admin", "name": "Mallory"})
        assert r.status_code == 404
