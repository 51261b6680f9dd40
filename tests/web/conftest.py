"""The console runs in the same app as the API: the same stack fixture."""

from __future__ import annotations

from tests.e2e.test_promotion_api import api

__all__ = ["api"]
