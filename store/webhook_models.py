"""ORM models of outbound webhooks (subscriptions, deliveries)."""

from __future__ import annotations
