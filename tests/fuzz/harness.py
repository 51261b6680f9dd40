"""Property-based fuzzing of every operation of the OpenAPI document, in process.

Schemathesis draws each case from the document (valid ones, and invalid ones that the document
itself rules out) and serialises it; the request goes through ``httpx.ASGITransport`` to the app,
which runs on the test's event loop with its lifespan, a real worker, a Temporal server and the
database behind it. Hypothesis runs in a thread of its own (``fuzz`` is synchronous), so that loop
stays free to serve the requests and to run the worker.

Each response is checked against the document: no 5xx, a status it declares, the content type it
declares, a body matching the declared schema. A failure is recorded (operation, status, check)
and fuzzing goes on, so one run reports every distinct failure instead of the first, shrunk.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

# Refusals of a request the document calls valid that are not about its data, each for a reason
# no schema can state; any other refusal of a positive case (422, 400, 413, ...) fails
# ``positive_data_acceptance`` (the 401/403/404/409 it allows are the caller's or the state's).
NOT_ABOUT_THE_DATA = {
    # A token without an agency claim names the agency in the body, where the body defaults to
    # the token's: a body's schema cannot see the token (the field's description says so).
    "agency_required",
    # A cursor is opaque, one of the next_cursor values the list gave out; no schema lists them,
    # as none lists the ids that exist (those answer 404, which the check allows).
    "invalid_cursor",
    # Which months open a promotion period is the rulebook's in force on that date.
    "period_not_allowed",
    # Whether a webhook's host resolves is the world's state, not the URL's shape.
    "webhook_url_unresolvable",
    # A committee's composition (one chair, at most one secretary, no one twice) is a rule across
    # its members (its size is in the schema).
    "invalid_committee",
    # Which rulebook versions exist is the server's, as which ids exist is (an unknown id answers
    # the 404 the check allows); the refusal names the versions there are.
    "rulebook_not_found",
}
# Fields whose rule spans items of a list, which JSON Schema cannot state: a sanction's or an
# integrity record's end not before its start, one rating per year. A 422 ``validation_error``
# naming only such fields is not a refusal of what the schema promises.
ACROSS_ITEMS = re.compile(r"^(?:sanctions|integrity)\.[0-9]+$|^ratings$")
# Parameters whose rule spans two of them, which no parameter's schema can state: a consistency
# proof runs from the smaller tree to the larger (``first`` <= ``second``); a time range's ``to``
# is later than its ``from``.
ACROSS_PARAMETERS = {
    "GET /v1/audit/consistency": {"first"},
    "GET /v1/audit/entries": {"to"},
    "GET /v1/audit/export": {"to"},
}
# A text/csv body is a string to the document; its columns and each row's values are checked as
# records are, which OpenAPI cannot state for CSV (the JSON forms of the same records can: the
# import's JSON twin is checked).
NOT_SCHEMA_DESCRIBED = {"text/csv"}


def accepts_valid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, but for the refusals above."""
    across = ACROSS_PARAMETERS.get(case.operation.label, set())
    if case.media_type in NOT_SCHEMA_DESCRIBED or _not_about_the_data(response, across):
        return None
    result: bool | None = positive_data_acceptance(ctx, response, case)
    return result


def _not_about_the_data(response: Any, across: set[str]) -> bool:
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    if body.get("error") in NOT_ABOUT_THE_DATA:
        return True
    fields = [str(f.get("field")) for f in body.get("fields") or [] if isinstance(f, dict)]
    return (
        body.get("error") == "validation_error"
        and bool(fields)
        and all(ACROSS_ITEMS.match(f) or f in across for f in fields)
    )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    accepts_valid_data,  # a positive case is not refused (4xx) for its data
    negative_data_rejection,  # a negative case is refused (4xx), never served
]
BASE_URL = "http://meritflow.test"
# Operations whose 503 is their documented answer when a dependency is down (a health probe): it
# is checked against its schema like any answer, and not counted as a server error.
PROBES = {"/healthz"}


