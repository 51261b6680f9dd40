"""The OpenAPI document as clients and fuzzers read it: complete, self-contained, every answer named.

FastAPI's own document is the starting point; :func:`complete` then

- moves the request bodies that actions read themselves (``model_json_schema()``, see
  ``api/actions.py`` ``body_schema``) and their ``$defs`` into ``components/schemas`` and points
  their ``$ref`` there, so no reference dangles and each model is one named class;
- names each component once: two models of one class name in different modules
  (``actions__schemas__employees__ImportResult``) become ``EmployeesImportResult`` and the like;
- declares the bearer scheme, and on every operation that reads it ``security`` and a 401 with
  ``WWW-Authenticate: Bearer`` (RFC 6750 §3);
- declares on every operation every refusal the edge can answer before a route runs (400 bad
  header bytes, 431 headers too large, 503 a dependency down, with ``Retry-After``) and those its
  shape allows (404 with a path parameter, 422 with any input, 413/415 with a body), each with the
  one error body of ``api/errors.py``.

A 405 is not an operation's answer (the method is not one of the path's); it always carries
``Allow`` (``api/errors.py``).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from api.auth import current_principal

Doc = dict[str, Any]
SCHEMES = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
_REF = "#/components/schemas/"
_ERROR = {"$ref": f"{_REF}ErrorBody"}
_RETRY_AFTER = {
    "description": "Seconds after which the same request may succeed",
    "schema": {"type": "integer", "minimum": 0},
}
# Why each status may be answered, as the document says it.
_WHY = {
    400: "Malformed request bytes or headers (an X-Request-Id or a body that is not UTF-8)",
    401: "No bearer token, or one that is not accepted",
    403: "The caller's role or seat may not do this",
    404: "Not found, or not visible to the caller",
    409: "Not now: another stage, another's turn, closed, or still in progress",
    413: "The request body is larger than the limit",
    415: "The body is not in a media type this operation reads",
    422: "A value sent breaks a rule (``fields`` names each one)",
    431: "The request's header fields are larger than the limit",
    503: "A dependency is unavailable; retry after ``Retry-After`` seconds",
}
_METHODS_WITH_BODY = {"post", "put", "patch"}


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first use)."""

    def openapi() -> Doc:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = complete(doc, authenticated=_authenticated_operations(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(doc: Doc, *, authenticated: set[tuple[str, str]]) -> Doc:
    """``doc`` with every reference resolvable and every answer declared (a new dict)."""
    doc = copy.deepcopy(doc)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _rename_qualified(doc, schemas)
    for operation in _operations(doc):
        body = operation.get("requestBody", {}).get("content", {})
        for media in body.values():
            if "schema" in media:
                media["schema"] = _hoist(media["schema"], schemas)
        _share(body, schemas)
    components.setdefault("securitySchemes", {}).update(SCHEMES)
    for (path, method), operation in _operations_by_key(doc):
        _declare(path, method, operation, secured=(path, method) in authenticated)
    return doc


def _operations_by_key(doc: Doc) -> Iterator[tuple[tuple[str, str], Doc]]:
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and method in _HTTP_METHODS:
                yield (path, method), operation


def _operations(doc: Doc) -> Iterator[Doc]:
    for _, operation in _operations_by_key(doc):
        yield operation


_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _authenticated_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of every operation that asks for a bearer token."""
    out = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and _needs(route.dependant):
            out |= {(str(context.path_format), m.lower()) for m in context.methods or ()}
    return out


def _needs(dependant: Dependant, call: Callable[..., Any] = current_principal) -> bool:
    return dependant.call is call or any(_needs(d, call) for d in dependant.dependencies)


# -- references ---------------------------------------------------------------------------------


def _hoist(schema: Doc, schemas: Doc) -> Doc:
    """Move ``schema``'s ``$defs`` into ``schemas`` (renaming a definition whose name is taken by
    a different schema) and point its references there."""
    defs = schema.pop("$defs", None)
    if not defs:
        return schema
    names: dict[str, str] = {}
    for name, definition in defs.items():
        names[name] = _free_name(name, definition, schemas)
    for name, definition in defs.items():
        schemas[names[name]] = _titled(_rewrite(definition, names), names[name])
    hoisted: Doc = _rewrite(schema, names)
    return hoisted


def _share(content: Doc, schemas: Doc) -> None:
    """A request body's model is a component of its own name (``DecisionCreate``), not an inline
    copy a generator names after the operation, or twice when it is sent in two media types (a
    CloudEvent as ``application/cloudevents+json`` or ``application/json``)."""
    for media in content.values():
        schema = media.get("schema", {})
        title = schema.get("title")
        if "$ref" not in schema and isinstance(title, str):
            name = _free_name(title, schema, schemas)
            schemas[name] = _titled(schema, name)
            media["schema"] = {"$ref": _REF + name}


def _free_name(name: str, definition: Doc, schemas: Doc) -> str:
    """``name`` if free or already holding the same definition, else another (``StepEnum``,
    ``Step2``): generators name classes by it, and two classes of one name clash."""
    base = f"{name}Enum" if "enum" in definition and not name.endswith("Enum") else name
    candidates = itertools.chain([name, base], (f"{base}{n}" for n in itertools.count(2)))
    return next(c for c in candidates if c not in schemas or _same(schemas[c], definition))


def _same(existing: Doc, new: Doc) -> bool:
    """Equal once local references are spelled alike (FastAPI's versions point at components)."""
    return bool(_normal(existing) == _normal(new))


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (v.rsplit("/", 1)[-1] if k == "$ref" else _normal(v))
            for k, v in value.items()
            if k not in ("description",)
        }
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _titled(definition: Doc, name: str) -> Doc:
    """A generator names a model by its ``title``; make it the component's name."""
    return {**definition, "title": name}


def _rewrite(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith("#/$defs/"):
                item = _REF + names.get(item.removeprefix("#/$defs/"), item.rsplit("/", 1)[-1])
            out[key] = _rewrite(item, names)
        return out
    if isinstance(value, list):
        return [_rewrite(v, names) for v in value]
    return value


_QUALIFIED = re.compile(r"^(?:[A-Za-z0-9]+__)+([A-Za-z0-9]+)__([A-Za-z0-9]+)$")


def _rename_qualified(doc: Doc, schemas: Doc) -> None:
    """FastAPI spells two models of one name by their module paths (``a__b__mod__Name``); name
    them ``ModName`` instead, which a generated client can use as a class name."""
    renames = {}
    for name in list(schemas):
        match = _QUALIFIED.match(name)
        if match:
            module, model = match.groups()
            new = _free_name(f"{module.capitalize()}{model}", schemas[name], schemas)
            renames[_REF + name] = _REF + new
            schemas[new] = _titled(schemas.pop(name), new)
    if renames:
        _replace_refs(doc, renames)


def _replace_refs(value: Any, renames: dict[str, str]) -> None:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref in renames:
            value["$ref"] = renames[ref]
        for item in value.values():
            _replace_refs(item, renames)
    elif isinstance(value, list):
        for item in value:
            _replace_refs(item, renames)


# -- answers ------------------------------------------------------------------------------------


def _declare(path: str, method: str, operation: Doc, *, secured: bool) -> None:
    responses = operation.setdefault("responses", {})
    has_body = "requestBody" in operation or method in _METHODS_WITH_BODY
    has_input = bool(operation.get("parameters")) or has_body
    statuses = {400, 431, 503}
    if secured:
        statuses |= {401, 403}
        operation["security"] = [{"bearer": []}]
    if "{" in path:
        statuses.add(404)
    if has_input:
        statuses.add(422)
    if has_body:
        statuses |= {413, 415}
    statuses |= {int(s) for s in responses if s.isdigit() and int(s) >= 400}
    _same_success(responses)
    for status in statuses:
        if responses.get(str(status), {}).get("x-own-body"):
            continue  # the operation answers this status with a body of its own (a health probe)
        responses[str(status)] = _error_response(status, responses.get(str(status)))
    operation["responses"] = dict(sorted(responses.items()))


def _same_success(responses: Doc) -> None:
    """A second success status listed with ``responses(200, ...)`` (a start that found its process
    already running answers 200, not 201) carries the operation's result, not the error body."""
    successes = {s: r for s, r in responses.items() if s.startswith("2")}
    main = next((r for r in successes.values() if r.get("content", {}) and not _is_error(r)), None)
    for status, answer in successes.items():
        if _is_error(answer):
            responses[status] = (
                {**main, "description": "The result, for a repeat or for one already there"}
                if main
                else {"description": "Success"}
            )


def _is_error(answer: Doc) -> bool:
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    return bool(schema == _ERROR)


def _error_response(status: int, declared: Doc | None) -> Doc:
    out: Doc = {
        "description": _WHY.get(status) or (declared or {}).get("description") or "Refused",
        "content": {"application/json": {"schema": _ERROR}},
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = {
            "description": "Bearer (RFC 6750 §3)",
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer"},
        }
    if status in (503, 409):
        headers["Retry-After"] = {**_RETRY_AFTER, "required": status == 503}
    if headers:
        out["headers"] = headers
    return out
