"""The production compose file is never run here (no Docker), so check its shape and references."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
EXPECTED = {
    "postgres",
    "temporal-schema",
    "temporal",
    "temporal-namespace",
    "temporal-ui",
    "migrate",
    "api",
    "worker",
    "proxy",
}
OUR_IMAGE_SERVICES = {"migrate", "api", "worker"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _depends_on(service: dict[str, Any]) -> dict[str, str | None]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps)
    return {name: (spec or {}).get("condition") for name, spec in deps.items()}


def _module_file(module: str) -> Path:
    base = ROOT.joinpath(*module.split("."))
    return base / "__main__.py" if base.is_dir() else base.with_suffix(".py")


def test_expected_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert EXPECTED <= services.keys()


def test_dockerfile_exists_and_builds_our_services(services: dict[str, dict[str, Any]]) -> None:
    assert (ROOT / "Dockerfile").is_file()
    built = {name for name, svc in services.items() if "build" in svc}
    assert built == OUR_IMAGE_SERVICES


@pytest.mark.parametrize("name", sorted(OUR_IMAGE_SERVICES))
def test_commands_point_at_existing_code(services: dict[str, dict[str, Any]], name: str) -> None:
    argv = _command(services[name])
    checked = 0
    for index, arg in enumerate(argv):
        if arg.endswith(".py"):
            assert (ROOT / arg).is_file(), f"{name}: {arg} does not exist"
            checked += 1
        elif arg == "-m":
            module = argv[index + 1]
            if module != "uvicorn":
                assert _module_file(module).is_file(), f"{name}: module {module} does not exist"
                checked += 1
        elif re.fullmatch(r"[\w.]+:\w+", arg):
            module, _, attr = arg.partition(":")
            path = _module_file(module)
            assert path.is_file(), f"{name}: {arg} -> {path} does not exist"
            assert re.search(rf"^\s*(async\s+def\s+|def\s+)?{attr}\b", path.read_text(), re.M)
            checked += 1
    assert checked, f"{name}: nothing in {argv} refers to our code"


def test_meritflow_services_are_configured_for_production(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in OUR_IMAGE_SERVICES:
        env = services[name]["environment"]
        assert env["MERITFLOW_ENV"] == "production"
        assert env["MERITFLOW_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["MERITFLOW_TEMPORAL_ADDRESS"] == "temporal:7233"
        # No default: compose refuses to start without a secret instead of using a known one.
        assert ":?" in env["MERITFLOW_JWT_SECRET"]


def test_api_and_worker_name_the_same_two_task_queues(
    services: dict[str, dict[str, Any]],
) -> None:
    queues = {
        name: (env["MERITFLOW_TASK_QUEUE"], env["MERITFLOW_PERIOD_TASK_QUEUE"])
        for name in ("api", "worker")
        for env in [services[name]["environment"]]
    }
    assert queues["api"] == queues["worker"]
    task_queue, period_queue = queues["worker"]
    assert task_queue != period_queue  # periods must not queue behind their promotions


def test_depends_on_names_existing_services(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for dep in _depends_on(service):
            assert dep in services, f"{name} depends on unknown service {dep!r}"


def test_startup_order(services: dict[str, dict[str, Any]]) -> None:
    assert _depends_on(services["temporal-schema"])["postgres"] == "service_healthy"
    assert _depends_on(services["temporal"])["temporal-schema"] == "service_completed_successfully"
    assert _depends_on(services["migrate"])["postgres"] == "service_healthy"
    for name in ("api", "worker"):
        deps = _depends_on(services[name])
        assert deps["migrate"] == "service_completed_successfully"
        assert deps["temporal"] in {"service_started", "service_healthy"}


def test_schema_job_sets_up_both_temporal_schemas(services: dict[str, dict[str, Any]]) -> None:
    job = services["temporal-schema"]
    assert job["image"].startswith("temporalio/admin-tools:")
    script = " ".join(_command(job))
    for step in ("setup-schema", "update-schema", "temporal/versioned", "visibility/versioned"):
        assert step in script
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert "healthcheck" in services["postgres"]


def test_no_deprecated_auto_setup_image(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert "auto-setup" not in service.get("image", ""), name


def _host_ports(service: dict[str, Any]) -> list[str]:
    return [str(p) for p in service.get("ports", [])]


@pytest.mark.parametrize("name", ["api", "worker", "migrate"])
def test_scaled_services_publish_no_host_port(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    """`docker compose up --scale api=3` would fail on a fixed host port (it clashes on copy 2)."""
    assert _host_ports(services[name]) == [], f"{name} publishes {_host_ports(services[name])}"
    assert "container_name" not in services[name]  # a fixed name clashes too


def test_the_proxy_is_the_way_in_and_follows_every_api_copy(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:")
    assert _depends_on(proxy)["api"] == "service_healthy"
    assert [p.rsplit(":", 1)[1] for p in _host_ports(proxy)] == ["8000"]
    assert "8000" in [str(p) for p in services["api"].get("expose", [])]
    (mount,) = proxy["configs"]
    caddyfile = compose["configs"][mount["source"]]["content"]
    assert mount["target"] in _command(proxy)
    # Dynamic upstreams: every A record of the service name, looked up again as copies come and go.
    assert re.search(r"dynamic a \{[^}]*name api[^}]*port 8000[^}]*refresh", caddyfile, re.S)
    api_command = _command(services["api"])
    assert api_command[api_command.index("--port") + 1] == "8000"
    assert api_command[api_command.index("--host") + 1] == "0.0.0.0"
