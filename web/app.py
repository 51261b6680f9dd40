"""Mount the console on the FastAPI app: sessions, static files, the pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from infra.settings import Settings
from web import auth
from web.render import HERE
from web.views import (
    audit,
    home,
    periods,
    promotions,
    public,
    reviews,
    selections,
    talent,
    talent_posts,
)

SESSION_COOKIE = "meritflow_session"


def install(app: FastAPI, settings: Settings) -> None:
    app.state.settings = settings
    app.state.oauth = auth.build_oauth(settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    # Pages travel compressed (htmx is 52 KB as a file, 16 KB on the wire): the budget is 150 KB
    # per page, cold, on a slow connection.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (
        auth, home, promotions, periods, reviews, selections, talent, talent_posts, public, audit,
    ):  # fmt: skip
        app.include_router(module.router)
