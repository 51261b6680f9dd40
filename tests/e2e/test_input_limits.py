"""Bad input of any shape gets a clear 4xx, never a 5xx; refused decision attempts are recorded."""

from __future__ import annotations

import time
import uuid

import jwt

from store import ledger
from tests.helpers.promotion_api import Api, new_employee, started

DEEP_LIST = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


async def _refusals(sessions, pid: str) -> list[dict]:
    async with sessions() as s:
        return [r.payload for r in await ledger.entries(s, pid) if r.outcome == "refused"]


async def test_deep_json_is_422_naming_the_body_everywhere(api: Api) -> None:
    for url, role in (
        ("/v1/events", "hr_system"),
        ("/v1/promotions", "hr_system"),
        ("/v1/employees", "hr_system"),
        ("/v1/selections", "agency_hr"),
        ("/v1/webhooks/subscriptions", "admin"),
    ):
        for body in (DEEP_LIST, DEEP_OBJECT):
            headers = {**api.auth(role), "Content-Type": "application/json"}
            r = await api.http.post(url, content=body, headers=headers)
            assert r.status_code == 422, (url, r.status_code, r.text[:200])
            err = r.json()
            assert err["error"] == "json_too_deep" and err["fields"][0]["field"] == "body"


async def test_invalid_utf8_body_and_header_are_400(api: Api) -> None:
    headers = {**api.auth("hr_system"), "Content-Type": "application/json"}
    r = await api.http.post("/v1/promotions", content=b'{"nip": "\xff\xfe"}', headers=headers)
    assert r.status_code == 400 and r.json()["error"] == "invalid_utf8"
    for path in ("/healthz", "/v1/promotions/promotion-x"):
        raw = [
            (b"x-request-id", b"\xff\xfe\xfd"),
            *[(k.encode(), v.encode()) for k, v in api.auth("auditor").items()],
        ]
        r = await api.http.get(path, headers=raw)
        assert r.status_code == 400 and r.json()["error"] == "invalid_request_id"


async def test_oversized_and_mistyped_decisions_are_refused_and_recorded(
    api: Api, sessions
) -> None:
    rec = await new_employee(api)
    pid = await started(api, rec)
    sup = api.auth("supervisor", rec["supervisor_nip"])
    url = f"/v1/promotions/{pid}/decisions"
    big = b'{"decision": "approve", "justification": "' + b"x" * 5_000_000 + b'"}'
    r = await api.http.post(url, content=big, headers={**sup, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"

    async def chunked():  # no Content-Length: refused while streaming, before it is all read
        for _ in range(50):
            yield b"x" * 100_000

    r = await api.http.post(
        url, content=chunked(), headers={**sup, "Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"
    r = await api.http.post(
        url,
        content=b"decision=approve",
        headers={**sup, "Content-Type": "text/plain", "X-Request-Id": uuid.uuid4().hex},
    )
    assert r.status_code == 415 and r.json()["error"] == "unsupported_media_type"
    r = await api.http.post(
        url, content=DEEP_LIST, headers={**sup, "Content-Type": "application/json"}
    )
    assert r.status_code == 422
    codes = sorted(p["error"] for p in await _refusals(sessions, pid))
    assert codes == ["body_too_large", "body_too_large", "json_too_deep", "unsupported_media_type"]


async def test_a_huge_bearer_token_is_refused_cleanly(api: Api) -> None:
    r = await api.http.get("/v1/promotions", headers={"Authorization": "Bearer " + "a" * 200_000})
    assert r.status_code == 431 and r.json()["error"] == "headers_too_large"


async def test_a_token_valid_for_years_is_refused(api: Api) -> None:
    s = api.settings
    now = int(time.time())
    claims = {"sub": "x", "role": "auditor", "iss": s.jwt_issuer, "aud": s.jwt_audience}
    for extra in ({"iat": now, "exp": now + 10 * 365 * 86400}, {"exp": now + 60}):
        token = jwt.encode({**claims, **extra}, s.jwt_secret, algorithm="HS256")
        r = await api.http.get("/v1/promotions", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["error"] == "invalid_token", r.text
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
