"""The CloudEvents envelope and the event's identity, without a server."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from domain import cloudevents as ce


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "//siasn.bkn.go.id/instansi/KEMENPANRB",
        "type": ce.PERIOD_OPENED,
        "data": {"period": "2027-04-01"},
    }
    return {**base, **overrides}


def test_a_minimal_event_is_valid() -> None:
    parsed = ce.CloudEvent.model_validate(event())
    assert parsed.time is None and parsed.data == {"period": "2027-04-01"}


def test_extensions_with_proper_names_are_kept() -> None:
    parsed = ce.CloudEvent.model_validate(event(traceparent="00-ab-cd-01", partitionkey="k"))
    assert parsed.model_extra == {"traceparent": "00-ab-cd-01", "partitionkey": "k"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"specversion": "1.1"}, "specversion"),
        ({"id": ""}, "id"),
        ({"source": ""}, "source"),
        ({"time": "2027-04-01T08:00:00"}, "time"),  # RFC 3339 needs an offset
        ({"subject": ""}, "subject"),
    ],
)
def test_invalid_attributes_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        ce.CloudEvent.model_validate(event(**overrides))
    assert err.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"data_base64": "AA=="}, "data_base64"),
        ({"datacontenttype": "application/xml"}, "datacontenttype"),
        ({"Trace-Parent": "x"}, "Trace-Parent"),
    ],
)
def test_unsupported_shapes_say_what(overrides: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        ce.CloudEvent.model_validate(event(**overrides))


@pytest.mark.parametrize(
    ("media_type", "json_"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/vnd.siasn+json", True),
        ("text/plain", False),
        ("application/xml", False),
    ],
)
def test_json_media_types(media_type: str, json_: bool) -> None:
    assert ce.is_json_media_type(media_type) is json_


def test_identity_is_source_and_id_and_content_ignores_time() -> None:
    a = ce.CloudEvent.model_validate(event(time="2027-03-01T08:00:00Z"))
    b = ce.CloudEvent.model_validate(event(time="2027-03-01T09:30:00+07:00", traceparent="x"))
    c = ce.CloudEvent.model_validate(event(data={"period": "2027-05-01"}))
    assert ce.content_hash(a) == ce.content_hash(b) != ce.content_hash(c)
    assert ce.event_ref("s", "1") != ce.event_ref("s1", "") and len(ce.event_ref("s", "1")) == 64
