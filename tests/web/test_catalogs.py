"""Every string the console shows is in both catalogs, and the compiled catalogs are current."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
METHODS = [
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(WEB), METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(locale: str, suffix: str = "po") -> dict[str, object]:
    path = WEB / "translations" / locale / "LC_MESSAGES" / f"messages.{suffix}"
    with path.open("rb") as fh:
        cat = read_po(fh, locale=locale) if suffix == "po" else read_mo(fh)
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): (
            m.string if isinstance(m.string, str) else tuple(m.string or ())
        )
        for m in cat
        if m.id
    }


def test_every_string_is_in_both_catalogs_and_translated_into_indonesian() -> None:
    wanted = extracted()
    assert len(wanted) > 100
    indonesian, english = catalog("id"), catalog("en")
    assert not sorted(wanted - set(english)), "missing from en: run make i18n"
    assert not sorted(wanted - set(indonesian)), "missing from id: run make i18n"

    def translated(value: object) -> bool:
        return bool(value) if isinstance(value, str) else any(value)  # type: ignore[arg-type]

    untranslated = [m for m in wanted if not translated(indonesian[m])]
    assert not sorted(untranslated), "untranslated into Indonesian"


def test_compiled_catalogs_match_their_sources() -> None:
    for locale in ("id", "en"):
        folder = WEB / "translations" / locale / "LC_MESSAGES"
        with (folder / "messages.po").open("rb") as fh:
            source = read_po(fh, locale=locale)
        fresh = io.BytesIO()
        write_mo(fresh, source)
        compiled = (folder / "messages.mo").read_bytes()
        assert fresh.getvalue() == compiled, f"{locale}: messages.mo is stale; run make i18n"


def test_a_missing_string_would_be_found() -> None:
    template = io.BytesIO(b'{{ _("A string nobody translated") }}')
    from babel.messages.extract import extract

    found = {m[1] for m in extract("jinja2", template, keywords=KEYWORDS)}
    assert "A string nobody translated" in found
    assert "A string nobody translated" not in catalog("id")
