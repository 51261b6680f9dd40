"""The console runs in the same app as the API: the same stack fixture."""

from __future__ import annotations

from tests.helpers.promotion_api import api

__all__ = ["api"]
