"""The API for the ledger benchmark: ``create_app`` served by uvicorn, with no Temporal behind it.

The auditor's reads, the export and checkpoints never call Temporal, but the app's lifespan
connects a client; here that client is lazy (``Client.connect(..., lazy=True)`` opens nothing until
it is used), so no Temporal server has to run. Everything else is as ``make run`` serves it: one
uvicorn process with its default loop and HTTP implementation, settings from ``MERITFLOW_*``.

    python -m bench._audit_api --host 127.0.0.1 --port 8000
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.main import create_app
from infra.settings import get_settings


async def serve(host: str, port: int) -> None:
    settings = get_settings()
    client = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        lazy=True,
    )
    app = create_app(settings, client=client)
    await uvicorn.Server(uvicorn.Config(app, host=host, port=port)).serve()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the API without a Temporal server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
