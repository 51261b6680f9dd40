"""Every route the app registers (``server.create_app``: the API and the console), as
``"METHOD /path"`` with the table of ``actions/policy.py`` it belongs to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from starlette.routing import BaseRoute, Mount

from actions import policy


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    console: bool  # served by the console (web/), else by the JSON API (api/) or the framework

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def table(self) -> dict[str, policy.Rule]:
        return policy.CONSOLE if self.console else policy.API

    @property
    def rule(self) -> policy.Rule | None:
        return self.table.get(self.key)


def _flat(routes: list[BaseRoute]) -> Iterator[object]:
    for r in routes:
        if isinstance(r, _IncludedRouter):
            yield from r.effective_route_contexts()
        else:
            yield r


def registered(app: FastAPI) -> list[Route]:
    out: list[Route] = []
    for r in _flat(app.routes):
        path = str(getattr(r, "path", ""))
        if isinstance(getattr(r, "original_route", r), Mount) or isinstance(r, Mount):
            out.append(Route("GET", path, console=True))  # the console's static files
            continue
        endpoint = getattr(r, "endpoint", None)
        module = str(getattr(endpoint, "__module__", ""))
        for method in sorted(getattr(r, "methods", None) or ()):
            out.append(Route(method, path, console=module.startswith("web.")))
    return out
