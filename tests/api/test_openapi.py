"""The OpenAPI document is complete and self-contained, and the answers it promises are the ones
given: every reference resolves, every model has one name, every refusal is declared with the one
error body, a 401 says ``WWW-Authenticate: Bearer``, a 405 says ``Allow``, and every list refuses a
cursor it did not give out the same way (422 ``invalid_cursor``)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from actions import cursors
from domain.errors import RuleViolation
from infra.settings import Settings
from infra.tokens import mint_token
from server import create_app
from tests.helpers.app_client import app_client

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest_asyncio.fixture
async def http(
    dev_env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan (database, Temporal client); no worker: reads and refusals only."""
    async with app_client(settings, dev_env.client) as c:
        c.headers["Authorization"] = "Bearer " + mint_token(
            settings, role="admin", sub="admin", agency=None
        )
        yield c


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return create_app(Settings(env="test")).openapi()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_reference_resolves_and_no_defs_remain(doc: dict[str, Any]) -> None:
    text = json.dumps(doc)
    assert '"$defs"' not in text and "#/$defs/" not in text
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text))
    assert refs and refs <= set(doc["components"]["schemas"])


def test_the_decision_bodies_point_at_components(doc: dict[str, Any]) -> None:
    for path, method in [
        ("/v1/promotions/{process_id}/decisions", "post"),
        ("/v1/reviews/{review_id}/verdicts", "post"),
        ("/v1/selections/{process_id}/panel", "put"),
        ("/v1/selections/{process_id}/scheme", "put"),
    ]:
        body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
        text = json.dumps(body)
        assert "#/components/schemas/" in text, (path, text[:200])


def test_each_model_has_one_plain_name(doc: dict[str, Any]) -> None:
    names = list(doc["components"]["schemas"])
    assert not [n for n in names if "__" in n]
    assert "EmployeesImportResult" in names and "SelectionsImportResult" in names


def test_every_operation_declares_its_refusals(doc: dict[str, Any]) -> None:
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, method, op in operations(doc):
        responses = op["responses"]
        expected = {"400", "431", "503"}
        if op.get("security"):
            expected |= {"401", "403"}
            header = responses["401"]["headers"]["WWW-Authenticate"]
            assert header["required"] and header["schema"]["pattern"] == "^Bearer"
        if "{" in path:
            expected.add("404")
        if "requestBody" in op:
            expected |= {"413", "415", "422"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, answer in responses.items():
            if int(status) >= 400 and not answer.get("x-own-body"):
                assert answer["content"]["application/json"]["schema"] == error, (path, status)
        if path == "/healthz":  # a probe answers 503 with its own body: what is down
            health = responses["503"]["content"]["application/json"]["schema"]
            assert health == {"$ref": "#/components/schemas/Health"}
            continue
        assert responses["503"]["headers"]["Retry-After"]["required"]


def test_only_the_public_reads_need_no_token(doc: dict[str, Any]) -> None:
    open_ = sorted(p for p, _, op in operations(doc) if not op.get("security"))
    assert open_ == [
        "/healthz",
        "/v1/public/checkpoints",
        "/v1/public/selections/{process_id}/announcements",
        "/v1/webhooks/event-types",
    ]


async def test_401_names_the_bearer_scheme(http: httpx.AsyncClient) -> None:
    for auth in (None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"):
        headers = {"Authorization": auth} if auth else {}
        r = await http.get("/v1/promotions", headers=headers)
        if auth is None:
            r = await httpx.AsyncClient(transport=http._transport, base_url=http.base_url).get(
                "/v1/promotions"
            )
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["error"] in ("unauthenticated", "invalid_token")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/promotions", "GET, POST"),
        ("PATCH", "/v1/selections/x/panel", "GET, PUT"),
        ("PUT", "/v1/webhooks/subscriptions/x", "DELETE, GET"),
        ("GET", "/v1/events", "POST"),
        ("POST", "/healthz", "GET"),
    ],
)
async def test_405_lists_every_method_of_the_path(
    http: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    r = await http.request(method, path)
    assert r.status_code == 405 and r.headers["allow"] == allow
    assert r.json() == {
        "error": "method_not_allowed",
        "detail": f"{method} is not allowed here; allowed: {allow}.",
    }


async def test_every_list_refuses_a_cursor_it_did_not_give_out(
    http: httpx.AsyncClient, doc: dict[str, Any]
) -> None:
    lists = [
        path
        for path, method, op in operations(doc)
        if method == "get"
        and "{" not in path
        and any(p["name"] == "cursor" for p in op.get("parameters", []))
    ]
    assert len(lists) >= 6, lists
    forged = cursors.encode("x", 1)  # well-formed, but no list's key
    for path in lists:
        for cursor in ("zzz", "WyJ4IiwxXQ", forged, "c1.!!"):
            r = await http.get(path, params={"cursor": cursor})
            assert r.status_code == 422, (path, cursor, r.text)
            body = r.json()
            assert body["error"] == "invalid_cursor" and body["fields"][0]["field"] == "cursor"
            assert body["detail"].startswith("The cursor is not one this list gave out")
        r = await http.get(path, params={"cursor": ""})
        assert r.status_code == 200, (path, r.text)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/promotions", {"period": "0"}, "period"),
        ("/v1/promotions", {"period": "1700000000"}, "period"),
        ("/v1/promotion-periods", {"period": "2027-4-1"}, "period"),
        ("/v1/audit/entries", {"from": "0"}, "from"),
        ("/v1/promotions", {"limit": "0"}, "limit"),
    ],
)
async def test_query_values_outside_their_type_are_refused(
    http: httpx.AsyncClient, path: str, params: dict[str, str], field: str
) -> None:
    r = await http.get(path, params=params)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "validation_error"
    assert any(f["field"].endswith(field) for f in r.json()["fields"])


