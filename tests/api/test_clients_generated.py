"""A client generated from the app's OpenAPI document by openapi-python-client (in a temporary
directory, as a user would) serves: every JSON operation is generated, nothing is unresolved, and it
drives a promotion decision and the selection's planning steps (the bodies whose references once
pointed nowhere) against the real stack, refusals included.

Behind the app: a real Temporal dev server and worker, and the database.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from infra.tokens import mint_token
from server import create_app
from tests.helpers.promotion_api import AGENCY, Api, new_employee, register_bkn, started
from worker import build_worker

BASE_URL = "http://meritflow.test"
PACKAGE = "meritflow_client"
PANEL = [
    {"id": "chair", "name": "Prof. Ketua", "role": "chair", "internal": False, "affiliation": "UI"},
    {
        "id": "secretary",
        "name": "Sekretaris",
        "role": "secretary",
        "internal": True,
        "affiliation": "BKN",
    },
    {"id": "m1", "name": "Anggota 1", "role": "member", "internal": False, "affiliation": "UI"},
    {"id": "m2", "name": "Anggota 2", "role": "member", "internal": True, "affiliation": "BKN"},
    {"id": "m3", "name": "Anggota 3", "role": "member", "internal": False, "affiliation": "UI"},
]
SCHEME = {
    "components": [
        {"code": "interview", "name": "Interview", "weight": 100},
        {"code": "health", "name": "Health", "weight": 0, "pass_fail": True},
    ],
    "tie_break": ["interview", "age"],
}
SCORERS = {"interview": ["chair", "m1"], "health": ["m2"]}


class Generated:
    """The generated package, and what the generator said."""

    def __init__(self, package: ModuleType, output: str, document: dict[str, Any]) -> None:
        self.package, self.output, self.document = package, output, document

    def module(self, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    root = tmp_path_factory.mktemp("client")
    document = create_app(Settings(env="test")).openapi()
    (root / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    run = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
        ],
        cwd=root,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    sys.path.insert(0, str(root))
    try:
        yield Generated(importlib.import_module(PACKAGE), output, document)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest_asyncio.fixture
async def stack(
    dev_env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[tuple[Api, httpx.ASGITransport]]:
    app = create_app(settings, client=dev_env.client)
    async with build_worker(dev_env.client, sessions, settings), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            api = Api(http, settings)
            await register_bkn(api)
            yield api, transport


def test_every_json_operation_is_generated_and_nothing_is_unresolved(
    generated: Generated,
) -> None:
    output = generated.output
    for words in ("Unable to parse", "Could not", "duplicate", "conflicting", "reference"):
        assert words not in output, output
    # The one kind of operation a generated client cannot have: CSV uploads.
    skipped = output.count("Endpoint will not be generated")
    assert skipped == output.count("Unsupported content type text/csv"), output
    assert generated.package.__file__ is not None
    api_dir = Path(generated.package.__file__).parent / "api"
    modules = {p.stem for p in api_dir.rglob("*.py") if p.stem != "__init__"}
    expected = set()
    for item in generated.document["paths"].values():
        for op in item.values():
            content = op.get("requestBody", {}).get("content", {})
            if content and not any("json" in media for media in content):
                continue
            expected.add(re.sub("_+", "_", op["operationId"]))
    assert len(expected) >= 85 and expected == modules, sorted(expected ^ modules)


def client_for(
    generated: Generated, transport: httpx.ASGITransport, settings: Settings, **claims: Any
) -> Any:
    token = mint_token(settings, **claims)
    return generated.package.AuthenticatedClient(
        base_url=BASE_URL, token=token, httpx_args={"transport": transport}
    )


async def test_a_promotion_decision_through_the_generated_client(
    generated: Generated, stack: tuple[Api, httpx.ASGITransport]
) -> None:
    api, transport = stack
    rec = await new_employee(api)
    pid = await started(api, rec)
    decide = generated.module("api.promotions.decide_v1_promotions_process_id_decisions_post")
    models = generated.module("models")
    supervisor = client_for(
        generated,
        transport,
        api.settings,
        role="supervisor",
        sub=rec["supervisor_nip"],
        agency=AGENCY,
    )
    body = models.DecisionCreate(
        decision=models.Decision.APPROVE, justification="performance and rank checked"
    )
    async with supervisor:
        answer = await decide.asyncio_detailed(pid, client=supervisor, body=body)
        assert answer.status_code == 200, answer.content
        promotion = answer.parsed
        assert isinstance(promotion, models.PromotionRead) and promotion.id == pid
        assert promotion.pending.step == models.StepEnum.PROMOTION_BOARD

        # The same decision again is refused, and the refusal parses as the one error body.
        again = models.DecisionCreate(decision=models.Decision.APPROVE, justification="again")
        refused = await decide.asyncio_detailed(pid, client=supervisor, body=again)
        assert refused.status_code in (403, 409), refused.content
        assert isinstance(refused.parsed, models.ErrorBody) and refused.parsed.detail

    get = generated.module("api.promotions.get_promotion_v1_promotions_process_id_get")
    reader = client_for(generated, transport, api.settings, role="auditor", sub="a", agency=AGENCY)
    async with reader:
        read = await get.asyncio(pid, client=reader)
    assert read.last_decision is not None


async def test_selection_planning_through_the_generated_client(
    generated: Generated, stack: tuple[Api, httpx.ASGITransport]
) -> None:
    api, transport = stack
    models = generated.module("models")
    admin = client_for(generated, transport, api.settings, role="admin", sub="admin", agency=None)
    hr = client_for(generated, transport, api.settings, role="agency_hr", sub="hr-1", agency=AGENCY)
    code = f"PENGAWAS-{uuid.uuid4().hex[:8].upper()}"
    create_body = generated.module("api.reviews.register_body_v1_review_bodies_post")
    async with admin:
        made = await create_body.asyncio_detailed(
            client=admin,
            body=models.BodyCreate(code=code, name="Pengawas JPT", kind=models.BodyKind.OVERSIGHT),
        )
        assert made.status_code == 201, made.content

    start = generated.module("api.selections.start_selection_v1_selections_post")
    set_panel = generated.module("api.selections.set_panel_v1_selections_process_id_panel_put")
    set_scheme = generated.module("api.selections.set_scheme_v1_selections_process_id_scheme_put")
    async with hr:
        created = await start.asyncio_detailed(
            client=hr,
            body=models.SelectionCreate.from_dict(
                {
                    "code": f"JPT-{uuid.uuid4().hex[:6].upper()}",
                    "post_title": "Kepala Biro Umum",
                    "post_level": "pratama",
                    "appointing_authority_id": "ppk-1",
                    "oversight_body": code,
                }
            ),
        )
        assert created.status_code == 201, created.content
        pid = created.parsed.id

        panel = await set_panel.asyncio_detailed(
            pid,
            client=hr,
            body=models.PanelUpdate(members=[models.PanelMember.from_dict(m) for m in PANEL]),
        )
        assert panel.status_code == 200, panel.content
        scheme = await set_scheme.asyncio_detailed(
            pid,
            client=hr,
            body=models.SchemeUpdate(
                scheme=models.ScoringScheme.from_dict(SCHEME),
                scorers=models.SchemeUpdateScorers.from_dict(SCORERS),
            ),
        )
        assert scheme.status_code == 200, scheme.content

        # A panel of one is refused with the fields at fault, parsed as the error body.
        short = await set_panel.asyncio_detailed(
            pid,
            client=hr,
            body=models.PanelUpdate(members=[models.PanelMember.from_dict(PANEL[0])]),
        )
        assert short.status_code == 422, short.content
        assert isinstance(short.parsed, models.ErrorBody) and short.parsed.fields

        get_panel = generated.module("api.selections.get_panel_v1_selections_process_id_panel_get")
        members = await get_panel.asyncio(pid, client=hr)
    assert [m.id for m in members.members][:2] == ["chair", "secretary"]
