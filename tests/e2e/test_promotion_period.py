"""Inbound events and promotion periods end to end: HTTP API, real worker, Temporal dev server, DB."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from actions.history import reconcile_process
from domain import cloudevents as ce
from infra.settings import Settings
from store import ledger
from store.event_models import PromotionPeriodMember
from store.requests import LEASE
from tests.helpers.period_api import (
    PERIOD,
    PERIOD_TAG,
    cloud_event,
    executions,
    exists,
    import_employees,
    new_agency,
    period_id,
    period_settings,
    period_view,
    send,
    stored_events,
    vacancy,
    wait_period,
)
from tests.helpers.promotion_api import Api, new_employee, started
from workflows.promotion import PromotionWorkflow


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    # Small runs and pages, so that continue-as-new happens within a few hundred employees.
    return period_settings(migrated_url, per_run=50, page=20, in_flight=10)


async def test_ten_concurrent_copies_start_one_period(
    api: Api, dev_env: WorkflowEnvironment, sessions
) -> None:
    agency = new_agency()
    await import_employees(sessions, agency, 3)
    event = cloud_event(ce.PERIOD_OPENED, {"period": PERIOD})
    responses = await asyncio.gather(*[send(api, event, agency) for _ in range(10)])
    assert sorted(r.status_code for r in responses) == [200] * 9 + [202], [
        r.text for r in responses
    ]
    assert {r.json()["process_id"] for r in responses} == {period_id(agency)}
    assert sum(r.json()["duplicate"] for r in responses) == 9
    assert await stored_events(sessions, event["source"]) == 1
    body = await wait_period(api, period_id(agency), agency, lambda b: b["status"] == "completed")
    assert (body["requested"], body["started"], body["runs"]) == (3, 3, 1)
    assert len(await executions(dev_env, period_id(agency))) == 1


async def test_the_same_event_after_completion_and_after_retention_starts_nothing(
    api: Api, dev_env: WorkflowEnvironment, sessions
) -> None:
    agency = new_agency()
    nips = await import_employees(sessions, agency, 2)
    pid = period_id(agency)
    event = cloud_event(ce.PERIOD_OPENED, {"period": PERIOD})
    first = await send(api, event, agency)
    assert first.status_code == 202, first.text
    await wait_period(api, pid, agency, lambda b: b["status"] == "completed")
    await dev_env.client.get_workflow_handle(pid).result()

    again = await send(api, event, agency)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["process_id"] == pid
    assert len(await executions(dev_env, pid)) == 1

    # Retention: Temporal forgets the closed period; the stored event and the period row remain.
    await dev_env.client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=dev_env.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=pid),
        )
    )
    for _ in range(900):  # the dev server deletes after about 30 s
        if not await exists(dev_env, pid):
            break
        await asyncio.sleep(0.1)
    assert not await exists(dev_env, pid)
    late = await send(api, event, agency)
    assert late.status_code == 200 and late.json()["process_id"] == pid
    # A new event for the same agency and period maps to the finished period too, and says that
    # the agency's employees (pulled again) all have their promotion: nothing is started.
    other = await send(api, cloud_event(ce.PERIOD_OPENED, {"period": PERIOD}), agency)
    assert other.status_code == 202 and other.json()["process_id"] == pid, other.text
    assert other.json()["started"] == [] and other.json()["already_existed"] == sorted(nips)
    assert "nothing was started" in other.json()["detail"]
    await asyncio.sleep(1.0)
    assert not await exists(dev_env, pid)
    assert (await period_view(api, pid, agency))["started"] == 2


async def test_a_period_of_three_hundred_with_continue_as_new(
    api: Api, dev_env: WorkflowEnvironment, sessions
) -> None:
    agency = new_agency()
    await import_employees(sessions, agency, 300, ineligible_every=10)
    pid = period_id(agency)
    r = await send(api, cloud_event(ce.PERIOD_OPENED, {"period": PERIOD}), agency)
    assert r.status_code == 202, r.text
    body = await wait_period(api, pid, agency, lambda b: b["status"] == "completed")
    assert body["requested"] == 300 and body["member_source"] == "hr_source"
    assert (body["started"], body["already_running"], body["pending_start"]) == (300, 0, 0)
    assert body["runs"] == 6  # 300 children, 50 per run
    body = await wait_period(
        api, pid, agency, lambda b: b["tally"]["starting"] == 0 and b["tally"]["total"] == 300
    )
    tally = body["tally"]
    assert (tally["ineligible"], tally["in_progress"]) == (30, 270), tally
    assert (tally["approved"], tally["rejected"], tally["returned"], tally["failed"]) == (
        0,
        0,
        0,
        0,
    )
    runs = await executions(dev_env, pid)
    assert len(runs) == 6
    for run in runs:
        history = await dev_env.client.get_workflow_handle(pid, run_id=run.run_id).fetch_history()
        assert len(history.events) < 600  # about 4 events per child: bounded by the run's 50
    async with sessions() as session:
        stmt = select(PromotionPeriodMember.status, func.count()).where(
            PromotionPeriodMember.period_id == pid
        )
        counts = dict((await session.execute(stmt.group_by(PromotionPeriodMember.status))).all())
        kinds = [e.kind for e in await ledger.entries(session, pid)]
    assert counts == {"started": 300}
    assert kinds == ["promotion_period.started", "promotion_period.completed"]
    # Six runs, one start entry: the ledger and Temporal's history of the chain agree.
    report = await reconcile_process(sessions, dev_env.client, pid)
    assert report is not None and report.ok, report
    assert report.entries_checked == 2 and len(report.runs) == 2  # the runs the ledger names
    listing = (await api.get(f"/v1/promotion-periods?period={PERIOD}", "auditor", agency)).json()
    assert [p["id"] for p in listing["items"]] == [pid]


async def test_named_employees_and_one_already_running(
    api: Api, dev_env: WorkflowEnvironment, sessions
) -> None:
    agency = new_agency()
    nips = await import_employees(sessions, agency, 4)
    r = await api.post(
        "/v1/promotions", {"nip": nips[0], "period": PERIOD}, "hr_system", "simpeg", agency
    )
    assert r.status_code == 201, r.text
    pid = period_id(agency)
    r = await send(api, cloud_event(ce.PERIOD_OPENED, {"period": PERIOD, "nips": nips}), agency)
    assert r.status_code == 202, r.text
    body = await wait_period(api, pid, agency, lambda b: b["status"] == "completed")
    assert (body["requested"], body["started"], body["already_running"]) == (4, 3, 1)
    assert body["member_source"] == "list"
    promotions = await executions(dev_env, f"promotion-{nips[0]}-{PERIOD_TAG}")
    assert len(promotions) == 1


async def test_employee_changed_signals_the_running_promotion(
    api: Api, dev_env: WorkflowEnvironment, sessions
) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    event = cloud_event(ce.EMPLOYEE_CHANGED, {"nip": rec["nip"]})
    r = await send(api, event, "KEMENPANRB")
    assert r.status_code == 202, r.text
    assert r.json()["process_ids"] == [pid] and r.json()["status"] == "accepted"
    again = await send(api, event, "KEMENPANRB")
    assert again.status_code == 200 and again.json()["process_ids"] == [pid]
    handle = dev_env.client.get_workflow_handle(pid)
    assert await handle.query(PromotionWorkflow.employee_changes) == [event["id"]]


async def test_idempotency_key_on_promotions(api: Api, dev_env: WorkflowEnvironment) -> None:
    a, b = await new_employee(api), await new_employee(api)
    key = {"Idempotency-Key": f"hr-{uuid.uuid4().hex}"}

    async def post(rec: dict[str, Any], headers: dict[str, str], sub: str = "simpeg") -> Any:
        return await api.http.post(
            "/v1/promotions",
            json={"nip": rec["nip"], "period": PERIOD, "type": "regular"},
            headers={**api.auth("hr_system", sub), **headers},
        )

    # Copies racing the first are told to ask again; once it is answered, they get its answer.
    # A copy that arrives once the first's lease has run out (a machine stalled for 30 s) takes
    # the lease over and applies the start again, which is safe: it finds the same promotion. So
    # a second 201 is allowed only when the copies took longer than the lease.
    began = time.monotonic()
    responses = await asyncio.gather(*[post(a, key) for _ in range(10)])
    took = time.monotonic() - began
    # A copy that arrives after the first was answered gets the stored answer, marked replayed
    # (seen in CI on a slow machine: the first answered in 185 ms, before the tenth copy came).
    answered = [r for r in responses if r.status_code == 201]
    first = [r for r in answered if r.headers.get("Idempotent-Replayed") != "true"]
    racing = [r for r in responses if r.status_code != 201]
    assert first and len({r.json()["id"] for r in answered}) == 1, [r.text for r in responses]
    assert len(first) == 1 or took > LEASE.total_seconds(), [
        (r.status_code, r.headers.get("Idempotent-Replayed")) for r in responses
    ]
    assert all(r.status_code == 409 for r in racing), [r.text for r in racing]
    assert all(r.json()["error"] == "request_in_progress" for r in racing)
    assert all(r.headers.get("Retry-After") for r in racing)
    pid = first[0].json()["id"]
    replay = await post(a, key)
    assert replay.status_code == 201 and replay.json()["id"] == pid
    assert replay.headers.get("Idempotent-Replayed") == "true"
    reused = await post(b, key)
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    assert not await executions(dev_env, f"promotion-{b['nip']}-{PERIOD_TAG}")
    assert len(await executions(dev_env, pid)) == 1
    # Another caller's key of the same spelling is another key.
    other = await post(b, key, sub="another-hr-system")
    assert other.status_code == 201, other.text


async def test_idempotency_key_on_events(api: Api, sessions) -> None:
    key = {"Idempotency-Key": f"ev-{uuid.uuid4().hex}"}
    event = cloud_event(ce.POST_VACATED, vacancy("P-1"))
    first = await send(api, event, "KEMENPANRB", key)
    assert first.status_code == 202, first.text
    replay = await send(api, event, "KEMENPANRB", key)
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    changed = {**event, "data": vacancy("P-2")}
    reused = await send(api, changed, "KEMENPANRB", key)
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    assert await stored_events(sessions, event["source"]) == 1
    bad = await send(api, event, "KEMENPANRB", {"Idempotency-Key": "x" * 300})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "Idempotency-Key"


async def test_the_same_event_id_with_other_content_is_refused(api: Api, sessions) -> None:
    event = cloud_event(ce.POST_VACATED, vacancy("P-1"))
    assert (await send(api, event, "KEMENPANRB")).status_code == 202
    r = await send(api, {**event, "data": vacancy("P-9")}, "KEMENPANRB")
    assert r.status_code == 422 and r.json()["error"] == "event_id_reused"
    assert await stored_events(sessions, event["source"]) == 1


async def test_a_finished_period_is_visible_to_its_agency_only(api: Api, sessions) -> None:
    agency = new_agency()
    await import_employees(sessions, agency, 1)
    r = await send(api, cloud_event(ce.PERIOD_OPENED, {"period": PERIOD}), agency)
    assert r.status_code == 202
    pid = r.json()["process_id"]
    await wait_period(api, pid, agency, lambda b: b["status"] == "completed")
    assert (await api.get(f"/v1/promotion-periods/{pid}", "auditor", "OTHER")).status_code == 404
    assert (await api.get(f"/v1/promotion-periods/{pid}", "auditor", None)).status_code == 200
    listing = await api.get(f"/v1/promotion-periods?agency={agency}", "auditor", "OTHER")
    assert listing.status_code == 403
