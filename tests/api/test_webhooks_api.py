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

from api.main import create_app
from domain import events
from infra.settings import Settings
from infra.tokens import mint_token

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


@pytest_asyncio.fixture
async def client(dev_env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[Client]:
    app = create_app(settings, client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as http:
            yield Client(http, settings, f"WH-{uuid.uuid4().hex[:10]}")


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
    r = await client.call("POST", "/v1/webhooks/deliveries/msg_nope/replay")
    assert r.status_code == 404 and r.json()["error"] == "delivery_not_found"
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
