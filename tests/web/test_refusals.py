"""Every refusal code the application can raise has a sentence in Bahasa Indonesia."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from domain.errors import RuleViolation
from web.i18n import Formatter
from web.refusals import CODES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("domain", "actions", "workflows", "api", "web", "store", "activities")
CODE = re.compile(r'\bcode\s*=\s*"([a-z_]+)"')


def raised_codes() -> set[str]:
    found = set()
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            found |= set(CODE.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_code_in_the_sources_has_an_indonesian_sentence() -> None:
    missing = sorted(raised_codes() - CODES)
    assert not missing, f"add these to web/refusals.py and translate them: {missing}"
    with (ROOT / "web/translations/id/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh, locale="id") if m.id}
    untranslated = sorted(c for c in CODES if not catalog.get(f"refusal:{c}"))
    assert not untranslated, f"no Indonesian sentence for {untranslated}: run make i18n"


def test_a_refusal_reads_in_the_persons_language() -> None:
    err = RuleViolation("Every decision needs a justification.", code="justification_required")
    assert Formatter("id").refusal(err) == "Setiap keputusan memerlukan alasan yang cukup."
    assert Formatter("en").refusal(err) == "Every decision needs a justification."
    unknown = RuleViolation("Something new.", code="not_yet_translated")
    assert Formatter("id").refusal(unknown) == "Something new."
