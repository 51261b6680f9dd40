"""ORM models of the auditor's toolkit (checkpoints)."""

from __future__ import annotations
