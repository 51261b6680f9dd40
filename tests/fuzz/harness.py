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
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
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
