"""The process-kind registry is complete: every kind is declared once, with what it is made of."""

from __future__ import annotations

import importlib

from actions.registry import REGISTRY
from domain.processes import ProcessKind
from domain.reconcile import SHAPES
from server import create_app
from worker import WORKFLOWS


def test_every_kind_is_registered_with_its_parts() -> None:
    assert set(REGISTRY) == set(ProcessKind)
    paths = set(create_app().openapi()["paths"])
    for kind, spec in REGISTRY.items():
        importlib.import_module(spec.actions)
        assert any(p.startswith(spec.route) for p in paths), (kind, spec.route)
        if spec.workflow is None:
            assert spec.shape is None
            continue
        assert spec.workflow in WORKFLOWS and spec.stages, kind
        assert spec.shape is not None and spec.shape.start_kind.startswith(kind.value), kind
        assert kind.value in SHAPES
