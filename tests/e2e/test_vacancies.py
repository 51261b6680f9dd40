"""A vacated post (``id.go.bkn.post.vacated.v1``): an open selection for a JPT post of an agency
without a talent-management approval, the reason recorded for a post filled within the agency. The
HTTP API, a real worker, the Temporal dev server (the talent-pool route: test_talent_vacancies)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from domain import cloudevents as ce
from store.event_models import InboundEvent
from tests.helpers.period_api import (
    cloud_event,
    executions,
    exists,
    send,
    stored_events,
    vacancy,
)
from tests.helpers.promotion_api import Api


async def test_a_vacated_jpt_post_starts_an_open_selection(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    post = f"JPT-{uuid.uuid4().hex[:8]}"
    data = vacancy(
        post,
        agency="KEMENPANRB",
        post_level="pratama",
        post_title="Kepala Biro Umum",
        appointing_authority_id="ppk-1",
    )
    event = cloud_event(ce.POST_VACATED, data)
    r = await send(api, event, "KEMENPANRB")
    assert r.status_code == 202, r.text
    body = r.json()
    sid = f"selection-KEMENPANRB-{post}-20261130"
    assert body["status"] == "accepted" and body["process_id"] == sid, body
    assert body["process_kind"] == "selection" and "open selection" in body["detail"]
    assert "No talent-management approval" in body["detail"]
    selection = await api.get(f"/v1/selections/{sid}", "agency_hr")
    assert selection.status_code == 200, selection.text
    assert selection.json()["stage"] == "planning"
    assert len(await executions(dev_env, sid)) == 1
    # The same event again, and another HR system's event about the same vacancy: one selection.
    again = await send(api, event, "KEMENPANRB")
    assert again.status_code == 200 and again.json()["process_id"] == sid
    other = await send(api, cloud_event(ce.POST_VACATED, data), "KEMENPANRB")
    assert other.status_code == 202 and other.json()["process_id"] == sid, other.text
    assert len(await executions(dev_env, sid)) == 1
    await dev_env.client.get_workflow_handle(sid).terminate("test finished")


@pytest.mark.parametrize(
    ("data", "route", "words"),
    [
        ({"post_level": "administrator"}, "within_agency", "not a high leadership post"),
        ({"post_level": "functional"}, "within_agency", "not a high leadership post"),
    ],
)
async def test_a_post_filled_another_way_is_recorded_with_the_reason(
    api: Api, sessions, dev_env: WorkflowEnvironment, data: dict[str, Any], route: str, words: str
) -> None:
    post = f"P-{uuid.uuid4().hex[:8]}"
    event = cloud_event(ce.POST_VACATED, vacancy(post, **data))
    r = await send(api, event, "KEMENPANRB")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "accepted_not_routed" and body["process_id"] is None
    assert "nothing started" in body["detail"] and words in body["detail"], body
    assert "UU 5/2014" in body["detail"]
    again = await send(api, event, "KEMENPANRB")
    assert again.status_code == 200 and again.json()["status"] == "accepted_not_routed"
    assert await stored_events(sessions, event["source"]) == 1
    async with sessions() as session:
        row = (
            await session.execute(
                select(InboundEvent).where(InboundEvent.source == event["source"])
            )
        ).scalar_one()
    assert row.result["filled_by"] == route and row.result["legal_basis"]
    assert not await exists(dev_env, f"selection-KEMENPANRB-{post}-20261130")


async def test_a_vacancy_for_open_selection_needs_what_a_selection_starts_with(
    api: Api, sessions
) -> None:
    event = cloud_event(ce.POST_VACATED, vacancy("JPT-X", post_level="utama"))
    r = await send(api, event, "KEMENPANRB")
    assert r.status_code == 422, r.text
    fields = {f["field"] for f in r.json()["fields"]}
    assert fields == {"data.post_title", "data.appointing_authority_id"}
    assert await stored_events(sessions, event["source"]) == 0
