"""CloudEvents as the CNCF ``cloudevents`` SDK sends them: structured and binary mode are taken
alike (the same event in either mode is one event), batch mode is refused 415 with a sentence.

Behind the app: a real Temporal dev server and worker (the ``api`` fixture of tests/e2e).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, to_binary_event, to_structured_event
from cloudevents.core.v1.event import CloudEvent

from domain import cloudevents as ce
from tests.helpers.promotion_api import Api, api

__all__ = ["api"]

PERIOD = "2027-04-01"


def period_event(agency: str, **attributes: Any) -> CloudEvent:
    return CloudEvent(
        {
            "id": uuid.uuid4().hex,
            "specversion": "1.0",
            "source": f"//simpeg.test/{uuid.uuid4().hex[:8]}",
            "type": ce.PERIOD_OPENED,
            **attributes,
        },
        {"agency": agency, "period": PERIOD},
    )


async def send(api: Api, message: HTTPMessage, agency: str) -> Any:
    headers = {**message.headers, **api.auth("hr_system", "siasn", agency)}
    return await api.http.post("/v1/events", content=message.body, headers=headers)


def new_agency() -> str:
    return f"CE{uuid.uuid4().hex[:8].upper()}"


@pytest.mark.parametrize("datacontenttype", [None, "application/json"])
async def test_binary_and_structured_mode_are_one_event(
    api: Api, datacontenttype: str | None
) -> None:
    agency = new_agency()
    extra = {"datacontenttype": datacontenttype} if datacontenttype else {}
    event = period_event(agency, subject="period opened", **extra)
    binary = to_binary_event(event)
    assert "ce-specversion" in binary.headers and json.loads(binary.body)["agency"] == agency
    assert ("content-type" in binary.headers) == bool(datacontenttype)

    first = await send(api, binary, agency)
    assert first.status_code == 202, first.text
    accepted = first.json()
    assert accepted["event_id"] == event.get_id() and accepted["duplicate"] is False
    assert accepted["process_id"] == f"promotion-period-{agency}-2027-04"

    again = await send(api, to_structured_event(event), agency)
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["process_id"] == accepted["process_id"]


async def test_a_binary_event_keeps_its_percent_encoded_attributes(api: Api) -> None:
    agency = new_agency()
    event = period_event(agency, subject="periode April 2027 — 100% dibuka")
    message = to_binary_event(event)
    assert "%" in message.headers["ce-subject"]
    r = await send(api, message, agency)
    assert r.status_code == 202, r.text
    repeat = period_event(agency, subject="periode April 2027 — 100% dibuka")
    structured = json.loads(to_structured_event(repeat).body)
    structured["id"], structured["source"] = event.get_id(), event.get_source()
    r = await api.http.post(
        "/v1/events",
        content=json.dumps(structured).encode(),
        headers={
            "content-type": ce.STRUCTURED,
            **api.auth("hr_system", "siasn", agency),
        },
    )
    # The same (source, id) with the same subject and data: the subject was decoded alike.
    assert r.status_code == 200 and r.json()["duplicate"] is True, r.text


@pytest.mark.parametrize(
    ("change", "status", "code", "words"),
    [
        ({"content-type": "text/plain"}, 415, "unsupported_media_type", "only JSON data"),
        ({"ce-specversion": "0.3"}, 422, "validation_error", "specversion"),
        ({"ce-type": "id.go.bkn.nope.v1"}, 422, "unknown_event_type", "id.go.bkn.nope.v1"),
        ({"ce-Bad_Name": "x"}, 422, "validation_error", "bad_name"),
    ],
)
async def test_bad_binary_events_say_what(
    api: Api, change: dict[str, str], status: int, code: str, words: str
) -> None:
    agency = new_agency()
    message = to_binary_event(period_event(agency, datacontenttype="application/json"))
    headers = {**message.headers, **change}
    r = await send(api, HTTPMessage(headers=headers, body=message.body), agency)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code and words in (body["detail"] + json.dumps(body.get("fields")))


async def test_binary_data_that_is_not_json_is_refused(api: Api) -> None:
    agency = new_agency()
    message = to_binary_event(period_event(agency))
    r = await send(api, HTTPMessage(headers=message.headers, body=b"{not json"), agency)
    assert r.status_code == 422 and r.json()["error"] == "invalid_json", r.text
    deep = b"[" * 5000 + b"]" * 5000
    r = await send(api, HTTPMessage(headers=message.headers, body=deep), agency)
    assert r.status_code == 422 and r.json()["error"] == "json_too_deep", r.text


async def test_batch_mode_is_refused_with_a_sentence(api: Api) -> None:
    agency = new_agency()
    events = [json.loads(to_structured_event(period_event(agency)).body) for _ in range(2)]
    message = HTTPMessage(
        headers={"content-type": ce.BATCH}, body=json.dumps(events).encode("utf-8")
    )
    r = await send(api, message, agency)
    assert r.status_code == 415, r.text
    assert r.json()["error"] == "unsupported_media_type"
    assert "Batch mode is not accepted" in r.json()["detail"]
