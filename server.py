"""The HTTP server: the JSON API and the console in one app, ``uvicorn server:app``.

An entry point above both adapters (api/ and web/ never import each other): it builds the API's
app and mounts the console on it.
"""

from __future__ import annotations

from fastapi import FastAPI
from temporalio.client import Client

from api.main import create_app as create_api
from infra.settings import Settings, get_settings
from web.app import install as install_console


def create_app(settings: Settings | None = None, *, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_api(settings, client=client)
    install_console(app, settings)
    return app


app = create_app()
