"""The import-layer contract (``[tool.importlinter]`` in pyproject.toml) is live and complete.

Live: deliberate violations written into temporary modules inside the real packages are reported
by ``lint-imports``, one per contract (an upward import, an import of worker.py, a cycle between
siblings). Complete: every top-level package of the repository is a root package of the contract
and has a layer, so a new package cannot sit outside it unnoticed.

The temporary modules live only for the one ``lint-imports`` run and are removed whatever happens.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Packages that are not layers of the application: the tests may import anything.
NOT_LAYERS = {"tests"}


def contract() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]


def lint_imports() -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(exe), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def probes() -> Iterator[dict[str, Path]]:
    """Temporary modules with one deliberate violation each; removed after the test."""
    tag = uuid.uuid4().hex[:8]
    bodies = {
        # domain is the lowest application layer: it may not import the API above it ...
        f"domain/_probe_upward_{tag}.py": "import api.main\n",
        # ... nor the worker entry point.
        f"domain/_probe_worker_{tag}.py": "import worker\n",
        # Two siblings in infra importing each other.
        f"infra/_probe_cycle_a_{tag}.py": f"from infra import _probe_cycle_b_{tag}\n",
        f"infra/_probe_cycle_b_{tag}.py": f"from infra import _probe_cycle_a_{tag}\n",
    }
    written: dict[str, Path] = {}
    try:
        for rel, body in bodies.items():
            path = ROOT / rel
            path.write_text(f'"""Written by tests/test_layers.py; delete if left over."""\n{body}')
            written[path.stem] = path
        yield written
    finally:
        for path in written.values():
            path.unlink(missing_ok=True)


def test_the_contract_reports_deliberate_violations(probes: dict[str, Path]) -> None:
    result = lint_imports()
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    upward, worker, cycle_a, cycle_b = (f"{p.parent.name}.{name}" for name, p in probes.items())
    assert f"{upward} -> api.main" in out, out
    assert f"{worker} -> worker" in out, out
    # The cycle is reported inside infra, by one of its two imports.
    assert "No cycles are allowed in infra." in out, out
    assert f".{cycle_a.split('.')[1]} -> .{cycle_b.split('.')[1]}" in out or (
        f".{cycle_b.split('.')[1]} -> .{cycle_a.split('.')[1]}" in out
    ), out


def test_the_probes_are_gone_afterwards() -> None:
    leftovers = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/_probe_*.py"))
    assert not leftovers, f"left by an interrupted run of this module: {leftovers}"


def test_every_top_level_package_is_in_the_contract() -> None:
    packages = {
        p.parent.name
        for p in ROOT.glob("*/__init__.py")
        if p.parent.name not in NOT_LAYERS and not p.parent.name.startswith(".")
    }
    cfg = contract()
    roots = set(cfg["root_packages"])
    assert packages == roots, (
        f"top-level packages {sorted(packages - roots)} are missing from root_packages, "
        f"and {sorted(roots - packages)} no longer exist: edit [tool.importlinter]"
    )
    [layers] = [c for c in cfg["contracts"] if c["type"] == "layers"]
    layered = {
        name.strip().strip("()")
        for layer in layers["layers"]
        for name in layer.replace(":", "|").split("|")
    }
    assert roots <= layered, f"root packages without a layer: {sorted(roots - layered)}"
    assert not any(c.get("ignore_imports") for c in cfg["contracts"]), (
        "an ignore_imports hides a violation: move the code down instead"
    )