async def test_iso_query_values_are_taken(http: httpx.AsyncClient) -> None:
    r = await http.get("/v1/promotions", params={"period": "2027-04-01"})
    assert r.status_code == 200, r.text
    r = await http.get("/v1/audit/entries", params={"from": "2027-04-01T00:00:00Z"})
    assert r.status_code == 200, r.text


def test_a_cursor_round_trips_and_nothing_else_decodes() -> None:
    assert cursors.decode(cursors.encode("p-1"), str) == ("p-1",)
    assert cursors.after_number(cursors.encode(42)) == 42
    assert cursors.after_id(None) is None and cursors.after_id("") is None
    for bad in ("p-1", cursors.encode(42), cursors.encode("a", "b"), "c1.%%%"):
        with pytest.raises(RuleViolation) as refused:
            cursors.after_id(bad)
        assert refused.value.code == "invalid_cursor"


def test_every_kind_s_action_answer_documents_its_next_step_in_one_shape(
    doc: dict[str, Any],
) -> None:
    schemas = doc["components"]["schemas"]
    for name in ("PromotionRead", "SelectionRead", "TalentReviewRead", "TalentAppointmentRead"):
        text = json.dumps(schemas[name]["properties"]["pending"])
        assert "#/components/schemas/PendingRead" in text, (name, text)
    assert {"step", "role", "actor_id", "actors", "due_at"} <= set(
        schemas["PendingRead"]["properties"]
    )
    for path, method in [
        ("/v1/selections/{process_id}/plan/submit", "post"),
        ("/v1/selections/{process_id}/plenary/votes", "post"),
        ("/v1/talent-reviews/{process_id}/calibration/close", "post"),
        ("/v1/talent-appointments/{process_id}/appointment", "post"),
    ]:
        op = doc["paths"][path][method]
        assert "workflow update's result" in op["description"], path
        assert "Idempotent-Replayed" in op["description"], path
