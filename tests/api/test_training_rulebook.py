"""Choosing the training rulebook at a promotion's start: accepted in test, refused in production.

Behind the app: a real Temporal dev server and worker (the ``api`` fixture of tests/e2e); the
production app shares its database and Temporal client, so "started nothing" is checked in both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
import pytest_asyncio
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.rulebook import TRAINING_VERSION
from server import create_app
from store import ledger, repositories
from tests.helpers.promotion_api import Api, api, new_employee

__all__ = ["api"]

PERIOD = "2027-04-01"


@pytest_asyncio.fixture
async def production(api: Api, dev_env: WorkflowEnvironment) -> AsyncIterator[Api]:
    """The same stack, seen through an app whose settings say production."""
    settings = api.settings.model_copy(update={"env": "production"})
    app = create_app(settings, client=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://meritflow.prod") as http:
            yield Api(http, settings)


def start_body(nip: str, version: str | None = TRAINING_VERSION) -> dict[str, str]:
    body = {"nip": nip, "period": PERIOD, "type": "regular"}
    return body if version is None else {**body, "rulebook_version": version}


async def test_production_refuses_the_training_rulebook_and_records_it(
    api: Api, production: Api, dev_env: WorkflowEnvironment, sessions
) -> None:
    rec = await new_employee(api)
    r = await production.post("/v1/promotions", start_body(rec["nip"]), "hr_system", "simpeg")
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["error"] == "training_rulebook_not_allowed"
    assert err["fields"][0]["field"] == "rulebook_version"
    assert TRAINING_VERSION in err["detail"] and "'production'" in err["detail"]
    pid = f"promotion-{rec['nip']}-2027-04"
    async with sessions() as s:
        rows = list(await ledger.entries(s, pid))
        assert await repositories.get_promotion(s, pid) is None  # nothing half-written
        assert (await ledger.verify(s, pid)).ok
    assert [(row.kind, row.outcome) for row in rows] == [("promotion.start_refused", "refused")]
    assert rows[0].payload["error"] == "training_rulebook_not_allowed"
    assert (rows[0].actor_id, rows[0].actor_role) == ("simpeg", "hr_system")
    with pytest.raises(RPCError):
        await dev_env.client.get_workflow_handle(pid).describe()
    # The legal rulebook (the default) still starts there.
    r = await production.post("/v1/promotions", start_body(rec["nip"], None), "hr_system")
    assert r.status_code == 201 and r.json()["rulebook_version"] == "PerBKN-4-2025", r.text


async def test_test_env_starts_a_promotion_whose_steps_run_in_minutes(api: Api) -> None:
    rec = await new_employee(api)
    r = await api.post("/v1/promotions", start_body(rec["nip"]), "hr_system", "simpeg")
    assert r.status_code == 201, r.text
    assert r.json()["rulebook_version"] == TRAINING_VERSION
    body = await api.wait_for(r.json()["id"], lambda b: b["pending"] is not None)
    pending = body["pending"]
    reminder, due = (datetime.fromisoformat(pending[k]) for k in ("reminder_at", "due_at"))
    assert pending["step"] == "supervisor" and (due - reminder).total_seconds() == 60


@pytest.mark.parametrize(
    ("version", "code", "field"),
    [
        ("PerBKN-9-2099", "rulebook_not_found", "rulebook_version"),
        ("PerBKN-4-2023", "period_not_allowed", "period"),  # a past regime for a 2027 period
        ("", "validation_error", "rulebook_version"),
    ],
)
async def test_a_named_rulebook_must_exist_and_fit_the_period(
    api: Api, sessions, version: str, code: str, field: str
) -> None:
    rec = await new_employee(api)
    r = await api.post("/v1/promotions", start_body(rec["nip"], version), "hr_system")
    assert r.status_code == 422 and r.json()["error"] == code, r.text
    assert r.json()["fields"][0]["field"] == field
    async with sessions() as s:
        rows = list(await ledger.entries(s, f"promotion-{rec['nip']}-2027-04"))
    # A body that does not parse names no process to record against, as for any start.
    assert [row.outcome for row in rows] == ([] if code == "validation_error" else ["refused"])


async def test_a_second_start_under_another_rulebook_is_a_conflict(api: Api, sessions) -> None:
    rec = await new_employee(api)
    r = await api.post("/v1/promotions", start_body(rec["nip"], None), "hr_system")
    assert r.status_code == 201, r.text
    r = await api.post("/v1/promotions", start_body(rec["nip"]), "hr_system")
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "promotion_exists_under_other_rulebook"
    r = await api.post("/v1/promotions", start_body(rec["nip"], "PerBKN-4-2025"), "hr_system")
    assert r.status_code == 200 and r.json()["rulebook_version"] == "PerBKN-4-2025", r.text
