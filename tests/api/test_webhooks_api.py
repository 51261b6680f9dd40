"""The webhooks API: validation, roles, agency scope, the secret shown once, the catalogue.

A real Temporal dev server is behind the app (subscriptions start their dispatcher there), but no
worker: delivery itself is tested in tests/activities and tests/e2e.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from standardwebhooks import Webhook
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities import webhooks as webhook_activities
from domain import events
from infra.settings import Settings
from infra.tokens import mint_token
from server import create_app

URL = "/v1/webhooks/subscriptions"
GOOD = {"url": "https://hr.example.go.id/hooks", "event_types": [events.PROCESS_COMPLETED]}


class Client:
    def __init__(self, http: httpx.AsyncClient, settings: Settings, agency: str) -> None:
        self.http, self.settings, self.agency = http, settings, agency

    def headers(self, role: str, agency: str | None | bool = True) -> dict[str, str]:
        claim = self.agency if agency is True else agency
        token = mint_token(self.settings, role=role, sub=f"{role}-1", agency=claim or None)
        return {"Authorization": f"Bearer {token}"}

    async def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        role: str = "agency_hr",
        agency: str | None | bool = True,
    ) -> httpx.Response:
        return await self.http.request(method, url, json=body, headers=self.headers(role, agency))


# The DNS the tests see: a public answer, a private one, and nothing for any other name.
DNS = {
    "hr.example.go.id": ["93.184.216.34"],
    "simpeg.internal.go.id": ["10.12.0.7"],
    "split.example.go.id": ["93.184.216.34", "192.168.0.10"],
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in DNS:
            raise OSError(f"no such host {host}")
        return DNS[host]

    monkeypatch.setattr(webhook_activities, "resolve_host", resolve)


async def _client(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Client]:
    app = create_app(settings, client=env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
            yield Client(http, settings, f"WH-{uuid.uuid4().hex[:10]}")


@pytest_asyncio.fixture
async def client(dev_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Client]:
    async for c in _client(dev_env, settings):  # env "test": loopback allowed, as in development
        yield c


@pytest_asyncio.fixture
async def strict(dev_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Client]:
    """As in production: no loopback, no plain http."""
    async for c in _client(dev_env, settings.model_copy(update={"webhook_allow_loopback": False})):
        yield c


async def test_create_shows_the_secret_once_and_starts_a_dispatcher(
    client: Client, dev_env: WorkflowEnvironment
) -> None:
    r = await client.call("POST", URL, {**GOOD, "description": "SIMPEG Jawa Barat"})
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    Webhook(secret)  # the library accepts it
    assert created["agency"] == client.agency and created["status"] == "active"
    assert created["url"] == GOOD["url"] and created["description"] == "SIMPEG Jawa Barat"
    listed = (await client.call("GET", URL)).json()["items"]
    assert [s["id"] for s in listed] == [created["id"]]
    one = (await client.call("GET", f"{URL}/{created['id']}")).json()
    assert "secret" not in listed[0] and "secret" not in one
    handle = dev_env.client.get_workflow_handle(f"webhooks-{created['id']}")
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await client.call("DELETE", f"{URL}/{created['id']}")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "url": "ftp://hr.example.go.id/hooks"}, "url"),
        ({**GOOD, "url": "file:///etc/passwd"}, "url"),
        ({**GOOD, "url": "not a url"}, "url"),
        ({**GOOD, "url": "https://x.go.id/" + "a" * 2000}, "url"),
        ({"event_types": GOOD["event_types"]}, "url"),
        ({**GOOD, "event_types": []}, "event_types"),
        ({**GOOD, "event_types": ["meritflow.process.exploded.v1"]}, "event_types"),
        ({**GOOD, "description": "x" * 501}, "description"),
        ({**GOOD, "secret": "whsec_mine"}, "secret"),
    ],
)
async def test_bad_subscriptions_are_422_naming_the_field(
    client: Client, body: dict[str, Any], field: str
) -> None:
    r = await client.call("POST", URL, body)
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["error"] == "validation_error" and err["fields"][0]["field"] == field
    assert (await client.call("GET", URL)).json()["items"] == []


async def test_roles_and_agency_scope(client: Client) -> None:
    assert (await client.http.get(URL)).status_code == 401
    r = await client.call("POST", URL, GOOD, role="supervisor")
    assert r.status_code == 403 and r.json()["error"] == "forbidden_role"
    created = (await client.call("POST", URL, GOOD, role="hr_system")).json()
    sid = created["id"]
    elsewhere = "OTHER-AGENCY"
    for method, path in [
        ("GET", f"{URL}/{sid}"),
        ("POST", f"{URL}/{sid}/pause"),
        ("DELETE", f"{URL}/{sid}"),
        ("GET", f"{URL}/{sid}/deliveries"),
    ]:
        r = await client.call(method, path, agency=elsewhere)
        assert r.status_code == 404 and r.json()["error"] == "subscription_not_found", path
    assert sid not in [
        s["id"] for s in (await client.call("GET", URL, agency=elsewhere)).json()["items"]
    ]
    # A national caller (no agency claim) sees every agency's subscriptions.
    national = await client.call("GET", f"{URL}/{sid}", role="admin", agency=None)
    assert national.status_code == 200
    await client.call("DELETE", f"{URL}/{sid}")


async def test_pause_resume_delete(client: Client, dev_env: WorkflowEnvironment) -> None:
    sid = (await client.call("POST", URL, GOOD)).json()["id"]
    r = await client.call("POST", f"{URL}/{sid}/pause")
    assert r.status_code == 200 and r.json()["status"] == "paused"
    r = await client.call("POST", f"{URL}/{sid}/resume")
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert (await client.call("DELETE", f"{URL}/{sid}")).status_code == 204
    assert (await client.call("GET", f"{URL}/{sid}")).status_code == 404
    assert (await client.call("POST", f"{URL}/{sid}/resume")).status_code == 404
    assert (await client.call("DELETE", f"{URL}/{sid}")).status_code == 404
    assert sid not in [s["id"] for s in (await client.call("GET", URL)).json()["items"]]


async def test_deliveries_filters_and_unknown_replays(client: Client) -> None:
    sid = (await client.call("POST", URL, GOOD)).json()["id"]
    r = await client.call("GET", f"{URL}/{sid}/deliveries?status=pending")
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}
    r = await client.call("GET", f"{URL}/{sid}/deliveries?status=lost")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "query.status"
    r = await client.call("GET", f"{URL}/{sid}/deliveries?status=dead")
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}
    r = await client.call("POST", "/v1/webhooks/deliveries/msg_nope/replay")
    assert r.status_code == 404 and r.json()["error"] == "delivery_not_found"
    r = await client.call("POST", f"{URL}/{sid}/deliveries/replay-dead")
    assert r.status_code == 202 and r.json() == {"subscription_id": sid, "replayed": 0}
    r = await client.call("POST", f"{URL}/{sid}/deliveries/replay-dead", agency="OTHER")
    assert r.status_code == 404 and r.json()["error"] == "subscription_not_found"
    await client.call("DELETE", f"{URL}/{sid}")


async def test_event_types_publish_their_schemas(client: Client) -> None:
    r = await client.http.get("/v1/webhooks/event-types")  # no token needed
    assert r.status_code == 200
    items = {i["type"]: i for i in r.json()["items"]}
    assert set(items) == set(events.EVENT_TYPES)
    for name, item in items.items():
        assert name.endswith(".v1") and item["version"] == 1 and item["description"]
        schema = item["json_schema"]
        assert {"id", "type", "timestamp", "data"} <= set(schema["properties"])
        assert schema["properties"]["type"]["const"] == name
    openapi = (await client.http.get("/openapi.json")).json()
    assert "/v1/webhooks/deliveries/{delivery_id}/replay" in openapi["paths"]
    assert "/v1/webhooks/subscriptions/{subscription_id}/deliveries/replay-dead" in openapi["paths"]


FORBIDDEN = "webhook_url_forbidden_address"


@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        ("https://10.0.0.5/hooks", FORBIDDEN, "10.0.0.5 is a private address"),
        ("https://127.0.0.1/hooks", FORBIDDEN, "127.0.0.1 is a loopback address"),
        ("https://127.1.2.3:8443/hooks", FORBIDDEN, "a loopback address"),
        ("http://127.0.0.1:8080/hooks", FORBIDDEN, "a loopback address"),
        ("https://169.254.169.254/latest/meta-data/", FORBIDDEN, "a link-local address"),
        ("https://[::1]/hooks", FORBIDDEN, "::1 is a loopback address"),
        ("https://[fd12:3456::1]/hooks", FORBIDDEN, "a private address"),
        ("https://simpeg.internal.go.id/hooks", FORBIDDEN, "resolves to 10.12.0.7, a private"),
        ("https://split.example.go.id/hooks", FORBIDDEN, "192.168.0.10, a private address"),
        ("https://224.0.0.251/hooks", FORBIDDEN, "a multicast address"),
        ("https://0.0.0.0/hooks", FORBIDDEN, "an unspecified address"),
        ("http://hr.example.go.id/hooks", "webhook_url_insecure", "must use https"),
        ("https://nowhere.example.go.id/hooks", "webhook_url_unresolvable", "does not resolve"),
    ],
)
async def test_unsafe_urls_are_refused_with_a_code(
    strict: Client, url: str, code: str, says: str
) -> None:
    r = await strict.call("POST", URL, {**GOOD, "url": url})
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["error"] == code and says in err["detail"], err
    assert err["fields"] == [{"field": "url", "message": err["detail"]}]
    assert (await strict.call("GET", URL)).json()["items"] == []


async def test_loopback_over_http_only_where_development_allows_it(client: Client) -> None:
    r = await client.call("POST", URL, {**GOOD, "url": "http://127.0.0.1:8080/hooks"})
    assert r.status_code == 201, r.text
    await client.call("DELETE", f"{URL}/{r.json()['id']}")
    for url in ("https://10.0.0.5/hooks", "http://hr.example.go.id/hooks"):
        r = await client.call("POST", URL, {**GOOD, "url": url})
        assert r.status_code == 422 and r.json()["error"] != "validation_error", url
