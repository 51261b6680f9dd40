"""Schemas of the auditor's endpoints: ledger search."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class EntryPage(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="Ledger entries in (recorded_at, entry_id) order, with their chain fields"
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )
