"""The requests the action pipeline has seen, by the id the client gave them (``X-Request-Id``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base


class ActionRequest(Base):
    """One client request id: what it was (its fingerprint) and, once answered, the answer."""

    __tablename__ = "action_requests"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # sha-256 over the principal, the action, the process and the body: the same id on another
    # request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    process_id: Mapped[str] = mapped_column(String(200))
    principal: Mapped[str] = mapped_column(String(200))
    # running: being applied by the holder of the lease; done: ``outcome`` is the answer.
    state: Mapped[str] = mapped_column(String(16))
    lease_until: Mapped[datetime]
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
