"""A promotion period that already exists, told of employees it lacks: started, or refused, never
dropped. The HTTP API, a real worker, the Temporal dev server and the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from temporalio.testing import WorkflowEnvironment

from actions.history import reconcile_process
from domain import cloudevents as ce
from store import events, ledger
from tests.helpers.period_api import (
    PERIOD,
    PERIOD_TAG,
    cloud_event,
    executions,
    exists,
    import_employees,
    new_agency,
    period_id,
    send,
    stored_events,
    wait_period,
)
from tests.helpers.promotion_api import Api


async def test_a_later_event_starts_the_employees_a_completed_period_lacks(
    api: Api, dev_env: WorkflowEnvironment, sessions
) -> None:
    agency = new_agency()
    nips = await import_employees(sessions, agency, 4)
    pid = period_id(agency)
    r = await send(api, cloud_event(ce.PERIOD_OPENED, {"period": PERIOD, "nips": nips[:2]}), agency)
    assert r.status_code == 202, r.text
    await wait_period(api, pid, agency, lambda b: b["status"] == "completed")
    await dev_env.client.get_workflow_handle(pid).result()
    # One more employee got a promotion of this period by hand meanwhile.
    r = await api.post(
        "/v1/promotions", {"nip": nips[3], "period": PERIOD}, "hr_system", "s", agency
    )
    assert r.status_code == 201, r.text

    later = cloud_event(ce.PERIOD_OPENED, {"period": PERIOD, "nips": nips})
    r = await send(api, later, agency)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["process_id"] == pid and body["started"] == [nips[2]], body
    assert body["already_existed"] == [nips[0], nips[1], nips[3]]
    assert "starting 1 promotion" in body["detail"]
    view = await wait_period(
        api, pid, agency, lambda b: b["status"] == "completed" and b["requested"] == 3
    )
    assert (view["started"], view["already_running"], view["runs"]) == (3, 0, 2)
    await dev_env.client.get_workflow_handle(pid).result()
    assert await exists(dev_env, f"promotion-{nips[2]}-{PERIOD_TAG}")
    assert len(await executions(dev_env, pid)) == 2
    async with sessions() as session:
        kinds = [e.kind for e in await ledger.entries(session, pid)]
    assert kinds == [
        "promotion_period.started",
        "promotion_period.completed",
        "promotion_period.reopened",
        "promotion_period.completed",
    ]
    report = await reconcile_process(sessions, dev_env.client, pid)
    assert report is not None and report.ok, report
    # The same event again is answered as it was; another one with the same employees starts none.
    again = await send(api, later, agency)
    assert again.status_code == 200 and again.json()["started"] == [nips[2]]
    none = await send(api, cloud_event(ce.PERIOD_OPENED, {"period": PERIOD, "nips": nips}), agency)
    assert none.status_code == 202 and none.json()["started"] == [], none.text
    assert len(none.json()["already_existed"]) == 4
    assert len(await executions(dev_env, pid)) == 2


async def test_new_employees_for_a_period_still_starting_are_refused_not_dropped(
    api: Api, sessions
) -> None:
    agency = new_agency()
    nips = await import_employees(sessions, agency, 3)
    pid = period_id(agency)
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():  # a period caught mid-way
        await events.insert_period_if_absent(
            session,
            {
                "id": pid,
                "agency": agency,
                "period": date.fromisoformat(PERIOD),
                "promotion_type": "regular",
                "rulebook_version": "PerBKN-4-2025",
                "member_source": "list",
                "status": "running",
                "requested_by": "siasn",
                "created_at": now,
                "updated_at": now,
            },
        )
        await events.insert_members(session, pid, nips[:2])
    event = cloud_event(ce.PERIOD_OPENED, {"period": PERIOD, "nips": nips})
    r = await send(api, event, agency)
    assert r.status_code == 409 and r.json()["error"] == "period_still_starting", r.text
    assert "1 of the NIPs" in r.json()["detail"]
    assert await stored_events(sessions, event["source"]) == 0
    async with sessions() as session:
        rows = await ledger.entries(session, pid)
    assert [(e.kind, e.payload["error"]) for e in rows] == [
        ("promotion_period.start_refused", "period_still_starting")
    ]
