"""Who may act on a selection, through the HTTP API with a real worker and a real workflow.

A role and the seat or identity that goes with it are required together, never one alone. Two
defects this guards against: a token with role ``auditor`` and the chair's subject replaced the
panel (200), and an auditor token with the appointing authority's subject cancelled the selection
(200). The role is checked by the action pipeline before anything is sent; the seat, with its
role, by the workflow's validator (it alone knows the panel as it stands).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from infra.tokens import mint_token
from server import create_app
from worker import build_worker

PANEL = [
    {"id": "chair", "name": "Ketua", "role": "chair", "internal": False, "affiliation": "UI"},
    {"id": "sec", "name": "Sekretaris", "role": "secretary", "internal": True, "affiliation": "X"},
    {"id": "m1", "name": "Anggota 1", "role": "member", "internal": False, "affiliation": "UGM"},
    {"id": "m2", "name": "Anggota 2", "role": "member", "internal": True, "affiliation": "X"},
    {"id": "m3", "name": "Anggota 3", "role": "member", "internal": False, "affiliation": "ITB"},
]


class Client:
    def __init__(self, http: httpx.AsyncClient, settings: Settings, agency: str) -> None:
        self.http, self.settings, self.agency = http, settings, agency

    async def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        role: str,
        sub: str,
        agency: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        token = mint_token(self.settings, role=role, sub=sub, agency=agency or self.agency)
        sent = {"Authorization": f"Bearer {token}"} | (headers or {})
        return await self.http.request(method, url, json=body, headers=sent)

    async def start(self, **extra: Any) -> str:
        body = {
            "code": f"JPT-{uuid.uuid4().hex[:6]}",
            "post_title": "Kepala Dinas",
            "post_level": "pratama",
            "appointing_authority_id": "ppk-1",
        } | extra
        r = await self.call("POST", "/v1/selections", body, role="agency_hr", sub="hr-1")
        assert r.status_code == 201, r.text
        pid: str = r.json()["id"]
        return pid

    async def refusals(self, pid: str) -> list[tuple[str, str, str]]:
        r = await self.call("GET", f"/v1/processes/{pid}/ledger", role="auditor", sub="aud")
        return [
            (e["payload"]["error"], e["actor_id"], e["actor_role"])
            for e in r.json()["entries"]
            if e["outcome"] == "refused"
        ]


@pytest_asyncio.fixture
async def api(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Client]:
    app = create_app(settings, client=dev_env.client)
    async with build_worker(dev_env.client, sessions, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as h:
            yield Client(h, settings, f"AUTHZ-{uuid.uuid4().hex[:6].upper()}")


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert (r.status_code, r.json().get("error")) == (status, code), r.text


async def test_an_auditor_with_the_chair_s_id_cannot_replace_the_panel(api: Client) -> None:
    pid = await api.start()
    url = f"/v1/selections/{pid}/panel"
    r = await api.call("PUT", url, {"members": PANEL}, role="agency_hr", sub="hr-1")
    assert r.status_code == 200, r.text
    others = [m | {"id": f"x-{m['id']}"} for m in PANEL]
    # the defect: the chair's subject with the role auditor
    r = await api.call("PUT", url, {"members": others}, role="auditor", sub="chair")
    refused(r, 403, "forbidden_role")
    # a seat on the panel, but not the chair's or the secretary's (the workflow's judgement)
    r = await api.call("PUT", url, {"members": others}, role="selection_committee", sub="m1")
    refused(r, 403, "not_chair_or_secretary")
    panel = await api.call("GET", url, role="auditor", sub="aud")
    assert [m["id"] for m in panel.json()["members"]] == ["chair", "sec", "m1", "m2", "m3"]
    # the chair, in the chair's role, may
    r = await api.call("PUT", url, {"members": others}, role="selection_committee", sub="chair")
    assert r.status_code == 200, r.text
    assert await api.refusals(pid) == [
        ("forbidden_role", "chair", "auditor"),
        ("not_chair_or_secretary", "m1", "selection_committee"),
    ]


async def test_an_auditor_with_the_authority_s_id_cannot_cancel(api: Client) -> None:
    pid = await api.start()
    url = f"/v1/selections/{pid}/cancel"
    r = await api.call("POST", url, {"reason": "no"}, role="auditor", sub="ppk-1")
    refused(r, 403, "forbidden_role")
    r = await api.call("POST", url, {"reason": "no"}, role="appointing_authority", sub="ppk-2")
    refused(r, 403, "not_appointing_authority")
    state = await api.call("GET", f"/v1/selections/{pid}", role="auditor", sub="aud")
    assert state.json()["stage"] == "planning"
    r = await api.call(
        "POST", url, {"reason": "post abolished"}, role="appointing_authority", sub="ppk-1"
    )
    assert r.status_code == 200 and r.json()["stage"] == "cancelled", r.text
    r = await api.call("POST", url, {"reason": "again"}, role="appointing_authority", sub="ppk-1")
    refused(r, 409, "process_closed")
    assert [code for code, *_ in await api.refusals(pid)] == [
        "forbidden_role",
        "not_appointing_authority",
        "process_closed",
    ]


async def test_the_workflow_s_refusals_answer_by_their_category(api: Client) -> None:
    pid = await api.start()
    base = f"/v1/selections/{pid}"
    await api.call("PUT", f"{base}/panel", {"members": PANEL}, role="agency_hr", sub="hr-1")
    refused(
        await api.call("POST", f"{base}/screening/close", role="selection_committee", sub="chair"),
        409,
        "wrong_stage",
    )
    r = await api.call("POST", f"{base}/plan/submit", role="agency_hr", sub="hr-1")
    refused(r, 409, "plan_incomplete")
    scheme = {
        "components": [{"code": "interview", "name": "Interview", "weight": 100}],
        "tie_break": [],
    }
    r = await api.call(
        "PUT",
        f"{base}/scheme",
        {"scheme": scheme, "scorers": {"interview": ["outsider"]}},
        role="agency_hr",
        sub="hr-1",
    )
    refused(r, 422, "scorer_not_on_panel")
    assert r.json()["fields"][0]["field"] == "scorers"
    # another agency's selection does not exist for the caller
    r = await api.call(
        "PUT", f"{base}/panel", {"members": PANEL}, role="agency_hr", sub="hr-2", agency="OTHER"
    )
    refused(r, 404, "not_found")


async def test_a_start_is_idempotent_by_agency_code_and_key(api: Client) -> None:
    body = {
        "code": f"JPT-{uuid.uuid4().hex[:6]}",
        "post_title": "Kepala Dinas",
        "post_level": "pratama",
        "appointing_authority_id": "ppk-1",
    }
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = await api.call(
        "POST", "/v1/selections", body, role="hr_system", sub="simpeg", headers=key
    )
    assert first.status_code == 201, first.text
    again = await api.call(
        "POST", "/v1/selections", body, role="hr_system", sub="simpeg", headers=key
    )
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = body | {"post_title": "Kepala Badan"}
    r = await api.call("POST", "/v1/selections", other, role="hr_system", sub="simpeg", headers=key)
    refused(r, 422, "idempotency_key_reused")
    # without a key, the same agency and code is the same selection
    plain = await api.call("POST", "/v1/selections", body, role="agency_hr", sub="hr-1")
    assert plain.status_code == 200 and plain.json()["id"] == first.json()["id"]
    r = await api.call(
        "POST", "/v1/selections", body | {"agency": "OTHER"}, role="agency_hr", sub="hr-1"
    )
    refused(r, 404, "not_found")
    r = await api.call(
        "POST", "/v1/selections", body | {"rulebook_version": "nope"}, role="agency_hr", sub="h"
    )
    refused(r, 422, "rulebook_not_found")


async def test_the_training_rulebook_is_refused_in_production(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    production = settings.model_copy(update={"env": "production"})
    app = create_app(production, client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.test") as h:
            client = Client(h, production, "PROD")
            body = {
                "code": "JPT-TRAINING",
                "post_title": "Kepala Dinas",
                "post_level": "pratama",
                "appointing_authority_id": "ppk-1",
                "rulebook_version": "PermenPANRB-15-2019-training",
            }
            r = await client.call("POST", "/v1/selections", body, role="agency_hr", sub="hr-1")
            refused(r, 422, "training_rulebook_not_allowed")
            assert r.json()["fields"][0]["field"] == "rulebook_version"
            r = await client.call("GET", "/v1/selections/selection-PROD-JPT-TRAINING",
                                  role="agency_hr", sub="hr-1")  # fmt: skip
            refused(r, 404, "not_found")