@dataclass
class Tally:
    """What one run sent and found."""

    requests: int = 0
    server_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    # (operation, status, check title) -> one reproduction (method, url, body, response)
    failures: dict[tuple[str, int, str], str] = field(default_factory=dict)
    unsatisfiable: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.server_errors += other.server_errors
        self.statuses.update(other.statuses)
        self.unsatisfiable += other.unsatisfiable
        for key, repro in other.failures.items():
            self.failures.setdefault(key, repro)

    def report(self) -> str:
        lines = [
            f"requests={self.requests} 5xx={self.server_errors} failures={len(self.failures)}",
            f"statuses={dict(sorted(self.statuses.items()))}",
        ]
        for (label, status, title), repro in sorted(self.failures.items()):
            lines.append(f"- {label} -> {status}: {title}\n    {repro}")
        return "\n".join(lines)


Send = Callable[[requests.PreparedRequest], httpx.Response]


def sender(http: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> Send:
    """Sends a prepared request through ``http`` on ``loop`` (the test's), from another thread."""

    def send(prepared: requests.PreparedRequest) -> httpx.Response:
        raw = prepared.body
        body = raw.encode("utf-8") if isinstance(raw, str) else raw
        assert body is None or isinstance(body, bytes), type(body)
        headers = {
            k: v if isinstance(v, str) else v.decode("latin-1") for k, v in prepared.headers.items()
        }
        request = http.request(
            str(prepared.method), str(prepared.url), headers=headers, content=body
        )
        return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=120)

    return send


def load(document: dict[str, Any]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(document)


def operations(schema: schemathesis.BaseSchema) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def fuzz(
    schema: schemathesis.BaseSchema,
    send: Send,
    *,
    headers: dict[str, str],
    examples: int,
    derandomize: bool,
    modes: Iterable[GenerationMode] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> Tally:
    """Every operation of ``schema``, ``examples`` cases per generation mode, as ``headers`` say."""
    tally = Tally()
    for operation in operations(schema):
        for mode in modes:
            _fuzz_one(operation, mode, send, headers, examples, derandomize, tally)
    return tally


def _fuzz_one(
    operation: Any,
    mode: GenerationMode,
    send: Send,
    headers: dict[str, str],
    examples: int,
    derandomize: bool,
    tally: Tally,
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
        prepared = requests.Request(
            method=kwargs["method"],
            url=kwargs["url"],
            headers=kwargs.get("headers"),
            params=kwargs.get("params"),
            cookies=kwargs.get("cookies"),
            json=kwargs.get("json"),
            data=kwargs.get("data"),
            files=kwargs.get("files"),
        ).prepare()
        response = send(prepared)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        probe = operation.path in PROBES and response.status_code == 503
        if response.status_code >= 500 and not probe:
            tally.server_errors += 1
        checks = [c for c in CHECKS if c is not not_a_server_error] if probe else CHECKS
        try:
            case.validate_response(response, checks=checks, headers=kwargs.get("headers"))
        except AssertionError as failure:
            _record(tally, operation, prepared, response, failure)
        except BaseExceptionGroup as group:
            for each in group.exceptions:
                _record(tally, operation, prepared, response, each)

    try:
        run()
    except Unsatisfiable:
        # No case of this mode exists (a negative case of an operation without any input).
        tally.unsatisfiable.append(f"{operation.label} ({mode.value})")


def _record(
    tally: Tally,
    operation: Any,
    prepared: requests.PreparedRequest,
    response: httpx.Response,
    failure: BaseException,
) -> None:
    title = str(getattr(failure, "title", type(failure).__name__))
    key = (operation.label, response.status_code, title)
    if key not in tally.failures:
        raw = prepared.body
        body = raw if isinstance(raw, str | None) else bytes(raw)[:300]  # type: ignore[arg-type]
        tally.failures[key] = (
            f"{prepared.method} {prepared.url} body={str(body)[:300]!r} -> "
            f"{response.status_code} {response.text[:300]!r}"
        )
