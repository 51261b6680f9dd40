"""The end-to-end stack fixture (API + worker + dev server), shared by every module here."""

from __future__ import annotations

from tests.helpers.promotion_api import api

__all__ = ["api"]
