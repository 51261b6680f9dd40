"""Bad events: every one gets a 4xx naming what is wrong, and nothing is stored or started.

Behind the app: a real Temporal dev server and worker (the ``api`` fixture of tests/e2e), so that
"started nothing" is checked in Temporal as well as in the database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain import cloudevents as ce
from store import ledger
from store.event_models import InboundEvent, PromotionPeriod
from tests.helpers.promotion_api import Api, api

__all__ = ["api"]

PERIOD = "2027-04-01"


def good_event(agency: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": f"//simpeg.test/{uuid.uuid4().hex[:8]}",
        "type": ce.PERIOD_OPENED,
        "datacontenttype": "application/json",
        "data": {"agency": agency, "period": PERIOD},
    }


def without(name: str) -> Callable[[dict[str, Any]], None]:
    return lambda e: e.pop(name)


def setting(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda e: e.update({name: value})


def data(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda e: e["data"].update(values)


# (case, change to a good event, status, error code, field named or None)
CASES: list[tuple[str, Callable[[dict[str, Any]], None], int, str, str | None]] = [
    ("wrong specversion", setting("specversion", "0.3"), 422, "validation_error", "specversion"),
    ("no specversion", without("specversion"), 422, "validation_error", "specversion"),
    ("no id", without("id"), 422, "validation_error", "id"),
    ("empty id", setting("id", ""), 422, "validation_error", "id"),
    ("no source", without("source"), 422, "validation_error", "source"),
    ("no type", without("type"), 422, "validation_error", "type"),
    ("no data", without("data"), 422, "validation_error", "data"),
    ("data not an object", setting("data", "x"), 422, "validation_error", "data"),
    ("bad time", setting("time", "yesterday"), 422, "validation_error", "time"),
    ("xml data", setting("datacontenttype", "text/xml"), 422, "validation_error", None),
    ("binary data", setting("data_base64", "AAAA"), 422, "validation_error", None),
    ("bad extension name", setting("TraceParent", "x"), 422, "validation_error", None),
    ("unknown type", setting("type", "id.go.bkn.nope.v1"), 422, "unknown_event_type", "type"),
    ("no period", lambda e: e["data"].pop("period"), 422, "validation_error", "data.period"),
    ("bad period", data(period="April"), 422, "validation_error", "data.period"),
    ("period not allowed", data(period="2027-04-15"), 422, "period_not_allowed", "data.period"),
    ("period long past", data(period="2024-04-01"), 422, "period_outside_window", "data.period"),
    ("bad nip", data(nips=["12"]), 422, "validation_error", "data.nips.0"),
    ("nip twice", data(nips=["1" * 18, "1" * 18]), 422, "validation_error", "data.nips"),
    ("unknown nips", data(nips=["1" * 18]), 422, "employees_not_in_agency", "data.nips"),
    ("unknown data field", data(colour="red"), 422, "validation_error", "data.colour"),
    # Another agency's period is not the caller's to see: 404, as for any process out of sight.
    ("other agency", data(agency="OTHER"), 404, "agency_out_of_scope", None),
]


async def post_raw(
    api: Api,
    content: bytes,
    *,
    role: str = "hr_system",
    agency: str | None = None,
    content_type: str = "application/cloudevents+json",
    auth: bool = True,
) -> Any:
    headers = {"content-type": content_type}
    if auth:
        headers.update(api.auth(role, "siasn", agency))
    return await api.http.post("/v1/events", content=content, headers=headers)


async def assert_nothing_started(
    api: Api, dev_env: WorkflowEnvironment, sessions: Any, agency: str, source: str
) -> None:
    async with sessions() as session:
        stored = await session.scalar(
            select(func.count()).select_from(InboundEvent).where(InboundEvent.source == source)
        )
        periods = await session.scalar(
            select(func.count())
            .select_from(PromotionPeriod)
            .where(PromotionPeriod.agency == agency)
        )
    assert (stored, periods) == (0, 0)
    handle = dev_env.client.get_workflow_handle(f"promotion-period-{agency}-2027-04")
    with pytest.raises(RPCError) as raised:
        await handle.describe()
    assert raised.value.status == RPCStatusCode.NOT_FOUND


def new_agency() -> str:
    return f"BAD{uuid.uuid4().hex[:8].upper()}"


@pytest.mark.parametrize(
    ("case", "change", "status", "code", "field"), CASES, ids=[c[0] for c in CASES]
)
async def test_bad_events_are_refused_and_start_nothing(
    api: Api,
    dev_env: WorkflowEnvironment,
    sessions: Any,
    case: str,
    change: Callable[[dict[str, Any]], None],
    status: int,
    code: str,
    field: str | None,
) -> None:
    agency = new_agency()
    event = good_event(agency)
    change(event)
    r = await post_raw(api, json.dumps(event).encode(), agency=agency)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code and body["detail"]
    if field is not None:
        assert field in [f["field"] for f in body.get("fields", [])], body
    if case == "unknown type":
        assert "id.go.bkn.nope.v1" in body["detail"]
    await assert_nothing_started(api, dev_env, sessions, agency, event.get("source", ""))


async def test_a_refused_period_is_in_the_ledger(api: Api, sessions: Any) -> None:
    agency = new_agency()
    event = good_event(agency)
    event["data"]["period"] = "2027-04-15"
    r = await post_raw(api, json.dumps(event).encode(), agency=agency)
    assert r.status_code == 422
    async with sessions() as session:
        rows = await ledger.entries(session, f"promotion-period-{agency}-2027-04")
    assert [(e.kind, e.outcome, e.payload["error"]) for e in rows] == [
        ("promotion_period.start_refused", "refused", "period_not_allowed")
    ]


async def test_a_period_before_the_submission_window_names_the_window(
    api: Api, sessions: Any
) -> None:
    agency = new_agency()
    event = good_event(agency)
    event["data"]["period"] = "2024-04-01"  # an allowed month of its rulebook, long past
    r = await post_raw(api, json.dumps(event).encode(), agency=agency)
    body = r.json()
    assert r.status_code == 422 and body["error"] == "period_outside_window", r.text
    assert "can be proposed today: from" in body["detail"] and "months back" in body["detail"]
    assert body["fields"][0]["field"] == "data.period"
    async with sessions() as session:
        rows = await ledger.entries(session, f"promotion-period-{agency}-2024-04")
    assert [(e.kind, e.payload["error"]) for e in rows] == [
        ("promotion_period.start_refused", "period_outside_window")
    ]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/cloudevents+json", 422, "invalid_json"),
        (b"[]", "application/cloudevents+json", 422, "validation_error"),
        (b"{}", "text/plain", 415, "unsupported_media_type"),
        (b"[{}]", "application/cloudevents-batch+json", 415, "unsupported_media_type"),
    ],
)
async def test_bodies_that_are_not_one_json_event(
    api: Api, content: bytes, content_type: str, status: int, code: str
) -> None:
    r = await post_raw(api, content, content_type=content_type, agency="KEMENPANRB")
    assert r.status_code == status and r.json()["error"] == code, r.text


async def test_oversize_event_gets_413_and_starts_nothing(
    api: Api, dev_env: WorkflowEnvironment, sessions: Any
) -> None:
    agency = new_agency()
    event = good_event(agency)
    event["padding"] = "x" * (api.settings.max_body_bytes + 10)
    r = await post_raw(api, json.dumps(event).encode(), agency=agency)
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"
    await assert_nothing_started(api, dev_env, sessions, agency, event["source"])


async def test_plain_application_json_is_accepted(api: Api) -> None:
    vacancy = {"post_id": "P", "vacated_on": "2026-11-30", "post_level": "administrator"}
    event = good_event("KEMENPANRB") | {"type": ce.POST_VACATED, "data": vacancy}
    r = await post_raw(
        api,
        json.dumps(event).encode(),
        content_type="application/json; charset=utf-8",
        agency="KEMENPANRB",
    )
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    ("role", "agency", "auth", "kind", "status", "code"),
    [
        ("auditor", "KEMENPANRB", True, ce.PERIOD_OPENED, 403, "forbidden_role"),
        # Agency HR opens its own periods (the console does, through this action) but sends no
        # other event: a vacancy comes from the HR system.
        ("agency_hr", "KEMENPANRB", True, ce.POST_VACATED, 403, "forbidden_role"),
        ("hr_system", None, False, ce.PERIOD_OPENED, 401, "unauthenticated"),
    ],
)
async def test_only_hr_systems_and_admins_send_events(
    api: Api, role: str, agency: str | None, auth: bool, kind: str, status: int, code: str
) -> None:
    event = good_event("KEMENPANRB") | {"type": kind}
    r = await post_raw(api, json.dumps(event).encode(), role=role, agency=agency, auth=auth)
    assert r.status_code == status and r.json()["error"] == code, r.text


async def test_agency_hr_opens_its_own_agencys_period(api: Api) -> None:
    event = good_event("KEMENPANRB")
    r = await post_raw(api, json.dumps(event).encode(), role="agency_hr", agency="KEMENPANRB")
    assert r.status_code == 202, r.text


async def test_a_national_token_must_name_the_agency(
    api: Api, dev_env: WorkflowEnvironment, sessions: Any
) -> None:
    event = good_event("X")
    event["data"].pop("agency")
    r = await post_raw(api, json.dumps(event).encode(), role="admin", agency=None)
    assert r.status_code == 422 and r.json()["error"] == "agency_required", r.text
    assert r.json()["fields"][0]["field"] == "data.agency", r.text
