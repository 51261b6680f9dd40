"""More Meritflow processes on the same database and Temporal server, measured in the same run;
and the pieces a run against an already running deployment needs.

``more_processes`` adds workers and APIs to a running stack until there are ``n`` of each;
``scaled_phase`` then walks a fresh set of promotions (set up untimed, one chain as a warm-up)
through the approvals with the drivers spreading their requests over every API, timed and
checked like the first phase.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
from temporalio.client import Client

from bench import _meritflow as mf
from bench._approvals import approvals_for
from bench._health import health
from bench._load import run_chains
from bench._report import Phase
from bench._spread import SpreadTransport
from bench._stack import LOOPBACK, Stack, free_port, wait_http_ok
from infra.settings import ROOT, Settings
from workflows.contracts import review_workflow_id

STEPS = len(mf.CHAIN)
Cpu = Callable[[], dict[str, float | None]]


def more_processes(stack: Stack, settings: Settings, n: int) -> list[str]:
    """Workers and APIs added (named ``meritflow-worker-k``, ``api-k``) until there are ``n`` of
    each; the base URLs of all the APIs, the first one's first."""
    py = sys.executable
    urls = [f"http://{LOOPBACK}:{settings.api_port}"]
    names = {c.name for c in stack.children}
    for k in range(2, n + 1):
        if f"meritflow-worker-{k}" not in names:
            stack.spawn(f"meritflow-worker-{k}", [py, str(ROOT / "worker.py")])
        port = free_port()
        argv = [py, "-m", "uvicorn", "server:app", "--host", LOOPBACK, "--port", str(port)]
        stack.spawn(f"api-{k}", argv)
        urls.append(f"http://{LOOPBACK}:{port}")
    return urls


async def wait_all_healthy(stack: Stack, urls: list[str]) -> None:
    for url in urls:
        async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as http:
            await wait_http_ok(stack, http, "/healthz")


def meritflow_ids(promos: list[mf.Promotion]) -> list[str]:
    """The promotions and the BKN reviews they started (a review run inside its promotion has no
    workflow of its own: the health check finds it absent and counts nothing)."""
    return [p.pid for p in promos] + [review_workflow_id("pertek", p.pid, 1) for p in promos]


def cpu_per_op(cpu: dict[str, float], ops: int, prefixes: tuple[str, ...]) -> float | None:
    """Milliseconds of CPU per operation of the processes whose names start with ``prefixes``."""
    total = sum(v for k, v in cpu.items() if k.startswith(prefixes))
    return round(total / ops * 1000, 1) if ops and total else None


MERITFLOW_CPU = ("meritflow-worker", "api", "temporal")
BARE_CPU = ("bare-worker", "temporal", "bench")


async def scaled_phase(
    *,
    n: int,
    urls: list[str],
    settings: Settings,
    stack: Stack,
    client: Client,
    period: date,
    cfg: Any,
    first: int,
    cpu: Cpu,
) -> dict[str, Any]:
    """One more Meritflow phase like the first, with ``len(urls)`` APIs and ``n`` workers."""
    await wait_all_healthy(stack, urls)
    transport = SpreadTransport(urls, httpx.Limits(max_connections=cfg.concurrency + 4))
    http = httpx.AsyncClient(
        base_url=urls[0], timeout=cfg.request_timeout_s, transport=transport, trust_env=False
    )
    async with http:
        api = mf.Api(http, settings, poll_s=cfg.poll_ms / 1000)
        count = cfg.promotions + 1
        promos = await mf.setup_promotions(api, count, period, cfg.setup_concurrency, first)
        settle = cfg.settle_ms / 1000
        warm = Phase("warm-up")
        await run_chains(
            warm, promos[:1], STEPS, 1, approvals_for(api, period, warm, cfg.bkn_step).op()
        )
        phase = Phase(f"meritflow {n}+{n}")
        op = approvals_for(api, period, phase, cfg.bkn_step, settle).op()
        before = cpu()
        await run_chains(phase, promos[1:], STEPS, cfg.concurrency, op)
        after = cpu()
        phase.cpu_s = {
            k: v - b for k, v in after.items() if v is not None and (b := before.get(k)) is not None
        }
        stack.check_alive()
        done = await mf.completed(api, promos[1:], cfg.concurrency)
    summary = phase.summary()
    return {
        "workers": n,
        "apis": len(urls),
        **summary,
        "cpu_ms_per_approval": cpu_per_op(phase.cpu_s, phase.ok, MERITFLOW_CPU),
        "completed": done,
        "requests_per_api": transport.sent,
        "warm_up_errors": warm.samples,
        "health": await health(client, meritflow_ids(promos)),
    }
