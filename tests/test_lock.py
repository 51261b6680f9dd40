"""The locks match pyproject.toml: a dependency added or narrowed there without `make lock` fails
here, before an install from the stale lock leaves it out. Pure file reading, no network."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def requirements(*, dev: bool) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    raw = project["dependencies"] + (project["optional-dependencies"]["dev"] if dev else [])
    return [Requirement(r) for r in raw]


@pytest.mark.parametrize(
    ("lock", "dev"), [("requirements-dev.lock", True), ("requirements.lock", False)]
)
def test_every_requirement_is_locked_at_a_version_it_allows(lock: str, dev: bool) -> None:
    locked = pins(lock)
    wrong = []
    for req in requirements(dev=dev):
        version = locked.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            wrong.append(f"{req} (locked: {version or 'missing'})")
    assert not wrong, f"{lock} is stale, run `make lock`: {wrong}"


def test_the_runtime_lock_is_the_dev_lock_without_the_dev_tools() -> None:
    dev, runtime = pins("requirements-dev.lock"), pins("requirements.lock")
    differing = {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v}
    assert not differing, f"versions differ between the locks, run `make lock`: {differing}"
    dev_only = {canonicalize_name(r.name) for r in requirements(dev=True)} - {
        canonicalize_name(r.name) for r in requirements(dev=False)
    }
    assert not dev_only & runtime.keys(), "a dev tool leaked into the runtime lock"


def test_every_pin_carries_hashes() -> None:
    for lock in ("requirements-dev.lock", "requirements.lock"):
        text = (ROOT / lock).read_text(encoding="utf-8")
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        unhashed = [b.split(" ", 1)[0] for b in blocks if b.strip() and "--hash=sha256:" not in b]
        assert not unhashed, f"{lock}: pins without hashes: {unhashed}"
