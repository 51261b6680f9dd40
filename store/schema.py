"""Every table Meritflow owns, for Alembic and the schema test: importing this registers all models."""

from __future__ import annotations

from store import (
    audit_models,
    event_models,
    request_models,
    review_models,
    selection_models,
    talent_models,
    webhook_models,
)
from store.models import Base

__all__ = [
    "Base",
    "audit_models",
    "event_models",
    "request_models",
    "review_models",
    "selection_models",
    "talent_models",
    "webhook_models",
]
